//! COMPRAR_ITEM: the buyer's half of a purchase.
//!
//! A purchase in besitos is a saga across the buyer's actor and, for a
//! limited item, the item's stock keeper: the buyer pays into the shop
//! (`StartPurchase`: every check, then the debit), the stock keeper
//! reserves a unit, the buyer receives the item (`FulfilPurchase`) — or,
//! when a later step fails, gets the besitos back (`AbortPurchase`). The
//! purchase stays *open* in the buyer's state between the first step and the
//! last, so the closing steps are idempotent and exactly one of them wins.
//!
//! A purchase in Telegram Stars is checked when the invoice is asked for
//! (`RequestInvoice`) and again at pre-checkout (by the coordinator, with
//! [`check`]); Telegram takes the payment, and `PayWithStars` grants the
//! item once per `telegram_payment_charge_id`. `RefundStars` reverses what
//! can be reversed of a refunded payment.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::content::{Currency, Price, Reward, ShopItem, ShopItemId, evaluate};
use crate::ctx::{Ctx, Journal};
use crate::error::RuleError;
use crate::event::Event;
use crate::ledger::Reason;
use crate::state::UserState;
use crate::story::{Holdings, grant};
use crate::vip;

const HOUR: i64 = 60 * 60;

/// The price of `item` at `now`: the listed one less any discount in force,
/// rounded down but never below 1.
pub fn price_at(item: &ShopItem, now: i64) -> Price {
    let percent = item.discount.filter(|discount| discount.until.is_none_or(|until| now < until)).map(|d| d.percent);
    let Some(percent) = percent else { return item.price.clone() };
    let cut = |amount: u64| (amount * u64::from(100 - percent) / 100).max(1);
    Price { besitos: item.price.besitos.map(cut), stars: item.price.stars.map(|stars| cut(u64::from(stars)) as u32) }
}

/// Whether the player sees `item` on the shelves.
pub fn is_visible(item: &ShopItem, state: &UserState) -> bool {
    !item.hidden || state.progress.unlocked_shop_items.contains(item.id.as_str())
}

/// Whether the player already holds a unique item (bought, or being
/// bought, alone or in a bundle).
pub fn owns(item: &ShopItem, state: &UserState) -> bool {
    let id = item.id.as_str();
    state.progress.bought.contains_key(id)
        || state.progress.purchases_open.values().any(|open| purchased_items(&open.item).any(|piece| piece == id))
}

// offers-bundle
/// Joins a bundle's shop item ids in its purchase's `item`; ids never
/// contain it. The purchase row, the buyer's open purchase and its events
/// then say what was paid for, whatever the content says later.
const BUNDLE_SEPARATOR: char = '+';

/// The purchase `item` of a bundle of `items`.
pub fn bundle_key(items: &[ShopItemId]) -> String {
    let ids: Vec<&str> = items.iter().map(ShopItemId::as_str).collect();
    ids.join(&BUNDLE_SEPARATOR.to_string())
}

/// The shop items a purchase's `item` delivers: the item, or a bundle's.
pub fn purchased_items(item: &str) -> impl Iterator<Item = &str> {
    item.split(BUNDLE_SEPARATOR)
}

/// Whether the player may buy `item` in `currency` now — seen, on sale,
/// priced in that currency, not a unique item they hold, requirements met —
/// and at what price. Checked when a purchase starts, when an invoice is
/// asked for and at Stars pre-checkout.
pub fn check(state: &UserState, item: &ShopItem, currency: Currency, ctx: Ctx<'_>) -> Result<u64, RuleError> {
    if !is_visible(item, state) {
        return Err(RuleError::UnknownShopItem(item.id.as_str().to_owned()));
    }
    if !item.available.contains(ctx.now) {
        return Err(RuleError::NotOnSale);
    }
    let price = price_at(item, ctx.now);
    let amount = match currency {
        Currency::Besitos => price.besitos,
        Currency::Stars => price.stars.map(u64::from),
    };
    let amount = amount.ok_or(RuleError::NotSoldFor(currency))?;
    eligible(state, item, ctx)?;
    Ok(amount)
}

