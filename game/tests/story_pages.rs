//! Reactions on story pages: the player's state knows which of its chat's
//! messages shows which fragment, and a reaction there pays the `fragment`
//! rates once per fragment and emoji.

mod support;

use support::content;

use std::collections::BTreeMap;

use dianabot_game::content::ReactionTarget;
use dianabot_game::story::fragment_tag;
use dianabot_game::{
    Command, Event, Language, ProfileCommand, Reacted, ReactionCommand, Reason, RuleError, StoryCommand, StoryProgress,
    UserId, UserState,
};
use proptest::prelude::*;

const NOW: i64 = 1_700_000_000;

fn run(state: &mut UserState, command: &Command) -> Result<Vec<Event>, RuleError> {
    support::run_at(state, command, NOW)
}

fn registered() -> UserState {
    let mut state = UserState::new(UserId(1));
    let register =
        Command::Profile(ProfileCommand::Register { first_name: "Ana".into(), username: None, language: Language::En });
    run(&mut state, &register).expect("register");
    state
}

fn react(page: i32, emojis: &[&str]) -> Command {
    Command::Reaction(ReactionCommand::ReactToPage {
        page,
        emojis: emojis.iter().map(|emoji| (*emoji).to_owned()).collect(),
    })
}

/// Besitos a decision paid for reactions.
fn paid(events: &[Event]) -> i64 {
    events
        .iter()
        .filter_map(|event| match event {
            Event::Ledger(entry) if entry.reason == Reason::Reaction => Some(entry.amount),
            _ => None,
        })
        .sum()
}

fn rate(emoji: &str) -> i64 {
    content().reactions().besitos_for(ReactionTarget::Fragment, emoji) as i64
}

fn here(state: &UserState) -> String {
    state.progress.story.fragment.clone().expect("in the story")
}

#[test]
fn a_page_sent_as_a_message_pays_its_fragment_once_per_emoji() {
    let mut state = registered();
    run(&mut state, &Command::Story(StoryCommand::OpenStory { page: None })).unwrap();
    let start = here(&state);
    assert_eq!(run(&mut state, &react(40, &["❤"])), Err(RuleError::NotAStoryPage), "not recorded yet");

    run(&mut state, &Command::Story(StoryCommand::ShowStoryPage { page: 40, fragment: start.clone() })).unwrap();
    let events = run(&mut state, &react(40, &["❤", "🔥", "❤"])).unwrap();
    assert_eq!(paid(&events), rate("❤") + rate("🔥"));
    assert!(events.contains(&Event::ReactionRewarded {
        on: Reacted::Fragment(start.clone()),
        emoji: "❤".into(),
        besitos: rate("❤")
    }));

    // Removed and set again, or set on another page of the same fragment.
    let before = state.clone();
    assert_eq!(run(&mut state, &react(40, &["❤"])), Err(RuleError::AlreadyRewarded));
    run(&mut state, &Command::Story(StoryCommand::ShowStoryPage { page: 41, fragment: start })).unwrap();
    let after_second_page = state.clone();
    assert_eq!(run(&mut state, &react(41, &["🔥"])), Err(RuleError::AlreadyRewarded));
    assert_eq!(state, after_second_page);
    assert_eq!(state.wallet, before.wallet);
}

#[test]
fn a_press_turns_its_message_into_the_page_of_where_it_leads() {
    let mut state = registered();
    run(&mut state, &Command::Story(StoryCommand::OpenStory { page: Some(7) })).unwrap();
    let start = here(&state);
    assert_eq!(state.progress.story.pages, BTreeMap::from([(7, start.clone())]));
    assert_eq!(paid(&run(&mut state, &react(7, &["❤"])).unwrap()), rate("❤"));

    let decide = Command::Story(StoryCommand::Decide { fragment: fragment_tag(&start), choice: 0, page: Some(7) });
    run(&mut state, &decide).unwrap();
    let next = here(&state);
    assert_ne!(next, start);
    assert_eq!(state.progress.story.pages.get(&7), Some(&next));
    // The same emoji, removed and set again on the same message, is news:
    // the message shows another fragment now.
    assert_eq!(paid(&run(&mut state, &react(7, &["❤"])).unwrap()), rate("❤"));

    // The id of a message sent before the press came back late: the
    // press's record stands.
    run(&mut state, &Command::Story(StoryCommand::ShowStoryPage { page: 7, fragment: start })).unwrap();
    assert_eq!(state.progress.story.pages.get(&7), Some(&next));
}

#[test]
fn opening_the_story_again_on_the_same_page_changes_nothing() {
    let mut state = registered();
    run(&mut state, &Command::Story(StoryCommand::OpenStory { page: Some(3) })).unwrap();
    assert_eq!(run(&mut state, &Command::Story(StoryCommand::OpenStory { page: Some(3) })), Ok(Vec::new()));
}

