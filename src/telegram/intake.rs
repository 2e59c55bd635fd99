//! One update in: translate, hand it to the user's actor, wait until
//! durable, then answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use dianabot_actors::{
    AuctionError, AuctionHouse, BidOutcome, Coordinator, DispatchError, Envelope, GiftOutcome, Outcome,
    PurchaseOutcome, Router, unix_now,
};
use dianabot_game::content::{Content, ShopItem};
use dianabot_game::shop::price_at;
use dianabot_game::{Command, Language, Malformed, RuleError, UserId, UserState};
use dianabot_persistence::PurchaseStatus;
use teloxide_core::Bot;
use teloxide_core::prelude::Requester;
use teloxide_core::types::{TelegramTransactionId, Update, UserId as TelegramUserId};
use tracing::Instrument;

use crate::content::Reloader;
use crate::telegram::callback::{InvoicePayload, tag};
use crate::telegram::outbound::{Outbound, OutboundRequest, Priority};
use crate::telegram::screens::{self, RefundFailure, Rendered, Ui};
use crate::telegram::translate::{Recipient, ReplyTo, Translation, Translator};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// Applied (or refused, or a re-delivery) and durable.
    Durable,
    /// Answered from the state; nothing changed.
    Viewed,
    /// Nothing for the game to do (or a refused button).
    Ignored,
    /// The update crashed its user's actor. It is acknowledged anyway so
    /// that one poisonous update cannot stall the bot by being re-delivered
    /// forever; it is logged for an operator.
    DeadLettered,
}

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// Not acknowledged: Telegram must deliver it again.
    #[error("update not durable: {0}")]
    NotDurable(#[from] DispatchError),
}

/// What became of the updates received, for `/metrics`.
#[derive(Debug, Default)]
pub struct IntakeStats {
    pub durable: AtomicU64,
    pub viewed: AtomicU64,
    pub ignored: AtomicU64,
    pub dead_lettered: AtomicU64,
    pub not_durable: AtomicU64,
}

/// Cheap to clone; shared by the webhook handlers and the polling loop.
#[derive(Clone)]
pub struct Intake {
    router: Router,
    outbound: Outbound,
    translator: Translator,
    reloader: Reloader,
    coordinator: Coordinator,
    /// For the few calls whose answer decides what happens next (refunds);
    /// everything else goes through `outbound`.
    bot: Bot,
    auctions: AuctionHouse,
    stats: Arc<IntakeStats>,
}

impl Intake {
    pub fn new(
        router: Router,
        outbound: Outbound,
        translator: Translator,
        reloader: Reloader,
        coordinator: Coordinator,
        auctions: AuctionHouse,
        bot: Bot,
    ) -> Intake {
        Intake { router, outbound, translator, reloader, coordinator, auctions, bot, stats: Arc::default() }
    }

    pub fn stats(&self) -> &Arc<IntakeStats> {
        &self.stats
    }

    pub fn router(&self) -> &Router {
        &self.router
    }

