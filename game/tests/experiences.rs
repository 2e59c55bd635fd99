//! Experiences (C9) as pure rules: random content DAGs driven by random
//! command sequences never skip a dependency, pay each component's reward
//! once per run and the completion reward once, and keep the wallet equal
//! to its ledger; plus the single cases — start refused with what is
//! missing, abandon, restart only when repeatable, the deadline timer, a
//! nested experience, and "A night in the library" played through.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use dianabot_game::content::{ComponentKind, Content, Lack};
use dianabot_game::journeys::RunEnd;
use dianabot_game::story::fragment_tag;
use dianabot_game::{
    AdminCommand, Besitos, Command, Event, ExperienceCommand, ItemId, Language, PostRef, ProfileCommand,
    ReactionCommand, Reason, RuleError, ShopCommand, StoryCommand, Timer, TimerName, UserId, UserState,
};
use proptest::prelude::*;

const NOW: i64 = 1_800_000_000;
const HOUR: i64 = 3_600;

/// The demo content with `experiences` added to its `experiences.toml`.
fn content_with(experiences: &str) -> Result<Content, String> {
    let mut files = support::read_dir(&support::demo_dir());
    for (path, text) in &mut files {
        if path.ends_with("experiences.toml") {
            text.push_str(experiences);
        }
    }
    Content::parse(&files).map_err(|problems| format!("{problems:#?}\n{experiences}"))
}

fn run(state: &mut UserState, content: &Content, command: &Command, now: i64) -> Result<Vec<Event>, RuleError> {
    support::run_with(state, content, command, now)
}

fn player(content: &Content, besitos: i64) -> UserState {
    let mut state = UserState::new(UserId(1));
    let register =
        Command::Profile(ProfileCommand::Register { first_name: "Ana".into(), username: None, language: Language::Es });
    run(&mut state, content, &register, NOW).unwrap();
    grant(&mut state, content, besitos);
    state
}

fn grant(state: &mut UserState, content: &Content, besitos: i64) {
    if besitos == 0 {
        return;
    }
    let command = Command::Admin(AdminCommand::AdminGrant(Besitos::new(besitos).unwrap()));
    run(state, content, &command, NOW).unwrap();
}

fn start(id: &str) -> Command {
    Command::Experience(ExperienceCommand::Start { experience: fragment_tag(id) })
}

fn abandon(id: &str) -> Command {
    Command::Experience(ExperienceCommand::Abandon { experience: fragment_tag(id) })
}

fn buy(state: &mut UserState, content: &Content, purchase: i64, item: &str, deliver: bool) -> Vec<Event> {
    buy_at(state, content, purchase, item, deliver, NOW)
}

/// A purchase saga's steps on the buyer: paid, then delivered or refunded.
fn buy_at(state: &mut UserState, content: &Content, purchase: i64, item: &str, deliver: bool, now: i64) -> Vec<Event> {
    let opened = Command::Shop(ShopCommand::StartPurchase { purchase, item: item.to_owned() });
    run(state, content, &opened, now).unwrap();
    let close =
        if deliver { ShopCommand::FulfilPurchase { purchase } } else { ShopCommand::AbortPurchase { purchase } };
    run(state, content, &Command::Shop(close), now).unwrap()
}

fn running(state: &UserState, id: &str) -> bool {
    state.progress.experiences.as_ref().is_some_and(|journeys| journeys.running.contains_key(id))
}

fn completed(state: &UserState, id: &str) -> u32 {
    state.progress.experiences.as_ref().and_then(|journeys| journeys.completed.get(id).copied()).unwrap_or(0)
}

fn done(state: &UserState, id: &str) -> BTreeSet<String> {
    let journeys = state.progress.experiences.as_ref();
    journeys.and_then(|journeys| journeys.running.get(id)).map(|journey| journey.done.clone()).unwrap_or_default()
}

fn experience_besitos(events: &[Event]) -> i64 {
    events
        .iter()
        .filter_map(|event| match event {
            Event::Ledger(entry) if entry.reason == Reason::ExperienceReward => Some(entry.amount),
            _ => None,
        })
        .sum()
}

// ---------------------------------------------------------------- cases

const SHOPPING: &str = r#"
[[experience]]
id = "compras"
name.es = "De compras"
name.en = "Shopping"
description.es = "d"
description.en = "d"
rewards = { besitos = 7 }

