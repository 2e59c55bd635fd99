//! The shop: shelves, item pages, COMPRAR_ITEM in besitos (a saga with
//! the item's stock keeper) and in Telegram Stars (invoice, pre-checkout,
//! payment), and an operator's refund of a Stars payment.

use dianabot_actors::{DispatchError, Envelope, Outcome, PreCheckout, PurchaseOutcome};
use dianabot_game::content::{Content, ShopItem};
use dianabot_game::roles::OperatorAction;
use dianabot_game::shop::price_at;
use dianabot_game::{Command, Event, Language, Malformed, RuleError, ShopCommand, UpdateId, Usage, UserId, UserState};
use dianabot_persistence::PurchaseStatus;
use teloxide_core::prelude::Requester;
use teloxide_core::types::{PreCheckoutQuery, SuccessfulPayment, TelegramTransactionId, UserId as TelegramUserId};

use crate::telegram::callback::{Action, CallbackCodec, InvoicePayload, tag};
use crate::telegram::intake::{Failure, Handled, Intake};
use crate::telegram::outbound::OutboundRequest;
use crate::telegram::screens::{self, RefundFailure, Screen};
use crate::telegram::translate::{Operation, Origin, ReplyTo, Translation, user_id};

#[derive(Debug)]
pub enum ShopRequest {
    /// A shop item's page; `item` is the tag its button carries.
    Item { user_id: UserId, item: u32, reply: ReplyTo },
    /// COMPRAR_ITEM in besitos: a saga with the item's stock keeper.
    Purchase { user_id: UserId, item: u32, update_id: UpdateId, reply: ReplyTo },
    /// The player chose to pay in Stars: checked, then an invoice is sent.
    RequestInvoice { user_id: UserId, item: u32, update_id: UpdateId, chat_id: i64, reply: ReplyTo },
    /// A `pre_checkout_query`: what its signed payload asks, or why it is
    /// declined before the game is asked.
    PreCheckout { query_id: String, checkout: Result<PreCheckout, RuleError>, language: Language },
    /// A `successful_payment`: the grant it is owed, or why the payment
    /// cannot be matched to an invoice of ours.
    StarsPaid {
        user_id: UserId,
        chat_id: i64,
        update_id: UpdateId,
        payment: Result<Grant, RuleError>,
        language: Language,
    },
    /// An operator refunds a Stars payment: `/refund <charge id>`.
    RefundStars { charge: String, chat_id: i64, language: Language },
}

pub fn text(origin: &Origin<'_>, name: &str, text: &str) -> Option<Translation> {
    match name {
        "shop" | "tienda" => Some(origin.view(Screen::Shop { category: 0, page: 0 })),
        // The shop's buttons, typed: `/comprar <item id>` pays in besitos.
        "buy" | "comprar" => Some(match text.split_whitespace().nth(1) {
            Some(item) => purchase(origin, tag(item)),
            None => origin.refuse(RuleError::Malformed(Malformed::Usage(Usage::Buy))),
        }),
        "refund" => origin.operate(OperatorAction::Refund, text, || {
            let mut words = text.split_whitespace().skip(1);
            match (words.next(), words.next()) {
                (Some(charge), None) => Ok(Operation {
                    target: Some(format!("charge:{charge}")),
                    then: Translation::Shop(ShopRequest::RefundStars {
                        charge: charge.to_owned(),
                        chat_id: origin.chat_id,
                        language: origin.language,
                    }),
                }),
                _ => Err(RuleError::Malformed(Malformed::Usage(Usage::Refund))),
            }
        }),
        _ => None,
    }
}

pub fn press(origin: &Origin<'_>, action: Action) -> Option<Translation> {
    let (user_id, reply) = (origin.user_id, origin.reply.clone());
    let request = match action {
        Action::Shop { category, page } => return Some(origin.view(Screen::Shop { category, page })),
        Action::ShopItem { item } => ShopRequest::Item { user_id, item, reply },
        Action::BuyWithBesitos { item } => return Some(purchase(origin, item)),
        Action::BuyWithStars { item } => {
            ShopRequest::RequestInvoice { user_id, item, update_id: origin.update_id, chat_id: origin.chat_id, reply }
        }
        _ => return None,
    };
    Some(Translation::Shop(request))
}

fn purchase(origin: &Origin<'_>, item: u32) -> Translation {
    let (user_id, update_id, reply) = (origin.user_id, origin.update_id, origin.reply.clone());
    Translation::Shop(ShopRequest::Purchase { user_id, item, update_id, reply })
}