    /// Returns once the update may be acknowledged to Telegram.
    pub async fn handle(&self, update: Update) -> Result<Handled, IntakeError> {
        let span =
            tracing::info_span!("intake", update_id = update.id.0, user_id = update.from().map(|user| user.id.0));
        let translation = self.translator.translate(&update);
        let handled = self.handle_translated(translation).instrument(span).await;
        let counter = match &handled {
            Ok(Handled::Durable) => &self.stats.durable,
            Ok(Handled::Viewed) => &self.stats.viewed,
            Ok(Handled::Ignored) => &self.stats.ignored,
            Ok(Handled::DeadLettered) => &self.stats.dead_lettered,
            Err(_) => &self.stats.not_durable,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        handled
    }

    async fn handle_translated(&self, translation: Translation) -> Result<Handled, IntakeError> {
        match translation {
            Translation::Ignore(reason) => {
                tracing::debug!(reason, "update ignored");
                Ok(Handled::Ignored)
            }
            Translation::Gift { from, to, amount, update_id, chat_id, giver, language } => {
                let (to, name) = match to {
                    Recipient::Id(id) => (Some(id), id.to_string()),
                    Recipient::Username(username) => {
                        let found = self.coordinator.find_user(&username).await.unwrap_or_else(|err| {
                            tracing::error!(error = %err, "looking up a username failed");
                            None
                        });
                        (found, format!("@{username}"))
                    }
                };
                let Some(to) = to else {
                    self.answer(ReplyTo::NewMessage { chat_id }, Some(screens::unknown_recipient(language, &name)));
                    return Ok(Handled::Ignored);
                };
                let outcome = match self.coordinator.gift(from, to, amount, update_id.0, Some(update_id)).await {
                    Ok(outcome) => outcome,
                    Err(DispatchError::ActorCrashed) => return Ok(dead_letter()),
                    Err(err) => return Err(err.into()),
                };
                let report = screens::gift_report(language, &outcome, amount.get(), &name);
                self.answer(ReplyTo::NewMessage { chat_id }, Some(report));
                if outcome == GiftOutcome::Delivered {
                    // The receiver hears of it in their own language; their
                    // private chat with the bot has their user id.
                    if let Ok(notice) = self
                        .router
                        .view(to, move |state| screens::gift_received(state.language(), amount.get(), &giver))
                        .await
                    {
                        self.outbound.submit(OutboundRequest::Send {
                            chat_id: to.0,
                            text: notice.text,
                            keyboard: None,
                            priority: Priority::Notification,
                        });
                    }
                }
                Ok(Handled::Durable)
            }
            Translation::React { user_id, update_id, post, emojis } => {
                match self.coordinator.react(user_id, Some(update_id), post, emojis).await {
                    Ok(Err(RuleError::UnknownPost)) => {
                        tracing::debug!(?post, "reaction on a post the bot never saw published");
                        Ok(Handled::Ignored)
                    }
                    // Paid or refused by the player's actor, durably.
                    Ok(_) => Ok(Handled::Durable),
                    Err(DispatchError::ActorCrashed) => Ok(dead_letter()),
                    Err(err) => Err(err.into()),
                }
            }
            Translation::Publish { post } => {
                let reference = post.post;
                match self.coordinator.posts().publish(post).await {
                    Ok(new) => {
                        tracing::info!(?reference, new, "channel post published");
                        Ok(Handled::Durable)
                    }
                    Err(err) => {
                        tracing::error!(error = %err, "recording a channel post failed");
                        Err(IntakeError::NotDurable(DispatchError::NotDurable))
                    }
                }
            }
            Translation::Posts { chat_id, language } => {
                let posts = self.coordinator.posts().recent(10).await.map_err(|err| err.to_string());
                let fragments = self.coordinator.store().fragment_engagement(5).await.map_err(|err| err.to_string());
                let report = match (posts, fragments) {
                    (Ok(posts), Ok(fragments)) => screens::posts_report(language, &posts, &fragments),
                    (Err(err), _) | (_, Err(err)) => {
                        screens::refusal(language, &RuleError::Malformed(Malformed::Unavailable(err)))
                    }
                };
                self.answer(ReplyTo::NewMessage { chat_id }, Some(report));
                Ok(Handled::Viewed)
            }
            Translation::ShopItem { user_id, item, reply } => {
                let content = self.router.content();
                let Some(item) = shop_item(&content, item) else {
                    return Ok(self.refuse_press(reply, RuleError::UnknownShopItem(String::new())));
                };
                let left = self.coordinator.stock_left(item.id.as_str()).await;
                let codec = self.translator.codec.clone();
                let render = move |state: &UserState| {
                    screens::item_details(state, Ui { codec: &codec, content: &content }, &item, left)
                };
                self.show(reply, self.router.view(user_id, render).await)
            }
            Translation::Purchase { user_id, item, update_id, reply } => {
                let content = self.router.content();
                let Some(item) = shop_item(&content, item) else {
                    return Ok(self.refuse_press(reply, RuleError::UnknownShopItem(String::new())));
                };
                let outcome = self.coordinator.purchase(user_id, item.id.as_str(), update_id.0, Some(update_id)).await;
                let outcome = match outcome {
                    Ok(outcome) => outcome,
                    Err(DispatchError::ActorCrashed) => return Ok(dead_letter()),
                    Err(err) => return Err(err.into()),
                };
                let codec = self.translator.codec.clone();
                let render = move |state: &UserState| {
                    let ui = Ui { codec: &codec, content: &content };
                    screens::purchase_report(state, ui, &item, &outcome)
                };
                if let Ok(rendered) = self.router.view(user_id, render).await {
                    self.answer(reply, Some(rendered));
                }
                Ok(Handled::Durable)
            }
            Translation::RequestInvoice { user_id, item, update_id, chat_id, reply } => {
                let content = self.router.content();
                let Some(item) = shop_item(&content, item) else {
                    return Ok(self.refuse_press(reply, RuleError::UnknownShopItem(String::new())));
                };
                let command = Command::RequestInvoice { item: item.id.as_str().to_owned() };
                let envelope = Envelope { user_id, update_id: Some(update_id), command };
                let (codec, shown) = (self.translator.codec.clone(), content.clone());
                let item_shown = item.clone();
                let render = move |state: &UserState, outcome: Outcome<'_>| {
                    let ui = Ui { codec: &codec, content: &shown };
                    match outcome {
                        Outcome::Applied(_) => Ok(state.language()),
                        Outcome::Refused(refusal) => {
                            let refused = PurchaseOutcome::Refused(refusal.clone());
                            Err(Some(screens::purchase_report(state, ui, &item_shown, &refused)))
                        }
                        Outcome::Duplicate | Outcome::Viewed => Err(None),
                    }
                };
                let dispatched = match self.router.dispatch(envelope, render).await {
                    Ok(dispatched) => dispatched,
                    Err(DispatchError::ActorCrashed) => return Ok(dead_letter()),
                    Err(err) => return Err(err.into()),
                };
                dispatched.durable.wait().await?;
                match dispatched.reply {
                    Ok(language) => {
                        let stars = price_at(&item, unix_now()).stars.unwrap_or_default();
                        let invoice = InvoicePayload {
                            purchase: update_id.0,
                            buyer: user_id,
                            item: item.id.as_str().to_owned(),
                            stars,
                        };
                        let (title, description) = screens::invoice_texts(language, &item);
                        let payload = self.translator.codec.sign_invoice(&invoice);
                        self.answer(reply, None);
                        self.outbound.submit(OutboundRequest::SendInvoice {
                            chat_id,
                            title,
                            description,
                            payload,
                            stars,
                        });
                    }
                    Err(rendered) => self.answer(reply, rendered),
                }
                Ok(Handled::Durable)
            }
            Translation::PreCheckout { query_id, checkout, language } => {
                let verdict = match checkout {
                    Ok(checkout) => match self.coordinator.pre_checkout(checkout).await {
                        Ok(verdict) => verdict,
                        Err(err) => {
                            tracing::warn!(error = %err, "pre-checkout could not be checked");
                            Err(RuleError::Malformed(Malformed::ShopBusy))
                        }
                    },
                    Err(refusal) => Err(refusal),
                };
                if let Err(refusal) = &verdict {
                    tracing::info!(%refusal, "pre-checkout declined");
                }
                let error = verdict.err().map(|refusal| screens::reason(language, &refusal));
                self.outbound.submit(OutboundRequest::AnswerPreCheckout { query_id, error });
                Ok(Handled::Durable)
            }
            Translation::StarsPaid { user_id, chat_id, update_id, payment, language } => {
                let payment = match payment {
                    Ok(payment) => payment,
                    Err(refusal) => {
                        tracing::error!(user_id = %user_id, %refusal, "a payment matches no invoice of ours");
                        self.answer(ReplyTo::NewMessage { chat_id }, Some(screens::refusal(language, &refusal)));
                        return Ok(Handled::Ignored);
                    }
                };
                let Command::PayWithStars { item, .. } = &payment else { unreachable!("translated as a payment") };
                let content = self.router.content();
                let item = content.shop_item(item).cloned();
                let applied = match self.coordinator.stars_paid(user_id, payment, Some(update_id)).await {
                    Ok(applied) => applied,
                    Err(DispatchError::ActorCrashed) => return Ok(dead_letter()),
                    Err(err) => return Err(err.into()),
                };
                let codec = self.translator.codec.clone();
                match (applied, item) {
                    (Ok(events), Some(item)) if !events.is_empty() => {
                        let render = move |state: &UserState| {
                            screens::stars_paid(state, Ui { codec: &codec, content: &content }, &item)
                        };
                        if let Ok(rendered) = self.router.view(user_id, render).await {
                            self.answer(ReplyTo::NewMessage { chat_id }, Some(rendered));
                        }
                    }
                    (Ok(_), _) => tracing::info!(user_id = %user_id, "payment applied before; not granted again"),
                    (Err(refusal), _) => {
                        tracing::error!(user_id = %user_id, %refusal, "a paid item could not be granted; refund it");
                        self.answer(ReplyTo::NewMessage { chat_id }, Some(screens::refusal(language, &refusal)));
                    }
                }
                Ok(Handled::Durable)
            }
            Translation::RefundStars { charge, chat_id, language } => {
                let result = self.refund(&charge).await;
                if let Err(why) = &result {
                    tracing::warn!(charge, %why, "refund refused");
                }
                self.answer(
                    ReplyTo::NewMessage { chat_id },
                    Some(screens::refund_report(language, &self.router.content(), result)),
                );
                Ok(Handled::Ignored)
            }
            Translation::Ledger { user_id, language, reply } => {
                // The language the player chose, if they are known.
                let language = self.router.view(user_id, |state| state.language()).await.unwrap_or(language);
                let entries = self.coordinator.store().recent_ledger(user_id, 10).await.unwrap_or_else(|err| {
                    tracing::error!(error = %err, "reading the ledger failed");
                    Vec::new()
                });
                self.answer(reply, Some(screens::ledger(language, &entries, &self.translator.codec, user_id)));
                Ok(Handled::Viewed)
            }
            Translation::Auctions { user_id, auction, reply } => {
                let (codec, content) = (self.translator.codec.clone(), self.router.content());
                let rendered = match auction {
                    None => {
                        let open = self.auctions.open_auctions().await.map_err(auction_unavailable)?;
                        let render = move |state: &UserState| {
                            screens::auction::list(state, &open, Ui { codec: &codec, content: &content })
                        };
                        self.router.view(user_id, render).await
                    }
                    Some(id) => {
                        let found = self.auctions.auction(id).await.map_err(auction_unavailable)?;
                        let render = move |state: &UserState| match found {
                            Some(auction) => screens::auction::page(
                                state,
                                &auction,
                                Ui { codec: &codec, content: &content },
                                unix_now(),
                                None,
                            ),
                            None => screens::refusal(state.language(), &RuleError::UnknownAuction),
                        };
                        self.router.view(user_id, render).await
                    }
                };
                self.show(reply, rendered)
            }
            Translation::Bid { user_id, auction, amount, update_id, reply } => {
                let outcome = match self.auctions.bid(user_id, auction, amount, update_id.0, Some(update_id)).await {
                    Ok(outcome) => outcome,
                    Err(AuctionError::Dispatch(DispatchError::ActorCrashed)) => return Ok(dead_letter()),
                    Err(err) => return Err(auction_unavailable(err)),
                };
                // The page as it stands after the bid, with what the bid did.
                let current = match &outcome {
                    BidOutcome::Accepted { auction, .. } => Some(auction.clone()),
                    BidOutcome::Refused(_) => self.auctions.auction(auction).await.map_err(auction_unavailable)?,
                };
                let (codec, content) = (self.translator.codec.clone(), self.router.content());
                let refused = matches!(outcome, BidOutcome::Refused(_));
                let render = move |state: &UserState| {
                    let note = screens::auction::bid_note(state.language(), &outcome, amount.get());
                    let ui = Ui { codec: &codec, content: &content };
                    let page = match &current {
                        Some(auction) => screens::auction::page(state, auction, ui, unix_now(), Some(&note)),
                        None => screens::plain(note.clone()),
                    };
                    (page, note)
                };
                let (page, note) = match self.router.view(user_id, render).await {
                    Ok(rendered) => rendered,
                    Err(DispatchError::ActorCrashed) => return Ok(dead_letter()),
                    Err(err) => return Err(err.into()),
                };
                match reply {
                    // A refused press also gets an alert, so it cannot go unnoticed.
                    ReplyTo::Edit { chat_id, message_id, callback_query_id } => {
                        self.outbound.submit(OutboundRequest::AnswerCallback {
                            callback_query_id,
                            text: Some(note),
                            show_alert: refused,
                        });
                        self.outbound.submit(OutboundRequest::Edit {
                            chat_id,
                            message_id,
                            text: page.text,
                            keyboard: page.keyboard,
                        });
                    }
                    reply => self.answer(reply, Some(page)),
                }
                Ok(Handled::Durable)
            }
            Translation::CreateAuction { chat_id, language, id, spec } => {
                let report = match self.auctions.create(id, spec).await.map_err(auction_unavailable)? {
                    Ok(auction) => {
                        let ui = Ui { codec: &self.translator.codec, content: &self.router.content() };
                        screens::auction::created(language, &auction, ui, unix_now())
                    }
                    Err(refusal) => screens::refusal(language, &refusal),
                };
                self.answer(ReplyTo::NewMessage { chat_id }, Some(report));
                Ok(Handled::Durable)
            }
            Translation::CancelAuction { chat_id, language, auction } => {
                let report = match self.auctions.cancel(auction).await.map_err(auction_unavailable)? {
                    Ok(refunded) => screens::auction::cancelled(language, auction, refunded),
                    Err(refusal) => screens::refusal(language, &refusal),
                };
                self.answer(ReplyTo::NewMessage { chat_id }, Some(report));
                Ok(Handled::Durable)
            }
            Translation::ReloadContent { chat_id, language } => {
                let report = match self.reloader.reload().await {
                    Ok(content) => screens::reload_report(language, Ok(content.fragments().count())),
                    Err(error) => screens::reload_report(language, Err(format!("{error:#}"))),
                };
                self.answer(ReplyTo::NewMessage { chat_id }, Some(report));
                Ok(Handled::Ignored)
            }
            Translation::Refuse { chat_id, language, refusal } => {
                self.answer(ReplyTo::NewMessage { chat_id }, Some(screens::refusal(language, &refusal)));
                Ok(Handled::Ignored)
            }
            Translation::RefuseButton { callback_query_id, language, error } => {
                let text = screens::button_refusal(language, error);
                self.outbound.submit(OutboundRequest::AnswerCallback {
                    callback_query_id,
                    text: Some(text),
                    show_alert: true,
                });
                Ok(Handled::Ignored)
            }
            Translation::View { user_id, screen, reply } => {
                let (codec, content) = (self.translator.codec.clone(), self.router.content());
                let render = move |state: &UserState| {
                    screens::render(screen, state, &[], Ui { codec: &codec, content: &content })
                };
                let rendered = self.router.view(user_id, render).await;
                self.show(reply, rendered)
            }
            Translation::Command { envelope, screen, reply } => {
                let user_id = envelope.user_id;
                let (codec, content) = (self.translator.codec.clone(), self.router.content());
                let render = move |state: &UserState, outcome: Outcome<'_>| {
                    let page = screens::story_page(screen, state, outcome, &content);
                    (screens::reply(screen, state, outcome, Ui { codec: &codec, content: &content }), page)
                };
                let dispatched = match self.router.dispatch(envelope, render).await {
                    Ok(dispatched) => dispatched,
                    Err(DispatchError::ActorCrashed) => return Ok(dead_letter()),
                    Err(err) => return Err(err.into()),
                };
                dispatched.durable.wait().await?;
                // Only now may the user hear of it: it survives a crash.
                match (reply, dispatched.reply) {
                    // A story page sent as a new message: the player's state
                    // learns its id once Telegram has given it one.
                    (ReplyTo::NewMessage { chat_id }, (Some(rendered), Some(fragment))) => {
                        self.send_story_page(user_id, chat_id, rendered, fragment)
                    }
                    (reply, (rendered, _)) => self.answer(reply, rendered),
                }
                Ok(Handled::Durable)
            }
        }
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

