//! Three nodes behind one webhook entry point (issue 20, done-means 1 and
//! 3), through the real binary with real Redis and one Postgres database.
//!
//! The players are the bench harness's (`dianabot_bench::Load`, the same
//! scenarios and mix as `dianabot bench`): they play through node a's
//! webhook only, and their Telegram is the harness's emulator in this test
//! process, where every node sends its replies. Node a forwards the
//! updates of other nodes' shards to their owner and answers 200 once the
//! owner committed; an update left unacknowledged is delivered again, as
//! Telegram does. Afterwards every update the entry point acknowledged has
//! its effect exactly once, and the books balance (the crash test's checks).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dianabot::texts::catalogue as texts;
use dianabot_bench::{AckedUpdate, IntakeMode, Load, LoadConfig, fits, server_env, start_emulator};
use dianabot_cluster::Leases;
use dianabot_emulator::EmulatorHandle;
use dianabot_persistence::Store;
use tokio::sync::{broadcast, oneshot};
use tokio::task::JoinHandle;

use crate::common::books::{assert_purchases_kept, ledger_rows_per_update};
use crate::common::cluster::{Cluster, REDIS, clear_prefix, cluster_status, need_redis, unique_prefix};
use crate::common::server::WEBHOOK_SECRET;
use crate::common::{TestDb, assert_conserved, run};

const SHARDS: u32 = 256;
/// The default lease (`ClusterConfig::DEFAULT_LEASE`): a dead node's
/// leases and heartbeat lapse after one lease, and the others look every
/// third of one, so its shards are served again within 4 s.
const LEASE_MS: u64 = 3_000;
/// Issue 20, done-means 1: a dead node's shards served by the others within 5 s.
const FAILOVER_BOUND: Duration = Duration::from_secs(5);
/// The bench's target mix with purchases and daily gifts, so the stock and
/// besitos books have sagas and sinks to keep.
const MIX: &str = "reaction=60,story=25,purchase=10,daily=5";
/// Steps in flight (a debug build shares the machine with three nodes).
const CONCURRENCY: usize = 32;

/// Three nodes, their players, and what the players read.
struct Scene {
    db: TestDb,
    prefix: String,
    cluster: Cluster,
    emulator: Arc<EmulatorHandle>,
    load: Arc<Load>,
    texts: Texts,
}

impl Scene {
    /// Nodes a, b, c on one database and Redis prefix, every node's
    /// Telegram the harness's emulator; `players` registered through a's
    /// webhook with `/start` (the mix's story steps walk the onboarding).
    async fn start(test: &str, players: usize) -> Scene {
        let db = TestDb::postgres().await;
        let prefix = unique_prefix(test);
        let bind = "127.0.0.1:0".parse().expect("address");
        let emulator = Arc::new(start_emulator(bind).await.expect("the harness's emulator"));
        let texts = Texts::collect(&emulator);
        let mut env = server_env(&emulator, IntakeMode::Webhook, WEBHOOK_SECRET);
        env.push(("RUST_LOG", "warn".to_owned()));
        let cluster = Cluster::start(&db.url, &prefix, &["a", "b", "c"], SHARDS, LEASE_MS, env).await;
        let reply_timeout = Duration::from_secs(20);
        let config = LoadConfig {
            intake: IntakeMode::Webhook,
            webhook_url: cluster.nodes[0].webhook_url(),
            secret: WEBHOOK_SECRET.to_owned(),
            users: players,
            user_id_base: 10_000_000_000,
            mix: MIX.to_owned(),
            seed: 20,
            posts: 20,
            auctions: 0,
            auction_seconds: 0,
            concurrency: 64,
            reply_timeout,
            to_menu: false,
            redeliver: Some(Duration::from_secs(90)),
            log_acks: true,
        };
        let client =
            reqwest::Client::builder().pool_max_idle_per_host(256).timeout(reply_timeout).build().expect("HTTP client");
        let started = Instant::now();
        let load = Load::setup(emulator.clone(), client, config, dianabot::bench::reply_templates())
            .await
            .unwrap_or_else(|err| panic!("set-up: {err:#}\n{}", cluster.logs()));
        eprintln!("{players} players registered through the entry point in {:.1?}", started.elapsed());
        Scene { db, prefix, cluster, emulator, load: Arc::new(load), texts }
    }

