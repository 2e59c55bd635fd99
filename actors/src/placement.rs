//! Actors that are not players, placed by shard (clustering, `REDIS_URL`).
//!
//! A stock keeper or an auction actor must exist once in the whole
//! cluster, or two nodes decide against two views of the same stock or
//! auction. So each lives on the node serving its shard: a stock keeper on
//! the shard of its item's name ([`Ownership::shard_of_name`]), an auction
//! actor on the shard of its id ([`Ownership::shard_of`], as a user's). A
//! request on another node goes there through a remote (the binary's bus),
//! and the actor writes through fenced by the token it was started under,
//! so a node that lost the shard commits nothing more for it.

use std::sync::Arc;

use dianabot_plumbing::shards::Ownership;

/// Where placed actors live and how to reach the others: `R` is the
/// remote for one family of requests (stock, auctions).
pub(crate) struct Placed<R: ?Sized> {
    pub ownership: Arc<Ownership>,
    pub remote: Arc<R>,
}

impl<R: ?Sized> Placed<R> {
    /// `shard` when another node serves it; `None` when this one does.
    pub fn elsewhere(&self, shard: u32) -> Option<u32> {
        (!self.ownership.owns(shard)).then_some(shard)
    }

    /// The fence of an actor started here now on `shard`; `None` when this
    /// node does not serve it.
    pub fn fence(&self, shard: u32) -> Option<Fence> {
        let token = self.ownership.token(shard);
        (token != 0).then(|| Fence { ownership: self.ownership.clone(), shard, token })
    }
}

/// The shard a placed actor lives on and the token this node served it
/// under when the actor started: every write-through carries it.
#[derive(Debug, Clone)]
pub(crate) struct Fence {
    ownership: Arc<Ownership>,
    shard: u32,
    token: i64,
}

impl Fence {
    /// The claim a store write checks.
    pub fn claim(&self) -> (u32, i64) {
        (self.shard, self.token)
    }

    /// Whether this node still serves the shard under the actor's token
    /// (if not, the actor's state may be stale: another owner may have
    /// changed the rows since).
    pub fn current(&self) -> bool {
        self.ownership.token(self.shard) == self.token
    }

    /// The store refused a write under this fence: stop serving the shard.
    pub fn fenced(&self) {
        tracing::warn!(shard = self.shard, token = self.token, "placed actor's write fenced; giving up the shard");
        self.ownership.fenced(self.shard, self.token);
    }
}
