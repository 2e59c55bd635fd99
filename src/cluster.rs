//! Clustering's wiring (phase 1, `REDIS_URL`): the lease manager's [`Host`]
//! over the store and the actors, and `dianabot cluster status`.
//!
//! What phase 1 does: shards are leased, fenced and served only by their
//! owner; an update for a user of another node's shard is refused
//! (`DispatchError::NotOwned`: unacknowledged, webhook 503, Telegram
//! delivers it again — maybe to the right node). Server-wide work (timers
//! of no user, broadcasts) is done by the node serving
//! [`SINGLETON_SHARD`](dianabot_plumbing::shards::SINGLETON_SHARD). Not yet:
//! forwarding to the owner through per-shard Redis Streams, claiming a dead
//! owner's stream entries, sagas and auction/stock/post actors placed by
//! shard across nodes (phase 2).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write;
use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use dianabot_actors::Router;
use dianabot_cluster::{ClusterConfig, Host, HostError, Leases};
use dianabot_persistence::{Flusher, Store};
use dianabot_plumbing::unix_now;

/// The store and actors of this node, as the lease manager needs them.
pub(crate) struct NodeHost {
    pub store: Store,
    pub router: Router,
    pub flusher: Flusher,
    pub node: String,
}

impl Host for NodeHost {
    fn recorded_epochs(&self) -> impl Future<Output = Result<HashMap<u32, i64>, HostError>> + Send {
        let store = self.store.clone();
        async move {
            let epochs = store.shard_epochs().await?;
            Ok(epochs.into_iter().filter_map(|row| Some((u32::try_from(row.shard).ok()?, row.epoch))).collect())
        }
    }

    fn record_epoch(&self, shard: u32, token: i64) -> impl Future<Output = Result<bool, HostError>> + Send {
        let (store, node) = (self.store.clone(), self.node.clone());
        async move { Ok(store.record_epoch(shard, token, &node, unix_now()).await?) }
    }

    fn stop_serving(&self, shards: Vec<u32>) -> impl Future<Output = ()> + Send {
        let (router, flusher) = (self.router.clone(), self.flusher.clone());
        async move {
            router.evict(Arc::new(shards.into_iter().collect::<HashSet<u32>>())).await;
            // Committed or fenced: either way the next owner loads what is durable.
            let _ = flusher.flushed().await;
        }
    }
}

/// `dianabot cluster status`: the live nodes and the shard map, from Redis
/// and the store's `shard_epochs`.
pub async fn status(config: &ClusterConfig, database_url: &str, every_shard: bool) -> anyhow::Result<String> {
    let leases = Leases::connect(&config.redis_url, &config.prefix, "status", config.lease)
        .await
        .with_context(|| format!("connecting to Redis at {}", config.redis_url))?;
    let nodes = leases.live_nodes().await.context("reading the live nodes")?;
    let map = leases.shard_map(config.shards).await.context("reading the shard leases")?;
    let store = Store::open(database_url).await.context("opening the store")?;
    let epochs = store.shard_epochs().await;
    store.close().await;
    let epochs: HashMap<i64, (i64, String)> =
        epochs?.into_iter().map(|row| (row.shard, (row.epoch, row.node))).collect();

    let mut out = String::new();
    let _ =
        writeln!(out, "cluster {:?}: {} shards, lease {} ms", config.prefix, config.shards, config.lease.as_millis());
    let mut owned: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for (shard, (holder, _)) in map.iter().enumerate() {
        owned.entry(holder.as_deref().unwrap_or("(free)")).or_default().push(shard as u32);
    }
    let _ = writeln!(out, "live nodes: {}", nodes.len());
    for (node, _) in &nodes {
        let shards = owned.get(node.as_str()).map_or(&[][..], Vec::as_slice);
        let _ = writeln!(out, "  {node:<24} {:>4} shards  {}", shards.len(), ranges(shards));
    }
    for (holder, shards) in &owned {
        if !nodes.iter().any(|(node, _)| node == holder) {
            let _ = writeln!(out, "  {holder:<24} {:>4} shards  {}", shards.len(), ranges(shards));
        }
    }
    // A lease whose Redis token differs from the recorded epoch is being
    // taken over (or Redis lost its counters): worth a look.
    let mut unsettled = 0;
    for (shard, (holder, token)) in map.iter().enumerate() {
        let recorded = epochs.get(&(shard as i64));
        let settled =
            holder.is_some() && recorded.is_some_and(|(epoch, node)| epoch == token && Some(node) == holder.as_ref());
        unsettled += usize::from(!settled);
        if every_shard || (!settled && holder.is_some()) {
            let (epoch, node) = recorded.map_or((0, "-"), |(epoch, node)| (*epoch, node.as_str()));
            let holder = holder.as_deref().unwrap_or("(free)");
            let _ =
                writeln!(out, "  shard {shard:>4}  lease {holder:<24} token {token:>6}  recorded {epoch:>6} by {node}");
        }
    }
    let _ = writeln!(out, "shards not served under their recorded epoch: {unsettled}");
    Ok(out)
}

/// `0-41 43 45-50`.
fn ranges(shards: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < shards.len() {
        let start = shards[i];
        while i + 1 < shards.len() && shards[i + 1] == shards[i] + 1 {
            i += 1;
        }
        let sep = if out.is_empty() { "" } else { " " };
        let _ = match shards[i] {
            end if end == start => write!(out, "{sep}{start}"),
            end => write!(out, "{sep}{start}-{end}"),
        };
        i += 1;
    }
    out
}