[[experience.component]]
id = "rosa"
kind = "purchase"
ref = "rosa_negra"
rewards = { besitos = 3 }

[[experience.component]]
id = "dos"
kind = "item"
ref = "rosa_negra"
count = 2
after = ["rosa"]

[[experience]]
id = "gastar"
name.es = "Gastar"
name.en = "Spend"
description.es = "d"
description.en = "d"
repeatable = true
time_limit_hours = 2
requires = { besitos = 10 }

[[experience.component]]
id = "gasto"
kind = "spend"
count = 50

[[experience]]
id = "doble"
name.es = "Doble"
name.en = "Double"
description.es = "d"
description.en = "d"
requires = { experiences = ["compras"] }
rewards = { besitos = 1 }

[[experience.component]]
id = "antes"
kind = "experience"
ref = "compras"
"#;

#[test]
fn a_purchase_component_counts_once_available_and_not_when_compensated() {
    let content = content_with(SHOPPING).unwrap();
    let mut state = player(&content, 200);
    // A purchase refunded is no purchase: nothing starts, nothing counts.
    run(&mut state, &content, &start("compras"), NOW).unwrap();
    buy(&mut state, &content, 1, "rosa_negra", false);
    assert!(done(&state, "compras").is_empty());
    // Delivered: the component and its reward; the item held is one, not two.
    let balance = state.wallet.balance;
    buy(&mut state, &content, 2, "rosa_negra", true);
    assert_eq!(done(&state, "compras"), BTreeSet::from(["rosa".to_owned()]));
    assert_eq!(state.wallet.balance, balance - 25 + 3);
    // The second rose: the held count reaches 2 and the run completes, paid
    // once. "doble" (its one step: "compras" completed) starts by playing
    // and completes in the same decision.
    let opened = Command::Shop(ShopCommand::StartPurchase { purchase: 3, item: "rosa_negra".into() });
    run(&mut state, &content, &opened, NOW).unwrap();
    let events = run(&mut state, &content, &Command::Shop(ShopCommand::FulfilPurchase { purchase: 3 }), NOW).unwrap();
    assert!(events.contains(&Event::ExperienceCompleted { experience: "compras".into() }));
    assert!(events.contains(&Event::ExperienceCompleted { experience: "doble".into() }), "nested: {events:?}");
    assert_eq!(experience_besitos(&events), 7 + 1);
    assert_eq!((completed(&state, "compras"), completed(&state, "doble")), (1, 1));
    // A repeated step (the saga retrying delivery) does nothing more.
    let again = run(&mut state, &content, &Command::Shop(ShopCommand::FulfilPurchase { purchase: 3 }), NOW).unwrap();
    assert!(again.is_empty());
    // Not repeatable.
    assert_eq!(run(&mut state, &content, &start("compras"), NOW), Err(RuleError::ExperienceNotRepeatable));
}

