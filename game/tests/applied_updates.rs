//! What the applied-update window remembers: every update it was told of,
//! and nothing it was not — also after Telegram's ids start again.

use dianabot_game::{AppliedUpdates, UpdateId};
use proptest::prelude::*;

#[test]
fn updates_after_the_ids_restart_are_new() {
    let mut applied = AppliedUpdates::default();
    for id in 1_000..1_000 + AppliedUpdates::WINDOW as i64 {
        applied.record(UpdateId::new(id, 7));
    }
    assert!(applied.contains(UpdateId::new(1_010, 7)), "a re-delivery is recognised");
    assert!(!applied.contains(UpdateId::new(1, 9)), "a restarted sequence's update is new");
    assert!(!applied.contains(UpdateId::new(1_010, 9)), "the same id with other content is new");
}

proptest! {
    /// Whatever was recorded among the last `WINDOW` is a duplicate; any id
    /// never recorded is new, lower or higher than what is remembered.
    #[test]
    fn remembers_exactly_the_recent_updates(recorded in prop::collection::btree_set(0..10_000i64, 1..80), probe in 0..10_000i64) {
        let mut applied = AppliedUpdates::default();
        let recorded: Vec<i64> = recorded.into_iter().rev().collect();
        for &id in &recorded {
            applied.record(UpdateId::new(id, 0));
        }
        let recent = &recorded[recorded.len().saturating_sub(AppliedUpdates::WINDOW)..];
        prop_assert_eq!(applied.contains(UpdateId::new(probe, 0)), recent.contains(&probe));
    }
}
