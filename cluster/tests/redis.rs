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
