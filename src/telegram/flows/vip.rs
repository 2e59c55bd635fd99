//! VIP: buying a plan (a Stars invoice; the monthly plan's is a
//! subscription link), pre-checkout and payment, cancelling or resuming
//! renewal, and the VIP channel kept in line with the membership: personal
//! invite links, removals, `chat_member` updates, join requests; the free
//! channel's join requests approved after a wait; and what the
//! membership's timers do when they fire.
//!
//! Channel changes follow the rules' outbox (`dianabot_game::vip`): a
//! decision that calls for one records it with a `VipChannelSync` timer;
//! once the decision is durable this flow performs the Telegram calls and
//! reports [`VipCommand::ChannelSynced`]. A crash in between leaves the
//! timer, which fires after the restart and has the calls made again.

use dianabot_actors::{Envelope, Outcome};
use dianabot_game::content::{PlanKind, SUBSCRIPTION_PERIOD_SECS};
use dianabot_game::membership::{Membership, SyncAction, VipFact};
use dianabot_game::vip::{Recurring, may_buy};
use dianabot_game::{
    Command, Event, Language, Malformed, ProfileCommand, RuleError, UpdateId, UserId, UserState, VipCommand,
};
use teloxide_core::payloads::{CreateChatInviteLinkSetters, CreateInvoiceLinkSetters, UnbanChatMemberSetters};
use teloxide_core::prelude::Requester;
use teloxide_core::types::{
    ChatId, ChatJoinRequest, ChatMemberKind, ChatMemberUpdated, InlineKeyboardButton, InlineKeyboardMarkup,
    LabeledPrice, PreCheckoutQuery, Seconds, SuccessfulPayment, TelegramTransactionId, UserId as TelegramUserId,
};

use crate::telegram::callback::{Action, CallbackCodec, InvoicePayload};
use crate::telegram::intake::{Failure, Handled, Intake};
use crate::telegram::outbound::OutboundRequest;
use crate::telegram::screens::{self, Rendered, vip as vip_screens};
use crate::telegram::translate::{Origin, ReplyTo, Translation, user_id};

/// Invoice payloads of VIP plans name `vip.<plan>` where a shop payload
/// names an item (ids never hold a dot, so the two cannot meet).
const PAYLOAD_PREFIX: &str = "vip.";

#[derive(Debug)]
pub enum VipRequest {
    /// `/vip`, the VIP button, the story's VIP door: the membership and
    /// the plans.
    Show { user_id: UserId, reply: ReplyTo },
    /// A plan's invoice (monthly: a subscription invoice link).
    Buy { user_id: UserId, plan: PlanKind, chat_id: i64, reply: ReplyTo },
    /// Cancel or resume the subscription's renewal.
    SetRenewal { user_id: UserId, cancel: bool, update_id: UpdateId, reply: ReplyTo },
    /// A new personal invite link.
    RequestLink { user_id: UserId, update_id: UpdateId, reply: ReplyTo },
    /// A `pre_checkout_query` for a VIP invoice: fine, or why not.
    PreCheckout { query_id: String, checkout: Result<(UserId, PlanKind), RuleError>, language: Language },
    /// A `successful_payment` for a VIP invoice: the command it is owed.
    Paid { user_id: UserId, chat_id: i64, update_id: UpdateId, payment: Result<Command, RuleError>, language: Language },
    /// A `chat_member` update about a player in the VIP channel.
    ChannelMember { user_id: UserId, update_id: UpdateId, membership: Membership },
    /// A `chat_join_request` for one of the bot's channels.
    JoinRequest {
        user_id: UserId,
        update_id: UpdateId,
        channel: i64,
        vip: bool,
        user_chat_id: i64,
        first_name: String,
        username: Option<String>,
        language: Language,
    },
}

pub fn text(origin: &Origin<'_>, name: &str) -> Option<Translation> {
    matches!(name, "vip")
        .then(|| Translation::Vip(VipRequest::Show { user_id: origin.user_id, reply: origin.reply.clone() }))
}