    /// A request that names nothing the shop has (a button from older
    /// content, a mistyped `/comprar`): an alert, or a message.
    fn refuse_press(&self, reply: ReplyTo, refusal: RuleError) -> Handled {
        match reply {
            ReplyTo::Edit { callback_query_id, .. } => {
                let text = screens::reason(Language::default(), &refusal);
                self.outbound.submit(OutboundRequest::AnswerCallback {
                    callback_query_id,
                    text: Some(text),
                    show_alert: true,
                });
            }
            reply => self.answer(reply, Some(screens::refusal(Language::default(), &refusal))),
        }
        Handled::Ignored
    }

    /// Answers with a screen rendered from the user's state (nothing changed).
    fn show(&self, reply: ReplyTo, rendered: Result<Rendered, DispatchError>) -> Result<Handled, IntakeError> {
        match rendered {
            Ok(rendered) => {
                self.answer(reply, Some(rendered));
                Ok(Handled::Viewed)
            }
            Err(DispatchError::ActorCrashed) => Ok(dead_letter()),
            Err(err) => Err(err.into()),
        }
    }

    /// Sends a story page showing `fragment` as a new message, then tells
    /// the player's actor which message it is (`ShowStoryPage`), so a
    /// reaction on it pays for the fragment. Nothing waits for that: the
    /// update that asked for the page is durable already, and a page whose
    /// id is lost (a crash, a send that failed) only pays no reactions.
    fn send_story_page(&self, user_id: UserId, chat_id: i64, rendered: Rendered, fragment: String) {
        let Rendered { text, keyboard } = rendered;
        let sent = self.outbound.submit_with_receipt(OutboundRequest::Send {
            chat_id,
            text,
            keyboard,
            priority: Priority::Interactive,
        });
        let router = self.router.clone();
        let span = tracing::info_span!("story_page", user_id = user_id.0);
        tokio::spawn(
            async move {
                let Ok(page) = sent.await else { return };
                let command = Command::ShowStoryPage { page, fragment };
                let recorded = match router.dispatch(Envelope { user_id, update_id: None, command }, |_, _| ()).await {
                    Ok(dispatched) => dispatched.durable.wait().await,
                    Err(err) => Err(err),
                };
                if let Err(err) = recorded {
                    tracing::warn!(page, error = %err, "a story page's message id was not recorded");
                }
            }
            .instrument(span),
        );
    }

