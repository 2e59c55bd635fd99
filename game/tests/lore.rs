//! Lore over the demo content: pieces found in fragments, decisions and
//! rewards; recipes reveal once, wrong combinations are refused with a
//! hint; secret codes pay once and cannot be brute-forced.

mod support;

use std::collections::BTreeMap;

use dianabot_game::backpack::CombinationHint;
use dianabot_game::lore::CODE_TRIES_PER_DAY;
use dianabot_game::{
    Command, Event, ItemId, LoreCommand, Malformed, Reason, RuleError, StoryCommand, Unlock, UserState,
};
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

fn combine(state: &mut UserState, pieces: &[&str]) -> Result<Vec<Event>, RuleError> {
    let pieces = pieces.iter().map(|piece| (*piece).to_owned()).collect();
    run(state, &Command::Lore(LoreCommand::Combine { pieces }))
}

fn code(state: &mut UserState, code: &str) -> Result<Vec<Event>, RuleError> {
    run(state, &Command::Lore(LoreCommand::EnterCode { code: code.into() }))
}

fn found(events: &[Event]) -> Vec<&str> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::LorePieceFound { piece } => Some(piece.as_str()),
            _ => None,
        })
        .collect()
}

fn held(state: &UserState) -> Vec<&str> {
    state.progress.backpack.as_deref().map_or_else(Vec::new, |b| b.pieces.iter().map(String::as_str).collect())
}

/// Plays level 1 to every piece it hides: one on entering a fragment
/// (`l1_lucien`), one from the first decision's achievement (a reward),
/// one on taking a decision (`retrato`), and both on the drawer (the
/// decision's and the fragment's).
fn collector() -> UserState {
    let mut state = player();
    assert!(state.progress.backpack.is_none(), "nothing found before the story gives it");
    let asked = choose(&mut state, 1).expect("preguntar");
    assert_eq!(found(&asked), ["guante_blanco", "pagina_arrancada"]);
    choose(&mut state, 0).expect("seguir");
    assert_eq!(found(&choose(&mut state, 0).expect("retrato")), ["velo_terciopelo"]);
    choose(&mut state, 0).expect("volver");
    assert_eq!(found(&choose(&mut state, 1).expect("cajon")), ["lacre_negro", "tinta_violeta"]);
    state
}

#[test]
fn pieces_are_found_once_in_fragments_decisions_and_rewards() {
    let mut state = collector();
    assert_eq!(held(&state), ["guante_blanco", "lacre_negro", "pagina_arrancada", "tinta_violeta", "velo_terciopelo"]);
    // Back through the drawer's fragment: nothing found twice.
    choose(&mut state, 0).expect("guardar");
    choose(&mut state, 2).expect("pasillo");
    assert!(found(&choose(&mut state, 1).expect("marcharse")).is_empty());
}

#[test]
fn a_recipe_reveals_its_secret_fragment_once() {
    let mut state = collector();
    let secret = "l1_secreto_retrato";
    let open = Command::Story(StoryCommand::OpenFragment { fragment: secret.into(), page: None });
    assert_eq!(run(&mut state.clone(), &open), Err(RuleError::FragmentNotReached), "not before the reveal");
    let events = combine(&mut state, &["lacre_negro", "velo_terciopelo", "tinta_violeta"]).expect("the right set");
    assert_eq!(
        events,
        [Event::SecretRevealed { recipe: "retrato_velado".into() }, Event::Unlocked(Unlock::Fragment(secret.into()))]
    );
    assert_eq!(
        combine(&mut state, &["tinta_violeta", "lacre_negro", "velo_terciopelo"]),
        Err(RuleError::AlreadyRevealed { recipe: "retrato_velado".into() })
    );
    let entered = run(&mut state, &open).expect("the secret opens");
    assert!(entered.contains(&Event::FragmentEntered { fragment: secret.into(), secret: true }));
    assert!(state.progress.story.secrets_found.contains(secret));
}

