//! Every setting, its environment variable and its default, in one place.
//! The defaults run the embedded server: SQLite, built-in emulator,
//! playground.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use anyhow::Context;
use dianabot_actors::{
    ActorConfig, Envelope, FaultHook, FaultInjector, FaultPoint, StockFaultInjector, StockFaultPoint, StockStep,
    TimerConfig,
};
use dianabot_game::Reason;
use dianabot_persistence::FlushConfig;
use dianabot_plumbing::Clock;
// cluster
use dianabot_cluster::ClusterConfig;

use crate::alerts::AlertSettings;
use crate::alerts::rules::Policy;
use crate::telegram::OutboundLimits;
use crate::telegram::ratelimit::RateLimits;
use dianabot_persistence::insights::InsightSettings;

/// How updates reach the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intake {
    /// getUpdates, advancing the offset only past durable updates.
    Polling,
    /// Telegram POSTs to `/telegram/webhook`; answered once durable.
    /// `register_url`, when set, is given to setWebhook at start.
    Webhook { register_url: Option<String> },
}

#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL`: `postgres://…` or `sqlite:…`. Default `sqlite:dianabot.db`.
    pub database_url: String,
    /// `HTTP_BIND`: webhook, health and readiness. Default `127.0.0.1:8080`.
    pub http_bind: SocketAddr,
    /// `METRICS_BIND`: Prometheus `/metrics`, apart from the public port
    /// because it shows ledger totals. Default `127.0.0.1:9090` (loopback).
    pub metrics_bind: SocketAddr,
    /// `SHUTDOWN_TIMEOUT_SECS`: how long a graceful shutdown may wait for
    /// accepted updates to become durable before the process exits without
    /// acknowledging them. Default 30.
    pub shutdown_timeout: Duration,
    /// `TELEGRAM_BOT_TOKEN`. Unset: the built-in emulator plays Telegram.
    pub bot_token: Option<String>,
    /// `TELEGRAM_API_URL`: the Bot API server. Default: Telegram's, or the
    /// built-in emulator when no token is set.
    pub api_url: Option<String>,
    /// `TELEGRAM_INTAKE` = `polling` | `webhook`; `WEBHOOK_URL` set implies
    /// webhook and is registered with setWebhook.
    pub intake: Intake,
    /// `WEBHOOK_SECRET`: checked against `X-Telegram-Bot-Api-Secret-Token`.
    /// Required for webhook intake.
    pub webhook_secret: Option<String>,
    /// `EMULATOR_BIND`: where the built-in emulator listens. Default `127.0.0.1:8081`.
    pub emulator_bind: SocketAddr,
    /// `SHARDS`, `MAX_IN_FLIGHT_PER_SHARD`, `IDLE_TIMEOUT_SECS`.
    pub actors: ActorConfig,
    /// `FLUSH_LINGER_MS`, `FLUSH_MAX_BATCH`; `ANALYTICS_COLLECT` = `on`
    /// (default) | `off`: whether writes carry analytics rows (off: for
    /// measuring what collection costs, or for no analytics at all).
    pub flush: FlushConfig,
    /// `READY_MAX_COMMIT_STALL_SECS`: `/readyz` answers 503 once writes
    /// have waited this long for a commit (a failing or blocked store).
    /// Default 10.
    pub ready_max_commit_stall: Duration,
    /// `OUTBOUND_PER_CHAT_MS` (default 1000) and `OUTBOUND_GLOBAL_PER_SEC`
    /// (default 30): Telegram's limits; 0 disables either (benchmarks).
    /// `OUTBOUND_MAX_PER_CHAT` (default 30) and `OUTBOUND_MAX_TOTAL`
    /// (default 10000): most requests waiting in one chat and overall, beyond
    /// which stale replies are dropped; 0 = unbounded.
    pub outbound: OutboundLimits,
    /// `CALLBACK_SECRET`: key that signs inline-button data. Default: derived
    /// from the bot token, so buttons survive restarts.
    pub callback_secret: Option<String>,
    /// `CONTENT_DIR`: the story and economy files. Default `content` in the
    /// working directory, else the demo content of the source tree.
    pub content_dir: PathBuf,
    /// `VIP_CHANNEL_ID`: reactions there pay the VIP rates. Default: the
    /// built-in emulator's VIP channel when it runs, else none.
    pub vip_channel: Option<i64>,
    /// `FREE_CHANNEL_ID`: the free channel. Posts are registered (and pay
    /// reactions) only from it and the VIP channel. Default: the built-in
    /// emulator's free channel when it runs, else none.
    pub free_channel: Option<i64>,
    /// `ADMIN_IDS`: comma-separated Telegram user ids of operators.
    pub admins: BTreeSet<i64>,
    /// `MAX_PURCHASES_PER_HOUR`: purchase attempts (besitos or Stars) a
    /// player may make per hour. Default 5.
    pub max_purchases_per_hour: u32,
    /// `DAILY_CAPS`: most besitos a player may receive per day by reason,
    /// e.g. `reaction=60,daily_gift=100`. Default: none.
    pub daily_caps: BTreeMap<Reason, i64>,
    /// `AUCTION_MIN_SECS` (default 60): the shortest auction an operator
    /// may open; `AUCTION_EXTENSION_SECS` (default 60): the anti-sniping
    /// window and extension of new auctions.
    pub auctions: AuctionLimits,
    /// `TEST_CLOCK=on`: the game clock can be moved forward (`POST
    /// /control/clock/advance?secs=N` on `METRICS_BIND`, and the built-in
    /// emulator's control API), starting `CLOCK_OFFSET_SECS` ahead of the
    /// wall clock — for tests and the playground, refused with the real
    /// Telegram. Off by default. The clock itself is `actors.clock`.
    pub test_clock: bool,
    /// `TIMER_POLL_MS`: how often due durable timers are looked for.
    /// Default 1000. `TIMER_MAX_IN_FLIGHT`: timers handled at once (each
    /// waits for its commit); default 64.
    pub timers: TimerConfig,
    /// `RATE_LIMITS`: updates a player may send per window, by action, e.g.
    /// `message=20/10s,decision=10/10s,reaction=30/60s,purchase=5/60s` (the
    /// defaults); `action=off` lifts one, `off` all.
    pub rate_limits: RateLimits,
    // Alerts and daily insights.
    /// Alerts to operators (`/alerts` lists them): `ALERT_CHECK_SECS`
    /// (default 60) between checks; `ALERT_WINDOW_SECS` (default 300), the
    /// recent past p95 and error rate are measured over; `ALERT_P95_MS`
    /// (default 2000), the p95 of any operation above which it fires, once
    /// `ALERT_P95_MIN_SAMPLES` (default 5) were measured in the window;
    /// `ALERT_ERRORS_PER_MIN` (default 5) failed updates (dead letters,
    /// not durable) per minute; `ALERT_FLUSHER_LAG_SECS` (default 30) that
    /// writes waited for a commit; `ALERT_FAILED_PAYMENTS_PER_HOUR`
    /// (default 3) refused pre-checkouts and refunded charges;
    /// `ALERT_INFLATION_PCT` (default 5) today's net besitos minted over the
    /// supply, also the daily insights' threshold; `ALERT_CLEAR_CHECKS`
    /// (default 3) checks in a row under the threshold before a rule
    /// resolves; `ALERT_MAX_PER_HOUR` (default 20) messages, the rest
    /// summarised; `ALERT_CHAT_ID`: one chat for alerts and the daily
    /// summary instead of every operator with the analytics permission.
    pub alerts: AlertSettings,
    /// The daily insights: `INSIGHT_VIP_EXPIRING_DAYS` (default 3), a VIP
    /// whose paid period ends this soon is at risk; `INSIGHT_VIP_INACTIVE_DAYS`
    /// (default 7), a VIP quiet this long is; `INSIGHT_CONCENTRATION_PCT`
    /// (default 50), the richest 10 players' share of the besitos worth a
    /// warning.
    pub insights: InsightSettings,
    // Dashboard.
    /// `PUBLIC_URL`: where operators' browsers reach `HTTP_BIND` (the
    /// dashboard's links start with it), e.g. `https://bot.example.com`.
    /// Default `http://` and the `HTTP_BIND` address (loopback when it
    /// binds every interface): the playground works as is.
    pub public_url: Option<String>,
    /// `PANEL_LINK_MINUTES`: how long a `/panel` login link stays usable.
    /// Default 10.
    pub panel_link_minutes: u32,
    /// `PANEL_SECRET`: the key that signs dashboard session cookies. Default:
    /// a random key per process, so sessions end when the server restarts.
    pub panel_secret: Option<String>,
    // Leaderboards.
    /// `TEST_FAULTS=abort_after_prize=N` (tests only): a weekly reset
    /// aborts the process after the Nth prize's credit is durable, before
    /// it is marked paid.
    pub abort_after_prize: Option<u32>,
    // hardening
    /// `TEST_FAULTS=abort_after_settle=N` (tests only): the Nth referral
    /// settlement aborts the process once the inviter's credit is durable,
    /// before the invited player's `ReferralReward` timer is cleared.
    pub abort_after_settle: Option<u32>,
    // cluster
    /// Clustering (phase 1), on when `REDIS_URL` is set (`redis://host:port`);
    /// unset, the node serves everyone and Redis is never touched.
    /// `CLUSTER_SHARDS` (default 256): virtual shards the users are split
    /// into — every node of a cluster must use the same number;
    /// `CLUSTER_LEASE_MS` (default 3000): how long a shard's lease lasts
    /// without renewal (renewed every third), so a dead node's shards are
    /// taken over within 1⅓ leases (4 s: issue 20 asks 5); `CLUSTER_NODE_ID` (default
    /// `hostname-pid`): this node's name in Redis and in `shard_epochs`;
    /// `CLUSTER_PREFIX` (default `dianabot`): the prefix of every Redis key,
    /// for several clusters (or tests) on one Redis.
    pub cluster: Option<ClusterConfig>,
    // cluster-bus
    /// `CLUSTER_CALL_TIMEOUT_MS` (default 10000): how long a node waits for
    /// the owner of a shard to answer a forwarded update or a saga step;
    /// past it the update is left unacknowledged (webhook 503) and the step
    /// retried. Keep it below Telegram's webhook timeout.
    pub cluster_call_timeout: Duration,
}

