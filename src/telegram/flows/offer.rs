//! Contextual offers: `/ofertas` (`/offers`), an offer card's button —
//! opening it is recorded, buying an item offer or a bundle in besitos
//! runs the purchase saga at the offer's price, a trial or a VIP plan in
//! besitos is taken in one decision, an offer in Stars sends its invoice —
//! and the card itself, sent after the reply whose decision showed the offer
//! ([`Intake::send_offer_cards`]). An expired offer's button answers that
//! it expired and charges nothing (the game refuses it).
//!
//! offers-stars: an offer's invoice is signed like the shop's and names
//! `offer.<id>`; its pre-checkout asks the player's actor whether the
//! offer still runs for them at that price; its payment grants the offer
//! once per Telegram charge (a second charge of one item invoice is given
//! back, as the shop does).

use dianabot_actors::{Envelope, OfferCheckout, Outcome};
use dianabot_game::content::Content;
use dianabot_game::content::offers::{Deal, Offer};
use dianabot_game::{Command, Currency, Event, Language, OfferCommand, RuleError, UpdateId, UserId, UserState, shop};
use teloxide_core::types::{PreCheckoutQuery, SuccessfulPayment};

use super::shop::{paid_invoice, paid_twice, pre_checkout};
use crate::telegram::callback::{Action, CallbackCodec, InvoicePayload, tag};
use crate::telegram::intake::{Failure, Handled, Intake};
use crate::telegram::outbound::{OutboundRequest, Priority};
use crate::telegram::screens::{self, Rendered, vip as vip_screens};
use crate::telegram::translate::{Origin, ReplyTo, Translation};

/// Invoice payloads of offers name `offer.<id>` where a shop payload names
/// an item (ids never hold a dot, so the two cannot meet).
const PAYLOAD_PREFIX: &str = "offer.";

#[derive(Debug)]
pub enum OfferRequest {
    /// The running offers.
    List { user_id: UserId, reply: ReplyTo },
    /// An offer's card, opened from the list; `offer` is its id's tag.
    Open { user_id: UserId, offer: u32, reply: ReplyTo },
    /// The card's buy (or accept) button.
    Buy { user_id: UserId, offer: u32, update_id: UpdateId, chat_id: i64, reply: ReplyTo },
    /// A `pre_checkout_query` for an offer's invoice: what it asks, or why
    /// it is declined before the game is asked.
    PreCheckout { query_id: String, checkout: Result<OfferCheckout, RuleError>, language: Language },
    /// A `successful_payment` of an offer's invoice: the command it is
    /// owed and the offer, or why it matches no invoice of ours.
    Paid {
        user_id: UserId,
        chat_id: i64,
        update_id: UpdateId,
        payment: Result<(Command, String), RuleError>,
        language: Language,
    },
}

pub fn text(origin: &Origin<'_>, name: &str) -> Option<Translation> {
    matches!(name, "ofertas" | "offers")
        .then(|| Translation::Offer(OfferRequest::List { user_id: origin.user_id, reply: origin.reply.clone() }))
}

pub fn press(origin: &Origin<'_>, action: Action) -> Option<Translation> {
    let (user_id, reply) = (origin.user_id, origin.reply.clone());
    let request = match action {
        Action::Offers => OfferRequest::List { user_id, reply },
        Action::OfferOpen { offer } => OfferRequest::Open { user_id, offer, reply },
        Action::OfferBuy { offer } => {
            OfferRequest::Buy { user_id, offer, update_id: origin.update_id, chat_id: origin.chat_id, reply }
        }
        _ => return None,
    };
    Some(Translation::Offer(request))
}

/// The offer a signed invoice payload is for, if it is an offer's invoice.
fn offer_invoice(codec: &CallbackCodec, payload: &str) -> Option<String> {
    let invoice = codec.verify_invoice(payload).ok()?;
    invoice.item.strip_prefix(PAYLOAD_PREFIX).map(str::to_owned)
}

