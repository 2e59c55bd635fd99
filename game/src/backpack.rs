//! Vocabulary: the lore pieces a player has found (the old bot's "pistas"
//! and "mochila") and the secrets they revealed, boxed in
//! `Progress::backpack` (`None` for a player who found nothing).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backpack {
    /// Lore piece ids found.
    pub pieces: BTreeSet<String>,
    /// Secret (recipe or code) ids already revealed, so each reveals once.
    pub revealed: BTreeSet<String>,
}
