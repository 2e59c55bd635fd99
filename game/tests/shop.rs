//! The buyer's half of COMPRAR_ITEM as pure rules: prices, windows,
//! visibility, the hourly limit, idempotent saga steps, and Stars payments
//! granted once per charge and reversed by a refund.

mod support;

use dianabot_game::Currency;
use dianabot_game::content::Content;
use dianabot_game::shop::{check, price_at};
use dianabot_game::{
    AdminCommand, Besitos, Command, Ctx, Event, ItemId, Language, ProfileCommand, Reason, RuleError, Rules,
    ShopCommand, Unlock, UserId, UserState,
};
use proptest::prelude::*;

const NOW: i64 = 1_800_000_000;
const DAY: i64 = 86_400;

/// The demo content with `extra` added to its shop.
fn content_with_shop(extra: &str) -> Content {
    let mut files = support::read_dir(&support::demo_dir());
    for (path, text) in &mut files {
        if path.ends_with("shop.toml") {
            text.push_str(extra);
        }
    }
    Content::parse(&files).unwrap_or_else(|problems| panic!("{problems:#?}"))
}

fn demo() -> Content {
    Content::parse(&support::read_dir(&support::demo_dir())).expect("demo content is valid")
}

fn run(state: &mut UserState, content: &Content, command: &Command, now: i64) -> Result<Vec<Event>, RuleError> {
    support::run_with(state, content, command, now)
}

fn player(content: &Content, besitos: i64) -> UserState {
    let mut state = UserState::new(UserId(1));
    let register =
        Command::Profile(ProfileCommand::Register { first_name: "Ana".into(), username: None, language: Language::Es });
    run(&mut state, content, &register, NOW).unwrap();
    if besitos > 0 {
        run(&mut state, content, &Command::Admin(AdminCommand::AdminGrant(Besitos::new(besitos).unwrap())), NOW)
            .unwrap();
    }
    state
}

fn start(purchase: i64, item: &str) -> Command {
    Command::Shop(ShopCommand::StartPurchase { purchase, item: item.to_owned() })
}

const TIMED_SHOP: &str = r#"
[[category]]
id = "temporada"
name.es = "Temporada"
name.en = "Season"

[[shop_item]]
id = "farol"
category = "temporada"
name.es = "Farol"
name.en = "Lantern"
description.es = "Para las noches de invierno."
description.en = "For winter nights."
price = { besitos = 50, stars = 10 }
available = { from = 2027-01-15, until = 2027-02-01T12:00:00Z }
discount = { percent = 30, until = 2027-01-20 }
rewards = { items = { rosa_negra = 1 } }
"#;

#[test]
fn windows_and_discounts_follow_the_clock() {
    let content = content_with_shop(TIMED_SHOP);
    let lantern = content.shop_item("farol").expect("lantern");
    // 2027-01-15T00:00Z, 2027-01-20T00:00Z, 2027-02-01T12:00Z.
    let (opens, discount_ends, closes) = (1_799_971_200, 1_800_403_200, 1_801_483_200);
    assert_eq!(lantern.available.from, Some(opens));
    assert_eq!(lantern.discount.and_then(|discount| discount.until), Some(discount_ends));
    assert_eq!(lantern.available.until, Some(closes));
    assert_eq!(price_at(lantern, discount_ends - 1).besitos, Some(35), "30 % off");
    assert_eq!(price_at(lantern, discount_ends - 1).stars, Some(7));
    assert_eq!(price_at(lantern, discount_ends).besitos, Some(50), "the discount expired");

    let rules = Rules::default();
    let state = player(&content, 100);
    let at = |now| Ctx { now, rules: &rules, content: &content, update_id: None };
    assert_eq!(check(&state, lantern, Currency::Besitos, at(opens - 1)), Err(RuleError::NotOnSale));
    assert_eq!(check(&state, lantern, Currency::Besitos, at(opens)), Ok(35));
    assert_eq!(check(&state, lantern, Currency::Stars, at(closes - 1)), Ok(10));
    assert_eq!(check(&state, lantern, Currency::Besitos, at(closes)), Err(RuleError::NotOnSale));

    // The debit is the price of the moment.
    let mut state = player(&content, 100);
    let events = run(&mut state, &content, &start(1, "farol"), opens + DAY).unwrap();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Ledger(entry) if entry.amount == -35 && entry.reason == Reason::Purchase))
    );
}