/// A `successful_payment` message.
pub fn paid(origin: &Origin<'_>, codec: &CallbackCodec, payment: &SuccessfulPayment) -> Translation {
    Translation::Shop(ShopRequest::StarsPaid {
        user_id: origin.user_id,
        chat_id: origin.chat_id,
        update_id: origin.update_id,
        payment: grant_owed(codec, origin.user_id, payment),
        language: origin.language,
    })
}

pub fn pre_checkout_query(codec: &CallbackCodec, query: &PreCheckoutQuery) -> Translation {
    Translation::Shop(ShopRequest::PreCheckout {
        query_id: query.id.0.clone(),
        checkout: pre_checkout(codec, query),
        language: Language::from_code(query.from.language_code.as_deref()),
    })
}

/// What a pre-checkout asks for, if it matches the signed invoice it pays:
/// same buyer, Stars, the invoice's amount.
pub(crate) fn pre_checkout(codec: &CallbackCodec, query: &PreCheckoutQuery) -> Result<PreCheckout, RuleError> {
    let invoice = codec.verify_invoice(&query.invoice_payload).map_err(|_| invalid_invoice())?;
    if Some(invoice.buyer) != user_id(&query.from) {
        return Err(invalid_invoice());
    }
    if query.currency != "XTR" {
        return Err(RuleError::Malformed(Malformed::NotStars { currency: query.currency.clone() }));
    }
    if query.total_amount != invoice.stars {
        return Err(RuleError::PriceChanged { price: u64::from(invoice.stars) });
    }
    Ok(PreCheckout { buyer: invoice.buyer, purchase: invoice.purchase, item: invoice.item, stars: invoice.stars })
}

/// The grant a `successful_payment` is owed, if it pays an invoice of ours.
fn grant_owed(codec: &CallbackCodec, payer: UserId, payment: &SuccessfulPayment) -> Result<Grant, RuleError> {
    let invoice = paid_invoice(codec, payer, payment)?;
    let command = Command::Shop(ShopCommand::PayWithStars {
        charge: payment.telegram_payment_charge_id.0.clone(),
        purchase: invoice.purchase,
        item: invoice.item.clone(),
        stars: invoice.stars,
    });
    Ok(Grant { item: invoice.item, command })
}

/// The signed invoice a `successful_payment` pays, if it is ours and paid
/// as invoiced: by its buyer, in Stars, its amount.
pub(crate) fn paid_invoice(
    codec: &CallbackCodec,
    payer: UserId,
    payment: &SuccessfulPayment,
) -> Result<InvoicePayload, RuleError> {
    let invoice = codec.verify_invoice(&payment.invoice_payload).map_err(|_| invalid_invoice())?;
    if invoice.buyer != payer || payment.currency != "XTR" || payment.total_amount != invoice.stars {
        return Err(invalid_invoice());
    }
    Ok(invoice)
}

/// A second charge for one invoice among a payment's events: its charge id
/// and Stars, owed back.
pub(crate) fn paid_twice(events: &[Event]) -> Option<(String, u32)> {
    events.iter().find_map(|event| match event {
        Event::StarsPaidTwice { charge, stars, .. } => Some((charge.clone(), *stars)),
        _ => None,
    })
}

/// What a verified Stars payment is owed: `item`, by `command`.
#[derive(Debug)]
pub struct Grant {
    pub item: String,
    pub command: Command,
}

pub(crate) fn invalid_invoice() -> RuleError {
    RuleError::Malformed(Malformed::InvalidInvoice)
}

/// The shop item a button's tag names in `content`.
fn shop_item(content: &Content, item: u32) -> Option<ShopItem> {
    content.shop_items().find(|candidate| tag(candidate.id.as_str()) == item).cloned()
}

impl Intake {
    pub(in crate::telegram) async fn handle_shop(&self, request: ShopRequest) -> Result<Handled, Failure> {
        match request {
            ShopRequest::Item { user_id, item, reply } => self.item_page(user_id, item, reply).await,
            ShopRequest::Purchase { user_id, item, update_id, reply } => {
                self.purchase(user_id, item, update_id, reply).await
            }
            ShopRequest::RequestInvoice { user_id, item, update_id, chat_id, reply } => {
                self.request_invoice(user_id, item, update_id, chat_id, reply).await
            }
            ShopRequest::PreCheckout { query_id, checkout, language } => {
                self.pre_checkout(query_id, checkout, language).await
            }
            ShopRequest::StarsPaid { user_id, chat_id, update_id, payment, language } => {
                self.stars_paid(user_id, chat_id, update_id, payment, language).await
            }
            ShopRequest::RefundStars { charge, chat_id, language } => {
                let result = self.refund(&charge).await;
                if let Err(why) = &result {
                    tracing::warn!(charge, %why, "refund refused");
                    self.audit_failed(why);
                }
                self.receipt(chat_id, screens::refund_report(language, &self.router.content(), result));
                Ok(Handled::Ignored)
            }
        }
    }

