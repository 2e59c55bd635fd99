//! The community games over the demo content: trivia (quota, answer
//! window, one answer per question, streaks, reward), referrals (claimed
//! at registration only, paid once at the milestone, the monthly cap) and
//! timed events (reaction payouts multiplied only inside the window).

mod support;

use dianabot_game::content::ReactionTarget;
use dianabot_game::{
    Command, Event, Language, PostRef, ReactionCommand, Reason, ReferralCommand, RuleError, TriviaCommand, UserId,
    UserState,
};
use proptest::prelude::*;

/// 2026-11-30T12:00:00Z: no demo event runs.
const NOW: i64 = 1_796_040_000;

fn start(state: &mut UserState, set: &str, now: i64) -> Result<Vec<Event>, RuleError> {
    support::run_at(state, &Command::Trivia(TriviaCommand::Start { set: set.into() }), now)
}

fn answer(state: &mut UserState, option: u8, now: i64) -> Result<Vec<Event>, RuleError> {
    let run = state.progress.community.as_deref().and_then(|c| c.trivia.clone()).expect("a set in progress");
    support::run_at(
        state,
        &Command::Trivia(TriviaCommand::Answer { run: run.run, question: run.question, option }),
        now,
    )
}

fn paid(events: &[Event], reason: Reason) -> i64 {
    events
        .iter()
        .filter_map(|event| match event {
            Event::Ledger(entry) if entry.reason == reason => Some(entry.amount),
            _ => None,
        })
        .sum()
}

/// The right option of the question asked.
fn right(state: &UserState) -> u8 {
    let run = state.progress.community.as_deref().and_then(|c| c.trivia.clone()).expect("a set in progress");
    support::content().trivia().sets[&run.set].questions[usize::from(run.question)].correct
}

#[test]
fn a_set_answered_all_right_pays_its_reward_and_grows_the_streak() {
    let mut state = support::reader(NOW);
    let balance = state.wallet.balance;
    start(&mut state, "mansion", NOW).expect("start");
    let mut streaks = Vec::new();
    let mut last = Vec::new();
    for _ in 0..3 {
        let option = right(&state);
        last = answer(&mut state, option, NOW + 5).expect("answer");
        streaks.extend(last.iter().filter_map(|event| match event {
            Event::TriviaAnswered { correct: true, streak, .. } => Some(*streak),
            _ => None,
        }));
    }
    assert_eq!(streaks, [1, 2, 3]);
    assert!(last.contains(&Event::TriviaFinished { set: "mansion".into(), score: 60, correct: 3, questions: 3 }));
    assert_eq!(paid(&last, Reason::TriviaReward), 12);
    assert_eq!(state.wallet.balance, balance + 12);
    let community = state.progress.community.as_deref().expect("community");
    assert!(community.trivia.is_none(), "the set is over");
    assert_eq!(community.trivia_best_streak, 3);
}

#[test]
fn a_wrong_answer_resets_the_streak_and_earns_a_share() {
    let mut state = support::reader(NOW);
    start(&mut state, "mansion", NOW).expect("start");
    let option = right(&state);
    answer(&mut state, option, NOW).expect("right");
    let wrong = (right(&state) + 1) % 2;
    let events = answer(&mut state, wrong, NOW).expect("wrong");
    assert!(matches!(events[0], Event::TriviaAnswered { correct: false, late: false, points: 0, streak: 0, .. }));
    let option = right(&state);
    let events = answer(&mut state, option, NOW).expect("right");
    assert_eq!(paid(&events, Reason::TriviaReward), 12 * 2 / 3);
    assert_eq!(state.progress.community.as_deref().map(|c| c.trivia_best_streak), Some(1));
}

