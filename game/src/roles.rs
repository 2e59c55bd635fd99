//! Operators: who may do what, and what they did.
//!
//! Owners (`ADMIN_IDS`) hold every [`Permission`]; anyone else holds the
//! permissions of the roles granted to them (`roles.toml`) that have not
//! expired. Pure: the grants, the roles and the time are handed in, so the
//! resolution is a function property tests can hammer; the server keeps the
//! grants in memory (loaded at startup, written through) and asks this on
//! every update.

use serde::{Deserialize, Serialize};

use crate::content::{Content, Permission, Permissions, Role, RoleId};
use crate::ids::UserId;

/// A role held by a user, for good or until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleGrant {
    pub user: UserId,
    pub role: RoleId,
    pub granted_by: UserId,
    /// Unix seconds.
    pub granted_at: i64,
    /// Unix seconds from which the role no longer counts; `None`: for good.
    pub expires_at: Option<i64>,
}

impl RoleGrant {
    /// Whether the grant counts at `now`: an expiring grant stops counting
    /// at `expires_at` itself.
    pub fn active_at(&self, now: i64) -> bool {
        self.expires_at.is_none_or(|expires_at| now < expires_at)
    }
}

/// What one user may do at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Access {
    /// In `ADMIN_IDS`: every permission, and the only one who grants any role.
    pub owner: bool,
    pub permissions: Permissions,
    /// Holds a role grant, running or not: someone whose role lapsed (or
    /// whose role the content dropped) is still told their commands are
    /// refused, and the refusal audited, rather than taken for a player.
    pub granted: bool,
}

impl Access {
    /// An operator: an owner, or someone holding a role grant (even one
    /// that lapsed). Operator commands from anyone else are not even
    /// recognised (a player is not told they exist).
    pub fn is_operator(self) -> bool {
        self.owner || self.granted || !self.permissions.is_empty()
    }

    pub fn allows(self, permission: Permission) -> bool {
        self.owner || self.permissions.contains(permission)
    }

    /// Whether this operator may grant or revoke `role`: an owner any; a
    /// holder of [`Permission::Roles`] only a role that gives nothing they
    /// do not hold themselves and not `roles` itself, so a role manager can
    /// never make another (or widen their own powers).
    pub fn may_grant(self, role: &Role) -> bool {
        self.owner
            || (self.permissions.contains(Permission::Roles)
                && !role.permissions.contains(Permission::Roles)
                && role.permissions.is_subset(self.permissions))
    }
}

/// The access of `user` at `now`: every permission if an owner, else the
/// union of the permissions of their `grants` active at `now` whose role
/// `content` still defines (a role removed from `roles.toml` gives nothing).
pub fn access(owner: bool, grants: &[RoleGrant], content: &Content, now: i64) -> Access {
    if owner {
        return Access { owner, permissions: Permissions::all(), granted: !grants.is_empty() };
    }
    let permissions = grants
        .iter()
        .filter(|grant| grant.active_at(now))
        .filter_map(|grant| content.role(grant.role.as_str()))
        .fold(Permissions::NONE, |held, role| held.union(role.permissions));
    Access { owner, permissions, granted: !grants.is_empty() }
}

/// Every kind of operator command, as the audit log names it. Each needs
/// exactly one permission: this table is the one place that says which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OperatorAction {
    ReloadContent,
    Grant,
    Deduct,
    GrantVip,
    Refund,
    OpenAuction,
    CancelAuction,
    PostsReport,
    GrantRole,
    RevokeRole,
    ListRoles,
    ReadAudit,
    Broadcast,
    ListBroadcasts,
    Teaser,
    SchedulePost,
    ListScheduledPosts,
    /// `/stats [report]`: the overview, or one report as a table.
    Stats,
    /// `/export <report> [since] [until]`: a report as a CSV document.
    Export,
    // Alerts and daily insights.
    /// `/alerts`: the alert rules, their thresholds, what fires now.
    Alerts,
    /// `/insights [day]`: a day's insights.
    Insights,
    // Dashboard.
    /// `/panel`: a one-time login link to the web dashboard.
    Panel,
    // flags
    /// `/flag <name> <percent|reset>`: a flag's rollout changed live.
    SetFlag,
    /// `/flags`: every flag, its rollouts, audience and variants.
    ListFlags,
    /// `/jugador <id>`: a player's style and the flags they get.
    PlayerLookup,
}

