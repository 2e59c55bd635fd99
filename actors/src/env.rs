//! What every actor of the runtime shares.

use std::sync::{Arc, RwLock};

use dianabot_game::Rules;
use dianabot_game::content::Content;
use dianabot_persistence::{Flusher, Store};

use crate::config::ActorConfig;
use crate::stats::ActorStats;

/// What an actor needs besides its state; one per runtime, shared.
pub(crate) struct Env {
    pub store: Store,
    pub flusher: Flusher,
    pub rules: Arc<Rules>,
    /// Replaced whole on reload; an actor takes the current one per message.
    pub content: RwLock<Arc<Content>>,
    pub config: ActorConfig,
    pub stats: Arc<ActorStats>,
    /// The multi-threaded runtime store queries run on; actors live on
    /// single-threaded arbiters and must not own database sockets.
    pub io: tokio::runtime::Handle,
}

impl Env {
    pub fn content(&self) -> Arc<Content> {
        self.content.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}
