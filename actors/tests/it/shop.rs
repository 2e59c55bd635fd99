//! COMPRAR_ITEM as a saga across the buyer's actor and the item's stock
//! keeper, against real Postgres: races for the last units, a fault in
//! every step, bad input, recovery, and the Stars steps.

use std::sync::{Arc, Mutex};

use dianabot_actors::{
    ActorConfig, Coordinator, DispatchError, Envelope, FaultInjector, FaultPoint, PreCheckout, PurchaseOutcome,
    StockFaultInjector, StockFaultPoint, StockStep,
};
use dianabot_game::{AdminCommand, Command, Event, ItemId, RuleError, ShopCommand, UpdateId, UserId, UserState};
use dianabot_persistence::Store;
use dianabot_test_support::{
    TestDb, apply, assert_conserved, balance, besitos, register, run, sold_and_held, start_runtime,
};

/// Demo content: 5 units, unique, 30 besitos less 20 % = 24, or 12 Stars.
const STAR_MAP: &str = "mapa_de_estrellas";
const STAR_MAP_PRICE: i64 = 24;
const STAR_MAP_ITEM: &str = "mapa_estelar";

async fn items(coordinator: &Coordinator, user: i64, item: &str) -> u32 {
    let item = ItemId(item.to_owned());
    coordinator.router().view(UserId(user), move |state: &UserState| state.item_count(&item)).await.unwrap()
}