    async fn item_page(&self, user_id: UserId, item: u32, reply: ReplyTo) -> Result<Handled, Failure> {
        let parts = self.ui_parts();
        let Some(item) = shop_item(&parts.content, item) else {
            return Ok(self.refuse_press(reply, RuleError::UnknownShopItem(String::new())));
        };
        let left = self.coordinator.stock_left(item.id.as_str()).await;
        let render = move |state: &UserState| screens::item_details(state, parts.ui(), &item, left);
        self.show(reply, self.router.view(user_id, render).await)
    }

    async fn purchase(
        &self,
        user_id: UserId,
        item: u32,
        update_id: UpdateId,
        reply: ReplyTo,
    ) -> Result<Handled, Failure> {
        let parts = self.ui_parts();
        let Some(item) = shop_item(&parts.content, item) else {
            return Ok(self.refuse_press(reply, RuleError::UnknownShopItem(String::new())));
        };
        let purchase = self.coordinator.next_id().await?;
        let outcome = self.coordinator.purchase(user_id, item.id.as_str(), purchase, Some(update_id)).await?;
        let render = move |state: &UserState| screens::purchase_report(state, parts.ui(), &item, &outcome);
        if let Ok(rendered) = self.router.view(user_id, render).await {
            self.answer(reply, Some(rendered));
        }
        Ok(Handled::Durable)
    }

