//! Personalisation (issue #18): archetype scores are a function of the
//! player's own event history; feature flags bucket players stably, close
//! to the configured percentages, never drop a player when a rollout
//! rises, and admit exactly their audience; `archetypes.toml` and
//! `flags.toml` are read with every problem located.

mod support;

use std::collections::BTreeSet;

use dianabot_game::archetype::{Archetype, ArchetypeWeights, Scores, Signal};
use dianabot_game::content::{Content, ContentProblem, ProblemKind};
use dianabot_game::flags::{Audience, BUCKETS, Flag, Subject, Variant, bucket};
use dianabot_game::story::fragment_tag;
use dianabot_game::{
    AdminCommand, AuctionCommand, Besitos, Command, EconomyCommand, Event, ItemId, Language, LoreCommand, PostRef,
    ProfileCommand, ReactionCommand, ShopCommand, StoryCommand, TriviaCommand, UserId, UserState,
};
use proptest::prelude::*;

const NOW: i64 = 1_700_000_000;

/// One step of a player's history. A story decision is a choice index,
/// resolved against the fragment the player stands on when it runs.
#[derive(Debug, Clone)]
enum Step {
    Command(Command),
    Decide(u8),
    /// Time passes, in hours (daily gifts, missions' periods).
    Wait(u8),
}

fn step() -> impl Strategy<Value = Step> {
    let item = prop::sample::select(vec!["rosa_negra", "carta_sellada", "llave"]).prop_map(|id| ItemId(id.to_owned()));
    let emoji = prop::sample::select(vec!["❤", "🔥", "👍"]).prop_map(str::to_owned);
    let shop = prop::sample::select(vec!["rosa_negra", "mapa_de_estrellas", "poemario"]).prop_map(str::to_owned);
    let command = prop_oneof![
        Just(Command::Profile(ProfileCommand::Register {
            first_name: "Ana".into(),
            username: None,
            language: Language::Es
        })),
        Just(Command::Story(StoryCommand::OpenStory { page: None })),
        (0..3i32, prop::collection::vec(emoji, 1..3)).prop_map(|(message_id, emojis)| Command::Reaction(
            ReactionCommand::React {
                post: PostRef { chat_id: -100, message_id },
                target: dianabot_game::content::ReactionTarget::FreePost,
                emojis
            }
        )),
        Just(Command::Economy(EconomyCommand::ClaimDailyGift)),
        (2..5i64, 1..40i64, 1..6i64).prop_map(|(to, amount, transfer)| Command::Economy(EconomyCommand::SendGift {
            to: UserId(to),
            amount: Besitos::new(amount).expect("positive"),
            transfer
        })),
        (1..200i64)
            .prop_map(|amount| Command::Admin(AdminCommand::AdminGrant(Besitos::new(amount).expect("positive")))),
        (item.clone(), 1..3u32).prop_map(|(item, quantity)| Command::Admin(AdminCommand::GrantItem { item, quantity })),
        (item.clone(), 1..3u32)
            .prop_map(|(item, quantity)| Command::Admin(AdminCommand::ConsumeItem { item, quantity })),
        (1..4i64, shop).prop_map(|(purchase, item)| Command::Shop(ShopCommand::StartPurchase { purchase, item })),
        (1..4i64).prop_map(|purchase| Command::Shop(ShopCommand::FulfilPurchase { purchase })),
        (1..3i64, 1..3i64, 1..50i64).prop_map(|(auction, bid, amount)| Command::Auction(AuctionCommand::HoldBid {
            auction,
            bid,
            amount: Besitos::new(amount).expect("positive")
        })),
        (1..3i64, 1..3i64, item).prop_map(|(auction, bid, item)| Command::Auction(AuctionCommand::ConsumeHold {
            auction,
            bid,
            item,
            quantity: 1
        })),
        Just(Command::Lore(LoreCommand::EnterCode { code: "LUCIEN-1887".into() })),
        Just(Command::Trivia(TriviaCommand::Start { set: "mansion".into() })),
        (0..2u8, 0..4u8).prop_map(|(question, option)| Command::Trivia(TriviaCommand::Answer {
            run: 1,
            question,
            option
        })),
    ];
    prop_oneof![6 => command.prop_map(Step::Command), 4 => (0..3u8).prop_map(Step::Decide), 1 => (1..30u8).prop_map(Step::Wait)]
}

