//! The lease manager: one task per node that keeps its heartbeat, renews
//! its leases every third of a lease, gives up what it lost, hands over
//! what is above its fair share and takes free shards up to it.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use dianabot_plumbing::shards::Ownership;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::leases::{Leases, RedisError};

/// A failure of the host (the store) the manager reports and retries.
pub type HostError = Box<dyn std::error::Error + Send + Sync>;

/// What the manager needs from the node it runs in: the store's epochs
/// and the actors. The binary implements it over `Store` and `Router`.
pub trait Host: Send + Sync + 'static {
    /// The epoch the store recorded for each shard that has one.
    fn recorded_epochs(&self) -> impl Future<Output = Result<HashMap<u32, i64>, HostError>> + Send;
    /// Records `token` as `shard`'s epoch, held by this node; `false` if
    /// an equal or newer one is recorded (the race is lost).
    fn record_epoch(&self, shard: u32, token: i64) -> impl Future<Output = Result<bool, HostError>> + Send;
    /// This node no longer serves `shards` (cleared in the `Ownership`
    /// already): passivate their actors without writing, and return once
    /// every write submitted for them is committed or fenced.
    fn stop_serving(&self, shards: Vec<u32>) -> impl Future<Output = ()> + Send;
    // cluster-bus
    /// This node now serves `shards` (set in the `Ownership` already): the
    /// place to finish what their former owner left half-done. Must not
    /// wait for that work (the manager's next renewal waits for it).
    fn started_serving(&self, shards: Vec<u32>) -> impl Future<Output = ()> + Send {
        let _ = shards;
        async {}
    }
}

/// Settings (`REDIS_URL`, `CLUSTER_SHARDS`, `CLUSTER_LEASE_MS`,
/// `CLUSTER_NODE_ID`; see the binary's `config.rs`).
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    pub redis_url: String,
    pub shards: u32,
    pub lease: Duration,
    pub node: String,
    /// Prefix of every Redis key: `dianabot`; tests use one each.
    pub prefix: String,
}

impl ClusterConfig {
    pub const DEFAULT_SHARDS: u32 = 256;
    /// A dead node's shards are served again within 1⅓ leases: 4 s.
    pub const DEFAULT_LEASE: Duration = Duration::from_secs(3);
    pub const DEFAULT_PREFIX: &str = "dianabot";
}

