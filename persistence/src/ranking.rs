//! [`RankedSet`]: the players of one board in rank order, with a player's
//! rank found without walking everyone above them.
//!
//! A sorted list cut into blocks of under 2 × [`BLOCK`] entries (the layout of
//! Python's `sortedcontainers`): finding a player's entry is a binary search
//! over the blocks' last entries and one inside a block; their rank is the
//! sizes of the blocks before plus the position inside. Inserting or
//! removing moves at most a block's worth of 24-byte entries. At 10^6
//! players that is ~1,000 blocks — a rank adds up to ~1,000 lengths, which is
//! cheaper in practice than a balanced tree's pointer chasing, and the
//! entries sit in contiguous memory (see BENCHMARKS.md, Leaderboards).

use std::cmp::Ordering;
use std::collections::HashMap;

/// Largest block; a block reaching twice this is split.
const BLOCK: usize = 1_000;

/// A player's place: higher score first, then whoever reached it first,
/// then the lower user id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub score: i64,
    /// When the score last changed (Unix seconds).
    pub reached_at: i64,
    pub user: i64,
}

impl Ord for Entry {
    fn cmp(&self, other: &Entry) -> Ordering {
        other.score.cmp(&self.score).then(self.reached_at.cmp(&other.reached_at)).then(self.user.cmp(&other.user))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Entry) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// One board's players in rank order.
#[derive(Debug, Default)]
pub struct RankedSet {
    blocks: Vec<Vec<Entry>>,
    /// Each player's entry, to find it in `blocks`.
    entries: HashMap<i64, Entry>,
}

impl RankedSet {
    /// Built at once from entries in any order (the rebuild at startup).
    pub fn from_entries(mut entries: Vec<Entry>) -> RankedSet {
        entries.sort_unstable();
        entries.dedup_by_key(|entry| entry.user);
        let index = entries.iter().map(|entry| (entry.user, *entry)).collect();
        let blocks = entries.chunks(BLOCK).map(<[Entry]>::to_vec).collect();
        RankedSet { blocks, entries: index }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Adds `delta` to `user`'s score, reached at `at`.
    pub fn add(&mut self, user: i64, delta: i64, at: i64) {
        let entry = match self.entries.get(&user).copied() {
            Some(old) => {
                self.remove(old);
                Entry { score: old.score.saturating_add(delta), reached_at: at, user }
            }
            None => Entry { score: delta, reached_at: at, user },
        };
        self.entries.insert(user, entry);
        self.insert(entry);
    }

    /// `user`'s 1-based rank and entry, if they have a score.
    pub fn standing(&self, user: i64) -> Option<(usize, Entry)> {
        let entry = *self.entries.get(&user)?;
        let block = self.block_of(&entry);
        let before: usize = self.blocks[..block].iter().map(Vec::len).sum();
        let inside = self.blocks[block].binary_search(&entry).ok()?;
        Some((before + inside + 1, entry))
    }

    /// The first `n` entries, best first.
    pub fn top(&self, n: usize) -> impl Iterator<Item = &Entry> {
        self.blocks.iter().flatten().take(n)
    }

    /// The block `entry` is in, or would go in.
    fn block_of(&self, entry: &Entry) -> usize {
        let after = self.blocks.partition_point(|block| block.last().is_some_and(|last| last < entry));
        after.min(self.blocks.len().saturating_sub(1))
    }

    fn insert(&mut self, entry: Entry) {
        if self.blocks.is_empty() {
            self.blocks.push(vec![entry]);
            return;
        }
        let index = self.block_of(&entry);
        let block = &mut self.blocks[index];
        let at = block.binary_search(&entry).unwrap_or_else(|at| at);
        block.insert(at, entry);
        if block.len() >= 2 * BLOCK {
            let upper = block.split_off(BLOCK);
            self.blocks.insert(index + 1, upper);
        }
    }

    fn remove(&mut self, entry: Entry) {
        let index = self.block_of(&entry);
        let block = &mut self.blocks[index];
        if let Ok(at) = block.binary_search(&entry) {
            block.remove(at);
            if block.is_empty() {
                self.blocks.remove(index);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rank a plain sort gives.
    fn naive(set: &HashMap<i64, Entry>, user: i64) -> Option<usize> {
        let mut all: Vec<Entry> = set.values().copied().collect();
        all.sort();
        all.iter().position(|entry| entry.user == user).map(|at| at + 1)
    }

    #[test]
    fn ranks_match_a_full_sort_through_splits_and_updates() {
        let mut rng = fastrand::Rng::with_seed(7);
        let mut set = RankedSet::default();
        for step in 0..12_000 {
            let user = rng.i64(0..3_000);
            set.add(user, rng.i64(0..50), step / 10);
        }
        assert!(set.blocks.len() > 1, "the test must cross block splits");
        for user in (0..3_000).step_by(37) {
            assert_eq!(set.standing(user).map(|(rank, _)| rank), naive(&set.entries, user));
        }
        let top: Vec<i64> = set.top(3).map(|entry| entry.user).collect();
        let expected: Vec<i64> = (1..=3)
            .map(|rank| set.entries.values().find(|e| naive(&set.entries, e.user) == Some(rank)).map(|e| e.user))
            .map(Option::unwrap_or_default)
            .collect();
        assert_eq!(top, expected);
        let rebuilt = RankedSet::from_entries(set.entries.values().copied().collect());
        for user in (0..3_000).step_by(101) {
            assert_eq!(rebuilt.standing(user), set.standing(user));
        }
    }

    #[test]
    fn ties_go_to_whoever_reached_the_score_first() {
        let mut set = RankedSet::default();
        set.add(1, 10, 200);
        set.add(2, 10, 100);
        set.add(3, 5, 50);
        assert_eq!(set.standing(2).map(|(rank, _)| rank), Some(1));
        assert_eq!(set.standing(1).map(|(rank, _)| rank), Some(2));
        set.add(3, 5, 300);
        assert_eq!(set.standing(3).map(|(rank, _)| rank), Some(3), "reached 10 last");
        assert_eq!(set.standing(4), None);
    }
}