/// What [`check`] asks of the buyer whatever the price: not a unique item
/// they hold, requirements met. An offer sells at its own price and checks
/// this (and that the item is on sale) itself.
pub fn eligible(state: &UserState, item: &ShopItem, ctx: Ctx<'_>) -> Result<(), RuleError> {
    if item.unique && owns(item, state) {
        return Err(RuleError::AlreadyOwned);
    }
    let evaluation = evaluate(&item.requires, state, ctx.content, ctx.now);
    if !evaluation.allowed {
        return Err(RuleError::RequirementsNotMet { missing: evaluation.missing });
    }
    Ok(())
}

/// A new attempt, if the hourly limit allows it.
pub(crate) fn attempt(state: &UserState, ctx: Ctx<'_>) -> Result<Event, RuleError> {
    let max = ctx.rules.max_purchase_attempts_per_hour;
    if recent_attempts(state, ctx.now) >= max {
        return Err(RuleError::TooManyPurchaseAttempts { max });
    }
    Ok(Event::PurchaseAttempted { at: ctx.now })
}

/// Purchase attempts within the last hour.
fn recent_attempts(state: &UserState, now: i64) -> u32 {
    state.progress.purchase_attempts.iter().filter(|&&at| at > now - HOUR).count() as u32
}

/// A purchase's steps on the buyer, in besitos or Stars.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShopCommand {
    /// COMPRAR_ITEM step 1 (buyer): every check, then the price in besitos
    /// is paid into the shop and purchase `purchase` stays open.
    StartPurchase { purchase: i64, item: String },
    /// Last step (buyer): the item and its unlocks; idempotent.
    FulfilPurchase { purchase: i64 },
    /// Compensation (buyer): a later step failed; the besitos come back;
    /// idempotent, and a no-op once the purchase was fulfilled.
    AbortPurchase { purchase: i64 },
    /// The player asks to pay `item` in Telegram Stars: checked and counted
    /// as an attempt before the bot sends the invoice.
    RequestInvoice { item: String },
    /// Telegram took `stars` for `item` (charge `charge`): the item is
    /// granted, once per charge.
    PayWithStars { charge: String, purchase: i64, item: String, stars: u32 },
    /// The Stars of `charge` went back to the player: what the item gave is
    /// taken back as far as possible; once per charge.
    RefundStars { charge: String },
}

impl ShopCommand {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            ShopCommand::StartPurchase { .. } => "start_purchase",
            ShopCommand::FulfilPurchase { .. } => "fulfil_purchase",
            ShopCommand::AbortPurchase { .. } => "abort_purchase",
            ShopCommand::RequestInvoice { .. } => "request_invoice",
            ShopCommand::PayWithStars { .. } => "pay_with_stars",
            ShopCommand::RefundStars { .. } => "refund_stars",
        }
    }
}

