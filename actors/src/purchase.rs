//! COMPRAR_ITEM across actors: the buyer's actor and, for a limited item,
//! the item's stock keeper.
//!
//! In besitos: (1) the buyer pays — every check, then the debit, with a
//! `pending` purchase row in the same commit; (2) the keeper reserves a
//! unit; (3) the buyer receives the item; (4) the keeper marks the unit
//! sold. A refusal or failure after (1) compensates: the buyer's besitos
//! come back (`AbortPurchase`) and the unit goes back on the shelf. Steps
//! are idempotent, so a step that crashed is retried; the buyer's actor is
//! the single authority on whether a purchase was delivered or refunded
//! (exactly one of its closing steps applies), and the stock follows what
//! the durable purchase row says.
//!
//! In Telegram Stars, Telegram takes the payment: pre-checkout runs the
//! same checks and reserves the unit for [`STARS_HOLD`]; the payment grants
//! the item once per charge and sells the unit.

use dianabot_game::shop;
use dianabot_game::{Command, Ctx, Currency, Event, OfferCommand, RuleError, ShopCommand, UpdateId, UserId};
use dianabot_persistence::{PurchaseStatus, Reservation, StoreError};
use tracing::Instrument;

use crate::message::{DispatchError, Outcome};
use crate::saga::Coordinator;
use crate::stock::StockError;

/// How long a unit stays reserved for a Stars checkout the player may
/// abandon.
pub const STARS_HOLD: i64 = 15 * 60;

/// What became of a purchase in besitos.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PurchaseOutcome {
    /// Paid and delivered.
    Completed,
    /// Refused by the checks; nothing moved.
    Refused(RuleError),
    /// Paid, then a later step failed (sold out, say): the besitos came
    /// back and the unit went back on the shelf.
    Compensated(RuleError),
    /// Paid and not yet delivered or refunded (the buyer's actor keeps
    /// failing); the purchase row is `pending` and recovery finishes it.
    InFlight,
    /// The same press was handled before (a re-delivered update) and its
    /// purchase is over; nothing happened now.
    Duplicate,
}

/// A `pre_checkout_query`, as the invoice payload and Telegram describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreCheckout {
    pub buyer: UserId,
    pub purchase: i64,
    pub item: String,
    pub stars: u32,
}

impl Coordinator {
    /// Buys `item` for `buyer` in besitos as purchase `purchase` (unique:
    /// [`Coordinator::next_id`]). A re-delivered `update_id` opens nothing;
    /// it finishes the purchase of `item` its first delivery left open.
    pub async fn purchase(
        &self,
        buyer: UserId,
        item: &str,
        purchase: i64,
        update_id: Option<UpdateId>,
    ) -> Result<PurchaseOutcome, DispatchError> {
        let span = tracing::info_span!("purchase", user_id = %buyer, item, purchase);
        let start = Command::Shop(ShopCommand::StartPurchase { purchase, item: item.to_owned() });
        self.purchase_saga(buyer, item, purchase, update_id, start).instrument(span).await
    }

    // offers
    /// Buys the item of offer `offer` for `buyer` in besitos, at the
    /// offer's price, as purchase `purchase`: the same saga, whose first
    /// step checks the offer runs (an expired or unknown offer is refused,
    /// nothing charged) and binds the purchase to it.
    pub async fn purchase_offer(
        &self,
        buyer: UserId,
        offer: &str,
        item: &str,
        purchase: i64,
        update_id: Option<UpdateId>,
    ) -> Result<PurchaseOutcome, DispatchError> {
        let span = tracing::info_span!("purchase", user_id = %buyer, item, purchase, offer);
        let start = Command::Offer(OfferCommand::StartPurchase { purchase, offer: offer.to_owned() });
        self.purchase_saga(buyer, item, purchase, update_id, start).instrument(span).await
    }