#[test]
fn a_recipe_reveals_an_item_and_besitos_once() {
    let mut state = collector();
    let balance = state.wallet.balance;
    let events = combine(&mut state, &["guante_blanco", "pagina_arrancada"]).expect("the right set");
    assert!(events.contains(&Event::ItemsGranted { item: ItemId("rosa_negra".into()), quantity: 1 }));
    assert!(events.iter().any(|e| matches!(e, Event::Ledger(entry) if entry.reason == Reason::LoreReward)));
    assert_eq!(state.wallet.balance, balance + 15);
    assert_eq!(state.item_count(&ItemId("rosa_negra".into())), 1);
    assert!(combine(&mut state, &["guante_blanco", "pagina_arrancada"]).is_err());
    assert_eq!(state.item_count(&ItemId("rosa_negra".into())), 1, "revealed once");
}

#[test]
fn wrong_combinations_are_refused_with_a_hint_and_change_nothing() {
    let mut state = collector();
    let before = state.clone();
    // One piece of `iniciales` and one that does not belong.
    assert_eq!(
        combine(&mut state, &["guante_blanco", "lacre_negro"]),
        Err(RuleError::WrongCombination {
            hint: Some(CombinationHint { recipe: "iniciales".into(), missing: 1, extra: vec!["lacre_negro".into()] })
        })
    );
    // Two of the three pieces of `retrato_velado`: one missing, none extra.
    assert_eq!(
        combine(&mut state, &["lacre_negro", "tinta_violeta"]),
        Err(RuleError::WrongCombination {
            hint: Some(CombinationHint { recipe: "retrato_velado".into(), missing: 1, extra: vec![] })
        })
    );
    // Every piece at once: the nearest recipe still names the extras.
    let all = ["guante_blanco", "lacre_negro", "pagina_arrancada", "tinta_violeta", "velo_terciopelo"];
    let Err(RuleError::WrongCombination { hint: Some(hint) }) = combine(&mut state, &all) else { panic!("refused") };
    assert_eq!((hint.recipe.as_str(), hint.missing, hint.extra.len()), ("retrato_velado", 0, 2));
    assert_eq!(state, before, "a refusal changes nothing");
}

#[test]
fn pieces_not_held_unknown_or_alone_are_refused() {
    let mut state = player();
    assert_eq!(
        combine(&mut state, &["lacre_negro", "tinta_violeta"]),
        Err(RuleError::PieceNotHeld { piece: "lacre_negro".into() })
    );
    assert_eq!(
        combine(&mut state, &["no_such_piece", "tinta_violeta"]),
        Err(RuleError::Malformed(Malformed::UnknownLorePiece("no_such_piece".into())))
    );
    let mut state = collector();
    assert_eq!(combine(&mut state, &["lacre_negro"]), Err(RuleError::TooFewPieces));
    assert_eq!(combine(&mut state, &["lacre_negro", "lacre_negro"]), Err(RuleError::TooFewPieces));
}

#[test]
fn a_code_pays_once_whatever_its_case() {
    let mut state = player();
    let balance = state.wallet.balance;
    let events = code(&mut state, "  lucien-1887 ").expect("a known code");
    assert_eq!(events[0], Event::CodeRedeemed { code: "lucien".into() });
    assert_eq!(state.wallet.balance, balance + 20);
    assert_eq!(code(&mut state, "LUCIEN-1887"), Err(RuleError::CodeAlreadyUsed));
    assert_eq!(state.wallet.balance, balance + 20);
}

#[test]
fn a_vip_code_is_for_members_and_can_give_lore() {
    let mut state = player();
    assert_eq!(code(&mut state, "noche-violeta"), Err(RuleError::NotVip));
    support::set_vip(&mut state, Some(NOW + 86_400));
    let events = code(&mut state, "Noche-Violeta").expect("a member redeems it");
    assert_eq!(found(&events), ["pagina_arrancada"]);
}

#[test]
fn unknown_codes_are_limited_per_day_even_before_a_right_one() {
    let mut state = player();
    for tried in 1..=CODE_TRIES_PER_DAY {
        let events = code(&mut state, &format!("guess-{tried}")).expect("counted, not refused");
        assert_eq!(events, [Event::CodeMissed { day: NOW / 86_400, count: tried }]);
    }
    let limit = Err(RuleError::TooManyCodeTries { max: CODE_TRIES_PER_DAY });
    assert_eq!(code(&mut state, "guess-again"), limit);
    assert_eq!(code(&mut state, "LUCIEN-1887"), limit, "a right guess is not told apart past the limit");
    let tomorrow = NOW + 86_400;
    let redeemed =
        support::run_at(&mut state, &Command::Lore(LoreCommand::EnterCode { code: "LUCIEN-1887".into() }), tomorrow);
    assert!(redeemed.is_ok(), "{redeemed:?}");
}

