//! The Telegram surface: what comes in (intake, `translate` into one of the
//! `flows`), what goes out (outbound), and the words in between (screens).
//!
//! **Architecture Invariant:** intake acknowledges an update to Telegram —
//! webhook answered 200, polling offset advanced — only after the update's
//! effects are durable, and the bot's reply is sent only after that too, so
//! a user is never told of an effect a crash could lose.

pub mod broadcast;
pub mod callback;
pub mod clean;
pub mod deeplink;
pub mod flows;
#[cfg(test)]
mod fuzz;
pub mod intake;
pub mod outbound;
pub mod polling;
pub mod ratelimit;
pub mod screens;
pub mod translate;
pub mod webhook;

pub use intake::{Handled, Intake, IntakeError, IntakeStats};
pub use outbound::{Delivery, Outbound, OutboundLimits, OutboundRequest, Priority};