pub(crate) fn decide(
    state: &UserState,
    command: &ShopCommand,
    ctx: Ctx<'_>,
    mut journal: Journal<'_>,
) -> Result<Vec<Event>, RuleError> {
    let progress = &state.progress;
    let shop_item = |id: &str| ctx.content.shop_item(id).ok_or_else(|| RuleError::UnknownShopItem(id.to_owned()));
    match command {
        ShopCommand::StartPurchase { purchase, item } => {
            if progress.purchases_open.contains_key(purchase) {
                return Ok(Vec::new());
            }
            let attempted = attempt(state, ctx)?;
            let price = check(state, shop_item(item)?, Currency::Besitos, ctx)?;
            let besitos = i64::try_from(price).map_err(|_| RuleError::AmountTooLarge(i64::MAX, i64::MAX))?;
            if state.wallet.balance < besitos {
                return Err(RuleError::InsufficientFunds { balance: state.wallet.balance, needed: besitos });
            }
            Ok(vec![
                attempted,
                journal.debit(besitos, Reason::Purchase),
                Event::PurchaseOpened { purchase: *purchase, item: item.clone(), besitos },
            ])
        }
        ShopCommand::FulfilPurchase { purchase } => {
            let Some(open) = progress.purchases_open.get(purchase) else { return Ok(Vec::new()) };
            let items = purchased_items(&open.item).map(shop_item).collect::<Result<Vec<_>, _>>()?;
            let rewards = match items[..] {
                [item] => Cow::Borrowed(&item.rewards),
                // offers-bundle: every item or none. A bundle never sells a
                // limited unit (the content refuses one); a reload that made
                // one limited meanwhile gets the price refunded.
                _ if items.iter().any(|item| item.stock.is_some()) => return Err(RuleError::NotOnSale),
                _ => Cow::Owned(items.iter().fold(Reward::default(), |sum, item| sum.plus(&item.rewards))),
            };
            let mut events = delivery(state, &rewards, ctx, &mut journal)?;
            let (item, besitos) = (open.item.clone(), open.besitos);
            events.push(Event::PurchaseClosed { purchase: *purchase, item, besitos, completed: true });
            Ok(events)
        }
        ShopCommand::AbortPurchase { purchase } => {
            let Some(open) = progress.purchases_open.get(purchase) else { return Ok(Vec::new()) };
            Ok(vec![
                journal.credit(open.besitos, Reason::PurchaseRefund),
                Event::PurchaseClosed {
                    purchase: *purchase,
                    item: open.item.clone(),
                    besitos: open.besitos,
                    completed: false,
                },
            ])
        }
        ShopCommand::RequestInvoice { item } => {
            let attempted = attempt(state, ctx)?;
            check(state, shop_item(item)?, Currency::Stars, ctx)?;
            Ok(vec![attempted])
        }
        ShopCommand::PayWithStars { charge, purchase, item, stars } => {
            if progress.stars_charges.contains_key(charge) {
                return Ok(Vec::new());
            }
            // One grant per purchase: another charge for it is paid back.
            if progress.stars_charges.values().any(|paid| paid.purchase == *purchase) {
                return Ok(vec![Event::StarsPaidTwice { charge: charge.clone(), purchase: *purchase, stars: *stars }]);
            }
            // Telegram has taken the Stars: the item is owed whatever
            // changed since pre-checkout, so nothing but the grant is checked.
            let mut events = delivery(state, &shop_item(item)?.rewards, ctx, &mut journal)?;
            events.push(Event::StarsPaid {
                charge: charge.clone(),
                purchase: *purchase,
                item: item.clone(),
                stars: *stars,
            });
            Ok(events)
        }
        ShopCommand::RefundStars { charge } => {
            let paid = progress.stars_charges.get(charge).ok_or(RuleError::UnknownCharge)?;
            if paid.refunded {
                return Ok(Vec::new());
            }
            let mut events = match ctx.content.shop_item(&paid.item) {
                Some(item) => reversal(state, item, ctx, &mut journal),
                None => Vec::new(),
            };
            events.push(Event::StarsRefunded { charge: charge.clone() });
            Ok(events)
        }
    }
}

/// What the buyer receives: the item's rewards (a bundle's, summed) and a
/// purchase counted.
pub(crate) fn delivery(
    state: &UserState,
    rewards: &Reward,
    ctx: Ctx<'_>,
    journal: &mut Journal<'_>,
) -> Result<Vec<Event>, RuleError> {
    let holdings = Holdings { balance: state.wallet.balance, spent_items: &Default::default() };
    let mut events = grant(rewards, state, holdings, Reason::ShopReward, ctx, journal)?;
    events.push(Event::CounterIncremented { counter: "purchases".to_owned(), by: 1 });
    Ok(events)
}

/// Takes back what a refunded item gave, as far as the player still holds
/// it: besitos and items up to what is left, VIP days not yet lived.
/// Experience, achievements and unlocks stay: they record what happened.
fn reversal(state: &UserState, item: &ShopItem, ctx: Ctx<'_>, journal: &mut Journal<'_>) -> Vec<Event> {
    let rewards = &item.rewards;
    let mut events = Vec::new();
    let besitos = i64::try_from(rewards.besitos).unwrap_or(i64::MAX).min(state.wallet.balance);
    if besitos > 0 {
        events.push(journal.debit(besitos, Reason::RefundReversal));
    }
    for (id, &quantity) in &rewards.items {
        let quantity = quantity.min(state.item_count(id));
        if quantity > 0 {
            events.push(Event::ItemsConsumed { item: id.clone(), quantity });
        }
    }
    if rewards.vip_trial_days > 0 {
        events.extend(vip::shorten(state, ctx, rewards.vip_trial_days));
    }
    events
}
