//! Channel content: an operator's broadcasts to every player
//! (`/difundir`, `/difusiones`; sent by `telegram::broadcast`) and fragment
//! teasers posted to a channel with a deep link into the story
//! (`/teaser`); a player's opt-out of broadcasts (`/noticias off|on`).

use std::sync::Arc;

use dianabot_actors::{DispatchError, Fired, PostError, TimerFailure, TimerTarget};
use dianabot_game::content::ReactionTarget;
use dianabot_game::post::Post;
use dianabot_game::roles::OperatorAction;
use dianabot_game::{Command, Language, PostRef, ProfileCommand, UpdateId, UserId};
use dianabot_persistence::{ScheduledPost, ScheduledStatus, StoreError, StoredTimer};

use crate::telegram::clean::{TEXT_CHARS, clean};
use crate::telegram::deeplink;
use crate::telegram::intake::{Failure, Handled, Intake};
use crate::telegram::outbound::{Delivery, OutboundRequest, Priority};
use crate::telegram::screens::{self, Screen, TeaserFailure};
use crate::telegram::translate::{Operation, Origin, ReplyTo, Translation};

#[derive(Debug)]
pub enum ChannelRequest {
    /// `/difundir <texto>`: a broadcast job, bound to the update that asked.
    Broadcast { chat_id: i64, language: Language, operator: UserId, update_id: UpdateId, text: String },
    /// `/difusiones`: the last jobs with their progress.
    List { chat_id: i64, language: Language },
    /// `/teaser <fragment> [vip]`: a teaser of the fragment in the free (or VIP) channel.
    Teaser { chat_id: i64, language: Language, fragment: String, vip: bool },
    /// `/programar <minutos> [vip] <texto>`: a post for the free (or VIP)
    /// channel, published by the timer service when due.
    Schedule {
        chat_id: i64,
        language: Language,
        operator: UserId,
        update_id: UpdateId,
        minutes: u32,
        vip: bool,
        text: String,
    },
    /// `/programados`: the last posts scheduled and where each stands.
    ListScheduled { chat_id: i64, language: Language },
    /// A channel command written wrongly.
    Usage { chat_id: i64, language: Language, command: &'static str },
}

pub fn text(origin: &Origin<'_>, name: &str, text: &str) -> Option<Translation> {
    let (chat_id, language) = (origin.chat_id, origin.language);
    let usage = |command| Translation::Channel(ChannelRequest::Usage { chat_id, language, command });
    let argument = text.trim().split_once(char::is_whitespace).map(|(_, rest)| rest.trim()).unwrap_or("");
    // Who may broadcast and post to the channels: the `channel`
    // permission, decided by `Origin::operate` like every operator command.
    let operation = |then| Ok(Operation { target: None, then });
    match name {
        "noticias" | "news" => match argument {
            "off" | "no" => Some(opt_out(origin, true)),
            "on" | "si" | "sí" | "yes" => Some(opt_out(origin, false)),
            "" => Some(origin.view(Screen::News)),
            _ => Some(usage("news")),
        },
        "difundir" | "broadcast" => origin.operate(OperatorAction::Broadcast, text, || {
            let text = clean(argument, TEXT_CHARS).into_owned();
            if text.is_empty() {
                return operation(usage("broadcast"));
            }
            let (operator, update_id) = (origin.user_id, origin.update_id);
            operation(Translation::Channel(ChannelRequest::Broadcast { chat_id, language, operator, update_id, text }))
        }),
        "difusiones" | "broadcasts" => origin.operate(OperatorAction::ListBroadcasts, text, || {
            operation(Translation::Channel(ChannelRequest::List { chat_id, language }))
        }),
        "teaser" => origin.operate(OperatorAction::Teaser, text, || {
            let mut words = argument.split_whitespace();
            let (Some(fragment), vip) = (words.next(), words.next()) else { return operation(usage("teaser")) };
            if !matches!(vip, None | Some("vip")) || words.next().is_some() {
                return operation(usage("teaser"));
            }
            let target = Some(format!("fragment:{fragment}"));
            let (fragment, vip) = (fragment.to_owned(), vip.is_some());
            let then = Translation::Channel(ChannelRequest::Teaser { chat_id, language, fragment, vip });
            Ok(Operation { target, then })
        }),
        "programar" | "schedule" => origin.operate(OperatorAction::SchedulePost, text, || {
            let Some((minutes, vip, text)) = schedule(argument) else { return operation(usage("schedule")) };
            let (operator, update_id) = (origin.user_id, origin.update_id);
            let request = ChannelRequest::Schedule { chat_id, language, operator, update_id, minutes, vip, text };
            operation(Translation::Channel(request))
        }),
        "programados" | "scheduled" => origin.operate(OperatorAction::ListScheduledPosts, text, || {
            operation(Translation::Channel(ChannelRequest::ListScheduled { chat_id, language }))
        }),
        _ => None,
    }
}

/// The longest wait a post may be scheduled for: a year, in minutes.
const MAX_SCHEDULE_MINUTES: u32 = 366 * 24 * 60;

/// `<minutos> [vip] <texto>`: in how many minutes (1 to a year), to which
/// channel, what.
fn schedule(argument: &str) -> Option<(u32, bool, String)> {
    let (minutes, rest) = argument.split_once(char::is_whitespace)?;
    let minutes = minutes.parse().ok().filter(|minutes| (1..=MAX_SCHEDULE_MINUTES).contains(minutes))?;
    let rest = rest.trim_start();
    let (vip, text) = match rest.split_once(char::is_whitespace) {
        Some(("vip", text)) => (true, text),
        _ => (false, rest),
    };
    let text = clean(text.trim(), TEXT_CHARS).into_owned();
    (!text.is_empty()).then_some((minutes, vip, text))
}

fn opt_out(origin: &Origin<'_>, opt_out: bool) -> Translation {
    origin.command(Command::Profile(ProfileCommand::SetBroadcastsOptOut(opt_out)), Some(Screen::News))
}

impl Intake {
    pub(in crate::telegram) async fn handle_channel(&self, request: ChannelRequest) -> Result<Handled, Failure> {
        let unavailable = |what: &str, err: &dyn std::fmt::Display| {
            tracing::error!(error = %err, what, "channel command failed");
            Failure::NotDurable(DispatchError::NotDurable)
        };
        let store = self.coordinator.store();
        match request {
            ChannelRequest::Broadcast { chat_id, language, operator, update_id, text } => {
                let id = self.coordinator.next_id().await?;
                let now = self.router.clock().now();
                let job = store
                    .create_broadcast(id, &text, operator, now, Some(update_id.fingerprint()))
                    .await
                    .map_err(|err| unavailable("creating a broadcast", &err))?;
                let audience = store.broadcast_audience().await.map_err(|err| unavailable("counting", &err))?;
                if let Some(broadcaster) = &self.broadcaster {
                    broadcaster.wake();
                }
                tracing::info!(broadcast_id = job.id, audience, "broadcast created");
                self.answer(
                    ReplyTo::NewMessage { chat_id },
                    Some(screens::broadcast_created(language, job.id, audience)),
                );
                Ok(Handled::Durable)
            }
            ChannelRequest::List { chat_id, language } => {
                let jobs = store.broadcasts(10).await.map_err(|err| unavailable("listing", &err))?;
                self.answer(ReplyTo::NewMessage { chat_id }, Some(screens::broadcasts_report(language, &jobs)));
                Ok(Handled::Viewed)
            }
            ChannelRequest::Teaser { chat_id, language, fragment, vip } => {
                let result = self.post_teaser(language, &fragment, vip).await?;
                let report = match result {
                    Some(result) => screens::teaser_report(language, &fragment, result),
                    None => screens::refusal(
                        language,
                        &dianabot_game::RuleError::Malformed(dianabot_game::Malformed::UnknownFragment(fragment)),
                    ),
                };
                self.answer(ReplyTo::NewMessage { chat_id }, Some(report));
                Ok(Handled::Durable)
            }
            ChannelRequest::Schedule { chat_id, language, operator, update_id, minutes, vip, text } => {
                let Some(channel) = self.channel(vip) else {
                    self.audit_failed("no such channel configured");
                    self.answer(ReplyTo::NewMessage { chat_id }, Some(screens::post_scheduled(language, None, vip)));
                    return Ok(Handled::Ignored);
                };
                let now = self.router.clock().now();
                let post = ScheduledPost {
                    id: self.coordinator.next_id().await?,
                    chat_id: channel,
                    vip,
                    text,
                    due: now + i64::from(minutes) * 60,
                    created_by: operator,
                    status: ScheduledStatus::Scheduled,
                    message_id: None,
                };
                let post = store
                    .schedule_post(&post, Some(update_id.fingerprint()), now)
                    .await
                    .map_err(|err| unavailable("scheduling a post", &err))?;
                self.audit_target(format!("post:{}", post.id));
                tracing::info!(post_id = post.id, due = post.due, "channel post scheduled");
                self.answer(ReplyTo::NewMessage { chat_id }, Some(screens::post_scheduled(language, Some(&post), vip)));
                Ok(Handled::Durable)
            }
            ChannelRequest::ListScheduled { chat_id, language } => {
                let posts = store.scheduled_posts(10).await.map_err(|err| unavailable("listing", &err))?;
                self.answer(ReplyTo::NewMessage { chat_id }, Some(screens::scheduled_report(language, &posts)));
                Ok(Handled::Viewed)
            }
            ChannelRequest::Usage { chat_id, language, command } => {
                self.audit_failed(format!("usage of /{command}"));
                self.answer(ReplyTo::NewMessage { chat_id }, Some(screens::channel_usage(language, command)));
                Ok(Handled::Ignored)
            }
        }
    }

