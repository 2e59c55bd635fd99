//! `dianabot bench`: simulated users against a running server, through its
//! real intake, with the emulator as Telegram.
//!
//! A crate of its own, which the server's binary calls into: it does not
//! depend on the server's crate, which hands it the reply texts to recognise
//! ([`ReplyTemplates`]).
//!
//! # Why it is built this way
//!
//! - **The real intake, end to end.** Updates enter the way Telegram's do —
//!   POSTed to `/telegram/webhook` with the secret header, or queued in the
//!   emulator for the server's long polling — and a step ends when the bot's
//!   reply reaches Telegram (the emulator), or, for updates the bot answers
//!   silently (reactions), at the acknowledgement, which the server gives
//!   only once the update is durable. So the figures include translation,
//!   actors, group commit, the outbound scheduler and the Bot API calls.
//! - **The emulator in-process.** At thousands of updates per second the
//!   harness cannot ask the control API about each reply. It runs its own
//!   emulator and uses its in-process hooks: a broadcast of every Bot API
//!   call answered (to match replies and read the buttons the next step
//!   presses — button data is signed per user, so it cannot be forged) and
//!   direct update creation (`dianabot_emulator::Delivery`). The users,
//!   chats, posts and button presses the server sees are ones the emulator
//!   knows, so the bot's sendMessage/editMessageText/answerCallbackQuery
//!   calls are accepted as Telegram would accept them.
//! - **Replies told from notices.** A gift writes to its receiver and a
//!   bid to the bidder it outbids, at any moment — maybe while that player
//!   waits for their own reply. The server sends such notices as plain new
//!   messages, so the harness recognises them by their text (the server's
//!   own templates, `replies.rs`), counts them, and never lets one answer
//!   a step.
//! - **Closed and open loop.** `--concurrency C` keeps C steps in flight
//!   (what a server sustains); `--rate R` sends on a fixed schedule and
//!   measures each latency from the step's *intended* send time, so a
//!   stalled server shows up as latency instead of hiding as a slower
//!   sender (coordinated omission).
//! - **Counts checked against the server.** `/metrics` is scraped before
//!   set-up and after the run; the intake counters must add up to what
//!   the harness saw acknowledged, with none ignored, dead-lettered or not
//!   durable. (Which steps are durable and which are views is the game's
//!   business — opening the story became durable with story decisions — so
//!   the split is reported, not predicted.) During the run it is
//!   scraped each second for persistence lag, memory and backlog.
//! - **A baseline from the same client.** `--baseline` first drives
//!   `GET /healthz` with the same client and concurrency, so "updates/s" can
//!   be read as a fraction of what this machine's HTTP stack serves at all.
//!
//! Phases: the emulator's users are created and channel posts published
//! (each acknowledged by the server, which pays reactions only on posts it
//! saw published); every user sends /start and walks through onboarding to
//! the menu; when the mix bids, the harness's operator (`ADMIN_IDS`,
//! `driver::OPERATOR_ID`) grants every user besitos to bid with and opens `--auctions` auctions
//! (all of this set-up, not measured); the optional baseline; the warm-up
//! (measured but reported apart, shaded in the chart); the measured window;
//! then everything in flight is answered and the operator cancels the
//! auctions (counted with set-up) before the final scrape.
//!
//! # Report (`--json PATH`, `-` for stdout), schema `dianabot-bench/1`
//!
//! ```text
//! schema        "dianabot-bench/1"
//! command       the command line
//! machine       {cores, os, arch}
//! config        {intake, server, database, users, concurrency (closed loop: in flight;
//!                open loop: the most in flight), rate|null,
//!                warmup_s, duration_s, mix: {scenario: weight}, seed, posts,
//!                auctions|null (bids only), reply_timeout_s, user_id_base}
//! setup         {users, updates, errors, seconds}
//! baseline      null | {endpoint: "/healthz", concurrency, seconds, requests,
//!                errors, per_second}
//! throughput    {updates, errors, seconds, updates_per_second,
//!                ratio_to_baseline|null}                       (measured window)
//! latency_ms    {p50, p90, p99, p999, max, mean}               (all scenarios)
//! scenarios     {name: {updates, errors, updates_per_second,
//!                answered_by: "reply"|"ack", latency_ms: {..},
//!                fresh?, repeated?,                            (reaction: paid / repeats)
//!                delivered?, accepted?, refused?,              (gift: delivered / refused,
//!                                                               bid: accepted / refused)
//!                notices?}}                                    (gift, bid: notices the other
//!                                                               players got, whole run)
//! errors        {total, by_kind: {kind: n} (measured window),
//!                all_phases: {kind: n}, telegram: {"method: description": n}}
//! persistence_lag_s  {samples, max, mean, last}   dianabot_flush_lag_seconds, 1/s
//! memory        {source: "proc"|"metrics"|"none", rss_start_bytes, rss_end_bytes,
//!                rss_max_bytes, growth_bytes_per_min}          (server RSS)
//! consistency   {harness: {total, by_scenario: {start|operator|post|reaction|story|daily|
//!                                                purchase|gift|bid: n}},
//!                server: {durable, viewed, ignored, dead_lettered, not_durable, total},
//!                matches}     (whole run; matches: totals equal and nothing
//!                              ignored, dead-lettered or left not durable)
//! server_metrics {before: {"name{labels}": value}, after: {..}, scrapes, scrape_errors}
//! timeline      [{t, phase: "warmup"|"measure", updates, by_scenario: {..}, errors,
//!                 p50_ms, p99_ms, flush_lag_s, rss_bytes, actors_live, in_flight,
//!                 outbound_queue}]                             (one per second)
//! ```
//!
//! Latencies are in milliseconds, from a log-linear histogram (≤ 3 % error,
//! exact max). Error kinds: `http_<status>`, `transport_<timeout|connect|
//! other>`, `ack_timeout`, `reply_timeout`, `reply_failed`,
//! `unexpected_reply` (a gift, bid or operator command answered with
//! something else than its report), `no_button`, `no_auction`,
//! `inject_refused`, `not_sent` (open loop: steps the harness could not send
//! before the window ended because it fell behind schedule); Telegram-side: the Bot API method and description of
//! any call the emulator refused, and `observations_lost` if the harness fell
//! behind the emulator's broadcast.

