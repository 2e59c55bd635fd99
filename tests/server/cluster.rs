//! Clustering through the real binary with real Redis and Postgres.
//! Fencing (issue 20, done-means 2): a node holding a write in flight is
//! stopped (SIGSTOP) until its leases pass; another node takes the shards
//! and commits; the first, resumed, commits nothing and rejoins.
//! Routing (phase 2): updates and gift steps for another node's players are
//! forwarded through the bus, and a forwarded update its owner died with
//! is finished by the next owner, once.
//! Placement (phase 3): a channel post's actor runs on one node for every
//! player; an operator's flag, role or content change on one node is live
//! on the others without a restart.
//! A limited item's stock and an auction are decided on the node serving
//! their shard, whichever node the players are on.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use dianabot_persistence::Store;
use dianabot_plumbing::shards::{placement_key, virtual_shard};

use crate::common::cluster::{REDIS, clear_prefix, cluster_status, metric_until, need_redis, signal, unique_prefix};
use crate::common::control::Control;
use crate::common::control::text;
use crate::common::server::{
    EmulatorProcess, ServerProcess, WEBHOOK_SECRET, channel_post_update, reaction_update, start_update, text_update,
};
use crate::common::{TestDb, assert_conserved, balances_and_ledger_sums, run, sold_and_held};
use crate::content_reload::demo_copy;

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
        // A user of another node's shard: forwarded to b, durable there.
        assert_eq!(post(a.webhook_url(), start_update(4, theirs)).await, 200);
        assert_eq!(ledger_updates(&store, theirs).await, vec![Some(4)]);

        // `dianabot cluster status` reads Redis and shard_epochs: two nodes,
        // half the shards each, every one served under its recorded epoch.
        let text = cluster_status(&db.url, &prefix, SHARDS);
        assert!(text.contains("live nodes: 2"), "{text}");
        assert_eq!(text.matches("   4 shards").count(), 2, "{text}");
        assert!(text.contains("shards not served under their recorded epoch: 0"), "{text}");

        stop_gracefully([a, b], store, &prefix, db).await;
    });
}

async fn balance(store: &Store, user: i64) -> i64 {
    let rows = balances_and_ledger_sums(store).await;
    rows.iter().find(|(id, _, _)| *id == user).map_or(0, |(_, balance, _)| *balance)
}

/// A user id from 20 000 on whose shard is (or is not) in `shards`, not in `taken`.
fn user_in(shards: &BTreeSet<u32>, inside: bool, taken: &[i64]) -> i64 {
    (20_000..)
        .find(|user| shards.contains(&virtual_shard(*user, SHARDS)) == inside && !taken.contains(user))
        .expect("a user")
}

