//! The wall clock, read in one place.

use std::time::{SystemTime, UNIX_EPOCH};

/// The wall clock in unix seconds: the `now` every decision is made with.
pub fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs() as i64)
}

/// The wall clock in unix milliseconds.
pub fn unix_now_millis() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_millis() as u64)
}