mod chart;
mod driver;
mod histogram;
mod load;
mod record;
mod replies;
mod report;
mod scenario;
mod target;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use dianabot_emulator::EmulatorHandle;
use futures_util::StreamExt;
use serde_json::{Value, json};

pub use histogram::Histogram;
pub use replies::{Notice, ReplyTemplates, Template, bid_minimum, fits};
pub use target::{IntakeMode, server_env, start_emulator};

use driver::Driver;
pub use load::{Load, LoadConfig};
pub use record::{AckedUpdate, Recorder};
use report::{Baseline, ConfigReport, Sample};
use scenario::Scenario;

/// The header Telegram sends a webhook's secret token in.
pub const SECRET_HEADER: &str = "X-Telegram-Bot-Api-Secret-Token";

/// Failures of the harness itself (not of the server under test, which the
/// report counts).
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("invalid options: {0}")]
    Options(String),
    #[error("server: {0}")]
    Spawn(String),
    #[error("server not ready at {0}; log tail:\n{1}")]
    NotReady(String, String),
    #[error("emulator: {0}")]
    Emulator(String),
    #[error("scraping metrics: {0}")]
    Metrics(String),
    #[error("set-up: {0}")]
    Setup(String),
}

#[derive(Debug, Clone, clap::Args)]
#[command(after_help = after_help())]
pub struct BenchArgs {
    /// Bench a server started separately (base URL, e.g. http://127.0.0.1:8080). The harness
    /// prints the command to start it with; without this flag it starts `dianabot serve` itself.
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// The separately started server's metrics base URL (its METRICS_BIND).
    #[arg(long, value_name = "URL", requires = "server", default_value = "http://127.0.0.1:9090")]
    pub metrics: String,
    /// Database of the server the harness starts (default: a fresh temporary SQLite file).
    #[arg(long, value_name = "URL", conflicts_with = "server")]
    pub database_url: Option<String>,
    /// How updates reach the server.
    #[arg(long, value_enum, default_value = "webhook")]
    pub intake: IntakeMode,
    /// Simulated users.
    #[arg(long, default_value_t = 1000)]
    pub users: usize,
    /// Closed loop: steps in flight (default 64).
    #[arg(long, conflicts_with = "rate")]
    pub concurrency: Option<usize>,
    /// Open loop: updates per second, latency measured from each intended send time.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Open loop: most steps in flight at once (Telegram delivers to a webhook over at most
    /// `max_connections` ≤ 100 connections); waiting for a slot counts as latency.
    #[arg(long, default_value_t = 100, requires = "rate")]
    pub max_in_flight: usize,
    /// Measured seconds.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Warm-up seconds before the measured window.
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    /// Scenario weights, NAME=WEIGHT,... (see below).
    #[arg(long, default_value = "reaction=70,story=30")]
    pub mix: String,
    /// Seed of the scenario choices and user order.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// First measure GET /healthz with the same client and concurrency for this many seconds.
    #[arg(long, value_name = "SECS", num_args = 0..=1, default_missing_value = "5")]
    pub baseline: Option<f64>,
    /// Write the report as JSON (`-` for stdout).
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Write an SVG chart of throughput and latency over time.
    #[arg(long, value_name = "PATH")]
    pub chart: Option<PathBuf>,
    /// Channel posts the users react to (each user pays posts × 10 reactions before repeating).
    #[arg(long, default_value_t = 100)]
    pub posts: usize,
    /// Auctions the harness's operator opens for `bid` (bids of one auction are serialised by
    /// its actor, so fewer auctions means more contention).
    #[arg(long, default_value_t = 4)]
    pub auctions: usize,
    /// Seconds to wait for an acknowledgement or a reply before counting an error.
    #[arg(long, default_value_t = 10.0)]
    pub reply_timeout: f64,
    /// Webhook secret (the spawned server is given it; a `--server` must use it).
    #[arg(long, default_value = "bench-secret")]
    pub webhook_secret: String,
    /// Where the harness's emulator listens with `--server` (the server's TELEGRAM_API_URL).
    #[arg(long, default_value = "127.0.0.1:8081")]
    pub emulator_bind: SocketAddr,
    /// With `--server`: how long to wait for it to become ready.
    #[arg(long, default_value_t = 300.0)]
    pub server_wait: f64,
    /// Telegram id of the first simulated user (default: derived from the clock, so runs
    /// against a kept database use fresh users).
    #[arg(long)]
    pub user_id_base: Option<u64>,
    /// No progress line.
    #[arg(long)]
    pub quiet: bool,
}

