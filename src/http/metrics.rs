//! `GET /metrics`: Prometheus text exposition of the server's counters.
//!
//! The counters are declared once, each in the table of the struct that
//! owns them (`ActorStats`, `FlushStats`, `OutboundStats`, `IntakeStats`,
//! through `dianabot_plumbing::metrics!`), which also writes them out. What
//! is written here by hand is what a table cannot hold: per-shard backlog,
//! histograms, ledger totals by reason, a mean and the process's memory.

use std::sync::atomic::Ordering;

use dianabot_actors::{Router, TimerStats};
use dianabot_persistence::Flusher;
use dianabot_plumbing::metrics::Exposition;

use crate::telegram::ratelimit::{Action, RateLimiter};
use crate::telegram::{IntakeStats, Outbound};

/// What `/metrics` reads.
#[derive(Clone)]
pub struct Sources {
    pub router: Router,
    pub flusher: Flusher,
    pub outbound: Outbound,
    pub intake: std::sync::Arc<IntakeStats>,
    pub rate_limiter: std::sync::Arc<RateLimiter>,
    pub timers: std::sync::Arc<TimerStats>,
    pub alerts: std::sync::Arc<crate::alerts::AlertStats>,
    // cluster
    /// Clustering on: shards owned, leases acquired, renewed, lost.
    pub cluster: Option<std::sync::Arc<dianabot_cluster::ClusterStats>>,
}

pub fn render(sources: &Sources) -> String {
    let mut out = Exposition::default();
    let actors = sources.router.stats();
    actors.encode(&mut out);
    for shard in 0..sources.router.shards() {
        out.sample(
            "dianabot_shard_in_flight",
            "gauge",
            "Updates accepted by a shard and not yet durable (the backpressure budget in use).",
            &format!("{{shard=\"{shard}\"}}"),
            sources.router.in_flight(shard) as f64,
        );
    }

    out.family(
        "dianabot_actor_handling_seconds",
        "histogram",
        "Time a user actor spends on one message, by command (decide, apply, hand over the write, render).",
    );
    for entry in actors.handling.iter() {
        let (command, histogram) = (entry.key(), entry.value());
        for (bound, count) in histogram.cumulative() {
            let le = if bound.is_infinite() { "+Inf".to_owned() } else { bound.to_string() };
            let labels = format!("{{command=\"{command}\",le=\"{le}\"}}");
            out.line("dianabot_actor_handling_seconds_bucket", &labels, count as f64);
        }
        let labels = format!("{{command=\"{command}\"}}");
        out.line("dianabot_actor_handling_seconds_sum", &labels, histogram.sum_seconds());
        out.line("dianabot_actor_handling_seconds_count", &labels, histogram.count() as f64);
    }

    let flush = sources.flusher.stats();
    flush.encode(&mut out);
    // The family is announced even before the first commit, so dashboards
    // find it on a fresh server.
    out.family(
        "dianabot_ledger_besitos_total",
        "counter",
        "Committed besitos by ledger reason; direction in = credited to players (faucets), out = debited (sinks).",
    );
    for entry in flush.ledger_totals.iter() {
        let (reason, incoming) = *entry.key();
        let direction = if incoming { "in" } else { "out" };
        let labels = format!("{{reason=\"{reason}\",direction=\"{direction}\"}}");
        out.line("dianabot_ledger_besitos_total", &labels, entry.value().load(Ordering::Relaxed) as f64);
    }

    let outbound = sources.outbound.stats();
    outbound.encode(&mut out);
    out.sample(
        "dianabot_telegram_outbound_wait_seconds_mean",
        "gauge",
        "Mean scheduler wait.",
        "",
        outbound.mean_wait().as_secs_f64(),
    );

    if let Some(bytes) = resident_memory_bytes() {
        out.sample(
            "dianabot_process_resident_memory_bytes",
            "gauge",
            "Resident memory of the server process.",
            "",
            bytes,
        );
    }

    sources.intake.encode(&mut out);
    sources.timers.encode(&mut out);
    sources.alerts.encode(&mut out);
    if let Some(cluster) = &sources.cluster {
        cluster.encode(&mut out);
    }
    let limiter = &sources.rate_limiter;
    for action in Action::ALL {
        out.sample(
            "dianabot_intake_rate_limited_total",
            "counter",
            "Updates refused for being over their user's rate limit (RATE_LIMITS), by action.",
            &format!("{{action=\"{}\"}}", action.as_str()),
            limiter.stats().limited(action) as f64,
        );
    }
    out.sample(
        "dianabot_intake_rate_limit_notices_total",
        "counter",
        "Slow-down notices sent (at most one per user, action and window).",
        "",
        limiter.stats().notices.load(std::sync::atomic::Ordering::Relaxed) as f64,
    );
    out.sample(
        "dianabot_intake_rate_limited_users",
        "gauge",
        "Users the rate limiter remembers (active within a window).",
        "",
        limiter.tracked_users() as f64,
    );
    out.finish()
}

/// RSS from `/proc/self/statm` (Linux); `None` elsewhere.
fn resident_memory_bytes() -> Option<f64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: f64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // 4 KiB pages on every platform this runs on; statm has no unit.
    Some(pages * 4096.0)
}