#[derive(Debug, Clone)]
enum Step {
    Choose(u8),
    Combine(Vec<usize>),
    Code(usize),
}

const PIECES: [&str; 5] = ["guante_blanco", "velo_terciopelo", "tinta_violeta", "lacre_negro", "pagina_arrancada"];
const CODES: [&str; 4] = ["LUCIEN-1887", "noche-violeta", "nope", "lucien-1888"];

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0u8..4).prop_map(Step::Choose),
        2 => prop::collection::vec(0..PIECES.len(), 1..5).prop_map(Step::Combine),
        1 => (0..CODES.len()).prop_map(Step::Code),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Whatever is played, each secret is revealed and each code redeemed
    /// at most once, a piece is found at most once, and the wallet is the
    /// sum of the ledger.
    #[test]
    fn revealing_is_idempotent_and_the_wallet_is_the_ledger(steps in prop::collection::vec(step(), 1..40), vip in any::<bool>()) {
        let mut state = player();
        support::set_vip(&mut state, vip.then_some(NOW + 86_400));
        let mut ledger: i64 = state.wallet.balance;
        let mut seen: BTreeMap<String, u32> = BTreeMap::new();
        for step in steps {
            let result = match step {
                Step::Choose(choice) => choose(&mut state, choice),
                Step::Combine(indices) => {
                    let pieces: Vec<&str> = indices.iter().map(|&i| PIECES[i]).collect();
                    combine(&mut state, &pieces)
                }
                Step::Code(index) => code(&mut state, CODES[index]),
            };
            for event in result.unwrap_or_default() {
                let key = match &event {
                    Event::Ledger(entry) => { ledger += entry.amount; continue }
                    Event::SecretRevealed { recipe } => format!("secret:{recipe}"),
                    Event::CodeRedeemed { code } => format!("code:{code}"),
                    Event::LorePieceFound { piece } => format!("piece:{piece}"),
                    _ => continue,
                };
                *seen.entry(key).or_default() += 1;
            }
            prop_assert_eq!(state.wallet.balance, ledger);
        }
        for (key, count) in &seen {
            prop_assert_eq!(*count, 1, "{} happened {} times", key, count);
        }
        let backpack = state.progress.backpack.as_deref().cloned().unwrap_or_default();
        prop_assert_eq!(backpack.revealed.len(), seen.keys().filter(|k| k.starts_with("secret:")).count());
        prop_assert_eq!(backpack.pieces.len(), seen.keys().filter(|k| k.starts_with("piece:")).count());
    }
}

#[test]
fn a_code_is_redeemed_only_within_its_window() {
    use dianabot_game::content::Content;
    use dianabot_game::{Ctx, Rules, decide};
    let mut files = support::read_dir(&support::demo_dir());
    let (_, lore) = files.iter_mut().find(|(path, _)| path == "lore.toml").expect("lore.toml");
    // NOW is 2023-11-14T22:13:20Z.
    lore.push_str(
        "\n[[code]]\nid = \"ventana\"\ncode = \"VENTANA\"\nfrom = 2023-11-14T22:13:21Z\n\
         until = 2023-11-15T00:00:00Z\nrewards = { besitos = 1 }\n",
    );
    let content = Content::parse(&files).expect("valid content");
    let rules = Rules::default();
    let enter = Command::Lore(LoreCommand::EnterCode { code: "ventana".into() });
    let at = |now| Ctx { now, rules: &rules, content: &content, update_id: None };
    let state = player();
    // Not valid yet: not told apart from an unknown code.
    assert_eq!(decide(&state, &enter, at(NOW)), Ok(vec![Event::CodeMissed { day: NOW / 86_400, count: 1 }]));
    let redeemed = decide(&state, &enter, at(NOW + 60)).expect("within the window");
    assert_eq!(redeemed[0], Event::CodeRedeemed { code: "ventana".into() });
    assert_eq!(decide(&state, &enter, at(1_700_006_400)), Err(RuleError::CodeExpired));
}
