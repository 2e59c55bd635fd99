use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use dianabot_plumbing::Clock;
use dianabot_plumbing::shards::Ownership;

use crate::message::Envelope;

/// A hook a user actor calls at each [`FaultPoint`] of handling an
/// envelope, so tests can make it panic at a chosen update and step.
/// `None` in production.
#[derive(Clone)]
pub struct FaultInjector(pub Arc<FaultHook>);

/// The function a [`FaultInjector`] calls; it panics to inject a fault.
pub type FaultHook = dyn Fn(FaultPoint, &Envelope) + Send + Sync;

/// Where in handling an envelope a fault can be injected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultPoint {
    /// Before the command is decided: nothing has happened yet.
    BeforeDecide,
    /// After the first of several events was applied to the state in
    /// memory: the state is half-changed.
    MidApply,
}

/// A step of the stock keeper a test can make fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockStep {
    Reserve,
    Sell,
    Release,
}

/// Where a step fails: before its write (nothing changed) or after it
/// (changed and durable, but the answer is lost).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockFaultPoint {
    BeforeWrite,
    AfterWrite,
}

/// Tests make keeper steps fail through this hook: it returns true for the
/// step that must fail. `None` in production.
pub type StockFaultHook = dyn Fn(StockStep, StockFaultPoint, i64) -> bool + Send + Sync;

/// Makes stock keeper steps fail in tests (see [`StockFaultHook`]).
#[derive(Clone)]
pub struct StockFaultInjector(pub Arc<StockFaultHook>);

impl fmt::Debug for StockFaultInjector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StockFaultInjector")
    }
}

impl fmt::Debug for FaultInjector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FaultInjector")
    }
}

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
    pub fault_injector: Option<FaultInjector>,
    pub stock_fault_injector: Option<StockFaultInjector>,
    /// The game clock decisions read (adjustable in tests and with the
    /// emulator; the wall clock otherwise).
    pub clock: Clock,
    // cluster
    /// Clustering on (`REDIS_URL`): the virtual shards this node serves.
    /// The router refuses updates of users of any other shard
    /// ([`crate::DispatchError::NotOwned`]) and the timer service leaves
    /// their timers to their owner. `None`: one node serves everyone.
    pub ownership: Option<Arc<Ownership>>,
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
            fault_injector: None,
            stock_fault_injector: None,
            clock: Clock::system(),
            ownership: None,
        }
    }
}
