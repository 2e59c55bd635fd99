//! The foundation's figures, in one run on one machine:
//!
//! - `round-trip`: router -> user actor -> reply, latency percentiles and
//!   messages/s;
//! - `memory`: RSS per resident idle actor with many activated users;
//! - `durable`: updates/s made durable through actors + write-behind into
//!   Postgres, against one Postgres transaction per update, same run;
//! - `activation`: cold activation latency with many users stored;
//! - `timers`: durable timers of many users falling due at once (a monthly
//!   VIP cohort expiring): how fast the timer service drains them, each a
//!   decision of the user's actor made durable.
//!
//! `cargo bench --bench foundation -- [round-trip|memory|durable|activation|timers]... [--users N] [--seconds S]`
//! Needs Postgres at `BENCH_DATABASE_URL` (default: the test server) for
//! everything but `round-trip`, which runs on SQLite.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use dianabot_actors::{ActorConfig, Envelope, Router, TimerConfig, TimerService, silent_user_timers};
use dianabot_game::{
    AdminCommand, Besitos, Command, Event, Language, ProfileCommand, Rules, Timer, TimerName, UserId, UserState,
};
use dianabot_persistence::{FlushConfig, Flusher, Store, USER_TIMERS, UserWrite};
use dianabot_plumbing::Clock;
use sqlx::Connection;

/// The server's allocator, so memory figures are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Args {
    sections: Vec<String>,
    users: usize,
    seconds: u64,
}

fn args() -> Args {
    let mut sections = Vec::new();
    let (mut users, mut seconds) = (0, 10);
    let mut raw = std::env::args().skip(1);
    while let Some(arg) = raw.next() {
        match arg.as_str() {
            "--users" => users = raw.next().and_then(|v| v.parse().ok()).expect("--users N"),
            "--seconds" => seconds = raw.next().and_then(|v| v.parse().ok()).expect("--seconds S"),
            "--bench" => {}
            section if !section.starts_with('-') => sections.push(section.to_owned()),
            _ => {}
        }
    }
    if sections.is_empty() {
        sections = ["round-trip", "memory", "durable", "activation", "timers"].map(str::to_owned).to_vec();
    }
    Args { sections, users, seconds }
}

fn main() {
    let args = args();
    dianabot::run_actix(async move {
        for section in &args.sections {
            match section.as_str() {
                "round-trip" => round_trip(args.seconds).await,
                "memory" => memory(if args.users == 0 { 1_000_000 } else { args.users }).await,
                "durable" => durable(args.seconds).await,
                "activation" => activation(if args.users == 0 { 1_000_000 } else { args.users }).await,
                "timers" => timers(if args.users == 0 { 20_000 } else { args.users }).await,
                other => eprintln!("unknown section {other}"),
            }
        }
    });
}