    /// The mix in a closed loop until [`Load::stop`].
    fn play(&self) -> JoinHandle<()> {
        let load = self.load.clone();
        tokio::spawn(async move {
            let now = Instant::now();
            load.closed_loop(CONCURRENCY, now, now + Duration::from_secs(600)).await;
        })
    }

    /// Waits until `steps` more steps were answered (2 minutes at most).
    async fn answered(&self, steps: u64) {
        let target = self.load.answered() + steps;
        let deadline = Instant::now() + Duration::from_secs(120);
        while self.load.answered() < target {
            assert!(Instant::now() < deadline, "the load stalled: {:?}\n{}", self.load.errors(), self.cluster.logs());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Ends the load, then checks what the players saw and the books.
    async fn finish(mut self, play: JoinHandle<()>) {
        self.load.stop();
        play.await.expect("the load");
        self.load.stop_observing().await;
        let errors = self.load.errors();
        let failed: Vec<(String, u64)> = self
            .load
            .recorder()
            .scenarios
            .iter()
            .filter(|(_, stats)| stats.failed > 0)
            .map(|(scenario, stats)| (scenario.name().to_owned(), stats.failed))
            .collect();
        assert!(
            errors.is_empty(),
            "steps that failed for the players: {errors:?} in {failed:?}\n{}",
            self.cluster.logs()
        );
        let texts = self.texts.finish().await;
        assert_no_error_texts(&texts);
        eprintln!(
            "{} steps answered, {} deliveries repeated after no acknowledgement, {} bot messages read",
            self.load.answered(),
            self.load.redeliveries(),
            texts.len()
        );

        let store = self.db.store().await;
        assert_each_acknowledged_update_took_effect_once(&store, &self.load.acknowledged()).await;
        assert_conserved(&store).await;
        // Sagas a node left in flight are finished by the shard's next owner.
        let deadline = Instant::now() + Duration::from_secs(30);
        while !store.pending_purchases().await.expect("pending purchases").is_empty() {
            assert!(Instant::now() < deadline, "purchases left in flight\n{}", self.cluster.logs());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let (_, roses) = assert_purchases_kept(&store).await;
        assert!(roses > 0, "no purchase went through");
        let status = cluster_status(&self.db.url, &self.prefix, SHARDS);
        assert!(status.contains("live nodes: 3"), "{status}");
        assert!(status.contains("shards not served under their recorded epoch: 0"), "{status}");

        self.cluster.stop().await;
        store.close().await;
        clear_prefix(&self.prefix).await;
        if let Ok(emulator) = Arc::try_unwrap(self.emulator) {
            emulator.stop().await;
        }
        self.db.drop_db().await;
    }
}

/// Every text of a message the bot sent or edited, or of a callback's
/// answer, as the emulator saw it.
struct Texts {
    stop: oneshot::Sender<()>,
    task: JoinHandle<(Vec<String>, u64)>,
}

impl Texts {
    fn collect(emulator: &EmulatorHandle) -> Texts {
        let mut calls = emulator.subscribe_bot_calls();
        let (stop, mut stopped) = oneshot::channel();
        let task = tokio::spawn(async move {
            let (mut texts, mut lost) = (Vec::new(), 0);
            let mut keep = |call: dianabot_emulator::BotCall| {
                if matches!(call.method.as_str(), "sendmessage" | "editmessagetext" | "answercallbackquery")
                    && let Some(text) = call.text
                {
                    texts.push(text);
                }
            };
            loop {
                tokio::select! {
                    call = calls.recv() => match call {
                        Ok(call) => keep(call),
                        Err(broadcast::error::RecvError::Lagged(missed)) => lost += missed,
                        Err(broadcast::error::RecvError::Closed) => break,
                    },
                    _ = &mut stopped => {
                        // Every reply is in: take what is still queued.
                        while let Ok(call) = calls.try_recv() {
                            keep(call);
                        }
                        break;
                    }
                }
            }
            (texts, lost)
        });
        Texts { stop, task }
    }

    async fn finish(self) -> Vec<String> {
        let _ = self.stop.send(());
        let (texts, lost) = self.task.await.expect("the text collector");
        assert_eq!(lost, 0, "bot calls missed by the text collector");
        texts
    }
}

/// What a player reads when something failed rather than when the game
/// said no: not registered (state lost), already handled (an update
/// applied twice), a stale button, the shop or Telegram unavailable.
fn assert_no_error_texts(seen: &[String]) {
    let errors: Vec<String> = [
        texts::NOT_REGISTERED,
        texts::ALREADY_HANDLED,
        texts::WHY_STALE_CHOICE,
        texts::WHY_SHOP_BUSY,
        texts::WHY_NOT_DELIVERED,
        texts::WHY_UNAVAILABLE,
        texts::WHY_TELEGRAM_UNAVAILABLE,
    ]
    .into_iter()
    .flat_map(dianabot::telegram::screens::templates)
    .map(|template| format!("{{before}}{template}{{after}}"))
    .collect();
    for text in seen {
        if let Some(error) = errors.iter().find(|error| fits(error, text)) {
            panic!("a player read an error: {text:?} (as {error:?})");
        }
    }
}

/// No update paid twice; each acknowledged `/start` and reaction paid
/// once; each player with an acknowledged `/diario` got today's gift once,
/// and no one else got one.
async fn assert_each_acknowledged_update_took_effect_once(store: &Store, acked: &[AckedUpdate]) {
    let rows = ledger_rows_per_update(store).await;
    let twice: Vec<_> = rows.iter().filter(|(_, rows)| **rows > 1).collect();
    assert!(twice.is_empty(), "updates applied more than once (update, ledger rows): {twice:?}");
    let mut missing = Vec::new();
    for update in acked {
        if matches!(update.scenario, "start" | "reaction") && !rows.contains_key(&i64::from(update.update_id)) {
            missing.push(*update);
        }
    }
    assert!(missing.is_empty(), "{} acknowledged updates without their effect: {missing:?}", missing.len());
    let Store::Postgres(pool) = store else { unreachable!("runs on Postgres") };
    let gifts: BTreeMap<i64, i64> =
        sqlx::query_as("SELECT user_id, COUNT(*) FROM ledger WHERE reason = 'daily_gift' GROUP BY user_id")
            .fetch_all(pool)
            .await
            .expect("daily gifts")
            .into_iter()
            .collect();
    let claimed: BTreeSet<i64> =
        acked.iter().filter(|update| update.scenario == "daily").map(|update| update.user as i64).collect();
    assert_eq!(gifts.keys().copied().collect::<BTreeSet<_>>(), claimed, "players with today's gift");
    assert!(gifts.values().all(|gifts| *gifts == 1), "a daily gift paid twice in a day");
    let starts = acked.iter().filter(|update| update.scenario == "start").count();
    let reactions = acked.iter().filter(|update| update.scenario == "reaction").count();
    eprintln!("{} acknowledged updates checked: {starts} registrations, {reactions} reactions", acked.len());
}

#[test]
fn three_nodes_serve_ten_thousand_players_and_a_killed_node_loses_no_acknowledged_update() {
    need_redis();
    run(async {
        let mut scene = Scene::start("failover", 10_000).await;
        let play = scene.play();
        scene.answered(2_000).await;

        // c dies; a and b serve its shards once its leases lapse.
        scene.cluster.kill(2);
        let killed = Instant::now();
        scene.cluster.wait_all_served(Duration::from_secs(30)).await;
        let failover = killed.elapsed();
        eprintln!("failover: c's shards served by a and b {failover:.2?} after kill -9");
        assert!(failover < FAILOVER_BOUND, "failover took {failover:?}");
        let leases =
            Leases::connect(REDIS, &scene.prefix, "observer", Duration::from_millis(LEASE_MS)).await.expect("Redis");
        let holders: BTreeSet<Option<String>> =
            leases.shard_map(SHARDS).await.expect("shard map").into_iter().map(|(holder, _)| holder).collect();
        assert_eq!(holders, BTreeSet::from([Some("a".to_owned()), Some("b".to_owned())]), "lease holders");

        // The players go on through a; then c comes back and takes its share.
        scene.answered(2_000).await;
        scene.cluster.rejoin(2).await;
        scene.answered(500).await;
        scene.finish(play).await;
    });
}

#[test]
fn a_rolling_restart_under_load_loses_no_acknowledged_update_and_shows_players_no_error() {
    need_redis();
    run(async {
        let mut scene = Scene::start("rolling", 2_000).await;
        let play = scene.play();
        scene.answered(1_000).await;
        // Each node in turn, the entry point last: drained, stopped, started
        // again, and given its share back before the next goes.
        for node in [2, 1, 0] {
            let started = Instant::now();
            scene.cluster.restart(node).await;
            eprintln!(
                "node {} restarted and serving its share in {:.1?}",
                scene.cluster.nodes[node].name,
                started.elapsed()
            );
            scene.answered(500).await;
        }
        scene.finish(play).await;
    });
}