impl OperatorAction {
    pub const ALL: [OperatorAction; 25] = [
        OperatorAction::ReloadContent,
        OperatorAction::Grant,
        OperatorAction::Deduct,
        OperatorAction::GrantVip,
        OperatorAction::Refund,
        OperatorAction::OpenAuction,
        OperatorAction::CancelAuction,
        OperatorAction::PostsReport,
        OperatorAction::GrantRole,
        OperatorAction::RevokeRole,
        OperatorAction::ListRoles,
        OperatorAction::ReadAudit,
        OperatorAction::Broadcast,
        OperatorAction::ListBroadcasts,
        OperatorAction::Teaser,
        OperatorAction::SchedulePost,
        OperatorAction::ListScheduledPosts,
        OperatorAction::Stats,
        OperatorAction::Export,
        OperatorAction::Alerts,
        OperatorAction::Insights,
        OperatorAction::Panel,
        // flags
        OperatorAction::SetFlag,
        OperatorAction::ListFlags,
        OperatorAction::PlayerLookup,
    ];

    /// The permission the command needs.
    pub fn permission(self) -> Permission {
        match self {
            OperatorAction::ReloadContent => Permission::ContentReload,
            OperatorAction::Grant | OperatorAction::Deduct => Permission::Grants,
            OperatorAction::GrantVip => Permission::VipGrants,
            OperatorAction::Refund => Permission::Refunds,
            OperatorAction::OpenAuction | OperatorAction::CancelAuction => Permission::Auctions,
            OperatorAction::PostsReport
            | OperatorAction::Stats
            | OperatorAction::Export
            | OperatorAction::Alerts
            | OperatorAction::Insights
            | OperatorAction::Panel
            | OperatorAction::PlayerLookup => Permission::Analytics,
            OperatorAction::GrantRole | OperatorAction::RevokeRole | OperatorAction::ListRoles => Permission::Roles,
            OperatorAction::ReadAudit => Permission::Audit,
            OperatorAction::Broadcast
            | OperatorAction::ListBroadcasts
            | OperatorAction::Teaser
            | OperatorAction::SchedulePost
            | OperatorAction::ListScheduledPosts => Permission::Channel,
            // flags
            OperatorAction::SetFlag | OperatorAction::ListFlags => Permission::Flags,
        }
    }

    /// Its name in the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            OperatorAction::ReloadContent => "reload",
            OperatorAction::Grant => "grant",
            OperatorAction::Deduct => "deduct",
            OperatorAction::GrantVip => "grant_vip",
            OperatorAction::Refund => "refund",
            OperatorAction::OpenAuction => "open_auction",
            OperatorAction::CancelAuction => "cancel_auction",
            OperatorAction::PostsReport => "posts_report",
            OperatorAction::GrantRole => "grant_role",
            OperatorAction::RevokeRole => "revoke_role",
            OperatorAction::ListRoles => "list_roles",
            OperatorAction::ReadAudit => "read_audit",
            OperatorAction::Broadcast => "broadcast",
            OperatorAction::ListBroadcasts => "list_broadcasts",
            OperatorAction::Teaser => "teaser",
            OperatorAction::SchedulePost => "schedule_post",
            OperatorAction::ListScheduledPosts => "list_scheduled_posts",
            OperatorAction::Stats => "stats",
            OperatorAction::Export => "export",
            OperatorAction::Alerts => "alerts",
            OperatorAction::Insights => "insights",
            OperatorAction::Panel => "panel",
            // flags
            OperatorAction::SetFlag => "set_flag",
            OperatorAction::ListFlags => "list_flags",
            OperatorAction::PlayerLookup => "player_lookup",
        }
    }

    pub fn parse(name: &str) -> Option<OperatorAction> {
        OperatorAction::ALL.into_iter().find(|action| action.as_str() == name)
    }
}

/// How an operator command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuditOutcome {
    /// Performed (or found performed already: a re-delivery).
    Done,
    /// The operator lacks the permission: nothing was looked at or changed.
    Refused,
    /// Permitted, but not performed: malformed, refused by the rules, or a
    /// failure behind it. `AuditEntry::detail` says why.
    Failed,
}

impl AuditOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditOutcome::Done => "done",
            AuditOutcome::Refused => "refused",
            AuditOutcome::Failed => "failed",
        }
    }

    pub fn parse(name: &str) -> Option<AuditOutcome> {
        [AuditOutcome::Done, AuditOutcome::Refused, AuditOutcome::Failed]
            .into_iter()
            .find(|outcome| outcome.as_str() == name)
    }
}

/// One row of the operators' audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Unix seconds.
    pub at: i64,
    pub operator: UserId,
    pub action: OperatorAction,
    /// On whom or what: a user id (`42`) or a kind and id (`auction:5000000001`,
    /// `charge:abc`); `None` when the command names none (or never got to).
    pub target: Option<String>,
    /// The command's arguments as typed (cleaned, at most 200 characters).
    pub args: String,
    pub outcome: AuditOutcome,
    /// Why it failed or was refused, for an operator reading the log.
    pub detail: Option<String>,
}
