//! Virtual shards and which of them this node serves (clustering, `REDIS_URL`).
//!
//! Defined here, once, because three crates need the same answer: the
//! cluster crate leases shards and publishes its tokens, the router and the
//! timers serve only owned shards, and the flusher stamps each write with
//! its shard's token so the store can fence it. A user's shard is
//! [`virtual_shard`]: a fixed hash (not `std`'s hasher, whose output may
//! change between Rust releases) so every node of every build agrees.

use std::sync::atomic::{AtomicI64, Ordering};

use tokio::sync::Notify;

/// The virtual shard of user `user` among `shards` (splitmix64 of the id).
pub fn virtual_shard(user: i64, shards: u32) -> u32 {
    let mut x = user as u64;
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    (x % u64::from(shards.max(1))) as u32
}

/// The key by which an actor that is not a player (a stock keeper, an
/// auction, a post) is placed on a shard: FNV-1a of its name, fixed for
/// the same reason as [`virtual_shard`]. Its shard is `virtual_shard(key, n)`.
pub fn placement_key(name: &[u8]) -> i64 {
    let hash = name
        .iter()
        .fold(0xCBF2_9CE4_8422_2325_u64, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01B3));
    hash as i64
}

/// The shard whose owner runs the server-wide work (the daily ops job, the
/// weekly board reset, broadcasts, scheduled posts and every timer not owned
/// by a user): one node at a time, fenced like any shard.
pub const SINGLETON_SHARD: u32 = 0;

/// This node's fencing token for each virtual shard; 0 = not served here.
///
/// Written by the cluster's lease manager (a token is set only after it is
/// recorded in the store), cleared by it on loss or hand-over and by the
/// flusher when the store fenced a write ([`Ownership::fenced`]).
#[derive(Debug)]
pub struct Ownership {
    node: String,
    tokens: Box<[AtomicI64]>,
    /// Woken when the flusher clears a shard, so the manager gives it up at once.
    changed: Notify,
}

impl Ownership {
    pub fn new(node: impl Into<String>, shards: u32) -> Ownership {
        Ownership {
            node: node.into(),
            tokens: (0..shards.max(1)).map(|_| AtomicI64::new(0)).collect(),
            changed: Notify::new(),
        }
    }

    pub fn node(&self) -> &str {
        &self.node
    }

    pub fn shards(&self) -> u32 {
        self.tokens.len() as u32
    }

    pub fn shard_of(&self, user: i64) -> u32 {
        virtual_shard(user, self.shards())
    }

    /// This node's token for `shard`, 0 when it does not serve it.
    pub fn token(&self, shard: u32) -> i64 {
        self.tokens.get(shard as usize).map_or(0, |token| token.load(Ordering::Acquire))
    }

    pub fn owns(&self, shard: u32) -> bool {
        self.token(shard) != 0
    }

    /// The shard of a non-player actor named `name` ([`placement_key`]).
    pub fn shard_of_name(&self, name: &str) -> u32 {
        self.shard_of(placement_key(name.as_bytes()))
    }

    pub fn owns_user(&self, user: i64) -> bool {
        self.owns(self.shard_of(user))
    }

    /// Shards served now.
    pub fn owned(&self) -> usize {
        self.tokens.iter().filter(|token| token.load(Ordering::Acquire) != 0).count()
    }

    /// Serve `shard` under `token` (recorded in the store already).
    pub fn serve(&self, shard: u32, token: i64) {
        if let Some(slot) = self.tokens.get(shard as usize) {
            slot.store(token, Ordering::Release);
        }
    }

    /// Stop serving `shard`.
    pub fn stop(&self, shard: u32) {
        self.serve(shard, 0);
    }

    /// The store refused a write of `shard` stamped `token`: a newer owner
    /// recorded its token. Stops serving it if this node still holds that
    /// token, and wakes the manager.
    pub fn fenced(&self, shard: u32, token: i64) {
        if let Some(slot) = self.tokens.get(shard as usize) {
            let _ = slot.compare_exchange(token, 0, Ordering::AcqRel, Ordering::Acquire);
        }
        self.changed.notify_one();
    }

    /// Completes after the next [`Ownership::fenced`].
    pub async fn fenced_notice(&self) {
        self.changed.notified().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_placement_key_is_fixed_across_builds() {
        // FNV-1a 64 of "a" and of nothing, as published.
        assert_eq!(placement_key(b"a") as u64, 0xAF63_DC4C_8601_EC8C);
        assert_eq!(placement_key(b"") as u64, 0xCBF2_9CE4_8422_2325);
    }

    #[test]
    fn the_shard_of_a_user_never_changes_and_spreads() {
        // Fixed values: every node of every build must agree.
        assert_eq!(virtual_shard(42, 256), virtual_shard(42, 256));
        let mut counts = [0u32; 16];
        for user in 0..16_000 {
            counts[virtual_shard(user, 16) as usize] += 1;
        }
        assert!(counts.iter().all(|&count| (800..1200).contains(&count)), "{counts:?}");
    }

    #[test]
    fn a_fence_clears_only_the_token_it_names() {
        let ownership = Ownership::new("a", 4);
        ownership.serve(1, 7);
        ownership.fenced(1, 6);
        assert_eq!(ownership.token(1), 7);
        ownership.fenced(1, 7);
        assert!(!ownership.owns(1));
    }
}
