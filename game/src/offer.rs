//! Contextual offers (`offers.toml`): shown at a moment of play, to the
//! players their audience admits, for a while, at most so often; bought
//! only while they run, at their price, once.
//!
//! [`follow`] runs after every decision (after referrals): the decision's
//! events name the moments ([`Trigger`]) — the VIP door refused, a story
//! milestone reached, a bid outbid, a VIP reminder, the balance moved to
//! just short of an offer's item, the first command after days away —,
//! and for each the first offer of that trigger whose audience admits the
//! player (their style from `archetype.rs`, VIP or not, language, level)
//! is shown,
//! unless the `offers` flag is off for them, the offer is running already
//! or its cap is reached. An experiment's flag gives the variant and so
//! the price. The showing sets the `OfferExpiry` timer at the earliest
//! expiry; its firing ([`fired`]) expires what is due, and `follow` moves
//! the timer on: it is always a function of the state
//! ([`Offers::next_expiry`]).
//!
//! Buying: an item in besitos, or a bundle of items (offers-bundle: one
//! purchase whose `item` names them all, see `shop::bundle_key`; never
//! sold to a player holding one of its unique items), goes through the
//! purchase saga
//! ([`OfferCommand::StartPurchase`] is its first step, at the offer's
//! price; the shop's `FulfilPurchase`/`AbortPurchase` close it, and
//! `follow` turns the close into `OfferBought` or puts the offer back); a
//! trial is taken with [`OfferCommand::Accept`] (`vip::grant_days`, once
//! per player), and so is a VIP plan in besitos (`vip::grant_plan`, one
//! decision: no stock to hold). An offer in Stars is paid by its own
//! invoice: [`stars_checkout`] when the invoice is asked for
//! ([`OfferCommand::RequestInvoice`]) and again at pre-checkout, then
//! [`OfferCommand::PayWithStars`] grants it once per Telegram charge — an
//! item the shop's way (`StarsPaid`, so the shop's refund takes it back),
//! a plan's period as a one-off (`vip::grant_plan`, never a subscription).

use serde::{Deserialize, Serialize};

use crate::content::offers::{Deal, Offer, Trigger};
use crate::content::{Content, Currency, ShopItem};
use crate::ctx::{Ctx, Journal};
use crate::error::RuleError;
use crate::event::Event;
use crate::flags::OFFERS;
use crate::ledger::Reason;
use crate::membership::VipFact;
use crate::offers::{ActiveOffer, Offers};
use crate::shop;
use crate::state::UserState;
use crate::timer::{Timer, TimerName};
use crate::vip::{self, GrantKind};

const DAY: i64 = 24 * 60 * 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OfferCommand {
    /// The player opened the offer's card: counted once.
    Open { offer: String },
    /// Step 1 of the purchase saga for an item offer in besitos: every
    /// check, then the offer's price is paid and purchase `purchase`
    /// stays open, bound to the offer. Idempotent by `purchase`.
    StartPurchase { purchase: i64, offer: String },
    /// The player takes a trial offer (its VIP days, once) or buys a VIP
    /// plan offer priced in besitos.
    Accept { offer: String },
    /// The player asks for the invoice of an offer in Stars: checked
    /// ([`stars_checkout`]) and counted as an attempt before the bot sends it.
    RequestInvoice { offer: String },
    /// Telegram took `stars` for offer `offer` (invoice `purchase`, charge
    /// `charge`): what it sells is granted and the offer bought, once per
    /// charge.
    PayWithStars { charge: String, purchase: i64, offer: String, stars: u32 },
}

impl OfferCommand {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            OfferCommand::Open { .. } => "offer_open",
            OfferCommand::StartPurchase { .. } => "offer_start_purchase",
            OfferCommand::Accept { .. } => "offer_accept",
            OfferCommand::RequestInvoice { .. } => "offer_request_invoice",
            OfferCommand::PayWithStars { .. } => "offer_pay_with_stars",
        }
    }
}

/// The offer `id` as it runs for the player at `now`, with its content;
/// refused if it never ran for them, or ran and is over.
pub fn live<'a>(state: &'a UserState, id: &str, ctx: Ctx<'a>) -> Result<(&'a ActiveOffer, &'a Offer), RuleError> {
    let offers = state.progress.offers.as_deref();
    let offer = ctx.content.offer(id).ok_or(RuleError::UnknownOffer)?;
    match offers.and_then(|offers| offers.active(id)) {
        Some(shown) if ctx.now < shown.expires_at => Ok((shown, offer)),
        Some(_) => Err(RuleError::OfferExpired),
        None if offers.is_some_and(|offers| offers.shows.contains_key(id)) => Err(RuleError::OfferExpired),
        None => Err(RuleError::UnknownOffer),
    }
}