/// A pre-checkout of an offer's invoice; `None` for any other.
pub fn pre_checkout_query(codec: &CallbackCodec, query: &PreCheckoutQuery) -> Option<Translation> {
    let offer = offer_invoice(codec, &query.invoice_payload)?;
    let checkout = pre_checkout(codec, query).map(|checked| OfferCheckout {
        buyer: checked.buyer,
        purchase: checked.purchase,
        offer,
        stars: checked.stars,
    });
    Some(Translation::Offer(OfferRequest::PreCheckout {
        query_id: query.id.0.clone(),
        checkout,
        language: Language::from_code(query.from.language_code.as_deref()),
    }))
}

/// A `successful_payment` of an offer's invoice; `None` for any other.
pub fn paid(origin: &Origin<'_>, codec: &CallbackCodec, payment: &SuccessfulPayment) -> Option<Translation> {
    let offer = offer_invoice(codec, &payment.invoice_payload)?;
    let payment = paid_invoice(codec, origin.user_id, payment).map(|invoice| {
        let command = Command::Offer(OfferCommand::PayWithStars {
            charge: payment.telegram_payment_charge_id.0.clone(),
            purchase: invoice.purchase,
            offer: offer.clone(),
            stars: invoice.stars,
        });
        (command, offer)
    });
    Some(Translation::Offer(OfferRequest::Paid {
        user_id: origin.user_id,
        chat_id: origin.chat_id,
        update_id: origin.update_id,
        payment,
        language: origin.language,
    }))
}

/// The offer a button's tag names in `content`.
fn offer(content: &Content, offer: u32) -> Option<Offer> {
    content.offers().iter().find(|candidate| tag(&candidate.id) == offer).cloned()
}

impl Intake {
    pub(in crate::telegram) async fn handle_offer(&self, request: OfferRequest) -> Result<Handled, Failure> {
        match request {
            OfferRequest::List { user_id, reply } => {
                let parts = self.ui_parts();
                let render = move |state: &UserState| screens::offer::list(state, parts.ui());
                let rendered = self.router.view(user_id, render).await;
                self.show(reply, rendered)
            }
            OfferRequest::Open { user_id, offer: wanted, reply } => {
                let Some(offer) = offer(&self.router.content(), wanted) else {
                    return Ok(self.refuse_press(reply, RuleError::UnknownOffer));
                };
                match self.open_offer(user_id, &offer).await? {
                    Ok(card) => self.answer(reply, Some(card)),
                    Err(refused) => self.answer(reply, Some(refused)),
                }
                Ok(Handled::Durable)
            }
            OfferRequest::Buy { user_id, offer: wanted, update_id, chat_id, reply } => {
                let Some(offer) = offer(&self.router.content(), wanted) else {
                    return Ok(self.refuse_press(reply, RuleError::UnknownOffer));
                };
                if let Err(refused) = self.open_offer(user_id, &offer).await? {
                    self.answer(reply, Some(refused));
                    return Ok(Handled::Durable);
                }
                if offer.deal.price().is_some_and(|price| price.currency == Currency::Stars) {
                    return self.offer_invoice(user_id, offer, update_id, chat_id, reply).await;
                }
                self.buy_offer(user_id, offer, update_id, reply).await
            }
            OfferRequest::PreCheckout { query_id, checkout, language } => {
                let verdict = match checkout {
                    Ok(checkout) => self.coordinator.offer_pre_checkout(checkout).await,
                    Err(refusal) => Ok(Err(refusal)),
                };
                Ok(self.answer_pre_checkout(query_id, verdict, language))
            }
            OfferRequest::Paid { user_id, chat_id, update_id, payment, language } => {
                self.offer_paid(user_id, chat_id, update_id, payment, language).await
            }
        }
    }

