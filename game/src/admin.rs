//! What an operator does to one player's account: besitos, items, VIP.

use serde::{Deserialize, Serialize};

use crate::besitos::Besitos;
use crate::ctx::{Ctx, Journal};
use crate::error::RuleError;
use crate::event::Event;
use crate::ids::ItemId;
use crate::ledger::Reason;
use crate::state::UserState;
use crate::vip::{self, GrantKind};

/// An operator's command on a player.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AdminCommand {
    AdminGrant(Besitos),
    AdminDeduct(Besitos),
    GrantItem {
        item: ItemId,
        quantity: u32,
    },
    ConsumeItem {
        item: ItemId,
        quantity: u32,
    },
    /// An operator grants VIP for some days (from now, or extending).
    GrantVip {
        days: u32,
    },
}

impl AdminCommand {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            AdminCommand::AdminGrant(_) => "admin_grant",
            AdminCommand::AdminDeduct(_) => "admin_deduct",
            AdminCommand::GrantItem { .. } => "grant_item",
            AdminCommand::ConsumeItem { .. } => "consume_item",
            AdminCommand::GrantVip { .. } => "grant_vip",
        }
    }
}

pub(crate) fn decide(
    state: &UserState,
    command: &AdminCommand,
    ctx: Ctx<'_>,
    mut journal: Journal<'_>,
) -> Result<Vec<Event>, RuleError> {
    match command {
        AdminCommand::AdminGrant(amount) => Ok(vec![journal.credit(amount.get(), Reason::AdminGrant)]),
        AdminCommand::AdminDeduct(amount) => {
            let needed = amount.get();
            if state.wallet.balance < needed {
                return Err(RuleError::InsufficientFunds { balance: state.wallet.balance, needed });
            }
            Ok(vec![journal.debit(needed, Reason::AdminDeduction)])
        }
        AdminCommand::GrantItem { item, quantity } => {
            positive_quantity(*quantity)?;
            if state.item_count(item).checked_add(*quantity).is_none() {
                return Err(RuleError::TooManyItems { item: item.clone() });
            }
            Ok(vec![Event::ItemsGranted { item: item.clone(), quantity: *quantity }])
        }
        AdminCommand::ConsumeItem { item, quantity } => {
            positive_quantity(*quantity)?;
            let have = state.item_count(item);
            if have < *quantity {
                return Err(RuleError::InsufficientItems { item: item.clone(), have, needed: *quantity });
            }
            Ok(vec![Event::ItemsConsumed { item: item.clone(), quantity: *quantity }])
        }
        AdminCommand::GrantVip { days } => {
            if *days == 0 {
                return Err(RuleError::NonPositiveAmount(0));
            }
            Ok(vip::grant_days(state, ctx, *days, GrantKind::Days))
        }
    }
}

fn positive_quantity(quantity: u32) -> Result<(), RuleError> {
    if quantity == 0 {
        return Err(RuleError::NonPositiveAmount(0));
    }
    Ok(())
}