fn admin_url() -> String {
    std::env::var("BENCH_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A fresh Postgres database for one section.
async fn fresh_postgres(name: &str) -> String {
    let admin = admin_url();
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("Postgres for benchmarks");
    let db = format!("dianabot_bench_{name}");
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")))
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}"))).execute(&mut conn).await.unwrap();
    format!("{}/{db}", admin.rsplit_once('/').unwrap().0)
}

async fn runtime(url: &str, actors: ActorConfig) -> (Router, Flusher, Store) {
    let store = Store::open(url).await.expect("open store");
    let (flusher, _) = Flusher::spawn(store.clone(), FlushConfig::default());
    let router = Router::start(
        actors,
        store.clone(),
        flusher.clone(),
        Arc::new(Rules::default()),
        Arc::new(dianabot::content::load_demo().unwrap()),
    );
    (router, flusher, store)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn report_latencies(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{label}: n={} p50={:?} p90={:?} p99={:?} p99.9={:?} max={:?}",
        samples.len(),
        percentile(&samples, 0.50),
        percentile(&samples, 0.90),
        percentile(&samples, 0.99),
        percentile(&samples, 0.999),
        samples[samples.len() - 1]
    );
}

/// Registers `users` (durably), 2,000 at a time.
async fn register(router: &Router, users: std::ops::Range<i64>) {
    for chunk in users.collect::<Vec<_>>().chunks(2_000) {
        let registrations = chunk.iter().map(|&user| {
            let command = Command::Profile(ProfileCommand::Register {
                first_name: format!("p{user}"),
                username: None,
                language: Language::Es,
            });
            let router = router.clone();
            async move {
                let envelope = Envelope { user_id: UserId(user), update_id: None, command };
                router.dispatch(envelope, |_, _| ()).await.unwrap().durable.wait().await.unwrap();
            }
        });
        futures_util::future::join_all(registrations).await;
    }
}

/// Router -> actor -> reply for resident actors: one caller for latency,
/// then many concurrent callers for throughput.
async fn round_trip(seconds: u64) {
    let path = std::env::temp_dir().join("dianabot-bench-round-trip.db");
    let _ = std::fs::remove_file(&path);
    let (router, _, _) = runtime(&format!("sqlite:{}", path.display()), ActorConfig::default()).await;
    const USERS: i64 = 1000;
    for user in 0..USERS {
        router.view(UserId(user), |_| ()).await.unwrap();
    }
    let mut samples = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(seconds / 2 + 1);
    let mut user = 0;
    while Instant::now() < deadline {
        let started = Instant::now();
        router.view(UserId(user % USERS), |state| state.wallet.balance).await.unwrap();
        samples.push(started.elapsed());
        user += 1;
    }
    report_latencies("round-trip latency (1 caller)", samples);

    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds / 2 + 1);
    let callers: Vec<_> = (0..64)
        .map(|caller| {
            let (router, done) = (router.clone(), done.clone());
            tokio::spawn(async move {
                let mut user = caller;
                while Instant::now() < deadline {
                    router.view(UserId(user % USERS), |state| state.wallet.balance).await.unwrap();
                    done.fetch_add(1, Ordering::Relaxed);
                    user += 64;
                }
            })
        })
        .collect();
    let started = Instant::now();
    for caller in callers {
        caller.await.unwrap();
    }
    let rate = done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
    println!("round-trip throughput (64 callers): {rate:.0} messages/s");
    router.shutdown().await;
}

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kb| kb.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Activates `users` actors (users never seen: empty state, no rows) and
/// measures the resident memory they add.
async fn memory(users: usize) {
    let url = fresh_postgres("memory").await;
    let config = ActorConfig { idle_timeout: Duration::from_secs(3600), ..ActorConfig::default() };
    let (router, _, _) = runtime(&url, config).await;
    router.view(UserId(-1), |_| ()).await.unwrap();
    let before = rss_bytes();
    let started = Instant::now();
    let batch = 2000;
    for chunk in (0..users as i64).collect::<Vec<_>>().chunks(batch) {
        let views = chunk.iter().map(|&user| router.view(UserId(user), |_| ()));
        for result in futures_util::future::join_all(views).await {
            result.unwrap();
        }
    }
    let after = rss_bytes();
    let per_actor = (after - before) as f64 / users as f64;
    println!(
        "memory: {users} resident actors activated in {:?}; RSS {} MiB -> {} MiB; {per_actor:.0} bytes per actor \
         (of which the state struct is {} bytes inline)",
        started.elapsed(),
        before >> 20,
        after >> 20,
        std::mem::size_of::<UserState>()
    );
    println!("memory: live actors {}", router.stats().live.load(Ordering::Relaxed));
}