fn after_help() -> String {
    format!(
        "{}\nExamples:\n  \
         dianabot bench --baseline --duration 30 --json report.json --chart report.svg\n  \
         dianabot bench --database-url postgres://postgres@127.0.0.1:5432/bench --rate 8000\n  \
         dianabot bench --intake polling --users 200 --concurrency 32",
        scenario::help()
    )
}

fn positive(value: f64, name: &str) -> Result<Duration, BenchError> {
    if value.is_finite() && value >= 0.0 {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(BenchError::Options(format!("--{name} must be a non-negative number of seconds")))
    }
}

/// Runs a whole benchmark as the CLI asks, recognising the server's
/// `replies`; the report goes to stdout and the files named.
pub async fn run(args: BenchArgs, replies: ReplyTemplates) -> anyhow::Result<()> {
    let weights = scenario::parse_mix(&args.mix).map_err(BenchError::Options)?;
    let duration = positive(args.duration, "duration")?;
    let warmup = positive(args.warmup, "warmup")?;
    let reply_timeout = positive(args.reply_timeout, "reply-timeout")?.max(Duration::from_millis(100));
    if args.users == 0 {
        return Err(BenchError::Options("--users must be at least 1".into()).into());
    }
    if let Some(rate) = args.rate
        && !(rate.is_finite() && rate > 0.0)
    {
        return Err(BenchError::Options("--rate must be positive".into()).into());
    }
    if args.auctions == 0 && weights.iter().any(|(scenario, _)| *scenario == Scenario::AuctionBid) {
        return Err(BenchError::Options("bids need --auctions of at least 1".into()).into());
    }
    let concurrency = args.concurrency.unwrap_or(64).clamp(1, args.users);
    let user_id_base = args.user_id_base.unwrap_or_else(|| {
        let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        10_000_000_000 + (secs % 100_000) * 10_000_000
    });
    if (user_id_base..user_id_base.saturating_add(args.users as u64)).contains(&driver::OPERATOR_ID) {
        return Err(BenchError::Options(format!(
            "--user-id-base: the users' ids would include the operator's, {}",
            driver::OPERATOR_ID
        ))
        .into());
    }

    let bind = match args.server {
        Some(_) => args.emulator_bind,
        None => SocketAddr::from(([127, 0, 0, 1], 0)),
    };
    let emulator = Arc::new(target::start_emulator(bind).await?);
    let mut probe = emulator.subscribe_bot_calls();
    let env = target::server_env(&emulator, args.intake, &args.webhook_secret);
    let server = match &args.server {
        Some(url) => {
            eprintln!("Start the server with:\n\n  {}\n", target::Target::command_line(&env, url, &args.metrics));
            eprintln!("waiting for {url}/readyz …");
            target::Target::external(url, &args.metrics, positive(args.server_wait, "server-wait")?).await?
        }
        None => target::Target::spawn(&env, args.database_url.as_deref()).await?,
    };
    let result = bench(
        &args,
        &server,
        emulator.clone(),
        &mut probe,
        &weights,
        Settings { duration, warmup, reply_timeout, concurrency, user_id_base, replies },
    )
    .await;
    let log_tail = server.log_tail();
    server.stop().await;
    if let Ok(emulator) = Arc::try_unwrap(emulator) {
        emulator.stop().await;
    }
    let report = result.with_context(|| format!("server log tail:\n{log_tail}"))?;
    finish(&args, &report)
}

