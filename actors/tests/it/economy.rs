//! Gifts between players as sagas across two user actors, against real
//! Postgres: delivered, refunded when the receiver refuses, refused when the
//! giver cannot, and besitos conserved exactly when saga steps crash.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use dianabot_actors::{ActorConfig, Coordinator, DispatchError, Envelope, FaultInjector, FaultPoint, GiftOutcome};
use dianabot_game::{AdminCommand, Command, EconomyCommand, RuleError, UpdateId, UserId};
use dianabot_test_support::{TestDb, apply, assert_conserved, balance, besitos, register, run, start_runtime};
use tracing::span;
use tracing_subscriber::layer::{self, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

#[test]
fn a_gift_moves_besitos_between_two_actors() {
    run(async {
        let db = TestDb::postgres().await;
        let runtime = start_runtime(db.store().await, ActorConfig::default()).await;
        let coordinator = Coordinator::new(runtime.router.clone(), runtime.store.clone());
        let router = &runtime.router;
        for user in [1, 2] {
            register(router, user).await;
        }
        assert_eq!(coordinator.find_user("U2").await.unwrap(), Some(UserId(2)));
        let outcome = coordinator.gift(UserId(1), UserId(2), besitos(7), 100, None).await.unwrap();
        assert_eq!(outcome, GiftOutcome::Delivered);
        assert_eq!((balance(router, 1).await, balance(router, 2).await), (3, 17));

        // The receiver does not exist: refunded.
        let outcome = coordinator.gift(UserId(1), UserId(999), besitos(2), 101, None).await.unwrap();
        assert_eq!(outcome, GiftOutcome::Refunded(RuleError::UnknownUser));
        assert_eq!(balance(router, 1).await, 3);

        // Refused by the giver's own rules: nothing moves.
        for (to, amount, refusal) in [
            (1, 1, RuleError::GiftToSelf),
            (2, 4, RuleError::InsufficientFunds { balance: 3, needed: 4 }),
            (2, 5_000, RuleError::GiftTooLarge { max: 1_000 }),
        ] {
            let outcome = coordinator.gift(UserId(1), UserId(to), besitos(amount), 102, None).await.unwrap();
            assert_eq!(outcome, GiftOutcome::Refused(refusal));
        }
        assert_eq!((balance(router, 1).await, balance(router, 2).await), (3, 17));
        runtime.flusher.flushed().await.unwrap();
        assert_conserved(&runtime.store).await;
        assert!(runtime.store.pending_transfers().await.unwrap().is_empty());
        runtime.router.shutdown().await;
        db.drop_db().await;
    });
}

/// A node died after the giver's debit, before acknowledging the update;
/// the shard's next owner finished the gift; then Telegram delivered the
/// update again. The giver is told it was delivered, not "already handled".
#[test]
fn a_gift_delivered_again_after_recovery_answers_what_it_came_to() {
    run(async {
        let db = TestDb::postgres().await;
        let runtime = start_runtime(db.store().await, ActorConfig::default()).await;
        let router = &runtime.router;
        for user in [1, 2] {
            register(router, user).await;
        }
        let update = UpdateId::new(601, 3);
        // Step 1 alone, as if the giver's node died right after it.
        let send = Command::Economy(EconomyCommand::SendGift { to: UserId(2), amount: besitos(4), transfer: 9 });
        let envelope = Envelope { user_id: UserId(1), update_id: Some(update), command: send };
        router.dispatch(envelope, |_, _| ()).await.unwrap().durable.wait().await.unwrap();
        let coordinator = Coordinator::new(runtime.router.clone(), runtime.store.clone());
        assert_eq!(coordinator.recover().await.unwrap(), 1);

        // The ledger gone from under the lookup: no answer is made up, the
        // update stays unacknowledged.
        let dianabot_persistence::Store::Postgres(pool) = &runtime.store else { unreachable!() };
        sqlx::query("ALTER TABLE ledger RENAME TO ledger_away").execute(pool).await.unwrap();
        let lost = coordinator.gift(UserId(1), UserId(2), besitos(4), 10, Some(update)).await;
        assert_eq!(lost, Err(DispatchError::NotDurable));
        sqlx::query("ALTER TABLE ledger_away RENAME TO ledger").execute(pool).await.unwrap();
        let again = coordinator.gift(UserId(1), UserId(2), besitos(4), 11, Some(update)).await.unwrap();
        assert_eq!(again, GiftOutcome::Delivered);
        assert_eq!((balance(router, 1).await, balance(router, 2).await), (6, 14), "moved once");
        runtime.flusher.flushed().await.unwrap();
        assert_conserved(&runtime.store).await;
        runtime.router.shutdown().await;
        db.drop_db().await;
    });
}

#[test]
fn besitos_are_conserved_when_saga_steps_crash() {
    const USERS: i64 = 40;
    const GIFTS: i64 = 600;
    run(async {
        let db = TestDb::postgres().await;
        // One receive step in four crashes its actor, and one settle in five.
        let crashes = Arc::new(AtomicU32::new(0));
        let counter = crashes.clone();
        let fault = move |point: FaultPoint, envelope: &Envelope| {
            let unlucky = match envelope.command {
                Command::Economy(EconomyCommand::ReceiveGift { transfer, .. }) => transfer % 4 == 0,
                Command::Economy(EconomyCommand::SettleTransfer { transfer }) => transfer % 5 == 0,
                _ => false,
            };
            // Crash on the first attempt only, so retries get through.
            if point == FaultPoint::BeforeDecide && unlucky && counter.fetch_add(1, Ordering::Relaxed).is_multiple_of(2)
            {
                panic!("injected saga fault");
            }
        };
        let config = ActorConfig {
            fault_injector: Some(FaultInjector(Arc::new(fault))),
            max_restarts: 1_000,
            ..ActorConfig::default()
        };
        let runtime = start_runtime(db.store().await, config).await;
        let coordinator = Coordinator::new(runtime.router.clone(), runtime.store.clone());
        for user in 1..=USERS {
            register(&runtime.router, user).await;
            apply(&runtime.router, user, Command::Admin(AdminCommand::AdminGrant(besitos(100)))).await.unwrap();
        }
        let gifts: Vec<_> = (0..GIFTS)
            .map(|transfer| {
                let coordinator = coordinator.clone();
                let from = UserId(transfer % USERS + 1);
                // Some go to users who do not exist, to be refunded.
                let to = UserId(if transfer % 7 == 0 { 10_000 + transfer } else { (transfer * 13) % USERS + 1 });
                let amount = besitos(transfer % 30 + 1);
                tokio::spawn(async move { coordinator.gift(from, to, amount, 1_000 + transfer, None).await })
            })
            .collect();
        let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
        for gift in gifts {
            let outcome = gift.await.unwrap().unwrap();
            let kind = format!("{outcome:?}");
            *outcomes.entry(kind.split('(').next().unwrap_or_default().to_owned()).or_default() += 1;
        }
        assert!(crashes.load(Ordering::Relaxed) > 0, "no fault was injected");
        assert!(outcomes.contains_key("Delivered") && outcomes.contains_key("Refunded"), "{outcomes:?}");
        coordinator.recover().await.unwrap();
        runtime.flusher.flushed().await.unwrap();
        assert!(runtime.store.pending_transfers().await.unwrap().is_empty(), "transfers left in flight");
        assert_conserved(&runtime.store).await;
        runtime.router.shutdown().await;
        db.drop_db().await;
    });
}

/// Records saga spans (`gift`, `bid`, `purchase`) nested in another saga's
/// span, and log lines inside more than one: what a span entered across an
/// `.await` produces when sagas interleave on one thread.
#[derive(Clone, Default)]
struct SagaSpanNesting(Arc<Mutex<Vec<String>>>);

const SAGA_SPANS: [&str; 3] = ["gift", "bid", "purchase"];

impl<S> Layer<S> for SagaSpanNesting
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, _: &span::Attributes<'_>, id: &span::Id, ctx: layer::Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let outer: Vec<&str> = span.scope().skip(1).map(|s| s.name()).filter(|n| SAGA_SPANS.contains(n)).collect();
        if SAGA_SPANS.contains(&span.name()) && !outer.is_empty() {
            self.0.lock().unwrap().push(format!("span {} inside {outer:?}", span.name()));
        }
    }

    fn on_event(&self, event: &tracing::Event<'_>, ctx: layer::Context<'_, S>) {
        let Some(scope) = ctx.event_scope(event) else { return };
        let sagas: Vec<&str> = scope.map(|s| s.name()).filter(|n| SAGA_SPANS.contains(n)).collect();
        if sagas.len() > 1 {
            self.0.lock().unwrap().push(format!("log line {:?} inside {sagas:?}", event.metadata().name()));
        }
    }
}

