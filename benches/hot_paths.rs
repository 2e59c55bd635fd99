//! Criterion micro-benchmarks of the hot paths: deciding and applying a
//! command, building a write (snapshot encoding), the actor round trip, and
//! rendering the replies the bench's story steps get.

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use dianabot::telegram::callback::CallbackCodec;
use dianabot::telegram::screens::{self, Screen, Ui};
use dianabot_actors::{ActorConfig, Router};
use dianabot_game::content::ReactionTarget;
use dianabot_game::{
    AdminCommand, Besitos, Command, Ctx, Language, PostRef, ProfileCommand, ReactionCommand, Rules, UserId, UserState,
    decide,
};
use dianabot_persistence::{FlushConfig, Flusher, Store, UserWrite};

fn registered_user() -> UserState {
    let rules = Rules::default();
    let content = dianabot::content::load_demo().unwrap();
    let mut state = UserState::new(UserId(1));
    let ctx = Ctx { now: 1_700_000_000, rules: &rules, content: &content, update_id: None };
    let register =
        Command::Profile(ProfileCommand::Register { first_name: "Ana".into(), username: None, language: Language::Es });
    decide(&state, &register, ctx).unwrap().iter().for_each(|event| state.apply(event));
    for message_id in 0..20 {
        let react = Command::Reaction(ReactionCommand::React {
            post: PostRef { chat_id: -100, message_id },
            target: ReactionTarget::FreePost,
            emojis: vec!["❤".into()],
        });
        decide(&state, &react, ctx).unwrap().iter().for_each(|event| state.apply(event));
    }
    state
}

fn rules(c: &mut Criterion) {
    let rules = Rules::default();
    let content = dianabot::content::load_demo().unwrap();
    let ctx = Ctx { now: 1_700_000_000, rules: &rules, content: &content, update_id: None };
    let state = registered_user();
    let grant = Command::Admin(AdminCommand::AdminGrant(Besitos::new(5).unwrap()));
    c.bench_function("decide+apply grant", |b| {
        b.iter(|| {
            let mut state = state.clone();
            let events = decide(&state, &grant, ctx).unwrap();
            events.iter().for_each(|event| state.apply(event));
            state
        })
    });
    let react = Command::Reaction(ReactionCommand::React {
        post: PostRef { chat_id: -100, message_id: 999 },
        target: ReactionTarget::FreePost,
        emojis: vec!["🔥".into()],
    });
    c.bench_function("decide reaction", |b| b.iter(|| decide(&state, &react, ctx).unwrap()));
    let events = decide(&state, &grant, ctx).unwrap();
    c.bench_function("UserWrite::from_events (snapshot encoding)", |b| {
        b.iter(|| UserWrite::from_events(&state, &events, 1_700_000_000))
    });
}

fn actor_round_trip(c: &mut Criterion) {
    let system = actix_rt::System::new();
    let path = std::env::temp_dir().join("dianabot-criterion.db");
    let _ = std::fs::remove_file(&path);
    let router = system.block_on(async {
        let store = Store::open(&format!("sqlite:{}", path.display())).await.unwrap();
        let (flusher, _) = Flusher::spawn(store.clone(), FlushConfig::default());
        let router = Router::start(
            ActorConfig::default(),
            store,
            flusher,
            Arc::new(Rules::default()),
            Arc::new(dianabot::content::load_demo().unwrap()),
        );
        router.view(UserId(1), |_| ()).await.unwrap();
        router
    });
    c.bench_function("actor round trip (view, resident)", |b| {
        b.iter(|| system.block_on(router.view(UserId(1), |state| state.wallet.balance)).unwrap())
    });
}

/// Requirement evaluation against the demo content: the any-of gate of the
/// last level (nested alternatives, hints) and a plain item gate.
fn requirements(c: &mut Criterion) {
    let content = dianabot::content::load_demo().unwrap();
    let state = registered_user();
    let any_of = content.decision("l6_decision", "escribir").expect("demo decision").requirement();
    c.bench_function("evaluate any-of requirement (missing, with hints)", |b| {
        b.iter(|| dianabot_game::content::evaluate(&any_of, &state, &content, 1_700_000_000))
    });
    let item_gate = content.decision("l2_biblioteca", "vitrina").expect("demo decision").requirement();
    c.bench_function("evaluate item requirement (missing, with hints)", |b| {
        b.iter(|| dianabot_game::content::evaluate(&item_gate, &state, &content, 1_700_000_000))
    });
}

/// The two replies a story step of the bench's target mix is answered with
/// (the menu and the page the player stands on), in Spanish: each renders
/// its texts from the Fluent files and signs its buttons.
fn replies(c: &mut Criterion) {
    let content = dianabot::content::load_demo().unwrap();
    let codec = CallbackCodec::new(b"bench secret");
    let ui = Ui { codec: &codec, content: &content, now: 1_700_000_000 };
    let mut state = registered_user();
    state.progress.story.fragment = Some("l1_umbral".to_owned());
    c.bench_function("render reply: menu", |b| b.iter(|| screens::render(Screen::Menu, &state, &[], ui)));
    c.bench_function("render reply: story page", |b| b.iter(|| screens::render(Screen::Story, &state, &[], ui)));
}

criterion_group!(benches, rules, requirements, replies, actor_round_trip);
criterion_main!(benches);
