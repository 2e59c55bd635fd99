//! The besitos ledger, double-entry.
//!
//! Every change of a balance is a journal entry that moves an amount between
//! the user's account and a counter-account (a faucet or sink named by its
//! reason, or another user). The user's balance is the sum of the signed
//! amounts of their entries, always; the counter side is implied, so the
//! journal sums to zero by construction.

use serde::{Deserialize, Serialize};

use crate::ids::{UpdateId, UserId};

/// Declares [`Reason`] with its stable names from one list, so the
/// whitelist, its names and [`Reason::ALL`] cannot drift apart.
macro_rules! reasons {
    ($($(#[doc = $doc:literal])* $variant:ident => $name:literal,)*) => {
        /// Why besitos moved. This enum is the whitelist: there is no other
        /// way to create, destroy or move besitos.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum Reason {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Reason {
            pub const ALL: &'static [Reason] = &[$(Reason::$variant),*];

            /// Stable name used in the database and in metrics.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Reason::$variant => $name,)*
                }
            }
        }
    };
}

reasons! {
    /// Granted once, at registration.
    WelcomeBonus => "welcome_bonus",
    /// A reaction to a channel post or story fragment.
    Reaction => "reaction",
    /// Granted by an operator.
    AdminGrant => "admin_grant",
    /// Taken by an operator.
    AdminDeduction => "admin_deduction",
    /// Paid by a story decision's rewards.
    StoryReward => "story_reward",
    /// Spent by a story decision's costs.
    StoryCost => "story_cost",
    /// The daily gift, grown by the streak.
    DailyGift => "daily_gift",
    /// Besitos leaving the giver for a transfer in flight.
    GiftSent => "gift_sent",
    /// Besitos reaching the receiver of a transfer.
    GiftReceived => "gift_received",
    /// A transfer the receiver could not take, returned to the giver.
    GiftRefund => "gift_refund",
    /// An achievement's reward.
    AchievementReward => "achievement_reward",
    /// A completed mission's reward.
    MissionReward => "mission_reward",
    /// Paid for a shop item.
    Purchase => "purchase",
    /// A purchase that could not be completed, paid back.
    PurchaseRefund => "purchase_refund",
    /// Besitos a shop item gives.
    ShopReward => "shop_reward",
    /// Besitos a refunded Stars purchase had given, taken back.
    RefundReversal => "refund_reversal",
    /// Besitos leaving the bidder's wallet for an auction's escrow.
    AuctionHold => "auction_hold",
    /// An escrowed bid coming back: outbid, refused or cancelled.
    AuctionRelease => "auction_release",
    /// The winning bid leaving escrow for good (a sink).
    AuctionWon => "auction_won",
    /// Paid with each VIP charge that continues a membership (a renewal).
    VipRenewalBonus => "vip_renewal_bonus",
    /// An experience's reward, for a component or on completion.
    ExperienceReward => "experience_reward",
    /// Besitos a revealed lore secret or a secret code gives.
    LoreReward => "lore_reward",
    // Community games.
    /// A trivia set's reward, for its right answers.
    TriviaReward => "trivia_reward",
    /// A referral reaching its milestone, paid to both players.
    ReferralReward => "referral_reward",
    // Leaderboards.
    /// A leaderboard prize, paid when a weekly board's period ends.
    LeaderboardPrize => "leaderboard_prize",
}

impl Reason {
    pub fn parse(name: &str) -> Option<Reason> {
        Reason::ALL.iter().copied().find(|reason| reason.as_str() == name)
    }
}

/// The other side of a journal entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Account {
    /// The system account where besitos of this reason come from or go to.
    System(Reason),
    /// Another user's wallet.
    User(UserId),
    /// A transfer between users while it is in flight: the giver's debit
    /// and the receiver's credit (or the refund) both post against it, so it
    /// holds exactly the besitos not yet delivered.
    Transfer(i64),
    /// An auction's escrow: bids post their holds against it and their
    /// releases (or the winner's settlement) back, so it holds exactly the
    /// besitos of the bids not yet released or consumed.
    Escrow(i64),
}

impl Account {
    /// Stable textual form stored in the ledger table: `system:<reason>`,
    /// `user:<id>`, `transfer:<id>` or `escrow:<auction id>`.
    pub fn to_db(self) -> String {
        match self {
            Account::System(reason) => format!("system:{}", reason.as_str()),
            Account::User(user) => format!("user:{}", user.0),
            Account::Transfer(id) => format!("transfer:{id}"),
            Account::Escrow(auction) => format!("escrow:{auction}"),
        }
    }

    pub fn from_db(text: &str) -> Option<Account> {
        let (kind, rest) = text.split_once(':')?;
        match kind {
            "system" => Reason::parse(rest).map(Account::System),
            "user" => rest.parse().ok().map(|id| Account::User(UserId(id))),
            "transfer" => rest.parse().ok().map(Account::Transfer),
            "escrow" => rest.parse().ok().map(Account::Escrow),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_round_trip_through_their_database_names() {
        let mut accounts: Vec<Account> = Reason::ALL.iter().copied().map(Account::System).collect();
        accounts.extend([Account::User(UserId(-42)), Account::Transfer(7), Account::Escrow(9)]);
        for account in accounts {
            assert_eq!(Account::from_db(&account.to_db()), Some(account));
        }
        assert_eq!(Account::from_db("system:free_money"), None);
    }
}
