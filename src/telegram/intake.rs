//! One update in: translate, hand it to its flow (`flows/`), wait until
//! durable, then answer. Here: the common paths every flow uses — a game
//! command answered by a screen, a look at the state, the answer itself —
//! and the mapping of an actor's crash to a dead letter, done once.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use dianabot_actors::{AuctionHouse, Coordinator, DispatchError, Envelope, Outcome, Router};
use dianabot_game::content::Content;
use dianabot_game::{Event, Language, RuleError, UserId, UserState};
use teloxide_core::Bot;
use teloxide_core::types::Update;
use tracing::Instrument;

use crate::content::Reloader;
use crate::operators::Operators;
use crate::telegram::callback::CallbackCodec;
use crate::telegram::outbound::{Outbound, OutboundRequest, Priority};
use crate::telegram::ratelimit::{RateLimiter, RateLimits};
use crate::telegram::screens::{self, Rendered, Screen, Ui};
use crate::telegram::translate::{Operated, ReplyTo, Translation, Translator};
use dianabot_game::roles::AuditOutcome;

/// Serializable: the owner of a forwarded update answers with it (clustering).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    /// Over the user's rate limit for its kind: refused, nothing changed.
    Limited,
}

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// Not acknowledged: Telegram must deliver it again.
    #[error("update not durable: {0}")]
    NotDurable(#[from] DispatchError),
    // cluster-bus
    /// Forwarded to the node serving its shard, which did not say it is
    /// durable (no answer in time, a failure there, Redis unreachable).
    /// Not acknowledged: Telegram must deliver it again.
    #[error("update forwarded, not known durable: {0}")]
    Forwarded(#[from] dianabot_cluster::BusError),
    /// A polled update that does not encode again (never seen): not
    /// acknowledged, the poller fetches it again.
    #[error("update cannot be encoded to be forwarded: {0}")]
    Unforwardable(serde_json::Error),
}

dianabot_plumbing::metrics! {
    /// What became of the updates received, for `/metrics`.
    pub struct IntakeStats {
        /// Updates received, by what became of them.
        counter durable => "dianabot_intake_updates_total" { outcome = "durable" },
        /// Updates received, by what became of them.
        counter viewed => "dianabot_intake_updates_total" { outcome = "viewed" },
        /// Updates received, by what became of them.
        counter ignored => "dianabot_intake_updates_total" { outcome = "ignored" },
        /// Updates received, by what became of them.
        counter dead_lettered => "dianabot_intake_updates_total" { outcome = "dead_lettered" },
        /// Updates received, by what became of them.
        counter not_durable => "dianabot_intake_updates_total" { outcome = "not_durable" },
        /// Updates received, by what became of them.
        counter limited => "dianabot_intake_updates_total" { outcome = "limited" },
        // Alerts: failed payments.
        /// Stars pre-checkouts answered with a refusal (shop items and VIP).
        counter payments_refused => "dianabot_intake_payments_refused_total",
    }
}

/// Cheap to clone; shared by the webhook handlers and the polling loop.
#[derive(Clone)]
pub struct Intake {
    pub(super) router: Router,
    pub(super) outbound: Outbound,
    pub(super) translator: Translator,
    pub(super) reloader: Reloader,
    pub(super) coordinator: Coordinator,
    /// For the few calls whose answer decides what happens next (refunds);
    /// everything else goes through `outbound`.
    pub(super) bot: Bot,
    pub(super) auctions: AuctionHouse,
    /// Operator roles (written through) and the audit log.
    pub(super) operators: Operators,
    /// Woken when an operator creates a broadcast job.
    pub(super) broadcaster: Option<crate::telegram::broadcast::Broadcaster>,
    /// The alert engine, for `/alerts`.
    pub(super) alerts: Option<crate::alerts::Alerts>,
    stats: Arc<IntakeStats>,
    rate_limiter: Arc<RateLimiter>,
    /// While an operator command is handled: what its flow says of how it
    /// ended, for its audit row.
    audit: Option<Arc<AuditNote>>,
    // Dashboard.
    /// Where `/panel` links point and how long they last.
    pub(super) panel_links: crate::telegram::flows::analytics::PanelLinks,
    // Leaderboards.
    /// Tests only: aborts a weekly reset partway (`TEST_FAULTS`).
    pub(super) prize_fault: Option<Arc<crate::telegram::flows::leaderboard::PrizeFault>>,
    // hardening
    /// Tests only: aborts after a referral settlement (`TEST_FAULTS`).
    pub(super) settle_fault: Option<Arc<crate::telegram::flows::referral::SettleFault>>,
    // cluster-bus
    /// Carries updates of other nodes' shards to them; `None` without clustering.
    forwarding: Option<crate::cluster::Forwarding>,
}

/// What an operator command's flow reports for its audit row: why it did
/// not happen, and its target when only the doing names it (a new auction).
#[derive(Debug, Default)]
pub(super) struct AuditNote {
    failed: Mutex<Option<String>>,
    target: Mutex<Option<String>>,
}

/// Why a flow stopped short of an answer.
#[derive(Debug)]
pub(super) enum Failure {
    /// Re-delivering cannot help — the update crashed its user's actor, or
    /// the store rejected its write for good: dead-lettered.
    DeadLetter,
    /// Not acknowledged: Telegram must deliver it again.
    NotDurable(DispatchError),
}

impl From<DispatchError> for Failure {
    fn from(err: DispatchError) -> Failure {
        match err {
            DispatchError::ActorCrashed | DispatchError::Rejected => Failure::DeadLetter,
            err => Failure::NotDurable(err),
        }
    }
}

/// What screens render with, owned so that a render closure can take it
/// to the user's actor.
pub(super) struct UiParts {
    pub codec: CallbackCodec,
    pub content: Arc<Content>,
    pub now: i64,
}

impl UiParts {
    pub fn ui(&self) -> Ui<'_> {
        Ui { codec: &self.codec, content: &self.content, now: self.now }
    }
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
        let rate_limiter = Arc::new(RateLimiter::new(RateLimits::off()));
        // The roster the translator checks, changed through the store.
        let operators = Operators::new(coordinator.store().clone(), translator.operators.clone());
        Intake {
            router,
            outbound,
            translator,
            reloader,
            coordinator,
            auctions,
            operators,
            bot,
            broadcaster: None,
            alerts: None,
            stats: Arc::default(),
            rate_limiter,
            audit: None,
            panel_links: crate::telegram::flows::analytics::PanelLinks::default(),
            prize_fault: None,
            settle_fault: None,
            forwarding: None,
        }
    }

    // cluster-bus
    /// Updates of shards other nodes serve go there through `forwarding`.
    pub fn with_forwarding(mut self, forwarding: crate::cluster::Forwarding) -> Intake {
        self.forwarding = Some(forwarding);
        self
    }

    // cluster-changes
    /// Grants and revocations made here are announced on `notices`.
    pub fn with_change_notices(mut self, notices: dianabot_cluster::ChangeNotices) -> Intake {
        self.operators = self.operators.with_notices(notices);
        self
    }

    /// The operators' roles as this intake changes them.
    pub fn operators(&self) -> &Operators {
        &self.operators
    }

    /// Whether this node fetches updates in polling mode: the node serving
    /// the server-wide shard does, for every node (always, without clustering).
    pub fn polls(&self) -> bool {
        self.forwarding.as_ref().is_none_or(crate::cluster::Forwarding::polls)
    }

    /// Returns once `update` may be acknowledged to Telegram: handled here,
    /// or — its user's shard served by another node — by that node, which
    /// answers once it is durable there. `raw` is the update as received
    /// (the webhook's body), forwarded as is; polled updates are encoded again.
    pub async fn receive(&self, update: Update, raw: Option<&[u8]>) -> Result<Handled, IntakeError> {
        match &self.forwarding {
            Some(forwarding) => match forwarding.owner_elsewhere(&update) {
                Some(shard) => forwarding.forward(shard, &update, raw).await,
                None => self.handle(update).await,
            },
            None => self.handle(update).await,
        }
    }

    /// Refuses updates over `limiter`'s per-user limits (none by default).
    pub fn with_rate_limiter(mut self, limiter: Arc<RateLimiter>) -> Intake {
        self.rate_limiter = limiter;
        self
    }

    /// Wakes `broadcaster` when an operator creates a broadcast job.
    /// Aborts the process after `abort_after` leaderboard prizes were
    /// credited (`TEST_FAULTS=abort_after_prize=N`).
    pub fn with_prize_fault(mut self, abort_after: Option<u32>) -> Intake {
        self.prize_fault = abort_after.map(|abort_after| {
            Arc::new(crate::telegram::flows::leaderboard::PrizeFault { abort_after, credited: Default::default() })
        });
        self
    }

    /// Aborts the process after `abort_after` referral settlements were
    /// durable, before the invited player's timer is cleared
    /// (`TEST_FAULTS=abort_after_settle=N`).
    pub fn with_settle_fault(mut self, abort_after: Option<u32>) -> Intake {
        self.settle_fault = abort_after.map(|abort_after| {
            Arc::new(crate::telegram::flows::referral::SettleFault { abort_after, settled: Default::default() })
        });
        self
    }

    pub fn with_broadcaster(mut self, broadcaster: crate::telegram::broadcast::Broadcaster) -> Intake {
        self.broadcaster = Some(broadcaster);
        self
    }

    /// Shows `alerts` to operators who ask (`/alerts`).
    pub fn with_alerts(mut self, alerts: crate::alerts::Alerts) -> Intake {
        self.alerts = Some(alerts);
        self
    }

    /// `/panel` links start with `links.public_url` and last `links.minutes`.
    pub fn with_panel_links(mut self, links: crate::telegram::flows::analytics::PanelLinks) -> Intake {
        self.panel_links = links;
        self
    }

    pub fn stats(&self) -> &Arc<IntakeStats> {
        &self.stats
    }

    /// A Stars pre-checkout was refused: a failed payment, for the alerts.
    pub(super) fn count_refused_payment(&self) {
        self.stats.payments_refused.fetch_add(1, Ordering::Relaxed);
    }

    pub fn router(&self) -> &Router {
        &self.router
    }

    /// Handles `update` on this node; returns once it may be acknowledged
    /// to Telegram. (The entry points call [`Intake::receive`].)
    pub async fn handle(&self, update: Update) -> Result<Handled, IntakeError> {
        let span =
            tracing::info_span!("intake", update_id = update.id.0, user_id = update.from().map(|user| user.id.0));
        let _in_flight = self.forwarding.as_ref().map(|forwarding| forwarding.enter(&update));
        let translation = self.translator.translate(&update);
        let handled = match self.rate_limiter.check(&update, &translation) {
            Some(limited) => {
                limited.tell(&self.router, &self.outbound).instrument(span).await;
                Ok(Handled::Limited)
            }
            None => self.handle_translated(translation).instrument(span).await,
        };
        let handled = match handled {
            Ok(handled) => Ok(handled),
            Err(Failure::DeadLetter) => Ok(dead_letter()),
            Err(Failure::NotDurable(err)) => Err(IntakeError::NotDurable(err)),
        };
        let counter = match &handled {
            Ok(Handled::Durable) => &self.stats.durable,
            Ok(Handled::Viewed) => &self.stats.viewed,
            Ok(Handled::Ignored) => &self.stats.ignored,
            Ok(Handled::DeadLettered) => &self.stats.dead_lettered,
            Ok(Handled::Limited) => &self.stats.limited,
            Err(_) => &self.stats.not_durable,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        handled
    }

    async fn handle_translated(&self, translation: Translation) -> Result<Handled, Failure> {
        match translation {
            Translation::Operated(operated) => Box::pin(self.operated(*operated)).await,
            Translation::Role(request) => self.handle_role(request).await,
            Translation::Analytics(request) => self.handle_analytics(request).await,
            Translation::Command { envelope, screen, reply } => self.play(envelope, screen, reply).await,
            Translation::View { user_id, screen, reply } => self.look(user_id, screen, reply).await,
            Translation::Profile(request) => self.handle_profile(request).await,
            Translation::Shop(request) => self.handle_shop(request).await,
            Translation::Auction(request) => self.handle_auction(request).await,
            Translation::Gift(request) => self.handle_gift(request).await,
            Translation::Reaction(request) => self.handle_reaction(request).await,
            Translation::Operator(request) => self.handle_operator(request).await,
            Translation::Vip(request) => self.handle_vip(request).await,
            Translation::Channel(request) => self.handle_channel(request).await,
            Translation::Lore(request) => self.handle_lore(request).await,
            Translation::Trivia(request) => self.handle_trivia(request).await,
            Translation::Referral(request) => self.handle_referral(request).await,
            // offers
            Translation::Offer(request) => self.handle_offer(request).await,
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
            Translation::Ignore(reason) => {
                tracing::debug!(reason, "update ignored");
                Ok(Handled::Ignored)
            }
            Translation::Board(request) => self.handle_board(request).await,
            // flags
            Translation::Flag(request) => self.handle_flag(request).await,
        }
    }

    /// An operator command: handled with its answers held, then its audit
    /// row written, then the answers sent. So an operator is never told of
    /// an action the log does not hold: if the row cannot be written the
    /// answers are dropped and the update is left unacknowledged; Telegram
    /// delivers it again and the action, idempotent by update (a grant by
    /// the user's applied window, an auction by its creating update, a
    /// refund by its purchase's status, a role grant by its row), is
    /// answered and audited then. A refusal (no permission) is audited
    /// the same way and changes nothing else.
    async fn operated(&self, Operated { mut audit, then }: Operated) -> Result<Handled, Failure> {
        let (held_outbound, held) = self.outbound.hold();
        let note = Arc::new(AuditNote::default());
        let flow = Intake { outbound: held_outbound, audit: Some(note.clone()), ..self.clone() };
        let handled = flow.handle_translated(then).await;
        let lock = |slot: &Mutex<Option<String>>| slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
        if let Some(target) = lock(&note.target) {
            audit.target = Some(target);
        }
        match (&handled, lock(&note.failed)) {
            (Err(failure), _) => {
                audit.outcome = AuditOutcome::Failed;
                audit.detail = Some(format!("{failure:?}"));
            }
            (Ok(_), Some(why)) if audit.outcome == AuditOutcome::Done => {
                audit.outcome = AuditOutcome::Failed;
                audit.detail = Some(why);
            }
            (Ok(_), _) => {}
        }
        if let Err(err) = self.operators.audit(&audit).await {
            tracing::error!(error = %err, action = audit.action.as_str(), "the audit row could not be written");
            drop(held);
            return match handled {
                Err(failure) => Err(failure),
                Ok(_) => Err(Failure::NotDurable(DispatchError::NotDurable)),
            };
        }
        tracing::info!(
            operator = %audit.operator,
            action = audit.action.as_str(),
            outcome = audit.outcome.as_str(),
            target = audit.target.as_deref(),
            "operator action audited"
        );
        held.release(&self.outbound);
        handled
    }

    /// Marks the operator command being handled as failed, for its audit row.
    pub(super) fn audit_failed(&self, why: impl std::fmt::Display) {
        if let Some(note) = &self.audit {
            *note.failed.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(why.to_string());
        }
    }

    /// Names the target of the operator command being handled, once known.
    pub(super) fn audit_target(&self, target: String) {
        if let Some(note) = &self.audit {
            *note.target.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(target);
        }
    }

    /// A game command: dispatched, durable, then answered with `screen`.
    pub(super) async fn play(
        &self,
        envelope: Envelope,
        screen: Option<Screen>,
        reply: ReplyTo,
    ) -> Result<Handled, Failure> {
        let user_id = envelope.user_id;
        let parts = self.ui_parts();
        let render = move |state: &UserState, outcome: Outcome<'_>| {
            let page = screens::story_page(screen, state, outcome, &parts.content);
            let refused = match outcome {
                Outcome::Refused(refusal) => Some(refusal.to_string()),
                _ => None,
            };
            // A VIP grant (an operator's, a reward's) may call for a
            // channel change: done once durable (its timer is the backstop).
            let vip_sync = matches!(outcome, Outcome::Applied(events)
                if events.iter().any(|event| matches!(event, Event::VipChanged { .. })))
                && state.progress.vip.as_ref().is_some_and(|vip| vip.sync.is_some());
            // offers: the cards of the offers this decision showed.
            let cards = match outcome {
                Outcome::Applied(events) => screens::offer::shown(state, parts.ui(), events),
                _ => Vec::new(),
            };
            ((screens::reply(screen, state, outcome, parts.ui()), page), refused, (vip_sync, cards))
        };
        let dispatched = self.router.dispatch(envelope, render).await?;
        dispatched.durable.wait().await?;
        let (reply_parts, refused, (vip_sync, cards)) = dispatched.reply;
        if let Some(refusal) = refused {
            self.audit_failed(refusal);
        }
        // Only now may the user hear of it: it survives a crash.
        match (reply, reply_parts) {
            // A story page sent as a new message: the player's state
            // learns its id once Telegram has given it one.
            (ReplyTo::NewMessage { chat_id }, (Some(rendered), Some(fragment))) => {
                self.send_story_page(user_id, chat_id, rendered, fragment)
            }
            (reply, (rendered, _)) => self.answer(reply, rendered),
        }
        self.send_offer_cards(user_id.0, cards);
        if vip_sync {
            self.vip_sync(user_id).await;
        }
        Ok(Handled::Durable)
    }

    /// A look at the user's state, answered with `screen`.
    async fn look(&self, user_id: UserId, screen: Screen, reply: ReplyTo) -> Result<Handled, Failure> {
        let parts = self.ui_parts();
        let render = move |state: &UserState| screens::render(screen, state, &[], parts.ui());
        let rendered = self.router.view(user_id, render).await;
        self.show(reply, rendered)
    }

    pub(super) fn ui_parts(&self) -> UiParts {
        UiParts { codec: self.translator.codec.clone(), content: self.router.content(), now: self.router.clock().now() }
    }

    /// A request that names nothing the shop has (a button from older
    /// content, a mistyped `/comprar`): an alert, or a message.
    pub(super) fn refuse_press(&self, reply: ReplyTo, refusal: RuleError) -> Handled {
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
    pub(super) fn show(&self, reply: ReplyTo, rendered: Result<Rendered, DispatchError>) -> Result<Handled, Failure> {
        self.answer(reply, Some(rendered?));
        Ok(Handled::Viewed)
    }

    /// A message about a Stars payment or a refund: never dropped by the outbound bounds.
    pub(super) fn receipt(&self, chat_id: i64, Rendered { text, keyboard }: Rendered) {
        self.outbound.submit(OutboundRequest::Send { chat_id, text, keyboard, priority: Priority::Receipt });
    }

    pub(super) fn answer(&self, reply: ReplyTo, rendered: Option<Rendered>) {
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