pub fn press(origin: &Origin<'_>, action: Action) -> Option<Translation> {
    let (user_id, reply, update_id) = (origin.user_id, origin.reply.clone(), origin.update_id);
    let request = match action {
        Action::VipBuy(plan) => VipRequest::Buy { user_id, plan, chat_id: origin.chat_id, reply },
        Action::VipRenewal { cancel } => VipRequest::SetRenewal { user_id, cancel, update_id, reply },
        Action::VipLink => VipRequest::RequestLink { user_id, update_id, reply },
        Action::Vip => VipRequest::Show { user_id, reply },
        _ => return None,
    };
    Some(Translation::Vip(request))
}

/// The plan a signed invoice payload is for, if it is a VIP invoice of ours.
fn vip_invoice(codec: &CallbackCodec, payload: &str) -> Option<(InvoicePayload, PlanKind)> {
    let invoice = codec.verify_invoice(payload).ok()?;
    let plan = PlanKind::from_key(invoice.item.strip_prefix(PAYLOAD_PREFIX)?)?;
    Some((invoice, plan))
}

/// A pre-checkout of a VIP invoice; `None` for any other (the shop's).
pub fn pre_checkout_query(codec: &CallbackCodec, query: &PreCheckoutQuery) -> Option<Translation> {
    let (invoice, plan) = vip_invoice(codec, &query.invoice_payload)?;
    let checkout = if Some(invoice.buyer) != user_id(&query.from) {
        Err(RuleError::Malformed(Malformed::InvalidInvoice))
    } else if query.currency != "XTR" {
        Err(RuleError::Malformed(Malformed::NotStars { currency: query.currency.clone() }))
    } else if query.total_amount != invoice.stars {
        Err(RuleError::PriceChanged { price: u64::from(invoice.stars) })
    } else {
        Ok((invoice.buyer, plan))
    };
    Some(Translation::Vip(VipRequest::PreCheckout {
        query_id: query.id.0.clone(),
        checkout,
        language: Language::from_code(query.from.language_code.as_deref()),
    }))
}

/// A `successful_payment` of a VIP invoice; `None` for any other.
pub fn paid(origin: &Origin<'_>, codec: &CallbackCodec, payment: &SuccessfulPayment) -> Option<Translation> {
    let (invoice, plan) = vip_invoice(codec, &payment.invoice_payload)?;
    let payment =
        if invoice.buyer != origin.user_id || payment.currency != "XTR" || payment.total_amount != invoice.stars {
            Err(RuleError::Malformed(Malformed::InvalidInvoice))
        } else {
            let recurring = payment.is_recurring.then(|| Recurring {
                first: payment.is_first_recurring,
                expires: payment
                    .subscription_expiration_date
                    .map_or_else(|| origin.now + SUBSCRIPTION_PERIOD_SECS, |date| date.timestamp()),
            });
            Ok(Command::Vip(VipCommand::Paid {
                plan,
                charge: payment.telegram_payment_charge_id.0.clone(),
                stars: invoice.stars,
                recurring,
            }))
        };
    Some(Translation::Vip(VipRequest::Paid {
        user_id: origin.user_id,
        chat_id: origin.chat_id,
        update_id: origin.update_id,
        payment,
        language: origin.language,
    }))
}

/// A `chat_member` update: about a player in the VIP channel, or nothing
/// for us (other chats, administrators, bots).
pub fn chat_member(update_id: UpdateId, update: &ChatMemberUpdated, vip_channel: Option<i64>) -> Translation {
    if Some(update.chat.id.0) != vip_channel {
        return Translation::Ignore("chat_member outside the VIP channel");
    }
    let user = &update.new_chat_member.user;
    let Some(user_id) = user_id(user).filter(|_| !user.is_bot) else {
        return Translation::Ignore("chat_member about a bot or no user of ours");
    };
    let membership = match &update.new_chat_member.kind {
        ChatMemberKind::Owner(_) | ChatMemberKind::Administrator(_) => {
            return Translation::Ignore("chat_member about the channel's staff");
        }
        ChatMemberKind::Member(_) => Membership::Member,
        ChatMemberKind::Restricted(restricted) if restricted.is_member => Membership::Member,
        ChatMemberKind::Restricted(_) | ChatMemberKind::Left => Membership::Outside,
        ChatMemberKind::Banned(_) => Membership::Removed,
    };
    Translation::Vip(VipRequest::ChannelMember { user_id, update_id, membership })
}

