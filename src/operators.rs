//! Operators: who may do what, and the log of what they did.
//!
//! Owners (`ADMIN_IDS`) hold every permission; everyone else holds the
//! permissions of the roles (`roles.toml`) granted to them, for good or
//! until the game clock reaches the grant's expiry. The grants live in the
//! [`Roster`], in memory, loaded once at startup: translating an update
//! asks it who the sender is without any I/O. [`Operators`] changes them,
//! writing through (the row is committed before memory changes and before
//! the operator is answered), and appends to the audit log. In a cluster
//! a change is announced once durable, and the other nodes read the grants
//! again ([`Operators::reread`]).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock};

use dianabot_game::content::{Content, Role};
use dianabot_game::roles::{Access, AuditEntry, RoleGrant, access};
use dianabot_game::{RuleError, UserId};
use dianabot_persistence::{Store, StoreError};
use dianabot_plumbing::Clock;

/// Who holds which role, in memory: what every update's permission check reads.
#[derive(Debug)]
pub struct Roster {
    owners: BTreeSet<UserId>,
    grants: RwLock<BTreeMap<UserId, Vec<RoleGrant>>>,
    /// The live content, for its roles; replaced on reload.
    content: RwLock<Arc<Content>>,
    clock: Clock,
    /// One change of grants at a time, so memory follows the store's order.
    changing: tokio::sync::Mutex<()>,
}

impl Roster {
    /// Owners and no grants yet.
    pub fn new(owners: impl IntoIterator<Item = UserId>, content: Arc<Content>, clock: Clock) -> Roster {
        Roster {
            owners: owners.into_iter().collect(),
            grants: RwLock::default(),
            content: RwLock::new(content),
            clock,
            changing: tokio::sync::Mutex::default(),
        }
    }

    /// The time permissions are checked at: the game clock.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// What `user` may do now.
    pub fn access(&self, user: UserId) -> Access {
        let owner = self.owners.contains(&user);
        let grants = self.grants.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        let held = grants.get(&user).map_or(&[][..], Vec::as_slice);
        access(owner, held, &self.content(), self.now())
    }

    /// The roles of the live content.
    pub fn role(&self, id: &str) -> Option<Role> {
        self.content().role(id).cloned()
    }

    fn content(&self) -> Arc<Content> {
        self.content.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// The content was reloaded: its roles count from now on. A grant of a
    /// role the new content no longer defines gives nothing (and is listed
    /// as such) until the role comes back or the grant is revoked.
    pub fn set_content(&self, content: Arc<Content>) {
        *self.content.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = content;
    }

    /// The owners and every operator whose role gives `permission` now.
    pub fn holders(&self, permission: dianabot_game::content::Permission) -> Vec<UserId> {
        let (owners, grants) = self.listing();
        let mut users: Vec<UserId> = owners.into_iter().chain(grants.into_iter().map(|grant| grant.user)).collect();
        users.sort();
        users.dedup();
        users.retain(|user| self.access(*user).allows(permission));
        users
    }

    /// The owners, and every grant still running now, by user.
    pub fn listing(&self) -> (Vec<UserId>, Vec<RoleGrant>) {
        let now = self.now();
        let grants = self.grants.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        let running = grants.values().flatten().filter(|grant| grant.active_at(now)).cloned().collect();
        (self.owners.iter().copied().collect(), running)
    }

    /// Holds `grant` in memory (replacing the same role's); [`Operators`]
    /// writes it to the store first.
    pub(crate) fn put(&self, grant: RoleGrant) {
        let mut grants = self.grants.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        let held = grants.entry(grant.user).or_default();
        held.retain(|other| other.role != grant.role);
        held.push(grant);
    }

    // cluster-changes
    /// Holds exactly `grants` (the store's, read again after another node
    /// changed them).
    fn replace_all(&self, grants: Vec<RoleGrant>) {
        let mut held: BTreeMap<UserId, Vec<RoleGrant>> = BTreeMap::new();
        for grant in grants {
            let roles = held.entry(grant.user).or_default();
            roles.retain(|other| other.role != grant.role);
            roles.push(grant);
        }
        *self.grants.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = held;
    }

    fn remove(&self, user: UserId, role: &str) {
        let mut grants = self.grants.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(held) = grants.get_mut(&user) {
            held.retain(|grant| grant.role.as_str() != role);
            if held.is_empty() {
                grants.remove(&user);
            }
        }
    }
}

/// The roster with its store: grants and revocations written through, and
/// the audit log. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Operators {
    roster: Arc<Roster>,
    store: Store,
    // cluster-changes
    /// Where grants and revocations are announced to the other nodes;
    /// `None` without clustering.
    notices: Option<dianabot_cluster::ChangeNotices>,
}

