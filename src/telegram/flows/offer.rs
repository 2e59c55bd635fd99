//! Contextual offers: `/ofertas` (`/offers`), an offer card's button —
//! opening it is recorded, buying an item offer or a bundle in besitos
//! runs the purchase saga at the offer's price, a trial is taken — and the card
//! itself, sent after the reply whose decision showed the offer
//! ([`Intake::send_offer_cards`]). An expired offer's button answers that
//! it expired and charges nothing (the game refuses it).

use dianabot_actors::{Envelope, Outcome};
use dianabot_game::content::Content;
use dianabot_game::content::offers::{Deal, Offer};
use dianabot_game::{Command, Currency, OfferCommand, RuleError, UpdateId, UserId, UserState, shop};

use crate::telegram::callback::{Action, tag};
use crate::telegram::intake::{Failure, Handled, Intake};
use crate::telegram::outbound::{OutboundRequest, Priority};
use crate::telegram::screens::{self, Rendered};
use crate::telegram::translate::{Origin, ReplyTo, Translation};

#[derive(Debug)]
pub enum OfferRequest {
    /// The running offers.
    List { user_id: UserId, reply: ReplyTo },
    /// An offer's card, opened from the list; `offer` is its id's tag.
    Open { user_id: UserId, offer: u32, reply: ReplyTo },
    /// The card's buy (or accept) button.
    Buy { user_id: UserId, offer: u32, update_id: UpdateId, reply: ReplyTo },
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
        Action::OfferBuy { offer } => OfferRequest::Buy { user_id, offer, update_id: origin.update_id, reply },
        _ => return None,
    };
    Some(Translation::Offer(request))
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
            OfferRequest::Buy { user_id, offer: wanted, update_id, reply } => {
                let Some(offer) = offer(&self.router.content(), wanted) else {
                    return Ok(self.refuse_press(reply, RuleError::UnknownOffer));
                };
                if let Err(refused) = self.open_offer(user_id, &offer).await? {
                    self.answer(reply, Some(refused));
                    return Ok(Handled::Durable);
                }
                self.buy_offer(user_id, offer, update_id, reply).await
            }
        }
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
            Deal::Trial { .. } => {
                let command = Command::Offer(OfferCommand::Accept { offer: offer.id.clone() });
                let envelope = Envelope { user_id, update_id: Some(update_id), command };
                let render = move |state: &UserState, outcome: Outcome<'_>| match outcome {
                    Outcome::Refused(refusal) => (screens::offer::refused(state.language(), refusal), false),
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
            // Stars offers (an item or a VIP plan) are refused by the
            // content reader (not sold by invoice yet), so none is shown.
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
