//! The actor runtime against real Postgres: passivation round trips,
//! ordering under concurrency, backpressure, restarts and bad input.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use dianabot_actors::{ActorConfig, DispatchError, Envelope, FaultInjector, FaultPoint, Outcome, Router};
use dianabot_game::content::ReactionTarget;
use dianabot_game::{
    AdminCommand, Besitos, Command, ItemId, Language, PostRef, ProfileCommand, ReactionCommand, RuleError,
    StoryCommand, UpdateId, UserId, UserState,
};
use dianabot_persistence::Store;
use dianabot_test_support::{TestDb, balances_and_ledger_sums, run, start_runtime};
use futures_util::FutureExt;
use futures_util::future::join_all;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn register(user: i64) -> Envelope {
    let command = Command::Profile(ProfileCommand::Register {
        first_name: format!("user{user}"),
        username: None,
        language: Language::Es,
    });
    Envelope { user_id: UserId(user), update_id: None, command }
}

fn grant(user: i64, amount: i64) -> Envelope {
    Envelope {
        user_id: UserId(user),
        update_id: None,
        command: Command::Admin(AdminCommand::AdminGrant(Besitos::new(amount).unwrap())),
    }
}

/// Dispatches and waits until durable; returns a description of the outcome.
async fn apply(router: &Router, envelope: Envelope) -> Result<String, DispatchError> {
    let dispatched = router
        .dispatch(envelope, |_, outcome| match outcome {
            Outcome::Applied(events) => format!("applied {}", events.len()),
            Outcome::Refused(refusal) => format!("refused: {refusal}"),
            Outcome::Duplicate => "duplicate".to_owned(),
            Outcome::Viewed => "viewed".to_owned(),
        })
        .await?;
    dispatched.durable.wait().await?;
    Ok(dispatched.reply)
}

async fn view(router: &Router, user: i64) -> UserState {
    router.view(UserId(user), UserState::clone).await.expect("view")
}

/// Polls `condition` until it holds, failing after a generous deadline.
async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn command() -> impl Strategy<Value = Command> {
    let item = prop::sample::select(vec!["rosa", "llave"]).prop_map(|id| ItemId(id.to_owned()));
    prop_oneof![
        (0..3i32).prop_map(|message_id| Command::Reaction(ReactionCommand::React {
            post: PostRef { chat_id: -100, message_id },
            target: ReactionTarget::FreePost,
            emojis: vec!["🔥".to_owned()]
        })),
        (1..100i64).prop_map(|amount| Command::Admin(AdminCommand::AdminGrant(Besitos::new(amount).unwrap()))),
        (1..100i64).prop_map(|amount| Command::Admin(AdminCommand::AdminDeduct(Besitos::new(amount).unwrap()))),
        (item.clone(), 1..4u32).prop_map(|(item, quantity)| Command::Admin(AdminCommand::GrantItem { item, quantity })),
        (item, 1..4u32).prop_map(|(item, quantity)| Command::Admin(AdminCommand::ConsumeItem { item, quantity })),
        Just(Command::Profile(ProfileCommand::SetLanguage(Language::En))),
    ]
}

#[test]
fn state_after_passivation_and_reactivation_equals_state_before() {
    run(async {
        let db = TestDb::postgres().await;
        // A zero idle timeout passivates every idle actor at each sweep, so
        // passivation races the updates themselves.
        let config = ActorConfig { idle_timeout: Duration::ZERO, ..ActorConfig::default() };
        let runtime = start_runtime(db.store().await, config).await;
        let cases = std::cell::RefCell::new(Vec::new());
        TestRunner::new(Config { cases: 32, ..Config::default() })
            .run(&prop::collection::vec(command(), 0..30), |commands| {
                cases.borrow_mut().push(commands);
                Ok(())
            })
            .unwrap();
        let cases = cases.into_inner();
        for (index, commands) in cases.iter().enumerate() {
            let user = index as i64 + 1;
            apply(&runtime.router, register(user)).await.unwrap();
            for command in commands {
                let envelope = Envelope { user_id: UserId(user), update_id: None, command: command.clone() };
                apply(&runtime.router, envelope).await.unwrap();
            }
        }
        let mut before = BTreeMap::new();
        for user in 1..=cases.len() as i64 {
            before.insert(user, view(&runtime.router, user).await);
        }
        let stats = runtime.router.stats();
        eventually("every actor passivated", || stats.live.load(Ordering::Relaxed) == 0).await;
        for (user, state) in before {
            assert_eq!(view(&runtime.router, user).await, state, "user {user}");
        }
        assert!(stats.passivated.load(Ordering::Relaxed) >= cases.len() as u64);
        runtime.router.shutdown().await;
        db.drop_db().await;
    });
}

