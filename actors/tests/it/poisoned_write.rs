//! A write the store rejects for good (a NUL in a name, which Postgres
//! refuses in text) is isolated: the rest of its batch commits, every other
//! user's writes go on, and only that user's update fails to become
//! durable. A commit that cannot finish shows as a stall readiness reads.

use std::sync::Arc;
use std::time::Duration;

use dianabot_actors::{ActorConfig, DispatchError, Envelope, Router};
use dianabot_game::{Command, Language, ProfileCommand, Rules, UserId};
use dianabot_persistence::{FlushConfig, Flusher, Store};
use dianabot_test_support::{TestDb, run};
use sqlx::Connection;

/// A runtime whose batches linger long enough to hold every write below.
async fn runtime(store: &Store) -> (Router, Flusher) {
    let config = FlushConfig { linger: Duration::from_millis(200), ..FlushConfig::default() };
    let (flusher, _task) = Flusher::spawn(store.clone(), config);
    let content = Arc::new(dianabot_test_support::load_demo().expect("demo content"));
    let rules = Arc::new(Rules::default());
    let router = Router::start(ActorConfig::default(), store.clone(), flusher.clone(), rules, content);
    (router, flusher)
}

async fn register(router: &Router, user: i64, first_name: &str) -> Result<(), DispatchError> {
    let command = Command::Profile(ProfileCommand::Register {
        first_name: first_name.to_owned(),
        username: None,
        language: Language::Es,
    });
    let envelope = Envelope { user_id: UserId(user), update_id: None, command };
    router.dispatch(envelope, |_, _| ()).await?.durable.wait().await
}

#[test]
fn a_rejected_write_is_dead_lettered_and_the_rest_of_its_batch_commits() {
    run(async {
        let db = TestDb::postgres().await;
        let store = db.store().await;
        let (router, flusher) = runtime(&store).await;
        let registrations = (1..=6).map(|user| {
            let router = router.clone();
            let name = if user == 3 { "Ana\u{0}".to_owned() } else { format!("u{user}") };
            async move { (user, register(&router, user, &name).await) }
        });
        let outcomes = tokio::time::timeout(Duration::from_secs(20), futures_util::future::join_all(registrations))
            .await
            .expect("one bad write stalled every write");
        for (user, outcome) in outcomes {
            match user {
                3 => assert_eq!(outcome, Err(DispatchError::Rejected), "the poisoned write is dead-lettered"),
                _ => assert_eq!(outcome, Ok(()), "user {user}'s write committed"),
            }
        }
        for user in 1..=6 {
            assert_eq!(store.load_user(UserId(user)).await.unwrap().is_some(), user != 3, "user {user} stored");
        }
        assert_eq!(flusher.stats().rejected_writes.load(std::sync::atomic::Ordering::Relaxed), 1);
        tokio::time::timeout(Duration::from_secs(10), register(&router, 7, "u7"))
            .await
            .expect("writes go on after a rejected one")
            .unwrap();
        drop(store);
        db.drop_db().await;
    });
}

#[test]
fn a_commit_that_cannot_finish_is_a_stall() {
    run(async {
        let db = TestDb::postgres().await;
        let store = db.store().await;
        let (router, flusher) = runtime(&store).await;
        assert_eq!(flusher.stats().commit_stalled_for(), Duration::ZERO);
        // Another session locks the users table against writes (reads pass,
        // so the actor loads): the next commit waits.
        let mut blocker = sqlx::PgConnection::connect(&db.url).await.unwrap();
        let mut lock = blocker.begin().await.unwrap();
        sqlx::query("LOCK TABLE users IN EXCLUSIVE MODE").execute(&mut *lock).await.unwrap();
        let waiting = tokio::spawn({
            let router = router.clone();
            async move { register(&router, 1, "u1").await }
        });
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while flusher.stats().commit_stalled_for() < Duration::from_millis(500) {
            assert!(std::time::Instant::now() < deadline, "the stall is not seen");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        lock.rollback().await.unwrap();
        waiting.await.unwrap().unwrap();
        assert_eq!(flusher.stats().commit_stalled_for(), Duration::ZERO, "committed: no stall");
        drop(store);
        db.drop_db().await;
    });
}
