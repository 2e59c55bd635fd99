//! Vocabulary: the lore pieces a player has found (the old bot's "pistas"
//! and "mochila"), the secrets they revealed and the secret codes used,
//! boxed in `Progress::backpack` (`None` for a player who found nothing).
//! The rules that combine pieces and redeem codes live in `lore.rs`.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::content::LoreId;
use crate::event::Event;
use crate::state::UserState;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backpack {
    /// Lore piece ids found.
    pub pieces: BTreeSet<String>,
    /// Recipe ids already revealed, so each reveals once.
    pub revealed: BTreeSet<String>,
    /// Secret code ids already redeemed, so each pays once.
    pub codes: BTreeSet<String>,
    /// (UTC day, unknown codes typed that day): the brute-force limit.
    pub code_misses: (i64, u32),
}

impl Backpack {
    /// Unknown codes typed on UTC `day`.
    pub fn misses_on(&self, day: i64) -> u32 {
        if self.code_misses.0 == day { self.code_misses.1 } else { 0 }
    }
}

/// Why a wrong combination is close: the recipe it comes nearest to (its
/// hint is shown), how many of that recipe's pieces are missing, and the
/// selected pieces that do not belong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CombinationHint {
    pub recipe: String,
    pub missing: u32,
    pub extra: Vec<String>,
}

/// Whether the player holds lore piece `piece`.
pub fn holds(state: &UserState, piece: &str) -> bool {
    state.progress.backpack.as_deref().is_some_and(|backpack| backpack.pieces.contains(piece))
}

/// Appends to `events` the finding of each of `pieces` the player does not
/// hold yet and `events` has not found already.
pub fn find<'a>(state: &UserState, pieces: impl IntoIterator<Item = &'a LoreId>, events: &mut Vec<Event>) {
    for piece in pieces {
        let already = holds(state, piece.as_str())
            || events
                .iter()
                .any(|event| matches!(event, Event::LorePieceFound { piece: found } if found == piece.as_str()));
        if !already {
            events.push(Event::LorePieceFound { piece: piece.as_str().to_owned() });
        }
    }
}