#[test]
fn concurrent_gifts_log_only_inside_their_own_span() {
    const PAIRS: i64 = 8;
    let nesting = SagaSpanNesting::default();
    let _subscriber = tracing::subscriber::set_default(tracing_subscriber::registry().with(nesting.clone()));
    run(async {
        let db = TestDb::postgres().await;
        let runtime = start_runtime(db.store().await, ActorConfig::default()).await;
        let coordinator = Coordinator::new(runtime.router.clone(), runtime.store.clone());
        for user in 1..=2 * PAIRS {
            register(&runtime.router, user).await;
        }
        // Polled together on this thread, so their awaits interleave; one
        // receiver is unknown, so its saga logs a refund too.
        let gifts = (1..=PAIRS).map(|pair| {
            let to = if pair == 1 { UserId(999) } else { UserId(2 * pair) };
            coordinator.gift(UserId(2 * pair - 1), to, besitos(1), 500 + pair, None)
        });
        for outcome in futures_util::future::join_all(gifts).await {
            assert!(matches!(outcome.unwrap(), GiftOutcome::Delivered | GiftOutcome::Refunded(_)));
        }
        runtime.router.shutdown().await;
        db.drop_db().await;
    });
    let nested = nesting.0.lock().unwrap();
    assert!(nested.is_empty(), "saga spans leaked into each other: {nested:#?}");
}
