//! The timer service over a real store, time driven by an adjustable
//! clock: a timer fires once its due time comes and not before, exactly
//! once, after a restart of the service too; transient failures retry and
//! permanent ones drop; a user's timer reaches the user's actor, whose
//! decision clears it in the same commit.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dianabot_actors::{
    ActorConfig, Envelope, Fired, TimerConfig, TimerFailure, TimerService, TimerStats, TimerTarget, silent_user_timers,
};
use dianabot_game::{Command, Event, Language, ProfileCommand, Timer, TimerName, UserId, UserState};
use dianabot_persistence::{Store, StoredTimer, USER_TIMERS, UserWrite};
use dianabot_plumbing::{Backoff, Clock};
use dianabot_test_support::{TestDb, run, start_runtime};

const PROBE: &str = "probe";

fn config() -> TimerConfig {
    TimerConfig {
        poll_interval: Duration::from_millis(20),
        retry: Backoff::new(Duration::from_millis(10), Duration::from_millis(40)),
        ..TimerConfig::default()
    }
}

fn probe_timer(owner_id: i64, due: i64) -> StoredTimer {
    StoredTimer { owner_kind: PROBE.into(), owner_id, name: "ping".into(), due }
}

/// A target that records what it was handed and answers what `answer` says.
fn probe(
    answer: impl Fn(&StoredTimer, usize) -> Result<(), TimerFailure> + Send + Sync + 'static,
) -> (Arc<dyn TimerTarget>, Arc<Mutex<Vec<StoredTimer>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let target = move |timer: StoredTimer| -> Fired {
        let attempts = {
            let mut seen = record.lock().unwrap();
            seen.push(timer.clone());
            seen.iter().filter(|seen| **seen == timer).count()
        };
        let answer = answer(&timer, attempts);
        Box::pin(async move { answer })
    };
    (Arc::new(target), seen)
}

fn targets(kind: &str, target: Arc<dyn TimerTarget>) -> BTreeMap<String, Arc<dyn TimerTarget>> {
    BTreeMap::from([(kind.to_owned(), target)])
}

async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Two whole polls after this call: whatever was due by then was seen.
async fn two_polls(service: &TimerService, stats: &TimerStats) {
    let start = stats.polls.load(Ordering::Relaxed);
    service.poke();
    eventually("two polls", || stats.polls.load(Ordering::Relaxed) >= start + 2).await;
}

#[test]
fn a_timer_fires_when_the_clock_reaches_it_and_only_once() {
    run(async {
        let db = TestDb::postgres().await;
        let store = db.store().await;
        let clock = Clock::adjustable(0);
        let now = clock.now();
        for (owner, due) in [(1, now + 100), (2, now + 200), (3, now + 10_000)] {
            store.set_timer(&probe_timer(owner, due)).await.unwrap();
        }
        let (target, seen) = probe(|_, _| Ok(()));
        let service = TimerService::start(store.clone(), clock.clone(), config(), targets(PROBE, target));
        let stats = service.stats();
        two_polls(&service, &stats).await;
        assert!(seen.lock().unwrap().is_empty(), "nothing is due yet");

        clock.advance(150).unwrap();
        two_polls(&service, &stats).await;
        assert_eq!(*seen.lock().unwrap(), vec![probe_timer(1, now + 100)]);
        // Moved earlier, the far one is due with the next.
        store.set_timer(&probe_timer(3, now + 180)).await.unwrap();
        clock.advance(100).unwrap();
        two_polls(&service, &stats).await;
        two_polls(&service, &stats).await;
        let mut fired: Vec<_> = seen.lock().unwrap().iter().map(|timer| timer.owner_id).collect();
        fired.sort_unstable();
        assert_eq!(fired, vec![1, 2, 3], "each once");
        assert_eq!(stats.fired.load(Ordering::Relaxed), 3);
        assert_eq!(store.due_timers(clock.now() + 100_000, None, 10).await.unwrap(), vec![]);
        service.stop().await;
        store.close().await;
        db.drop_db().await;
    });
}

#[test]
fn a_timer_due_while_the_service_was_down_fires_after_it_starts_again() {
    run(async {
        let db = TestDb::sqlite();
        let store = db.store().await;
        let clock = Clock::adjustable(0);
        store.set_timer(&probe_timer(7, clock.now() + 60)).await.unwrap();
        let (target, seen) = probe(|_, _| Ok(()));
        let first = TimerService::start(store.clone(), clock.clone(), config(), targets(PROBE, target.clone()));
        two_polls(&first, &first.stats()).await;
        first.stop().await;
        clock.advance(3_600).unwrap();
        assert!(seen.lock().unwrap().is_empty());

        let second = TimerService::start(store.clone(), clock.clone(), config(), targets(PROBE, target));
        let stats = second.stats();
        eventually("the overdue timer to fire", || stats.fired.load(Ordering::Relaxed) == 1).await;
        assert_eq!(stats.late.load(Ordering::Relaxed), 1, "an hour past due counts as late");
        assert_eq!(seen.lock().unwrap().len(), 1);
        second.stop().await;
        store.close().await;
        db.drop_db().await;
    });
}