#[test]
fn a_refused_press_leaves_the_page_as_it_was() {
    let mut state = registered();
    run(&mut state, &Command::Story(StoryCommand::OpenStory { page: Some(5) })).unwrap();
    let before = state.clone();
    let stale =
        Command::Story(StoryCommand::Decide { fragment: fragment_tag("no-such-fragment"), choice: 0, page: Some(5) });
    assert_eq!(run(&mut state, &stale), Err(RuleError::StaleChoice));
    assert_eq!(state, before);
}

#[test]
fn messages_that_show_no_story_page_pay_nothing() {
    let mut state = registered();
    run(&mut state, &Command::Story(StoryCommand::OpenStory { page: Some(2) })).unwrap();
    let before = state.clone();
    assert_eq!(run(&mut state, &react(1, &["❤"])), Err(RuleError::NotAStoryPage));
    assert_eq!(
        run(&mut state, &Command::Story(StoryCommand::ShowStoryPage { page: 9, fragment: "no-such-fragment".into() })),
        Err(RuleError::Malformed(dianabot_game::Malformed::UnknownFragment("no-such-fragment".into())))
    );
    assert_eq!(state, before);
}

#[test]
fn only_the_newest_pages_are_remembered() {
    let mut state = registered();
    run(&mut state, &Command::Story(StoryCommand::OpenStory { page: None })).unwrap();
    let start = here(&state);
    let pages = StoryProgress::PAGES_KEPT as i32 + 3;
    for page in 1..=pages {
        run(&mut state, &Command::Story(StoryCommand::ShowStoryPage { page, fragment: start.clone() })).unwrap();
    }
    let kept: Vec<i32> = state.progress.story.pages.keys().copied().collect();
    assert_eq!(kept, ((pages - StoryProgress::PAGES_KEPT as i32 + 1)..=pages).collect::<Vec<_>>());
    assert_eq!(run(&mut state, &react(1, &["❤"])), Err(RuleError::NotAStoryPage));
}

#[test]
fn page_reactions_count_towards_the_same_daily_limit_as_posts() {
    let limit = content().reactions().daily_limit.expect("the demo sets a daily limit");
    let mut state = registered();
    run(&mut state, &Command::Story(StoryCommand::OpenStory { page: Some(1) })).unwrap();
    state.progress.reactions_paid_today = (NOW / 86_400, limit);
    let before = state.clone();
    assert_eq!(run(&mut state, &react(1, &["❤"])), Err(RuleError::DailyReactionLimit { limit }));
    assert_eq!(state, before);
}

fn story_command() -> impl Strategy<Value = Command> {
    let page = 1..12i32;
    let emoji = prop::sample::select(vec!["❤", "🔥", "👍"]).prop_map(str::to_owned);
    let fragments: Vec<String> = content().fragments().map(|fragment| fragment.id.as_str().to_owned()).collect();
    prop_oneof![
        prop::option::of(page.clone()).prop_map(|page| Command::Story(StoryCommand::OpenStory { page })),
        (0..3u8, prop::option::of(page.clone())).prop_map(|(choice, page)| Command::Story(StoryCommand::Decide {
            fragment: u32::MAX, // replaced by the current fragment's tag
            choice,
            page
        })),
        (page.clone(), prop::sample::select(fragments))
            .prop_map(|(page, fragment)| Command::Story(StoryCommand::ShowStoryPage { page, fragment })),
        (page, prop::collection::vec(emoji, 1..3))
            .prop_map(|(page, emojis)| Command::Reaction(ReactionCommand::ReactToPage { page, emojis })),
    ]
}

proptest! {
    /// Whatever the player does, each fragment and emoji pays at most once,
    /// at the fragment rate, and no more pages are remembered than kept.
    #[test]
    fn each_fragment_and_emoji_pays_at_most_once(commands in prop::collection::vec(story_command(), 1..80)) {
        let mut state = registered();
        let mut paid_for: BTreeMap<(String, String), i64> = BTreeMap::new();
        let mut ledger = 0;
        for mut command in commands {
            if let (Command::Story(StoryCommand::Decide { fragment, .. }), Some(here)) = (&mut command, &state.progress.story.fragment) {
                *fragment = fragment_tag(here);
            }
            let Ok(events) = run(&mut state, &command) else { continue };
            ledger += paid(&events);
            for event in &events {
                if let Event::ReactionRewarded { on: Reacted::Fragment(fragment), emoji, besitos } = event {
                    prop_assert_eq!(*besitos, rate(emoji));
                    let first = paid_for.insert((fragment.clone(), emoji.clone()), *besitos).is_none();
                    prop_assert!(first, "{} {} paid twice", fragment, emoji);
                }
            }
            prop_assert!(state.progress.story.pages.len() <= StoryProgress::PAGES_KEPT);
        }
        prop_assert_eq!(ledger, paid_for.values().sum::<i64>());
    }
}