#[test]
fn an_answer_after_the_window_counts_as_wrong_and_a_question_is_answered_once() {
    let mut state = support::reader(NOW);
    start(&mut state, "mansion", NOW).expect("start");
    let run = state.progress.community.as_deref().and_then(|c| c.trivia.clone()).expect("run");
    assert_eq!(run.deadline, NOW + 30, "the window is stored when the question is asked");
    let option = right(&state);
    let late = answer(&mut state, option, NOW + 31).expect("late");
    assert!(matches!(late[0], Event::TriviaAnswered { correct: false, late: true, points: 0, .. }), "{late:?}");
    // The same button pressed again, and a button of another run.
    let again = Command::Trivia(TriviaCommand::Answer { run: run.run, question: 0, option });
    assert_eq!(support::run_at(&mut state, &again, NOW + 32), Err(RuleError::TriviaAlreadyAnswered));
    let other = Command::Trivia(TriviaCommand::Answer { run: run.run + 1, question: 1, option: 0 });
    assert_eq!(support::run_at(&mut state, &other, NOW + 32), Err(RuleError::TriviaQuestionGone));
    // The second question's window starts when it is asked.
    let run = state.progress.community.as_deref().and_then(|c| c.trivia.clone()).expect("run");
    assert_eq!((run.question, run.deadline), (1, NOW + 31 + 30));
}

#[test]
fn the_daily_quota_is_refused_past_it_until_the_next_utc_day() {
    let mut state = support::reader(NOW);
    start(&mut state, "mansion", NOW).expect("first");
    start(&mut state, "mansion", NOW + 60).expect("second (gives up the first)");
    let midnight = NOW - NOW % 86_400 + 86_400;
    assert_eq!(
        start(&mut state, "mansion", NOW + 120),
        Err(RuleError::TriviaQuotaReached { max: 2, resets_at: midnight })
    );
    start(&mut state, "mansion", midnight).expect("a new day");
}

#[test]
fn a_vip_set_is_for_members_and_an_unknown_set_is_refused() {
    let mut state = support::reader(NOW);
    assert_eq!(start(&mut state, "secretos", NOW), Err(RuleError::NotVip));
    assert_eq!(start(&mut state, "nope", NOW), Err(RuleError::UnknownTriviaSet));
    support::set_vip(&mut state, Some(NOW + 86_400));
    start(&mut state, "secretos", NOW).expect("a member plays it");
}

#[test]
fn a_trivia_marathon_adds_sets_and_multiplies_points_inside_its_window() {
    // 2027-03-01T12:00:00Z, inside the demo marathon (3 extra sets, ×2).
    let during = 1_803_902_400;
    let mut state = support::reader(during);
    start(&mut state, "mansion", during).expect("start");
    let option = right(&state);
    let events = answer(&mut state, option, during).expect("answer");
    assert!(matches!(events[0], Event::TriviaAnswered { points: 20, .. }), "{events:?}");
    for minute in 1..5 {
        start(&mut state, "mansion", during + minute * 60).expect("2 + 3 sets today");
    }
    assert!(matches!(start(&mut state, "mansion", during + 600), Err(RuleError::TriviaQuotaReached { max: 5, .. })));
}

fn react(state: &mut UserState, message_id: i32, now: i64) -> i64 {
    let post = PostRef { chat_id: -100, message_id };
    let command =
        Command::Reaction(ReactionCommand::React {
            post, target: ReactionTarget::FreePost, emojis: vec!["❤".into()]
        });
    paid(&support::run_at(state, &command, now).expect("react"), Reason::Reaction)
}

#[test]
fn a_reaction_multiplier_event_pays_more_only_inside_its_window() {
    // The demo's double night: 2027-02-14T20:00Z to 2027-02-15T02:00Z.
    let (from, until) = (1_802_635_200, 1_802_656_800);
    let mut state = support::reader(from - 1);
    assert_eq!(react(&mut state, 1, from - 1), 3, "before");
    assert_eq!(react(&mut state, 2, from), 6, "inside");
    assert_eq!(react(&mut state, 3, until - 1), 6, "inside");
    assert_eq!(react(&mut state, 4, until), 3, "after");
}

fn newcomer(id: i64) -> UserState {
    UserState::new(UserId(id))
}

fn join(state: &mut UserState, inviter: i64, now: i64) -> Result<Vec<Event>, RuleError> {
    let join = ReferralCommand::Join {
        first_name: "Bea".into(),
        username: None,
        language: Language::En,
        inviter: UserId(inviter),
    };
    support::run_at(state, &Command::Referral(join), now)
}

fn settle(inviter: &mut UserState, invitee: i64, now: i64) -> Result<Vec<Event>, RuleError> {
    support::run_at(inviter, &Command::Referral(ReferralCommand::Settle { invitee: UserId(invitee) }), now)
}