/// Runs `steps` on a new player and returns the state with every event
/// applied, in order.
fn play(steps: &[Step]) -> (UserState, Vec<Event>) {
    let mut state = UserState::new(UserId(1));
    let mut history = Vec::new();
    let mut now = NOW;
    for step in steps {
        let command = match step {
            Step::Command(command) => command.clone(),
            Step::Decide(choice) => match state.progress.story.fragment.clone() {
                Some(here) => {
                    Command::Story(StoryCommand::Decide { fragment: fragment_tag(&here), choice: *choice, page: None })
                }
                None => continue,
            },
            Step::Wait(hours) => {
                now += i64::from(*hours) * 3_600;
                continue;
            }
        };
        if let Ok(events) = support::run_at(&mut state, &command, now) {
            history.extend(events);
        }
    }
    (state, history)
}

/// The state as the store gives it back: the snapshot (`progress`, bincode
/// as `user_snapshots` holds it) decoded, beside the relational columns
/// (profile, balance, inventory).
fn reloaded(state: &UserState) -> UserState {
    let bytes = bincode::serde::encode_to_vec(&state.progress, bincode::config::standard()).expect("encodes");
    let (progress, _) = bincode::serde::decode_from_slice(&bytes, bincode::config::standard()).expect("decodes");
    let mut loaded = UserState::new(state.id);
    loaded.profile = state.profile.clone();
    loaded.wallet = state.wallet.clone();
    loaded.inventory = state.inventory.clone();
    loaded.progress = progress;
    loaded
}

/// Weights where every signal counts for every archetype, differently, so
/// a signal a history moves shows in the scores.
fn every_signal() -> ArchetypeWeights {
    let weights = Archetype::ALL
        .into_iter()
        .enumerate()
        .map(|(a, archetype)| {
            let signals = Signal::ALL.into_iter().enumerate().map(|(s, signal)| (signal, (a * 17 + s * 5 + 1) as u32));
            (archetype, signals.collect())
        })
        .collect();
    ArchetypeWeights { weights, min_score: 0 }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Scores are a function of the event history: the same history
    /// replayed into a fresh state, or the state rebuilt from its stored
    /// snapshot, scores the same, under the content's weights and under
    /// weights where every signal counts.
    #[test]
    fn archetype_scores_are_a_function_of_the_event_history(steps in prop::collection::vec(step(), 0..80)) {
        let content = support::content();
        let (state, history) = play(&steps);
        let mut replayed = UserState::new(UserId(1));
        history.iter().for_each(|event| replayed.apply(event));
        for weights in [content.archetypes().clone(), every_signal()] {
            let scores = Scores::of(&state, &weights);
            prop_assert_eq!(Scores::of(&replayed, &weights), scores);
            prop_assert_eq!(Scores::of(&reloaded(&state), &weights), scores);
            prop_assert_eq!(scores.dominant(weights.min_score), Scores::of(&replayed, &weights).dominant(weights.min_score));
        }
        // Deciding the same history again gives the same scores.
        let (again, _) = play(&steps);
        prop_assert_eq!(Scores::of(&again, content.archetypes()), Scores::of(&state, content.archetypes()));
        prop_assert_eq!(content.style(&again), content.style(&state));
    }

    /// Raising a rollout never turns a flag off for anyone, and never moves
    /// a player from one variant to another.
    #[test]
    fn raising_a_rollout_never_removes_a_player_nor_changes_a_variant(
        name in "[a-z_]{1,12}",
        low in 0..=BUCKETS,
        raise in 0..=BUCKETS,
        users in prop::collection::vec(any::<i64>(), 1..200),
    ) {
        let high = (low + raise).min(BUCKETS);
        let variants = vec![Variant { name: "a".into(), weight: 1 }, Variant { name: "b".into(), weight: 2 }];
        let flag = |rollout| Flag { name: name.clone(), rollout, audience: Audience::default(), variants: variants.clone() };
        let (before, after) = (flag(low), flag(high));
        for user in users {
            let subject = free(user);
            if let Some(variant) = before.evaluate(&subject) {
                prop_assert_eq!(after.evaluate(&subject), Some(variant));
            }
            prop_assert_eq!(before.evaluate(&subject).is_some(), bucket(&name, "rollout", UserId(user)) < low);
        }
    }

    /// An audience admits exactly the players every one of its criteria
    /// admits; an empty criterion admits everyone.
    #[test]
    fn an_audience_admits_exactly_who_matches_every_criterion(
        archetypes in prop::collection::btree_set(0..5usize, 0..3),
        vip in prop::option::of(any::<bool>()),
        english in prop::option::of(any::<bool>()),
        users in prop::collection::btree_set(1..20i64, 0..4),
        user in 1..20i64,
        archetype in prop::option::of(0..5usize),
        is_vip in any::<bool>(),
        in_english in any::<bool>(),
    ) {
        let language = |english: bool| if english { Language::En } else { Language::Es };
        let audience = Audience {
            archetypes: archetypes.iter().map(|&i| Archetype::ALL[i]).collect(),
            vip,
            languages: english.map(language).into_iter().collect(),
            users: users.iter().copied().map(UserId).collect(),
        };
        let subject = Subject {
            user: UserId(user),
            archetype: archetype.map(|i| Archetype::ALL[i]),
            vip: is_vip,
            language: language(in_english),
        };
        let expected = (archetypes.is_empty() || archetype.is_some_and(|i| archetypes.contains(&i)))
            && vip.is_none_or(|vip| vip == is_vip)
            && english.is_none_or(|english| english == in_english)
            && (users.is_empty() || users.contains(&user));
        prop_assert_eq!(audience.admits(&subject), expected);
        let flag = Flag { name: "f".into(), rollout: BUCKETS, audience, variants: Vec::new() };
        prop_assert_eq!(flag.evaluate(&subject).is_some(), expected, "a full rollout is its audience");
    }
}

