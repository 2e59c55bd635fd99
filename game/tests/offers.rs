//! Contextual offers over the demo content (`offers.toml`) with the
//! `offers` flag on and the `offer_price_test` experiment: who sees which
//! offer at the VIP door, the frequency cap, expiry on the durable timer,
//! the experiment's price from the player's bucket, buying through the
//! purchase saga's steps at the offer's price, and re-delivery.

mod support;

use std::sync::OnceLock;

use dianabot_game::archetype::Archetype;
use dianabot_game::content::Content;
use dianabot_game::flags::{Audience, Flag, Flags, OFFERS, Subject, Variant};
use dianabot_game::{
    AdminCommand, Besitos, Command, Currency, Event, ItemId, Language, OfferCommand, ProfileCommand, Reason, RuleError,
    ShopCommand, StoryCommand, Timer, TimerName, UserId, UserState,
};

/// 2026-11-30T12:00:00Z.
const NOW: i64 = 1_796_040_000;
const DAY: i64 = 24 * 60 * 60;

fn flag(name: &str, variants: &[&str], audience: Audience) -> Flag {
    Flag {
        name: name.to_owned(),
        rollout: 10_000,
        audience,
        variants: variants.iter().map(|&name| Variant { name: name.to_owned(), weight: 50 }).collect(),
    }
}

/// The demo content with `offers` on for everyone and `offer_price_test`
/// splitting free players 50/50 into `control` and `discount`.
fn content() -> &'static Content {
    static CONTENT: OnceLock<Content> = OnceLock::new();
    CONTENT.get_or_init(|| {
        let free = Audience { vip: Some(false), ..Audience::default() };
        let flags = [flag(OFFERS, &[], Audience::default()), flag("offer_price_test", &["control", "discount"], free)];
        support::content().with_flags(Flags(flags.into_iter().map(|flag| (flag.name.clone(), flag)).collect()))
    })
}

fn run(state: &mut UserState, command: Command, now: i64) -> Result<Vec<Event>, RuleError> {
    support::run_with(state, content(), &command, now)
}

fn player(id: i64, now: i64) -> UserState {
    let mut state = UserState::new(UserId(id));
    let register =
        Command::Profile(ProfileCommand::Register { first_name: "Ana".into(), username: None, language: Language::Es });
    run(&mut state, register, now).expect("register");
    state
}

/// A player whose items make them a collector.
fn collector(id: i64, now: i64) -> UserState {
    let mut state = player(id, now);
    for item in ["rosa_negra", "mapa_estelar", "reloj_bolsillo", "libro_poemas"] {
        state.inventory.insert(ItemId(item.to_owned()), 1);
    }
    assert_eq!(content().style(&state).map(|style| style.archetype), Some(Archetype::Collector));
    state
}

/// A player whose decisions make them a narrative lover.
fn reader(id: i64, now: i64) -> UserState {
    let mut state = player(id, now);
    state.progress.counters.insert("decisions".to_owned(), 6);
    assert_eq!(content().style(&state).map(|style| style.archetype), Some(Archetype::NarrativeLover));
    state
}

fn vip_door(state: &mut UserState, now: i64) -> Vec<Event> {
    let open = StoryCommand::OpenFragment { fragment: "l4_antesala".into(), page: None };
    run(state, Command::Story(open), now).expect("the VIP door")
}

fn shown(events: &[Event]) -> Vec<&str> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::OfferShown(shown) => Some(shown.offer.as_str()),
            _ => None,
        })
        .collect()
}

fn timers(events: &[Event]) -> Vec<&Event> {
    events.iter().filter(|event| matches!(event, Event::TimerSet(_) | Event::TimerCleared(_))).collect()
}

fn debited(events: &[Event]) -> i64 {
    events
        .iter()
        .filter_map(|event| match event {
            Event::Ledger(entry) if entry.reason == Reason::Purchase => Some(-entry.amount),
            _ => None,
        })
        .sum()
}

/// A collector in the experiment's `variant`.
fn collector_in(variant: &str) -> UserState {
    let experiment = content().flags().get("offer_price_test").expect("the experiment");
    (1..200)
        .map(|id| collector(id, NOW))
        .find(|state| {
            let subject: Subject = content().subject(state, NOW);
            experiment.evaluate(&subject) == Some(variant)
        })
        .expect("a player in each variant among 200")
}

#[test]
fn a_collector_and_a_reader_see_different_offers_at_the_vip_door_and_a_new_player_the_default() {
    let mut collector = collector(1, NOW);
    let mut reader = reader(2, NOW);
    let mut newcomer = player(3, NOW);
    assert_eq!(shown(&vip_door(&mut collector, NOW)), ["puerta_coleccionista"]);
    assert_eq!(shown(&vip_door(&mut reader, NOW)), ["puerta_lectora"]);
    assert_eq!(shown(&vip_door(&mut newcomer, NOW)), ["puerta_invitacion"]);
}

#[test]
fn nothing_is_shown_where_the_offers_flag_is_off() {
    let mut state = collector(1, NOW);
    let off = content().with_flags(Flags::default());
    let events = support::run_with(
        &mut state,
        &off,
        &Command::Story(StoryCommand::OpenFragment { fragment: "l4_antesala".into(), page: None }),
        NOW,
    )
    .expect("the VIP door");
    assert!(shown(&events).is_empty(), "no flags, no offers: {events:?}");
    assert_eq!(state.progress.offers, None, "and no box");
}

