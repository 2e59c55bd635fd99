//! One update in: translate, hand it to the user's actor, wait until
//! durable, then answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use dianabot_actors::{Coordinator, DispatchError, GiftOutcome, Outcome, Router};
use dianabot_game::UserState;
use teloxide_core::types::Update;
use tracing::Instrument;

use crate::content::Reloader;
use crate::telegram::outbound::{Outbound, OutboundRequest, Priority};
use crate::telegram::screens::{self, Rendered, Ui};
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
    stats: Arc<IntakeStats>,
}

impl Intake {
    pub fn new(
        router: Router,
        outbound: Outbound,
        translator: Translator,
        reloader: Reloader,
        coordinator: Coordinator,
    ) -> Intake {
        Intake { router, outbound, translator, reloader, coordinator, stats: Arc::default() }
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
                match rendered {
                    Ok(rendered) => {
                        self.answer(reply, Some(rendered));
                        Ok(Handled::Viewed)
                    }
                    Err(DispatchError::ActorCrashed) => Ok(dead_letter()),
                    Err(err) => Err(err.into()),
                }
            }
            Translation::Command { envelope, screen, reply } => {
                let (codec, content) = (self.translator.codec.clone(), self.router.content());
                let render = move |state: &UserState, outcome: Outcome<'_>| {
                    screens::reply(screen, state, outcome, Ui { codec: &codec, content: &content })
                };
                let dispatched = match self.router.dispatch(envelope, render).await {
                    Ok(dispatched) => dispatched,
                    Err(DispatchError::ActorCrashed) => return Ok(dead_letter()),
                    Err(err) => return Err(err.into()),
                };
                dispatched.durable.wait().await?;
                // Only now may the user hear of it: it survives a crash.
                self.answer(reply, dispatched.reply);
                Ok(Handled::Durable)
            }
        }
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

fn dead_letter() -> Handled {
    tracing::error!("update crashed its actor; dead-lettered");
    Handled::DeadLettered
}