dianabot_plumbing::metrics! {
    /// The node's part of the cluster, kept by its lease manager.
    pub struct ClusterStats {
        /// Virtual shards this node serves.
        gauge shards_owned => "dianabot_cluster_shards_owned",
        /// Nodes with a live heartbeat, as last seen.
        gauge live_nodes => "dianabot_cluster_live_nodes",
        /// 1 while the last exchange with Redis succeeded.
        gauge redis_up => "dianabot_cluster_redis_up",
        /// Shard leases acquired (and recorded in the store).
        counter acquisitions => "dianabot_cluster_lease_acquisitions_total",
        /// Shard leases renewed.
        counter renewals => "dianabot_cluster_lease_renewals_total",
        /// Shard leases lost: not renewed in time, or fenced by a newer owner.
        counter losses => "dianabot_cluster_lease_losses_total",
        /// Shards whose writes the store fenced (a newer owner recorded its token).
        counter fenced => "dianabot_cluster_fenced_shards_total",
        /// Shards handed back: above the fair share, or draining.
        counter handovers => "dianabot_cluster_lease_handovers_total",
        /// Leases acquired whose recording lost to an equal or newer epoch.
        counter races_lost => "dianabot_cluster_lease_races_lost_total",
        /// Failed exchanges with Redis.
        counter redis_errors => "dianabot_cluster_redis_errors_total",
        // cluster-bus
        /// Calls to a shard's owner through the bus, by outcome.
        counter bus_calls_answered => "dianabot_cluster_bus_calls_total" { outcome = "answered" },
        /// Calls to a shard's owner through the bus, by outcome.
        counter bus_calls_timed_out => "dianabot_cluster_bus_calls_total" { outcome = "timeout" },
        /// Calls to a shard's owner through the bus, by outcome.
        counter bus_calls_failed => "dianabot_cluster_bus_calls_total" { outcome = "failed" },
        /// Calls from the bus handled here (as the shard's owner).
        counter bus_served => "dianabot_cluster_bus_served_total",
        /// Calls a former owner left pending, claimed here on acquiring their shard.
        counter bus_claimed => "dianabot_cluster_bus_claimed_total",
        /// Calls waiting in the streams of the shards served here (unread or being handled).
        gauge bus_lag => "dianabot_cluster_bus_lag_entries",
        /// Telegram updates forwarded to their shard's owner, by direction.
        counter forwarded_out => "dianabot_cluster_forwarded_updates_total" { direction = "out" },
        /// Telegram updates forwarded to their shard's owner, by direction.
        counter forwarded_in => "dianabot_cluster_forwarded_updates_total" { direction = "in" },
        /// Forwarded updates left unacknowledged: the owner did not answer in time.
        counter forward_timeouts => "dianabot_cluster_forward_failures_total" { reason = "timeout" },
        /// Forwarded updates left unacknowledged: the owner failed, or Redis did.
        counter forward_failures => "dianabot_cluster_forward_failures_total" { reason = "failed" },
        // cluster-placed
        /// Calls to stock keepers and auction actors placed on another node's shard, by direction.
        counter placed_out => "dianabot_cluster_placed_calls_total" { direction = "out" },
        /// Calls to stock keepers and auction actors placed on another node's shard, by direction.
        counter placed_in => "dianabot_cluster_placed_calls_total" { direction = "in" },
        /// Calls to placed actors left unanswered (timeout, owner or Redis failed): retried.
        counter placed_failures => "dianabot_cluster_placed_call_failures_total",
        // cluster-changes
        /// Operators' change notices (flags, roles, content), by direction.
        counter changes_sent => "dianabot_cluster_change_notices_total" { direction = "out" },
        /// Operators' change notices (flags, roles, content), by direction.
        counter changes_received => "dianabot_cluster_change_notices_total" { direction = "in" },
        /// Re-reads of operators' changes that failed (the next notice or re-read tries again).
        counter change_rereads_failed => "dianabot_cluster_change_rereads_failed_total",
    }
}

/// A running node's membership. [`Cluster::leave`] hands everything back.
pub struct Cluster {
    ownership: Arc<Ownership>,
    stats: Arc<ClusterStats>,
    stop: watch::Sender<bool>,
    rounds: watch::Receiver<u64>,
    task: JoinHandle<()>,
}

/// Whether the node may take traffic (`/readyz`). Cheap to clone.
#[derive(Clone)]
pub struct Readiness {
    ownership: Arc<Ownership>,
    stats: Arc<ClusterStats>,
}

impl Readiness {
    /// Why the node is not ready, if it is not: Redis does not answer, or
    /// the node serves no shard.
    pub fn unready(&self) -> Option<&'static str> {
        if self.stats.redis_up.load(Ordering::Relaxed) != 1 {
            Some("cannot reach Redis")
        } else if self.ownership.owned() == 0 {
            Some("serves no shard")
        } else {
            None
        }
    }
}

impl Cluster {
    /// Connects to Redis (an error if it cannot) and starts the manager,
    /// which publishes what this node serves in `ownership`.
    pub async fn start<H: Host>(
        config: ClusterConfig,
        ownership: Arc<Ownership>,
        host: H,
    ) -> Result<Cluster, RedisError> {
        let leases = Leases::connect(&config.redis_url, &config.prefix, &config.node, config.lease).await?;
        let stats = Arc::new(ClusterStats::default());
        let (stop, stopped) = watch::channel(false);
        let (round, rounds) = watch::channel(0);
        let manager = Manager {
            round,
            leases,
            host,
            ownership: ownership.clone(),
            stats: stats.clone(),
            shards: config.shards.max(1),
            lease: config.lease,
            held: BTreeMap::new(),
        };
        let task = tokio::spawn(manager.run(stopped));
        Ok(Cluster { ownership, stats, stop, rounds, task })
    }

    pub fn ownership(&self) -> &Arc<Ownership> {
        &self.ownership
    }

    pub fn stats(&self) -> &Arc<ClusterStats> {
        &self.stats
    }

    pub fn readiness(&self) -> Readiness {
        Readiness { ownership: self.ownership.clone(), stats: self.stats.clone() }
    }