#[test]
fn transient_failures_are_retried_and_permanent_ones_dropped() {
    run(async {
        let db = TestDb::sqlite();
        let store = db.store().await;
        let clock = Clock::adjustable(0);
        let now = clock.now();
        store.set_timer(&probe_timer(1, now)).await.unwrap();
        store.set_timer(&probe_timer(2, now)).await.unwrap();
        let (target, seen) = probe(|timer, attempt| match (timer.owner_id, attempt) {
            (1, 1..=2) => Err(TimerFailure::Transient("store blip".into())),
            (1, _) => Ok(()),
            _ => Err(TimerFailure::Permanent("no such owner".into())),
        });
        let service = TimerService::start(store.clone(), clock.clone(), config(), targets(PROBE, target));
        let stats = service.stats();
        eventually("both timers settled", || {
            stats.fired.load(Ordering::Relaxed) == 1
                && stats.dropped.load(Ordering::Relaxed) == 1
                && stats.in_flight.load(Ordering::Relaxed) == 0
        })
        .await;
        assert_eq!(stats.retried.load(Ordering::Relaxed), 2);
        assert_eq!(stats.dropped.load(Ordering::Relaxed), 1);
        let attempts: Vec<_> = seen.lock().unwrap().iter().map(|timer| timer.owner_id).collect();
        assert_eq!(attempts.iter().filter(|&&owner| owner == 1).count(), 3);
        assert_eq!(attempts.iter().filter(|&&owner| owner == 2).count(), 1);
        assert_eq!(store.due_timers(now + 1, None, 10).await.unwrap(), vec![]);
        service.stop().await;
        store.close().await;
        db.drop_db().await;
    });
}

async fn timers_of(store: &Store, user: i64) -> Vec<StoredTimer> {
    store.timers_of(USER_TIMERS, user).await.unwrap()
}

#[test]
fn a_users_timer_reaches_their_actor_which_clears_it_with_its_decision() {
    run(async {
        let db = TestDb::postgres().await;
        let store = db.store().await;
        let clock = Clock::adjustable(0);
        let runtime =
            start_runtime(store.clone(), ActorConfig { clock: clock.clone(), ..ActorConfig::default() }).await;
        let register = Command::Profile(ProfileCommand::Register {
            first_name: "Ana".into(),
            username: None,
            language: Language::Es,
        });
        let envelope = Envelope { user_id: UserId(1), update_id: None, command: register };
        runtime.router.dispatch(envelope, |_, _| ()).await.unwrap().durable.wait().await.unwrap();
        // A decision that set a timer, as the user's actor would write it.
        let state = runtime.router.view(UserId(1), UserState::clone).await.unwrap();
        let timer = Timer { name: TimerName::VipExpiry, due: clock.now() + 30 };
        store.write_batch(&[UserWrite::from_events(&state, &[Event::TimerSet(timer)], clock.now())]).await.unwrap();
        // And one of a name this build does not know (a newer release's).
        let unknown = StoredTimer { owner_kind: USER_TIMERS.into(), owner_id: 1, name: "later.thing".into(), due: 0 };
        store.set_timer(&unknown).await.unwrap();

        let targets = targets(USER_TIMERS, silent_user_timers(runtime.router.clone()));
        let service = TimerService::start(store.clone(), clock.clone(), config(), targets);
        let stats = service.stats();
        eventually("the unknown timer dropped", || {
            stats.dropped.load(Ordering::Relaxed) == 1 && stats.in_flight.load(Ordering::Relaxed) == 0
        })
        .await;
        assert_eq!(timers_of(&store, 1).await.len(), 1, "the user's timer waits for its time");

        clock.advance(60).unwrap();
        service.poke();
        eventually("the user's timer handled", || stats.fired.load(Ordering::Relaxed) == 1).await;
        assert_eq!(timers_of(&store, 1).await, vec![]);
        let after = runtime.router.view(UserId(1), UserState::clone).await.unwrap();
        assert_eq!(after.version, state.version + 1, "the firing was one decision of the actor");
        service.stop().await;
        store.close().await;
        db.drop_db().await;
    });
}