/// Operator-facing auction settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuctionLimits {
    pub min_duration_secs: i64,
    pub extension_secs: i64,
}

impl Default for AuctionLimits {
    fn default() -> AuctionLimits {
        AuctionLimits { min_duration_secs: 60, extension_secs: 60 }
    }
}

impl Config {
    /// Where operators' browsers reach the dashboard: `PUBLIC_URL`, else
    /// this server's own `HTTP_BIND`.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.clone(),
            None => {
                let mut addr = self.http_bind;
                if addr.ip().is_unspecified() {
                    addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
                }
                format!("http://{addr}")
            }
        }
    }

    pub fn from_env() -> anyhow::Result<Config> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests need not touch the process
    /// environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Config> {
        let get = |name: &str| lookup(name).filter(|value| !value.is_empty());
        let webhook_url = get("WEBHOOK_URL");
        let intake = match (get("TELEGRAM_INTAKE").as_deref(), webhook_url) {
            (_, Some(url)) => Intake::Webhook { register_url: Some(url) },
            (Some("webhook"), None) => Intake::Webhook { register_url: None },
            (Some("polling") | None, None) => Intake::Polling,
            (Some(other), None) => anyhow::bail!("TELEGRAM_INTAKE must be polling or webhook, got {other:?}"),
        };
        let webhook_secret = get("WEBHOOK_SECRET");
        if matches!(intake, Intake::Webhook { .. }) && webhook_secret.is_none() {
            anyhow::bail!("webhook intake needs WEBHOOK_SECRET (Telegram's secret_token)");
        }
        let test_clock = match get("TEST_CLOCK").as_deref() {
            Some("on") => true,
            Some("off") | None => false,
            Some(other) => anyhow::bail!("TEST_CLOCK must be on or off, got {other:?}"),
        };
        let offset: i64 = parse(&get, "CLOCK_OFFSET_SECS")?.unwrap_or(0);
        if offset != 0 && !test_clock {
            anyhow::bail!("CLOCK_OFFSET_SECS needs TEST_CLOCK=on");
        }
        if test_clock && get("TELEGRAM_BOT_TOKEN").is_some() && get("TELEGRAM_API_URL").is_none() {
            anyhow::bail!("TEST_CLOCK=on is for the emulator and tests, not the real Telegram");
        }
        let faults = get("TEST_FAULTS");
        if faults.is_some() && !test_clock {
            anyhow::bail!("TEST_FAULTS is for the emulator and tests: it needs TEST_CLOCK=on");
        }
        let (fault_injector, stock_fault_injector, abort_after_prize, abort_after_settle) =
            faults.as_deref().map(test_faults).transpose()?.unwrap_or_default();
        let defaults = ActorConfig::default();
        let actors = ActorConfig {
            fault_injector,
            stock_fault_injector,
            clock: if test_clock { Clock::adjustable(offset) } else { Clock::system() },
            shards: parse(&get, "SHARDS")?.unwrap_or(defaults.shards),
            max_in_flight_per_shard: parse(&get, "MAX_IN_FLIGHT_PER_SHARD")?
                .unwrap_or(defaults.max_in_flight_per_shard),
            idle_timeout: parse(&get, "IDLE_TIMEOUT_SECS")?.map(Duration::from_secs).unwrap_or(defaults.idle_timeout),
            ..defaults
        };
        let flush_defaults = FlushConfig::default();
        let flush = FlushConfig {
            linger: parse(&get, "FLUSH_LINGER_MS")?.map(Duration::from_millis).unwrap_or(flush_defaults.linger),
            max_batch_users: parse(&get, "FLUSH_MAX_BATCH")?.unwrap_or(flush_defaults.max_batch_users),
            collect_analytics: match get("ANALYTICS_COLLECT").as_deref() {
                Some("on") | None => true,
                Some("off") => false,
                Some(other) => anyhow::bail!("ANALYTICS_COLLECT must be on or off, got {other:?}"),
            },
            ..flush_defaults
        };
        let outbound_defaults = OutboundLimits::default();
        let outbound = OutboundLimits {
            per_chat_interval: parse(&get, "OUTBOUND_PER_CHAT_MS")?
                .map(Duration::from_millis)
                .unwrap_or(outbound_defaults.per_chat_interval),
            global_per_second: parse(&get, "OUTBOUND_GLOBAL_PER_SEC")?.unwrap_or(outbound_defaults.global_per_second),
            max_per_chat: parse(&get, "OUTBOUND_MAX_PER_CHAT")?.unwrap_or(outbound_defaults.max_per_chat),
            max_total: parse(&get, "OUTBOUND_MAX_TOTAL")?.unwrap_or(outbound_defaults.max_total),
        };
        let auction_defaults = AuctionLimits::default();
        let auctions = AuctionLimits {
            min_duration_secs: parse(&get, "AUCTION_MIN_SECS")?.unwrap_or(auction_defaults.min_duration_secs),
            extension_secs: parse(&get, "AUCTION_EXTENSION_SECS")?.unwrap_or(auction_defaults.extension_secs),
        };
        let timer_defaults = TimerConfig::default();
        let max_in_flight = parse(&get, "TIMER_MAX_IN_FLIGHT")?.unwrap_or(timer_defaults.max_in_flight);
        if max_in_flight == 0 {
            anyhow::bail!("TIMER_MAX_IN_FLIGHT must be at least 1");
        }
        let timers = TimerConfig {
            poll_interval: parse(&get, "TIMER_POLL_MS")?
                .map(Duration::from_millis)
                .unwrap_or(timer_defaults.poll_interval),
            max_in_flight,
            ..timer_defaults
        };
        let (alerts, insights) = alert_settings(&get)?;
        let panel_link_minutes = parse(&get, "PANEL_LINK_MINUTES")?.unwrap_or(10);
        Ok(Config {
            alerts,
            insights,
            public_url: get("PUBLIC_URL").map(|url| url.trim_end_matches('/').to_owned()),
            panel_link_minutes,
            panel_secret: get("PANEL_SECRET"),
            test_clock,
            timers,
            auctions,
            rate_limits: parse(&get, "RATE_LIMITS")?.unwrap_or_default(),
            outbound,
            callback_secret: get("CALLBACK_SECRET"),
            vip_channel: parse(&get, "VIP_CHANNEL_ID")?,
            free_channel: parse(&get, "FREE_CHANNEL_ID")?,
            daily_caps: get("DAILY_CAPS").map(|caps| daily_caps(&caps)).transpose()?.unwrap_or_default(),
            max_purchases_per_hour: parse(&get, "MAX_PURCHASES_PER_HOUR")?
                .unwrap_or(dianabot_game::Rules::default().max_purchase_attempts_per_hour),
            content_dir: get("CONTENT_DIR").map(PathBuf::from).unwrap_or_else(default_content_dir),
            admins: get("ADMIN_IDS")
                .map(|ids| {
                    ids.split(',')
                        .map(|id| id.trim().parse().with_context(|| format!("ADMIN_IDS: {id:?} is not a user id")))
                        .collect()
                })
                .transpose()?
                .unwrap_or_default(),
            database_url: get("DATABASE_URL").unwrap_or_else(|| "sqlite:dianabot.db".to_owned()),
            http_bind: parse(&get, "HTTP_BIND")?.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            metrics_bind: parse(&get, "METRICS_BIND")?.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 9090))),
            shutdown_timeout: Duration::from_secs(parse(&get, "SHUTDOWN_TIMEOUT_SECS")?.unwrap_or(30)),
            bot_token: get("TELEGRAM_BOT_TOKEN"),
            api_url: get("TELEGRAM_API_URL"),
            intake,
            webhook_secret,
            emulator_bind: parse(&get, "EMULATOR_BIND")?.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8081))),
            actors,
            flush,
            ready_max_commit_stall: parse(&get, "READY_MAX_COMMIT_STALL_SECS")?
                .map(Duration::from_secs)
                .unwrap_or(Duration::from_secs(10)),
            abort_after_prize,
            abort_after_settle,
            cluster: cluster_config(&get)?,
            cluster_call_timeout: parse(&get, "CLUSTER_CALL_TIMEOUT_MS")?
                .map(Duration::from_millis)
                .unwrap_or(Duration::from_secs(10)),
        })
    }
}