#[test]
fn hidden_items_are_sold_only_once_unlocked() {
    let content = demo();
    let mut state = player(&content, 100);
    let watch = "reloj_de_lucien";
    assert_eq!(run(&mut state, &content, &start(1, watch), NOW), Err(RuleError::UnknownShopItem(watch.into())));
    state.apply(&Event::Unlocked(Unlock::ShopItem(watch.into())));
    run(&mut state, &content, &start(1, watch), NOW).expect("visible once unlocked");
}

#[test]
fn closing_steps_are_idempotent_and_exactly_one_of_them_applies() {
    let content = demo();
    let mut state = player(&content, 100);
    run(&mut state, &content, &start(1, "rosa_negra"), NOW).unwrap();
    assert_eq!(state.wallet.balance, 110 - 25);
    // A repeated first step opens nothing and takes nothing.
    assert!(run(&mut state, &content, &start(1, "rosa_negra"), NOW).unwrap().is_empty());
    assert_eq!(state.wallet.balance, 85);
    assert!(
        !run(&mut state, &content, &Command::Shop(ShopCommand::FulfilPurchase { purchase: 1 }), NOW)
            .unwrap()
            .is_empty()
    );
    assert!(
        run(&mut state, &content, &Command::Shop(ShopCommand::FulfilPurchase { purchase: 1 }), NOW).unwrap().is_empty()
    );
    assert!(
        run(&mut state, &content, &Command::Shop(ShopCommand::AbortPurchase { purchase: 1 }), NOW).unwrap().is_empty()
    );
    assert_eq!((state.wallet.balance, state.item_count(&ItemId("rosa_negra".into()))), (85, 1));

    run(&mut state, &content, &start(2, "rosa_negra"), NOW).unwrap();
    run(&mut state, &content, &Command::Shop(ShopCommand::AbortPurchase { purchase: 2 }), NOW).unwrap();
    assert!(
        run(&mut state, &content, &Command::Shop(ShopCommand::FulfilPurchase { purchase: 2 }), NOW).unwrap().is_empty()
    );
    assert!(
        run(&mut state, &content, &Command::Shop(ShopCommand::AbortPurchase { purchase: 2 }), NOW).unwrap().is_empty()
    );
    assert_eq!((state.wallet.balance, state.item_count(&ItemId("rosa_negra".into()))), (85, 1));
}

#[test]
fn stars_payments_grant_once_per_charge_and_refunds_take_back_what_is_left() {
    let content = demo();
    let mut state = player(&content, 0);
    // Each charge pays its own invoice (purchase).
    let pay = |charge: &str, item: &str, stars| {
        let purchase = if charge == "c1" { 9 } else { 10 };
        Command::Shop(ShopCommand::PayWithStars { charge: charge.into(), purchase, item: item.into(), stars })
    };
    run(&mut state, &content, &pay("c1", "pase_vip_prueba", 50), NOW).unwrap();
    assert_eq!(support::vip_until(&state), Some(NOW + 7 * DAY));
    assert!(run(&mut state, &content, &pay("c1", "pase_vip_prueba", 50), NOW).unwrap().is_empty());
    assert_eq!(support::vip_until(&state), Some(NOW + 7 * DAY), "the same charge twice grants once");

    // Two days lived, five taken back.
    run(&mut state, &content, &Command::Shop(ShopCommand::RefundStars { charge: "c1".into() }), NOW + 2 * DAY).unwrap();
    assert_eq!(support::vip_until(&state), Some(NOW + 2 * DAY));
    assert!(
        run(&mut state, &content, &Command::Shop(ShopCommand::RefundStars { charge: "c1".into() }), NOW)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        run(&mut state, &content, &Command::Shop(ShopCommand::RefundStars { charge: "nope".into() }), NOW),
        Err(RuleError::UnknownCharge)
    );

    // An item already given away cannot be taken back; the rest is.
    run(&mut state, &content, &pay("c2", "mapa_de_estrellas", 12), NOW).unwrap();
    state.apply(&Event::ItemsConsumed { item: ItemId("mapa_estelar".into()), quantity: 1 });
    let events =
        run(&mut state, &content, &Command::Shop(ShopCommand::RefundStars { charge: "c2".into() }), NOW).unwrap();
    assert!(!events.iter().any(|event| matches!(event, Event::ItemsConsumed { .. })));
    assert!(!state.progress.bought.contains_key("mapa_de_estrellas"), "may be bought again");
}

