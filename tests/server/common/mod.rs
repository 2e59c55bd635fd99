//! Helpers of the server's tests: the emulator's control API, the server as
//! a child process, a WebDriver client; isolated databases and the store's
//! checks from `dianabot-test-support`, and the server's own runtime.

pub mod control;
pub mod server;
pub mod webdriver;
// cluster-nodes: several nodes of one cluster, and the books they must keep.
pub mod books;
pub mod cluster;

pub use dianabot::run_actix as run;
pub use dianabot_test_support::{TestDb, assert_conserved, balances_and_ledger_sums, sold_and_held};