    async fn purchase_saga(
        &self,
        buyer: UserId,
        item: &str,
        purchase: i64,
        update_id: Option<UpdateId>,
        start: Command,
    ) -> Result<PurchaseOutcome, DispatchError> {
        // The buyer's state binds the update to its purchase: the one this
        // delivery opened, or (a re-delivery) an open purchase of the same
        // item the first delivery left in flight. A purchase that is over
        // left `purchases_open`.
        let wanted = item.to_owned();
        let in_flight = move |state: &dianabot_game::UserState, outcome: Outcome<'_>| match outcome {
            Outcome::Refused(refusal) => Err(refusal.clone()),
            _ if state.progress.purchases_open.contains_key(&purchase) => Ok(Some(purchase)),
            _ => Ok(state.progress.purchases_open.iter().find(|(_, open)| open.item == wanted).map(|(&open, _)| open)),
        };
        let purchase = match self.step_with(buyer, update_id, start, in_flight).await? {
            Err(refusal) => return Ok(PurchaseOutcome::Refused(refusal)),
            Ok(None) => return Ok(PurchaseOutcome::Duplicate),
            Ok(Some(purchase)) => purchase,
        };
        Ok(self.finish_purchase(buyer, purchase, item).await)
    }

    /// Steps 2 to 4 of a paid purchase, or the compensation.
    pub(crate) async fn finish_purchase(&self, buyer: UserId, purchase: i64, item: &str) -> PurchaseOutcome {
        if let Some(stock) = self.stock_of(item) {
            let reservation = Reservation { purchase, user: buyer, expires_at: None };
            if let Err(err) = self.stock.reserve(item, stock, reservation).await {
                tracing::info!(error = %err, purchase, "no unit reserved; refunding");
                return self.compensate(buyer, purchase, item, err.refusal()).await;
            }
        }
        match self.step_retried(buyer, Command::Shop(ShopCommand::FulfilPurchase { purchase })).await {
            Ok(Ok(_)) => {
                self.settle_unit(item, purchase, buyer, PurchaseStatus::Completed).await;
                PurchaseOutcome::Completed
            }
            Ok(Err(refusal)) => self.compensate(buyer, purchase, item, refusal).await,
            Err(err) => {
                tracing::warn!(error = %err, purchase, "delivery kept failing; refunding");
                let why = RuleError::Malformed(dianabot_game::Malformed::NotDelivered);
                self.compensate(buyer, purchase, item, why).await
            }
        }
    }

    /// Refunds the buyer unless the purchase was delivered after all (a
    /// delivery whose answer was lost), then settles the unit the way the
    /// durable purchase row says.
    async fn compensate(&self, buyer: UserId, purchase: i64, item: &str, why: RuleError) -> PurchaseOutcome {
        if let Err(err) = self.step_retried(buyer, Command::Shop(ShopCommand::AbortPurchase { purchase })).await {
            tracing::error!(error = %err, purchase, "purchase left in flight; recovery will finish it");
            return PurchaseOutcome::InFlight;
        }
        let status = match self.store.purchase_status(purchase).await {
            Ok(status) => status.unwrap_or(PurchaseStatus::Failed),
            Err(err) => {
                tracing::error!(error = %err, purchase, "reading the purchase failed; recovery will settle it");
                return PurchaseOutcome::InFlight;
            }
        };
        self.settle_unit(item, purchase, buyer, status).await;
        match status {
            PurchaseStatus::Completed => PurchaseOutcome::Completed,
            _ => PurchaseOutcome::Compensated(why),
        }
    }

    /// Sells or releases the purchase's unit of a limited item, following
    /// the purchase's final `status`. Retried: a unit left reserved is
    /// settled by [`Coordinator::recover`].
    async fn settle_unit(&self, item: &str, purchase: i64, buyer: UserId, status: PurchaseStatus) {
        let Some(stock) = self.stock_of(item) else { return };
        let settled = self
            .retried(|| async {
                match status {
                    PurchaseStatus::Completed => self.stock.sell(item, stock, purchase, buyer).await,
                    _ => self.stock.release(item, purchase).await,
                }
            })
            .await;
        match settled {
            Ok(()) => {}
            // Only a Stars payment whose reservation lapsed gets here:
            // Telegram took the Stars, the player keeps the item, and
            // operators hear of it.
            Err(StockError::SoldOut) => {
                tracing::error!(item, purchase, "paid after the reservation lapsed and the stock ran out")
            }
            Err(err) => tracing::error!(error = %err, item, purchase, "unit left reserved; recovery will settle it"),
        }
    }

    /// Units of a limited item in the current content.
    fn stock_of(&self, item: &str) -> Option<u32> {
        self.router.content().shop_item(item).and_then(|item| item.stock)
    }

    /// Units of `item` left (`None` for an unlimited or unknown item).
    pub async fn stock_left(&self, item: &str) -> Option<u32> {
        let stock = self.stock_of(item)?;
        self.stock.left(item, stock).await.ok()
    }

    /// Answers a Stars pre-checkout: the item is still on sale to this
    /// player at this price, and (if limited) a unit is held for them.
    pub async fn pre_checkout(&self, checkout: PreCheckout) -> Result<Result<(), RuleError>, DispatchError> {
        let content = self.router.content();
        let rules = self.router.rules();
        let Some(item) = content.shop_item(&checkout.item).cloned() else {
            return Ok(Err(RuleError::UnknownShopItem(checkout.item)));
        };
        let stock = item.stock;
        let now = self.router.clock().now();
        let price = self
            .router
            .view(checkout.buyer, move |state| {
                let ctx = Ctx { now, rules: &rules, content: &content, update_id: None };
                if !state.is_registered() {
                    return Err(RuleError::UnknownUser);
                }
                shop::check(state, &item, Currency::Stars, ctx)
            })
            .await?;
        match price {
            Err(refusal) => return Ok(Err(refusal)),
            Ok(price) if price != u64::from(checkout.stars) => return Ok(Err(RuleError::PriceChanged { price })),
            Ok(_) => {}
        }
        if let Some(stock) = stock {
            let expires_at = Some(self.router.clock().now() + STARS_HOLD);
            let reservation = Reservation { purchase: checkout.purchase, user: checkout.buyer, expires_at };
            if let Err(err) = self.stock.reserve(&checkout.item, stock, reservation).await {
                return Ok(Err(err.refusal()));
            }
        }
        Ok(Ok(()))
    }

    /// A `successful_payment`: grants the item once per charge and sells
    /// the unit held at pre-checkout. The events are empty when the charge
    /// was applied before (a re-delivery).
    pub async fn stars_paid(
        &self,
        buyer: UserId,
        payment: Command,
        update_id: Option<UpdateId>,
    ) -> Result<Result<Vec<Event>, RuleError>, DispatchError> {
        let Command::Shop(ShopCommand::PayWithStars { purchase, item, .. }) = &payment else {
            return Ok(Err(RuleError::Malformed(dianabot_game::Malformed::InvalidInvoice)));
        };
        let (purchase, item) = (*purchase, item.clone());
        let applied = self.step(buyer, update_id, payment).await?;
        if applied.is_ok() {
            self.settle_unit(&item, purchase, buyer, PurchaseStatus::Completed).await;
        }
        Ok(applied)
    }

    /// After Telegram gave the Stars of `charge` back: takes back what the
    /// item gave and puts its unit back on the shelf.
    pub async fn refund_stars(
        &self,
        buyer: UserId,
        charge: &str,
        purchase: i64,
        item: &str,
    ) -> Result<Result<Vec<Event>, RuleError>, DispatchError> {
        let refunded =
            self.step(buyer, None, Command::Shop(ShopCommand::RefundStars { charge: charge.to_owned() })).await?;
        if refunded.is_ok() {
            self.settle_unit(item, purchase, buyer, PurchaseStatus::Refunded).await;
        }
        Ok(refunded)
    }

    /// Units a crash left reserved for purchases that are over: sold or
    /// released as their purchase row says.
    pub(crate) async fn settle_stale_reservations(&self) -> Result<usize, StoreError> {
        let stale = self.store.stale_reservations().await?;
        for (item, purchase, buyer, status) in &stale {
            self.settle_unit(item, *purchase, *buyer, *status).await;
        }
        Ok(stale.len())
    }
}