    /// Waits until the manager finished `rounds` rounds (a round: heartbeat,
    /// renewals, hand-overs, acquisitions) since it started.
    pub async fn rounds(&self, rounds: u64) {
        let mut seen = self.rounds.clone();
        let _ = seen.wait_for(|done| *done >= rounds).await;
    }

    /// Stops the manager as if the process died (tests): nothing is handed
    /// back, the leases and the heartbeat expire on their own.
    pub fn abandon(self) {
        self.task.abort();
    }

    /// Graceful drain: stops serving every shard, waits until their writes
    /// are committed, hands the leases back and leaves the live set, so
    /// the other nodes take the shards at their next tick.
    pub async fn leave(self) {
        let _ = self.stop.send(true);
        if let Err(err) = self.task.await {
            tracing::error!(error = %err, "the cluster manager failed");
        }
    }
}

struct Manager<H> {
    round: watch::Sender<u64>,
    leases: Leases,
    host: H,
    ownership: Arc<Ownership>,
    stats: Arc<ClusterStats>,
    shards: u32,
    lease: Duration,
    /// Shards held: the token and until when the lease is surely ours
    /// (the start of the last successful renewal plus a lease).
    held: BTreeMap<u32, (i64, Instant)>,
}

enum Why {
    Lost,
    Fenced,
    HandedOver,
}

impl<H: Host> Manager<H> {
    async fn run(mut self, mut stop: watch::Receiver<bool>) {
        loop {
            self.tick().await;
            self.round.send_modify(|round| *round += 1);
            tokio::select! {
                () = tokio::time::sleep(self.lease / 3) => {}
                () = self.ownership.fenced_notice() => {}
                _ = stop.changed() => break,
            }
        }
        let all: Vec<u32> = self.held.keys().copied().collect();
        self.give_up(all, Why::HandedOver).await;
        if let Err(err) = self.leases.leave().await {
            tracing::warn!(error = %err, "could not leave the cluster's live set; it expires with the heartbeat");
        }
        tracing::info!(node = self.leases.node(), "left the cluster");
    }

    async fn tick(&mut self) {
        let started = Instant::now();
        let live = match self.leases.heartbeat().await {
            Ok(nodes) => nodes.len().max(1) as u32,
            Err(err) => return self.redis_failed(err).await,
        };
        self.stats.redis_up.store(1, Ordering::Relaxed);
        self.stats.live_nodes.store(u64::from(live), Ordering::Relaxed);

        // Writes the store fenced: a newer owner took the shard.
        let fenced: Vec<u32> = self
            .held
            .iter()
            .filter(|(shard, (token, _))| self.ownership.token(**shard) != *token)
            .map(|(s, _)| *s)
            .collect();
        self.give_up(fenced, Why::Fenced).await;

        let held: Vec<u32> = self.held.keys().copied().collect();
        let renewed = match self.leases.renew(&held).await {
            Ok(renewed) => renewed,
            Err(err) => return self.redis_failed(err).await,
        };
        let mut lost = Vec::new();
        for (shard, renewed) in held.into_iter().zip(renewed) {
            match self.held.get_mut(&shard) {
                Some((_, valid_until)) if renewed => {
                    *valid_until = started + self.lease;
                    self.stats.renewals.fetch_add(1, Ordering::Relaxed);
                }
                _ => lost.push(shard),
            }
        }
        self.give_up(lost, Why::Lost).await;

        let share = self.shards.div_ceil(live) as usize;
        if self.held.len() > share {
            // Fair share: the highest-numbered surplus goes back.
            let surplus: Vec<u32> = self.held.keys().rev().take(self.held.len() - share).copied().collect();
            self.give_up(surplus, Why::HandedOver).await;
        } else if self.held.len() < share {
            self.take(share - self.held.len(), started).await;
        }
        self.stats.shards_owned.store(self.held.len() as u64, Ordering::Relaxed);
    }

    /// Redis did not answer: keep serving what is surely still leased,
    /// give up the rest (another node may take it once its lease passes).
    async fn redis_failed(&mut self, err: RedisError) {
        self.stats.redis_up.store(0, Ordering::Relaxed);
        self.stats.redis_errors.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(error = %err, "Redis did not answer the lease manager");
        if let Err(err) = self.leases.reconnect().await {
            tracing::warn!(error = %err, "cannot reconnect to Redis");
        }
        let now = Instant::now();
        let expired: Vec<u32> = self.held.iter().filter(|(_, (_, until))| *until <= now).map(|(s, _)| *s).collect();
        self.give_up(expired, Why::Lost).await;
        self.stats.shards_owned.store(self.held.len() as u64, Ordering::Relaxed);
    }

