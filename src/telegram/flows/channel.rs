//! Channel content: an operator's broadcasts to every player
//! (`/difundir`, `/difusiones`; sent by `telegram::broadcast`) and fragment
//! teasers posted to a channel with a deep link into the story
//! (`/teaser`); a player's opt-out of broadcasts (`/noticias off|on`).

use dianabot_actors::DispatchError;
use dianabot_game::content::ReactionTarget;
use dianabot_game::post::Post;
use dianabot_game::{Command, Language, PostRef, ProfileCommand, UpdateId, UserId};

use crate::telegram::clean::{TEXT_CHARS, clean};
use crate::telegram::deeplink;
use crate::telegram::intake::{Failure, Handled, Intake};
use crate::telegram::outbound::{Delivery, OutboundRequest, Priority};
use crate::telegram::screens::{self, Screen, TeaserFailure};
use crate::telegram::translate::{Origin, ReplyTo, Translation};

#[derive(Debug)]
pub enum ChannelRequest {
    /// `/difundir <texto>`: a broadcast job, bound to the update that asked.
    Broadcast { chat_id: i64, language: Language, operator: UserId, update_id: UpdateId, text: String },
    /// `/difusiones`: the last jobs with their progress.
    List { chat_id: i64, language: Language },
    /// `/teaser <fragment> [vip]`: a teaser of the fragment in the free (or VIP) channel.
    Teaser { chat_id: i64, language: Language, fragment: String, vip: bool },
    /// A channel command written wrongly.
    Usage { chat_id: i64, language: Language, command: &'static str },
}

/// Who may broadcast and post to the channels. The one place that says so:
/// today the operators (`ADMIN_IDS`); role permissions replace it.
pub fn may_manage_channels(origin: &Origin<'_>) -> bool {
    origin.operator
}

pub fn text(origin: &Origin<'_>, name: &str, text: &str) -> Option<Translation> {
    let (chat_id, language) = (origin.chat_id, origin.language);
    let usage = |command| Some(Translation::Channel(ChannelRequest::Usage { chat_id, language, command }));
    let argument = text.trim().split_once(char::is_whitespace).map(|(_, rest)| rest.trim()).unwrap_or("");
    match name {
        "noticias" | "news" => match argument {
            "off" | "no" => Some(opt_out(origin, true)),
            "on" | "si" | "sí" | "yes" => Some(opt_out(origin, false)),
            "" => Some(origin.view(Screen::News)),
            _ => usage("news"),
        },
        "difundir" | "broadcast" if may_manage_channels(origin) => {
            let text = clean(argument, TEXT_CHARS).into_owned();
            if text.is_empty() {
                return usage("broadcast");
            }
            let (operator, update_id) = (origin.user_id, origin.update_id);
            Some(Translation::Channel(ChannelRequest::Broadcast { chat_id, language, operator, update_id, text }))
        }
        "difusiones" | "broadcasts" if may_manage_channels(origin) => {
            Some(Translation::Channel(ChannelRequest::List { chat_id, language }))
        }
        "teaser" if may_manage_channels(origin) => {
            let mut words = argument.split_whitespace();
            let (Some(fragment), vip) = (words.next(), words.next()) else { return usage("teaser") };
            if !matches!(vip, None | Some("vip")) || words.next().is_some() {
                return usage("teaser");
            }
            let (fragment, vip) = (fragment.to_owned(), vip.is_some());
            Some(Translation::Channel(ChannelRequest::Teaser { chat_id, language, fragment, vip }))
        }
        _ => None,
    }
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
        match request {
            ChannelRequest::Broadcast { chat_id, language, operator, update_id, text } => {
                let store = self.coordinator.store();
                let id = self.coordinator.next_id().await?;
                let now = dianabot_plumbing::unix_now();
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
                let jobs = self.coordinator.store().broadcasts(10).await.map_err(|err| unavailable("listing", &err))?;
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
            ChannelRequest::Usage { chat_id, language, command } => {
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
        let translator = &self.translator;
        let channel = match vip {
            true => translator.vip_channel,
            false => translator.channels.iter().copied().find(|&channel| Some(channel) != translator.vip_channel),
        };
        let Some(channel) = channel else { return Ok(Some(Err(TeaserFailure::NoChannel))) };
        let Some(username) = translator.username.as_deref() else { return Ok(Some(Err(TeaserFailure::NoUsername))) };
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
        let target = if vip { ReactionTarget::VipPost } else { ReactionTarget::FreePost };
        let post = PostRef { chat_id: channel, message_id };
        let now = dianabot_plumbing::unix_now();
        self.coordinator.posts().publish(Post::new(post, target, now, &excerpt)).await.map_err(|err| {
            tracing::error!(error = %err, ?post, "registering a teaser post failed");
            Failure::NotDurable(DispatchError::NotDurable)
        })?;
        tracing::info!(?post, fragment, "teaser published");
        Ok(Some(Ok(message_id)))
    }
}
