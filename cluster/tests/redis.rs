//! Leases, tokens and fair share against a real Redis (127.0.0.1:6379).
//! Each test uses keys under a prefix of its own and deletes them after,
//! so tests never collide and nothing else in Redis is touched. The
//! store's side (`record_epoch`) is an in-memory map with the same rule.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dianabot_cluster::{Cluster, ClusterConfig, Host, HostError, Leases};
use dianabot_plumbing::shards::Ownership;

const REDIS: &str = "redis://127.0.0.1:6379";

fn prefix(test: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("dianabot-test:{test}:{}:{nanos}", std::process::id())
}

async fn leases(prefix: &str, node: &str, ttl: Duration) -> Leases {
    match Leases::connect(REDIS, prefix, node, ttl).await {
        Ok(leases) => leases,
        Err(err) => panic!("these tests need Redis at 127.0.0.1:6379 (start it: redis-server --daemonize yes): {err}"),
    }
}

/// Polls `done` until it holds or 20 s pass (leases expire in real time).
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_lease_is_renewed_by_its_holder_only_and_taken_over_with_a_higher_token_once_expired() {
    let prefix = prefix("lease");
    let ttl = Duration::from_millis(400);
    let (a, b) = (leases(&prefix, "a", ttl).await, leases(&prefix, "b", ttl).await);

    assert_eq!(a.acquire(&[(0, 0), (1, 0)]).await.unwrap(), vec![1, 1]);
    assert_eq!(b.acquire(&[(0, 0)]).await.unwrap(), vec![0], "held by a");
    assert_eq!(a.renew(&[0, 1]).await.unwrap(), vec![true, true]);
    assert_eq!(b.renew(&[0]).await.unwrap(), vec![false], "only the holder extends");

    // a stops renewing: once the lease passes, b takes it with the next token.
    let deadline = Instant::now() + Duration::from_secs(20);
    let token = loop {
        match b.acquire(&[(0, 0)]).await.unwrap()[..] {
            [0] => assert!(Instant::now() < deadline, "the lease never expired"),
            [token] => break token,
            _ => unreachable!(),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(token, 2);
    assert_eq!(a.renew(&[0]).await.unwrap(), vec![false], "a lost it");
    assert_eq!(a.release(&[0]).await.unwrap(), 0, "a cannot hand back what it lost");
    assert_eq!(b.release(&[0]).await.unwrap(), 1);
    assert_eq!(a.acquire(&[(0, 0)]).await.unwrap(), vec![3]);
    a.clear(2).await.unwrap();
}

#[tokio::test]
async fn tokens_continue_above_the_recorded_epoch_after_redis_loses_its_data() {
    let prefix = prefix("floor");
    let a = leases(&prefix, "a", Duration::from_secs(5)).await;
    assert_eq!(a.acquire(&[(3, 0)]).await.unwrap(), vec![1]);
    // Redis restarted without its data (only this test's keys are deleted).
    a.clear(4).await.unwrap();
    // The store recorded epoch 41 for shard 3 before: the next token is above it.
    assert_eq!(a.acquire(&[(3, 41)]).await.unwrap(), vec![42]);
    a.release(&[3]).await.unwrap();
    assert_eq!(a.acquire(&[(3, 41)]).await.unwrap(), vec![43], "and keeps counting from there");
    a.clear(4).await.unwrap();
}

/// The store's side: `shard_epochs` in memory, with `record_epoch`'s rule.
#[derive(Clone, Default)]
struct Epochs(Arc<Mutex<HashMap<u32, (i64, String)>>>);

struct MemHost {
    epochs: Epochs,
    node: String,
}

impl Host for MemHost {
    async fn recorded_epochs(&self) -> Result<HashMap<u32, i64>, HostError> {
        Ok(self.epochs.0.lock().unwrap().iter().map(|(shard, (epoch, _))| (*shard, *epoch)).collect())
    }

    async fn record_epoch(&self, shard: u32, token: i64) -> Result<bool, HostError> {
        let mut epochs = self.epochs.0.lock().unwrap();
        match epochs.get(&shard) {
            Some((epoch, _)) if *epoch >= token => Ok(false),
            _ => {
                epochs.insert(shard, (token, self.node.clone()));
                Ok(true)
            }
        }
    }

    async fn stop_serving(&self, _shards: Vec<u32>) {}
}

const SHARDS: u32 = 16;

async fn node(prefix: &str, name: &str, epochs: &Epochs) -> Cluster {
    let config = ClusterConfig {
        redis_url: REDIS.to_owned(),
        shards: SHARDS,
        lease: Duration::from_millis(600),
        node: name.to_owned(),
        prefix: prefix.to_owned(),
    };
    let ownership = Arc::new(Ownership::new(name, SHARDS));
    let host = MemHost { epochs: epochs.clone(), node: name.to_owned() };
    Cluster::start(config, ownership, host).await.expect("these tests need Redis at 127.0.0.1:6379")
}

/// Shards served by each node; panics if two serve one shard.
fn split(nodes: &[&Cluster]) -> Vec<usize> {
    for shard in 0..SHARDS {
        let serving = nodes.iter().filter(|node| node.ownership().owns(shard)).count();
        assert!(serving <= 1, "shard {shard} served by {serving} nodes");
    }
    nodes.iter().map(|node| node.ownership().owned()).collect()
}

fn covered(nodes: &[&Cluster], split: &[usize]) -> bool {
    split.iter().sum::<usize>() == SHARDS as usize && nodes.len() == split.len()
}

#[tokio::test]
async fn nodes_split_the_shards_fairly_and_split_again_when_one_joins_leaves_or_dies() {
    let prefix = prefix("share");
    let epochs = Epochs::default();
    let a = node(&prefix, "a", &epochs).await;
    eventually("a serves every shard alone", || split(&[&a]) == [16]).await;

    let b = node(&prefix, "b", &epochs).await;
    eventually("a and b serve half each", || split(&[&a, &b]) == [8, 8]).await;

    let c = node(&prefix, "c", &epochs).await;
    // At most ceil(16 / 3) = 6 each, every shard served.
    eventually("three nodes split 6/6/4 in some order", || {
        let split = split(&[&a, &b, &c]);
        covered(&[&a, &b, &c], &split) && split.iter().all(|&n| n <= 6)
    })
    .await;

    // A graceful drain hands everything back at once.
    c.leave().await;
    eventually("a and b serve half each again", || split(&[&a, &b]) == [8, 8]).await;

    // A node that dies hands nothing back: its leases expire.
    b.abandon();
    eventually("a serves everything after b died", || split(&[&a]) == [16]).await;

    // Every shard's recorded epoch is a's, and the tokens only grew.
    let recorded = epochs.0.lock().unwrap().clone();
    assert_eq!(recorded.len(), SHARDS as usize);
    for (shard, (epoch, node)) in &recorded {
        assert_eq!(node, "a", "shard {shard}");
        assert_eq!(a.ownership().token(*shard), *epoch);
    }
    assert!(a.stats().acquisitions.load(std::sync::atomic::Ordering::Relaxed) >= 16);
    a.leave().await;
    leases(&prefix, "cleanup", Duration::from_secs(1)).await.clear(SHARDS).await.unwrap();
}

#[tokio::test]
async fn a_shard_recorded_above_redis_gets_a_higher_token_and_a_fenced_shard_is_given_up() {
    let prefix = prefix("fenced");
    let epochs = Epochs::default();
    // The store recorded epoch 1000 for shard 5 under a Redis that has lost
    // its data since: a's token for it continues above.
    epochs.0.lock().unwrap().insert(5, (1_000, "gone".to_owned()));
    let a = node(&prefix, "a", &epochs).await;
    a.rounds(1).await;
    assert_eq!(a.ownership().owned(), 16, "the floor makes the token 1001: recorded and served");
    assert_eq!(a.ownership().token(5), 1_001);

    // The flusher reports shard 7 fenced: a stops serving it at once and
    // hands the lease back; with no one else around it takes it again,
    // with a newer token.
    let before = a.ownership().token(7);
    a.ownership().fenced(7, before);
    eventually("a serves shard 7 again under a new token", || a.ownership().token(7) > before).await;
    assert_eq!(a.stats().fenced.load(std::sync::atomic::Ordering::Relaxed), 1);
    a.leave().await;
    leases(&prefix, "cleanup", Duration::from_secs(1)).await.clear(SHARDS).await.unwrap();
}

// cluster-bus: calls through the per-shard streams.

use std::sync::atomic::{AtomicUsize, Ordering};

use dianabot_cluster::{Bus, BusConfig, BusError, ClusterStats};

/// A bus for `node` whose serving loop (if `serves`) follows an
/// ownership of the given shards, set by hand.
async fn bus(prefix: &str, node: &str, serves: &[u32], setup: impl FnOnce(&Bus)) -> (Bus, Arc<ClusterStats>) {
    let config = BusConfig {
        block: Duration::from_millis(100),
        ..BusConfig::new(&ClusterConfig {
            redis_url: REDIS.to_owned(),
            shards: SHARDS,
            lease: Duration::from_secs(1),
            node: node.to_owned(),
            prefix: prefix.to_owned(),
        })
    };
    let stats = Arc::new(ClusterStats::default());
    let bus = Bus::connect(config, stats.clone()).await.expect("these tests need Redis at 127.0.0.1:6379");
    setup(&bus);
    let ownership = Arc::new(Ownership::new(node, SHARDS));
    for shard in serves {
        ownership.serve(*shard, 1);
    }
    bus.serve(ownership).await.expect("serve");
    (bus, stats)
}

async fn stream_len(prefix: &str, shard: u32) -> usize {
    let client = redis::Client::open(REDIS).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("XLEN").arg(format!("{prefix}:bus:{shard}")).query_async(&mut conn).await.unwrap()
}

#[tokio::test]
async fn a_call_is_answered_by_the_owner_of_its_shard() {
    let prefix = prefix("bus-call");
    let (owner, owner_stats) = bus(&prefix, "a", &[2], |bus| {
        bus.handle("echo", |call| async move {
            let mut answer = format!("{} on {} for {}: ", call.kind, call.shard, call.origin).into_bytes();
            answer.extend(call.payload);
            Ok(answer)
        });
        bus.handle("refuse", |_| async move { Err("no such user".to_owned()) });
    })
    .await;
    let (origin, origin_stats) = bus(&prefix, "b", &[], |_| {}).await;

    let answer = origin.call(2, "echo", b"\x00hi", Duration::from_secs(10)).await.expect("answered");
    assert_eq!(answer, b"echo on 2 for b: \x00hi");
    match origin.call(2, "refuse", b"", Duration::from_secs(10)).await {
        Err(BusError::Failed { shard: 2, reason, .. }) => assert_eq!(reason, "no such user"),
        other => panic!("expected the handler's failure, got {other:?}"),
    }
    match origin.call(2, "unknown", b"", Duration::from_secs(10)).await {
        Err(BusError::Failed { reason, .. }) => assert!(reason.contains("no handler"), "{reason}"),
        other => panic!("expected a failure for a kind nobody handles, got {other:?}"),
    }
    // Calls to itself go the same way.
    assert_eq!(owner.call(2, "echo", b"", Duration::from_secs(10)).await.unwrap(), b"echo on 2 for a: ");

    assert_eq!(owner_stats.bus_served.load(Ordering::Relaxed), 4);
    assert_eq!(origin_stats.bus_calls_answered.load(Ordering::Relaxed), 1);
    assert_eq!(origin_stats.bus_calls_failed.load(Ordering::Relaxed), 2);
    assert_eq!(stream_len(&prefix, 2).await, 0, "handled entries are deleted");
    owner.stop().await;
    origin.stop().await;
    leases(&prefix, "cleanup", Duration::from_secs(1)).await.clear(SHARDS).await.unwrap();
}

#[tokio::test]
async fn a_call_left_pending_by_a_dead_owner_is_claimed_by_the_next_and_answered_once() {
    let prefix = prefix("bus-claim");
    // a takes the call and dies before answering it.
    let (started, mut started_rx) = tokio::sync::mpsc::unbounded_channel();
    let (dead, _) = bus(&prefix, "a", &[5], move |bus| {
        bus.handle("pay", move |call| {
            let _ = started.send(call.id.clone());
            std::future::pending()
        });
    })
    .await;
    let (origin, origin_stats) = bus(&prefix, "o", &[], |_| {}).await;
    let call = tokio::spawn({
        let origin = origin.clone();
        async move { origin.call(5, "pay", b"7", Duration::from_secs(20)).await }
    });
    let first = started_rx.recv().await.expect("a got the call");
    dead.abandon();

    // b acquires shard 5: it claims the entry and answers the waiting origin.
    let runs = Arc::new(AtomicUsize::new(0));
    let (next, next_stats) = bus(&prefix, "b", &[5], {
        let runs = runs.clone();
        move |bus| {
            bus.handle("pay", move |call| {
                let runs = runs.clone();
                async move {
                    runs.fetch_add(1, Ordering::Relaxed);
                    Ok([b"paid ".as_slice(), &call.payload, b" ", call.id.as_bytes()].concat())
                }
            });
        }
    })
    .await;
    let answer = call.await.unwrap().expect("answered by the next owner");
    assert_eq!(answer, [b"paid 7 ".as_slice(), first.as_bytes()].concat(), "the same call");
    assert_eq!(next_stats.bus_claimed.load(Ordering::Relaxed), 1);

    // Exactly once: nothing waits any more, and b ran it once.
    until_empty("the stream is empty", || stream_len(&prefix, 5)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(runs.load(Ordering::Relaxed), 1);
    assert_eq!(origin_stats.bus_calls_answered.load(Ordering::Relaxed), 1);
    next.stop().await;
    origin.stop().await;
    leases(&prefix, "cleanup", Duration::from_secs(1)).await.clear(SHARDS).await.unwrap();
}

/// Polls `length` until it is 0, 20 s at most.
async fn until_empty<F: std::future::Future<Output = usize>>(what: &str, length: impl Fn() -> F) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while length().await != 0 {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_call_to_a_shard_nobody_serves_times_out_with_a_clear_error() {
    let prefix = prefix("bus-timeout");
    let (origin, stats) = bus(&prefix, "o", &[], |_| {}).await;
    let err = origin.call(9, "pay", b"", Duration::from_millis(300)).await.expect_err("nobody serves shard 9");
    assert!(matches!(err, BusError::Timeout { shard: 9, .. }), "{err:?}");
    assert_eq!(err.to_string(), "no answer from the owner of shard 9 to a \"pay\" call within 300ms");
    assert_eq!(stats.bus_calls_timed_out.load(Ordering::Relaxed), 1);
    // The entry waits for whoever serves the shard next.
    assert_eq!(stream_len(&prefix, 9).await, 1);
    origin.stop().await;
    leases(&prefix, "cleanup", Duration::from_secs(1)).await.clear(SHARDS).await.unwrap();
}