#[test]
fn the_offer_expires_on_its_timer_and_cannot_be_bought_after() {
    let mut state = collector(1, NOW);
    let events = vip_door(&mut state, NOW);
    let due = NOW + 60 * 60;
    assert_eq!(timers(&events), [&Event::TimerSet(Timer { name: TimerName::OfferExpiry, due })]);
    assert_eq!(
        run(&mut state, Command::Offer(OfferCommand::Open { offer: "puerta_coleccionista".into() }), NOW + 5)
            .expect("opened")
            .len(),
        1
    );

    let timer = Timer { name: TimerName::OfferExpiry, due };
    let fired = run(&mut state, Command::Timer(timer), due).expect("fired");
    assert!(matches!(&fired[..], [Event::TimerCleared(cleared), Event::OfferExpired(gone)]
        if *cleared == timer && gone.offer == "puerta_coleccionista" && gone.opened));
    assert_eq!(state.progress.offers.as_deref().map(|offers| offers.active.len()), Some(0));

    let balance = state.wallet.balance;
    let buy = OfferCommand::StartPurchase { purchase: 1 << 33, offer: "puerta_coleccionista".into() };
    assert_eq!(run(&mut state, Command::Offer(buy), due + 1), Err(RuleError::OfferExpired));
    assert_eq!(state.wallet.balance, balance, "nothing charged");
    let again = run(&mut state, Command::Timer(timer), due + 2).expect("a re-delivered firing");
    assert_eq!(again, [Event::TimerCleared(timer)], "expires once");
}

#[test]
fn the_cap_holds_within_its_days_and_lets_the_offer_back_after() {
    let mut state = collector(1, NOW);
    assert_eq!(shown(&vip_door(&mut state, NOW)).len(), 1);
    assert!(shown(&vip_door(&mut state, NOW + 60)).is_empty(), "running already");
    let due = NOW + 60 * 60;
    run(&mut state, Command::Timer(Timer { name: TimerName::OfferExpiry, due }), due).expect("expired");
    assert!(shown(&vip_door(&mut state, due + 60)).is_empty(), "capped: once a week");
    assert!(shown(&vip_door(&mut state, NOW + 7 * DAY - 1)).is_empty(), "still within the week");
    assert_eq!(shown(&vip_door(&mut state, NOW + 7 * DAY)), ["puerta_coleccionista"], "a week on");
}

#[test]
fn the_experiment_variant_from_the_bucket_sets_the_price_and_buying_goes_through_the_saga_steps() {
    for (variant, price) in [("control", 15), ("discount", 10)] {
        let mut state = collector_in(variant);
        state.wallet.balance = 100;
        let events = vip_door(&mut state, NOW);
        let Some(Event::OfferShown(offer)) = events.iter().find(|e| matches!(e, Event::OfferShown(_))) else {
            panic!("no offer: {events:?}")
        };
        assert_eq!(offer.experiment, Some(("offer_price_test".to_owned(), variant.to_owned())));

        let purchase = 1 << 33;
        let buy = Command::Offer(OfferCommand::StartPurchase { purchase, offer: "puerta_coleccionista".into() });
        let started = run(&mut state, buy.clone(), NOW + 10).expect("paid");
        assert_eq!(debited(&started), price, "{variant} pays {price}");
        assert!(
            timers(&started).contains(&&Event::TimerCleared(Timer { name: TimerName::OfferExpiry, due: NOW + 3600 })),
            "an offer being bought does not expire"
        );
        assert_eq!(run(&mut state, buy, NOW + 11), Ok(Vec::new()), "a re-delivered step 1");
        let again = OfferCommand::StartPurchase { purchase: purchase + 1, offer: "puerta_coleccionista".into() };
        assert_eq!(run(&mut state, Command::Offer(again), NOW + 12), Err(RuleError::OfferTaken));

        let done = run(&mut state, Command::Shop(ShopCommand::FulfilPurchase { purchase }), NOW + 13).expect("done");
        assert!(
            done.iter().any(|event| matches!(event, Event::OfferBought { shown, currency: Currency::Besitos, amount }
            if shown.offer == "puerta_coleccionista" && *amount == price as u64))
        );
        assert_eq!(state.wallet.balance, 100 - price);
        assert_eq!(state.item_count(&ItemId("rosa_negra".into())), 2, "the item delivered");
        let rebuy = OfferCommand::StartPurchase { purchase: purchase + 2, offer: "puerta_coleccionista".into() };
        assert_eq!(run(&mut state, Command::Offer(rebuy), NOW + 14), Err(RuleError::OfferExpired), "bought once");
    }
}

#[test]
fn a_refunded_offer_purchase_puts_the_offer_back_and_its_timer_with_it() {
    let mut state = collector(1, NOW);
    state.wallet.balance = 100;
    vip_door(&mut state, NOW);
    let purchase = 1 << 33;
    let buy = OfferCommand::StartPurchase { purchase, offer: "puerta_coleccionista".into() };
    run(&mut state, Command::Offer(buy), NOW + 10).expect("paid");
    let aborted = run(&mut state, Command::Shop(ShopCommand::AbortPurchase { purchase }), NOW + 20).expect("refund");
    assert!(aborted.contains(&Event::OfferPurchaseReleased { offer: "puerta_coleccionista".into() }));
    assert!(aborted.contains(&Event::TimerSet(Timer { name: TimerName::OfferExpiry, due: NOW + 3600 })));
    assert_eq!(state.wallet.balance, 100);
}