// cluster
/// The `REDIS_URL` and `CLUSTER_*` settings (see [`Config::cluster`]).
fn cluster_config(get: &impl Fn(&str) -> Option<String>) -> anyhow::Result<Option<ClusterConfig>> {
    let Some(redis_url) = get("REDIS_URL") else { return Ok(None) };
    let shards = parse(get, "CLUSTER_SHARDS")?.unwrap_or(ClusterConfig::DEFAULT_SHARDS);
    if shards == 0 {
        anyhow::bail!("CLUSTER_SHARDS must be at least 1");
    }
    let lease = parse(get, "CLUSTER_LEASE_MS")?.map(Duration::from_millis).unwrap_or(ClusterConfig::DEFAULT_LEASE);
    if lease < Duration::from_millis(300) {
        anyhow::bail!("CLUSTER_LEASE_MS must be at least 300");
    }
    let node = get("CLUSTER_NODE_ID").unwrap_or_else(|| {
        let host = std::fs::read_to_string("/etc/hostname").map(|name| name.trim().to_owned()).unwrap_or_default();
        let host = if host.is_empty() { "node".to_owned() } else { host };
        format!("{host}-{}", std::process::id())
    });
    let prefix = get("CLUSTER_PREFIX").unwrap_or_else(|| ClusterConfig::DEFAULT_PREFIX.to_owned());
    Ok(Some(ClusterConfig { redis_url, shards, lease, node, prefix }))
}