#[test]
fn start_is_refused_with_what_is_missing() {
    let content = content_with(SHOPPING).unwrap();
    let mut state = player(&content, 0);
    match run(&mut state, &content, &start("doble"), NOW) {
        Err(RuleError::RequirementsNotMet { missing }) => {
            assert!(matches!(&missing[0].lack, Lack::Experience(id) if id.as_str() == "compras"), "{missing:?}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(run(&mut state, &content, &start("nope"), NOW), Err(RuleError::UnknownExperience));
    // The demo's VIP experience asks for VIP first.
    let demo = support::content();
    let mut state = player(demo, 0);
    assert_eq!(run(&mut state, demo, &start("noche_de_estrellas"), NOW), Err(RuleError::NotVip));
}

#[test]
fn a_nested_experience_started_by_hand_completes_at_once() {
    let content = content_with(SHOPPING).unwrap();
    let mut state = player(&content, 200);
    // "compras" completed while "doble" was not startable yet is a state
    // fact: starting "doble" later completes its step at once.
    state.progress.experiences = Some(Box::default());
    state.progress.experiences.as_mut().unwrap().completed.insert("compras".into(), 1);
    let events = run(&mut state, &content, &start("doble"), NOW).unwrap();
    assert!(events.contains(&Event::ExperienceCompleted { experience: "doble".into() }), "{events:?}");
    assert_eq!(experience_besitos(&events), 1);
}

#[test]
fn abandon_then_restart_only_when_repeatable_and_the_deadline_fails_a_run() {
    let content = content_with(SHOPPING).unwrap();
    let mut state = player(&content, 200);
    assert_eq!(run(&mut state, &content, &abandon("gastar"), NOW), Err(RuleError::ExperienceNotRunning));
    let events = run(&mut state, &content, &start("gastar"), NOW).unwrap();
    let timer =
        Timer { name: TimerName::ExperienceDeadline { experience: fragment_tag("gastar") }, due: NOW + 2 * HOUR };
    assert!(events.contains(&Event::TimerSet(timer)), "{events:?}");
    assert_eq!(run(&mut state, &content, &start("gastar"), NOW), Err(RuleError::ExperienceRunning));
    // Abandoned: the timer goes with the run; repeatable, so it starts again.
    let events = run(&mut state, &content, &abandon("gastar"), NOW).unwrap();
    assert!(events.contains(&Event::ExperienceEnded { experience: "gastar".into(), end: RunEnd::Abandoned }));
    assert!(events.contains(&Event::TimerCleared(timer)));
    run(&mut state, &content, &start("gastar"), NOW + 10).unwrap();
    // Spending counts from the start: 25, then the deadline.
    buy(&mut state, &content, 1, "rosa_negra", true);
    let moved = Timer { due: NOW + 10 + 2 * HOUR, ..timer };
    // The old timer firing is stale: it only clears.
    let stale = run(&mut state, &content, &Command::Timer(timer), NOW + 2 * HOUR).unwrap();
    assert_eq!(stale, vec![Event::TimerCleared(timer)]);
    assert!(running(&state, "gastar"));
    // Past its deadline a run makes no progress, and the timer fails it.
    let late = NOW + 3 * HOUR;
    let delivered = buy_at(&mut state, &content, 2, "rosa_negra", true, late);
    let spent_late = |event: &Event| matches!(event, Event::ComponentDone { experience, .. } if experience == "gastar");
    assert!(!delivered.iter().any(spent_late), "{delivered:?}");
    let events = run(&mut state, &content, &Command::Timer(moved), late).unwrap();
    assert!(events.contains(&Event::ExperienceEnded { experience: "gastar".into(), end: RunEnd::Expired }));
    assert!(!running(&state, "gastar"));
    // Repeatable: after a failure it may run again.
    run(&mut state, &content, &start("gastar"), late).unwrap();
    // A non-repeatable experience abandoned stays abandoned.
    let mut other = player(&content, 0);
    run(&mut other, &content, &start("compras"), late).unwrap();
    run(&mut other, &content, &abandon("compras"), late).unwrap();
    assert_eq!(run(&mut other, &content, &start("compras"), late), Err(RuleError::ExperienceNotRepeatable));
}

#[test]
fn a_night_in_the_library_completes_by_playing_and_opens_the_book_of_poems() {
    let content = support::content();
    let mut state = player(content, 100);
    let play = |state: &mut UserState, decision: &str| {
        let here = state.progress.story.fragment.clone().unwrap();
        let fragment = content.fragment(&here).unwrap();
        let choice = fragment.decisions.iter().position(|d| d.id.as_str() == decision);
        let choice = choice.unwrap_or_else(|| panic!("no {here}/{decision}")) as u8;
        let command = Command::Story(StoryCommand::Decide { fragment: fragment_tag(&here), choice, page: None });
        run(state, content, &command, NOW).unwrap_or_else(|err| panic!("{here}/{decision}: {err}"))
    };
    run(&mut state, content, &Command::Story(StoryCommand::OpenStory { page: None }), NOW).unwrap();
    for decision in ["entrar", "cajon", "guardar", "pasillo", "biblioteca", "entrar"] {
        play(&mut state, decision);
    }
    // The rose first: it is a first step, so taking it starts the run.
    let events = play(&mut state, "poesia");
    let started =
        |e: &Event| matches!(e, Event::ExperienceStarted { experience, .. } if experience == "noche_biblioteca");
    assert!(events.iter().any(started), "{events:?}");
    assert_eq!(done(&state, "noche_biblioteca"), BTreeSet::from(["rosa".to_owned()]));
    play(&mut state, "volver");
    // The letter, and its mission (after it) in the same decision: complete.
    let poems = Command::Shop(ShopCommand::StartPurchase { purchase: 8, item: "poemario".into() });
    assert!(matches!(run(&mut state, content, &poems, NOW), Err(RuleError::RequirementsNotMet { .. })));
    let events = play(&mut state, "leer_carta");
    let completed_now = Event::ExperienceCompleted { experience: "noche_biblioteca".into() };
    assert!(events.contains(&completed_now), "{events:?}");
    let position = |wanted: &Event| events.iter().position(|e| e == wanted).unwrap();
    let mission_step =
        Event::ComponentDone { experience: "noche_biblioteca".into(), component: "correspondencia".into() };
    let letter_step = Event::ComponentDone { experience: "noche_biblioteca".into(), component: "carta".into() };
    assert!(position(&letter_step) < position(&mission_step) && position(&mission_step) < position(&completed_now));
    assert_eq!(experience_besitos(&events), 20);
    assert_eq!(completed(&state, "noche_biblioteca"), 1);
    assert!(state.progress.achievements.contains("velada_completa"));
    // Reading on pays nothing more.
    assert_eq!(experience_besitos(&play(&mut state, "doblar")), 0);
    // The book of poems is for sale to this player now.
    let opened = Command::Shop(ShopCommand::StartPurchase { purchase: 9, item: "poemario".into() });
    run(&mut state, content, &opened, NOW).unwrap();
    run(&mut state, content, &Command::Shop(ShopCommand::FulfilPurchase { purchase: 9 }), NOW).unwrap();
    assert_eq!(state.item_count(&ItemId("libro_poemas".into())), 1);
}

// ------------------------------------------------------------ properties

/// One generated component: its kind (as TOML), its dependencies (earlier
/// components only: a DAG) and its reward.
#[derive(Debug, Clone)]
struct Gen {
    kind: String,
    after: Vec<usize>,
    besitos: u64,
}

fn component_kind(earlier_experiences: usize) -> impl Strategy<Value = String> {
    let mut kinds: Vec<BoxedStrategy<String>> = vec![
        Just(
            r#"kind = "purchase"
ref = "rosa_negra""#
                .to_owned(),
        )
        .boxed(),
        (1u32..4).prop_map(|count| format!("kind = \"item\"\nref = \"rosa_negra\"\ncount = {count}")).boxed(),
        (1u32..80).prop_map(|count| format!("kind = \"spend\"\ncount = {count}")).boxed(),
        (1u32..4).prop_map(|count| format!("kind = \"reaction\"\ncount = {count}")).boxed(),
        prop_oneof![Just("l1_vestibulo"), Just("l1_cajon"), Just("l1_lucien"), Just("l1_pasillo")]
            .prop_map(|f| format!("kind = \"fragment\"\nref = \"{f}\""))
            .boxed(),
        prop_oneof![
            Just("l1_umbral/entrar"),
            Just("l1_umbral/preguntar"),
            Just("l1_vestibulo/cajon"),
            Just("l1_vestibulo/retrato")
        ]
        .prop_map(|d| format!("kind = \"decision\"\nref = \"{d}\""))
        .boxed(),
        Just("kind = \"achievement\"\nref = \"velada_completa\"".to_owned()).boxed(),
    ];
    if earlier_experiences > 0 {
        kinds.push((0..earlier_experiences).prop_map(|e| format!("kind = \"experience\"\nref = \"e{e}\"")).boxed());
    }
    proptest::strategy::Union::new(kinds)
}

fn components(earlier_experiences: usize) -> impl Strategy<Value = Vec<Gen>> {
    proptest::collection::vec((component_kind(earlier_experiences), any::<u64>(), 0u64..6), 1..5).prop_map(|raw| {
        raw.into_iter()
            .enumerate()
            .map(|(index, (kind, bits, besitos))| {
                let after = (0..index).filter(|earlier| bits >> earlier & 1 == 1).collect();
                Gen { kind, after, besitos }
            })
            .collect()
    })
}

/// Up to three experiences; a later one may need an earlier one.
fn experiences() -> impl Strategy<Value = String> {
    (components(0), components(1), components(2), any::<[bool; 3]>(), any::<[bool; 3]>(), 0u64..9, any::<bool>())
        .prop_map(|(first, second, third, repeatable, achieves, besitos, timed)| {
            let mut toml = String::new();
            for (index, parts) in [first, second, third].iter().enumerate() {
                let achievement = if achieves[index] { r#"achievements = ["velada_completa"], "# } else { "" };
                let time = if timed && index == 2 { "time_limit_hours = 1\n" } else { "" };
                toml.push_str(&format!(
                    "[[experience]]\nid = \"e{index}\"\nname.es = \"E\"\nname.en = \"E\"\ndescription.es = \"d\"\n\
                     description.en = \"d\"\nrepeatable = {}\n{time}rewards = {{ {achievement}besitos = {} }}\n\n",
                    repeatable[index],
                    besitos + 1 + index as u64
                ));
                for (number, part) in parts.iter().enumerate() {
                    let after: Vec<String> = part.after.iter().map(|a| format!("\"c{a}\"")).collect();
                    let rewards = if part.besitos > 0 {
                        format!("rewards = {{ besitos = {} }}\n", part.besitos)
                    } else {
                        String::new()
                    };
                    toml.push_str(&format!(
                        "[[experience.component]]\nid = \"c{number}\"\n{}\nafter = [{}]\n{rewards}\n",
                        part.kind,
                        after.join(", "),
                    ));
                }
            }
            toml
        })
}

#[derive(Debug, Clone)]
enum Move {
    Start(usize),
    Abandon(usize),
    Buy { deliver: bool },
    GrantRose,
    ConsumeRose,
    React,
    OpenStory,
    Decide(u8),
    Restart,
    Later,
    Deadline,
}

fn moves() -> impl Strategy<Value = Vec<Move>> {
    let one = prop_oneof![
        3 => (0usize..3).prop_map(Move::Start),
        1 => (0usize..3).prop_map(Move::Abandon),
        2 => any::<bool>().prop_map(|deliver| Move::Buy { deliver }),
        1 => Just(Move::GrantRose),
        1 => Just(Move::ConsumeRose),
        2 => Just(Move::React),
        1 => Just(Move::OpenStory),
        3 => (0u8..3).prop_map(Move::Decide),
        1 => Just(Move::Restart),
        1 => Just(Move::Later),
        1 => Just(Move::Deadline),
    ];
    proptest::collection::vec(one, 1..40)
}

/// The reward paid for each component done and each completion, from the
/// content, against what the ledger shows.
fn expected_rewards(content: &Content, events: &[Event]) -> i64 {
    events
        .iter()
        .map(|event| match event {
            Event::ComponentDone { experience, component } => {
                let experience = content.experience(experience).unwrap();
                let component = experience.components.iter().find(|c| c.id.as_str() == component).unwrap();
                component.rewards.besitos as i64
            }
            Event::ExperienceCompleted { experience } => content.experience(experience).unwrap().rewards.besitos as i64,
            _ => 0,
        })
        .sum()
}

/// Checks one decision's events against the state before it, replaying
/// them one by one: every component done had its dependencies done, in a
/// run going on, was not done before in that run; an event fact counted
/// only for a component available before the decision (or a first
/// component of a run this decision started); a completion had every
/// component done.
fn check_decision(content: &Content, before: &UserState, events: &[Event]) -> Result<(), TestCaseError> {
    let mut state = before.clone();
    let available_before = |experience: &str, component: &str| {
        let Some(journey) = before.progress.experiences.as_ref().and_then(|j| j.running.get(experience)) else {
            return false;
        };
        let experience = content.experience(experience).unwrap();
        dianabot_game::experience::available(experience, &journey.done).iter().any(|c| c.id.as_str() == component)
    };
    for event in events {
        match event {
            Event::ComponentDone { experience, component } => {
                let run = done(&state, experience);
                prop_assert!(running(&state, experience), "{component} of {experience} done outside a run");
                prop_assert!(!run.contains(component), "{component} of {experience} done twice in a run");
                let spec = content.experience(experience).unwrap();
                let part = spec.components.iter().find(|c| c.id.as_str() == component).unwrap();
                for after in &part.after {
                    prop_assert!(run.contains(after.as_str()), "{component} done before {after}");
                }
                if matches!(part.kind, ComponentKind::Decision(..) | ComponentKind::Purchase(_)) {
                    let started_now = events.iter().any(
                        |e| matches!(e, Event::ExperienceStarted { experience: started, .. } if started == experience),
                    );
                    prop_assert!(
                        available_before(experience, component) || (started_now && part.after.is_empty()),
                        "event fact {component} of {experience} counted before it was available"
                    );
                }
            }
            Event::ExperienceCompleted { experience } => {
                let spec = content.experience(experience).unwrap();
                let run = done(&state, experience);
                prop_assert!(
                    spec.components.iter().all(|c| run.contains(c.id.as_str())),
                    "{experience} completed early"
                );
            }
            _ => {}
        }
        state.apply(event);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn progress_respects_dependencies_and_pays_each_reward_once(toml in experiences(), moves in moves()) {
        let content = content_with(&toml).map_err(TestCaseError::fail)?;
        let mut state = player(&content, 10_000);
        let mut ledger_sum = state.wallet.balance;
        let (mut now, mut purchase, mut post) = (NOW, 0i64, 0i32);
        let (mut paid, mut owed) = (0i64, 0i64);
        for step in moves {
            let experience = |index: usize| format!("e{index}");
            let mut commands = Vec::new();
            match step {
                Move::Start(index) => commands.push(start(&experience(index))),
                Move::Abandon(index) => commands.push(abandon(&experience(index))),
                Move::Buy { deliver } => {
                    purchase += 1;
                    commands.push(Command::Shop(ShopCommand::StartPurchase { purchase, item: "rosa_negra".into() }));
                    let close = if deliver { ShopCommand::FulfilPurchase { purchase } } else { ShopCommand::AbortPurchase { purchase } };
                    commands.push(Command::Shop(close));
                    // Saga steps are retried: a repeat must change nothing.
                    commands.push(Command::Shop(ShopCommand::FulfilPurchase { purchase }));
                }
                Move::GrantRose => commands.push(Command::Admin(AdminCommand::GrantItem { item: ItemId("rosa_negra".into()), quantity: 1 })),
                Move::ConsumeRose => commands.push(Command::Admin(AdminCommand::ConsumeItem { item: ItemId("rosa_negra".into()), quantity: 1 })),
                Move::React => {
                    post += 1;
                    let post = PostRef { chat_id: -100, message_id: post };
                    let target = dianabot_game::content::ReactionTarget::FreePost;
                    commands.push(Command::Reaction(ReactionCommand::React { post, target, emojis: vec!["❤️".into()] }));
                }
                Move::OpenStory => commands.push(Command::Story(StoryCommand::OpenStory { page: None })),
                Move::Decide(choice) => {
                    let here = state.progress.story.fragment.clone().unwrap_or_default();
                    commands.push(Command::Story(StoryCommand::Decide { fragment: fragment_tag(&here), choice, page: None }));
                }
                Move::Restart => commands.push(Command::Story(StoryCommand::RestartStory { page: None })),
                Move::Later => now += HOUR / 2,
                Move::Deadline => {
                    let journeys = state.progress.experiences.as_ref();
                    if let Some(journey) = journeys.and_then(|j| j.running.get("e2")) && let Some(due) = journey.deadline {
                        now = now.max(due);
                        let name = TimerName::ExperienceDeadline { experience: fragment_tag("e2") };
                        commands.push(Command::Timer(Timer { name, due }));
                    }
                }
            }
            for command in commands {
                let before = state.clone();
                let Ok(events) = run(&mut state, &content, &command, now) else { continue };
                check_decision(&content, &before, &events)?;
                for event in &events {
                    if let Event::Ledger(entry) = event {
                        ledger_sum += entry.amount;
                    }
                }
                paid += experience_besitos(&events);
                owed += expected_rewards(&content, &events);
                prop_assert_eq!(state.wallet.balance, ledger_sum);
                prop_assert_eq!(paid, owed);
            }
        }
        // Completions counted per experience agree with the events' story.
        let journeys = state.progress.experiences.clone().unwrap_or_default();
        let counted: BTreeMap<String, u32> = journeys.completed.clone();
        for (id, runs) in counted {
            let experience = content.experience(&id).unwrap();
            prop_assert!(runs == 1 || experience.repeatable, "{id} completed {runs} times");
        }
    }
}