struct Settings {
    duration: Duration,
    warmup: Duration,
    reply_timeout: Duration,
    concurrency: usize,
    user_id_base: u64,
    replies: ReplyTemplates,
}

fn finish(args: &BenchArgs, report: &report::Report) -> anyhow::Result<()> {
    let json = serde_json::to_string_pretty(report).context("encoding the report")?;
    match args.json.as_deref() {
        Some(path) if path.as_os_str() == "-" => println!("{json}"),
        Some(path) => std::fs::write(path, &json).with_context(|| format!("writing {}", path.display()))?,
        None => {}
    }
    let to_stdout = args.json.as_deref().is_some_and(|path| path.as_os_str() == "-");
    if to_stdout {
        eprintln!("{}", report::table(report));
    } else {
        println!("{}", report::table(report));
    }
    if let Some(path) = &args.chart {
        std::fs::write(path, chart::svg(report)).with_context(|| format!("writing {}", path.display()))?;
    }
    if report.errors.total > 0 || !report.consistency.matches {
        anyhow::bail!(
            "the run was not clean: {} errors, counts {}",
            report.errors.total,
            if report.consistency.matches { "match" } else { "do not match /metrics" }
        );
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn bench(
    args: &BenchArgs,
    server: &target::Target,
    emulator: Arc<EmulatorHandle>,
    probe: &mut tokio::sync::broadcast::Receiver<dianabot_emulator::BotCall>,
    weights: &[(Scenario, u32)],
    settings: Settings,
) -> anyhow::Result<report::Report> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(settings.concurrency * 2 + 16)
        .timeout(settings.reply_timeout)
        .build()
        .context("building the HTTP client")?;
    let before = target::scrape(&client, &server.metrics_url).await?;
    let setup_start = Instant::now();

    if args.intake == IntakeMode::Polling {
        // Posts made before the server's first getUpdates would reach it as
        // channel_post updates it never asked for.
        let polled = tokio::time::timeout(Duration::from_secs(30), async {
            while let Ok(call) = probe.recv().await {
                if call.method == "getupdates" {
                    return true;
                }
            }
            false
        });
        if !polled.await.unwrap_or(false) {
            anyhow::bail!("the server did not long-poll the harness's emulator within 30 s");
        }
    }
    // Auctions stay open past the run's end (baseline, warm-up, measured window, the last replies).
    let run = args.baseline.unwrap_or(0.0) + settings.warmup.as_secs_f64() + settings.duration.as_secs_f64();
    let config = LoadConfig {
        intake: args.intake,
        webhook_url: server.webhook_url(),
        secret: args.webhook_secret.clone(),
        users: args.users,
        user_id_base: settings.user_id_base,
        mix: args.mix.clone(),
        seed: args.seed,
        posts: args.posts,
        auctions: args.auctions,
        auction_seconds: Load::auction_seconds(run, settings.reply_timeout),
        concurrency: settings.concurrency,
        reply_timeout: settings.reply_timeout,
        to_menu: true,
        redeliver: None,
        log_acks: false,
    };
    let load = Load::setup(emulator, client.clone(), config, settings.replies).await?;
    let driver = load.driver.clone();
    let bids = weights.iter().any(|(scenario, _)| *scenario == Scenario::AuctionBid);
    let setup_seconds = setup_start.elapsed().as_secs_f64();

    let baseline = match args.baseline {
        Some(seconds) => {
            Some(baseline(&client, &server.base_url, settings.concurrency, positive(seconds, "baseline")?).await)
        }
        None => None,
    };

    // The load, with a scrape (and progress line) every second.
    let load_start = Instant::now();
    let measure_start = load_start + settings.warmup;
    let end = measure_start + settings.duration;
    crate::lock(&driver.recorder).start_load(load_start);
    let samples = Arc::new(Mutex::new(Vec::new()));
    let scrape_errors = Arc::new(AtomicU64::new(0));
    let stop_scraping = Arc::new(AtomicBool::new(false));
    let (memory_source, pid) = match server.pid() {
        Some(pid) => ("proc", Some(pid)),
        None => ("metrics", None),
    };
    let scraper = tokio::spawn(scrape_loop(ScrapeLoop {
        client: client.clone(),
        metrics_url: server.metrics_url.clone(),
        pid,
        samples: samples.clone(),
        errors: scrape_errors.clone(),
        stop: stop_scraping.clone(),
        driver: driver.clone(),
        load_start,
        measure_start,
        total: settings.warmup + settings.duration,
        quiet: args.quiet,
    }));
    match args.rate {
        Some(rate) => load.open_loop(rate, args.max_in_flight, measure_start, end).await,
        None => load.closed_loop(settings.concurrency, measure_start, end).await,
    }
    load.cancel_auctions().await;
    stop_scraping.store(true, Ordering::Relaxed);
    let _ = scraper.await;
    let after = target::scrape(&client, &server.metrics_url).await?;
    load.stop_observing().await;

    let config = ConfigReport {
        intake: args.intake,
        server: args.server.clone().unwrap_or_else(|| format!("spawned at {}", server.base_url)),
        database: server.database.clone(),
        users: args.users,
        concurrency: Some(if args.rate.is_some() { args.max_in_flight } else { settings.concurrency }),
        rate: args.rate,
        warmup_s: settings.warmup.as_secs_f64(),
        duration_s: settings.duration.as_secs_f64(),
        mix: weights.iter().map(|(scenario, weight)| (scenario.name().to_owned(), *weight)).collect(),
        seed: args.seed,
        posts: args.posts.max(1),
        auctions: bids.then_some(args.auctions),
        reply_timeout_s: settings.reply_timeout.as_secs_f64(),
        user_id_base: settings.user_id_base,
    };
    let recorder = lock(&driver.recorder);
    let samples = lock(&samples);
    Ok(report::build(report::Inputs {
        command: std::env::args().collect::<Vec<_>>().join(" "),
        config,
        recorder: &recorder,
        setup_seconds,
        baseline,
        load_start,
        measure_start,
        measure_end: end,
        samples: &samples,
        memory_source,
        before,
        after,
        scrape_errors: scrape_errors.load(Ordering::Relaxed),
    }))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The simulated users (and the operator, when one is needed), in the
/// emulator, as having started the bot.
async fn create_users(
    client: &reqwest::Client,
    control: &str,
    base: u64,
    users: usize,
    operator: bool,
) -> anyhow::Result<()> {
    let failures = AtomicU64::new(0);
    let first_error = Mutex::new(None);
    let people = (0..users)
        .map(|index| (base + index as u64, format!("Bench {index}")))
        .chain(operator.then(|| (driver::OPERATOR_ID, "Bench operator".to_owned())));
    futures_util::stream::iter(people)
        .for_each_concurrent(32, |(id, name)| {
            let body = json!({
                "id": id,
                "first_name": name,
                "language_code": "es",
                "started": true,
            });
            let (failures, first_error) = (&failures, &first_error);
            async move {
                let outcome = client.post(format!("{control}/users")).json(&body).send().await;
                let problem = match outcome {
                    Ok(response) if response.status().is_success() => None,
                    Ok(response) => {
                        Some(format!("{}: {}", response.status(), response.text().await.unwrap_or_default()))
                    }
                    Err(err) => Some(err.to_string()),
                };
                if let Some(problem) = problem {
                    failures.fetch_add(1, Ordering::Relaxed);
                    lock(first_error).get_or_insert(problem);
                }
            }
        })
        .await;
    match failures.into_inner() {
        0 => Ok(()),
        n => Err(BenchError::Emulator(format!(
            "creating {n} users failed, first: {}",
            lock(&first_error).clone().unwrap_or_default()
        ))
        .into()),
    }
}

/// The free channel's Bot API `Chat`, where the harness posts.
async fn free_channel(client: &reqwest::Client, control: &str) -> anyhow::Result<Value> {
    let fail = |err: reqwest::Error| BenchError::Emulator(format!("reading the free channel: {err}"));
    let chat: Value = client
        .get(format!("{control}/chats/free"))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(fail)?
        .json()
        .await
        .map_err(fail)?;
    let mut channel = json!({"id": chat["id"], "type": "channel", "title": chat["title"]});
    if let Some(username) = chat.get("username") {
        channel["username"] = username.clone();
    }
    Ok(channel)
}

/// GET /healthz, closed loop, same client.
async fn baseline(client: &reqwest::Client, base_url: &str, concurrency: usize, seconds: Duration) -> Baseline {
    let url = format!("{base_url}/healthz");
    let end = Instant::now() + seconds;
    let start = Instant::now();
    let (ok, errors) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (client, url, ok, errors) = (client.clone(), url.clone(), ok.clone(), errors.clone());
        tasks.spawn(async move {
            while Instant::now() < end {
                let answered = match client.get(&url).send().await {
                    Ok(response) => response.status().is_success() && response.bytes().await.is_ok(),
                    Err(_) => false,
                };
                if answered { &ok } else { &errors }.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let elapsed = start.elapsed().as_secs_f64();
    let requests = ok.load(Ordering::Relaxed);
    Baseline {
        endpoint: "/healthz",
        concurrency,
        seconds: elapsed,
        requests,
        errors: errors.load(Ordering::Relaxed),
        per_second: requests as f64 / elapsed.max(1e-9),
    }
}

struct ScrapeLoop {
    client: reqwest::Client,
    metrics_url: String,
    pid: Option<u32>,
    samples: Arc<Mutex<Vec<Sample>>>,
    errors: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    driver: Arc<Driver>,
    load_start: Instant,
    measure_start: Instant,
    total: Duration,
    quiet: bool,
}

/// The server's RSS from /proc (Linux), when the harness knows its pid.
fn proc_rss(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0)
}

async fn scrape_loop(job: ScrapeLoop) {
    use std::io::{IsTerminal, Write};
    let terminal = std::io::stderr().is_terminal();
    let mut tick = tokio::time::interval_at(tokio::time::Instant::from_std(job.load_start), Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    while !job.stop.load(Ordering::Relaxed) {
        tokio::select! {
            _ = tick.tick() => {}
            () = tokio::time::sleep(Duration::from_millis(100)) => continue,
        }
        let at = Instant::now();
        let sample = match target::scrape(&job.client, &job.metrics_url).await {
            Ok(metrics) => Sample::of(at, &metrics, job.pid.and_then(proc_rss)),
            Err(_) => {
                job.errors.fetch_add(1, Ordering::Relaxed);
                continue;
            }
        };
        let elapsed = at.duration_since(job.load_start);
        if !job.quiet && elapsed.as_secs() > 0 {
            let second = elapsed.as_secs() as usize - 1;
            let (updates, p99, _) = lock(&job.driver.recorder).second_summary(second).unwrap_or((0, 0, 0));
            let errors = lock(&job.driver.recorder).total_errors();
            let phase = if at < job.measure_start { "warm-up" } else { "measure" };
            let line = format!(
                "[{phase} {:>4}/{:.0} s] {updates:>7} updates/s  p99 {:>7.2} ms  errors {errors}  in flight {:.0}  flush lag {:.1} ms  rss {}",
                elapsed.as_secs(),
                job.total.as_secs_f64(),
                p99 as f64 / 1000.0,
                sample.in_flight,
                sample.flush_lag * 1000.0,
                sample.rss.map_or_else(|| "?".to_owned(), |rss| format!("{:.0} MiB", rss / 1_048_576.0)),
            );
            let mut stderr = std::io::stderr();
            let _ = if terminal { write!(stderr, "\r{line}\x1b[K") } else { writeln!(stderr, "{line}") };
        }
        lock(&job.samples).push(sample);
    }
    if !job.quiet && terminal {
        eprintln!();
    }
}