#[test]
fn a_trial_offer_grants_its_days_once_and_an_unknown_offer_is_refused() {
    let mut state = reader(2, NOW);
    vip_door(&mut state, NOW);
    let accept = Command::Offer(OfferCommand::Accept { offer: "puerta_lectora".into() });
    let events = run(&mut state, accept.clone(), NOW + 10).expect("taken");
    assert!(events.iter().any(|event| matches!(event, Event::OfferBought { amount: 0, .. })));
    assert!(content().is_vip(&state, NOW + 2 * DAY));
    assert_eq!(run(&mut state, accept, NOW + 11), Err(RuleError::OfferExpired), "once");
    let unknown = Command::Offer(OfferCommand::Open { offer: "puerta_coleccionista".into() });
    assert_eq!(run(&mut state, unknown, NOW + 12), Err(RuleError::UnknownOffer), "never shown to this player");
}

#[test]
fn offers_toml_problems_are_reported_with_file_and_line() {
    let mut files = support::read_dir(&support::demo_dir());
    files.retain(|(path, _)| path != "offers.toml");
    let broken = r#"
[[offer]]
id = "roto"
name.es = "Roto"
name.en = "Broken"
text.es = "Roto"
text.en = "Broken"
trigger = "vip_window"
item = "no_such_item"
price = { besitos = 5, stars = 2 }
expires_minutes = 0
cap = { shows = 99, days = 1 }
audience = { archetypes = ["gambler"] }
"#;
    files.push(("offers.toml".to_owned(), broken.to_owned()));
    let problems = Content::parse(&files).expect_err("broken offers");
    let lines: Vec<(String, Option<usize>)> =
        problems.iter().filter(|p| p.file == "offers.toml").map(|p| (p.key_path.clone(), p.line)).collect();
    for (path, line) in [
        ("offer.roto.trigger", 8),
        ("offer.roto.price", 10),
        ("offer.roto.expires_minutes", 11),
        ("offer.roto.cap.shows", 12),
        ("offer.roto.audience.archetypes[0]", 13),
    ] {
        assert!(lines.contains(&(path.to_owned(), Some(line))), "{path}:{line} in {lines:?}");
    }
}

// offers2: the balance_short and inactive_return triggers, over the demo
// content with two offers of theirs added.

const MORE_OFFERS: &str = r#"
[[offer]]
id = "casi_rosa"
name.es = "Casi tuya"
name.en = "Almost yours"
text.es = "Lucien guarda la rosa un momento más."
text.en = "Lucien keeps the rose a moment longer."
trigger = "balance_short"
short_percent = 40
item = "rosa_negra"
price = { besitos = 15 }
expires_minutes = 60
cap = { shows = 1, days = 7 }

[[offer]]
id = "de_vuelta"
name.es = "De vuelta"
name.en = "Welcome back"
text.es = "Diana sonríe: «Has tardado»."
text.en = "Diana smiles: “You took your time.”"
trigger = "inactive_return"
inactive_days = 7
item = "rosa_negra"
price = { besitos = 20 }
expires_minutes = 60
cap = { shows = 1, days = 7 }
"#;

/// [`content`] with [`MORE_OFFERS`] at the end of `offers.toml`.
fn more_content() -> &'static Content {
    static CONTENT: OnceLock<Content> = OnceLock::new();
    CONTENT.get_or_init(|| {
        let mut files = support::read_dir(&support::demo_dir());
        let offers = files.iter_mut().find(|(path, _)| path == "offers.toml").expect("offers.toml");
        offers.1.push_str(MORE_OFFERS);
        let parsed = Content::parse(&files).unwrap_or_else(|problems| panic!("{problems:?}"));
        parsed.with_flags(content().flags().clone())
    })
}

fn run_more(state: &mut UserState, command: Command, now: i64) -> Result<Vec<Event>, RuleError> {
    support::run_with(state, more_content(), &command, now)
}

fn grant(state: &mut UserState, besitos: i64, now: i64) -> Vec<Event> {
    let command = Command::Admin(AdminCommand::AdminGrant(Besitos::new(besitos).expect("besitos")));
    run_more(state, command, now).expect("granted")
}

#[test]
fn balance_short_shows_the_offer_when_the_balance_moves_to_within_its_percent_of_the_item() {
    // rosa_negra costs 25 in the shop; 40% short is 10 besitos.
    for (balance, granted, expected) in [
        (10, 5, true),   // 15: short 10, exactly 40%
        (10, 14, true),  // 24: short 1
        (10, 4, false),  // 14: short 11, 44%
        (20, 5, false),  // 25: affordable
        (30, 10, false), // 40: affordable
    ] {
        let mut state = player(1, NOW);
        state.wallet.balance = balance;
        let events = grant(&mut state, granted, NOW + 10);
        let offered = shown(&events) == ["casi_rosa"];
        assert_eq!(offered, expected, "balance {} -> {}: {events:?}", balance, balance + granted);
    }
}

#[test]
fn balance_short_fires_on_spending_too_and_not_without_a_balance_move_and_holds_its_cap() {
    let mut state = player(1, NOW);
    state.wallet.balance = 40;
    let spend = Command::Admin(AdminCommand::AdminDeduct(Besitos::new(20).expect("besitos")));
    assert_eq!(shown(&run_more(&mut state, spend.clone(), NOW + 10).expect("spent")), ["casi_rosa"], "40 -> 20");
    let open = Command::Offer(OfferCommand::Open { offer: "casi_rosa".into() });
    let opened = run_more(&mut state, open, NOW + 11).expect("opened");
    assert!(shown(&opened).is_empty(), "no balance move, no showing");
    let due = NOW + 10 + 3600;
    run_more(&mut state, Command::Timer(Timer { name: TimerName::OfferExpiry, due }), due).expect("expired");
    state.wallet.balance = 40;
    assert!(shown(&run_more(&mut state, spend, due + 1).expect("spent")).is_empty(), "capped: once a week");
}

