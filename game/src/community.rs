//! A player's part in the community games — trivia, referrals and the
//! leaderboards' prizes — kept behind one box in [`Progress`](crate::Progress)
//! so the many players who never play them cost one null pointer.

use serde::{Deserialize, Serialize};

/// Community-game state of one player. Field order is the snapshot
/// encoding (bincode is positional): add fields at the end.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Community {}