#[test]
fn ten_thousand_users_in_parallel_keep_order_and_lose_nothing() {
    const USERS: i64 = 10_000;
    const UPDATES: i64 = 10;
    run(async {
        let db = TestDb::postgres().await;
        let runtime = start_runtime(db.store().await, ActorConfig::default()).await;
        let tasks: Vec<_> = (1..=USERS)
            .map(|user| {
                let router = runtime.router.clone();
                tokio::spawn(async move {
                    apply(&router, register(user)).await.unwrap();
                    // All of a user's updates in flight at once: dispatched in
                    // order, they must be applied in order.
                    let updates = (1..=UPDATES).map(|amount| apply(&router, grant(user, amount)));
                    for result in join_all(updates).await {
                        assert_eq!(result.unwrap(), "applied 1");
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let Store::Postgres(pool) = &runtime.store else { unreachable!() };
        let rows: Vec<(i64, i64)> =
            sqlx::query_as("SELECT user_id, amount FROM ledger WHERE reason = 'admin_grant' ORDER BY user_id, seq")
                .fetch_all(pool)
                .await
                .unwrap();
        let mut per_user: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        rows.into_iter().for_each(|(user, amount)| per_user.entry(user).or_default().push(amount));
        assert_eq!(per_user.len() as i64, USERS);
        let expected: Vec<i64> = (1..=UPDATES).collect();
        for (user, amounts) in &per_user {
            assert_eq!(amounts, &expected, "user {user}: grants applied out of order, lost or doubled");
        }
        let welcome = dianabot_game::Rules::default().welcome_bonus;
        for (user, balance, ledger_sum) in balances_and_ledger_sums(&runtime.store).await {
            assert_eq!(balance, ledger_sum, "user {user}");
            assert_eq!(balance, welcome + UPDATES * (UPDATES + 1) / 2, "user {user}");
        }
        runtime.router.shutdown().await;
        db.drop_db().await;
    });
}

/// Users whose ids land on `shard`.
fn users_of_shard(router: &Router, shard: usize, count: usize) -> Vec<i64> {
    (1..).filter(|&user| router.shard_of(UserId(user)) == shard).take(count).collect()
}

#[test]
fn a_saturated_shard_makes_intake_wait_without_stalling_other_shards() {
    run(async {
        let db = TestDb::postgres().await;
        let config = ActorConfig { shards: 2, max_in_flight_per_shard: 64, ..ActorConfig::default() };
        let runtime = start_runtime(db.store().await, config).await;
        let router = &runtime.router;
        let hot = users_of_shard(router, 0, 8);
        let cold = users_of_shard(router, 1, 1)[0];
        for &user in hot.iter().chain([&cold]) {
            apply(router, register(user)).await.unwrap();
        }

        // Hold 64 unacknowledged updates on shard 0: its budget is spent.
        let mut held = Vec::new();
        for index in 0..64 {
            let user = hot[index % hot.len()];
            held.push(router.dispatch(grant(user, 1), |_, _| ()).await.unwrap().durable);
        }
        assert_eq!(router.in_flight(0), 64);
        // The next update for shard 0 waits instead of queueing in memory…
        let mut waiting = Box::pin(router.dispatch(grant(hot[0], 1), |_, _| ()));
        assert!((&mut waiting).now_or_never().is_none(), "a saturated shard must not accept more");
        // …while shard 1 serves as usual, durably.
        assert_eq!(apply(router, grant(cold, 5)).await.unwrap(), "applied 1");
        // Acknowledging frees the budget and the waiting update goes through.
        for durable in held {
            durable.wait().await.unwrap();
        }
        waiting.await.unwrap().durable.wait().await.unwrap();

        // A flood far larger than the budget: in-flight never exceeds it.
        let flood: Vec<_> = (0..20_000)
            .map(|index| {
                let router = router.clone();
                let user = hot[index % hot.len()];
                tokio::spawn(async move { apply(&router, grant(user, 1)).await.unwrap() })
            })
            .collect();
        let mut peak = 0;
        let flooding = join_all(flood);
        tokio::pin!(flooding);
        loop {
            peak = peak.max(router.in_flight(0));
            tokio::select! {
                results = &mut flooding => { results.into_iter().for_each(|r| { r.unwrap(); }); break; }
                _ = tokio::time::sleep(Duration::from_millis(1)) => {}
            }
        }
        assert!(peak <= 64, "shard 0 held {peak} unacknowledged updates, over its budget of 64");
        let total: i64 = balances_and_ledger_sums(&runtime.store).await.iter().map(|(_, balance, _)| balance).sum();
        let welcome = dianabot_game::Rules::default().welcome_bonus;
        assert_eq!(total, 9 * welcome + 64 + 1 + 5 + 20_000);
        runtime.router.shutdown().await;
        db.drop_db().await;
    });
}

#[test]
fn bad_input_is_refused_with_a_typed_error_and_changes_nothing() {
    run(async {
        let db = TestDb::postgres().await;
        let runtime = start_runtime(db.store().await, ActorConfig::default()).await;
        let router = &runtime.router;

        // An unknown user: refused, and not stored.
        let react = Command::Reaction(ReactionCommand::React {
            post: PostRef { chat_id: -1, message_id: 1 },
            target: ReactionTarget::FreePost,
            emojis: vec!["❤".into()],
        });
        let envelope = Envelope { user_id: UserId(999), update_id: Some(UpdateId::new(1, 0)), command: react };
        let refusal = router.dispatch(envelope, |_, outcome| format!("{outcome:?}")).await.unwrap();
        assert_eq!(refusal.reply, format!("{:?}", Outcome::Refused(&RuleError::UnknownUser)));
        refusal.durable.wait().await.unwrap();
        runtime.flusher.flushed().await.unwrap();
        assert_eq!(runtime.store.load_user(UserId(999)).await.unwrap(), None);

        // Negative and huge amounts cannot even be expressed.
        assert_eq!(Besitos::new(-10), Err(RuleError::NonPositiveAmount(-10)));
        assert!(matches!(Besitos::new(10_000_000_000), Err(RuleError::AmountTooLarge(..))));

        // Overdraft and over-consumption: refused, nothing changes, in memory or stored.
        apply(router, register(1)).await.unwrap();
        let before = view(router, 1).await;
        let overdraft = Command::Admin(AdminCommand::AdminDeduct(Besitos::new(before.wallet.balance + 1).unwrap()));
        let consume = Command::Admin(AdminCommand::ConsumeItem { item: ItemId("rosa".into()), quantity: 1 });
        let nothing = Command::Admin(AdminCommand::GrantItem { item: ItemId("rosa".into()), quantity: 0 });
        for command in [overdraft, consume, nothing] {
            let envelope = Envelope { user_id: UserId(1), update_id: Some(UpdateId::new(7, 0)), command };
            assert!(apply(router, envelope).await.unwrap().starts_with("refused"));
        }
        assert_eq!(view(router, 1).await, before);
        runtime.flusher.flushed().await.unwrap();
        assert_eq!(runtime.store.load_user(UserId(1)).await.unwrap().as_ref(), Some(&before));
        runtime.router.shutdown().await;
        db.drop_db().await;
    });
}

#[test]
fn a_redelivered_update_is_applied_once() {
    run(async {
        let db = TestDb::postgres().await;
        let runtime = start_runtime(db.store().await, ActorConfig::default()).await;
        apply(&runtime.router, register(1)).await.unwrap();
        let envelope = Envelope { update_id: Some(UpdateId::new(500, 0)), ..grant(1, 40) };
        assert_eq!(apply(&runtime.router, envelope.clone()).await.unwrap(), "applied 1");
        assert_eq!(apply(&runtime.router, envelope).await.unwrap(), "duplicate");
        let welcome = dianabot_game::Rules::default().welcome_bonus;
        assert_eq!(view(&runtime.router, 1).await.wallet.balance, welcome + 40);
        runtime.router.shutdown().await;
        db.drop_db().await;
    });
}

#[test]
fn a_panicking_actor_restarts_from_durable_state_and_is_quarantined_when_it_keeps_failing() {
    run(async {
        let db = TestDb::postgres().await;
        let poison = |_: FaultPoint, envelope: &Envelope| {
            if envelope.update_id == Some(UpdateId::new(666, 0)) {
                panic!("injected fault");
            }
        };
        let config = ActorConfig {
            max_restarts: 2,
            fault_injector: Some(FaultInjector(Arc::new(poison))),
            ..ActorConfig::default()
        };
        let runtime = start_runtime(db.store().await, config).await;
        let router = &runtime.router;
        apply(router, register(1)).await.unwrap();
        apply(router, grant(1, 3)).await.unwrap();
        let before = view(router, 1).await;

        let poisoned = Envelope { update_id: Some(UpdateId::new(666, 0)), ..grant(1, 100) };
        assert_eq!(apply(router, poisoned.clone()).await, Err(DispatchError::ActorCrashed));
        // Restarted from durable state, with its mailbox: the next update works.
        assert_eq!(apply(router, grant(1, 2)).await.unwrap(), "applied 1");
        assert_eq!(view(router, 1).await.wallet.balance, before.wallet.balance + 2);
        assert_eq!(runtime.router.stats().restarted.load(Ordering::Relaxed), 1);

        // Past the restart budget the user is quarantined; others are fine.
        assert_eq!(apply(router, poisoned.clone()).await, Err(DispatchError::ActorCrashed));
        assert_eq!(apply(router, poisoned).await, Err(DispatchError::ActorCrashed));
        let stats = runtime.router.stats();
        eventually("third crash recorded", || stats.restarted.load(Ordering::Relaxed) == 3).await;
        assert_eq!(apply(router, grant(1, 1)).await, Err(DispatchError::Quarantined));
        apply(router, register(2)).await.unwrap();
        assert_eq!(apply(router, grant(2, 1)).await.unwrap(), "applied 1");
        runtime.router.shutdown().await;
        db.drop_db().await;
    });
}

#[test]
fn a_crash_halfway_through_a_decision_leaves_none_of_its_effects() {
    run(async {
        let db = TestDb::postgres().await;
        // Panics after the first event of update 777 is applied in memory.
        let fault = |point: FaultPoint, envelope: &Envelope| {
            if point == FaultPoint::MidApply && envelope.update_id == Some(UpdateId::new(777, 0)) {
                panic!("injected fault halfway through a decision");
            }
        };
        let config = ActorConfig { fault_injector: Some(FaultInjector(Arc::new(fault))), ..ActorConfig::default() };
        let runtime = start_runtime(db.store().await, config).await;
        let router = &runtime.router;
        apply(router, register(1)).await.unwrap();
        let open = Envelope {
            user_id: UserId(1),
            update_id: None,
            command: Command::Story(StoryCommand::OpenStory { page: None }),
        };
        apply(router, open).await.unwrap();
        let before = view(router, 1).await;
        let here = before.progress.story.fragment.clone().expect("in the story");
        let decide = |update| Envelope {
            user_id: UserId(1),
            update_id: Some(UpdateId::new(update, 0)),
            command: Command::Story(StoryCommand::Decide {
                fragment: dianabot_game::story::fragment_tag(&here),
                choice: 0,
                page: None,
            }),
        };

        assert_eq!(apply(router, decide(777)).await, Err(DispatchError::ActorCrashed));
        assert_eq!(view(router, 1).await, before, "memory holds part of a crashed decision");
        runtime.flusher.flushed().await.unwrap();
        assert_eq!(runtime.store.load_user(UserId(1)).await.unwrap().as_ref(), Some(&before));

        // The same decision, delivered again, applies whole.
        assert!(apply(router, decide(778)).await.unwrap().starts_with("applied"));
        let after = view(router, 1).await;
        assert_ne!(after.progress.story.fragment, before.progress.story.fragment);
        assert!(after.progress.experience_points > before.progress.experience_points);
        runtime.router.shutdown().await;
        db.drop_db().await;
    });
}