impl Operators {
    /// Fills `roster` with the grants the store holds (once, at startup).
    pub async fn load(store: Store, roster: Roster) -> Result<Operators, StoreError> {
        for grant in store.role_grants().await? {
            roster.put(grant);
        }
        Ok(Operators::new(store, Arc::new(roster)))
    }

    /// A handle on a roster already loaded.
    pub fn new(store: Store, roster: Arc<Roster>) -> Operators {
        Operators { roster, store, notices: None }
    }

    // cluster-changes
    /// Grants and revocations are announced on `notices` once durable.
    pub fn with_notices(mut self, notices: dianabot_cluster::ChangeNotices) -> Operators {
        self.notices = Some(notices);
        self
    }

    /// Another node granted or revoked a role: the roster holds the
    /// store's grants from now on.
    pub async fn reread(&self) -> Result<(), StoreError> {
        let _one_at_a_time = self.roster.changing.lock().await;
        self.roster.replace_all(self.store.role_grants().await?);
        Ok(())
    }

    async fn announce(&self) {
        if let Some(notices) = &self.notices {
            notices.publish(dianabot_cluster::Change::Roles).await;
        }
    }

    pub fn roster(&self) -> &Arc<Roster> {
        &self.roster
    }

    /// `granter` gives `user` the role `role`, for `days` or for good
    /// (granting a held role again replaces its terms). Durable before it
    /// returns. Refused for a role the content does not define, or one the
    /// granter may not give ([`Access::may_grant`]).
    pub async fn grant(
        &self,
        granter: UserId,
        user: UserId,
        role: &str,
        days: Option<u32>,
    ) -> Result<Result<RoleGrant, RuleError>, StoreError> {
        let Some(defined) = self.roster.role(role) else { return Ok(Err(RuleError::UnknownRole(role.to_owned()))) };
        if !self.roster.access(granter).may_grant(&defined) {
            return Ok(Err(RuleError::RoleBeyondYours(role.to_owned())));
        }
        let _one_at_a_time = self.roster.changing.lock().await;
        let now = self.roster.now();
        let grant = RoleGrant {
            user,
            role: defined.id,
            granted_by: granter,
            granted_at: now,
            expires_at: days.map(|days| now + i64::from(days) * 86_400),
        };
        self.store.put_role_grant(&grant).await?;
        self.roster.put(grant.clone());
        self.announce().await;
        Ok(Ok(grant))
    }

    /// `granter` takes `role` back from `user`; `false` if they did not
    /// hold it. Durable before it returns.
    pub async fn revoke(
        &self,
        granter: UserId,
        user: UserId,
        role: &str,
    ) -> Result<Result<bool, RuleError>, StoreError> {
        let may = match self.roster.role(role) {
            Some(defined) => self.roster.access(granter).may_grant(&defined),
            // A role gone from the content: only an owner clears its grants.
            None => self.roster.access(granter).owner,
        };
        if !may {
            return Ok(Err(RuleError::RoleBeyondYours(role.to_owned())));
        }
        let _one_at_a_time = self.roster.changing.lock().await;
        let held = self.store.delete_role_grant(user, role).await?;
        self.roster.remove(user, role);
        self.announce().await;
        Ok(Ok(held))
    }

    /// Appends `entry` to the audit log.
    pub async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.store.insert_audit(entry).await
    }

    /// The last `limit` rows of the audit log, newest first.
    pub async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        self.store.audit_log(limit).await
    }
}
