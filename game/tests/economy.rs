//! The daily gift's streak and the gift steps' idempotency, as pure rules.

mod support;

use support::{content, run_at};

use dianabot_game::content::ReactionTarget;
use dianabot_game::{
    Besitos, Command, Ctx, EconomyCommand, Event, Language, ProfileCommand, ReactionCommand, Reason, RuleError, Rules,
    StoryCommand, UserId, UserState, decide,
};

const DAY: i64 = 86_400;
const MONDAY: i64 = 1_700_006_400; // midnight UTC

fn player(id: i64) -> UserState {
    let mut state = UserState::new(UserId(id));
    let register =
        Command::Profile(ProfileCommand::Register { first_name: "Ana".into(), username: None, language: Language::Es });
    run_at(&mut state, &register, MONDAY).unwrap();
    state
}

/// Claims the daily gift; returns what the gift itself paid (a mission it
/// completes pays on top, under its own reason).
fn claim(state: &mut UserState, now: i64) -> Result<i64, RuleError> {
    let events = run_at(state, &Command::Economy(EconomyCommand::ClaimDailyGift), now)?;
    Ok(events
        .iter()
        .filter_map(|event| match event {
            Event::Ledger(entry) if entry.reason == Reason::DailyGift => Some(entry.amount),
            _ => None,
        })
        .sum())
}

#[test]
fn the_daily_gift_grows_with_the_streak_and_a_missed_day_resets_it() {
    let mut state = player(1);
    let rules = Rules::default();
    let paid: Vec<i64> = (0..8).map(|day| claim(&mut state, MONDAY + day * DAY + 3_600).unwrap()).collect();
    let expected: Vec<i64> = [1, 1, 2, 2, 3, 3, 5, 5].iter().map(|m| m * rules.daily_gift).collect();
    assert_eq!(paid, expected);
    assert_eq!(claim(&mut state, MONDAY + 7 * DAY + 7_200), Err(RuleError::AlreadyClaimedToday));
    // Day 8 skipped: day 9 starts over.
    assert_eq!(claim(&mut state, MONDAY + 9 * DAY), Ok(rules.daily_gift));
    assert_eq!(state.progress.daily_gift.streak, 1);
}

#[test]
fn gift_steps_are_idempotent_by_transfer() {
    let (mut giver, mut receiver) = (player(1), player(2));
    let send =
        Command::Economy(EconomyCommand::SendGift { to: UserId(2), amount: Besitos::new(4).unwrap(), transfer: 9 });
    run_at(&mut giver, &send, MONDAY).unwrap();
    assert_eq!(giver.wallet.balance, 6);
    assert!(run_at(&mut giver, &send, MONDAY).unwrap().is_empty(), "a repeated step 1 sends once");
    let receive = Command::Economy(EconomyCommand::ReceiveGift {
        from: UserId(1),
        amount: Besitos::new(4).unwrap(),
        transfer: 9,
    });
    run_at(&mut receiver, &receive, MONDAY).unwrap();
    assert!(run_at(&mut receiver, &receive, MONDAY).unwrap().is_empty(), "a repeated step 2 pays once");
    assert_eq!(receiver.wallet.balance, 14);
    run_at(&mut giver, &Command::Economy(EconomyCommand::SettleTransfer { transfer: 9 }), MONDAY).unwrap();
    // Settled: a late compensation finds nothing to refund.
    assert!(
        run_at(&mut giver, &Command::Economy(EconomyCommand::RefundTransfer { transfer: 9 }), MONDAY)
            .unwrap()
            .is_empty()
    );
    assert_eq!(giver.wallet.balance, 6);
}

#[test]
fn gifts_are_limited_per_day() {
    let mut giver = player(1);
    giver.wallet.balance = 1_000;
    let rules = Rules::default();
    for transfer in 0..i64::from(rules.max_gifts_per_day) {
        let send =
            Command::Economy(EconomyCommand::SendGift { to: UserId(2), amount: Besitos::new(1).unwrap(), transfer });
        run_at(&mut giver, &send, MONDAY).unwrap();
    }
    let one_more =
        Command::Economy(EconomyCommand::SendGift { to: UserId(2), amount: Besitos::new(1).unwrap(), transfer: 99 });
    assert_eq!(
        run_at(&mut giver, &one_more, MONDAY),
        Err(RuleError::TooManyGiftsToday { max: rules.max_gifts_per_day })
    );
    assert!(run_at(&mut giver, &one_more, MONDAY + DAY).is_ok(), "a new day, a new allowance");
}

#[test]
fn achievements_and_missions_follow_from_what_a_command_did() {
    let mut state = player(1);
    run_at(&mut state, &Command::Story(StoryCommand::OpenStory { page: None }), MONDAY).unwrap();
    let here = state.progress.story.fragment.clone().unwrap();
    let events = run_at(
        &mut state,
        &Command::Story(StoryCommand::Decide {
            fragment: dianabot_game::story::fragment_tag(&here),
            choice: 0,
            page: None,
        }),
        MONDAY,
    )
    .unwrap();
    // The first decision earns "primer_paso" and its reward, in the same decision.
    assert!(
        events.iter().any(|e| matches!(e, Event::AchievementUnlocked { achievement } if achievement == "primer_paso"))
    );
    assert!(state.progress.achievements.contains("primer_paso"));
    let paid: i64 = events
        .iter()
        .filter_map(|e| match e {
            Event::Ledger(entry) if entry.reason == Reason::AchievementReward => Some(entry.amount),
            _ => None,
        })
        .sum();
    assert_eq!(paid, 5);

    // The daily mission pays once per day, and again the next day.
    let first = claim(&mut state, MONDAY);
    assert!(first.is_ok());
    assert!(state.progress.missions.get("regalo_diario").is_some_and(|m| m.done));
    let balance = state.wallet.balance;
    run_at(&mut state, &Command::Economy(EconomyCommand::ClaimDailyGift), MONDAY + DAY).unwrap();
    assert_eq!(state.wallet.balance, balance + 5 + 5, "the gift and the mission, again");
}

#[test]
fn a_daily_cap_refuses_what_would_pay_past_it_and_resets_the_next_day() {
    let rules = Rules { daily_caps: [(Reason::Reaction, 5)].into(), ..Rules::default() };
    let mut state = player(1);
    let react = |state: &mut UserState, message_id: i32, now: i64| {
        let post = dianabot_game::PostRef { chat_id: -100, message_id };
        let command = Command::Reaction(ReactionCommand::React {
            post,
            target: ReactionTarget::FreePost,
            emojis: vec!["❤".into()],
        });
        let events = decide(state, &command, Ctx { now, rules: &rules, content: content(), update_id: None })?;
        events.iter().for_each(|event| state.apply(event));
        Ok::<_, RuleError>(state.wallet.balance)
    };
    let start = state.wallet.balance;
    // ❤ pays 3: the first fits under 5, the second would make 6.
    assert_eq!(react(&mut state, 1, MONDAY), Ok(start + 3));
    assert_eq!(react(&mut state, 2, MONDAY), Err(RuleError::DailyCapReached { reason: Reason::Reaction, cap: 5 }));
    assert_eq!(state.wallet.balance, start + 3, "refused: nothing paid");
    assert_eq!(react(&mut state, 2, MONDAY + DAY), Ok(start + 6), "a new day, a new cap");
}