    async fn request_invoice(
        &self,
        user_id: UserId,
        item: u32,
        update_id: UpdateId,
        chat_id: i64,
        reply: ReplyTo,
    ) -> Result<Handled, Failure> {
        let parts = self.ui_parts();
        let Some(item) = shop_item(&parts.content, item) else {
            return Ok(self.refuse_press(reply, RuleError::UnknownShopItem(String::new())));
        };
        // The invoice's price is the one in force by the game clock.
        let now = parts.now;
        let purchase = self.coordinator.next_id().await?;
        let command = Command::Shop(ShopCommand::RequestInvoice { item: item.id.as_str().to_owned() });
        let envelope = Envelope { user_id, update_id: Some(update_id), command };
        let item_shown = item.clone();
        let render = move |state: &UserState, outcome: Outcome<'_>| match outcome {
            Outcome::Applied(_) => Ok(state.language()),
            Outcome::Refused(refusal) => {
                let refused = PurchaseOutcome::Refused(refusal.clone());
                Err(Some(screens::purchase_report(state, parts.ui(), &item_shown, &refused)))
            }
            Outcome::Duplicate | Outcome::Viewed => Err(None),
        };
        let dispatched = self.router.dispatch(envelope, render).await?;
        dispatched.durable.wait().await?;
        match dispatched.reply {
            Ok(language) => {
                let stars = price_at(&item, now).stars.unwrap_or_default();
                let invoice = InvoicePayload { purchase, buyer: user_id, item: item.id.as_str().to_owned(), stars };
                let (title, description) = screens::invoice_texts(language, &item);
                let payload = self.translator.codec.sign_invoice(&invoice);
                self.answer(reply, None);
                self.outbound.submit(OutboundRequest::SendInvoice { chat_id, title, description, payload, stars });
            }
            Err(rendered) => self.answer(reply, rendered),
        }
        Ok(Handled::Durable)
    }

    async fn pre_checkout(
        &self,
        query_id: String,
        checkout: Result<PreCheckout, RuleError>,
        language: Language,
    ) -> Result<Handled, Failure> {
        let verdict = match checkout {
            Ok(checkout) => self.coordinator.pre_checkout(checkout).await,
            Err(refusal) => Ok(Err(refusal)),
        };
        Ok(self.answer_pre_checkout(query_id, verdict, language))
    }

    /// Answers a pre-checkout with the game's verdict; one the actors could
    /// not give declines it (Telegram waits 10 s at most).
    pub(in crate::telegram) fn answer_pre_checkout(
        &self,
        query_id: String,
        verdict: Result<Result<(), RuleError>, DispatchError>,
        language: Language,
    ) -> Handled {
        let verdict = verdict.unwrap_or_else(|err| {
            tracing::warn!(error = %err, "pre-checkout could not be checked");
            Err(RuleError::Malformed(Malformed::ShopBusy))
        });
        if let Err(refusal) = &verdict {
            tracing::info!(%refusal, "pre-checkout declined");
            self.count_refused_payment();
        }
        let error = verdict.err().map(|refusal| screens::reason(language, &refusal));
        self.outbound.submit(OutboundRequest::AnswerPreCheckout { query_id, error });
        Handled::Durable
    }

    async fn stars_paid(
        &self,
        user_id: UserId,
        chat_id: i64,
        update_id: UpdateId,
        payment: Result<Grant, RuleError>,
        language: Language,
    ) -> Result<Handled, Failure> {
        let payment = match payment {
            Ok(payment) => payment,
            Err(refusal) => {
                tracing::error!(user_id = %user_id, %refusal, "a payment matches no invoice of ours");
                self.receipt(chat_id, screens::refusal(language, &refusal));
                return Ok(Handled::Ignored);
            }
        };
        let parts = self.ui_parts();
        let item = parts.content.shop_item(&payment.item).cloned();
        let applied = self.coordinator.stars_paid(user_id, payment.command, Some(update_id)).await?;
        if let Some((charge, stars)) = applied.as_ref().ok().and_then(|events| paid_twice(events)) {
            let name = item.map_or_else(String::new, |item| item.name.get(language).to_owned());
            self.refund_extra_charge(user_id, &charge, language, &name, stars, chat_id).await;
            return Ok(Handled::Durable);
        }
        match (applied, item) {
            (Ok(events), Some(item)) if !events.is_empty() => {
                let vip_changed = events.iter().any(|event| matches!(event, Event::VipChanged { .. }));
                let render = move |state: &UserState| screens::stars_paid(state, parts.ui(), &item);
                if let Ok(rendered) = self.router.view(user_id, render).await {
                    self.receipt(chat_id, rendered);
                }
                // A VIP pass: the personal link to the channel.
                if vip_changed {
                    self.vip_sync(user_id).await;
                }
            }
            (Ok(_), _) => tracing::info!(user_id = %user_id, "payment applied before; not granted again"),
            (Err(refusal), _) => {
                tracing::error!(user_id = %user_id, %refusal, "a paid item could not be granted; refund it");
                self.receipt(chat_id, screens::refusal(language, &refusal));
            }
        }
        Ok(Handled::Durable)
    }

    /// Gives back a second charge for a purchase already granted (recorded
    /// `refund_due` by the payment's write) and tells the buyer. A refund
    /// Telegram refuses stays `refund_due` in `star_charges` for operators.
    pub(in crate::telegram) async fn refund_extra_charge(
        &self,
        buyer: UserId,
        charge: &str,
        language: Language,
        item: &str,
        stars: u32,
        chat_id: i64,
    ) {
        let charge_id = TelegramTransactionId(charge.to_owned());
        if let Err(err) = self.bot.refund_star_payment(TelegramUserId(buyer.0 as u64), charge_id).await
            && !err.to_string().contains("CHARGE_ALREADY_REFUNDED")
        {
            tracing::error!(user_id = %buyer, charge, error = %err, "a second payment could not be refunded");
            return;
        }
        tracing::warn!(user_id = %buyer, charge, "a second payment for one purchase was refunded");
        if let Err(err) = self.coordinator.store().charge_refunded(charge).await {
            tracing::error!(charge, error = %err, "recording a refunded charge failed");
        }
        self.receipt(chat_id, screens::paid_twice(language, item, stars));
    }

    /// Gives back the Stars of `charge` (Telegram first: if it refuses,
    /// nothing changes here), then takes back what the item gave. Returns
    /// the buyer and the item, or why not.
    async fn refund(&self, charge: &str) -> Result<(i64, String), RefundFailure> {
        let found = self.coordinator.store().purchase_by_charge(charge).await;
        let found = found.map_err(|err| RefundFailure::Unavailable(err.to_string()))?;
        let Some((buyer, purchase, item, status)) = found else {
            return Err(RefundFailure::NoPayment(charge.to_owned()));
        };
        if status == PurchaseStatus::Refunded.as_str() {
            return Err(RefundFailure::AlreadyRefunded);
        }
        let charge_id = TelegramTransactionId(charge.to_owned());
        if let Err(err) = self.bot.refund_star_payment(TelegramUserId(buyer.0 as u64), charge_id).await {
            // Telegram refunded before a crash cut this short: finish here.
            if !err.to_string().contains("CHARGE_ALREADY_REFUNDED") {
                return Err(RefundFailure::Telegram(err.to_string()));
            }
        }
        match self.coordinator.refund_stars(buyer, charge, purchase, &item).await {
            Ok(Ok(_)) => Ok((buyer.0, item)),
            Ok(Err(refusal)) => Err(RefundFailure::Refused(refusal)),
            Err(err) => Err(RefundFailure::Unavailable(err.to_string())),
        }
    }
}