fn free(user: i64) -> Subject {
    Subject { user: UserId(user), archetype: None, vip: false, language: Language::Es }
}

const IDS: i64 = 100_000;

#[test]
fn bucketing_is_stable_and_close_to_the_rollout_over_a_hundred_thousand_ids() {
    for name in ["style", "offers", "offer_price_test"] {
        let buckets: Vec<u32> = (1..=IDS).map(|id| bucket(name, "rollout", UserId(id))).collect();
        let again: Vec<u32> = (1..=IDS).map(|id| bucket(name, "rollout", UserId(id))).collect();
        assert_eq!(buckets, again, "a bucket is a function of the flag and the id");
        for rollout in [100, 1_000, 2_500, 3_000, 5_000, 7_550, 9_900] {
            let flag = Flag { name: name.into(), rollout, audience: Audience::default(), variants: Vec::new() };
            let on = (1..=IDS).filter(|&id| flag.evaluate(&free(id)).is_some()).count();
            let share = on as f64 * 100.0 / IDS as f64;
            let wanted = f64::from(rollout) / 100.0;
            assert!((share - wanted).abs() <= 0.5, "{name} at {wanted} %: {share:.2} % of {IDS} ids");
        }
    }
}

#[test]
fn variants_take_shares_close_to_their_weights() {
    for weights in [vec![50, 50], vec![70, 20, 10], vec![1, 1, 1, 1]] {
        let variants: Vec<Variant> =
            weights.iter().enumerate().map(|(i, &weight)| Variant { name: format!("v{i}"), weight }).collect();
        let flag = Flag { name: "offer_price_test".into(), rollout: BUCKETS, audience: Audience::default(), variants };
        let mut counts = vec![0usize; weights.len()];
        for id in 1..=IDS {
            let variant = flag.evaluate(&free(id)).expect("on for everyone");
            let index: usize = variant[1..].parse().expect("v<i>");
            counts[index] += 1;
        }
        let total: u32 = weights.iter().sum();
        for (count, weight) in counts.iter().zip(&weights) {
            let share = *count as f64 * 100.0 / IDS as f64;
            let wanted = f64::from(*weight) * 100.0 / f64::from(total);
            assert!((share - wanted).abs() <= 0.5, "{weights:?}: {share:.2} % for a weight of {wanted:.2} %");
        }
    }
}

