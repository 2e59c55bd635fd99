//! The plumbing the async crates (`persistence`, `actors`, the binary)
//! share, so each concern is written once: the wall clock and the game clock, retrying with
//! backoff, and metrics declared in one table with their exposition.
//!
//! **Architecture Invariant:** knows nothing of the game, the store or
//! Telegram. `game` does not depend on it: rules get time through `Ctx`.

mod clock;
pub mod metrics;
mod retry;
// cluster
pub mod shards;

pub use clock::{Clock, FixedClock, unix_now, unix_now_millis};
pub use retry::{Backoff, retry_forever, retry_while};