fn default_content_dir() -> PathBuf {
    let here = PathBuf::from(crate::content::DEFAULT_DIR);
    if here.is_dir() { here } else { PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/content")) }
}

/// `TEST_FAULTS` (tests only, with `TEST_CLOCK=on`), comma-separated:
/// `stock_reserve=N` makes the first N stock reservations fail before
/// their write (a purchase saga's step failing: compensation follows);
/// `abort_mid_apply=KIND` aborts the process, as `kill -9` would, the first
/// time a command of that kind (`Command::kind`) is half applied in memory;
/// `slow=KIND:MS:N` makes the first N commands of that kind take MS
/// milliseconds longer inside their actor (before deciding, so the
/// handling histogram measures it), then no longer — a slow operation
/// that starts and stops, for the alerts;
/// `abort_after_prize=N` aborts a weekly leaderboard reset after the Nth
/// prize was credited, before it is marked paid;
/// `abort_after_settle=N` aborts after the Nth referral settlement is
/// durable, before the invited player's timer is cleared.
fn test_faults(text: &str) -> anyhow::Result<TestFaults> {
    let (mut user, mut stock, mut prize, mut settle): (Vec<Arc<FaultHook>>, _, _, _) = (Vec::new(), None, None, None);
    for pair in text.split(',') {
        let (name, value) = pair.trim().split_once('=').with_context(|| format!("TEST_FAULTS: {pair:?}"))?;
        match name.trim() {
            "stock_reserve" => {
                let failures: u32 = value.trim().parse().with_context(|| format!("TEST_FAULTS: {value:?}"))?;
                let left = Arc::new(AtomicU32::new(failures));
                let hook = move |step, point, _purchase| {
                    step == StockStep::Reserve
                        && point == StockFaultPoint::BeforeWrite
                        && left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
                };
                stock = Some(StockFaultInjector(Arc::new(hook)));
            }
            "abort_mid_apply" => {
                let kind = value.trim().to_owned();
                let hook = move |point, envelope: &Envelope| {
                    if point == FaultPoint::MidApply && envelope.command.kind() == kind {
                        eprintln!("TEST_FAULTS: aborting mid-apply of {kind}");
                        std::process::abort();
                    }
                };
                user.push(Arc::new(hook));
            }
            "slow" => {
                let parts: Vec<&str> = value.trim().split(':').collect();
                let [kind, millis, count] = parts.as_slice() else {
                    anyhow::bail!("TEST_FAULTS: slow={value:?} is not KIND:MS:N");
                };
                let kind = (*kind).to_owned();
                let delay = Duration::from_millis(millis.parse().with_context(|| format!("TEST_FAULTS: {value:?}"))?);
                let left = Arc::new(AtomicU32::new(count.parse().with_context(|| format!("TEST_FAULTS: {value:?}"))?));
                let hook = move |point, envelope: &Envelope| {
                    if point == FaultPoint::BeforeDecide
                        && envelope.command.kind() == kind
                        && left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
                    {
                        std::thread::sleep(delay);
                    }
                };
                user.push(Arc::new(hook));
            }
            "abort_after_prize" => {
                prize = Some(value.trim().parse().with_context(|| format!("TEST_FAULTS: {value:?}"))?);
            }
            "abort_after_settle" => {
                settle = Some(value.trim().parse().with_context(|| format!("TEST_FAULTS: {value:?}"))?);
            }
            other => anyhow::bail!(
                "TEST_FAULTS: unknown fault {other:?}; stock_reserve=N, abort_mid_apply=KIND, slow=KIND:MS:N, \
                 abort_after_prize=N or abort_after_settle=N"
            ),
        }
    }
    let user = (!user.is_empty()).then(|| {
        FaultInjector(Arc::new(move |point, envelope: &Envelope| {
            for hook in &user {
                hook(point, envelope);
            }
        }))
    });
    Ok((user, stock, prize, settle))
}

/// What `TEST_FAULTS` injects: into user actors, into stock keepers, the
/// leaderboard prize after which a reset aborts, and the referral
/// settlement after which the process aborts.
type TestFaults = (Option<FaultInjector>, Option<StockFaultInjector>, Option<u32>, Option<u32>);

/// The `ALERT_*` and `INSIGHT_*` settings (see [`Config::alerts`]).
fn alert_settings(get: &impl Fn(&str) -> Option<String>) -> anyhow::Result<(AlertSettings, InsightSettings)> {
    let (alerts, insights) = (AlertSettings::default(), InsightSettings::default());
    let secs = |name: &str, default: Duration| -> anyhow::Result<Duration> {
        match parse::<u64>(get, name)? {
            Some(0) => anyhow::bail!("{name} must be at least 1"),
            Some(secs) => Ok(Duration::from_secs(secs)),
            None => Ok(default),
        }
    };
    let inflation_pct = parse(get, "ALERT_INFLATION_PCT")?.unwrap_or(alerts.inflation_pct);
    let policy = Policy {
        clear_checks: parse(get, "ALERT_CLEAR_CHECKS")?.unwrap_or(alerts.policy.clear_checks).max(1),
        max_per_hour: parse(get, "ALERT_MAX_PER_HOUR")?.unwrap_or(alerts.policy.max_per_hour),
    };
    let alerts = AlertSettings {
        check_every: secs("ALERT_CHECK_SECS", alerts.check_every)?,
        window: secs("ALERT_WINDOW_SECS", alerts.window)?,
        p95_ms: parse(get, "ALERT_P95_MS")?.unwrap_or(alerts.p95_ms),
        p95_min_samples: parse(get, "ALERT_P95_MIN_SAMPLES")?.unwrap_or(alerts.p95_min_samples),
        errors_per_min: parse(get, "ALERT_ERRORS_PER_MIN")?.unwrap_or(alerts.errors_per_min),
        flusher_lag_secs: parse(get, "ALERT_FLUSHER_LAG_SECS")?.unwrap_or(alerts.flusher_lag_secs),
        failed_payments_per_hour: parse(get, "ALERT_FAILED_PAYMENTS_PER_HOUR")?
            .unwrap_or(alerts.failed_payments_per_hour),
        inflation_pct,
        policy,
        chat: parse(get, "ALERT_CHAT_ID")?,
    };
    let insights = InsightSettings {
        vip_expiring_days: parse(get, "INSIGHT_VIP_EXPIRING_DAYS")?.unwrap_or(insights.vip_expiring_days),
        vip_inactive_days: parse(get, "INSIGHT_VIP_INACTIVE_DAYS")?.unwrap_or(insights.vip_inactive_days),
        concentration_pct: parse(get, "INSIGHT_CONCENTRATION_PCT")?.unwrap_or(insights.concentration_pct),
        inflation_pct,
        ..insights
    };
    Ok((alerts, insights))
}

/// `reason=cap,…` with whitelisted reasons and positive caps.
fn daily_caps(text: &str) -> anyhow::Result<BTreeMap<Reason, i64>> {
    text.split(',')
        .map(|pair| {
            let (name, cap) =
                pair.trim().split_once('=').with_context(|| format!("DAILY_CAPS: {pair:?} is not reason=cap"))?;
            let reason = Reason::parse(name.trim()).with_context(|| {
                let names: Vec<&str> = Reason::ALL.iter().map(|reason| reason.as_str()).collect();
                format!("DAILY_CAPS: unknown reason {name:?}; one of {}", names.join(", "))
            })?;
            let cap: i64 = cap.trim().parse().ok().filter(|cap| *cap > 0).with_context(|| {
                format!("DAILY_CAPS: the cap of {name} must be a positive number of besitos, not {cap:?}")
            })?;
            Ok((reason, cap))
        })
        .collect()
}

fn parse<T>(get: &impl Fn(&str) -> Option<String>, name: &str) -> anyhow::Result<Option<T>>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    get(name).map(|value| value.parse::<T>().with_context(|| format!("{name}={value:?} is not valid"))).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flood_limits_have_defaults_and_read_their_variables() {
        use crate::telegram::ratelimit::{Action, Limit};
        let config = |pairs: &[(&str, &str)]| {
            let pairs: BTreeMap<String, String> =
                pairs.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect();
            Config::from_lookup(|name| pairs.get(name).cloned())
        };
        let defaults = config(&[]).unwrap();
        assert_eq!((defaults.outbound.max_per_chat, defaults.outbound.max_total), (30, 10_000));
        assert_eq!(defaults.rate_limits, RateLimits::default());
        let set = config(&[
            ("OUTBOUND_MAX_PER_CHAT", "5"),
            ("OUTBOUND_MAX_TOTAL", "0"),
            ("RATE_LIMITS", "message=3/2s,purchase=off"),
        ])
        .unwrap();
        assert_eq!((set.outbound.max_per_chat, set.outbound.max_total), (5, 0));
        assert_eq!(set.rate_limits.get(Action::Message), Some(Limit { max: 3, window: Duration::from_secs(2) }));
        assert_eq!(set.rate_limits.get(Action::Purchase), None);
        assert!(config(&[("RATE_LIMITS", "message=lots")]).is_err());
        assert!(config(&[("OUTBOUND_MAX_TOTAL", "-1")]).is_err());
    }

    #[test]
    fn a_test_clock_is_only_for_the_emulator_and_tests() {
        let config = |pairs: &[(&str, &str)]| {
            let pairs: BTreeMap<String, String> =
                pairs.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect();
            Config::from_lookup(|name| pairs.get(name).cloned())
        };
        assert!(!config(&[]).unwrap().actors.clock.is_adjustable());
        let test = config(&[("TEST_CLOCK", "on"), ("CLOCK_OFFSET_SECS", "86400")]).unwrap();
        assert!(test.test_clock && test.actors.clock.is_adjustable());
        assert_eq!(test.actors.clock.offset(), 86_400);
        assert!(config(&[("CLOCK_OFFSET_SECS", "60")]).is_err(), "an offset needs the test clock");
        assert!(config(&[("TEST_CLOCK", "yes")]).is_err());
        assert!(config(&[("TEST_CLOCK", "on"), ("TELEGRAM_BOT_TOKEN", "1:real")]).is_err(), "not with Telegram");
        let emulator =
            [("TEST_CLOCK", "on"), ("TELEGRAM_BOT_TOKEN", "1:x"), ("TELEGRAM_API_URL", "http://127.0.0.1:1/")];
        assert!(config(&emulator).is_ok());
        assert_eq!(config(&[]).unwrap().timers.max_in_flight, 64);
        assert_eq!(config(&[("TIMER_MAX_IN_FLIGHT", "256")]).unwrap().timers.max_in_flight, 256);
        assert!(config(&[("TIMER_MAX_IN_FLIGHT", "0")]).is_err());
        // Injected faults only where the clock is a test's too.
        assert!(config(&[("TEST_FAULTS", "stock_reserve=1")]).is_err(), "not outside tests");
        let faulty =
            config(&[("TEST_CLOCK", "on"), ("TEST_FAULTS", "stock_reserve=2,abort_mid_apply=decide")]).unwrap();
        assert!(faulty.actors.stock_fault_injector.is_some() && faulty.actors.fault_injector.is_some());
        assert!(config(&[("TEST_CLOCK", "on")]).unwrap().actors.stock_fault_injector.is_none());
        assert!(config(&[("TEST_CLOCK", "on"), ("TEST_FAULTS", "stock_reserve=x")]).is_err());
        assert!(config(&[("TEST_CLOCK", "on"), ("TEST_FAULTS", "explode=1")]).is_err());
    }

    #[test]
    fn alert_thresholds_have_defaults_and_read_their_variables() {
        let config = |pairs: &[(&str, &str)]| {
            let pairs: BTreeMap<String, String> =
                pairs.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect();
            Config::from_lookup(|name| pairs.get(name).cloned())
        };
        let defaults = config(&[]).unwrap();
        assert_eq!(defaults.alerts, AlertSettings::default());
        assert_eq!((defaults.alerts.p95_ms, defaults.alerts.check_every), (2000.0, Duration::from_secs(60)));
        let set = config(&[
            ("ALERT_P95_MS", "300"),
            ("ALERT_CHECK_SECS", "1"),
            ("ALERT_INFLATION_PCT", "12.5"),
            ("ALERT_CHAT_ID", "-100"),
            ("INSIGHT_VIP_EXPIRING_DAYS", "5"),
        ])
        .unwrap();
        assert_eq!((set.alerts.p95_ms, set.alerts.check_every), (300.0, Duration::from_secs(1)));
        assert_eq!((set.alerts.inflation_pct, set.insights.inflation_pct), (12.5, 12.5));
        assert_eq!((set.alerts.chat, set.insights.vip_expiring_days), (Some(-100), 5));
        assert!(config(&[("ALERT_CHECK_SECS", "0")]).is_err());
        assert!(config(&[("ALERT_P95_MS", "slow")]).is_err());
        // Slow operations are a test fault like the others.
        assert!(config(&[("TEST_FAULTS", "slow=register:2500:3")]).is_err(), "not outside tests");
        let slow = config(&[("TEST_CLOCK", "on"), ("TEST_FAULTS", "slow=register:2500:3")]).unwrap();
        assert!(slow.actors.fault_injector.is_some());
        assert!(config(&[("TEST_CLOCK", "on"), ("TEST_FAULTS", "slow=register:2500")]).is_err());
    }

    #[test]
    fn analytics_collection_is_on_unless_turned_off() {
        let config = |value: &str| Config::from_lookup(|name| (name == "ANALYTICS_COLLECT").then(|| value.to_owned()));
        assert!(config("").unwrap().flush.collect_analytics);
        assert!(config("on").unwrap().flush.collect_analytics);
        assert!(!config("off").unwrap().flush.collect_analytics);
        assert!(config("no").is_err());
    }

    #[test]
    fn daily_caps_take_whitelisted_reasons_and_positive_caps() {
        let caps = daily_caps("reaction=60, daily_gift = 100").unwrap();
        assert_eq!(caps, BTreeMap::from([(Reason::Reaction, 60), (Reason::DailyGift, 100)]));
        for bad in ["free_money=5", "reaction=-1", "reaction=0", "reaction", "reaction=lots"] {
            assert!(daily_caps(bad).is_err(), "{bad}");
        }
    }
}