/// Durable updates/s: actors + write-behind vs one transaction per update.
async fn durable(seconds: u64) {
    const USERS: i64 = 10_000;
    const CONCURRENCY: usize = 4_000;
    let url = fresh_postgres("durable").await;
    let (router, flusher, store) = runtime(&url, ActorConfig::default()).await;
    register(&router, 0..USERS).await;

    // Actors: CONCURRENCY callers, each waiting for durability before its next update.
    let done = Arc::new(AtomicU64::new(0));
    let max_lag = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let callers: Vec<_> = (0..CONCURRENCY)
        .map(|caller| {
            let (router, done) = (router.clone(), done.clone());
            tokio::spawn(async move {
                let mut user = caller as i64;
                while Instant::now() < deadline {
                    let command = Command::Admin(AdminCommand::AdminGrant(Besitos::new(1).unwrap()));
                    let envelope = Envelope { user_id: UserId(user % USERS), update_id: None, command };
                    router.dispatch(envelope, |_, _| ()).await.unwrap().durable.wait().await.unwrap();
                    done.fetch_add(1, Ordering::Relaxed);
                    user += CONCURRENCY as i64;
                }
            })
        })
        .collect();
    let sampler = {
        let (flusher, max_lag) = (flusher.clone(), max_lag.clone());
        tokio::spawn(async move {
            while Instant::now() < deadline {
                let lag = flusher.stats().last_lag_micros.load(Ordering::Relaxed);
                max_lag.fetch_max(lag, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let started = Instant::now();
    for caller in callers {
        caller.await.unwrap();
    }
    sampler.await.unwrap();
    let actor_rate = done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
    let stats = flusher.stats();
    let batches = stats.batches.load(Ordering::Relaxed).max(1);
    println!(
        "durable (actors + write-behind): {actor_rate:.0} updates/s, {} users/batch on average, max flush lag {:?}",
        stats.users_written.load(Ordering::Relaxed) / batches,
        Duration::from_micros(max_lag.load(Ordering::Relaxed))
    );
    router.shutdown().await;

    // Conventional: one transaction per update, same users, same tables.
    let Store::Postgres(pool) = &store else { unreachable!() };
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let seq = Arc::new(AtomicU64::new(1_000_000));
    let workers: Vec<_> = (0..64)
        .map(|worker| {
            let (pool, done, seq) = (pool.clone(), done.clone(), seq.clone());
            tokio::spawn(async move {
                let mut user = worker as i64;
                while Instant::now() < deadline {
                    let mut tx = pool.begin().await.unwrap();
                    sqlx::query("UPDATE balances SET besitos = besitos + 1 WHERE user_id = $1")
                        .bind(user % USERS)
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                    sqlx::query(
                        "INSERT INTO ledger (user_id, seq, amount, counter_account, reason, update_id, created_at)
                         VALUES ($1, $2, 1, 'system:admin_grant', 'admin_grant', NULL, 0)",
                    )
                    .bind(user % USERS)
                    .bind(seq.fetch_add(1, Ordering::Relaxed) as i64)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                    tx.commit().await.unwrap();
                    done.fetch_add(1, Ordering::Relaxed);
                    user += 64;
                }
            })
        })
        .collect();
    let started = Instant::now();
    for worker in workers {
        worker.await.unwrap();
    }
    let conventional_rate = done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
    println!("durable (one transaction per update, 16 connections): {conventional_rate:.0} updates/s");
    println!("durable: ratio {:.1}x", actor_rate / conventional_rate);
}

/// Cold activation latency with `users` stored users.
async fn activation(users: usize) {
    let url = fresh_postgres("activation").await;
    let store = Store::open(&url).await.unwrap();
    let Store::Postgres(pool) = &store else { unreachable!() };
    // One real snapshot, replicated: every stored user is valid.
    let mut template = UserState::new(UserId(0));
    let rules = Rules::default();
    let content = dianabot::content::load_demo().unwrap();
    let ctx = dianabot_game::Ctx { now: 1_700_000_000, rules: &rules, content: &content, update_id: None };
    let command =
        Command::Profile(ProfileCommand::Register { first_name: "b".into(), username: None, language: Language::Es });
    let events = dianabot_game::decide(&template, &command, ctx).unwrap();
    events.iter().for_each(|event| template.apply(event));
    template.version = 1;
    let bytes = UserWrite::from_events(&template, &events, 1_700_000_000).snapshot.bytes;
    let started = Instant::now();
    let n = users as i64;
    for statement in [
        "INSERT INTO users SELECT g, 'b', NULL, 'es', 1700000000 FROM generate_series(1, $1) g",
        "INSERT INTO balances SELECT g, 10 FROM generate_series(1, $1) g",
        "INSERT INTO ledger SELECT g, 1, 10, 'system:welcome_bonus', 'welcome_bonus', NULL, 1700000000 FROM generate_series(1, $1) g",
    ] {
        sqlx::query(statement).bind(n).execute(pool).await.unwrap();
    }
    sqlx::query("INSERT INTO user_snapshots SELECT g, 1, 1, $2 FROM generate_series(1, $1) g")
        .bind(n)
        .bind(&bytes)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("ANALYZE").execute(pool).await.unwrap();
    println!("activation: stored {users} users in {:?}", started.elapsed());

    let (router, _, _) = runtime(&url, ActorConfig::default()).await;
    let mut samples = Vec::new();
    // Distinct users (a stride coprime with n), so every sample is cold.
    for index in 0..20_000i64.min(n) {
        let user = (index * 7_919) % n + 1;
        let started = Instant::now();
        let balance = router.view(UserId(user), |state| state.wallet.balance).await.unwrap();
        samples.push(started.elapsed());
        assert_eq!(balance, 10);
    }
    report_latencies(&format!("cold activation from Postgres ({users} stored)"), samples);
    router.shutdown().await;
}

/// `users` registered players, each with a timer that falls due at once
/// when the clock moves: the time until the timer service has delivered
/// every one (each a `Command::Timer` decided and committed by its actor).
async fn timers(users: usize) {
    let url = fresh_postgres("timers").await;
    let clock = Clock::adjustable(0);
    let (router, _, store) = runtime(&url, ActorConfig { clock: clock.clone(), ..ActorConfig::default() }).await;
    let (now, due) = (clock.now(), clock.now() + 60);
    register(&router, 0..users as i64).await;
    for chunk in (0..users as i64).collect::<Vec<_>>().chunks(2_000) {
        let writes = chunk.iter().map(|&user| {
            let router = router.clone();
            async move {
                let state = router.view(UserId(user), UserState::clone).await.unwrap();
                let timer = Timer { name: TimerName::VipExpiry, due };
                UserWrite::from_events(&state, &[Event::TimerSet(timer)], now)
            }
        });
        store.write_batch(&futures_util::future::join_all(writes).await).await.unwrap();
    }
    let targets = std::collections::BTreeMap::from([(USER_TIMERS.to_owned(), silent_user_timers(router.clone()))]);
    let service = TimerService::start(store.clone(), clock.clone(), TimerConfig::default(), targets);
    let stats = service.stats();
    clock.advance(60).unwrap();
    let started = Instant::now();
    service.poke();
    while stats.fired.load(Ordering::Relaxed) < users as u64 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    println!(
        "timers: {users} user timers due at once, delivered and committed in {elapsed:?}: {:.0} timers/s \
         (max {} in flight)",
        users as f64 / elapsed.as_secs_f64(),
        TimerConfig::default().max_in_flight
    );
    service.stop().await;
    router.shutdown().await;
}
