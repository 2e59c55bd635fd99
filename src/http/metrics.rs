//! `GET /metrics`: Prometheus text exposition of the server's counters.
//!
//! Written by hand: the counters already live in atomics next to the code
//! that bumps them (`ActorStats`, `FlushStats`, `OutboundStats`,
//! `IntakeStats`), so all this needs is formatting, not a metrics library.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use dianabot_actors::Router;
use dianabot_persistence::Flusher;

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
}

struct Exposition(String);

impl Exposition {
    /// Samples are `(labels, value)`, labels in Prometheus form (`{a="b"}`) or empty.
    fn metric<L: AsRef<str>>(&mut self, name: &str, kind: &str, help: &str, samples: &[(L, f64)]) {
        let _ = writeln!(self.0, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(self.0, "{name}{} {value}", labels.as_ref());
        }
    }

    /// A metric whose sample lines are already formatted (histograms).
    fn raw(&mut self, name: &str, kind: &str, help: &str, lines: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}\n# TYPE {name} {kind}");
        self.0.push_str(lines);
    }

    fn counter(&mut self, name: &str, help: &str, value: &AtomicU64) {
        self.metric(name, "counter", help, &[("", load(value))]);
    }

    fn gauge(&mut self, name: &str, help: &str, value: f64) {
        self.metric(name, "gauge", help, &[("", value)]);
    }
}

fn load(value: &AtomicU64) -> f64 {
    value.load(Ordering::Relaxed) as f64
}

