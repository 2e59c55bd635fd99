//! The demo content shipped in `content/` is valid, has the promised shape,
//! and is playable end to end: a scripted player walks from the first door
//! to the secret ending through the real rules, and every refusal explains
//! what is missing and where to get it.

mod support;

use std::collections::BTreeSet;

use dianabot_game::content::{Content, Hint, Lack, MAX_LEVEL, ShopItemId, evaluate};
use dianabot_game::story::fragment_tag;
use dianabot_game::{Command, Ctx, ItemId, Language, Profile, Rules, StoryCommand, UserId, UserState, decide};

const NOW: i64 = 1_750_000_000;
const DAY: i64 = 86_400;

fn demo() -> Content {
    let files = support::read_dir(&support::demo_dir());
    match Content::parse(&files) {
        Ok(content) => content,
        Err(problems) => {
            let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
            panic!("demo content has {} problems:\n{}", problems.len(), listed.join("\n"))
        }
    }
}

fn new_player() -> UserState {
    let mut state = UserState::new(UserId(7));
    state.profile = Some(Profile {
        first_name: "Ada".to_owned(),
        username: None,
        language: Language::Es,
        registered_at: NOW,
        broadcasts_opt_out: false,
    });
    state.wallet.balance = 10;
    state
}

/// A player reading the story through the real rules (`decide` + `apply`).
struct Player<'c> {
    content: &'c Content,
    state: UserState,
    at: String,
}

