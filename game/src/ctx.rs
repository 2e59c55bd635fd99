//! What a decision reads besides the state ([`Ctx`]: time, tunables,
//! content) and the [`Journal`] that numbers its ledger entries.

use serde::{Deserialize, Serialize};

use crate::content::Content;
use crate::event::Event;
use crate::ids::UpdateId;
use crate::ledger::{Account, LedgerEntry, Reason};
use crate::state::UserState;

/// Economy tunables. Operators will set them from content; these defaults
/// make the embedded server playable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    pub welcome_bonus: i64,
    /// The daily gift on the first day of a streak.
    pub daily_gift: i64,
    /// Multiplier of the daily gift by streak day (1st, 2nd, …); the last
    /// one holds for every longer streak.
    pub streak_multipliers: Vec<i64>,
    /// Largest gift between players, in besitos.
    pub max_gift: i64,
    /// Gifts a player may send per UTC day.
    pub max_gifts_per_day: u32,
    /// Purchase attempts (in besitos or Stars) a player may make per hour.
    pub max_purchase_attempts_per_hour: u32,
    /// Most besitos a player may receive per UTC day under a reason (a
    /// faucet); reasons not listed are uncapped.
    pub daily_caps: std::collections::BTreeMap<Reason, i64>,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            welcome_bonus: 10,
            daily_gift: 5,
            streak_multipliers: vec![1, 1, 2, 2, 3, 3, 5],
            max_gift: 1_000,
            max_gifts_per_day: 10,
            max_purchase_attempts_per_hour: 5,
            daily_caps: Default::default(),
        }
    }
}

/// What a decision may read besides the state: the time, the tunables and
/// the content.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    /// Unix seconds.
    pub now: i64,
    pub rules: &'a Rules,
    pub content: &'a Content,
    /// The update being handled, recorded on ledger entries.
    pub update_id: Option<UpdateId>,
}

/// Hands out consecutive ledger sequence numbers within one decision.
pub(crate) struct Journal<'a> {
    next_seq: u64,
    ctx: Ctx<'a>,
}

impl<'a> Journal<'a> {
    pub(crate) fn new(state: &UserState, ctx: Ctx<'a>) -> Journal<'a> {
        Journal { next_seq: state.wallet.next_seq, ctx }
    }

    pub(crate) fn credit(&mut self, amount: i64, reason: Reason) -> Event {
        self.entry(amount, reason)
    }

    pub(crate) fn debit(&mut self, amount: i64, reason: Reason) -> Event {
        self.entry(-amount, reason)
    }

    fn entry(&mut self, amount: i64, reason: Reason) -> Event {
        self.post(amount, reason, Account::System(reason))
    }

    /// An entry against an explicit counter-account (a transfer).
    pub(crate) fn post(&mut self, amount: i64, reason: Reason, counter_account: Account) -> Event {
        let seq = self.next_seq;
        self.next_seq += 1;
        Event::Ledger(LedgerEntry {
            seq,
            amount,
            counter_account,
            reason,
            update_id: self.ctx.update_id,
            at: self.ctx.now,
        })
    }
}