#[test]
fn inactive_return_shows_the_offer_on_the_first_command_after_its_days_away() {
    let mut state = player(1, NOW);
    assert_eq!(state.progress.daily_gift.last_active_day, (NOW / DAY) as u32, "registering records the day");
    let open = |state: &mut UserState, now: i64| {
        let command = Command::Story(StoryCommand::OpenFragment { fragment: "l1_umbral".into(), page: None });
        run_more(state, command, now)
    };
    // Six days away: not enough.
    let back = open(&mut state, NOW + 6 * DAY).expect("opened");
    assert!(shown(&back).is_empty(), "{back:?}");
    assert!(back.contains(&Event::ActiveOn { day: (NOW / DAY) as u32 + 6 }));
    let again = open(&mut state, NOW + 6 * DAY + 60).expect("opened");
    assert!(!again.iter().any(|event| matches!(event, Event::ActiveOn { .. })), "once a day");

    // Seven days after that: shown, once.
    let later = NOW + 13 * DAY;
    let timer = Command::Timer(Timer { name: TimerName::OfferExpiry, due: later });
    let fired = run_more(&mut state, timer, later).expect("a timer is not the player");
    assert!(!fired.iter().any(|event| matches!(event, Event::ActiveOn { .. } | Event::OfferShown(_))));
    let grant = Command::Admin(AdminCommand::AdminGrant(Besitos::new(1).expect("besitos")));
    let granted = run_more(&mut state, grant, later).expect("granted");
    assert!(!granted.iter().any(|event| matches!(event, Event::ActiveOn { .. })), "an operator is not the player");
    let back = open(&mut state, later + 1).expect("opened");
    assert_eq!(shown(&back), ["de_vuelta"], "{back:?}");
    assert!(shown(&open(&mut state, later + DAY).expect("opened")).is_empty(), "a day later is no return");
}

#[test]
fn the_last_active_day_costs_the_state_no_bytes() {
    // It fills the padding after the streak's u32: an `Option<i64>` and a
    // u32 took 24 bytes already.
    let size = std::mem::size_of::<dianabot_game::DailyGiftStreak>();
    eprintln!("size_of::<Progress>() = {}", std::mem::size_of::<dianabot_game::Progress>());
    assert_eq!(size, 24);
}

// offers-stars: offers paid in Telegram Stars (the demo's
// `mapa_en_estrellas` at `l2_poesia`, `despedida_anual` at `l1_despedida`)
// and a VIP plan in besitos (added below).

/// The ctx the pre-checkout asks with.
fn pre_checkout(state: &UserState, offer: &str, stars: u32, now: i64) -> Result<(), RuleError> {
    let rules = dianabot_game::Rules::default();
    let ctx = dianabot_game::Ctx { now, rules: &rules, content: content(), update_id: None };
    dianabot_game::offer::pre_checkout(state, offer, stars, ctx)
}

/// The story from its start to the library's poems (`l2_poesia`).
const TO_POEMS: [&str; 6] = ["l1_umbral", "l1_vestibulo", "l1_pasillo", "l2_puerta", "l2_biblioteca", "l2_poesia"];
/// The story from its start to the first night's farewell (`l1_despedida`).
const TO_FAREWELL: [&str; 4] = ["l1_umbral", "l1_vestibulo", "l1_pasillo", "l1_despedida"];

/// Walks `path` a step at a time (each a decision from the last) in
/// `content`; returns what each step decided.
fn walk_in(content: &Content, state: &mut UserState, path: &[&str], now: i64) -> Vec<Vec<Event>> {
    let step = |fragment: &&str| {
        let open = Command::Story(StoryCommand::OpenFragment { fragment: (*fragment).into(), page: None });
        (fragment.to_string(), open)
    };
    path.iter()
        .map(step)
        .map(|(fragment, open)| {
            support::run_with(state, content, &open, now).unwrap_or_else(|refusal| panic!("{fragment}: {refusal}"))
        })
        .collect()
}

/// The offers shown along `path`, step by step.
fn walk(state: &mut UserState, path: &[&str], now: i64) -> Vec<Vec<String>> {
    let steps = walk_in(content(), state, path, now);
    steps.iter().map(|events| shown(events).into_iter().map(str::to_owned).collect()).collect()
}

/// A new player who reached the poems, and the offer shown there.
fn at_the_poems(now: i64) -> UserState {
    let mut state = player(1, now);
    let offered = walk(&mut state, &TO_POEMS, now);
    assert_eq!(offered.last().map(Vec::as_slice), Some(&["mapa_en_estrellas".to_owned()][..]), "{offered:?}");
    state
}

fn pay(charge: &str, purchase: i64, offer: &str, stars: u32) -> Command {
    Command::Offer(OfferCommand::PayWithStars { charge: charge.into(), purchase, offer: offer.into(), stars })
}

