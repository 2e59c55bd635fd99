use std::time::Duration;

#[derive(Debug, Clone)]
pub struct ActorConfig {
    /// Number of shards; each has its own supervisor and thread.
    pub shards: usize,
    /// In-flight updates (received, not yet durable) one shard accepts
    /// before intake waits: the backpressure bound.
    pub max_in_flight_per_shard: usize,
    /// An actor idle this long is passivated (state dropped from memory).
    pub idle_timeout: Duration,
    /// Crashes tolerated per user within `restart_window` before the user
    /// is quarantined.
    pub max_restarts: u32,
    pub restart_window: Duration,
    /// How long a quarantined user's updates are refused.
    pub quarantine: Duration,
}

impl Default for ActorConfig {
    fn default() -> ActorConfig {
        ActorConfig {
            shards: std::thread::available_parallelism().map_or(2, |n| n.get()),
            max_in_flight_per_shard: 20_000,
            idle_timeout: Duration::from_secs(600),
            max_restarts: 3,
            restart_window: Duration::from_secs(60),
            quarantine: Duration::from_secs(60),
        }
    }
}
