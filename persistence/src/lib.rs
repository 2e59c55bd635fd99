//! Where user state lives when it is not in an actor's memory.
//!
//! - [`Store`]: Postgres (production) or SQLite (the embedded default), both
//!   through sqlx with versioned migrations, behind one API.
//! - [`UserWrite`]: what one user's change means for the tables, derived from
//!   the game events; many writes of one user coalesce into one.
//! - [`Flusher`]: the write-behind task. Actors hand it writes and carry on;
//!   it commits them in batches (group commit) and only then completes each
//!   write's acknowledgement.
//!
//! **Architecture Invariant:** this crate knows nothing of Telegram or actors;
//! it stores `dianabot_game` values and nothing else.

pub mod analytics;
mod broadcast;
mod error;
mod flusher;
mod panel;
pub mod partitions;
mod postgres;
pub mod reports;
mod scheduled;
mod sqlite;
mod store;
mod timers;
mod write;
// cluster
mod fence;
pub use fence::ShardEpoch;
// Leaderboards.
pub mod leaderboards;
mod ranking;
// flags: operators' live rollouts.
mod flags;

pub use analytics::AnalyticsEvent;
pub use broadcast::{Broadcast, BroadcastStatus, Recipient};
pub use error::StoreError;
pub use flusher::{Ack, FlushConfig, FlushError, FlushStats, Flusher};
pub use leaderboards::{Leaderboards, Prize, ScoreDelta, Standing};
pub use panel::PanelLogin;
pub use scheduled::{PUBLISH, SCHEDULED_POSTS, ScheduledPost, ScheduledStatus};
pub use store::{Reservation, ReservationStatus, Store, Written};
pub use timers::{StoredTimer, USER_TIMERS};
// Alerts and daily insights.
pub mod alerts;
pub mod insights;
pub use alerts::AlertState;
pub use insights::{DAILY, OPS_TIMERS};

pub use write::{
    ChargeRow, ChargeStatus, ClosedHold, HeldBid, HoldEnd, OpenTransfer, PaidFragmentReaction, PaidReaction,
    PurchaseRow, PurchaseStatus, TimerOp, UserWrite,
};