fn bought(events: &[Event]) -> Vec<(&str, Currency, u64)> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::OfferBought { shown, currency, amount } => Some((shown.offer.as_str(), *currency, *amount)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_stars_offer_passes_pre_checkout_at_its_price_only_and_not_once_expired() {
    let mut state = at_the_poems(NOW);
    let invoice = Command::Offer(OfferCommand::RequestInvoice { offer: "mapa_en_estrellas".into() });
    let asked = run(&mut state, invoice, NOW + 5).expect("an invoice");
    assert!(matches!(&asked[..], [Event::PurchaseAttempted { .. }]), "counted as an attempt: {asked:?}");
    assert_eq!(pre_checkout(&state, "mapa_en_estrellas", 10, NOW + 10), Ok(()));
    assert_eq!(
        pre_checkout(&state, "mapa_en_estrellas", 15, NOW + 10),
        Err(RuleError::PriceChanged { price: 10 }),
        "an invoice at another price"
    );
    assert_eq!(pre_checkout(&state, "puerta_invitacion", 10, NOW + 10), Err(RuleError::UnknownOffer), "not shown");
    // Past its hour, even before its timer fires; and after.
    let due = NOW + 60 * 60;
    assert_eq!(pre_checkout(&state, "mapa_en_estrellas", 10, due), Err(RuleError::OfferExpired));
    run(&mut state, Command::Timer(Timer { name: TimerName::OfferExpiry, due }), due).expect("expired");
    assert_eq!(pre_checkout(&state, "mapa_en_estrellas", 10, due + 1), Err(RuleError::OfferExpired));
    let invoice = Command::Offer(OfferCommand::RequestInvoice { offer: "mapa_en_estrellas".into() });
    assert_eq!(run(&mut state, invoice, due + 2), Err(RuleError::OfferExpired), "no invoice either");
}

#[test]
fn a_stars_item_offer_is_granted_once_per_charge_refused_at_pre_checkout_once_bought_and_refundable() {
    let mut state = at_the_poems(NOW);
    let purchase = 1 << 33;
    let paid = run(&mut state, pay("ch-1", purchase, "mapa_en_estrellas", 10), NOW + 10).expect("paid");
    assert_eq!(bought(&paid), [("mapa_en_estrellas", Currency::Stars, 10)]);
    assert!(paid.contains(&Event::StarsPaid {
        charge: "ch-1".into(),
        purchase,
        item: "mapa_de_estrellas".into(),
        stars: 10
    }));
    assert_eq!(state.item_count(&ItemId("mapa_estelar".into())), 1, "the item granted");
    let balance = state.wallet.balance;
    assert!(state.progress.offers.as_deref().is_some_and(|offers| offers.active.is_empty()), "the offer closed");

    // The same charge delivered again changes nothing.
    assert_eq!(run(&mut state, pay("ch-1", purchase, "mapa_en_estrellas", 10), NOW + 11), Ok(Vec::new()));
    // Another charge for the same invoice is owed back, not granted.
    let twice = run(&mut state, pay("ch-2", purchase, "mapa_en_estrellas", 10), NOW + 12).expect("paid twice");
    assert_eq!(twice, [Event::StarsPaidTwice { charge: "ch-2".into(), purchase, stars: 10 }]);
    assert_eq!(state.item_count(&ItemId("mapa_estelar".into())), 1);
    assert_eq!(state.wallet.balance, balance);
    // Bought: a new checkout of it is refused.
    assert!(pre_checkout(&state, "mapa_en_estrellas", 10, NOW + 13).is_err());

    // The shop's refund takes back what the offer gave.
    let refunded = run(&mut state, Command::Shop(ShopCommand::RefundStars { charge: "ch-1".into() }), NOW + 20);
    assert!(refunded.expect("refunded").contains(&Event::StarsRefunded { charge: "ch-1".into() }));
    assert_eq!(state.item_count(&ItemId("mapa_estelar".into())), 0, "the map taken back");
}

#[test]
fn a_stars_payment_that_lands_after_the_offer_expired_still_grants_but_buys_nothing() {
    let mut state = at_the_poems(NOW);
    let due = NOW + 60 * 60;
    run(&mut state, Command::Timer(Timer { name: TimerName::OfferExpiry, due }), due).expect("expired");
    // Telegram took the Stars at the price pre-checkout agreed a moment ago.
    let paid = run(&mut state, pay("ch-1", 7, "mapa_en_estrellas", 10), due + 1).expect("paid");
    assert!(bought(&paid).is_empty(), "the offer is not bought twice over: it expired");
    assert_eq!(state.item_count(&ItemId("mapa_estelar".into())), 1, "but the Stars bought the item");
}

#[test]
fn a_vip_plan_offer_in_stars_grants_the_plans_days_once_and_no_subscription() {
    let mut state = player(1, NOW);
    let offered = walk(&mut state, &TO_FAREWELL, NOW);
    assert_eq!(offered[3], ["despedida_anual"], "at the farewell: {offered:?}");
    assert_eq!(pre_checkout(&state, "despedida_anual", 1800, NOW + 5), Ok(()));
    assert_eq!(pre_checkout(&state, "despedida_anual", 2400, NOW + 5), Err(RuleError::PriceChanged { price: 1800 }));

    let paid = run(&mut state, pay("ch-9", 9, "despedida_anual", 1800), NOW + 10).expect("paid");
    assert_eq!(bought(&paid), [("despedida_anual", Currency::Stars, 1800)]);
    let vip = state.progress.vip.as_deref().expect("a membership");
    assert_eq!(vip.plan, Some(dianabot_game::content::PlanKind::Annual));
    assert_eq!(vip.until, NOW + 10 + 365 * DAY, "the annual plan's days");
    assert_eq!(vip.subscription, None, "bought once: nothing renews");
    assert!(content().is_vip(&state, NOW + 300 * DAY));
    let until = vip.until;

    assert_eq!(run(&mut state, pay("ch-9", 9, "despedida_anual", 1800), NOW + 11), Ok(Vec::new()), "same charge");
    assert_eq!(state.progress.vip.as_deref().map(|vip| vip.until), Some(until), "the days granted once");
    assert_eq!(pre_checkout(&state, "despedida_anual", 1800, NOW + 12), Err(RuleError::OfferExpired), "bought");
}

const PLAN_IN_BESITOS: &str = r#"
[[offer]]
id = "mes_en_besitos"
name.es = "Un mes por besitos"
name.en = "A month for besitos"
text.es = "Lucien acepta besitos esta vez."
text.en = "Lucien takes besitos this time."
trigger = "story_milestone"
fragment = "l2_puerta"
vip_plan = "monthly"
price = { besitos = 300 }
expires_minutes = 60
"#;

#[test]
fn a_vip_plan_offer_in_besitos_is_bought_in_one_decision_for_a_month_without_a_subscription() {
    let mut files = support::read_dir(&support::demo_dir());
    let offers = files.iter_mut().find(|(path, _)| path == "offers.toml").expect("offers.toml");
    offers.1.push_str(PLAN_IN_BESITOS);
    let parsed = Content::parse(&files).unwrap_or_else(|problems| panic!("{problems:?}"));
    let with_plan = parsed.with_flags(content().flags().clone());
    let run = |state: &mut UserState, command: Command, now: i64| support::run_with(state, &with_plan, &command, now);

    let mut state = player(1, NOW);
    let steps = walk_in(&with_plan, &mut state, &TO_POEMS[..4], NOW);
    assert_eq!(steps.last().map(|events| shown(events)), Some(vec!["mes_en_besitos"]));
    let accept = Command::Offer(OfferCommand::Accept { offer: "mes_en_besitos".into() });
    state.wallet.balance = 299;
    assert_eq!(
        run(&mut state, accept.clone(), NOW + 1),
        Err(RuleError::InsufficientFunds { balance: 299, needed: 300 })
    );
    state.wallet.balance = 350;
    let taken = run(&mut state, accept.clone(), NOW + 2).expect("bought");
    assert_eq!(debited(&taken), 300);
    assert_eq!(bought(&taken), [("mes_en_besitos", Currency::Besitos, 300)]);
    let vip = state.progress.vip.as_deref().expect("a membership");
    assert_eq!((vip.until, vip.subscription.as_ref()), (NOW + 2 + 30 * DAY, None), "30 days, renewing nothing");
    assert_eq!(run(&mut state, accept, NOW + 3), Err(RuleError::OfferExpired), "once");
    assert_eq!(state.wallet.balance, 50);
}

// offers-bundle: bundles, over the demo's `jardin_recuerdo` (a rose and a
// one-week invitation for 160 besitos, at the end of the free path) and a
// bundle with a unique item added to the demo.

/// The demo's free path from the start to `l3_final_jardin`, one step at a
/// time (a deep link one decision away takes that decision).
const TO_THE_GARDEN_END: [&str; 14] = [
    "l1_umbral",
    "l1_vestibulo",
    "l1_cajon",
    "l1_vestibulo",
    "l1_pasillo",
    "l2_puerta",
    "l2_biblioteca",
    "l2_carta",
    "l2_biblioteca",
    "l3_sendero",
    "l3_invernadero",
    "l3_confidencia",
    "l3_final_jardin",
    // Back to the start, so the end can be entered again.
    "l1_umbral",
];

/// Walks `fragments` with `content`; the events of the last step.
fn last_step(state: &mut UserState, content: &Content, fragments: &[&str], now: i64) -> Vec<Event> {
    walk_in(content, state, fragments, now).pop().unwrap_or_default()
}

fn purchase_opened(events: &[Event]) -> Option<(&str, i64)> {
    events.iter().find_map(|event| match event {
        Event::PurchaseOpened { item, besitos, .. } => Some((item.as_str(), *besitos)),
        _ => None,
    })
}

#[test]
fn the_garden_bundle_is_bought_in_one_purchase_at_its_price_and_delivers_every_item() {
    let mut state = player(1, NOW);
    let end = last_step(&mut state, content(), &TO_THE_GARDEN_END[..13], NOW);
    assert_eq!(shown(&end), ["jardin_recuerdo"], "{end:?}");
    state.wallet.balance = 200;
    let rose = ItemId("rosa_negra".into());
    let roses = state.item_count(&rose);

    let purchase = 1 << 33;
    let buy = Command::Offer(OfferCommand::StartPurchase { purchase, offer: "jardin_recuerdo".into() });
    let started = run(&mut state, buy.clone(), NOW + 10).expect("paid");
    assert_eq!(debited(&started), 160, "one debit, the bundle's price");
    assert_eq!(purchase_opened(&started), Some(("rosa_negra+pase_vip_prueba", 160)), "one purchase of both");
    assert_eq!(run(&mut state, buy, NOW + 11), Ok(Vec::new()), "a re-delivered step 1");
    let again = OfferCommand::StartPurchase { purchase: purchase + 1, offer: "jardin_recuerdo".into() };
    assert_eq!(run(&mut state, Command::Offer(again), NOW + 12), Err(RuleError::OfferTaken));

    let done = run(&mut state, Command::Shop(ShopCommand::FulfilPurchase { purchase }), NOW + 13).expect("done");
    assert!(done.iter().any(|event| matches!(event, Event::OfferBought { shown, amount: 160, .. }
        if shown.offer == "jardin_recuerdo")));
    assert_eq!(state.wallet.balance, 40);
    assert_eq!(state.item_count(&rose), roses + 1, "the rose delivered");
    assert_eq!(support::vip_until(&state), Some(NOW + 13 + 7 * DAY), "the week's pass");
    assert_eq!(state.progress.counters.get("purchases"), Some(&1), "one purchase");
    for item in ["rosa_negra", "pase_vip_prueba"] {
        assert_eq!(state.progress.bought.get(item), Some(&1), "{item} counts as bought");
    }
    assert!(state.progress.purchases_open.is_empty());
    let twice = run(&mut state, Command::Shop(ShopCommand::FulfilPurchase { purchase }), NOW + 14);
    assert_eq!(twice, Ok(Vec::new()), "delivered once");
}

#[test]
fn a_refunded_bundle_gives_the_whole_price_back_grants_nothing_and_puts_the_offer_back() {
    let mut state = player(1, NOW);
    last_step(&mut state, content(), &TO_THE_GARDEN_END[..13], NOW);
    state.wallet.balance = 200;
    let roses = state.item_count(&ItemId("rosa_negra".into()));
    let purchase = 1 << 33;
    let buy = OfferCommand::StartPurchase { purchase, offer: "jardin_recuerdo".into() };
    run(&mut state, Command::Offer(buy), NOW + 10).expect("paid");
    let aborted = run(&mut state, Command::Shop(ShopCommand::AbortPurchase { purchase }), NOW + 20).expect("refund");
    assert!(aborted.contains(&Event::OfferPurchaseReleased { offer: "jardin_recuerdo".into() }));
    assert_eq!(state.wallet.balance, 200, "the whole price back");
    assert_eq!(state.item_count(&ItemId("rosa_negra".into())), roses, "no rose");
    assert!(!content().is_vip(&state, NOW + 30), "no pass");
    assert!(state.progress.bought.is_empty(), "nothing bought");
    let done = run(&mut state, Command::Shop(ShopCommand::FulfilPurchase { purchase }), NOW + 21);
    assert_eq!(done, Ok(Vec::new()), "a refunded purchase is never delivered");
}

#[test]
fn a_bundle_is_refused_when_short_of_its_price_or_an_item_is_not_on_sale_and_charges_nothing() {
    let mut state = player(1, NOW);
    last_step(&mut state, content(), &TO_THE_GARDEN_END[..13], NOW);
    state.wallet.balance = 159;
    let buy = OfferCommand::StartPurchase { purchase: 1 << 33, offer: "jardin_recuerdo".into() };
    assert_eq!(
        run(&mut state, Command::Offer(buy), NOW + 10),
        Err(RuleError::InsufficientFunds { balance: 159, needed: 160 })
    );
    assert!(state.progress.purchases_open.is_empty() && state.wallet.balance == 159);
}

const UNIQUE_BUNDLE: &str = r#"
[[shop_item]]
id = "medallon"
category = "reliquias"
unique = true
name.es = "Medallón"
name.en = "Medallion"
description.es = "Un medallón de plata."
description.en = "A silver medallion."
price = { besitos = 50 }
rewards = { items = { llave_plata = 1 } }
"#;

const UNIQUE_BUNDLE_OFFERS: &str = r#"
[[offer]]
id = "lote_medallon"
name.es = "Lote del medallón"
name.en = "Medallion bundle"
text.es = "Un medallón y una rosa."
text.en = "A medallion and a rose."
trigger = "inactive_return"
inactive_days = 7
items = ["medallon", "rosa_negra"]
price = { besitos = 60 }
expires_minutes = 60

[[offer]]
id = "solo_rosa"
name.es = "Una rosa"
name.en = "A rose"
text.es = "Una rosa."
text.en = "A rose."
trigger = "inactive_return"
inactive_days = 7
item = "rosa_negra"
price = { besitos = 20 }
expires_minutes = 60
"#;

/// The demo with the unique `medallon` on sale and, for a return after a
/// week, a bundle of it and a rose, then a rose alone.
fn unique_bundle_content() -> &'static Content {
    static CONTENT: OnceLock<Content> = OnceLock::new();
    CONTENT.get_or_init(|| {
        let mut files = support::read_dir(&support::demo_dir());
        for (file, more) in [("shop.toml", UNIQUE_BUNDLE), ("offers.toml", UNIQUE_BUNDLE_OFFERS)] {
            files.iter_mut().find(|(path, _)| path == file).expect(file).1.push_str(more);
        }
        let parsed = Content::parse(&files).unwrap_or_else(|problems| panic!("{problems:?}"));
        parsed.with_flags(content().flags().clone())
    })
}