/// A `chat_join_request` for one of the bot's channels.
pub fn join_request(
    update_id: UpdateId,
    request: &ChatJoinRequest,
    vip_channel: Option<i64>,
    channels: &std::collections::BTreeSet<i64>,
) -> Translation {
    let channel = request.chat.id.0;
    if !channels.contains(&channel) {
        return Translation::Ignore("join request for a chat that is not one of the bot's channels");
    }
    let Some(user_id) = user_id(&request.from).filter(|_| !request.from.is_bot) else {
        return Translation::Ignore("join request from a bot or no user of ours");
    };
    Translation::Vip(VipRequest::JoinRequest {
        user_id,
        update_id,
        channel,
        vip: Some(channel) == vip_channel,
        user_chat_id: request.user_chat_id.0,
        first_name: crate::telegram::clean::clean(&request.from.first_name, 64).into_owned(),
        username: request.from.username.clone(),
        language: Language::from_code(request.from.language_code.as_deref()),
    })
}

/// What a VIP decision said happened (its facts), or why it was refused.
type Decided = Result<(Vec<VipFact>, Vec<Event>), RuleError>;

impl Intake {
    pub(in crate::telegram) async fn handle_vip(&self, request: VipRequest) -> Result<Handled, Failure> {
        match request {
            VipRequest::Show { user_id, reply } => {
                let (parts, now) = (self.ui_parts(), self.router.clock().now());
                let render = move |state: &UserState| vip_screens::status(state, parts.ui(), now);
                self.show(reply, self.router.view(user_id, render).await)
            }
            VipRequest::Buy { user_id, plan, chat_id, reply } => self.vip_invoice(user_id, plan, chat_id, reply).await,
            VipRequest::SetRenewal { user_id, cancel, update_id, reply } => {
                self.vip_set_renewal(user_id, cancel, update_id, reply).await
            }
            VipRequest::RequestLink { user_id, update_id, reply } => {
                let command = Command::Vip(VipCommand::RequestLink);
                let decided = self.vip_decide(user_id, Some(update_id), command).await?;
                let parts = self.ui_parts();
                let now = self.router.clock().now();
                let rendered = match &decided {
                    Ok(_) => {
                        let render = move |state: &UserState| {
                            let member =
                                state.progress.vip.as_ref().is_some_and(|vip| vip.channel == Membership::Member);
                            if member {
                                vip_screens::already_member(state.language())
                            } else {
                                vip_screens::status(state, parts.ui(), now)
                            }
                        };
                        self.router.view(user_id, render).await.ok()
                    }
                    Err(refusal) => Some(screens::refusal(Language::default(), refusal)),
                };
                self.answer(reply, rendered);
                self.vip_sync(user_id).await;
                Ok(Handled::Durable)
            }
            VipRequest::PreCheckout { query_id, checkout, language } => {
                // Asked again: a membership may have changed since the invoice.
                let checkout = match checkout {
                    Ok((buyer, plan)) => self.router.view(buyer, move |state: &UserState| may_buy(state, plan)).await?,
                    Err(refusal) => Err(refusal),
                };
                if let Err(refusal) = &checkout {
                    tracing::info!(%refusal, "VIP pre-checkout declined");
                    self.count_refused_payment();
                }
                let error = checkout.err().map(|refusal| screens::reason(language, &refusal));
                self.outbound.submit(OutboundRequest::AnswerPreCheckout { query_id, error });
                Ok(Handled::Durable)
            }
            VipRequest::Paid { user_id, chat_id, update_id, payment, language } => {
                self.vip_paid(user_id, chat_id, update_id, payment, language).await
            }
            VipRequest::ChannelMember { user_id, update_id, membership } => {
                let command = Command::Vip(VipCommand::MembershipSeen(membership));
                match self.vip_decide(user_id, Some(update_id), command).await? {
                    // Never started the bot: no state to keep, but no VIP
                    // either, so out they go (ban and unban are idempotent).
                    Err(RuleError::UnknownUser) if membership == Membership::Member => {
                        if let Err(err) = self.vip_remove(user_id).await {
                            tracing::warn!(user_id = %user_id, error = %err, "removing an unknown user from the VIP channel failed");
                        }
                    }
                    Err(refusal) => tracing::debug!(user_id = %user_id, %refusal, "chat_member not recorded"),
                    Ok((facts, _)) => {
                        tracing::info!(user_id = %user_id, ?facts, "VIP channel membership seen");
                        self.vip_sync(user_id).await;
                    }
                }
                Ok(Handled::Durable)
            }
            VipRequest::JoinRequest {
                user_id,
                update_id,
                channel,
                vip,
                user_chat_id,
                first_name,
                username,
                language,
            } => {
                if vip {
                    self.vip_join_request(user_id, update_id, channel, user_chat_id, language).await
                } else {
                    self.free_join_request(user_id, update_id, first_name, username, language).await
                }
            }
        }
    }