/// The shop item an offer sells, if it is on sale and may go to the
/// player (the offer sets the price, so only the rest of `shop::check`).
fn item_for<'a>(state: &UserState, item: &str, in_bundle: bool, ctx: Ctx<'a>) -> Result<&'a ShopItem, RuleError> {
    let shop_item = ctx.content.shop_item(item).ok_or_else(|| RuleError::UnknownShopItem(item.to_owned()))?;
    if !shop_item.available.contains(ctx.now) {
        return Err(RuleError::NotOnSale);
    }
    // A bundle is all its items for one price: not sold to a holder of one.
    if in_bundle && shop_item.unique && shop::owns(shop_item, state) {
        return Err(RuleError::BundleItemOwned { item: item.to_owned() });
    }
    shop::eligible(state, shop_item, ctx)?;
    Ok(shop_item)
}

/// Whether the player may pay for offer `id` in Stars now, and how many:
/// it runs for them and is not being bought in besitos, it is sold in
/// Stars (at their experiment variant's price), and what it sells may
/// still go to them. Asked when the invoice is asked for and again at
/// pre-checkout, on the game clock.
pub fn stars_checkout(state: &UserState, id: &str, ctx: Ctx<'_>) -> Result<u32, RuleError> {
    let (shown, offer) = live(state, id, ctx)?;
    if shown.purchase.is_some() {
        return Err(RuleError::OfferTaken);
    }
    let price = offer.price(shown.variant()).filter(|price| price.currency == Currency::Stars);
    let stars =
        price.and_then(|price| u32::try_from(price.amount).ok()).ok_or(RuleError::NotSoldFor(Currency::Stars))?;
    match &offer.deal {
        Deal::Item { item, .. } => _ = item_for(state, item.as_str(), false, ctx)?,
        Deal::VipPlan { plan, .. } => vip::may_buy(state, *plan)?,
        _ => return Err(RuleError::NotSoldFor(Currency::Stars)),
    }
    Ok(stars)
}

/// A Stars pre-checkout of offer `id` for `stars`: [`stars_checkout`],
/// and the invoice's price still the player's.
pub fn pre_checkout(state: &UserState, id: &str, stars: u32, ctx: Ctx<'_>) -> Result<(), RuleError> {
    let price = stars_checkout(state, id, ctx)?;
    if price != stars {
        return Err(RuleError::PriceChanged { price: price.into() });
    }
    Ok(())
}

