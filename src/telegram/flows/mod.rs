//! One module per flow, in the manner of mini-redis's `cmd/`: each parses
//! its updates (text commands, button actions, update kinds) into a
//! [`Translation`](super::translate::Translation) and handles its own
//! requests on the [`Intake`](super::Intake), calling its screens.
//!
//! - `profile`: /start, the menu and the pages that only look at the
//!   player's state, language, the daily gift, the ledger.
//! - `story`: opening the story, decisions, restart; story pages sent as
//!   new messages.
//! - `shop`: shelves, item pages, purchases in besitos and in Stars
//!   (invoice, pre-checkout, payment), an operator's Stars refund.
//! - `auction`: the auction list and pages, bids, an operator's opening
//!   and cancelling.
//! - `gift`: besitos from one player to another.
//! - `reaction`: reactions on channel posts and story pages, channel posts
//!   published, an operator's engagement report.
//! - `operator`: content reload and grants on a player's account.
//! - `roles`: operator roles granted and revoked, who holds them, the
//!   audit log. Every operator command of every flow is permitted or
//!   refused in one place, `Origin::operate`, and audited by intake.
//! - `vip`: VIP plans bought with Stars (a subscription for the monthly
//!   one), renewal cancelled or resumed, the VIP channel kept in line with
//!   the membership (links, removals, `chat_member`, join requests), the
//!   free channel's approvals, and what VIP timers do when they fire.
//! - `timer`: a user's durable timer, due: its decision, then what it
//!   calls for on Telegram.
//! - `experience`: the experiences list and pages, starting and
//!   abandoning a run (progress follows from the other flows' commands).
//! - `lore`: the backpack (`/mochila`), combining lore pieces, secret
//!   codes (`/codigo`), reading a revealed secret.
//! - `analytics`: an operator's `/stats` (overview or one report),
//!   `/export` (a report as a CSV document) and `/panel` (a one-time link
//!   to the web dashboard).
//! - `channel`: broadcasts to every player and the opt-out, fragment
//!   teasers in the channels.
//! - `trivia`: the trivia sets, starting one, answering its questions;
//!   the timed events (`/eventos`).
//! - `referral`: the invite link (`/invitar`), joining through one
//!   (`/start r_<code>`), the inviter's settlement when the invited
//!   player's milestone timer fires.
//! - `leaderboard`: `/ranking` and the boards' buttons; the weekly reset
//!   that pays each board's winners once.
//! - `flags`: an operator's `/flags`, `/flag <name> <percent|reset>` (a
//!   rollout changed live) and `/jugador <id>` (a player's style and
//!   flags); a player's `/estilo`, behind the `style` flag.

pub mod analytics;
pub mod auction;
pub mod channel;
pub mod experience;
pub mod gift;
pub mod lore;
pub mod operator;
pub mod profile;
pub mod reaction;
pub mod roles;
pub mod shop;
pub mod story;
pub mod timer;
pub mod vip;
// Community games.
pub mod referral;
pub mod trivia;
// Leaderboards.
pub mod leaderboard;
// offers
pub mod offer;

pub use analytics::AnalyticsRequest;
pub use auction::AuctionRequest;
pub use channel::ChannelRequest;
pub use gift::{GiftRequest, Recipient};
pub use leaderboard::BoardRequest;
pub use lore::LoreRequest;
pub use operator::OperatorRequest;
pub use profile::ProfileRequest;
pub use reaction::ReactionRequest;
pub use referral::ReferralRequest;
pub use roles::RoleRequest;
pub use shop::ShopRequest;
pub use trivia::TriviaRequest;
pub use vip::VipRequest;
// flags
pub mod flags;
pub use flags::FlagRequest;
// offers
pub use offer::OfferRequest;