#[test]
fn a_referral_is_claimed_only_at_registration_and_never_by_oneself() {
    let mut bea = newcomer(2);
    assert_eq!(join(&mut bea, 2, NOW), Err(RuleError::SelfReferral));
    assert!(!bea.is_registered(), "nothing happened");
    let events = join(&mut bea, 1, NOW).expect("join");
    assert!(events.iter().any(|event| matches!(event, Event::Registered { .. })));
    assert!(events.contains(&Event::ReferralClaimed { inviter: UserId(1) }));
    assert_eq!(join(&mut bea, 3, NOW), Err(RuleError::ReferralNotNew), "a second claim");
    let mut ana = support::reader(NOW);
    assert_eq!(join(&mut ana, 2, NOW), Err(RuleError::ReferralNotNew), "a known player");
}

#[test]
fn the_milestone_pays_the_invitee_once_and_asks_for_the_inviters_reward() {
    let mut bea = newcomer(2);
    join(&mut bea, 1, NOW).expect("join");
    support::run_at(&mut bea, &Command::Story(dianabot_game::StoryCommand::OpenStory { page: None }), NOW)
        .expect("open");
    let first = support::choose_at(&mut bea, 0, NOW).expect("first decision");
    assert!(!first.iter().any(|event| matches!(event, Event::ReferralReached { .. })), "one decision is not enough");
    let second = support::choose_at(&mut bea, 0, NOW).expect("second decision");
    assert!(second.contains(&Event::ReferralReached { inviter: UserId(1) }));
    assert_eq!(paid(&second, Reason::ReferralReward), 20);
    assert!(second.iter().any(|event| matches!(event, Event::TimerSet(timer)
        if timer.name == dianabot_game::TimerName::ReferralReward)));
    if let Ok(third) = support::choose_at(&mut bea, 0, NOW) {
        assert!(!third.iter().any(|event| matches!(event, Event::ReferralReached { .. })), "reached once");
    }
}

#[test]
fn the_inviter_is_settled_once_per_invitee_and_not_past_the_monthly_cap() {
    let mut ana = support::reader(NOW);
    let balance = ana.wallet.balance;
    let events = settle(&mut ana, 2, NOW).expect("settle");
    assert_eq!(paid(&events, Reason::ReferralReward), 50);
    assert_eq!(settle(&mut ana, 2, NOW), Ok(Vec::new()), "a retried settlement does nothing");
    assert_eq!(ana.wallet.balance, balance + 50);
    for invitee in 3..12 {
        settle(&mut ana, invitee, NOW).expect("settle");
    }
    let capped = settle(&mut ana, 12, NOW).expect("capped");
    assert_eq!(paid(&capped, Reason::ReferralReward), 0);
    assert!(matches!(capped[0], Event::ReferralSettled { paid: false, paid_this_month: 10, .. }));
    assert_eq!(settle(&mut ana, 12, NOW + 40 * 86_400), Ok(Vec::new()), "settled for good, even next month");
    let next_month = settle(&mut ana, 13, NOW + 40 * 86_400).expect("next month");
    assert_eq!(paid(&next_month, Reason::ReferralReward), 50);
}

proptest! {
    /// Whatever the presses and their times, a question is answered at
    /// most once, the score is the points of right answers, and the
    /// reward is paid once per finished set.
    #[test]
    fn presses_in_any_order_answer_each_question_once(
        presses in proptest::collection::vec((0u32..3, 0u8..4, 0u8..4, 0i64..90), 1..30),
    ) {
        let mut state = support::reader(NOW);
        start(&mut state, "mansion", NOW).expect("start");
        let mut now = NOW;
        let mut answered = Vec::new();
        let mut rewards = 0;
        let mut finished = 0;
        for (run, question, option, wait) in presses {
            now += wait;
            let press = Command::Trivia(TriviaCommand::Answer { run, question, option });
            if let Ok(events) = support::run_at(&mut state, &press, now) {
                for event in &events {
                    match event {
                        Event::TriviaAnswered { question, .. } => answered.push(*question),
                        Event::TriviaFinished { .. } => finished += 1,
                        _ => {}
                    }
                }
                rewards += events.iter().filter(|e| matches!(e, Event::Ledger(entry) if entry.reason == Reason::TriviaReward)).count();
            }
        }
        let expected: Vec<u8> = (0..answered.len() as u8).collect();
        prop_assert_eq!(&answered, &expected, "questions answered in order, once each");
        prop_assert!(finished <= 1);
        prop_assert!(rewards <= finished);
    }
}