#[test]
fn updates_and_gifts_for_another_nodes_players_are_forwarded_and_survive_its_death() {
    need_redis();
    run(async {
        let db = TestDb::postgres().await;
        let emulator = EmulatorProcess::start().await;
        let control = Control::new(&emulator.url());
        let prefix = unique_prefix("forward");
        let env = |node: &str, linger: &str| {
            vec![
                ("REDIS_URL", REDIS.to_owned()),
                ("CLUSTER_PREFIX", prefix.clone()),
                ("CLUSTER_SHARDS", SHARDS.to_string()),
                ("CLUSTER_LEASE_MS", "1500".to_owned()),
                ("CLUSTER_NODE_ID", node.to_owned()),
                ("CLUSTER_CALL_TIMEOUT_MS", "8000".to_owned()),
                ("FLUSH_LINGER_MS", linger.to_owned()),
                // Replies go to the emulator, where the test reads them.
                ("TELEGRAM_API_URL", emulator.url()),
            ]
        };
        let start = |env: Vec<(&'static str, String)>| {
            let url = db.url.clone();
            async move {
                let env: Vec<(&str, &str)> = env.iter().map(|(name, value)| (*name, value.as_str())).collect();
                ServerProcess::webhook_with(&url, &env).await
            }
        };
        let a = start(env("a", "2")).await;
        metric_until(&a, "dianabot_cluster_shards_owned", |owned| owned == f64::from(SHARDS)).await;
        // b commits its batches 2 s late: time to die with a call pending.
        let mut b = start(env("b", "2000")).await;
        metric_until(&a, "dianabot_cluster_shards_owned", |owned| owned == f64::from(SHARDS / 2)).await;
        metric_until(&b, "dianabot_cluster_shards_owned", |owned| owned == f64::from(SHARDS / 2)).await;
        let store = db.store().await;
        let bs = shards_of(&store, "b").await;
        let on_a = user_in(&bs, false, &[]);
        let on_b = user_in(&bs, true, &[]);
        let dies_with_b = user_in(&bs, true, &[on_b]);
        for user in [on_a, on_b, dies_with_b] {
            control.create_user_started(user, true).await;
        }

        // b's player, posted to a: acknowledged only once b committed it,
        // and b's answer reaches the player.
        assert_eq!(post(a.webhook_url(), start_update(10, on_b)).await, 200);
        assert_eq!(ledger_updates(&store, on_b).await, vec![Some(10)], "durable before the 200");
        control.wait_for(on_b, "b's welcome", |messages| !messages.is_empty()).await;
        assert_eq!(a.metric("dianabot_cluster_forwarded_updates_total{direction=\"out\"}").await, 1.0);
        assert_eq!(b.metric("dianabot_cluster_forwarded_updates_total{direction=\"in\"}").await, 1.0);
        // Telegram delivers it again: a duplicate, still once in the ledger.
        assert_eq!(post(a.webhook_url(), start_update(10, on_b)).await, 200);
        assert_eq!(ledger_updates(&store, on_b).await, vec![Some(10)]);

        // A gift from a's player to b's: the receiving step runs on b, once.
        assert_eq!(post(a.webhook_url(), start_update(11, on_a)).await, 200);
        let (giver, receiver) = (balance(&store, on_a).await, balance(&store, on_b).await);
        assert_eq!(post(a.webhook_url(), text_update(12, on_a, &format!("/regalar {on_b} 10"))).await, 200);
        let deadline = Instant::now() + Duration::from_secs(20);
        while !store.pending_transfers().await.expect("pending transfers").is_empty() {
            assert!(Instant::now() < deadline, "the gift never settled; logs:\n{}\n{}", a.log_text(), b.log_text());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(balance(&store, on_a).await, giver - 10);
        assert_eq!(balance(&store, on_b).await, receiver + 10, "delivered once");
        assert!(b.metric("dianabot_cluster_bus_served_total").await >= 2.0, "b served the update and the step");
        assert_conserved(&store).await;

        // kill -9 b while it handles a forwarded update (its batch waits):
        // a takes b's shards, claims the entry and finishes it, once.
        let forwarded = tokio::spawn(post(a.webhook_url(), start_update(13, dies_with_b)));
        metric_until(&b, "dianabot_flush_dirty_users", |dirty| dirty == 1.0).await;
        b.kill_hard();
        metric_until(&a, "dianabot_cluster_shards_owned", |owned| owned == f64::from(SHARDS)).await;
        metric_until(&a, "dianabot_cluster_bus_claimed_total", |claimed| claimed >= 1.0).await;
        let status = forwarded.await.expect("a's request");
        // a answered once its own run was durable, or (had the owner's answer
        // been too late) left it unacknowledged and Telegram delivers it again.
        if status != 200 {
            assert_eq!(status, 503);
            assert_eq!(post(a.webhook_url(), start_update(13, dies_with_b)).await, 200);
        }
        assert_eq!(ledger_updates(&store, dies_with_b).await, vec![Some(13)], "once");
        assert_eq!(post(a.webhook_url(), start_update(13, dies_with_b)).await, 200, "a re-delivery");
        assert_eq!(ledger_updates(&store, dies_with_b).await, vec![Some(13)], "still once");
        assert_books(&store).await;

        stop_gracefully([a], store, &prefix, db).await;
    });
}

/// Every balance is its ledger's sum, and the besitos are conserved.
async fn assert_books(store: &Store) {
    for (user, balance, ledger_sum) in balances_and_ledger_sums(store).await {
        assert_eq!(balance, ledger_sum, "user {user}");
    }
    assert_conserved(store).await;
}

/// Each node stopped with SIGTERM and gone gracefully; then the test's
/// database and Redis keys.
async fn stop_gracefully<const N: usize>(nodes: [ServerProcess; N], store: Store, prefix: &str, db: TestDb) {
    for mut node in nodes {
        signal(&node, "TERM");
        assert!(node.wait_exit(Duration::from_secs(30)), "graceful exit; log:\n{}", node.log_text());
    }
    store.close().await;
    clear_prefix(prefix).await;
    db.drop_db().await;
}

const OPERATOR: i64 = 900;

/// Two nodes, a then b, splitting the shards; replies go to `emulator`,
/// and 900 owns the bot (`extra` besides).
async fn two_nodes(
    db: &TestDb,
    emulator: &EmulatorProcess,
    prefix: &str,
    extra: &[(&'static str, &str)],
) -> (ServerProcess, ServerProcess) {
    let env = |node: &str| {
        let mut env: Vec<(&'static str, String)> = vec![
            ("REDIS_URL", REDIS.to_owned()),
            ("CLUSTER_PREFIX", prefix.to_owned()),
            ("CLUSTER_SHARDS", SHARDS.to_string()),
            ("CLUSTER_LEASE_MS", "1500".to_owned()),
            ("CLUSTER_NODE_ID", node.to_owned()),
            ("CLUSTER_CALL_TIMEOUT_MS", "8000".to_owned()),
            ("FLUSH_LINGER_MS", "2".to_owned()),
            ("ADMIN_IDS", OPERATOR.to_string()),
            ("TELEGRAM_API_URL", emulator.url()),
        ];
        env.extend(extra.iter().map(|(name, value)| (*name, (*value).to_owned())));
        env
    };
    let start = |env: Vec<(&'static str, String)>| {
        let url = db.url.clone();
        async move {
            let env: Vec<(&str, &str)> = env.iter().map(|(name, value)| (*name, value.as_str())).collect();
            ServerProcess::webhook_with(&url, &env).await
        }
    };
    let a = start(env("a")).await;
    metric_until(&a, "dianabot_cluster_shards_owned", |owned| owned == f64::from(SHARDS)).await;
    let b = start(env("b")).await;
    metric_until(&a, "dianabot_cluster_shards_owned", |owned| owned == f64::from(SHARDS / 2)).await;
    metric_until(&b, "dianabot_cluster_shards_owned", |owned| owned == f64::from(SHARDS / 2)).await;
    (a, b)
}

/// `user` writes `command` through `node`'s webhook (update `update_id`);
/// the text of the bot's answer.
async fn ask_via(control: &Control, node: &ServerProcess, update_id: i64, user: i64, command: &str) -> String {
    let before = control.bot_messages(user).await.len();
    assert_eq!(post(node.webhook_url(), text_update(update_id, user, command)).await, 200, "{command}");
    let messages = control.wait_for(user, command, |messages| messages.len() > before).await;
    text(&messages[before]).to_owned()
}

#[test]
fn a_channel_posts_actor_serves_the_players_of_every_node() {
    need_redis();
    run(async {
        let db = TestDb::postgres().await;
        let emulator = EmulatorProcess::start().await;
        let control = Control::new(&emulator.url());
        let prefix = unique_prefix("posts");
        // Owners on every shard, so one on each node reads the report.
        let mut owners: Vec<i64> = Vec::new();
        for owner in OPERATOR.. {
            if !owners.iter().any(|other| virtual_shard(*other, SHARDS) == virtual_shard(owner, SHARDS)) {
                owners.push(owner);
            }
            if owners.len() == SHARDS as usize {
                break;
            }
        }
        let admin_ids = owners.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let (a, b) = two_nodes(&db, &emulator, &prefix, &[("ADMIN_IDS", admin_ids.as_str())]).await;
        let store = db.store().await;
        let bs = shards_of(&store, "b").await;
        let on_a = user_in(&bs, false, &owners);
        let on_b = user_in(&bs, true, &owners);
        let owner_on =
            |node_b: bool| owners.iter().copied().find(|owner| bs.contains(&virtual_shard(*owner, SHARDS)) == node_b);
        let (owner_a, owner_b) = (owner_on(false).expect("an owner on a"), owner_on(true).expect("an owner on b"));
        for user in [on_a, on_b, owner_a, owner_b] {
            control.create_user_started(user, true).await;
        }
        assert_eq!(post(a.webhook_url(), start_update(1, on_a)).await, 200);
        assert_eq!(post(a.webhook_url(), start_update(2, on_b)).await, 200);

        // Post 1 published through a, reacted to by b's player: whichever
        // node b's player is served by has heard of the posts by then.
        assert_eq!(post(a.webhook_url(), channel_post_update(10, 1)).await, 200);
        let (a_before, b_before) = (balance(&store, on_a).await, balance(&store, on_b).await);
        assert_eq!(post(a.webhook_url(), reaction_update(11, on_b, 1)).await, 200);
        assert_eq!(balance(&store, on_b).await, b_before + 3, "❤ on a free post pays 3");

        // Post 2, published later through a, is known to every node's players.
        assert_eq!(post(a.webhook_url(), channel_post_update(12, 2)).await, 200);
        assert_eq!(post(a.webhook_url(), reaction_update(13, on_a, 2)).await, 200);
        assert_eq!(post(b.webhook_url(), reaction_update(14, on_b, 2)).await, 200);
        // Telegram delivers both again, to the other nodes: paid once.
        assert_eq!(post(b.webhook_url(), reaction_update(13, on_a, 2)).await, 200);
        assert_eq!(post(a.webhook_url(), reaction_update(14, on_b, 2)).await, 200);
        assert_eq!(balance(&store, on_a).await, a_before + 3, "a's player paid once");
        assert_eq!(balance(&store, on_b).await, b_before + 6, "b's player paid once per post");

        // One actor per post counted every node's players: the report
        // says so on both nodes.
        for (update_id, owner) in [(20, owner_a), (21, owner_b)] {
            let report = ask_via(&control, &a, update_id, owner, "/posts").await;
            assert!(report.starts_with("📊"), "{report}");
            let (second, first) = report.split_once("#1 ").expect("post 1 listed");
            assert!(second.contains("#2 "), "newest first: {report}");
            assert!(second.contains("2 reacciones · 2 personas · 6 besitos"), "{report}");
            assert!(first.contains("1 reacción · 1 persona · 3 besitos"), "{report}");
        }

        stop_gracefully([a, b], store, &prefix, db).await;
    });
}

/// Asks `user`'s profile through `node` until `done` holds (20 s at most).
async fn profile_until(
    control: &Control,
    node: &ServerProcess,
    update_id: &mut i64,
    user: i64,
    what: &str,
    done: impl Fn(&str) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        *update_id += 1;
        let profile = ask_via(control, node, *update_id, user, "/perfil").await;
        if done(&profile) {
            return;
        }
        assert!(Instant::now() < deadline, "never {what}; the profile:\n{profile}\nlog:\n{}", node.log_text());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[test]
fn an_operators_flag_role_and_reload_on_one_node_are_live_on_the_other() {
    need_redis();
    run(async {
        let db = TestDb::postgres().await;
        let emulator = EmulatorProcess::start().await;
        let control = Control::new(&emulator.url());
        let prefix = unique_prefix("changes");
        let dir = demo_copy();
        let content_dir = dir.display().to_string();
        let (a, b) = two_nodes(&db, &emulator, &prefix, &[("CONTENT_DIR", content_dir.as_str())]).await;
        let store = db.store().await;
        let bs = shards_of(&store, "b").await;
        // The operator's commands run on one node, the players' on the other.
        let operator_on_b = bs.contains(&virtual_shard(OPERATOR, SHARDS));
        let (here, there) = if operator_on_b { (&b, &a) } else { (&a, &b) };
        let player = user_in(&bs, !operator_on_b, &[OPERATOR]);
        let analyst = user_in(&bs, !operator_on_b, &[OPERATOR, player]);
        for user in [player, analyst, OPERATOR] {
            control.create_user_started(user, true).await;
        }
        let mut update_id = 100;
        for user in [player, analyst] {
            update_id += 1;
            assert_eq!(post(there.webhook_url(), start_update(update_id, user)).await, 200);
        }
        let style = "🎭 Su estilo: aún por descubrir";
        profile_until(&control, there, &mut update_id, player, "the style line", |profile| profile.contains(style))
            .await;

        // A content reload on the operator's node reloads the other's.
        let texts = dir.join("texts/es.ftl");
        let edited = std::fs::read_to_string(&texts).expect("es.ftl").replace("aún por descubrir", "por revelar");
        std::fs::write(&texts, edited).expect("edit es.ftl");
        update_id += 1;
        let reloaded = ask_via(&control, here, update_id, OPERATOR, "/reload").await;
        assert!(!reloaded.is_empty());
        profile_until(&control, there, &mut update_id, player, "reloaded there", |profile| {
            profile.contains("🎭 Su estilo: por revelar")
        })
        .await;

        // A flag rollout set on the operator's node: the other node's
        // player no longer gets the style line.
        update_id += 1;
        ask_via(&control, here, update_id, OPERATOR, "/flag style 0").await;
        profile_until(&control, there, &mut update_id, player, "the style flag off there", |profile| {
            !profile.contains("🎭")
        })
        .await;

        // A role granted on the operator's node works on the other.
        update_id += 1;
        let refused = ask_via(&control, there, update_id, analyst, "/posts").await;
        assert!(!refused.starts_with("📊"), "not an operator yet: {refused}");
        update_id += 1;
        ask_via(&control, here, update_id, OPERATOR, &format!("/rol dar {analyst} analyst")).await;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            update_id += 1;
            let report = ask_via(&control, there, update_id, analyst, "/posts").await;
            if report.starts_with("📊") {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the grant never reached the other node: {report}\n{}",
                there.log_text()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(there.metric("dianabot_cluster_change_notices_total{direction=\"in\"}").await >= 3.0);
        assert!(here.metric("dianabot_cluster_change_notices_total{direction=\"out\"}").await >= 3.0);

        stop_gracefully([a, b], store, &prefix, db).await;
        let _ = std::fs::remove_dir_all(dir);
    });
}

// cluster-placed
/// Polls until `done` holds of the store (60 s at most), showing `logs` if not.
async fn store_until<T: std::fmt::Debug>(
    what: &str,
    logs: impl Fn() -> String,
    mut read: impl AsyncFnMut() -> T,
    done: impl Fn(&T) -> bool,
) -> T {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let value = read().await;
        if done(&value) {
            return value;
        }
        assert!(Instant::now() < deadline, "{what}: {value:?}; logs:\n{}", logs());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn scalar(store: &Store, sql: &'static str) -> i64 {
    let Store::Postgres(pool) = store else { unreachable!("runs on Postgres") };
    sqlx::query_scalar(sql).fetch_one(pool).await.expect("a count")
}

#[test]
fn a_limited_item_bought_at_once_on_both_nodes_is_never_oversold() {
    // Demo content: 5 units, 30 besitos less 20 % = 24.
    const STAR_MAP: &str = "mapa_de_estrellas";
    need_redis();
    run(async {
        let db = TestDb::postgres().await;
        let emulator = EmulatorProcess::start().await;
        let control = Control::new(&emulator.url());
        let prefix = unique_prefix("stock");
        let (a, b) = two_nodes(&db, &emulator, &prefix, &[]).await;
        let logs = || format!("--- a ---\n{}\n--- b ---\n{}", a.log_text(), b.log_text());
        let store = db.store().await;
        let bs = shards_of(&store, "b").await;
        // The node serving the item's shard keeps its stock; the other asks it.
        let keeper_on_b = bs.contains(&virtual_shard(placement_key(STAR_MAP.as_bytes()), SHARDS));
        let (keeper, asker) = if keeper_on_b { (&b, &a) } else { (&a, &b) };
        let mut buyers = Vec::new();
        for inside in [true, false].repeat(6) {
            buyers.push(user_in(&bs, inside, &buyers));
        }
        let mut update = 100;
        for user in [OPERATOR].iter().chain(&buyers) {
            control.create_user_started(*user, true).await;
            update += 1;
            assert_eq!(post(a.webhook_url(), start_update(update, *user)).await, 200, "logs:\n{}", logs());
        }
        for user in &buyers {
            update += 1;
            let granted = post(b.webhook_url(), text_update(update, OPERATOR, &format!("/grant {user} 100"))).await;
            assert_eq!(granted, 200, "logs:\n{}", logs());
        }
        for user in &buyers {
            store_until("granted", logs, async || balance(&store, *user).await, |balance| *balance == 110).await;
        }

        // Every buyer at once, half through each node.
        let purchases: Vec<_> = buyers
            .iter()
            .enumerate()
            .map(|(i, user)| {
                let url = if i % 4 < 2 { a.webhook_url() } else { b.webhook_url() };
                tokio::spawn(post(url, text_update(1_000 + i as i64, *user, &format!("/comprar {STAR_MAP}"))))
            })
            .collect();
        for purchase in purchases {
            assert_eq!(purchase.await.expect("the request"), 200, "logs:\n{}", logs());
        }

        let completed = "SELECT COUNT(*) FROM purchases WHERE status = 'completed'";
        assert_eq!(scalar(&store, completed).await, 5, "exactly the stock sold; logs:\n{}", logs());
        assert_eq!(scalar(&store, "SELECT COUNT(*) FROM purchases WHERE status = 'failed'").await, 7);
        for user in &buyers {
            let said = control
                .wait_for(*user, "the purchase's answer", |m| {
                    m.iter().any(|m| text(m).contains("Ahora tiene") || text(m).contains("no es posible (agotado)"))
                })
                .await;
            let paid = balance(&store, *user).await;
            match said.iter().any(|m| text(m).contains("Ahora tiene")) {
                true => assert_eq!(paid, 110 - 24, "user {user} bought"),
                false => assert_eq!(paid, 110, "user {user} refused and refunded"),
            }
        }
        assert_eq!(sold_and_held(&store, STAR_MAP, "mapa_estelar").await, (5, 5));
        assert!(asker.metric("dianabot_cluster_placed_calls_total{direction=\"out\"}").await >= 1.0);
        assert!(keeper.metric("dianabot_cluster_placed_calls_total{direction=\"in\"}").await >= 1.0);
        assert_eq!(keeper.metric("dianabot_cluster_placed_calls_total{direction=\"out\"}").await, 0.0);
        assert_books(&store).await;

        stop_gracefully([a, b], store, &prefix, db).await;
    });
}

#[test]
fn an_auction_with_bidders_on_both_nodes_has_one_winner_charged_once_even_if_its_node_dies() {
    need_redis();
    run(async {
        let db = TestDb::postgres().await;
        let emulator = EmulatorProcess::start().await;
        let control = Control::new(&emulator.url());
        let prefix = unique_prefix("auction");
        let env = [("AUCTION_MIN_SECS", "1"), ("AUCTION_EXTENSION_SECS", "1")];
        let (a, b) = two_nodes(&db, &emulator, &prefix, &env).await;
        let logs = || format!("--- a ---\n{}\n--- b ---\n{}", a.log_text(), b.log_text());
        let store = db.store().await;
        let bs = shards_of(&store, "b").await;
        let ana = user_in(&bs, false, &[]);
        let bob = user_in(&bs, true, &[]);
        for (update, user) in (1..).zip([OPERATOR, ana, bob]) {
            control.create_user_started(user, true).await;
            assert_eq!(post(a.webhook_url(), start_update(update, user)).await, 200);
        }
        assert_eq!(post(b.webhook_url(), text_update(10, OPERATOR, "/subasta rosa_negra 5 12s 1")).await, 200);
        let auction = scalar(&store, "SELECT COALESCE(MAX(auction_id), 0) FROM auctions").await;
        assert!(auction > 0, "the auction opened; logs:\n{}", logs());
        // Each player bids through the node that does not serve them; one of
        // them is on the node that does not serve the auction either.
        let bids = [(11, ana, b.webhook_url(), 5), (12, bob, a.webhook_url(), 6), (13, ana, b.webhook_url(), 8)];
        for (update, user, url, amount) in bids {
            assert_eq!(post(url, text_update(update, user, &format!("/pujar {auction} {amount}"))).await, 200);
        }
        let top = "SELECT COALESCE(top_amount, 0) FROM auctions";
        assert_eq!(scalar(&store, top).await, 8, "ana's second bid on top; logs:\n{}", logs());
        let forwarded = a.metric("dianabot_cluster_placed_calls_total{direction=\"out\"}").await
            + b.metric("dianabot_cluster_placed_calls_total{direction=\"out\"}").await;
        assert!(forwarded >= 1.0, "a bid reached the auction's node through the bus");

        // kill -9 the auction's node before it closes: the other node takes
        // its shards, recovers the auction and closes it when due.
        let auction_on_b = bs.contains(&virtual_shard(auction, SHARDS));
        let (mut dead, survivor) = if auction_on_b { (b, a) } else { (a, b) };
        dead.kill_hard();
        metric_until(&survivor, "dianabot_cluster_shards_owned", |owned| owned == f64::from(SHARDS)).await;
        let logs = || survivor.log_text();
        let closed = "SELECT COUNT(*) FROM auctions WHERE status = 'closed'";
        store_until("closed", logs, async || scalar(&store, closed).await, |closed| *closed == 1).await;
        // Ana pays once, Bob has his back.
        let held = "SELECT COUNT(*) FROM auction_holds WHERE status = 'held'";
        store_until("settled", logs, async || scalar(&store, held).await, |held| *held == 0).await;
        let consumed = "SELECT COUNT(*) FROM auction_holds WHERE status = 'consumed'";
        assert_eq!(scalar(&store, consumed).await, 1, "one winner charged once");
        let roses = "SELECT COALESCE(SUM(quantity), 0)::bigint FROM inventory WHERE item_id = 'rosa_negra'";
        store_until("the rose granted", logs, async || scalar(&store, roses).await, |roses| *roses == 1).await;
        assert_eq!(balance(&store, ana).await, 10 - 8, "the winner paid her top bid");
        assert_eq!(balance(&store, bob).await, 10, "the loser was refunded");
        assert_books(&store).await;

        stop_gracefully([survivor], store, &prefix, db).await;
    });
}
