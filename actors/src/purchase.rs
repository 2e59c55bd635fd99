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
//! the item once per charge and sells the unit. An offer in Stars is
//! checked the offer's way at pre-checkout ([`Coordinator::offer_pre_checkout`])
//! and paid through the same [`Coordinator::stars_paid`].

use dianabot_game::content::offers::Deal;
use dianabot_game::{Command, Ctx, Currency, Event, OfferCommand, RuleError, ShopCommand, UpdateId, UserId};
use dianabot_game::{offer, shop};
use dianabot_persistence::{PurchaseStatus, Reservation, StoreError};
use dianabot_plumbing::{Backoff, retry_while};
use tracing::Instrument;

use crate::message::{DispatchError, Outcome};
use crate::saga::{ATTEMPTS, Coordinator};
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

// offers-stars
/// A `pre_checkout_query` for an offer's invoice: who pays how many Stars
/// for which offer, on which invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferCheckout {
    pub buyer: UserId,
    pub purchase: i64,
    pub offer: String,
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
            Ok(None) => return self.repeated_purchase(buyer, item, update_id).await,
            Ok(Some(purchase)) => purchase,
        };
        Ok(self.finish_purchase(buyer, purchase, item).await)
    }

    /// The answer to a purchase update delivered again once its purchase
    /// is over — a node died before acknowledging it and the shard's next
    /// owner finished it first: what that purchase came to, as the first
    /// delivery would have answered.
    ///
    /// A store that cannot say is a transient failure: the update stays
    /// unacknowledged and comes again.
    async fn repeated_purchase(
        &self,
        buyer: UserId,
        item: &str,
        update: Option<UpdateId>,
    ) -> Result<PurchaseOutcome, DispatchError> {
        let Some(update) = update else { return Ok(PurchaseOutcome::Duplicate) };
        let outcome = match self.store.purchase_paid_by(buyer, item, update).await {
            Ok(Some(PurchaseStatus::Completed)) => PurchaseOutcome::Completed,
            Ok(Some(PurchaseStatus::Pending)) => PurchaseOutcome::InFlight,
            Ok(Some(PurchaseStatus::Failed | PurchaseStatus::Refunded)) => {
                PurchaseOutcome::Compensated(RuleError::Malformed(dianabot_game::Malformed::NotDelivered))
            }
            // The first delivery paid nothing: it was refused.
            Ok(None) => PurchaseOutcome::Duplicate,
            Err(err) => {
                tracing::warn!(error = %err, "reading what a repeated purchase came to failed");
                return Err(DispatchError::NotDurable);
            }
        };
        Ok(outcome)
    }

    /// Steps 2 to 4 of a paid purchase, or the compensation.
    pub(crate) async fn finish_purchase(&self, buyer: UserId, purchase: i64, item: &str) -> PurchaseOutcome {
        if let Some(stock) = self.stock_of(item) {
            let reservation = Reservation { purchase, user: buyer, expires_at: None };
            if let Err(err) = self.reserve_unit(item, stock, reservation).await {
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

    // cluster-placed
    /// Step 2. A keeper on another node that did not answer may have
    /// reserved the unit (or its shard is moving): asked again (idempotent
    /// by purchase) rather than refunded. Its refusals and its own store
    /// failures compensate at once, as on one node.
    async fn reserve_unit(&self, item: &str, stock: u32, reservation: Reservation) -> Result<(), StockError> {
        let unavailable = |err: &StockError| matches!(err, StockError::Unavailable);
        retry_while(Backoff::STORE, ATTEMPTS, || self.stock.reserve(item, stock, reservation), unavailable).await
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

    /// The shop item an offer of the current content sells, if it sells one.
    fn offer_item(&self, offer: &str) -> Option<String> {
        match &self.router.content().offer(offer)?.deal {
            Deal::Item { item, .. } => Some(item.as_str().to_owned()),
            _ => None,
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
        let Some(item) = self.router.content().shop_item(&checkout.item).cloned() else {
            return Ok(Err(RuleError::UnknownShopItem(checkout.item)));
        };
        let price = self.check_buyer(checkout.buyer, move |state, ctx| shop::check(state, &item, Currency::Stars, ctx));
        let price = price.await?;
        match price {
            Err(refusal) => return Ok(Err(refusal)),
            Ok(price) if price != u64::from(checkout.stars) => return Ok(Err(RuleError::PriceChanged { price })),
            Ok(_) => {}
        }
        Ok(self.hold_unit(&checkout.item, checkout.purchase, checkout.buyer).await)
    }

    /// `check` of the buyer's state in their actor, with the current rules,
    /// content and game clock; a buyer never registered is refused.
    async fn check_buyer<T: Send + 'static>(
        &self,
        buyer: UserId,
        check: impl FnOnce(&dianabot_game::UserState, Ctx<'_>) -> Result<T, RuleError> + Send + 'static,
    ) -> Result<Result<T, RuleError>, DispatchError> {
        let (content, rules, now) = (self.router.content(), self.router.rules(), self.router.clock().now());
        let checked = move |state: &dianabot_game::UserState| {
            if !state.is_registered() {
                return Err(RuleError::UnknownUser);
            }
            check(state, Ctx { now, rules: &rules, content: &content, update_id: None })
        };
        self.router.view(buyer, checked).await
    }

    /// For a limited item, a unit held for a Stars checkout for [`STARS_HOLD`].
    async fn hold_unit(&self, item: &str, purchase: i64, buyer: UserId) -> Result<(), RuleError> {
        let Some(stock) = self.stock_of(item) else { return Ok(()) };
        let expires_at = Some(self.router.clock().now() + STARS_HOLD);
        let reservation = Reservation { purchase, user: buyer, expires_at };
        self.stock.reserve(item, stock, reservation).await.map_err(|err| err.refusal())
    }

    // offers-stars
    /// Answers the pre-checkout of an offer's invoice, in the buyer's
    /// actor on the game clock: the offer still runs for them, unbought,
    /// at exactly the invoice's Stars ([`offer::pre_checkout`]); an
    /// item offer's limited item has a unit held, as the shop's.
    pub async fn offer_pre_checkout(&self, checkout: OfferCheckout) -> Result<Result<(), RuleError>, DispatchError> {
        let item = self.offer_item(&checkout.offer);
        let (wanted, stars) = (checkout.offer.clone(), checkout.stars);
        let verdict =
            self.check_buyer(checkout.buyer, move |state, ctx| offer::pre_checkout(state, &wanted, stars, ctx));
        let verdict = verdict.await?;
        if let Err(refusal) = verdict {
            return Ok(Err(refusal));
        }
        match item {
            Some(item) => Ok(self.hold_unit(&item, checkout.purchase, checkout.buyer).await),
            None => Ok(Ok(())),
        }
    }

    /// A `successful_payment` (of a shop item or an offer): grants it once
    /// per charge and sells the unit held at pre-checkout. The events are
    /// empty when the charge was applied before (a re-delivery).
    pub async fn stars_paid(
        &self,
        buyer: UserId,
        payment: Command,
        update_id: Option<UpdateId>,
    ) -> Result<Result<Vec<Event>, RuleError>, DispatchError> {
        let (purchase, item) = match &payment {
            Command::Shop(ShopCommand::PayWithStars { purchase, item, .. }) => (*purchase, Some(item.clone())),
            Command::Offer(OfferCommand::PayWithStars { purchase, offer, .. }) => (*purchase, self.offer_item(offer)),
            _ => return Ok(Err(RuleError::Malformed(dianabot_game::Malformed::InvalidInvoice))),
        };
        let applied = self.step(buyer, update_id, payment).await?;
        if let (Ok(_), Some(item)) = (&applied, item) {
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

    /// Units a crash left reserved for purchases that are over, of the
    /// items `mine` selects (clustering: those whose keeper is here): sold
    /// or released as their purchase row says.
    pub async fn settle_stale_reservations(&self, mine: impl Fn(&str) -> bool) -> Result<usize, StoreError> {
        let stale = self.store.stale_reservations().await?;
        let mut settled = 0;
        for (item, purchase, buyer, status) in stale.iter().filter(|(item, ..)| mine(item)) {
            self.settle_unit(item, *purchase, *buyer, *status).await;
            settled += 1;
        }
        Ok(settled)
    }
}
