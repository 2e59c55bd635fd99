//! The wall clock, read in one place, and the [`Clock`] game time comes
//! from.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The wall clock in unix seconds.
pub fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs() as i64)
}

/// The wall clock in unix milliseconds.
pub fn unix_now_millis() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_millis() as u64)
}

/// The time decisions and durable timers go by: the wall clock, or — for
/// tests and the emulator's control API — the wall clock moved forward by
/// an offset that only grows, so a month of VIP passes in a test without
/// sleeping. Clones share the offset: one clock per process, handed to
/// everything that reads game time.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset: Option<Arc<AtomicI64>>,
}

/// [`Clock::advance`] on the wall clock, which nobody moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("this clock is the wall clock; only an adjustable clock (TEST_CLOCK=on) can be moved")]
pub struct FixedClock;

impl Clock {
    /// The wall clock.
    pub fn system() -> Clock {
        Clock { offset: None }
    }

    /// The wall clock moved forward by `offset_secs`, movable further.
    pub fn adjustable(offset_secs: i64) -> Clock {
        Clock { offset: Some(Arc::new(AtomicI64::new(offset_secs.max(0)))) }
    }

    /// Unix seconds.
    pub fn now(&self) -> i64 {
        unix_now() + self.offset()
    }

    /// Unix milliseconds.
    pub fn now_millis(&self) -> u64 {
        unix_now_millis().saturating_add_signed(self.offset().saturating_mul(1_000))
    }

    /// Seconds this clock is ahead of the wall clock.
    pub fn offset(&self) -> i64 {
        self.offset.as_ref().map_or(0, |offset| offset.load(Ordering::Relaxed))
    }

    pub fn is_adjustable(&self) -> bool {
        self.offset.is_some()
    }

    /// Moves the clock forward by `secs` (never back: time that went back
    /// would re-open what timers closed). Returns the new offset.
    pub fn advance(&self, secs: u32) -> Result<i64, FixedClock> {
        let offset = self.offset.as_ref().ok_or(FixedClock)?;
        Ok(offset.fetch_add(i64::from(secs), Ordering::Relaxed) + i64::from(secs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_adjustable_clock_moves_forward_and_its_clones_with_it() {
        let clock = Clock::adjustable(0);
        let shared = clock.clone();
        let before = shared.now();
        assert_eq!(clock.advance(86_400), Ok(86_400));
        assert!(shared.now() >= before + 86_400);
        assert!(shared.now_millis() >= (before as u64 + 86_400) * 1_000);
        assert_eq!(Clock::system().advance(1), Err(FixedClock));
        assert_eq!(Clock::system().offset(), 0);
    }
}
