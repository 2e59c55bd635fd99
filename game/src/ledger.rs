//! The besitos ledger, double-entry.
//!
//! Every change of a balance is a journal entry that moves an amount between
//! the user's account and a counter-account (a faucet or sink named by its
//! reason, or another user). The user's balance is the sum of the signed
//! amounts of their entries, always; the counter side is implied, so the
//! journal sums to zero by construction.

use serde::{Deserialize, Serialize};

use crate::ids::{UpdateId, UserId};

/// Why besitos moved. This enum is the whitelist: there is no other way to
/// create or destroy besitos.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Reason {
    /// Granted once, at registration.
    WelcomeBonus,
    /// A reaction to a channel post or story fragment.
    Reaction,
    /// Granted by an operator.
    AdminGrant,
    /// Taken by an operator.
    AdminDeduction,
    /// Paid by a story decision's rewards.
    StoryReward,
    /// Spent by a story decision's costs.
    StoryCost,
}

impl Reason {
    pub const ALL: [Reason; 4] = [Reason::WelcomeBonus, Reason::Reaction, Reason::AdminGrant, Reason::AdminDeduction];

    /// Stable name used in the database and in metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::WelcomeBonus => "welcome_bonus",
            Reason::Reaction => "reaction",
            Reason::AdminGrant => "admin_grant",
            Reason::AdminDeduction => "admin_deduction",
            Reason::StoryReward => "story_reward",
            Reason::StoryCost => "story_cost",
        }
    }

    pub fn parse(name: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|reason| reason.as_str() == name)
    }
}

/// The other side of a journal entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Account {
    /// The system account where besitos of this reason come from or go to.
    System(Reason),
    /// Another user's wallet (gifts, auctions).
    User(UserId),
}

impl Account {
    /// Stable textual form stored in the ledger table: `system:<reason>` or
    /// `user:<id>`.
    pub fn to_db(self) -> String {
        match self {
            Account::System(reason) => format!("system:{}", reason.as_str()),
            Account::User(user) => format!("user:{}", user.0),
        }
    }

    pub fn from_db(text: &str) -> Option<Account> {
        let (kind, rest) = text.split_once(':')?;
        match kind {
            "system" => Reason::parse(rest).map(Account::System),
            "user" => rest.parse().ok().map(|id| Account::User(UserId(id))),
            _ => None,
        }
    }
}

/// One journal entry, from the point of view of the user who owns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// Position in this user's journal: 1, 2, 3… Together with the user id
    /// it is the entry's primary key, so re-writing a batch is idempotent.
    pub seq: u64,
    /// Signed change of the user's balance; never zero.
    pub amount: i64,
    pub counter_account: Account,
    pub reason: Reason,
    /// The update that caused it, when it came from Telegram.
    pub update_id: Option<UpdateId>,
    /// Unix seconds.
    pub at: i64,
}
