//! The DianaBot server: configuration, wiring, Telegram surface and HTTP.
//!
//! [`App::build`] assembles the server from a [`Config`]; `main` and every
//! integration test start from it.

mod app;
pub mod bench;
mod config;
pub mod content;
pub mod http;
pub mod operators;
pub mod panel;
pub mod reports;
pub mod telegram;
pub mod telemetry;
pub mod texts;

pub use app::{App, run_actix, run_emulator};
pub use config::{AuctionLimits, Config, Intake};
// Alerts and daily insights.
pub mod alerts;
pub mod insights;
// flags: operators' live changes of feature flags.
pub mod flags;
// cluster
pub mod cluster;
