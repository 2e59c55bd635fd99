//! The amount of besitos one operation moves, valid by construction.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::RuleError;

/// A strictly positive amount of besitos, at most [`Besitos::MAX_PER_OPERATION`].
///
/// Balances are plain `i64` sums of ledger entries; this type is for the
/// amount a single operation moves, so "negative" and "absurdly large" are
/// refused at the edge rather than checked in every rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Besitos(i64);

impl Besitos {
    /// Large enough for any legitimate grant, small enough that sums of
    /// millions of operations cannot overflow an `i64`.
    pub const MAX_PER_OPERATION: i64 = 1_000_000_000;

    pub fn new(amount: i64) -> Result<Besitos, RuleError> {
        if amount <= 0 {
            return Err(RuleError::NonPositiveAmount(amount));
        }
        if amount > Self::MAX_PER_OPERATION {
            return Err(RuleError::AmountTooLarge(amount, Self::MAX_PER_OPERATION));
        }
        Ok(Besitos(amount))
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Besitos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