pub(crate) fn decide(
    state: &UserState,
    command: &OfferCommand,
    ctx: Ctx<'_>,
    mut journal: Journal<'_>,
) -> Result<Vec<Event>, RuleError> {
    match command {
        OfferCommand::Open { offer } => {
            let (shown, _) = live(state, offer, ctx)?;
            Ok(if shown.opened { Vec::new() } else { vec![Event::OfferOpened { offer: offer.clone() }] })
        }
        OfferCommand::StartPurchase { purchase, offer: id } => {
            if state.progress.purchases_open.contains_key(purchase) {
                return Ok(Vec::new());
            }
            let (shown, offer) = live(state, id, ctx)?;
            if shown.purchase.is_some() {
                return Err(RuleError::OfferTaken);
            }
            let item = offer.deal.purchase_item().ok_or(RuleError::NotSoldFor(Currency::Besitos))?;
            let price = offer.price(shown.variant()).filter(|price| price.currency == Currency::Besitos);
            let price = price.ok_or(RuleError::NotSoldFor(Currency::Besitos))?;
            let attempted = shop::attempt(state, ctx)?;
            for piece in shop::purchased_items(&item) {
                item_for(state, piece, matches!(offer.deal, Deal::Bundle { .. }), ctx)?;
            }
            let besitos = i64::try_from(price.amount).map_err(|_| RuleError::AmountTooLarge(i64::MAX, i64::MAX))?;
            if state.wallet.balance < besitos {
                return Err(RuleError::InsufficientFunds { balance: state.wallet.balance, needed: besitos });
            }
            Ok(vec![
                attempted,
                journal.debit(besitos, Reason::Purchase),
                Event::PurchaseOpened { purchase: *purchase, item, besitos },
                Event::OfferPurchaseStarted { offer: id.clone(), purchase: *purchase },
            ])
        }
        OfferCommand::Accept { offer: id } => {
            let (shown, offer) = live(state, id, ctx)?;
            let (mut events, amount) = match offer.deal {
                Deal::Trial { days } => (vip::grant_days(state, ctx, days, GrantKind::Trial), 0),
                Deal::VipPlan { plan, .. } => {
                    let price = offer.price(shown.variant()).filter(|price| price.currency == Currency::Besitos);
                    let price = price.ok_or(RuleError::NotSoldFor(Currency::Besitos))?;
                    let attempted = shop::attempt(state, ctx)?;
                    vip::may_buy(state, plan)?;
                    let besitos =
                        i64::try_from(price.amount).map_err(|_| RuleError::AmountTooLarge(i64::MAX, i64::MAX))?;
                    if state.wallet.balance < besitos {
                        return Err(RuleError::InsufficientFunds { balance: state.wallet.balance, needed: besitos });
                    }
                    let mut events = vec![attempted, journal.debit(besitos, Reason::Purchase)];
                    events.extend(vip::grant_plan(state, ctx, plan, None, 0));
                    (events, price.amount)
                }
                _ => return Err(RuleError::OfferTaken),
            };
            if events.is_empty() {
                // The player's one trial went already.
                return Err(RuleError::OfferTaken);
            }
            let shown = Box::new(shown.clone());
            events.push(Event::OfferBought { shown, currency: Currency::Besitos, amount });
            Ok(events)
        }
        OfferCommand::RequestInvoice { offer } => {
            let attempted = shop::attempt(state, ctx)?;
            stars_checkout(state, offer, ctx)?;
            Ok(vec![attempted])
        }
        OfferCommand::PayWithStars { charge, purchase, offer: id, stars } => {
            let progress = &state.progress;
            let vip_charge = progress.vip.as_deref().is_some_and(|vip| vip.charges.contains(charge));
            if progress.stars_charges.contains_key(charge) || vip_charge {
                return Ok(Vec::new());
            }
            let offer = ctx.content.offer(id).ok_or(RuleError::UnknownOffer)?;
            // Telegram took the Stars at the price pre-checkout agreed: what
            // the offer sells is owed even if it ran out since.
            let mut events = match &offer.deal {
                Deal::Item { item, .. } => {
                    // One grant per invoice: another charge for it is paid back.
                    if progress.stars_charges.values().any(|paid| paid.purchase == *purchase) {
                        let (charge, purchase, stars) = (charge.clone(), *purchase, *stars);
                        return Ok(vec![Event::StarsPaidTwice { charge, purchase, stars }]);
                    }
                    let shop_item = ctx
                        .content
                        .shop_item(item.as_str())
                        .ok_or_else(|| RuleError::UnknownShopItem(item.to_string()))?;
                    let mut events = shop::delivery(state, &shop_item.rewards, ctx, &mut journal)?;
                    let (charge, purchase, item, stars) = (charge.clone(), *purchase, item.to_string(), *stars);
                    events.push(Event::StarsPaid { charge, purchase, item, stars });
                    events
                }
                Deal::VipPlan { plan, .. } => vip::grant_plan(state, ctx, *plan, Some(charge), *stars),
                _ => return Err(RuleError::NotSoldFor(Currency::Stars)),
            };
            // Bought if it still runs (it may have expired in the seconds
            // between pre-checkout and payment).
            let running = progress.offers.as_deref().and_then(|offers| offers.active(id));
            if let Some(shown) = running.filter(|shown| shown.purchase.is_none()) {
                let shown = Box::new(shown.clone());
                events.push(Event::OfferBought { shown, currency: Currency::Stars, amount: u64::from(*stars) });
            }
            Ok(events)
        }
    }
}

