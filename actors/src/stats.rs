use std::sync::atomic::{AtomicU64, Ordering};

/// Actor lifecycle counters, shared by all shards.
#[derive(Debug, Default)]
pub struct ActorStats {
    pub live: AtomicU64,
    pub activated: AtomicU64,
    pub passivated: AtomicU64,
    pub restarted: AtomicU64,
    pub messages: AtomicU64,
}

impl ActorStats {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}