pub fn render(sources: &Sources) -> String {
    let mut out = Exposition(String::new());
    let actors = sources.router.stats();
    out.gauge("dianabot_actors_live", "User actors resident in memory.", load(&actors.live));
    out.counter("dianabot_actors_activated_total", "User actors activated.", &actors.activated);
    out.counter("dianabot_actors_passivated_total", "User actors passivated when idle.", &actors.passivated);
    out.counter("dianabot_actors_restarted_total", "User actor restarts after a crash.", &actors.restarted);
    out.counter("dianabot_actor_messages_total", "Messages handled by user actors.", &actors.messages);
    let shards: Vec<(String, f64)> = (0..sources.router.shards())
        .map(|shard| (format!("{{shard=\"{shard}\"}}"), sources.router.in_flight(shard) as f64))
        .collect();
    out.metric(
        "dianabot_shard_in_flight",
        "gauge",
        "Updates accepted by a shard and not yet durable (the backpressure budget in use).",
        &shards,
    );

    let mut handling = String::new();
    for entry in actors.handling.iter() {
        let (command, histogram) = (entry.key(), entry.value());
        for (bound, count) in histogram.cumulative() {
            let le = if bound.is_infinite() { "+Inf".to_owned() } else { bound.to_string() };
            let _ = writeln!(
                handling,
                "dianabot_actor_handling_seconds_bucket{{command=\"{command}\",le=\"{le}\"}} {count}"
            );
        }
        let _ = writeln!(
            handling,
            "dianabot_actor_handling_seconds_sum{{command=\"{command}\"}} {}",
            histogram.sum_seconds()
        );
        let _ =
            writeln!(handling, "dianabot_actor_handling_seconds_count{{command=\"{command}\"}} {}", histogram.count());
    }
    out.raw(
        "dianabot_actor_handling_seconds",
        "histogram",
        "Time a user actor spends on one message, by command (decide, apply, hand over the write, render).",
        &handling,
    );

    let flush = sources.flusher.stats();
    out.gauge("dianabot_flush_dirty_users", "Users with changes waiting for the next batch.", load(&flush.dirty_users));
    out.counter("dianabot_flush_batches_total", "Committed write batches.", &flush.batches);
    out.counter("dianabot_flush_users_written_total", "User rows written (after coalescing).", &flush.users_written);
    out.counter("dianabot_flush_ledger_rows_total", "Ledger rows written.", &flush.ledger_rows_written);
    out.counter("dianabot_flush_acks_total", "Acknowledgements completed by commits.", &flush.acks_completed);
    out.counter(
        "dianabot_flush_failed_commits_total",
        "Batch commits that failed and were retried.",
        &flush.failed_commits,
    );
    out.gauge("dianabot_flush_last_batch_users", "Users in the last committed batch.", load(&flush.last_batch_users));
    out.gauge(
        "dianabot_flush_last_commit_seconds",
        "Duration of the last batch commit.",
        load(&flush.last_commit_micros) / 1e6,
    );
    out.gauge(
        "dianabot_flush_lag_seconds",
        "Age of the oldest write of the last batch when it committed (durability lag).",
        load(&flush.last_lag_micros) / 1e6,
    );

    let ledger: Vec<(String, f64)> = flush
        .ledger_totals
        .iter()
        .map(|entry| {
            let (reason, incoming) = *entry.key();
            let direction = if incoming { "in" } else { "out" };
            (format!("{{reason=\"{reason}\",direction=\"{direction}\"}}"), entry.value().load(Ordering::Relaxed) as f64)
        })
        .collect();
    out.metric(
        "dianabot_ledger_besitos_total",
        "counter",
        "Committed besitos by ledger reason; direction in = credited to players (faucets), out = debited (sinks).",
        &ledger,
    );

    let outbound = sources.outbound.stats();
    out.gauge("dianabot_telegram_outbound_queue", "Bot requests queued or in flight.", load(&outbound.queued));
    out.counter("dianabot_telegram_requests_total", "Bot API requests delivered.", &outbound.sent);
    out.counter("dianabot_telegram_errors_total", "Bot API requests given up on.", &outbound.failed);
    out.counter("dianabot_telegram_429_total", "Flood-control answers (429) received.", &outbound.retry_after_429s);
    out.counter(
        "dianabot_telegram_coalesced_edits_total",
        "Edits superseded before sending.",
        &outbound.coalesced_edits,
    );
    out.metric(
        "dianabot_telegram_outbound_dropped_total",
        "counter",
        "Bot requests dropped unsent: to keep a chat's or the overall queue within its bound, or as a repeat of \
         the message queued last in the chat.",
        &[
            ("{reason=\"chat_bound\"}", load(&outbound.dropped_chat_bound)),
            ("{reason=\"total_bound\"}", load(&outbound.dropped_total_bound)),
            ("{reason=\"repeat\"}", load(&outbound.coalesced_repeats)),
        ],
    );
    out.gauge(
        "dianabot_telegram_outbound_wait_seconds_max",
        "Longest scheduler wait.",
        outbound.max_wait().as_secs_f64(),
    );
    out.gauge(
        "dianabot_telegram_outbound_wait_seconds_mean",
        "Mean scheduler wait.",
        outbound.mean_wait().as_secs_f64(),
    );

    if let Some(bytes) = resident_memory_bytes() {
        out.gauge("dianabot_process_resident_memory_bytes", "Resident memory of the server process.", bytes);
    }

    let intake = &sources.intake;
    out.metric(
        "dianabot_intake_updates_total",
        "counter",
        "Updates received, by what became of them.",
        &[
            ("{outcome=\"durable\"}", load(&intake.durable)),
            ("{outcome=\"viewed\"}", load(&intake.viewed)),
            ("{outcome=\"ignored\"}", load(&intake.ignored)),
            ("{outcome=\"dead_lettered\"}", load(&intake.dead_lettered)),
            ("{outcome=\"not_durable\"}", load(&intake.not_durable)),
            ("{outcome=\"limited\"}", load(&intake.limited)),
        ],
    );
    let limiter = &sources.rate_limiter;
    let limited: Vec<(String, f64)> = Action::ALL
        .into_iter()
        .map(|action| (format!("{{action=\"{}\"}}", action.as_str()), limiter.stats().limited(action) as f64))
        .collect();
    out.metric(
        "dianabot_intake_rate_limited_total",
        "counter",
        "Updates refused for being over their user's rate limit (RATE_LIMITS), by action.",
        &limited,
    );
    out.counter(
        "dianabot_intake_rate_limit_notices_total",
        "Slow-down notices sent (at most one per user, action and window).",
        &limiter.stats().notices,
    );
    out.gauge(
        "dianabot_intake_rate_limited_users",
        "Users the rate limiter remembers (active within a window).",
        limiter.tracked_users() as f64,
    );
    out.0
}

/// RSS from `/proc/self/statm` (Linux); `None` elsewhere.
fn resident_memory_bytes() -> Option<f64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: f64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // 4 KiB pages on every platform this runs on; statm has no unit.
    Some(pages * 4096.0)
}