/// The moments of play a decision's events are.
fn triggers<'a>(before: &UserState, events: &'a [Event]) -> Vec<Moment<'a>> {
    let mut moments = Vec::new();
    for event in events {
        let moment = match event {
            Event::VipDenied { .. } => Moment::VipDoor,
            Event::FragmentEntered { fragment, .. } => Moment::Fragment(fragment),
            Event::HoldReleased { .. } => Moment::AuctionLost,
            Event::VipChanged { fact: VipFact::Reminded { .. }, .. } => Moment::VipLapsing,
            // offers2: the balance moved; where it ends is the decision's.
            Event::Ledger(_) => {
                let moved: i64 = events
                    .iter()
                    .filter_map(|event| match event {
                        Event::Ledger(entry) => Some(entry.amount),
                        _ => None,
                    })
                    .sum();
                Moment::Balance(before.wallet.balance.saturating_add(moved))
            }
            // offers2: back after `day - last` days (never for a first day).
            Event::ActiveOn { day } if before.progress.daily_gift.last_active_day > 0 => {
                Moment::Returned(day.saturating_sub(before.progress.daily_gift.last_active_day))
            }
            _ => continue,
        };
        if !moments.contains(&moment) {
            moments.push(moment);
        }
    }
    moments
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Moment<'a> {
    VipDoor,
    Fragment(&'a str),
    AuctionLost,
    VipLapsing,
    // offers2
    /// The balance after a decision that moved it.
    Balance(i64),
    /// The first command after this many days.
    Returned(u32),
}

impl Moment<'_> {
    fn matches(self, trigger: &Trigger) -> bool {
        match (self, trigger) {
            (Moment::VipDoor, Trigger::VipDoor)
            | (Moment::AuctionLost, Trigger::AuctionLost)
            | (Moment::VipLapsing, Trigger::VipLapsing) => true,
            (Moment::Fragment(entered), Trigger::StoryMilestone { fragment }) => fragment.as_str() == entered,
            (Moment::Balance(_), Trigger::BalanceShort { .. }) => true,
            (Moment::Returned(away), Trigger::InactiveReturn { days }) => away >= *days,
            _ => false,
        }
    }

    /// offers2: whether the moment shows `offer` in particular: a balance
    /// moment only an item offer whose item the player cannot afford at
    /// its shop price (in besitos, discount included) and is short of by
    /// at most the trigger's percent.
    fn shows(self, offer: &Offer, ctx: Ctx<'_>) -> bool {
        if !self.matches(&offer.trigger) {
            return false;
        }
        let (Moment::Balance(balance), Trigger::BalanceShort { percent }) = (self, &offer.trigger) else {
            return true;
        };
        let Deal::Item { item, .. } = &offer.deal else { return false };
        let Some(item) = ctx.content.shop_item(item.as_str()) else { return false };
        let Some(price) = shop::price_at(item, ctx.now).besitos.and_then(|price| i64::try_from(price).ok()) else {
            return false;
        };
        let short = price.saturating_sub(balance);
        short > 0 && short.saturating_mul(100) <= price.saturating_mul(i64::from(*percent))
    }
}

/// After every decision: offers the decision's moments show, purchases
/// of offers it closed, and the `OfferExpiry` timer moved to match.
pub(crate) fn follow(before: &UserState, events: &[Event], ctx: Ctx<'_>) -> Vec<Event> {
    let had = before.progress.offers.as_deref();
    let touches_offers = had.is_some()
        && events.iter().any(|event| {
            matches!(
                event,
                Event::PurchaseClosed { .. }
                    | Event::OfferOpened { .. }
                    | Event::OfferPurchaseStarted { .. }
                    | Event::OfferBought { .. }
                    | Event::OfferExpired(_)
                    | Event::TimerCleared(Timer { name: TimerName::OfferExpiry, .. })
            )
        });
    let mut moments = if ctx.content.offers().is_empty() { Vec::new() } else { triggers(before, events) };
    moments.retain(|moment| ctx.content.offers().iter().any(|offer| moment.matches(&offer.trigger)));
    if moments.is_empty() && !touches_offers {
        return Vec::new();
    }
    let mut after = had.cloned().unwrap_or_default();
    events.iter().for_each(|event| after.apply(event));
    let mut out = Vec::new();
    if let Some(had) = had {
        out.extend(closed_purchases(had, events, ctx.now));
    }
    if !moments.is_empty() {
        out.extend(shown(before, &after, &moments, ctx));
    }
    out.iter().for_each(|event| after.apply(event));
    // The timer is a function of the offers: set where the state wants it.
    let mut stored = had.and_then(Offers::next_expiry);
    if events.iter().any(|event| matches!(event, Event::TimerCleared(Timer { name: TimerName::OfferExpiry, .. }))) {
        stored = None;
    }
    match (stored, after.next_expiry()) {
        (stored, Some(due)) if stored != Some(due) => {
            out.push(Event::TimerSet(Timer { name: TimerName::OfferExpiry, due }))
        }
        (Some(due), None) => out.push(Event::TimerCleared(Timer { name: TimerName::OfferExpiry, due })),
        _ => {}
    }
    out
}