    /// Checks the offer in Stars may be bought and counts the attempt,
    /// then sends its invoice at the player's price (their experiment
    /// variant's), for a new purchase id.
    async fn offer_invoice(
        &self,
        user_id: UserId,
        offer: Offer,
        update_id: UpdateId,
        chat_id: i64,
        reply: ReplyTo,
    ) -> Result<Handled, Failure> {
        let purchase = self.coordinator.next_id().await?;
        let item = format!("{PAYLOAD_PREFIX}{}", offer.id);
        let command = Command::Offer(OfferCommand::RequestInvoice { offer: offer.id.clone() });
        let envelope = Envelope { user_id, update_id: Some(update_id), command };
        let render = move |state: &UserState, outcome: Outcome<'_>| match outcome {
            Outcome::Applied(_) => {
                let shown = state.progress.offers.as_deref().and_then(|offers| offers.active(&offer.id));
                let price = shown.and_then(|shown| offer.price(shown.variant()));
                let stars = price.and_then(|price| u32::try_from(price.amount).ok());
                stars.map(|stars| (screens::offer::invoice_texts(state.language(), &offer), stars)).ok_or(None)
            }
            Outcome::Refused(refusal) => Err(Some(screens::offer::refused(state.language(), refusal))),
            Outcome::Duplicate | Outcome::Viewed => Err(None),
        };
        let dispatched = self.router.dispatch(envelope, render).await?;
        dispatched.durable.wait().await?;
        match dispatched.reply {
            Ok(((title, description), stars)) => {
                let payload =
                    self.translator.codec.sign_invoice(&InvoicePayload { purchase, buyer: user_id, item, stars });
                self.answer(reply, None);
                self.outbound.submit(OutboundRequest::SendInvoice { chat_id, title, description, payload, stars });
            }
            Err(rendered) => self.answer(reply, rendered),
        }
        Ok(Handled::Durable)
    }

    /// Grants a paid offer once per charge and tells the player: the item
    /// as the shop's receipt says, a plan as the VIP screen does (and the
    /// channel link). A second charge of one item invoice is given back.
    async fn offer_paid(
        &self,
        user_id: UserId,
        chat_id: i64,
        update_id: UpdateId,
        payment: Result<(Command, String), RuleError>,
        language: Language,
    ) -> Result<Handled, Failure> {
        let (command, id) = match payment {
            Ok(payment) => payment,
            Err(refusal) => {
                tracing::error!(user_id = %user_id, %refusal, "an offer payment matches no invoice of ours");
                self.receipt(chat_id, screens::refusal(language, &refusal));
                return Ok(Handled::Ignored);
            }
        };
        let parts = self.ui_parts();
        let offer = parts.content.offer(&id).cloned();
        let events = match self.coordinator.stars_paid(user_id, command, Some(update_id)).await? {
            Ok(events) => events,
            Err(refusal) => {
                tracing::error!(user_id = %user_id, offer = id, %refusal, "a paid offer could not be granted; refund it");
                self.receipt(chat_id, screens::refusal(language, &refusal));
                return Ok(Handled::Durable);
            }
        };
        if let Some((charge, stars)) = paid_twice(&events) {
            let name = offer.map_or_else(String::new, |offer| offer.name.get(language).to_owned());
            self.refund_extra_charge(user_id, &charge, language, &name, stars, chat_id).await;
            return Ok(Handled::Durable);
        }
        let Some(offer) = offer.filter(|_| !events.is_empty()) else {
            tracing::info!(user_id = %user_id, offer = id, "offer payment applied before; not granted again");
            return Ok(Handled::Durable);
        };
        let item = match &offer.deal {
            Deal::Item { item, .. } => parts.content.shop_item(item.as_str()).cloned(),
            _ => None,
        };
        let vip_changed = events.iter().any(|event| matches!(event, Event::VipChanged { .. }));
        let render = move |state: &UserState| match &item {
            Some(item) => screens::stars_paid(state, parts.ui(), item),
            None => vip_screens::paid(state, parts.ui(), &events),
        };
        if let Ok(rendered) = self.router.view(user_id, render).await {
            self.receipt(chat_id, rendered);
        }
        if vip_changed {
            self.vip_sync(user_id).await;
        }
        Ok(Handled::Durable)
    }

    /// Records the offer opened (once; a re-delivery changes nothing, so
    /// no update id) and answers its card, or why it cannot be.
    async fn open_offer(&self, user_id: UserId, offer: &Offer) -> Result<Result<Rendered, Rendered>, Failure> {
        let parts = self.ui_parts();
        let id = offer.id.clone();
        let command = Command::Offer(OfferCommand::Open { offer: id.clone() });
        let envelope = Envelope { user_id, update_id: None, command };
        let render = move |state: &UserState, outcome: Outcome<'_>| match outcome {
            Outcome::Refused(refusal) => Err(screens::offer::refused(state.language(), refusal)),
            _ => {
                let shown = state.progress.offers.as_deref().and_then(|offers| offers.active(&id));
                let card = shown.and_then(|shown| screens::offer::card(state, parts.ui(), shown));
                card.ok_or_else(|| screens::offer::refused(state.language(), &RuleError::OfferExpired))
            }
        };
        let dispatched = self.router.dispatch(envelope, render).await?;
        dispatched.durable.wait().await?;
        Ok(dispatched.reply)
    }

    async fn buy_offer(
        &self,
        user_id: UserId,
        offer: Offer,
        update_id: UpdateId,
        reply: ReplyTo,
    ) -> Result<Handled, Failure> {
        let parts = self.ui_parts();
        match &offer.deal {
            Deal::Trial { .. } | Deal::VipPlan { .. } => {
                let command = Command::Offer(OfferCommand::Accept { offer: offer.id.clone() });
                let envelope = Envelope { user_id, update_id: Some(update_id), command };
                let render = move |state: &UserState, outcome: Outcome<'_>| match outcome {
                    Outcome::Refused(refusal) => (screens::offer::refused(state.language(), refusal), false),
                    // offers-stars: a VIP plan bought in besitos.
                    Outcome::Applied(events) if matches!(offer.deal, Deal::VipPlan { .. }) => {
                        (vip_screens::paid(state, parts.ui(), events), true)
                    }
                    _ => (screens::offer::taken(state, &offer), true),
                };
                let dispatched = self.router.dispatch(envelope, render).await?;
                dispatched.durable.wait().await?;
                let (rendered, taken) = dispatched.reply;
                self.answer(reply, Some(rendered));
                if taken {
                    self.vip_sync(user_id).await;
                }
                Ok(Handled::Durable)
            }
            Deal::Item { item, price } if price.currency == Currency::Besitos => {
                let Some(shop_item) = parts.content.shop_item(item.as_str()).cloned() else {
                    return Ok(self.refuse_press(reply, RuleError::UnknownShopItem(item.to_string())));
                };
                let purchase = self.coordinator.next_id().await?;
                let outcome = self
                    .coordinator
                    .purchase_offer(user_id, &offer.id, item.as_str(), purchase, Some(update_id))
                    .await?;
                let render = move |state: &UserState| screens::purchase_report(state, parts.ui(), &shop_item, &outcome);
                if let Ok(rendered) = self.router.view(user_id, render).await {
                    self.answer(reply, Some(rendered));
                }
                Ok(Handled::Durable)
            }
            // offers-bundle: every item in one purchase at the bundle's price.
            Deal::Bundle { items, .. } => {
                let item = shop::bundle_key(items);
                let purchase = self.coordinator.next_id().await?;
                let outcome =
                    self.coordinator.purchase_offer(user_id, &offer.id, &item, purchase, Some(update_id)).await?;
                let render =
                    move |state: &UserState| screens::offer::bundle_bought(state, parts.ui(), &offer, &outcome);
                if let Ok(rendered) = self.router.view(user_id, render).await {
                    self.answer(reply, Some(rendered));
                }
                Ok(Handled::Durable)
            }
            // Offers in Stars went to their invoice (`offer_invoice`).
            _ => Ok(self.refuse_press(reply, RuleError::NotSoldFor(Currency::Stars))),
        }
    }

    /// After a reply: the cards of the offers its decision showed, each a
    /// message of its own so the reply above stays as it was.
    pub(in crate::telegram) fn send_offer_cards(&self, chat_id: i64, cards: Vec<Rendered>) {
        for Rendered { text, keyboard } in cards {
            self.outbound.submit(OutboundRequest::Send { chat_id, text, keyboard, priority: Priority::Interactive });
        }
    }
}