#[test]
fn variants_do_not_follow_the_rollout_bucket() {
    // Among the players a 30 % rollout admits, the variants still split
    // about evenly: the variant hash is not the rollout hash.
    let flag = Flag {
        name: "offer_price_test".into(),
        rollout: 3_000,
        audience: Audience::default(),
        variants: vec![Variant { name: "control".into(), weight: 1 }, Variant { name: "discount".into(), weight: 1 }],
    };
    let admitted: Vec<&str> = (1..=IDS).filter_map(|id| flag.evaluate(&free(id))).collect();
    let control = admitted.iter().filter(|&&variant| variant == "control").count() as f64 / admitted.len() as f64;
    assert!((control - 0.5).abs() < 0.01, "{control}");
}

// ----- reading archetypes.toml and flags.toml ---------------------------------

fn demo_with(file: &str, text: Option<&str>) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> =
        support::read_dir(&support::demo_dir()).into_iter().filter(|(path, _)| path != file).collect();
    if let Some(text) = text {
        files.push((file.to_owned(), text.to_owned()));
    }
    files
}

fn problems(files: &[(String, String)]) -> Vec<ContentProblem> {
    Content::parse(files).err().unwrap_or_default()
}

/// `(kind, key path, line)` of each problem.
fn located(files: &[(String, String)]) -> Vec<(ProblemKind, String, Option<usize>)> {
    problems(files).into_iter().map(|problem| (problem.kind, problem.key_path, problem.line)).collect()
}

#[test]
fn the_demo_reads_the_seeds_weights_and_its_three_flags() {
    let content = support::content();
    assert_eq!(content.archetypes(), &ArchetypeWeights::default(), "archetypes.toml is the seed's reading");
    let names: Vec<&str> = content.flags().0.keys().map(String::as_str).collect();
    assert_eq!(names, ["offer_price_test", "offers", "style"]);
    let test = content.flags().get("offer_price_test").expect("the experiment");
    assert_eq!(test.rollout, BUCKETS);
    assert_eq!(test.audience.vip, Some(false), "free players only");
    let variants: Vec<(&str, u32)> = test.variants.iter().map(|v| (v.name.as_str(), v.weight)).collect();
    assert_eq!(variants, [("control", 50), ("discount", 50)]);
    assert!(content.flag_description("style").is_some_and(|text| !text.es.is_empty() && !text.en.is_empty()));
}

#[test]
fn without_the_files_the_weights_are_the_seeds_and_no_flag_is_on() {
    let files: Vec<(String, String)> =
        demo_with("flags.toml", None).into_iter().filter(|(path, _)| path != "archetypes.toml").collect();
    let content = Content::parse(&files).expect("valid without the optional files");
    assert_eq!(content.archetypes(), &ArchetypeWeights::default());
    assert!(content.flags().0.is_empty());
    let state = support::reader(NOW);
    assert_eq!(content.flag("style", &state, NOW), None);
}

#[test]
fn archetype_weights_are_read_and_unknown_names_are_problems() {
    let text = "min_score = 4\n[collector]\nitems = 7\n[social]\ngifts_sent = 1\n";
    let content = Content::parse(&demo_with("archetypes.toml", Some(text))).expect("valid");
    let weights = content.archetypes();
    assert_eq!(weights.min_score, 4);
    assert_eq!(weights.weights.get(&Archetype::Collector), Some(&vec![(Signal::Items, 7)]));
    assert_eq!(weights.weights.get(&Archetype::NarrativeLover), None, "left out: scores nothing");

    let broken =
        "min_score = -1\n[collector]\nitems = 7\nhats = 2\n[gambler]\nbids = 1\n[social]\nreactions = \"many\"\n";
    let found = located(&demo_with("archetypes.toml", Some(broken)));
    assert_eq!(
        found,
        [
            (ProblemKind::InvalidValue, "min_score".to_owned(), Some(1)),
            (ProblemKind::UnknownKey, "collector.hats".to_owned(), Some(4)),
            (ProblemKind::UnknownKey, "gambler".to_owned(), Some(5)),
            (ProblemKind::WrongType, "social.reactions".to_owned(), Some(8)),
        ]
    );
}