impl<'c> Player<'c> {
    fn new(content: &'c Content) -> Player<'c> {
        let mut state = new_player();
        state.progress.story.fragment = Some(content.start().to_string());
        Player { content, state, at: content.start().to_string() }
    }

    fn evaluate(&self, decision: &str) -> dianabot_game::content::Evaluation {
        self.content
            .evaluate_decision(&self.at, decision, &self.state, NOW)
            .unwrap_or_else(|| panic!("no decision `{decision}` in `{}`", self.at))
    }

    fn take(&mut self, decision: &str) {
        let evaluation = self.evaluate(decision);
        assert!(evaluation.allowed, "`{}/{decision}` refused: {:?}", self.at, evaluation.missing);
        let fragment = self.content.fragment(&self.at).expect("fragment");
        let choice = fragment.decisions.iter().position(|d| d.id.as_str() == decision).expect("decision offered");
        let rules = Rules::default();
        let ctx = Ctx { now: NOW, rules: &rules, content: self.content, update_id: None };
        let command =
            Command::Story(StoryCommand::Decide { fragment: fragment_tag(&self.at), choice: choice as u8, page: None });
        let events = decide(&self.state, &command, ctx).unwrap_or_else(|err| panic!("`{}/{decision}`: {err}", self.at));
        events.iter().for_each(|event| self.state.apply(event));
        self.at = self.state.progress.story.fragment.clone().expect("in the story");
    }

    fn walk(&mut self, decisions: &[&str]) {
        for decision in decisions {
            self.take(decision);
        }
    }
}

#[test]
fn demo_content_has_the_promised_shape() {
    let content = demo();
    let fragments: Vec<_> = content.fragments().collect();
    assert!(fragments.len() >= 30, "at least 30 fragments, got {}", fragments.len());
    for level in 1..=MAX_LEVEL {
        assert!(fragments.iter().any(|f| f.level == level), "level {level} has fragments");
        let vip = content.level(level).expect("level defined").vip;
        assert_eq!(vip, level >= 4, "levels 1-3 free, 4-6 VIP");
    }
    assert!(fragments.iter().filter(|f| f.ending).count() >= 3, "at least 3 endings");
    assert!(fragments.iter().filter(|f| f.secret).count() >= 2, "at least 2 secrets");
    for fragment in &fragments {
        assert!(!fragment.text.es.is_empty() && !fragment.text.en.is_empty());
    }
    let gates: Vec<_> = fragments.iter().flat_map(|f| &f.decisions).map(|d| d.requirement()).collect();
    let conditions: Vec<String> = gates.iter().flat_map(|r| r.conditions()).map(|c| format!("{c:?}")).collect();
    for kind in ["Item", "Achievement", "Vip", "MinBesitos", "MinLevel", "Flag"] {
        assert!(conditions.iter().any(|c| c.starts_with(kind)), "some decision is gated by {kind}");
    }
    assert!(content.items().count() >= 3 && content.achievements().count() >= 3);
}

#[test]
fn a_free_player_reaches_the_garden_ending_but_not_the_salon() {
    let content = demo();
    let mut player = Player::new(&content);
    player.walk(&["entrar", "cajon", "guardar", "pasillo", "biblioteca", "entrar", "leer_carta", "doblar"]);
    player.walk(&["poesia", "volver", "jardin", "invernadero", "preguntar"]);
    assert_eq!(player.at, "l3_confidencia");

    let refused = player.evaluate("audiencia");
    assert!(!refused.allowed);
    assert_eq!(refused.missing.len(), 1);
    assert_eq!(refused.missing[0].lack, Lack::Vip);
    let hints = &refused.missing[0].hints;
    assert!(hints.contains(&Hint::Shop(ShopItemId::new("pase_vip_prueba"))), "the trial pass grants VIP");
    assert_eq!(hints.last(), Some(&Hint::SubscribeVip));

    player.take("marcharse");
    let ending = content.fragment(&player.at).expect("fragment");
    assert!(ending.ending && !content.is_vip_fragment(ending));
}

#[test]
fn a_vip_player_walks_from_the_door_to_the_secret_ending() {
    let content = demo();
    let mut player = Player::new(&content);
    // The antechamber: the letter in the drawer, a look at the veiled portrait.
    player.walk(&["entrar", "cajon", "guardar", "retrato", "volver", "pasillo", "biblioteca"]);
    // The library: the letter opens the way to the garden; the poems hold a rose.
    player.walk(&["entrar", "leer_carta", "doblar", "poesia", "volver"]);
    let locked = player.evaluate("vitrina");
    let silver_key = ItemId("llave_plata".to_owned());
    assert!(
        matches!(&locked.missing[..], [m] if matches!(&m.lack, Lack::Item { item, have: 0, needed: 1 } if *item == silver_key))
    );
    assert!(
        locked.missing[0].hints.iter().any(|h| matches!(h, Hint::Decision { fragment, decision } if fragment.as_str() == "l3_fuente" && decision.as_str() == "mano")),
        "the hint points to the fountain: {:?}",
        locked.missing[0].hints
    );
    // The garden: the key in the fountain, back to open the cabinet (a secret).
    player.walk(&["jardin", "fuente", "mano", "guardar", "biblioteca", "vitrina", "cerrar", "jardin"]);
    player.walk(&["invernadero", "preguntar"]);
    // A week's invitation makes the player VIP.
    support::set_vip(&mut player.state, Some(NOW + 7 * DAY));
    player.walk(&["audiencia", "entrar", "rosa", "hablar", "verdad", "subir", "subir"]);
    // The observatory: the star chart from the cabinet reveals the second secret.
    player.walk(&["mapa", "habitacion", "llave", "abrir", "espejo", "decidir"]);
    assert_eq!(player.at, "l6_decision");
    player.take("quedarse");
    let ending = content.fragment(&player.at).expect("fragment");
    assert!(ending.ending && ending.secret, "reached {}", ending.id);
    let earned: BTreeSet<&str> = player.state.progress.achievements.iter().map(String::as_str).collect();
    assert!(earned.is_superset(&BTreeSet::from(["guardian_secretos", "astronomo", "rosa_aceptada", "confidente"])));
}

#[test]
fn an_any_of_gate_lists_each_alternative_and_how_to_get_it() {
    let content = demo();
    let decision = content.decision("l6_decision", "escribir").expect("decision");
    let evaluation = evaluate(&decision.requirement(), &new_player(), &content, NOW);
    assert!(!evaluation.allowed);
    let [missing] = &evaluation.missing[..] else { panic!("one missing group: {:?}", evaluation.missing) };
    let Lack::OneOf(alternatives) = &missing.lack else { panic!("an any-of group: {missing:?}") };
    assert_eq!(alternatives.len(), 2);
    assert!(alternatives.iter().all(|alternative| alternative.len() == 1 && !alternative[0].hints.is_empty()));
}

#[test]
fn every_gate_of_the_demo_says_how_to_get_what_it_asks_for() {
    let content = demo();
    let state = new_player();
    for fragment in content.fragments() {
        for decision in &fragment.decisions {
            let evaluation = evaluate(&decision.requirement(), &state, &content, NOW);
            let mut pending = evaluation.missing.clone();
            while let Some(missing) = pending.pop() {
                match &missing.lack {
                    Lack::OneOf(alternatives) => pending.extend(alternatives.iter().flatten().cloned()),
                    Lack::ForbiddenFlag(_) => {}
                    lack => assert!(!missing.hints.is_empty(), "{}/{}: no hint for {lack:?}", fragment.id, decision.id),
                }
            }
        }
    }
}