    fn answer(&self, reply: ReplyTo, rendered: Option<Rendered>) {
        match (reply, rendered) {
            (ReplyTo::NewMessage { chat_id }, Some(Rendered { text, keyboard })) => {
                self.outbound.submit(OutboundRequest::Send {
                    chat_id,
                    text,
                    keyboard,
                    priority: Priority::Interactive,
                });
            }
            (ReplyTo::Edit { chat_id, message_id, callback_query_id }, rendered) => {
                // Answer the press first: Telegram shows a spinner until then.
                self.outbound.submit(OutboundRequest::AnswerCallback {
                    callback_query_id,
                    text: None,
                    show_alert: false,
                });
                if let Some(Rendered { text, keyboard }) = rendered {
                    self.outbound.submit(OutboundRequest::Edit { chat_id, message_id, text, keyboard });
                }
            }
            (ReplyTo::Nothing, _) | (ReplyTo::NewMessage { .. }, None) => {}
        }
    }
}

/// The shop item a button's tag names in `content`.
fn shop_item(content: &Content, item: u32) -> Option<ShopItem> {
    content.shop_items().find(|candidate| tag(candidate.id.as_str()) == item).cloned()
}

/// An auction operation that could not finish (the store or a step kept
/// failing): not acknowledged, so Telegram delivers it again; every step
/// is idempotent.
fn auction_unavailable(err: AuctionError) -> IntakeError {
    tracing::error!(error = %err, "auction operation failed");
    match err {
        AuctionError::Dispatch(err) => IntakeError::NotDurable(err),
        AuctionError::Store(_) => IntakeError::NotDurable(DispatchError::NotDurable),
    }
}

fn dead_letter() -> Handled {
    tracing::error!("update crashed its actor; dead-lettered");
    Handled::DeadLettered
}