#[test]
fn flags_are_read_with_percentages_audiences_and_variants() {
    let text = r#"
[[flag]]
name = "a"
rollout = 12.5
audience = { archetypes = ["collector", "social"], vip = true, languages = ["en"], users = [7, 9] }
variants = [{ name = "x", weight = 3 }, { name = "y", weight = 0 }]

[[flag]]
name = "b"
rollout = 0.25
"#;
    let content = Content::parse(&demo_with("flags.toml", Some(text))).expect("valid");
    let a = content.flags().get("a").expect("a");
    assert_eq!(a.rollout, 1_250);
    assert_eq!(a.audience.archetypes, BTreeSet::from([Archetype::Collector, Archetype::Social]));
    assert_eq!(
        (a.audience.vip, a.audience.languages.iter().copied().collect::<Vec<_>>()),
        (Some(true), vec![Language::En])
    );
    assert_eq!(a.audience.users, BTreeSet::from([UserId(7), UserId(9)]));
    assert_eq!(a.variants.len(), 2);
    assert_eq!(content.flags().get("b").map(|b| b.rollout), Some(25));
    assert_eq!(content.flag_description("a"), None);
}

#[test]
fn bad_flags_are_refused_with_file_and_line() {
    let text = r#"[[flag]]
name = "dup"
rollout = 10

[[flag]]
name = "dup"
rollout = 20

[[flag]]
name = "too_much"
rollout = 100.5

[[flag]]
name = "too_fine"
rollout = 12.345

[[flag]]
name = "nameless_variant"
rollout = 50
variants = [{ name = "", weight = 1 }]

[[flag]]
name = "weightless"
rollout = 50
variants = [{ name = "a", weight = 0 }, { name = "b", weight = 0 }]

[[flag]]
name = "strangers"
rollout = 50
audience = { archetypes = ["gambler"], languages = ["fr"], users = [0] }

[[flag]]
name = "twice"
rollout = 50
variants = [{ name = "a", weight = 1 }, { name = "a", weight = 1 }]
colour = "red"
"#;
    let files = demo_with("flags.toml", Some(text));
    let found = located(&files);
    let at = |kind, path: &str, line| (kind, path.to_owned(), Some(line));
    assert_eq!(
        found,
        [
            at(ProblemKind::DuplicateId, "flag.dup", 6),
            at(ProblemKind::InvalidValue, "flag.too_much.rollout", 11),
            at(ProblemKind::InvalidValue, "flag.too_fine.rollout", 15),
            at(ProblemKind::InvalidValue, "flag.nameless_variant.variants[0].name", 20),
            at(ProblemKind::InvalidValue, "flag.weightless.variants", 25),
            at(ProblemKind::InvalidValue, "flag.strangers.audience.archetypes[0]", 30),
            at(ProblemKind::InvalidValue, "flag.strangers.audience.languages[0]", 30),
            at(ProblemKind::InvalidValue, "flag.strangers.audience.users[0]", 30),
            at(ProblemKind::DuplicateId, "flag.twice.variants[1].name", 35),
            at(ProblemKind::UnknownKey, "flag.twice.colour", 36),
        ],
        "{:#?}",
        problems(&files)
    );
}

#[test]
fn a_rollout_changed_on_the_content_is_a_copy_for_known_flags_only() {
    let content = support::content();
    let changed = content.with_flag_rollout("style", Some(3_000)).expect("style exists");
    assert_eq!(changed.flags().get("style").map(|flag| flag.rollout), Some(3_000));
    assert_eq!(changed.flag_as_read("style").map(|flag| flag.rollout), Some(BUCKETS), "the file's rollout is kept");
    assert_eq!(content.flags().get("style").map(|flag| flag.rollout), Some(BUCKETS), "the original is untouched");
    let back = changed.with_flag_rollout("style", None).expect("reset");
    assert_eq!(back.flags(), content.flags());
    assert_eq!(
        content.with_flag_rollout("nope", Some(10)).err(),
        Some(dianabot_game::RuleError::UnknownFlag("nope".into()))
    );
    let (overridden, ignored) = content.with_overrides([("style", 0), ("gone", 500), ("offers", 2_000)]);
    assert_eq!(ignored, ["gone"]);
    assert_eq!(overridden.flags().get("style").map(|flag| flag.rollout), Some(0));
    assert_eq!(overridden.flags().get("offers").map(|flag| flag.rollout), Some(2_000));
}
