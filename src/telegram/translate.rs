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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Update {
        serde_json::from_str(json).expect("valid update")
    }

    #[test]
    fn start_registers_with_the_users_language() {
        let update = parse(
            r#"{"update_id":10,"message":{"message_id":1,"date":1700000000,
                "chat":{"id":42,"type":"private","first_name":"Ana"},
                "from":{"id":42,"is_bot":false,"first_name":"Ana","language_code":"en-GB"},
                "text":"/start@DianaBot ref"}}"#,
        );
        let Translation::Command { envelope, reply_to, screen } = translate(&update) else { panic!("not a command") };
        assert_eq!(envelope.user_id, UserId(42));
        assert_eq!(envelope.update_id, Some(UpdateId(10)));
        assert_eq!(
            envelope.command,
            Command::Register { first_name: "Ana".into(), username: None, language: Language::En }
        );
        assert_eq!((reply_to, screen), (Some(42), Screen::Welcome));
    }

    #[test]
    fn only_newly_added_emojis_count() {
        let update = parse(
            r#"{"update_id":11,"message_reaction":{"chat":{"id":-1001,"type":"channel","title":"Diana"},
                "message_id":7,"user":{"id":42,"is_bot":false,"first_name":"Ana"},"date":1700000000,
                "old_reaction":[{"type":"emoji","emoji":"👍"}],
                "new_reaction":[{"type":"emoji","emoji":"👍"},{"type":"emoji","emoji":"🔥"}]}}"#,
        );
        let Translation::Command { envelope, .. } = translate(&update) else { panic!("not a command") };
        let post = PostRef { chat_id: -1001, message_id: 7 };
        assert_eq!(envelope.command, Command::React { post, emojis: vec!["🔥".into()] });
    }

    #[test]
    fn removed_reactions_and_unknown_kinds_are_ignored() {
        let removed = parse(
            r#"{"update_id":12,"message_reaction":{"chat":{"id":-1001,"type":"channel","title":"Diana"},
                "message_id":7,"user":{"id":42,"is_bot":false,"first_name":"Ana"},"date":1700000000,
                "old_reaction":[{"type":"emoji","emoji":"👍"}],"new_reaction":[]}}"#,
        );
        assert!(matches!(translate(&removed), Translation::Ignore(_)));
        let unknown = parse(r#"{"update_id":13,"brand_new_kind":{"x":1}}"#);
        assert!(matches!(translate(&unknown), Translation::Ignore(_)));
    }
}