/// A purchase bound to an offer closed: bought, or refunded (the offer
/// runs again, or expires if its time went meanwhile).
fn closed_purchases(had: &Offers, events: &[Event], now: i64) -> Vec<Event> {
    let mut out = Vec::new();
    for event in events {
        let Event::PurchaseClosed { purchase, besitos, completed, .. } = event else { continue };
        let Some(shown) = had.active.iter().find(|shown| shown.purchase == Some(*purchase)) else { continue };
        out.push(if *completed {
            let amount = u64::try_from(*besitos).unwrap_or(0);
            Event::OfferBought { shown: Box::new(shown.clone()), currency: Currency::Besitos, amount }
        } else if now >= shown.expires_at {
            let mut shown = shown.clone();
            shown.purchase = None;
            Event::OfferExpired(Box::new(shown))
        } else {
            Event::OfferPurchaseReleased { offer: shown.offer.clone() }
        });
    }
    out
}

/// The offers the moments show: for each, the first offer of its trigger
/// whose audience admits the player, unless it runs already or is capped.
/// The player is judged as they came into the decision (no copy of the
/// state on the hot path).
fn shown(state: &UserState, after: &Offers, moments: &[Moment<'_>], ctx: Ctx<'_>) -> Vec<Event> {
    let content = ctx.content;
    if content.flag(OFFERS, state, ctx.now).is_none() {
        return Vec::new();
    }
    let subject = content.subject(state, ctx.now);
    let level = content.level_for_xp(state.progress.experience_points);
    let mut out: Vec<Event> = Vec::new();
    for moment in moments {
        let admits = |offer: &&Offer| {
            moment.shows(offer, ctx)
                && offer.audience.admits(subject.archetype, subject.vip, subject.language, level)
                && sellable(offer, state, ctx)
        };
        let Some(offer) = content.offers().iter().find(admits) else { continue };
        let running = after.active(&offer.id).is_some()
            || out.iter().any(|event| matches!(event, Event::OfferShown(shown) if shown.offer == offer.id));
        let since = ctx.now - i64::from(offer.cap.days) * DAY;
        let capped = after.shown_since(&offer.id, since) >= offer.cap.shows as usize;
        let trial_used =
            matches!(offer.deal, Deal::Trial { .. }) && state.progress.vip.as_deref().is_some_and(|vip| vip.trial_used);
        if running || capped || trial_used {
            continue;
        }
        out.push(Event::OfferShown(Box::new(ActiveOffer {
            offer: offer.id.clone(),
            archetype: subject.archetype,
            experiment: experiment(offer, state, content, ctx.now),
            shown_at: ctx.now,
            expires_at: ctx.now + i64::from(offer.expires_minutes) * 60,
            opened: false,
            purchase: None,
        })));
    }
    out
}

// offers-bundle
/// Whether the player could buy `offer`: a bundle holding a unique item
/// they have already is not shown (the next offer of the trigger is), as
/// its purchase would be refused.
fn sellable(offer: &Offer, state: &UserState, ctx: Ctx<'_>) -> bool {
    let Deal::Bundle { items, .. } = &offer.deal else { return true };
    let mut items = items.iter().filter_map(|id| ctx.content.shop_item(id.as_str()));
    !items.any(|item| item.unique && shop::owns(item, state))
}

/// The offer's experiment flag and the variant it gives the player, if
/// they are in it.
fn experiment(offer: &Offer, state: &UserState, content: &Content, now: i64) -> Option<(String, String)> {
    let flag = &offer.experiment.as_ref()?.flag;
    let variant = content.flag(flag, state, now)?;
    Some((flag.clone(), variant.to_owned()))
}

/// The `OfferExpiry` timer is due: the offers due by now expire (one being
/// bought waits for its purchase), and the timer is cleared; `follow`
/// sets it again for the next expiry.
pub(crate) fn fired(state: &UserState, timer: Timer, ctx: Ctx<'_>) -> Vec<Event> {
    let mut events = vec![Event::TimerCleared(timer)];
    let Some(offers) = state.progress.offers.as_deref() else { return events };
    for shown in &offers.active {
        if shown.purchase.is_none() && shown.expires_at <= ctx.now {
            events.push(Event::OfferExpired(Box::new(shown.clone())));
        }
    }
    events
}
