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
//!
//! In a cluster, the node that made a change announces it and the others
//! read the overrides again ([`crate::content::Reloader::reread_flags`]),
//! installing them the same way.

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

    // cluster-changes
    /// Holds the overrides the store holds now (another node changed them);
    /// whether that changed anything. Call with `changing` held.
    pub(crate) async fn reread(&self) -> Result<bool, StoreError> {
        let stored: BTreeMap<String, FlagOverride> =
            self.store.flag_overrides().await?.into_iter().map(|row| (row.flag.clone(), row)).collect();
        let mut held = self.write();
        if *held == stored {
            return Ok(false);
        }
        *held = stored;
        Ok(true)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, FlagOverride>> {
        self.overrides.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, FlagOverride>> {
        self.overrides.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use dianabot_actors::ActorConfig;
    use dianabot_game::{RuleError, UserId};
    use dianabot_plumbing::Clock;
    use dianabot_test_support::{TestDb, run, start_runtime};

    use super::*;
    use crate::content::Reloader;
    use crate::operators::Roster;

    fn rollout(reloader: &Reloader, flag: &str) -> Option<u32> {
        reloader.router.content().flags().get(flag).map(|flag| flag.rollout)
    }

    /// A change is live once stored; a reload keeps it over the files and
    /// names an override whose flag is gone; a change the store cannot hold
    /// changes nothing, in memory or live.
    #[test]
    fn a_change_is_durable_before_it_is_live_and_reloads_keep_it() {
        run(async {
            let db = TestDb::sqlite();
            let store = db.store().await;
            let gone = FlagOverride { flag: "retired".into(), rollout: 100, set_by: UserId(900), set_at: 0 };
            store.put_flag_override(&gone).await.expect("stored");
            let runtime = start_runtime(store.clone(), ActorConfig::default()).await;
            let flags = Arc::new(LiveFlags::load(store.clone()).await.expect("loaded"));
            let roster = Arc::new(Roster::new([UserId(900)], runtime.router.content(), Clock::system()));
            let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/content")).to_owned();
            let reloader = Reloader {
                dir,
                router: runtime.router.clone(),
                operators: roster,
                flags: flags.clone(),
                notices: None,
            };

            let change = reloader.set_flag(UserId(900), "style", Some(3_000)).await.expect("stored").expect("a flag");
            assert_eq!((change.before, change.after, change.content, change.reset), (10_000, 3_000, 10_000, false));
            assert_eq!(rollout(&reloader, "style"), Some(3_000), "live at once");
            assert_eq!(store.flag_overrides().await.expect("read").len(), 2, "and stored");
            let refused = reloader.set_flag(UserId(900), "nope", Some(10)).await.expect("no store needed");
            assert_eq!(refused, Err(RuleError::UnknownFlag("nope".into())));

            let reloaded = reloader.reload().await.expect("the demo content");
            assert_eq!(reloaded.ignored_overrides, ["retired"]);
            assert_eq!(rollout(&reloader, "style"), Some(3_000), "the override outlives a reload");

            // A reset of a flag the content dropped clears its stored change.
            let cleared = reloader.set_flag(UserId(900), "retired", None).await.expect("stored").expect("cleared");
            assert!(cleared.reset);
            assert_eq!(flags.get("retired"), None);

            store.close().await;
            assert!(reloader.set_flag(UserId(900), "style", Some(5_000)).await.is_err(), "the store is gone");
            assert_eq!(rollout(&reloader, "style"), Some(3_000), "nothing changed live");
            assert_eq!(flags.get("style").map(|row| row.rollout), Some(3_000), "nor in memory");
        });
    }
}
