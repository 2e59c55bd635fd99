//! Feature flags changed live by operators (`/flag <name> <percent>`).
//!
//! A flag's rollout is content (`flags.toml`); an operator's change is an
//! override of it, stored in `flag_overrides` and held here in memory,
//! loaded once at startup. The flags players are evaluated against are
//! always those of the live content: an override changes them by building
//! a new [`Content`] with it applied and installing it the way `/reload`
//! does ([`crate::content::Reloader`]), so the user actors keep deciding
//! from the content they hold, with no I/O. Startup and every reload apply
//! the stored overrides over the files' flags; an override of a flag the
//! content no longer defines is reported and ignored (and kept: it counts
//! again if the flag comes back).
//!
//! **A change is durable before it is live:** the row is committed, then
//! memory changes, then the new content is installed, all under one lock
//! that reloads take too, so two changes (or a change and a reload) never
//! undo each other.

use std::collections::BTreeMap;
use std::sync::RwLock;

use dianabot_game::content::Content;
use dianabot_game::flags::FlagOverride;
use dianabot_persistence::{Store, StoreError};

/// The operators' overrides, in memory, with the store they are written to.
#[derive(Debug)]
pub struct LiveFlags {
    store: Store,
    overrides: RwLock<BTreeMap<String, FlagOverride>>,
    /// One change of flags (or reload) at a time, so the installed content
    /// follows the store's order.
    pub(crate) changing: tokio::sync::Mutex<()>,
}

/// What an operator's change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagChange {
    pub flag: String,
    /// The rollout in force before and after, in hundredths of a percent.
    pub before: u32,
    pub after: u32,
    /// The rollout `flags.toml` gives.
    pub content: u32,
    /// Back to the content's rollout (the override removed).
    pub reset: bool,
}

impl LiveFlags {
    /// The overrides the store holds (once, at startup).
    pub async fn load(store: Store) -> Result<LiveFlags, StoreError> {
        let overrides = store.flag_overrides().await?.into_iter().map(|row| (row.flag.clone(), row)).collect();
        Ok(LiveFlags { store, overrides: RwLock::new(overrides), changing: tokio::sync::Mutex::default() })
    }

    /// Every override held, by flag name.
    pub fn overrides(&self) -> Vec<FlagOverride> {
        self.read().values().cloned().collect()
    }

    pub fn get(&self, flag: &str) -> Option<FlagOverride> {
        self.read().get(flag).cloned()
    }

    /// `content` (as read from the files) with every override applied,
    /// and the flags of overrides it does not define, logged.
    pub fn apply(&self, content: &Content) -> (Content, Vec<String>) {
        let overrides = self.read();
        let (content, ignored) = content.with_overrides(overrides.values().map(|row| (row.flag.as_str(), row.rollout)));
        for flag in &ignored {
            tracing::warn!(flag, "a stored flag override names a flag the content does not define; ignored");
        }
        (content, ignored)
    }

    /// Writes `row` through, then holds it. Call with `changing` held.
    pub(crate) async fn put(&self, row: FlagOverride) -> Result<(), StoreError> {
        self.store.put_flag_override(&row).await?;
        self.write().insert(row.flag.clone(), row);
        Ok(())
    }

    /// Deletes `flag`'s override in the store, then in memory; whether it
    /// had one. Call with `changing` held.
    pub(crate) async fn remove(&self, flag: &str) -> Result<bool, StoreError> {
        let had = self.store.delete_flag_override(flag).await?;
        self.write().remove(flag);
        Ok(had)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, FlagOverride>> {
        self.overrides.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, FlagOverride>> {
        self.overrides.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