    /// Stops serving `shards`, waits until their writes are committed or
    /// fenced, then hands back their leases (those still this node's). A
    /// hand-over drains first: the updates being handled finish here (for
    /// half a lease at most: the leases were renewed this tick), so none is
    /// cut between its saga and its reply.
    async fn give_up(&mut self, shards: Vec<u32>, why: Why) {
        if shards.is_empty() {
            return;
        }
        if matches!(why, Why::HandedOver) {
            for shard in &shards {
                self.ownership.drain(*shard);
            }
            if tokio::time::timeout(self.lease / 2, self.ownership.drained(&shards)).await.is_err() {
                tracing::warn!(node = self.leases.node(), "updates still in flight on shards handed over");
            }
        }
        for shard in &shards {
            self.ownership.stop(*shard);
            self.held.remove(shard);
        }
        let counter = match why {
            Why::Lost => &self.stats.losses,
            Why::Fenced => &self.stats.fenced,
            Why::HandedOver => &self.stats.handovers,
        };
        counter.fetch_add(shards.len() as u64, Ordering::Relaxed);
        tracing::info!(node = self.leases.node(), shards = ?shards, "no longer serving shards");
        self.host.stop_serving(shards.clone()).await;
        if let Err(err) = self.leases.release(&shards).await {
            tracing::warn!(error = %err, "could not hand leases back; they expire");
        }
        self.stats.shards_owned.store(self.held.len() as u64, Ordering::Relaxed);
    }

    /// Leases up to `wanted` free shards, recording each token in the
    /// store before serving it.
    async fn take(&mut self, wanted: usize, started: Instant) {
        let map = match self.leases.shard_map(self.shards).await {
            Ok(map) => map,
            Err(err) => return self.redis_failed(err).await,
        };
        // Start from a place of this node's own, so nodes starting together
        // try different shards first.
        let offset = fnv(self.leases.node()) % self.shards;
        let free: Vec<u32> = (0..self.shards)
            .map(|i| (i + offset) % self.shards)
            .filter(|shard| map[*shard as usize].0.is_none() && !self.held.contains_key(shard))
            .take(wanted)
            .collect();
        if free.is_empty() {
            return;
        }
        let floors = match self.host.recorded_epochs().await {
            Ok(floors) => floors,
            Err(err) => return tracing::warn!(error = %err, "cannot read the recorded epochs; taking no shard"),
        };
        let claims: Vec<(u32, i64)> =
            free.iter().map(|shard| (*shard, floors.get(shard).copied().unwrap_or(0))).collect();
        let tokens = match self.leases.acquire(&claims).await {
            Ok(tokens) => tokens,
            Err(err) => return self.redis_failed(err).await,
        };
        let mut refused = Vec::new();
        let mut served = Vec::new();
        for (shard, token) in free.into_iter().zip(tokens) {
            if token <= 0 {
                continue;
            }
            match self.host.record_epoch(shard, token).await {
                Ok(true) => {
                    self.ownership.serve(shard, token);
                    self.held.insert(shard, (token, started + self.lease));
                    served.push(shard);
                    self.stats.acquisitions.fetch_add(1, Ordering::Relaxed);
                }
                Ok(false) => {
                    self.stats.races_lost.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(shard, token, "a newer epoch is recorded; not serving the shard");
                    refused.push(shard);
                }
                Err(err) => {
                    tracing::warn!(shard, error = %err, "cannot record the shard's epoch; not serving it");
                    refused.push(shard);
                }
            }
        }
        if let Err(err) = self.leases.release(&refused).await {
            tracing::warn!(error = %err, "could not hand leases back; they expire");
        }
        if !served.is_empty() {
            self.host.started_serving(served).await;
        }
        tracing::debug!(node = self.leases.node(), owned = self.held.len(), "shards taken");
    }
}

fn fnv(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5_u32, |hash, byte| (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193))
}
