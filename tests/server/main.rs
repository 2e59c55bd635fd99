//! The server's integration and end-to-end tests, in one binary: each
//! `tests/*.rs` is a binary of its own that links the whole server, so one
//! binary with a module per area links once instead of nine times
//! (zero2prod's `tests/api/main.rs`). Tests of the actors and the store live
//! beside their crates (`actors/tests/it/`, `persistence/tests/`), sharing
//! `dianabot-test-support` with the helpers here.
//!
//! Tests that kill a server (`crash`, `polling_crash`) kill a child process,
//! never this one, so they share the binary too; so does the browser test,
//! which drives its own chromedriver and Chromium. Two stay binaries of
//! their own, because their assertions are about timing and the tests here
//! run two at a time, child servers included: `tests/bench_harness.rs`
//! (open-loop runs count updates sent late as errors) and
//! `tests/outbound.rs` (at most one rate window of notifications may go out
//! before an interactive reply queued right after them).

mod common;

mod analytics_e2e;
mod bot_e2e;
mod channel_e2e;
mod community_e2e;
mod content_reload;
mod crash;
mod experiences_e2e;
mod fuzz_webhook;
mod lore_e2e;
mod operator_roles_e2e;
mod panel_browser;
mod playground_browser;
mod polling_crash;
mod reactions_e2e;
mod restarted_ids_e2e;
mod shop_e2e;
mod story_e2e;
mod timers_e2e;
mod vip_e2e;
mod webhook;
// Alerts and daily insights.
mod alerts_e2e;
// Leaderboards.
mod leaderboards_e2e;
// hardening
mod game_clock_e2e;
// flags
mod flags_e2e;
// offers
mod offers_e2e;
// cluster
mod cluster;
// cluster-nodes
mod cluster_nodes;
