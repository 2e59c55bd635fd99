//! Scale-out: virtual shards leased to nodes in Redis, fenced in the
//! store, and a bus that carries calls to a shard's owner
//! (`dianabot-cluster`).
//!
//! With `REDIS_URL` set, a node joins a cluster: the users are split into a
//! fixed number of virtual shards (`CLUSTER_SHARDS`; a user's shard is
//! [`dianabot_plumbing::shards::virtual_shard`]); each shard is leased to
//! one node with a TTL, and every acquisition gets a fencing token (a
//! per-shard counter incremented in the same Lua script, never below the
//! epoch the store recorded). A node serves a shard only after recording
//! its token in the store's `shard_epochs`, and the flusher commits a
//! batch only if every shard it touches still carries this node's token,
//! in the same transaction. So a node paused past its lease commits
//! nothing once another node took the shard over.
//!
//! Fair share: each node takes at most `ceil(shards / live nodes)`; a node
//! above it hands back its surplus after the shards' writes are flushed,
//! and a draining node hands back everything.
//!
//! [`Bus`]: calls to whichever node owns a shard, through one Redis Stream
//! per shard; answered only once the owner's handler is done, and claimed
//! by the next owner when one dies with a call pending (see `bus.rs`).
//!
//! [`ChangeNotices`]: an operator's change made durable on one node (flag
//! overrides, role grants, a content reload) is announced on Redis, and
//! every other node reads it again (see `changes.rs`).
//!
//! **Architecture Invariant:** no commit without the current token for
//! every shard it touches. Knows nothing of the game, the store or the
//! actors: it reaches them through [`Host`].

mod bus;
mod changes;
mod leases;
mod manager;

pub use bus::{Bus, BusConfig, BusError, Call, HandlerResult};
pub use changes::{Change, ChangeNotices};
pub use leases::{Leases, RedisError};
pub use manager::{Cluster, ClusterConfig, ClusterStats, Host, HostError, Readiness};
