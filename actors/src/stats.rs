use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use dashmap::DashMap;

dianabot_plumbing::metrics! {
    /// Actor lifecycle counters and handling times, shared by all shards.
    pub struct ActorStats {
        /// User actors resident in memory.
        gauge live => "dianabot_actors_live",
        /// User actors activated.
        counter activated => "dianabot_actors_activated_total",
        /// User actors passivated when idle.
        counter passivated => "dianabot_actors_passivated_total",
        /// User actor restarts after a crash.
        counter restarted => "dianabot_actors_restarted_total",
        /// Messages handled by user actors.
        counter messages => "dianabot_actor_messages_total",
    }
    also {
        /// Time a user actor spends on one message, by command kind (`view` for
        /// reads): decide, apply, hand the write over, render the reply.
        /// Exposed as `dianabot_actor_handling_seconds`.
        pub handling: DashMap<&'static str, Histogram>,
    }
}

impl ActorStats {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn handled(&self, kind: &'static str, took: Duration) {
        self.handling.entry(kind).or_default().record(took);
    }
}

/// A fixed-bucket latency histogram with atomic counters, in the shape
/// Prometheus exposes (cumulative buckets, sum, count).
#[derive(Debug, Default)]
pub struct Histogram {
    /// Non-cumulative counts per bucket of [`Histogram::BOUNDS`], then +Inf.
    buckets: [AtomicU64; 17],
    sum_nanos: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    /// Upper bounds of the buckets, in seconds: fine below 10 ms, where
    /// handling normally is, and up to 10 s so that a slow operation's p95
    /// is measured against the alert threshold (2 s by default, a bound).
    pub const BOUNDS: [f64; 16] = [
        0.000_005, 0.000_01, 0.000_05, 0.000_1, 0.000_5, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0,
    ];

    pub fn record(&self, took: Duration) {
        let seconds = took.as_secs_f64();
        let bucket = Self::BOUNDS.iter().position(|&bound| seconds <= bound).unwrap_or(Self::BOUNDS.len());
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum_nanos.fetch_add(took.as_nanos() as u64, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    /// `(upper bound, cumulative count)` per bucket, `f64::INFINITY` last.
    pub fn cumulative(&self) -> Vec<(f64, u64)> {
        let bounds = Self::BOUNDS.iter().copied().chain([f64::INFINITY]);
        let mut total = 0;
        bounds
            .zip(&self.buckets)
            .map(|(bound, count)| {
                total += count.load(Ordering::Relaxed);
                (bound, total)
            })
            .collect()
    }

    pub fn sum_seconds(&self) -> f64 {
        self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}