#[test]
fn a_second_charge_for_one_purchase_grants_nothing_and_is_owed_back() {
    let content = demo();
    let mut state = player(&content, 0);
    let pay = |charge: &str| {
        Command::Shop(ShopCommand::PayWithStars {
            charge: charge.into(),
            purchase: 9,
            item: "pase_vip_prueba".into(),
            stars: 50,
        })
    };
    run(&mut state, &content, &pay("c1"), NOW).unwrap();
    let again = run(&mut state, &content, &pay("c2"), NOW).unwrap();
    assert_eq!(again, vec![Event::StarsPaidTwice { charge: "c2".into(), purchase: 9, stars: 50 }]);
    assert_eq!(support::vip_until(&state), Some(NOW + 7 * DAY), "granted once");
    assert_eq!(state.progress.stars_charges.keys().collect::<Vec<_>>(), ["c1"]);
}

#[test]
fn the_hourly_limit_counts_attempts_that_went_through() {
    let content = demo();
    let mut state = player(&content, 1_000);
    for purchase in 0..5 {
        run(&mut state, &content, &start(purchase, "rosa_negra"), NOW + purchase).unwrap();
    }
    let limited = run(&mut state, &content, &start(5, "rosa_negra"), NOW + 10);
    assert_eq!(limited, Err(RuleError::TooManyPurchaseAttempts { max: 5 }));
    let invoice = run(
        &mut state,
        &content,
        &Command::Shop(ShopCommand::RequestInvoice { item: "pase_vip_prueba".into() }),
        NOW + 10,
    );
    assert_eq!(invoice, Err(RuleError::TooManyPurchaseAttempts { max: 5 }));
    // An hour after the first, one more is allowed.
    run(&mut state, &content, &start(6, "rosa_negra"), NOW + 3_600).unwrap();
}

#[derive(Debug, Clone)]
enum Step {
    Start(i64, usize),
    Fulfil(i64),
    Abort(i64),
    Pay(u8, usize),
    Refund(u8),
}

const ITEMS: [&str; 4] = ["rosa_negra", "mapa_de_estrellas", "poemario", "pase_vip_prueba"];

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..6i64, 0..ITEMS.len()).prop_map(|(p, i)| Step::Start(p, i)),
        (0..6i64).prop_map(Step::Fulfil),
        (0..6i64).prop_map(Step::Abort),
        (0..4u8, 0..ITEMS.len()).prop_map(|(c, i)| Step::Pay(c, i)),
        (0..4u8).prop_map(Step::Refund),
    ]
}

proptest! {
    /// Whatever the order of steps, repeats included: the balance is the
    /// sum of the ledger and never negative, every open purchase holds
    /// exactly what it took, and a charge is granted at most once.
    #[test]
    fn purchases_keep_the_books_straight(steps in proptest::collection::vec(step(), 1..40)) {
        let content = demo();
        let mut state = player(&content, 60);
        let mut ledger = state.wallet.balance;
        for (tick, step) in steps.into_iter().enumerate() {
            let now = NOW + tick as i64 * 1_000;
            let command = match step {
                Step::Start(p, i) => start(p, ITEMS[i]),
                Step::Fulfil(p) => Command::Shop(ShopCommand::FulfilPurchase { purchase: p }),
                Step::Abort(p) => Command::Shop(ShopCommand::AbortPurchase { purchase: p }),
                Step::Pay(c, i) => Command::Shop(ShopCommand::PayWithStars { charge: format!("c{c}"), purchase: 100 + i64::from(c), item: ITEMS[i].into(), stars: 1 }),
                Step::Refund(c) => Command::Shop(ShopCommand::RefundStars { charge: format!("c{c}") }),
            };
            if let Ok(events) = run(&mut state, &content, &command, now) {
                ledger += events.iter().map(|e| match e { Event::Ledger(entry) => entry.amount, _ => 0 }).sum::<i64>();
            }
            prop_assert_eq!(state.wallet.balance, ledger);
            prop_assert!(state.wallet.balance >= 0);
            prop_assert!(state.progress.stars_charges.len() <= 4);
        }
    }
}