    /// Posts a teaser of `fragment` and registers the post, so reactions
    /// on it pay like on any post of the channel; `None` for a fragment
    /// the content does not have.
    async fn post_teaser(
        &self,
        language: Language,
        fragment: &str,
        vip: bool,
    ) -> Result<Option<Result<i32, TeaserFailure>>, Failure> {
        let content = self.router.content();
        let Some(found) = content.fragment(fragment) else { return Ok(None) };
        let Some(channel) = self.channel(vip) else { return Ok(Some(Err(TeaserFailure::NoChannel))) };
        let Some(username) = self.translator.username.as_deref() else {
            return Ok(Some(Err(TeaserFailure::NoUsername)));
        };
        let link = format!("https://t.me/{username}?start={}", deeplink::fragment_payload(fragment));
        let Some(rendered) = screens::teaser(language, &content, found, link) else {
            return Ok(Some(Err(TeaserFailure::NotSent)));
        };
        let excerpt = rendered.text.clone();
        let sent = self.outbound.submit_with_receipt(OutboundRequest::Send {
            chat_id: channel,
            text: rendered.text,
            keyboard: rendered.keyboard,
            priority: Priority::Interactive,
        });
        let Ok(Delivery::Sent(message_id)) = sent.await else { return Ok(Some(Err(TeaserFailure::NotSent))) };
        let post = PostRef { chat_id: channel, message_id };
        self.register_post(post, vip, &excerpt).await.map_err(|err| {
            tracing::error!(error = %err, ?post, "registering a teaser post failed");
            Failure::NotDurable(DispatchError::NotDurable)
        })?;
        tracing::info!(?post, fragment, "teaser published");
        Ok(Some(Ok(message_id)))
    }

