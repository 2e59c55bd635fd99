//! The economy's rules: the daily gift with its streak, and the three steps
//! (and the compensation) of a gift between two players.
//!
//! A gift is a saga across two actors, so each step here is one user's half:
//! the giver's besitos leave for a *transfer account* (step 1), the receiver
//! takes them from it (step 2), the giver closes it (step 3) — or, if the
//! receiver refuses, gets them back (compensation). Every step is idempotent
//! by transfer id, so a coordinator may repeat any step after a crash.

use serde::{Deserialize, Serialize};

use crate::besitos::Besitos;
use crate::ctx::{Ctx, Journal};
use crate::error::RuleError;
use crate::event::Event;
use crate::ids::UserId;
use crate::ledger::{Account, Reason};
use crate::state::UserState;
use crate::time::day_of;

/// The daily gift and a gift's steps, on one player.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EconomyCommand {
    /// The daily gift: once per UTC day, more with every day of the streak.
    ClaimDailyGift,
    /// Saga step 1 (giver): besitos leave for transfer `transfer`.
    SendGift { to: UserId, amount: Besitos, transfer: i64 },
    /// Saga step 2 (receiver): takes transfer `transfer`; idempotent.
    ReceiveGift { from: UserId, amount: Besitos, transfer: i64 },
    /// Saga step 3 (giver): the transfer arrived; idempotent.
    SettleTransfer { transfer: i64 },
    /// Compensation (giver): the receiver refused; besitos come back; idempotent.
    RefundTransfer { transfer: i64 },
}

impl EconomyCommand {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            EconomyCommand::ClaimDailyGift => "claim_daily_gift",
            EconomyCommand::SendGift { .. } => "send_gift",
            EconomyCommand::ReceiveGift { .. } => "receive_gift",
            EconomyCommand::SettleTransfer { .. } => "settle_transfer",
            EconomyCommand::RefundTransfer { .. } => "refund_transfer",
        }
    }
}

pub(crate) fn decide(
    state: &UserState,
    command: &EconomyCommand,
    ctx: Ctx<'_>,
    mut journal: Journal<'_>,
) -> Result<Vec<Event>, RuleError> {
    let progress = &state.progress;
    let today = day_of(ctx.now);
    match command {
        EconomyCommand::ClaimDailyGift => {
            let last = progress.daily_gift.last_day;
            if last == Some(today) {
                return Err(RuleError::AlreadyClaimedToday);
            }
            // A missed day resets the streak.
            let streak = if last == Some(today - 1) { progress.daily_gift.streak + 1 } else { 1 };
            let multipliers = &ctx.rules.streak_multipliers;
            let index = (streak as usize).saturating_sub(1).min(multipliers.len().saturating_sub(1));
            let amount = ctx.rules.daily_gift * multipliers.get(index).copied().unwrap_or(1);
            let mut events = vec![Event::DailyGiftClaimed { day: today, streak }];
            if amount > 0 {
                events.push(journal.credit(amount, Reason::DailyGift));
            }
            events.push(Event::CounterIncremented { counter: "daily_gifts".to_owned(), by: 1 });
            Ok(events)
        }
        EconomyCommand::SendGift { to, amount, transfer } => {
            let amount = amount.get();
            if *to == state.id {
                return Err(RuleError::GiftToSelf);
            }
            if amount > ctx.rules.max_gift {
                return Err(RuleError::GiftTooLarge { max: ctx.rules.max_gift });
            }
            let (day, sent) = progress.gifts_sent_today;
            if day == today && sent >= ctx.rules.max_gifts_per_day {
                return Err(RuleError::TooManyGiftsToday { max: ctx.rules.max_gifts_per_day });
            }
            if progress.transfers_out.contains_key(transfer) {
                return Ok(Vec::new());
            }
            if state.wallet.balance < amount {
                return Err(RuleError::InsufficientFunds { balance: state.wallet.balance, needed: amount });
            }
            Ok(vec![
                journal.post(-amount, Reason::GiftSent, Account::Transfer(*transfer)),
                Event::TransferOpened { transfer: *transfer, to: *to, amount, day: today },
                Event::CounterIncremented { counter: "gifts_sent".to_owned(), by: 1 },
            ])
        }
        EconomyCommand::ReceiveGift { amount, transfer, .. } => {
            if progress.transfers_in.contains(transfer) {
                return Ok(Vec::new());
            }
            Ok(vec![
                journal.post(amount.get(), Reason::GiftReceived, Account::Transfer(*transfer)),
                Event::TransferReceived { transfer: *transfer },
            ])
        }
        EconomyCommand::SettleTransfer { transfer } => match progress.transfers_out.contains_key(transfer) {
            true => Ok(vec![Event::TransferClosed { transfer: *transfer }]),
            false => Ok(Vec::new()),
        },
        EconomyCommand::RefundTransfer { transfer } => match progress.transfers_out.get(transfer) {
            Some(pending) => Ok(vec![
                journal.post(pending.amount, Reason::GiftRefund, Account::Transfer(*transfer)),
                Event::TransferClosed { transfer: *transfer },
            ]),
            None => Ok(Vec::new()),
        },
    }
}
