//! The economy's rules: the daily gift with its streak, and the three steps
//! (and the compensation) of a gift between two players.
//!
//! A gift is a saga across two actors, so each step here is one user's half:
//! the giver's besitos leave for a *transfer account* (step 1), the receiver
//! takes them from it (step 2), the giver closes it (step 3) — or, if the
//! receiver refuses, gets them back (compensation). Every step is idempotent
//! by transfer id, so a coordinator may repeat any step after a crash.

use crate::error::RuleError;
use crate::ledger::{Account, Reason};
use crate::rules::{Command, Ctx, Event, Journal};
use crate::state::UserState;

const DAY: i64 = 24 * 60 * 60;

/// Days since the Unix epoch (UTC) of `unix_seconds`.
pub fn day_of(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(DAY)
}

pub(crate) fn decide(
    state: &UserState,
    command: &Command,
    ctx: Ctx<'_>,
    mut journal: Journal<'_>,
) -> Result<Vec<Event>, RuleError> {
    let progress = &state.progress;
    let today = day_of(ctx.now);
    match command {
        Command::ClaimDailyGift => {
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
        Command::SendGift { to, amount, transfer } => {
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
        Command::ReceiveGift { amount, transfer, .. } => {
            if progress.transfers_in.contains(transfer) {
                return Ok(Vec::new());
            }
            Ok(vec![
                journal.post(amount.get(), Reason::GiftReceived, Account::Transfer(*transfer)),
                Event::TransferReceived { transfer: *transfer },
            ])
        }
        Command::SettleTransfer { transfer } => match progress.transfers_out.contains_key(transfer) {
            true => Ok(vec![Event::TransferClosed { transfer: *transfer }]),
            false => Ok(Vec::new()),
        },
        Command::RefundTransfer { transfer } => match progress.transfers_out.get(transfer) {
            Some(pending) => Ok(vec![
                journal.post(pending.amount, Reason::GiftRefund, Account::Transfer(*transfer)),
                Event::TransferClosed { transfer: *transfer },
            ]),
            None => Ok(Vec::new()),
        },
        _ => unreachable!("economy::decide is only called with economy commands"),
    }
}