    /// The free channel, or the VIP one.
    fn channel(&self, vip: bool) -> Option<i64> {
        let translator = &self.translator;
        match vip {
            true => translator.vip_channel,
            false => translator.channels.iter().copied().find(|&channel| Some(channel) != translator.vip_channel),
        }
    }

    /// A post the bot published itself, registered so reactions on it pay
    /// like on any post of its channel.
    async fn register_post(&self, post: PostRef, vip: bool, excerpt: &str) -> Result<(), PostError> {
        let target = if vip { ReactionTarget::VipPost } else { ReactionTarget::FreePost };
        let now = self.router.clock().now();
        self.coordinator.posts().publish(Post::new(post, target, now, excerpt)).await.map(drop)
    }

    /// The target of scheduled posts' timers for the timer service.
    pub fn scheduled_post_target(&self) -> Arc<dyn TimerTarget> {
        let intake = self.clone();
        Arc::new(move |timer: StoredTimer| -> Fired {
            let intake = intake.clone();
            Box::pin(async move { intake.publish_scheduled(timer.owner_id).await })
        })
    }

    /// Publishes scheduled post `id`, at most once: `sending` is durable
    /// before the post goes to Telegram, and a post found `sending` (a
    /// crash during its send) is settled as `unknown`, not sent again.
    async fn publish_scheduled(&self, id: i64) -> Result<(), TimerFailure> {
        let store = self.coordinator.store();
        let transient = |err: StoreError| TimerFailure::Transient(err.to_string());
        let Some(post) = store.scheduled_post(id).await.map_err(transient)? else {
            return Err(TimerFailure::Permanent(format!("no scheduled post {id}")));
        };
        let now = self.router.clock().now();
        match post.status {
            ScheduledStatus::Scheduled => {}
            ScheduledStatus::Sending => {
                tracing::warn!(post_id = id, "a scheduled post's send was cut short; not sent again");
                store
                    .move_scheduled_post(id, post.status, ScheduledStatus::Unknown, None, now)
                    .await
                    .map_err(transient)?;
                return Ok(());
            }
            ScheduledStatus::Published | ScheduledStatus::Failed | ScheduledStatus::Unknown => return Ok(()),
        }
        if !store.move_scheduled_post(id, post.status, ScheduledStatus::Sending, None, now).await.map_err(transient)? {
            return Ok(());
        }
        let sent = self.outbound.submit_with_receipt(OutboundRequest::Send {
            chat_id: post.chat_id,
            text: screens::broadcast_message(Language::default(), &post.text),
            keyboard: None,
            priority: Priority::Notification,
        });
        let (status, message_id) = match sent.await {
            Ok(Delivery::Sent(message_id)) => (ScheduledStatus::Published, Some(message_id)),
            Ok(Delivery::Refused) => (ScheduledStatus::Failed, None),
            Ok(Delivery::Unknown) | Err(_) => (ScheduledStatus::Unknown, None),
        };
        if let Some(message_id) = message_id {
            let reference = PostRef { chat_id: post.chat_id, message_id };
            // Retried by the timer while it fails; the post is out already.
            if let Err(err) = self.register_post(reference, post.vip, &post.text).await {
                tracing::error!(error = %err, post_id = id, "registering a scheduled post failed");
            }
        }
        let now = self.router.clock().now();
        store.move_scheduled_post(id, ScheduledStatus::Sending, status, message_id, now).await.map_err(transient)?;
        tracing::info!(post_id = id, status = status.as_str(), "scheduled post handled");
        Ok(())
    }
}