    /// Dispatches a VIP command and waits until it is durable.
    async fn vip_decide(
        &self,
        user_id: UserId,
        update_id: Option<UpdateId>,
        command: Command,
    ) -> Result<Decided, Failure> {
        let envelope = Envelope { user_id, update_id, command };
        let render = |_: &UserState, outcome: Outcome<'_>| match outcome {
            Outcome::Applied(events) => Ok((VipFact::of(events), events.to_vec())),
            Outcome::Refused(refusal) => Err(refusal.clone()),
            Outcome::Duplicate | Outcome::Viewed => Ok((Vec::new(), Vec::new())),
        };
        let dispatched = self.router.dispatch(envelope, render).await?;
        dispatched.durable.wait().await?;
        Ok(dispatched.reply)
    }

    async fn vip_invoice(
        &self,
        user_id: UserId,
        plan: PlanKind,
        chat_id: i64,
        reply: ReplyTo,
    ) -> Result<Handled, Failure> {
        let parts = self.ui_parts();
        let Some(offer) = parts.content.vip().plan(plan).cloned() else {
            return Ok(self.refuse_press(reply, RuleError::UnknownVipPlan));
        };
        let (language, may_buy) =
            self.router.view(user_id, move |state: &UserState| (state.language(), may_buy(state, plan))).await?;
        if let Err(refusal) = may_buy {
            return Ok(self.refuse_press(reply, refusal));
        }
        let item = format!("{PAYLOAD_PREFIX}{}", plan.key());
        let invoice = InvoicePayload { purchase: 0, buyer: user_id, item, stars: offer.stars };
        let payload = self.translator.codec.sign_invoice(&invoice);
        let (title, description) = vip_screens::invoice_texts(language, &offer);
        self.answer(reply, None);
        if plan != PlanKind::Monthly {
            self.outbound.submit(OutboundRequest::SendInvoice {
                chat_id,
                title,
                description,
                payload,
                stars: offer.stars,
            });
            return Ok(Handled::Viewed);
        }
        // A Stars subscription is sold by link: Telegram renews it every
        // 30 days and sends each payment as a `successful_payment`.
        let prices = [LabeledPrice::new(title.clone(), offer.stars)];
        let link = self
            .bot
            .create_invoice_link(title, description, payload, "XTR", prices)
            .subscription_period(Seconds::from_seconds(SUBSCRIPTION_PERIOD_SECS as u32))
            .await;
        let rendered = match link.map(|url| url.parse()) {
            Ok(Ok(url)) => {
                let label = crate::texts::text_with(
                    language,
                    crate::texts::catalogue::VIP_BUY,
                    &[("name", offer.name.get(language).into()), ("stars", offer.stars.into())],
                );
                let keyboard = InlineKeyboardMarkup::new([[InlineKeyboardButton::url(label.clone(), url)]]);
                Rendered { text: label, keyboard: Some(keyboard) }
            }
            Ok(Err(_)) | Err(_) => {
                tracing::warn!(user_id = %user_id, "createInvoiceLink failed");
                screens::refusal(language, &RuleError::Malformed(Malformed::Unavailable("createInvoiceLink".into())))
            }
        };
        self.receipt(chat_id, rendered);
        Ok(Handled::Viewed)
    }

    /// Telegram first (the subscription is theirs to renew), then the
    /// state; a Telegram failure changes nothing and says so.
    async fn vip_set_renewal(
        &self,
        user_id: UserId,
        cancel: bool,
        update_id: UpdateId,
        reply: ReplyTo,
    ) -> Result<Handled, Failure> {
        let subscription = self
            .router
            .view(user_id, |state: &UserState| {
                let charge =
                    state.progress.vip.as_ref().and_then(|vip| vip.subscription.as_ref()).map(|s| s.charge.clone());
                (charge, state.language())
            })
            .await?;
        let (Some(charge), language) = subscription else {
            return Ok(self.refuse_press(reply, RuleError::NoSubscription));
        };
        let edited = self
            .bot
            .edit_user_star_subscription(TelegramUserId(user_id.0 as u64), TelegramTransactionId(charge), cancel)
            .await;
        if let Err(err) = edited {
            tracing::warn!(user_id = %user_id, error = %err, "editUserStarSubscription failed");
            let why = crate::texts::text_with(language, crate::texts::catalogue::WHY_TELEGRAM_UNAVAILABLE, &[]);
            self.answer(reply, Some(Rendered { text: why, keyboard: None }));
            return Ok(Handled::Ignored);
        }
        let command = Command::Vip(VipCommand::SetRenewal { canceled: cancel });
        let decided = self.vip_decide(user_id, Some(update_id), command).await?;
        let parts = self.ui_parts();
        let rendered = match decided {
            Ok(_) => self
                .router
                .view(user_id, move |state: &UserState| vip_screens::renewal_set(state, parts.ui(), cancel))
                .await
                .ok(),
            Err(refusal) => Some(screens::refusal(language, &refusal)),
        };
        self.answer(reply, rendered);
        Ok(Handled::Durable)
    }

    async fn vip_paid(
        &self,
        user_id: UserId,
        chat_id: i64,
        update_id: UpdateId,
        payment: Result<Command, RuleError>,
        language: Language,
    ) -> Result<Handled, Failure> {
        let command = match payment {
            Ok(command) => command,
            Err(refusal) => {
                tracing::error!(user_id = %user_id, %refusal, "a VIP payment matches no invoice of ours");
                self.receipt(chat_id, screens::refusal(language, &refusal));
                return Ok(Handled::Ignored);
            }
        };
        match self.vip_decide(user_id, Some(update_id), command).await? {
            Ok((facts, events)) if !facts.is_empty() => {
                let parts = self.ui_parts();
                let render = move |state: &UserState| vip_screens::paid(state, parts.ui(), &events);
                if let Ok(rendered) = self.router.view(user_id, render).await {
                    self.receipt(chat_id, rendered);
                }
                self.vip_sync(user_id).await;
            }
            Ok(_) => tracing::info!(user_id = %user_id, "VIP payment applied before; not granted again"),
            Err(refusal) => {
                tracing::error!(user_id = %user_id, %refusal, "a VIP payment could not be granted; refund it");
                self.receipt(chat_id, screens::refusal(language, &refusal));
            }
        }
        Ok(Handled::Durable)
    }

    async fn vip_join_request(
        &self,
        user_id: UserId,
        update_id: UpdateId,
        channel: i64,
        user_chat_id: i64,
        language: Language,
    ) -> Result<Handled, Failure> {
        let decided = self.vip_decide(user_id, Some(update_id), Command::Vip(VipCommand::JoinRequested)).await?;
        let approved = matches!(&decided, Ok((facts, _)) if facts.contains(&VipFact::JoinAnswered { approved: true }));
        let telegram_user = TelegramUserId(user_id.0 as u64);
        if approved {
            if let Err(err) = self.bot.approve_chat_join_request(ChatId(channel), telegram_user).await {
                tracing::warn!(user_id = %user_id, error = %err, "approving a VIP join request failed");
            }
            return Ok(Handled::Durable);
        }
        if let Err(err) = self.bot.decline_chat_join_request(ChatId(channel), telegram_user).await {
            tracing::warn!(user_id = %user_id, error = %err, "declining a VIP join request failed");
        }
        // The offer goes to the chat Telegram opened for this request (the
        // player may never have started the bot).
        let parts = self.ui_parts();
        let render = move |state: &UserState| vip_screens::members_only(state, parts.ui());
        let rendered = match self.router.view(user_id, render).await {
            Ok(rendered) => rendered,
            Err(_) => {
                let mut stranger = UserState::new(user_id);
                stranger.profile = Some(dianabot_game::Profile {
                    first_name: String::new(),
                    username: None,
                    language,
                    registered_at: 0,
                    broadcasts_opt_out: false,
                });
                vip_screens::members_only(&stranger, self.ui_parts().ui())
            }
        };
        self.receipt(user_chat_id, rendered);
        Ok(Handled::Durable)
    }

    /// A free-channel request: the approval is a timer (the content's
    /// wait); a player who never started the bot is registered first, so
    /// the timer has a state to live in.
    async fn free_join_request(
        &self,
        user_id: UserId,
        update_id: UpdateId,
        first_name: String,
        username: Option<String>,
        language: Language,
    ) -> Result<Handled, Failure> {
        let register = Command::Profile(ProfileCommand::Register { first_name, username, language });
        let _ = self.vip_decide(user_id, None, register).await?;
        match self.vip_decide(user_id, Some(update_id), Command::Vip(VipCommand::FreeJoinRequested)).await? {
            Ok(_) => {
                let now = self.router.clock().now();
                // A wait of zero: approve now rather than wait for the timer.
                let due_now = self
                    .router
                    .view(user_id, move |state: &UserState| {
                        state.progress.vip.as_ref().and_then(|vip| vip.free_approval).is_some_and(|due| due <= now)
                    })
                    .await
                    .unwrap_or(false);
                if due_now {
                    self.free_approve(user_id).await;
                }
            }
            Err(refusal) => tracing::warn!(user_id = %user_id, %refusal, "free-channel request not recorded"),
        }
        Ok(Handled::Durable)
    }

    /// Approves the pending free-channel request, welcomes the player and
    /// confirms it to the state (which clears its timer).
    async fn free_approve(&self, user_id: UserId) {
        let Some(channel) = self.free_channel() else {
            tracing::warn!("a free-channel approval is due but FREE_CHANNEL_ID is not set");
            return;
        };
        let approved = self.bot.approve_chat_join_request(ChatId(channel), TelegramUserId(user_id.0 as u64)).await;
        if let Err(err) = &approved {
            // Approved before a crash, or withdrawn: either way, done.
            tracing::info!(user_id = %user_id, error = %err, "free-channel approval not taken");
        }
        match self.vip_decide(user_id, None, Command::Vip(VipCommand::FreeApproved)).await {
            Ok(_) if approved.is_ok() => {
                let render = |state: &UserState| {
                    let name = state.profile.as_ref().map_or(String::new(), |profile| profile.first_name.clone());
                    vip_screens::free_welcome(state.language(), &name)
                };
                if let Ok(rendered) = self.router.view(user_id, render).await {
                    self.receipt(user_id.0, rendered);
                }
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(user_id = %user_id, ?err, "a free-channel approval could not be confirmed"),
        }
    }

    fn free_channel(&self) -> Option<i64> {
        self.translator.channels.iter().copied().find(|&channel| Some(channel) != self.translator.vip_channel)
    }

    /// Performs the channel change the player's state has in its outbox,
    /// if any, and confirms it. Telegram failures leave it there: its
    /// timer has it tried again.
    pub(in crate::telegram) async fn vip_sync(&self, user_id: UserId) {
        let pending = self
            .router
            .view(user_id, |state: &UserState| (state.progress.vip.as_ref().and_then(|vip| vip.sync), state.language()))
            .await;
        let Ok((Some(sync), language)) = pending else { return };
        let Some(channel) = self.translator.vip_channel else {
            tracing::warn!(user_id = %user_id, "a VIP channel change is due but VIP_CHANNEL_ID is not set");
            return;
        };
        let done = match sync.action {
            SyncAction::Invite => self.vip_invite(user_id, channel, language).await,
            SyncAction::Remove => self.vip_remove(user_id).await,
        };
        if let Err(err) = done {
            tracing::warn!(user_id = %user_id, action = ?sync.action, error = %err, "VIP channel change failed; its timer retries");
            return;
        }
        let command = Command::Vip(VipCommand::ChannelSynced(sync.action));
        if let Err(err) = self.vip_decide(user_id, None, command).await {
            tracing::warn!(user_id = %user_id, ?err, "a VIP channel change could not be confirmed; its timer retries");
        }
    }

    /// A personal link (one member, an expiry) to the player's chat; a ban
    /// left from an earlier removal is lifted first.
    async fn vip_invite(
        &self,
        user_id: UserId,
        channel: i64,
        language: Language,
    ) -> Result<(), teloxide_core::RequestError> {
        let telegram_user = TelegramUserId(user_id.0 as u64);
        self.bot.unban_chat_member(ChatId(channel), telegram_user).only_if_banned(true).await?;
        let hours = self.router.content().vip().invite_link_hours;
        let expires = chrono::DateTime::from_timestamp(self.router.clock().now() + i64::from(hours) * 3600, 0)
            .unwrap_or_default();
        let link = self
            .bot
            .create_chat_invite_link(ChatId(channel))
            .name(vip_screens::link_name(user_id.0))
            .member_limit(1)
            .expire_date(expires)
            .await?;
        self.receipt(user_id.0, vip_screens::invite_link(language, &link.invite_link, hours));
        Ok(())
    }

    /// Out of the VIP channel, free to come back by a new link.
    async fn vip_remove(&self, user_id: UserId) -> Result<(), teloxide_core::RequestError> {
        let Some(channel) = self.translator.vip_channel else { return Ok(()) };
        let telegram_user = TelegramUserId(user_id.0 as u64);
        self.bot.ban_chat_member(ChatId(channel), telegram_user).await?;
        self.bot.unban_chat_member(ChatId(channel), telegram_user).only_if_banned(true).await?;
        Ok(())
    }

    /// What a VIP timer's decision (made durable by the timer service's
    /// dispatcher, `flows/timer.rs`) calls for: a reminder, the end of the
    /// paid period, the end of grace (and the removal), a channel change
    /// to do again, a free-channel approval.
    pub(in crate::telegram) async fn vip_timer_effects(&self, user_id: UserId, facts: &[VipFact]) {
        for fact in facts {
            let notice: Option<fn(&UserState, screens::Ui<'_>) -> Rendered> = match fact {
                VipFact::Expired => Some(vip_screens::expired),
                VipFact::Lapsed => Some(vip_screens::lapsed),
                _ => None,
            };
            let rendered = match (fact, notice) {
                (VipFact::Reminded { days_before }, _) => {
                    let days = *days_before;
                    let ui = self.ui_parts();
                    self.router
                        .view(user_id, move |state: &UserState| vip_screens::reminder(state, ui.ui(), days))
                        .await
                        .ok()
                }
                (_, Some(notice)) => {
                    let ui = self.ui_parts();
                    self.router.view(user_id, move |state: &UserState| notice(state, ui.ui())).await.ok()
                }
                _ => None,
            };
            if let Some(rendered) = rendered {
                self.outbound.submit(OutboundRequest::Send {
                    chat_id: user_id.0,
                    text: rendered.text,
                    keyboard: rendered.keyboard,
                    priority: crate::telegram::outbound::Priority::Notification,
                });
            }
            if *fact == VipFact::FreeApprovalDue {
                self.free_approve(user_id).await;
            }
        }
        self.vip_sync(user_id).await;
    }
}
