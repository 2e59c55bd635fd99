//! Pure game rules of DianaBot: a user's state and the operations on it.
//!
//! Nothing here does I/O, spawns, sleeps or reads a clock: every operation is
//! a function of the state, the command and a [`Ctx`] (time and tunables)
//! handed in by the caller. That is what lets the actor own the state, the
//! persistence layer store it, and property tests hammer it.
//!
//! Every operation is split in two steps, in the manner of event-sourced
//! aggregates:
//! - [`decide`] validates a [`Command`] (one enum per feature) against the state and returns the
//!   [`Event`]s it produces, or a [`RuleError`] — it never mutates;
//! - [`UserState::apply`] folds an event into the state and cannot fail.
//!
//! Because all validation happens before the first mutation, a command's
//! effects land all together or not at all.
//!
//! [`auction`] holds the auction's own rules and the bidder's escrow steps;
//! [`post`] a channel post's engagement counters; `reaction` the player's
//! half of REACCIONAR_CONTENIDO, on posts and on story pages.
//!
//! [`content`] holds the operator-written story and economy (fragments,
//! decisions, items, missions, shop…), read from TOML text and validated as a
//! whole, and evaluates composite requirements against a [`UserState`].

mod admin;
pub mod archetype;
pub mod auction;
pub mod backpack;
mod besitos;
pub mod community;
pub mod content;
mod ctx;
mod economy;
mod error;
mod event;
pub mod experience;
pub mod flags;
mod ids;
pub mod journeys;
mod ledger;
pub mod lore;
pub mod membership;
pub mod post;
mod profile;
mod progression;
mod reaction;
pub mod roles;
mod rules;
pub mod shop;
mod state;
pub mod story;
mod time;
pub mod timer;
pub mod vip;
// Community games.
pub mod referral;
pub mod trivia;
// Leaderboards.
pub mod leaderboard;
// offers: contextual offers (state in `offers`, rules in `offer`).
pub mod offer;
pub mod offers;

pub use admin::AdminCommand;
pub use auction::AuctionCommand;
pub use besitos::Besitos;
pub use content::Currency;
pub use ctx::{Ctx, Rules};
pub use economy::EconomyCommand;
pub use error::{Malformed, RuleError, Usage};
pub use event::{Event, Reacted, Unlock};
pub use experience::ExperienceCommand;
pub use ids::{ItemId, Language, PostRef, UpdateId, UserId};
pub use leaderboard::LeaderboardCommand;
pub use ledger::{Account, LedgerEntry, Reason};
pub use lore::LoreCommand;
pub use profile::Profile;
pub use reaction::ReactionCommand;
pub use referral::ReferralCommand;
pub use rules::{Command, ProfileCommand, decide};
pub use shop::ShopCommand;
pub use state::{
    AppliedUpdates, DailyGiftStreak, MissionProgress, OpenPurchase, PendingTransfer, Progress, StarsCharge,
    StoryProgress, UserState, Wallet,
};
pub use story::StoryCommand;
pub use timer::{Timer, TimerName};
pub use trivia::TriviaCommand;
pub use vip::VipCommand;
// offers
pub use offer::OfferCommand;
