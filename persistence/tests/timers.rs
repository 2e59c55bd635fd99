//! The `timers` table, on Postgres and SQLite alike: what a user's writes
//! set and clear is what the table holds — one write at a time or merged —
//! and a clear for a due time the timer no longer has leaves it alone.

use std::collections::BTreeMap;

use dianabot_game::{Event, Language, Profile, Timer, TimerName, UserId, UserState};
use dianabot_persistence::{Store, StoredTimer, USER_TIMERS, UserWrite};
use dianabot_test_support::{Backend, TestDb, run};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const NAMES: [TimerName; 3] = [TimerName::VipExpiry, TimerName::VipGraceEnd, TimerName::VipReminder { days_before: 3 }];

/// A timer event over a few names and due times, so sets and clears meet.
fn timer_event() -> impl Strategy<Value = Event> {
    (0..NAMES.len(), 1..4i64, prop::bool::ANY).prop_map(|(name, due, set)| {
        let timer = Timer { name: NAMES[name], due: due * 100 };
        if set { Event::TimerSet(timer) } else { Event::TimerCleared(timer) }
    })
}

/// What the table must hold after `events`, in order.
fn model(events: &[Event]) -> BTreeMap<String, i64> {
    let mut timers = BTreeMap::new();
    for event in events {
        match event {
            Event::TimerSet(timer) => {
                timers.insert(timer.name.key(), timer.due);
            }
            Event::TimerCleared(timer) => {
                if timers.get(&timer.name.key()) == Some(&timer.due) {
                    timers.remove(&timer.name.key());
                }
            }
            _ => unreachable!("only timer events are generated"),
        }
    }
    timers
}

fn registered(user: UserId) -> UserState {
    let mut state = UserState::new(user);
    let profile = Profile {
        first_name: "Ana".into(),
        username: None,
        language: Language::Es,
        registered_at: 1,
        broadcasts_opt_out: false,
    };
    state.apply(&Event::Registered { profile });
    state
}

/// The writes of `events` applied one command each, in batches of `chunk`
/// merged writes.
fn writes(state: &mut UserState, events: &[Event], chunk: usize) -> Vec<UserWrite> {
    let mut writes: Vec<UserWrite> = Vec::new();
    for (index, event) in events.iter().enumerate() {
        state.version += 1;
        let write = UserWrite::from_events(state, std::slice::from_ref(event), 1);
        match writes.last_mut() {
            Some(last) if index % chunk != 0 => last.merge(write),
            _ => writes.push(write),
        }
    }
    writes
}

async fn stored(store: &Store, user: UserId) -> BTreeMap<String, i64> {
    let timers = store.timers_of(USER_TIMERS, user.0).await.expect("timers of a user");
    timers.into_iter().map(|timer| (timer.name, timer.due)).collect()
}

fn the_table_follows_the_model(backend: Backend) {
    run(async move {
        let db = TestDb::new(backend).await;
        let store = db.store().await;
        let mut runner = TestRunner::new(Config { cases: 48, ..Config::default() });
        let cases = std::cell::RefCell::new(Vec::new());
        runner
            .run(&(prop::collection::vec(timer_event(), 1..16), 1..5usize), |case| {
                cases.borrow_mut().push(case);
                Ok(())
            })
            .expect("collect cases");
        for (index, (events, chunk)) in cases.into_inner().into_iter().enumerate() {
            let user = UserId(index as i64 + 1);
            let mut state = registered(user);
            for write in writes(&mut state, &events, chunk) {
                store.write_batch(&[write]).await.expect("write batch");
            }
            assert_eq!(stored(&store, user).await, model(&events), "events {events:?}, merged by {chunk}");
        }
        store.close().await;
        db.drop_db().await;
    });
}

#[test]
fn postgres_timers_follow_their_writes() {
    the_table_follows_the_model(Backend::Postgres);
}

#[test]
fn sqlite_timers_follow_their_writes() {
    the_table_follows_the_model(Backend::Sqlite);
}

#[test]
fn due_timers_come_earliest_first_and_system_timers_are_written_through() {
    run(async {
        for db in [TestDb::sqlite(), TestDb::postgres().await] {
            let store = db.store().await;
            let post = |owner_id, due| StoredTimer { owner_kind: "post".into(), owner_id, name: "publish".into(), due };
            store.set_timer(&post(7, 300)).await.unwrap();
            store.set_timer(&post(8, 100)).await.unwrap();
            store.set_timer(&post(9, 900)).await.unwrap();
            // Moving a timer replaces it.
            store.set_timer(&post(7, 200)).await.unwrap();
            let due = store.due_timers(500, None, 10).await.unwrap();
            assert_eq!(due, vec![post(8, 100), post(7, 200)]);
            // Pages: one at a time, each after the last one seen.
            let first = store.due_timers(500, None, 1).await.unwrap();
            assert_eq!(first, vec![post(8, 100)]);
            assert_eq!(store.due_timers(500, first.last(), 1).await.unwrap(), vec![post(7, 200)]);
            assert_eq!(store.due_timers(500, Some(&post(7, 200)), 1).await.unwrap(), vec![]);
            assert_eq!(store.count_due_timers(500).await.unwrap(), 2);
            // A clear for a due time the timer no longer has changes nothing.
            assert!(!store.clear_timer(&post(7, 300)).await.unwrap());
            assert!(store.clear_timer(&post(7, 200)).await.unwrap());
            assert_eq!(store.due_timers(1_000, None, 10).await.unwrap(), vec![post(8, 100), post(9, 900)]);
            store.close().await;
            db.drop_db().await;
        }
    });
}

#[test]
fn a_scheduled_post_comes_with_its_timer_once_per_operator_update() {
    use dianabot_persistence::{PUBLISH, SCHEDULED_POSTS, ScheduledPost, ScheduledStatus};
    run(async {
        for db in [TestDb::sqlite(), TestDb::postgres().await] {
            let store = db.store().await;
            let post = |id| ScheduledPost {
                id,
                chat_id: -100,
                vip: true,
                text: "Esta noche".into(),
                due: 1_000,
                created_by: UserId(9),
                status: ScheduledStatus::Scheduled,
                message_id: None,
            };
            let first = store.schedule_post(&post(1), Some(77), 10).await.unwrap();
            assert_eq!(first, post(1));
            // The same operator update delivered again: the first post, no second timer.
            assert_eq!(store.schedule_post(&post(2), Some(77), 11).await.unwrap(), post(1));
            let timer =
                StoredTimer { owner_kind: SCHEDULED_POSTS.into(), owner_id: 1, name: PUBLISH.into(), due: 1_000 };
            assert_eq!(store.due_timers(1_000, None, 10).await.unwrap(), vec![timer]);
            // Moves happen only from the status named.
            let (scheduled, sending) = (ScheduledStatus::Scheduled, ScheduledStatus::Sending);
            assert!(store.move_scheduled_post(1, scheduled, sending, None, 12).await.unwrap());
            assert!(!store.move_scheduled_post(1, scheduled, sending, None, 13).await.unwrap());
            let published = ScheduledStatus::Published;
            assert!(store.move_scheduled_post(1, sending, published, Some(55), 14).await.unwrap());
            let stored = store.scheduled_post(1).await.unwrap().expect("the post");
            assert_eq!((stored.status, stored.message_id), (published, Some(55)));
            assert_eq!(store.scheduled_posts(10).await.unwrap().len(), 1);
            store.close().await;
            db.drop_db().await;
        }
    });
}
