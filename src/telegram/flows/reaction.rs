//! REACCIONAR_CONTENIDO: reactions on channel posts (an exchange with the
//! post's actor, paid silently) and on story pages in the player's chat;
//! channel posts published; an operator's engagement report.

use dianabot_game::content::ReactionTarget;
use dianabot_game::post::Post;
use dianabot_game::roles::OperatorAction;
use dianabot_game::{Command, Language, PostRef, ReactionCommand, RuleError, UpdateId, UserId};
use teloxide_core::types::{MaybeAnonymousUser, Message, MessageReactionUpdated, ReactionType};

use crate::telegram::clean::{TEXT_CHARS, clean};
use crate::telegram::intake::{Failure, Handled, Intake};
use crate::telegram::screens;
use crate::telegram::translate::{Operation, Origin, ReplyTo, Translation, user_id};
use dianabot_actors::{DispatchError, Envelope};

#[derive(Debug)]
pub enum ReactionRequest {
    /// Reactions newly set on a channel post (an exchange with the post's
    /// actor); paid silently.
    React { user_id: UserId, update_id: UpdateId, post: PostRef, emojis: Vec<String> },
    /// A post published in one of the bot's channels: players may react to it.
    Publish { post: Post },
    /// An operator asks for the last posts' engagement.
    Report { chat_id: i64, language: Language },
}

pub fn text(origin: &Origin<'_>, name: &str, text: &str) -> Option<Translation> {
    match name {
        "posts" | "publicaciones" => origin.operate(OperatorAction::PostsReport, text, || {
            let (chat_id, language) = (origin.chat_id, origin.language);
            Ok(Operation { target: None, then: Translation::Reaction(ReactionRequest::Report { chat_id, language }) })
        }),
        _ => None,
    }
}

/// A `message_reaction` update: the emojis newly set, on a channel post or
/// on a message of the player's private chat.
pub fn reacted(update_id: UpdateId, reaction: &MessageReactionUpdated) -> Translation {
    let MaybeAnonymousUser::User(user) = &reaction.actor else {
        return Translation::Ignore("anonymous reaction");
    };
    let emojis: Vec<String> = reaction
        .new_reaction
        .iter()
        .filter(|added| !reaction.old_reaction.contains(added))
        .filter_map(|added| match added {
            ReactionType::Emoji { emoji } => Some(emoji.clone()),
            _ => None,
        })
        .collect();
    if emojis.is_empty() {
        return Translation::Ignore("reaction removed or not an emoji");
    }
    let Some(user_id) = user_id(user) else { return Translation::Ignore("sender id outside Telegram's range") };
    let message_id = reaction.message_id.0;
    if reaction.chat.id.0 == user_id.0 {
        // In the player's private chat with the bot: a story page, if the
        // player's state knows the message as one.
        let command = Command::Reaction(ReactionCommand::ReactToPage { page: message_id, emojis });
        let envelope = Envelope { user_id, update_id: Some(update_id), command };
        return Translation::Command { envelope, screen: None, reply: ReplyTo::Nothing };
    }
    let post = PostRef { chat_id: reaction.chat.id.0, message_id };
    Translation::Reaction(ReactionRequest::React { user_id, update_id, post, emojis })
}

/// A `channel_post`: published, at VIP rates in `vip_channel`.
pub fn published(message: &Message, vip_channel: Option<i64>) -> Translation {
    let post = PostRef { chat_id: message.chat.id.0, message_id: message.id.0 };
    let target = if vip_channel == Some(post.chat_id) { ReactionTarget::VipPost } else { ReactionTarget::FreePost };
    let text = clean(message.text().or(message.caption()).unwrap_or_default(), TEXT_CHARS);
    Translation::Reaction(ReactionRequest::Publish { post: Post::new(post, target, message.date.timestamp(), &text) })
}

impl Intake {
    pub(in crate::telegram) async fn handle_reaction(&self, request: ReactionRequest) -> Result<Handled, Failure> {
        match request {
            ReactionRequest::React { user_id, update_id, post, emojis } => {
                match self.coordinator.react(user_id, Some(update_id), post, emojis).await? {
                    Err(RuleError::UnknownPost) => {
                        tracing::debug!(?post, "reaction on a post the bot never saw published");
                        Ok(Handled::Ignored)
                    }
                    // Paid or refused by the player's actor, durably.
                    _ => Ok(Handled::Durable),
                }
            }
            ReactionRequest::Publish { post } => {
                let reference = post.post;
                match self.coordinator.posts().publish(post).await {
                    Ok(new) => {
                        tracing::info!(?reference, new, "channel post published");
                        Ok(Handled::Durable)
                    }
                    Err(err) => {
                        tracing::error!(error = %err, "recording a channel post failed");
                        Err(Failure::NotDurable(DispatchError::NotDurable))
                    }
                }
            }
            ReactionRequest::Report { chat_id, language } => {
                let unavailable = |err: &dyn std::fmt::Display| {
                    tracing::error!(error = %err, "reading the posts' engagement failed");
                    Failure::NotDurable(DispatchError::NotDurable)
                };
                let posts = self.coordinator.posts().recent(10).await.map_err(|err| unavailable(&err))?;
                let fragments =
                    self.coordinator.store().fragment_engagement(5).await.map_err(|err| unavailable(&err))?;
                let report = screens::posts_report(language, &posts, &fragments);
                self.answer(ReplyTo::NewMessage { chat_id }, Some(report));
                Ok(Handled::Viewed)
            }
        }
    }
}
