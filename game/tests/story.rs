//! The story rules over the demo content: a decision's effects land all
//! together or not at all, and stale or foreign choices are refused.

mod support;

use support::content;

use dianabot_game::story::{current, fragment_tag};
use dianabot_game::{Command, Event, ItemId, Reason, RuleError, StoryCommand, UserState};
use proptest::prelude::*;

const NOW: i64 = 1_700_000_000;

fn run(state: &mut UserState, command: &Command) -> Result<Vec<Event>, RuleError> {
    support::run_at(state, command, NOW)
}

fn player() -> UserState {
    support::reader(NOW)
}

fn choose(state: &mut UserState, choice: u8) -> Result<Vec<Event>, RuleError> {
    support::choose_at(state, choice, NOW)
}

/// Quantities that make rewards overflow: the fault injected into reward steps.
fn quantity() -> impl Strategy<Value = u32> {
    prop_oneof![Just(0), Just(1), Just(2), Just(u32::MAX - 1), Just(u32::MAX)]
}

fn perturbed_player() -> impl Strategy<Value = UserState> {
    let items: Vec<ItemId> = content().items().map(|item| item.id.clone()).collect();
    let holdings = prop::collection::vec(quantity(), items.len());
    let balance = prop_oneof![Just(0i64), Just(10), Just(1_000), Just(i64::MAX - 5)];
    (holdings, balance, any::<bool>()).prop_map(move |(holdings, balance, vip)| {
        let mut state = player();
        for (item, quantity) in items.iter().zip(holdings).filter(|(_, quantity)| *quantity > 0) {
            state.inventory.insert(item.clone(), quantity);
        }
        state.wallet.balance = balance;
        support::set_vip(&mut state, vip.then_some(NOW + 86_400));
        state
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Either every effect of a decision is there — costs paid, rewards
    /// given, flags set, the move made — or none is.
    #[test]
    fn a_decision_applies_whole_or_not_at_all(start in perturbed_player(), choices in prop::collection::vec(0u8..4, 1..25)) {
        let mut state = start;
        for choice in choices {
            let before = state.clone();
            let here = current(&before, content()).expect("in the story").clone();
            match choose(&mut state, choice) {
                Err(_) => prop_assert_eq!(&state, &before, "a refused decision changed the state"),
                Ok(events) if events.iter().any(|e| matches!(e, Event::VipDenied { .. })) => {
                    prop_assert_eq!(events.len(), 1);
                    prop_assert_eq!(&state.progress.story, &before.progress.story);
                    prop_assert_eq!(state.wallet.balance, before.wallet.balance);
                }
                Ok(events) => {
                    let decision = &here.decisions[usize::from(choice)];
                    let (costs, rewards) = (&decision.costs, &decision.rewards);
                    prop_assert_eq!(state.progress.story.fragment.as_deref(), Some(decision.to.as_str()));
                    // What achievements, missions and experiences earned on top, only ever adding.
                    let earned: i64 = events
                        .iter()
                        .filter_map(|event| match event {
                            Event::Ledger(entry)
                                if matches!(
                                    entry.reason,
                                    Reason::AchievementReward | Reason::MissionReward | Reason::ExperienceReward
                                ) =>
                            {
                                Some(entry.amount)
                            }
                            _ => None,
                        })
                        .sum();
                    prop_assert!(earned >= 0);
                    prop_assert_eq!(
                        state.wallet.balance,
                        before.wallet.balance - costs.besitos as i64 + rewards.besitos as i64 + earned
                    );
                    for item in content().items().map(|item| &item.id) {
                        let expected = before.item_count(item) - costs.items.get(item).copied().unwrap_or(0)
                            + rewards.items.get(item).copied().unwrap_or(0);
                        prop_assert!(state.item_count(item) >= expected, "item {}", item);
                    }
                    for flag in &decision.sets_flags {
                        prop_assert!(state.progress.story.flags.contains(flag.as_str()));
                    }
                    for achievement in &rewards.achievements {
                        prop_assert!(state.progress.achievements.contains(achievement.as_str()));
                    }
                    prop_assert!(
                        state.progress.experience_points >= before.progress.experience_points + rewards.experience_points
                    );
                }
            }
        }
    }
}

#[test]
fn a_reward_that_cannot_be_given_refuses_the_whole_decision() {
    // The fountain gives the silver key; a player who cannot hold one more
    // does not get the decision's experience points or move either.
    let mut state = player();
    let path =
        ["entrar", "cajon", "guardar", "pasillo", "biblioteca", "entrar", "leer_carta", "doblar", "jardin", "fuente"];
    for decision in path {
        let here = current(&state, content()).expect("in the story");
        let choice = here.decisions.iter().position(|d| d.id.as_str() == decision).expect("decision offered");
        choose(&mut state, choice as u8).unwrap_or_else(|err| panic!("{decision}: {err}"));
    }
    let here = current(&state, content()).expect("at the fountain");
    let choice = here.decisions.iter().position(|d| d.id.as_str() == "mano").expect("the key decision") as u8;
    state.inventory.insert(ItemId("llave_plata".into()), u32::MAX);
    let before = state.clone();
    assert_eq!(choose(&mut state, choice), Err(RuleError::TooManyItems { item: ItemId("llave_plata".into()) }));
    assert_eq!(state, before);
}

#[test]
fn choices_not_offered_stale_or_of_another_fragment_are_refused() {
    let mut state = player();
    let start = state.progress.story.fragment.clone().expect("at the start");
    let before = state.clone();
    assert_eq!(choose(&mut state, 99), Err(RuleError::UnknownChoice));
    assert_eq!(state, before);

    choose(&mut state, 0).expect("the first decision");
    let moved = state.clone();
    // A button of the page we left.
    assert_eq!(
        run(
            &mut state,
            &Command::Story(StoryCommand::Decide { fragment: fragment_tag(&start), choice: 0, page: None })
        ),
        Err(RuleError::StaleChoice)
    );
    // A fragment of another level the player never reached.
    let vip = content().fragments().find(|f| f.level == 4).expect("a level 4 fragment").id.to_string();
    assert_eq!(
        run(&mut state, &Command::Story(StoryCommand::Decide { fragment: fragment_tag(&vip), choice: 0, page: None })),
        Err(RuleError::StaleChoice)
    );
    assert_eq!(state, moved);
}

#[test]
fn restarting_is_only_for_endings() {
    let mut state = player();
    assert_eq!(
        run(&mut state, &Command::Story(StoryCommand::RestartStory { page: None })),
        Err(RuleError::StaleChoice)
    );
}

/// A deep link (`StoryCommand::OpenFragment`) opens a fragment by the
/// rules of navigating there: the start or a fragment visited directly; a
/// fragment one decision away as that decision (its rewards); a VIP
/// fragment shows a free player the VIP door; anything else is not reached.
#[test]
fn a_deep_link_opens_a_fragment_only_as_navigating_there_would() {
    use dianabot_game::{Command, Event, Language, ProfileCommand, RuleError, StoryCommand, UserId, UserState};
    let now = 1_700_000_000;
    let open = |fragment: &str| Command::Story(StoryCommand::OpenFragment { fragment: fragment.into(), page: None });
    let mut state = UserState::new(UserId(1));
    let register =
        Command::Profile(ProfileCommand::Register { first_name: "Ana".into(), username: None, language: Language::Es });
    support::run_at(&mut state, &register, now).expect("register");

    assert_eq!(support::run_at(&mut state, &open("l1_vestibulo"), now), Err(RuleError::FragmentNotReached));
    let events = support::run_at(&mut state, &open("l4_antesala"), now).expect("the VIP door");
    assert!(matches!(&events[0], Event::VipDenied { fragment } if fragment == "l4_antesala"));
    // offers: beside it, at most the offer the door shows and its timer.
    assert!(events[1..].iter().all(|event| matches!(event, Event::OfferShown(_) | Event::TimerSet(_))), "{events:?}");
    assert_eq!(state.progress.story.fragment, None);

    support::run_at(&mut state, &open("l1_umbral"), now).expect("the start");
    assert_eq!(state.progress.story.fragment.as_deref(), Some("l1_umbral"));
    assert_eq!(support::run_at(&mut state, &open("l1_umbral"), now), Ok(Vec::new()), "already there");
    let xp = state.progress.experience_points;
    support::run_at(&mut state, &open("l1_vestibulo"), now).expect("one decision away");
    assert_eq!(state.progress.story.fragment.as_deref(), Some("l1_vestibulo"));
    assert_eq!(state.progress.experience_points, xp + 5, "the decision's reward");
    support::run_at(&mut state, &open("l1_umbral"), now).expect("visited before");
    assert_eq!(state.progress.story.fragment.as_deref(), Some("l1_umbral"));
    assert!(support::run_at(&mut state, &open("no_such_fragment"), now).is_err());
}