/// `(status, count)` of the purchases table.
async fn purchase_counts(store: &Store) -> Vec<(String, i64)> {
    let Store::Postgres(pool) = store else { unreachable!() };
    sqlx::query_as("SELECT status, COUNT(*) FROM purchases GROUP BY status ORDER BY status")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[test]
fn many_buyers_race_for_the_last_units() {
    const BUYERS: i64 = 30;
    run(async {
        let db = TestDb::postgres().await;
        let runtime = start_runtime(db.store().await, ActorConfig::default()).await;
        let coordinator = Coordinator::new(runtime.router.clone(), runtime.store.clone());
        for user in 1..=BUYERS {
            register(&runtime.router, user).await;
            apply(&runtime.router, user, Command::Admin(AdminCommand::AdminGrant(besitos(100)))).await.unwrap();
        }
        // Two units go first; then everyone races for the last three.
        for (user, purchase) in [(1, 1), (2, 2)] {
            let outcome = coordinator.purchase(UserId(user), STAR_MAP, purchase, None).await.unwrap();
            assert_eq!(outcome, PurchaseOutcome::Completed);
        }
        assert_eq!(coordinator.stock_left(STAR_MAP).await, Some(3));
        let races: Vec<_> = (3..=BUYERS)
            .map(|user| {
                let coordinator = coordinator.clone();
                tokio::spawn(async move { coordinator.purchase(UserId(user), STAR_MAP, 100 + user, None).await })
            })
            .collect();
        let mut completed = 0;
        for race in races {
            match race.await.unwrap().unwrap() {
                PurchaseOutcome::Completed => completed += 1,
                PurchaseOutcome::Compensated(RuleError::SoldOut) => {}
                other => panic!("unexpected outcome {other:?}"),
            }
        }
        assert_eq!(completed, 3, "exactly the units left were sold");
        assert_eq!(coordinator.stock_left(STAR_MAP).await, Some(0));
        // Every buyer either paid and holds the map, or holds neither.
        for user in 1..=BUYERS {
            let (paid, held) = (balance(&runtime.router, user).await, items(&coordinator, user, STAR_MAP_ITEM).await);
            match held {
                1 => assert_eq!(paid, 110 - STAR_MAP_PRICE, "user {user}"),
                0 => assert_eq!(paid, 110, "user {user} charged without the item"),
                n => panic!("user {user} holds {n} maps"),
            }
        }
        runtime.flusher.flushed().await.unwrap();
        assert_eq!(sold_and_held(&runtime.store, STAR_MAP, STAR_MAP_ITEM).await, (5, 5));
        let counts = purchase_counts(&runtime.store).await;
        assert_eq!(counts, [("completed".to_owned(), 5), ("failed".to_owned(), BUYERS - 5)]);
        assert_conserved(&runtime.store).await;
        runtime.router.shutdown().await;
        db.drop_db().await;
    });
}

/// Which step fails: a command kind of the buyer's actor, or a keeper step.
#[derive(Debug, Clone, Copy)]
enum Fault {
    Buyer(&'static str, FaultPoint),
    Keeper(StockStep, StockFaultPoint),
}

#[test]
fn a_fault_in_any_step_leaves_wallet_stock_and_inventory_as_before() {
    run(async {
        let db = TestDb::postgres().await;
        let armed: Arc<Mutex<Option<Fault>>> = Arc::default();
        let buyer_fault = armed.clone();
        let keeper_fault = armed.clone();
        let config = ActorConfig {
            fault_injector: Some(FaultInjector(Arc::new(move |point, envelope: &Envelope| {
                let fault = *buyer_fault.lock().unwrap();
                if let Some(Fault::Buyer(kind, at)) = fault
                    && kind == envelope.command.kind()
                    && at == point
                {
                    panic!("injected fault in {kind}");
                }
            }))),
            stock_fault_injector: Some(StockFaultInjector(Arc::new(
                move |step, point, _| matches!(*keeper_fault.lock().unwrap(), Some(Fault::Keeper(s, p)) if s == step && p == point),
            ))),
            max_restarts: 1_000,
            ..ActorConfig::default()
        };
        let runtime = start_runtime(db.store().await, config).await;
        let coordinator = Coordinator::new(runtime.router.clone(), runtime.store.clone());
        register(&runtime.router, 1).await;
        apply(&runtime.router, 1, Command::Admin(AdminCommand::AdminGrant(besitos(90)))).await.unwrap();

        let faults = [
            Fault::Buyer("start_purchase", FaultPoint::BeforeDecide),
            Fault::Buyer("start_purchase", FaultPoint::MidApply),
            Fault::Keeper(StockStep::Reserve, StockFaultPoint::BeforeWrite),
            Fault::Keeper(StockStep::Reserve, StockFaultPoint::AfterWrite),
            Fault::Buyer("fulfil_purchase", FaultPoint::BeforeDecide),
            Fault::Buyer("fulfil_purchase", FaultPoint::MidApply),
        ];
        for (purchase, fault) in (1..).zip(faults) {
            *armed.lock().unwrap() = Some(fault);
            let outcome = coordinator.purchase(UserId(1), STAR_MAP, purchase, None).await;
            match fault {
                Fault::Buyer("start_purchase", _) => assert_eq!(outcome, Err(DispatchError::ActorCrashed)),
                _ => assert!(matches!(outcome, Ok(PurchaseOutcome::Compensated(_))), "{fault:?}: {outcome:?}"),
            }
            *armed.lock().unwrap() = None;
            assert_eq!(balance(&runtime.router, 1).await, 100, "{fault:?}: wallet");
            assert_eq!(items(&coordinator, 1, STAR_MAP_ITEM).await, 0, "{fault:?}: inventory");
            assert_eq!(coordinator.stock_left(STAR_MAP).await, Some(5), "{fault:?}: stock");
        }

        // The last step, selling the reserved unit, is retried until it
        // holds; a unit it leaves reserved is settled by recovery.
        *armed.lock().unwrap() = Some(Fault::Keeper(StockStep::Sell, StockFaultPoint::BeforeWrite));
        let outcome = coordinator.purchase(UserId(1), STAR_MAP, 50, None).await.unwrap();
        assert_eq!(outcome, PurchaseOutcome::Completed);
        *armed.lock().unwrap() = None;
        coordinator.recover().await.unwrap();
        runtime.flusher.flushed().await.unwrap();
        assert_eq!(sold_and_held(&runtime.store, STAR_MAP, STAR_MAP_ITEM).await, (1, 1));
        assert_eq!(balance(&runtime.router, 1).await, 100 - STAR_MAP_PRICE);
        assert_conserved(&runtime.store).await;
        runtime.router.shutdown().await;
        db.drop_db().await;
    });
}

#[test]
fn bad_purchases_are_refused_and_change_nothing() {
    run(async {
        let db = TestDb::postgres().await;
        let runtime = start_runtime(db.store().await, ActorConfig::default()).await;
        let coordinator = Coordinator::new(runtime.router.clone(), runtime.store.clone());
        register(&runtime.router, 1).await;
        let buy = |item: &'static str, purchase: i64| {
            let coordinator = coordinator.clone();
            async move { coordinator.purchase(UserId(1), item, purchase, None).await.unwrap() }
        };
        let refused = |refusal| PurchaseOutcome::Refused(refusal);
        // 10 besitos from the welcome bonus.
        assert_eq!(buy("rosa_negra", 1).await, refused(RuleError::InsufficientFunds { balance: 10, needed: 25 }));
        assert_eq!(buy("no_such_item", 2).await, refused(RuleError::UnknownShopItem("no_such_item".into())));
        // Hidden until a reward unlocks it.
        assert_eq!(buy("reloj_de_lucien", 3).await, refused(RuleError::UnknownShopItem("reloj_de_lucien".into())));
        assert_eq!(buy("pase_vip_prueba", 4).await, refused(RuleError::NotSoldFor(dianabot_game::Currency::Besitos)));
        assert!(matches!(buy("poemario", 5).await, PurchaseOutcome::Refused(RuleError::RequirementsNotMet { .. })));
        assert_eq!(balance(&runtime.router, 1).await, 10);

        apply(&runtime.router, 1, Command::Admin(AdminCommand::AdminGrant(besitos(500)))).await.unwrap();
        assert_eq!(buy(STAR_MAP, 10).await, PurchaseOutcome::Completed);
        assert_eq!(buy(STAR_MAP, 11).await, refused(RuleError::AlreadyOwned));
        // Four more attempts this hour are allowed (five in all), then none.
        for purchase in 12..16 {
            assert_eq!(buy("rosa_negra", purchase).await, PurchaseOutcome::Completed);
        }
        assert_eq!(buy("rosa_negra", 16).await, refused(RuleError::TooManyPurchaseAttempts { max: 5 }));
        // The third purchase earned the "coleccionista" achievement: 25 besitos,
        // which also completed the demo's collection experience (the star
        // map, a rose, the achievement): 40 more.
        assert_eq!(balance(&runtime.router, 1).await, 510 - STAR_MAP_PRICE - 4 * 25 + 25 + 40);
        runtime.flusher.flushed().await.unwrap();
        assert_conserved(&runtime.store).await;
        runtime.router.shutdown().await;
        db.drop_db().await;
    });
}

#[test]
fn recovery_finishes_a_purchase_a_crash_left_paid_but_undelivered() {
    run(async {
        let db = TestDb::postgres().await;
        let runtime = start_runtime(db.store().await, ActorConfig::default()).await;
        register(&runtime.router, 1).await;
        apply(&runtime.router, 1, Command::Admin(AdminCommand::AdminGrant(besitos(90)))).await.unwrap();
        // Step 1 alone, as if the server died right after it.
        let start = Command::Shop(ShopCommand::StartPurchase { purchase: 7, item: STAR_MAP.to_owned() });
        apply(&runtime.router, 1, start).await.unwrap();
        assert_eq!(runtime.store.pending_purchases().await.unwrap().len(), 1);
        let coordinator = Coordinator::new(runtime.router.clone(), runtime.store.clone());
        assert_eq!(coordinator.recover().await.unwrap(), 1);
        assert_eq!(items(&coordinator, 1, STAR_MAP_ITEM).await, 1);
        assert_eq!(coordinator.stock_left(STAR_MAP).await, Some(4));
        // The press re-delivered after recovery changes nothing more.
        let again = coordinator.purchase(UserId(1), STAR_MAP, 7, None).await.unwrap();
        assert_eq!(again, PurchaseOutcome::Refused(RuleError::AlreadyOwned));
        runtime.flusher.flushed().await.unwrap();
        assert!(runtime.store.pending_purchases().await.unwrap().is_empty());
        assert_conserved(&runtime.store).await;
        runtime.router.shutdown().await;
        db.drop_db().await;
    });
}

/// A node died after a purchase's debit, before acknowledging the update;
/// the shard's next owner finished the purchase; then Telegram delivered
/// the update again. The buyer is told what the purchase came to (the
/// first delivery's receipt), not that it was "already handled"; a
/// refused request delivered again is decided again.
#[test]
fn a_purchase_delivered_again_after_recovery_answers_what_it_came_to() {
    run(async {
        let db = TestDb::postgres().await;
        let runtime = start_runtime(db.store().await, ActorConfig::default()).await;
        register(&runtime.router, 1).await;
        let coordinator = Coordinator::new(runtime.router.clone(), runtime.store.clone());
        let (paid, refused) = (UpdateId::new(501, 7), UpdateId::new(502, 9));
        // 10 besitos from the welcome bonus: refused for funds.
        for purchase in [1, 2] {
            let refusal = coordinator.purchase(UserId(1), "rosa_negra", purchase, Some(refused)).await.unwrap();
            assert!(matches!(refusal, PurchaseOutcome::Refused(RuleError::InsufficientFunds { .. })), "{refusal:?}");
        }
        apply(&runtime.router, 1, Command::Admin(AdminCommand::AdminGrant(besitos(90)))).await.unwrap();
        let start = Command::Shop(ShopCommand::StartPurchase { purchase: 3, item: "rosa_negra".to_owned() });
        let envelope = Envelope { user_id: UserId(1), update_id: Some(paid), command: start };
        runtime.router.dispatch(envelope, |_, _| ()).await.unwrap().durable.wait().await.unwrap();
        assert_eq!(coordinator.recover().await.unwrap(), 1);

        // The purchases gone from under the lookup: no answer is made up,
        // the update stays unacknowledged.
        let Store::Postgres(pool) = &runtime.store else { unreachable!() };
        sqlx::query("ALTER TABLE purchases RENAME TO purchases_away").execute(pool).await.unwrap();
        let lost = coordinator.purchase(UserId(1), "rosa_negra", 4, Some(paid)).await;
        assert_eq!(lost, Err(DispatchError::NotDurable));
        sqlx::query("ALTER TABLE purchases_away RENAME TO purchases").execute(pool).await.unwrap();
        let again = coordinator.purchase(UserId(1), "rosa_negra", 5, Some(paid)).await.unwrap();
        assert_eq!(again, PurchaseOutcome::Completed);
        assert_eq!(items(&coordinator, 1, "rosa_negra").await, 1, "delivered once");
        assert_eq!(balance(&runtime.router, 1).await, 100 - 25);
        runtime.flusher.flushed().await.unwrap();
        assert_conserved(&runtime.store).await;
        runtime.router.shutdown().await;
        db.drop_db().await;
    });
}

#[test]
fn stars_checkout_holds_a_unit_grants_once_per_charge_and_refunds() {
    run(async {
        let db = TestDb::postgres().await;
        let runtime = start_runtime(db.store().await, ActorConfig::default()).await;
        let coordinator = Coordinator::new(runtime.router.clone(), runtime.store.clone());
        for user in 1..=6 {
            register(&runtime.router, user).await;
        }
        let checkout =
            |buyer, purchase, stars| PreCheckout { buyer: UserId(buyer), purchase, item: STAR_MAP.into(), stars };
        // The discounted price is 12 Stars: any other amount is refused.
        let stale = coordinator.pre_checkout(checkout(1, 1, 15)).await.unwrap();
        assert_eq!(stale, Err(RuleError::PriceChanged { price: 12 }));
        let unknown = PreCheckout { item: "nope".into(), ..checkout(1, 1, 12) };
        assert_eq!(coordinator.pre_checkout(unknown).await.unwrap(), Err(RuleError::UnknownShopItem("nope".into())));
        // Five checkouts hold the five units; the sixth finds none.
        for buyer in 1..=5 {
            assert_eq!(coordinator.pre_checkout(checkout(buyer, buyer, 12)).await.unwrap(), Ok(()));
        }
        assert_eq!(coordinator.pre_checkout(checkout(6, 6, 12)).await.unwrap(), Err(RuleError::SoldOut));

        let payment = Command::Shop(ShopCommand::PayWithStars {
            charge: "stx-1".into(),
            purchase: 1,
            item: STAR_MAP.into(),
            stars: 12,
        });
        let first = coordinator.stars_paid(UserId(1), payment.clone(), None).await.unwrap().unwrap();
        assert!(first.iter().any(|event| matches!(event, Event::StarsPaid { .. })));
        let again = coordinator.stars_paid(UserId(1), payment, None).await.unwrap().unwrap();
        assert!(again.is_empty(), "a charge delivered twice grants once");
        assert_eq!(items(&coordinator, 1, STAR_MAP_ITEM).await, 1);

        runtime.flusher.flushed().await.unwrap();
        let found = runtime.store.purchase_by_charge("stx-1").await.unwrap();
        assert_eq!(found, Some((UserId(1), 1, STAR_MAP.to_owned(), "completed".to_owned())));
        coordinator.refund_stars(UserId(1), "stx-1", 1, STAR_MAP).await.unwrap().unwrap();
        assert_eq!(items(&coordinator, 1, STAR_MAP_ITEM).await, 0, "the refund took the item back");
        runtime.flusher.flushed().await.unwrap();
        let refunded = runtime.store.purchase_by_charge("stx-1").await.unwrap().map(|found| found.3);
        assert_eq!(refunded.as_deref(), Some("refunded"));
        // Its unit is back on the shelf (the other four are still held).
        assert_eq!(coordinator.stock_left(STAR_MAP).await, Some(1));
        assert_eq!(coordinator.pre_checkout(checkout(6, 6, 12)).await.unwrap(), Ok(()));
        assert_conserved(&runtime.store).await;
        runtime.router.shutdown().await;
        db.drop_db().await;
    });
}