fn buy_medallion(state: &mut UserState, purchase: i64, now: i64) -> Result<Vec<Event>, RuleError> {
    let content = unique_bundle_content();
    let start = ShopCommand::StartPurchase { purchase, item: "medallon".into() };
    support::run_with(state, content, &Command::Shop(start), now)?;
    support::run_with(state, content, &Command::Shop(ShopCommand::FulfilPurchase { purchase }), now)
}

#[test]
fn a_bundle_with_a_unique_item_the_player_holds_is_not_shown_and_not_sold() {
    let content = unique_bundle_content();
    let back = |state: &mut UserState, now: i64| last_step(state, content, &["l1_umbral"], now);
    // Holding the medallion: the next offer of the trigger instead.
    let mut holder = player(1, NOW);
    holder.wallet.balance = 200;
    buy_medallion(&mut holder, 1 << 33, NOW).expect("bought in the shop");
    assert_eq!(shown(&back(&mut holder, NOW + 8 * DAY)), ["solo_rosa"]);

    // Shown the bundle, then buys the medallion in the shop: the bundle
    // is refused, naming it, and nothing is charged.
    let mut state = player(2, NOW);
    state.wallet.balance = 200;
    assert_eq!(shown(&back(&mut state, NOW + 8 * DAY)), ["lote_medallon"]);
    buy_medallion(&mut state, 1 << 33, NOW + 8 * DAY + 10).expect("bought in the shop");
    let balance = state.wallet.balance;
    let buy = OfferCommand::StartPurchase { purchase: (1 << 33) + 1, offer: "lote_medallon".into() };
    let refused = support::run_with(&mut state, content, &Command::Offer(buy), NOW + 8 * DAY + 20);
    assert_eq!(refused, Err(RuleError::BundleItemOwned { item: "medallon".into() }));
    assert_eq!(state.wallet.balance, balance, "nothing charged");

    // Bought in the bundle, the unique item is owned: the shop refuses it.
    let mut buyer = player(3, NOW);
    buyer.wallet.balance = 200;
    assert_eq!(shown(&back(&mut buyer, NOW + 8 * DAY)), ["lote_medallon"]);
    let purchase = 1 << 33;
    let buy = OfferCommand::StartPurchase { purchase, offer: "lote_medallon".into() };
    support::run_with(&mut buyer, content, &Command::Offer(buy), NOW + 8 * DAY + 10).expect("paid");
    let in_flight = buy_medallion(&mut buyer, purchase + 1, NOW + 8 * DAY + 11);
    assert_eq!(in_flight, Err(RuleError::AlreadyOwned), "held while the bundle is being bought");
    let fulfil = Command::Shop(ShopCommand::FulfilPurchase { purchase });
    support::run_with(&mut buyer, content, &fulfil, NOW + 8 * DAY + 12).expect("delivered");
    assert_eq!(buyer.item_count(&ItemId("llave_plata".into())), 1);
    assert_eq!(buy_medallion(&mut buyer, purchase + 2, NOW + 8 * DAY + 13), Err(RuleError::AlreadyOwned));
    assert_eq!(buyer.wallet.balance, 140, "the bundle's price only");
}

