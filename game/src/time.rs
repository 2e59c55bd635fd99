//! Calendar arithmetic on the unix seconds a decision is handed.

const DAY: i64 = 24 * 60 * 60;

/// Days since the Unix epoch (UTC) of `unix_seconds`.
pub fn day_of(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(DAY)
}
