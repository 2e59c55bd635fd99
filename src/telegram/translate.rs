//! From a Telegram update to what the game understands.

use dianabot_actors::Envelope;
use dianabot_game::{Command, Language, PostRef, UpdateId, UserId};
use teloxide_core::types::{MaybeAnonymousUser, ReactionType, Update, UpdateKind};

/// What an update asks for.
#[derive(Debug)]
pub enum Translation {
    /// A game command for a user, and where to answer.
    Command { envelope: Envelope, reply_to: Option<i64>, screen: Screen },
    /// Nothing for the game; acknowledged as is.
    Ignore(&'static str),
}

/// Which reply an applied command deserves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Welcome,
    /// Reactions are paid silently: answering every reaction would spam.
    Silent,
}

pub fn translate(update: &Update) -> Translation {
    let update_id = Some(UpdateId(i64::from(update.id.0)));
    match &update.kind {
        UpdateKind::Message(message) => {
            let Some(user) = message.from.as_ref() else { return Translation::Ignore("message without sender") };
            if user.is_bot {
                return Translation::Ignore("message from a bot");
            }
            let user_id = UserId(user.id.0 as i64);
            match message.text().map(str::trim) {
                Some(text) if is_command(text, "start") => Translation::Command {
                    envelope: Envelope {
                        user_id,
                        update_id,
                        command: Command::Register {
                            first_name: user.first_name.clone(),
                            username: user.username.clone(),
                            language: Language::from_code(user.language_code.as_deref()),
                        },
                    },
                    reply_to: Some(message.chat.id.0),
                    screen: Screen::Welcome,
                },
                _ => Translation::Ignore("message the bot does not act on"),
            }
        }
        UpdateKind::MessageReaction(reaction) => {
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
            let post = PostRef { chat_id: reaction.chat.id.0, message_id: reaction.message_id.0 };
            Translation::Command {
                envelope: Envelope { user_id: UserId(user.id.0 as i64), update_id, command: Command::React { post, emojis } },
                reply_to: None,
                screen: Screen::Silent,
            }
        }
        UpdateKind::Error(_) => Translation::Ignore("update of a kind this server does not know"),
        _ => Translation::Ignore("update kind not handled"),
    }
}

/// `/start`, `/start payload` and `/start@BotName` all count as /start.
fn is_command(text: &str, name: &str) -> bool {
    let Some(rest) = text.strip_prefix('/') else { return false };
    let word = rest.split_whitespace().next().unwrap_or("");
    let command = word.split('@').next().unwrap_or("");
    command.eq_ignore_ascii_case(name)
}