#[test]
fn bundle_problems_are_reported_with_file_and_line() {
    let mut files = support::read_dir(&support::demo_dir());
    let offers = files.iter_mut().find(|(path, _)| path == "offers.toml").expect("offers.toml");
    let at = offers.1.lines().count();
    offers.1.push_str(
        r#"
[[offer]]
id = "lote_doble"
name.es = "Doble"
name.en = "Double"
text.es = "Doble"
text.en = "Double"
trigger = "vip_door"
items = ["rosa_negra", "rosa_negra"]
price = { besitos = 30 }
expires_minutes = 60

[[offer]]
id = "lote_solo"
name.es = "Solo"
name.en = "Alone"
text.es = "Solo"
text.en = "Alone"
trigger = "vip_door"
items = ["rosa_negra"]
price = { besitos = 30 }
expires_minutes = 60

[[offer]]
id = "lote_estrellas"
name.es = "Estrellas"
name.en = "Stars"
text.es = "Estrellas"
text.en = "Stars"
trigger = "vip_door"
items = ["rosa_negra", "pase_vip_prueba"]
price = { stars = 30 }
expires_minutes = 60

[[offer]]
id = "lote_y_objeto"
name.es = "Ambos"
name.en = "Both"
text.es = "Ambos"
text.en = "Both"
trigger = "vip_door"
item = "rosa_negra"
items = ["rosa_negra", "pase_vip_prueba"]
price = { besitos = 30 }
expires_minutes = 60
"#,
    );
    let problems = Content::parse(&files).expect_err("broken bundles");
    let lines: Vec<(String, Option<usize>)> =
        problems.iter().filter(|p| p.file == "offers.toml").map(|p| (p.key_path.clone(), p.line)).collect();
    for (path, line) in [
        ("offer.lote_doble.items[1]", 9),
        ("offer.lote_solo.items", 20),
        ("offer.lote_estrellas.price", 32),
        ("offer.lote_y_objeto.item", 35),
    ] {
        assert!(lines.contains(&(path.to_owned(), Some(at + line))), "{path}:{} in {lines:?}", at + line);
    }
    // The limited item is reported once the shop is known, at its line.
    files.iter_mut().find(|(path, _)| path == "offers.toml").expect("offers.toml").1 = format!(
        "{}{}",
        std::fs::read_to_string(support::demo_dir().join("offers.toml")).expect("offers.toml"),
        r#"
[[offer]]
id = "lote_limitado"
name.es = "Limitado"
name.en = "Limited"
text.es = "Limitado"
text.en = "Limited"
trigger = "vip_door"
items = ["rosa_negra",
  "mapa_de_estrellas"]
price = { besitos = 30 }
expires_minutes = 60
"#
    );
    let problems = Content::parse(&files).expect_err("a limited item in a bundle");
    let at = std::fs::read_to_string(support::demo_dir().join("offers.toml")).expect("offers.toml").lines().count();
    let limited: Vec<(String, Option<usize>)> = problems
        .iter()
        .filter(|p| p.file == "offers.toml" && p.message.contains("limited stock"))
        .map(|p| (p.key_path.clone(), p.line))
        .collect();
    assert_eq!(limited, [("offer.lote_limitado.items[1]".to_owned(), Some(at + 10))], "{problems:?}");
}
