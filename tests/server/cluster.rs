//! Clustering, phase 1, through the real binary with real Redis and
//! Postgres: fencing (issue 20, done-means 2). A node holding a write in
//! flight is stopped (SIGSTOP) until its leases pass; another node takes
//! the shards and commits; the first, resumed, commits nothing and rejoins.

use std::collections::BTreeSet;
use std::time::Duration;

use dianabot_persistence::Store;
use dianabot_plumbing::shards::virtual_shard;

use crate::common::cluster::{REDIS, clear_prefix, cluster_status, metric_until, need_redis, signal, unique_prefix};
use crate::common::server::{ServerProcess, WEBHOOK_SECRET, start_update};
use crate::common::{TestDb, run};

const SHARDS: u32 = 8;

async fn post(url: String, body: serde_json::Value) -> u16 {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("client");
    let response = client
        .post(url)
        .header("X-Telegram-Bot-Api-Secret-Token", WEBHOOK_SECRET)
        .json(&body)
        .send()
        .await
        .expect("webhook answers");
    response.status().as_u16()
}

async fn ledger_updates(store: &Store, user: i64) -> Vec<Option<i64>> {
    let Store::Postgres(pool) = store else { unreachable!("runs on Postgres") };
    sqlx::query_scalar("SELECT update_id FROM ledger WHERE user_id = $1 ORDER BY seq")
        .bind(user)
        .fetch_all(pool)
        .await
        .expect("ledger rows")
}

async fn shards_of(store: &Store, node: &str) -> BTreeSet<u32> {
    let epochs = store.shard_epochs().await.expect("shard epochs");
    epochs.into_iter().filter(|row| row.node == node).map(|row| row.shard as u32).collect()
}

#[test]
fn a_node_paused_past_its_leases_commits_nothing_and_rejoins_cleanly() {
    need_redis();
    run(async {
        let db = TestDb::postgres().await;
        let prefix = unique_prefix("fencing");
        let env = |node: &'static str, linger: &'static str| {
            let prefix = prefix.clone();
            move || {
                vec![
                    ("REDIS_URL", REDIS.to_owned()),
                    ("CLUSTER_PREFIX", prefix.clone()),
                    ("CLUSTER_SHARDS", SHARDS.to_string()),
                    ("CLUSTER_LEASE_MS", "1500".to_owned()),
                    ("CLUSTER_NODE_ID", node.to_owned()),
                    ("FLUSH_LINGER_MS", linger.to_owned()),
                ]
            }
        };
        let start = |env: Vec<(&'static str, String)>| {
            let url = db.url.clone();
            async move {
                let env: Vec<(&str, &str)> = env.iter().map(|(name, value)| (*name, value.as_str())).collect();
                ServerProcess::webhook_with(&url, &env).await
            }
        };
        // Node a alone serves every shard; its batches wait 3 s for company.
        let a = start(env("a", "3000")()).await;
        metric_until(&a, "dianabot_cluster_shards_owned", |owned| owned == f64::from(SHARDS)).await;
        let user = 4242;
        let in_flight = tokio::spawn(post(a.webhook_url(), start_update(1, user)));
        metric_until(&a, "dianabot_flush_dirty_users", |dirty| dirty == 1.0).await;

        // a stops with the write in its batch; b starts and, once a's
        // leases passed, takes every shard and serves the same user.
        signal(&a, "STOP");
        let b = start(env("b", "2")()).await;
        metric_until(&b, "dianabot_cluster_shards_owned", |owned| owned == f64::from(SHARDS)).await;
        assert_eq!(post(b.webhook_url(), start_update(2, user)).await, 200);
        let store = db.store().await;
        assert_eq!(ledger_updates(&store, user).await, vec![Some(2)], "b's welcome bonus");

        // a resumes: its write is fenced, its update not acknowledged.
        signal(&a, "CONT");
        assert_eq!(in_flight.await.expect("a's request"), 503, "the fenced update stays unacknowledged");
        assert_eq!(ledger_updates(&store, user).await, vec![Some(2)], "a committed nothing");
        metric_until(&a, "dianabot_flush_fenced_writes_total", |fenced| fenced >= 1.0).await;

        // a rejoins: b hands half the shards over, and a serves them.
        metric_until(&a, "dianabot_cluster_shards_owned", |owned| owned == f64::from(SHARDS / 2)).await;
        metric_until(&b, "dianabot_cluster_shards_owned", |owned| owned == f64::from(SHARDS / 2)).await;
        let mine = shards_of(&store, "a").await;
        assert_eq!(mine.len(), (SHARDS / 2) as usize, "a recorded its tokens");
        let ours = (10_000..).find(|user| mine.contains(&virtual_shard(*user, SHARDS))).unwrap();
        let theirs = (10_000..).find(|user| !mine.contains(&virtual_shard(*user, SHARDS))).unwrap();
        assert_eq!(post(a.webhook_url(), start_update(3, ours)).await, 200);
        assert_eq!(ledger_updates(&store, ours).await, vec![Some(3)]);
        // Phase 1: a user of another node's shard is refused, not forwarded.
        assert_eq!(post(a.webhook_url(), start_update(4, theirs)).await, 503);
        assert_eq!(ledger_updates(&store, theirs).await, vec![]);

        // `dianabot cluster status` reads Redis and shard_epochs: two nodes,
        // half the shards each, every one served under its recorded epoch.
        let text = cluster_status(&db.url, &prefix, SHARDS);
        assert!(text.contains("live nodes: 2"), "{text}");
        assert_eq!(text.matches("   4 shards").count(), 2, "{text}");
        assert!(text.contains("shards not served under their recorded epoch: 0"), "{text}");

        for mut server in [a, b] {
            signal(&server, "TERM");
            assert!(server.wait_exit(Duration::from_secs(30)), "graceful exit; log:\n{}", server.log_text());
        }
        store.close().await;
        clear_prefix(&prefix).await;
        db.drop_db().await;
    });
}
