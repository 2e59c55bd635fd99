//! From a Telegram update to what the game understands: who sent it and
//! where the answer goes ([`Origin`], worked out once per update), then
//! the flow it belongs to (`flows/`) parses the rest.

use std::collections::BTreeSet;
use std::sync::Arc;

use dianabot_actors::Envelope;
use dianabot_game::roles::{Access, AuditEntry, AuditOutcome, OperatorAction};
use dianabot_game::{Command, Language, RuleError, UpdateId, UserId};
use teloxide_core::types::{CallbackQuery, MaybeAnonymousUser, Message, Update, UpdateKind, User};

use crate::config::AuctionLimits;
use crate::operators::Roster;
use crate::telegram::callback::{CallbackCodec, CallbackError};
use crate::telegram::clean::{TEXT_CHARS, clean};
use crate::telegram::flows::{
    AnalyticsRequest, AuctionRequest, ChannelRequest, GiftRequest, LoreRequest, OperatorRequest, ProfileRequest,
    ReactionRequest, RoleRequest, ShopRequest, VipRequest, analytics, auction, channel, experience, gift, lore,
    operator, profile, reaction, roles, shop, story, vip,
};
use crate::telegram::flows::{BoardRequest, leaderboard};
use crate::telegram::flows::{ReferralRequest, TriviaRequest, referral, trivia};
// flags
use crate::telegram::flows::{FlagRequest, flags};
// offers-stars
use crate::telegram::flows::offer;
use crate::telegram::screens::Screen;

/// What an update asks for: the common paths (a game command answered by
/// a screen, a look at the state, a refusal) or a flow's own request.
#[derive(Debug)]
pub enum Translation {
    /// A game command for a user; then `screen` (if any) goes to `reply`.
    Command {
        envelope: Envelope,
        screen: Option<Screen>,
        reply: ReplyTo,
    },
    /// A look at the user's state, nothing changes.
    View {
        user_id: UserId,
        screen: Screen,
        reply: ReplyTo,
    },
    Profile(ProfileRequest),
    Shop(ShopRequest),
    Auction(AuctionRequest),
    Gift(GiftRequest),
    Reaction(ReactionRequest),
    Operator(OperatorRequest),
    Role(RoleRequest),
    Analytics(AnalyticsRequest),
    /// An operator command, with its audit row: `then` is what it asks
    /// (or its refusal), handled with the operator's answer held until the
    /// row is written.
    Operated(Box<Operated>),
    Vip(VipRequest),
    Channel(ChannelRequest),
    Lore(LoreRequest),
    // Community games.
    Trivia(TriviaRequest),
    Referral(ReferralRequest),
    /// Input refused before reaching the game (an operator's malformed
    /// command): answered with `text`, nothing changes.
    Refuse {
        chat_id: i64,
        language: Language,
        refusal: RuleError,
    },
    /// A button that cannot be honoured: answered with an alert, nothing changes.
    RefuseButton {
        callback_query_id: String,
        language: Language,
        error: CallbackError,
    },
    /// Nothing for the game; acknowledged as is.
    Ignore(&'static str),
    // Leaderboards.
    Board(BoardRequest),
    // flags
    Flag(FlagRequest),
    // offers
    Offer(crate::telegram::flows::OfferRequest),
}

/// An operator command and its audit row: `audit.outcome` is `Refused`
/// (no permission) or `Failed` (malformed) when translation decided it,
/// else `Done` until handling says otherwise.
#[derive(Debug)]
pub struct Operated {
    pub audit: AuditEntry,
    pub then: Translation,
}

/// What a permitted operator command asks: its target for the audit log
/// (a user id, or `kind:id`), and the request.
#[derive(Debug)]
pub struct Operation {
    pub target: Option<String>,
    pub then: Translation,
}

/// Where the answer goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyTo {
    Nothing,
    NewMessage {
        chat_id: i64,
    },
    /// A button was pressed: edit its message in place (no new message
    /// spam) and answer the callback query.
    Edit {
        chat_id: i64,
        message_id: i32,
        callback_query_id: String,
    },
}

/// Who sent an update, from which chat, in which language, and where its
/// answer goes: what every flow's parser needs, worked out once.
#[derive(Debug, Clone)]
pub struct Origin<'a> {
    pub user: &'a User,
    pub user_id: UserId,
    pub chat_id: i64,
    pub language: Language,
    pub update_id: UpdateId,
    pub reply: ReplyTo,
    /// What the sender may do as an operator (nothing, for a player).
    pub access: Access,
    /// When the update was translated, by the game clock.
    pub now: i64,
    /// A button pressed in the player's private chat: a story command
    /// answering it turns this message into the story page.
    pub page: Option<i32>,
}

impl Origin<'_> {
    /// A game command for the sender, answered with `screen`.
    pub fn command(&self, command: Command, screen: Option<Screen>) -> Translation {
        self.command_for(self.user_id, command, screen)
    }

    /// A game command for `user_id` (an operator's target), answered to the sender.
    pub fn command_for(&self, user_id: UserId, command: Command, screen: Option<Screen>) -> Translation {
        let envelope = Envelope { user_id, update_id: Some(self.update_id), command };
        Translation::Command { envelope, screen, reply: self.reply.clone() }
    }

    pub fn view(&self, screen: Screen) -> Translation {
        Translation::View { user_id: self.user_id, screen, reply: self.reply.clone() }
    }

    pub fn refuse(&self, refusal: RuleError) -> Translation {
        Translation::Refuse { chat_id: self.chat_id, language: self.language, refusal }
    }

    /// An operator command of kind `action`, typed as `text`: the one place
    /// that decides whether the sender may run it. From someone who is no
    /// operator at all (no owner, no role grant, even lapsed) it is not recognised (`None`: a player is not told
    /// operator commands exist). Without the permission `action` needs it
    /// is refused, and nothing else is looked at. Otherwise it is what
    /// `parse` makes of it, or its refusal if malformed. Either way it
    /// carries its audit row.
    pub fn operate(
        &self,
        action: OperatorAction,
        text: &str,
        parse: impl FnOnce() -> Result<Operation, RuleError>,
    ) -> Option<Translation> {
        if !self.access.is_operator() {
            return None;
        }
        let args: String = text.split_whitespace().skip(1).collect::<Vec<_>>().join(" ").chars().take(200).collect();
        let audit = |outcome, target, detail| AuditEntry {
            at: self.now,
            operator: self.user_id,
            action,
            target,
            args,
            outcome,
            detail,
        };
        let permission = action.permission();
        let operated = if !self.access.allows(permission) {
            let refusal = RuleError::NotPermitted(permission);
            let audit = audit(AuditOutcome::Refused, None, Some(format!("lacks the {permission} permission")));
            Operated { audit, then: self.refuse(refusal) }
        } else {
            match parse() {
                Ok(Operation { target, then }) => Operated { audit: audit(AuditOutcome::Done, target, None), then },
                Err(refusal) => {
                    let audit = audit(AuditOutcome::Failed, None, Some(refusal.to_string()));
                    Operated { audit, then: self.refuse(refusal) }
                }
            }
        };
        Some(Translation::Operated(Box::new(operated)))
    }

    pub fn refuse_button(&self, error: CallbackError) -> Translation {
        let callback_query_id = match &self.reply {
            ReplyTo::Edit { callback_query_id, .. } => callback_query_id.clone(),
            ReplyTo::Nothing | ReplyTo::NewMessage { .. } => String::new(),
        };
        Translation::RefuseButton { callback_query_id, language: self.language, error }
    }
}

/// Translates updates; knows the button key and who the operators are.
#[derive(Clone)]
pub struct Translator {
    pub codec: CallbackCodec,
    /// Who may run which operator commands (owners and granted roles).
    pub operators: Arc<Roster>,
    /// What an operator's `/subasta` may ask for.
    pub auctions: AuctionLimits,
    /// Reactions on this channel's posts pay the VIP rates.
    pub vip_channel: Option<i64>,
    /// The bot's channels: posts from any other chat are not registered.
    pub channels: BTreeSet<i64>,
    /// The bot's own username (getMe): a command addressed to another bot
    /// (`/regalar@OtherBot`) is not ours to run. `None` until Telegram said.
    pub username: Option<String>,
}

impl Translator {
    pub fn translate(&self, update: &Update) -> Translation {
        let update_id = update_key(update);
        match &update.kind {
            UpdateKind::Message(message) => self.message(update_id, message),
            UpdateKind::CallbackQuery(query) => self.press(update_id, query),
            UpdateKind::MessageReaction(reaction) => reaction::reacted(update_id, reaction),
            UpdateKind::ChannelPost(message) if self.channels.contains(&message.chat.id.0) => {
                reaction::published(message, self.vip_channel)
            }
            UpdateKind::ChannelPost(_) => Translation::Ignore("post in a chat that is not one of the bot's channels"),
            UpdateKind::PreCheckoutQuery(query) => vip::pre_checkout_query(&self.codec, query)
                .or_else(|| offer::pre_checkout_query(&self.codec, query))
                .unwrap_or_else(|| shop::pre_checkout_query(&self.codec, query)),
            UpdateKind::ChatMember(member) => vip::chat_member(update_id, member, self.vip_channel),
            UpdateKind::ChatJoinRequest(request) => {
                vip::join_request(update_id, request, self.vip_channel, &self.channels)
            }
            UpdateKind::Error(_) => Translation::Ignore("update of a kind this server does not know"),
            _ => Translation::Ignore("update kind not handled"),
        }
    }

    /// Who sent the update and where the answer goes; `None` for a sender
    /// id outside Telegram's range, which no real user has.
    fn origin<'a>(&self, user: &'a User, update_id: UpdateId, chat_id: i64, reply: ReplyTo) -> Option<Origin<'a>> {
        let user_id = user_id(user)?;
        Some(Origin {
            user,
            user_id,
            chat_id,
            language: Language::from_code(user.language_code.as_deref()),
            update_id,
            reply,
            access: self.operators.access(user_id),
            now: self.operators.now(),
            page: None,
        })
    }

    /// A message: a payment, or a text command for one of the flows.
    fn message(&self, update_id: UpdateId, message: &Message) -> Translation {
        let Some(user) = message.from.as_ref() else { return Translation::Ignore("message without sender") };
        if user.is_bot {
            return Translation::Ignore("message from a bot");
        }
        let chat_id = message.chat.id.0;
        let Some(origin) = self.origin(user, update_id, chat_id, ReplyTo::NewMessage { chat_id }) else {
            return Translation::Ignore(OUT_OF_RANGE);
        };
        if let Some(payment) = message.successful_payment() {
            return vip::paid(&origin, &self.codec, payment)
                .or_else(|| offer::paid(&origin, &self.codec, payment))
                .unwrap_or_else(|| shop::paid(&origin, &self.codec, payment));
        }
        let Some(text) = message.text() else { return Translation::Ignore("message without text") };
        let text = clean(text, TEXT_CHARS);
        let text = text.as_ref();
        // In a group the bot answers only what is addressed to it.
        let in_group = !message.chat.is_private();
        let name = match command_name(text) {
            Some((_, Some(bot))) if !self.username.as_deref().is_some_and(|me| bot.eq_ignore_ascii_case(me)) => {
                return Translation::Ignore("command for another bot");
            }
            Some((name, _)) => name,
            None if in_group => return Translation::Ignore("group chatter"),
            None => return origin.view(Screen::NotUnderstood),
        };
        let name = name.as_str();
        vip::text(&origin, name)
            .or_else(|| profile::text(&origin, name, text))
            .or_else(|| story::text(&origin, name))
            .or_else(|| experience::text(&origin, name))
            .or_else(|| lore::text(&origin, name, text))
            .or_else(|| shop::text(&origin, name, text))
            .or_else(|| gift::text(&origin, name, text))
            .or_else(|| auction::text(&origin, name, text, self.auctions))
            .or_else(|| reaction::text(&origin, name, text))
            .or_else(|| operator::text(&origin, name, text))
            .or_else(|| roles::text(&origin, name, text))
            .or_else(|| channel::text(&origin, name, text))
            .or_else(|| analytics::text(&origin, name, text))
            .or_else(|| trivia::text(&origin, name))
            .or_else(|| referral::text(&origin, name))
            .or_else(|| leaderboard::text(&origin, name))
            .or_else(|| flags::text(&origin, name, text))
            .or_else(|| crate::telegram::flows::offer::text(&origin, name))
            .unwrap_or_else(|| origin.view(Screen::NotUnderstood))
    }

    /// A button press: its signed data says which flow's action it is.
    fn press(&self, update_id: UpdateId, query: &CallbackQuery) -> Translation {
        let Some(message) = query.message.as_ref() else {
            return Translation::Ignore("button on an inline message");
        };
        let chat_id = message.chat().id.0;
        let reply = ReplyTo::Edit { chat_id, message_id: message.id().0, callback_query_id: query.id.0.clone() };
        let Some(mut origin) = self.origin(&query.from, update_id, chat_id, reply) else {
            return Translation::Ignore(OUT_OF_RANGE);
        };
        let data = query.data.as_deref().unwrap_or_default();
        let action = match self.codec.decode(origin.user_id, data) {
            Ok(action) => action,
            Err(error) => {
                tracing::warn!(user_id = %origin.user_id, %error, data, "button refused");
                return origin.refuse_button(error);
            }
        };
        origin.page = (chat_id == origin.user_id.0).then_some(message.id().0);
        story::press(&origin, action)
            .or_else(|| shop::press(&origin, action))
            .or_else(|| vip::press(&origin, action))
            .or_else(|| auction::press(&origin, action))
            .or_else(|| experience::press(&origin, action))
            .or_else(|| lore::press(&origin, action))
            .or_else(|| trivia::press(&origin, action))
            .or_else(|| referral::press(&origin, action))
            .or_else(|| leaderboard::press(&origin, action))
            .or_else(|| crate::telegram::flows::offer::press(&origin, action))
            .unwrap_or_else(|| profile::press(&origin, action))
    }
}

pub(crate) const OUT_OF_RANGE: &str = "sender id outside Telegram's range";

/// Telegram user ids have at most 52 significant bits; anything else (0,
/// or 2^64−1, which `as i64` would wrap to −1) is no user of ours.
pub fn user_id(user: &User) -> Option<UserId> {
    const MAX: u64 = (1 << 52) - 1;
    (1..=MAX).contains(&user.id.0).then_some(UserId(user.id.0 as i64))
}

// cluster-bus
/// The user whose actor an update goes to — what decides which node
/// handles it (clustering): the sender, or for a channel member change the
/// member. `None` for updates of no user (channel posts, anonymous
/// reactions, reaction counts), which the server-wide shard's owner handles.
pub fn routed_user(update: &Update) -> Option<UserId> {
    let user = match &update.kind {
        UpdateKind::Message(message) => message.from.as_ref()?,
        UpdateKind::CallbackQuery(query) => &query.from,
        UpdateKind::MessageReaction(reaction) => match &reaction.actor {
            MaybeAnonymousUser::User(user) => user,
            MaybeAnonymousUser::Chat(_) => return None,
        },
        UpdateKind::PreCheckoutQuery(query) => &query.from,
        UpdateKind::ChatMember(member) => &member.new_chat_member.user,
        UpdateKind::ChatJoinRequest(request) => &request.from,
        _ => return None,
    };
    user_id(user)
}

/// `/Start`, `/start payload` and `/start@BotName` all name `start`; the
/// second part is the bot a command is addressed to, if it names one.
fn command_name(text: &str) -> Option<(String, Option<&str>)> {
    let rest = text.trim().strip_prefix('/')?;
    let word = rest.split_whitespace().next().unwrap_or("");
    let (name, bot) = match word.split_once('@') {
        Some((name, bot)) => (name, Some(bot)),
        None => (word, None),
    };
    Some((name.to_lowercase(), bot))
}

/// The update as deduplication knows it: its id and a digest of what
/// identifies its content (chat, message id, date and text; a callback
/// query's or pre-checkout's id), so an update of a restarted id sequence
/// is not taken for a re-delivery, which is byte-identical. FNV-1a: stable
/// across builds, because the digest is persisted in user snapshots.
pub fn update_key(update: &Update) -> UpdateId {
    let mut digest = Fnv1a::default();
    match &update.kind {
        UpdateKind::Message(message)
        | UpdateKind::EditedMessage(message)
        | UpdateKind::ChannelPost(message)
        | UpdateKind::EditedChannelPost(message) => {
            digest.write(&message.chat.id.0.to_le_bytes());
            digest.write(&message.id.0.to_le_bytes());
            digest.write(&message.date.timestamp().to_le_bytes());
            digest.write(message.text().unwrap_or_default().as_bytes());
            if let Some(payment) = message.successful_payment() {
                digest.write(payment.telegram_payment_charge_id.0.as_bytes());
            }
        }
        UpdateKind::CallbackQuery(query) => {
            digest.write(query.id.0.as_bytes());
            digest.write(query.data.as_deref().unwrap_or_default().as_bytes());
        }
        UpdateKind::PreCheckoutQuery(query) => digest.write(query.id.0.as_bytes()),
        UpdateKind::ChatMember(member) => {
            digest.write(&member.chat.id.0.to_le_bytes());
            digest.write(&member.new_chat_member.user.id.0.to_le_bytes());
            digest.write(&member.date.timestamp().to_le_bytes());
        }
        UpdateKind::ChatJoinRequest(request) => {
            digest.write(&request.chat.id.0.to_le_bytes());
            digest.write(&request.from.id.0.to_le_bytes());
            digest.write(&request.date.timestamp().to_le_bytes());
        }
        UpdateKind::MessageReaction(reaction) => {
            digest.write(&reaction.chat.id.0.to_le_bytes());
            digest.write(&reaction.message_id.0.to_le_bytes());
            digest.write(&reaction.date.timestamp().to_le_bytes());
        }
        _ => {}
    }
    UpdateId::new(i64::from(update.id.0), digest.finish())
}

/// 32-bit FNV-1a.
struct Fnv1a(u32);

impl Default for Fnv1a {
    fn default() -> Fnv1a {
        Fnv1a(0x811c_9dc5)
    }
}

impl Fnv1a {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u32::from(byte)).wrapping_mul(0x0100_0193);
        }
    }

    fn finish(&self) -> u32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use dianabot_actors::PreCheckout;
    use dianabot_game::content::ReactionTarget;
    use dianabot_game::roles::RoleGrant;
    use dianabot_game::{AdminCommand, Besitos, PostRef, ProfileCommand, ReactionCommand, StoryCommand};

    use super::*;
    use crate::telegram::callback::{Action, InvoicePayload};

    fn codec() -> CallbackCodec {
        CallbackCodec::new(b"secret")
    }

    fn translate(update: &Update, codec: &CallbackCodec) -> Translation {
        Translator { codec: codec.clone(), ..translator() }.translate(update)
    }

    fn update_with_text(from: i64, text: &str) -> Update {
        parse(&format!(
            r#"{{"update_id":23,"message":{{"message_id":1,"date":1700000000,
                "chat":{{"id":{from},"type":"private","first_name":"Eve"}},
                "from":{{"id":{from},"is_bot":false,"first_name":"Eve"}},"text":"{text}"}}}}"#
        ))
    }

    fn translator() -> Translator {
        Translator {
            codec: codec(),
            operators: std::sync::Arc::new(crate::operators::Roster::new(
                [dianabot_game::UserId(1)],
                std::sync::Arc::new(crate::content::load_demo().expect("demo content")),
                dianabot_plumbing::Clock::system(),
            )),
            auctions: AuctionLimits::default(),
            vip_channel: Some(-2002),
            channels: BTreeSet::from([-1001, -2002]),
            username: Some("DianaBot".to_owned()),
        }
    }

    fn message(chat: &str, from_id: &str, first_name: &str, text: &str) -> Update {
        let update = serde_json::json!({"update_id": 30, "message": {"message_id": 3, "date": 1_700_000_000,
            "chat": serde_json::from_str::<serde_json::Value>(chat).unwrap(),
            "from": {"id": serde_json::from_str::<serde_json::Value>(from_id).unwrap(), "is_bot": false,
                "first_name": first_name, "language_code": "es"},
            "text": text}});
        parse(&update.to_string())
    }

    const PRIVATE: &str = r#"{"id":7,"type":"private","first_name":"Ana"}"#;
    const GROUP: &str = r#"{"id":-500,"type":"supergroup","title":"Tertulia"}"#;

    #[test]
    fn posts_from_chats_that_are_not_the_bots_channels_are_not_registered() {
        let post = |chat: &str| {
            parse(&format!(
                r#"{{"update_id":15,"channel_post":{{"message_id":9,"date":1700000000,"chat":{chat},"text":"hola"}}}}"#
            ))
        };
        let private = post(r#"{"id":1001,"type":"private","first_name":"Eve"}"#);
        assert!(matches!(translate(&private, &codec()), Translation::Ignore(_)));
        let stranger = post(r#"{"id":-3003,"type":"channel","title":"Otro"}"#);
        assert!(matches!(translate(&stranger, &codec()), Translation::Ignore(_)));
    }

    #[test]
    fn senders_outside_telegrams_id_range_are_refused() {
        for id in ["18446744073709551615", "9223372036854775808", "4503599627370496", "0"] {
            let update = message(PRIVATE, id, "Eve", "/start");
            assert!(matches!(translate(&update, &codec()), Translation::Ignore(_)), "user id {id}");
        }
        let largest = message(PRIVATE, "4503599627370495", "Ana", "/start");
        assert!(matches!(translate(&largest, &codec()), Translation::Command { .. }));
    }

    #[test]
    fn commands_for_other_bots_and_group_chatter_are_not_ours() {
        let other_bot = message(GROUP, "7", "Ana", "/regalar@SomeOtherBot @bob 1");
        assert!(matches!(translate(&other_bot, &codec()), Translation::Ignore("command for another bot")));
        let chatter = message(GROUP, "7", "Ana", "¿alguien vio el capítulo?");
        assert!(matches!(translate(&chatter, &codec()), Translation::Ignore("group chatter")));
        let ours = message(GROUP, "7", "Ana", "/regalar@DianaBot @bob 1");
        assert!(matches!(translate(&ours, &codec()), Translation::Gift(_)));
        let private = message(PRIVATE, "7", "Ana", "hola");
        assert!(matches!(translate(&private, &codec()), Translation::View { screen: Screen::NotUnderstood, .. }));
    }

    #[test]
    fn names_and_texts_are_cleaned_of_nul_and_control_characters() {
        let update = message(PRIVATE, "7", "An\u{0}a\u{7}", "/start");
        let translated = translate(&update, &codec());
        let Translation::Command { envelope, .. } = translated else { panic!("not a command: {translated:?}") };
        let Command::Profile(ProfileCommand::Register { first_name, .. }) = envelope.command else { panic!() };
        assert_eq!(first_name, "Ana");
    }

    fn admin_text(text: &str) -> Update {
        parse(&format!(
            r#"{{"update_id":20,"message":{{"message_id":1,"date":1700000000,
                "chat":{{"id":1,"type":"private","first_name":"Op"}},
                "from":{{"id":1,"is_bot":false,"first_name":"Op","language_code":"en"}},"text":"{text}"}}}}"#
        ))
    }

    /// An operator command's audit row and what it asks.
    fn operated(translation: Translation) -> (AuditEntry, Translation) {
        match translation {
            Translation::Operated(operated) => (operated.audit, operated.then),
            other => panic!("not an operator command: {other:?}"),
        }
    }

    #[test]
    fn operators_grant_besitos_with_a_valid_amount_only() {
        let (audit, translated) = operated(translate(&admin_text("/grant 42 15"), &codec()));
        assert_eq!(
            (audit.action, audit.outcome, audit.target.as_deref()),
            (OperatorAction::Grant, AuditOutcome::Done, Some("42"))
        );
        assert_eq!((audit.operator, audit.args.as_str()), (UserId(1), "42 15"));
        let Translation::Command { envelope, .. } = translated else { panic!("not a command") };
        assert_eq!(
            (envelope.user_id, envelope.command),
            (UserId(42), Command::Admin(AdminCommand::AdminGrant(Besitos::new(15).unwrap())))
        );
        for bad in ["/grant 42 -5", "/grant 42 0", "/deduct x 5", "/grant 42", "/grant 42 5 6", "/grant 42 99999999999"]
        {
            let (audit, translated) = operated(translate(&admin_text(bad), &codec()));
            assert!(matches!(translated, Translation::Refuse { .. }), "{bad}");
            assert_eq!(audit.outcome, AuditOutcome::Failed, "{bad}");
        }
    }

    #[test]
    fn operators_open_auctions_with_sane_terms_only() {
        let Translation::Auction(AuctionRequest::Create { update_id, spec, .. }) =
            operated(translate(&admin_text("/subasta rosa_negra 50 90s"), &codec())).1
        else {
            panic!("not an auction")
        };
        let terms = (update_id.id, spec.starting_bid.get(), spec.min_increment.get(), spec.duration_secs);
        assert_eq!(terms, (20, 50, 5, 90));
        let Translation::Auction(AuctionRequest::Create { spec, .. }) =
            operated(translate(&admin_text("/subasta rosa_negra 50 2 7"), &codec())).1
        else {
            panic!("not an auction")
        };
        assert_eq!((spec.min_increment.get(), spec.duration_secs), (7, 120));
        for bad in [
            "/subasta rosa_negra 50 30s",
            "/subasta rosa_negra -5 10",
            "/subasta rosa_negra 50 10 0",
            "/subasta rosa_negra 50",
            "/subasta rosa_negra 9999999999 10",
            "/subasta rosa_negra 50 99999999999999999",
            "/cancelarsubasta",
            "/cancelarsubasta x",
        ] {
            assert!(matches!(operated(translate(&admin_text(bad), &codec())).1, Translation::Refuse { .. }), "{bad}");
        }
    }

    #[test]
    fn an_operator_without_the_permission_is_refused_before_anything_is_parsed() {
        let translator = translator();
        let grant = RoleGrant {
            user: UserId(5),
            role: dianabot_game::content::RoleId::new("analyst"),
            granted_by: UserId(1),
            granted_at: 0,
            expires_at: None,
        };
        translator.operators.put(grant);
        let update = parse(
            r#"{"update_id":22,"message":{"message_id":1,"date":1700000000,
                "chat":{"id":5,"type":"private","first_name":"Eve"},
                "from":{"id":5,"is_bot":false,"first_name":"Eve"},"text":"/refund not even a charge id"}}"#,
        );
        let (audit, translated) = operated(translator.translate(&update));
        let Translation::Refuse { refusal, .. } = translated else { panic!("not refused: {translated:?}") };
        assert_eq!(refusal, RuleError::NotPermitted(dianabot_game::content::Permission::Refunds));
        assert_eq!(
            (audit.operator, audit.action, audit.outcome),
            (UserId(5), OperatorAction::Refund, AuditOutcome::Refused)
        );
        // What the analyst's role gives is let through.
        let posts = update_with_text(5, "/posts");
        let (audit, translated) = operated(translator.translate(&posts));
        assert!(matches!(translated, Translation::Reaction(ReactionRequest::Report { .. })), "{translated:?}");
        assert_eq!(audit.outcome, AuditOutcome::Done);
    }

    #[test]
    fn non_operators_cannot_grant() {
        let update = parse(
            r#"{"update_id":21,"message":{"message_id":1,"date":1700000000,
                "chat":{"id":5,"type":"private","first_name":"Eve"},
                "from":{"id":5,"is_bot":false,"first_name":"Eve"},"text":"/grant 5 1000"}}"#,
        );
        assert!(matches!(translate(&update, &codec()), Translation::View { screen: Screen::NotUnderstood, .. }));
    }

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
        let Translation::Command { envelope, reply, screen } = translate(&update, &codec()) else {
            panic!("not a command")
        };
        assert_eq!(envelope.user_id, UserId(42));
        assert_eq!(envelope.update_id.map(|update| update.id), Some(10));
        assert_eq!(
            envelope.command,
            Command::Profile(ProfileCommand::Register {
                first_name: "Ana".into(),
                username: None,
                language: Language::En
            })
        );
        assert_eq!((reply, screen), (ReplyTo::NewMessage { chat_id: 42 }, Some(Screen::Welcome)));
    }

    #[test]
    fn only_newly_added_emojis_count() {
        let update = parse(
            r#"{"update_id":11,"message_reaction":{"chat":{"id":-1001,"type":"channel","title":"Diana"},
                "message_id":7,"user":{"id":42,"is_bot":false,"first_name":"Ana"},"date":1700000000,
                "old_reaction":[{"type":"emoji","emoji":"👍"}],
                "new_reaction":[{"type":"emoji","emoji":"👍"},{"type":"emoji","emoji":"🔥"}]}}"#,
        );
        let Translation::Reaction(ReactionRequest::React { user_id, post, emojis, .. }) = translate(&update, &codec())
        else {
            panic!("not a reaction")
        };
        assert_eq!((user_id, post), (UserId(42), PostRef { chat_id: -1001, message_id: 7 }));
        assert_eq!(emojis, vec!["🔥".to_owned()]);
    }

    #[test]
    fn a_reaction_in_the_players_own_chat_is_on_a_story_page() {
        let update = parse(
            r#"{"update_id":15,"message_reaction":{"chat":{"id":42,"type":"private","first_name":"Ana"},
                "message_id":8,"user":{"id":42,"is_bot":false,"first_name":"Ana"},"date":1700000000,
                "old_reaction":[],"new_reaction":[{"type":"emoji","emoji":"❤"}]}}"#,
        );
        let Translation::Command { envelope, screen: None, reply: ReplyTo::Nothing } = translate(&update, &codec())
        else {
            panic!("not a silent command")
        };
        assert_eq!(envelope.user_id, UserId(42));
        assert_eq!(
            envelope.command,
            Command::Reaction(ReactionCommand::ReactToPage { page: 8, emojis: vec!["❤".to_owned()] })
        );
    }

    #[test]
    fn channel_posts_are_published_with_their_channels_rates() {
        let post = |chat: i64| {
            parse(&format!(
                r#"{{"update_id":14,"channel_post":{{"message_id":9,"date":1700000000,
                    "chat":{{"id":{chat},"type":"channel","title":"Diana"}},"text":"Hoy, en el diván…"}}}}"#
            ))
        };
        let Translation::Reaction(ReactionRequest::Publish { post: free }) = translate(&post(-1001), &codec()) else {
            panic!("not published")
        };
        assert_eq!((free.post, free.target), (PostRef { chat_id: -1001, message_id: 9 }, ReactionTarget::FreePost));
        assert_eq!((free.published_at, free.excerpt.as_str()), (1_700_000_000, "Hoy, en el diván…"));
        let Translation::Reaction(ReactionRequest::Publish { post: vip }) = translate(&post(-2002), &codec()) else {
            panic!("not published")
        };
        assert_eq!(vip.target, ReactionTarget::VipPost);
    }

    #[test]
    fn removed_reactions_and_unknown_kinds_are_ignored() {
        let removed = parse(
            r#"{"update_id":12,"message_reaction":{"chat":{"id":-1001,"type":"channel","title":"Diana"},
                "message_id":7,"user":{"id":42,"is_bot":false,"first_name":"Ana"},"date":1700000000,
                "old_reaction":[{"type":"emoji","emoji":"👍"}],"new_reaction":[]}}"#,
        );
        assert!(matches!(translate(&removed, &codec()), Translation::Ignore(_)));
        let unknown = parse(r#"{"update_id":13,"brand_new_kind":{"x":1}}"#);
        assert!(matches!(translate(&unknown, &codec()), Translation::Ignore(_)));
    }

    fn pre_checkout_update(payload: &str, from: i64, currency: &str, amount: u32) -> Update {
        parse(&format!(
            r#"{{"update_id":30,"pre_checkout_query":{{"id":"q1","currency":"{currency}","total_amount":{amount},
                "invoice_payload":"{payload}","from":{{"id":{from},"is_bot":false,"first_name":"Ana"}}}}}}"#
        ))
    }

    #[test]
    fn pre_checkouts_that_do_not_match_their_signed_invoice_are_declined() {
        let invoice = InvoicePayload { purchase: 77, buyer: UserId(42), item: "mapa".into(), stars: 12 };
        let signed = codec().sign_invoice(&invoice);
        let checkout = |update: Update| match translate(&update, &codec()) {
            Translation::Shop(ShopRequest::PreCheckout { query_id, checkout, .. }) => {
                assert_eq!(query_id, "q1");
                checkout
            }
            other => panic!("not a pre-checkout: {other:?}"),
        };
        let expected = PreCheckout { buyer: UserId(42), purchase: 77, item: "mapa".into(), stars: 12 };
        assert_eq!(checkout(pre_checkout_update(&signed, 42, "XTR", 12)), Ok(expected));
        let tampered = signed.replacen("|12|", "|1|", 1);
        assert_eq!(checkout(pre_checkout_update(&tampered, 42, "XTR", 1)), Err(shop::invalid_invoice()));
        assert_eq!(checkout(pre_checkout_update(&signed, 43, "XTR", 12)), Err(shop::invalid_invoice()));
        assert!(matches!(checkout(pre_checkout_update(&signed, 42, "EUR", 12)), Err(RuleError::Malformed(_))));
        assert_eq!(checkout(pre_checkout_update(&signed, 42, "XTR", 11)), Err(RuleError::PriceChanged { price: 12 }));
        assert_eq!(checkout(pre_checkout_update("garbage", 42, "XTR", 12)), Err(shop::invalid_invoice()));
    }

    // offers-stars
    #[test]
    fn an_offers_pre_checkout_names_its_offer_and_an_edited_payload_is_declined() {
        use crate::telegram::flows::OfferRequest;
        let invoice =
            InvoicePayload { purchase: 78, buyer: UserId(42), item: "offer.mapa_en_estrellas".into(), stars: 10 };
        let signed = codec().sign_invoice(&invoice);
        let update = pre_checkout_update(&signed, 42, "XTR", 10);
        let Translation::Offer(OfferRequest::PreCheckout { checkout, .. }) = translate(&update, &codec()) else {
            panic!("not an offer's pre-checkout")
        };
        let expected = dianabot_actors::OfferCheckout {
            buyer: UserId(42),
            purchase: 78,
            offer: "mapa_en_estrellas".into(),
            stars: 10,
        };
        assert_eq!(checkout, Ok(expected));
        let Translation::Offer(OfferRequest::PreCheckout { checkout, .. }) =
            translate(&pre_checkout_update(&signed, 42, "XTR", 5), &codec())
        else {
            panic!("not an offer's pre-checkout")
        };
        assert_eq!(checkout, Err(RuleError::PriceChanged { price: 10 }), "paid at another price");
        // Another offer or price written into the signed payload: not ours.
        for edited in [signed.replacen("mapa_en_estrellas", "jardin_anual", 1), signed.replacen("|10|", "|1|", 1)] {
            let Translation::Shop(ShopRequest::PreCheckout { checkout, .. }) =
                translate(&pre_checkout_update(&edited, 42, "XTR", 1), &codec())
            else {
                panic!("an edited payload reached the offers")
            };
            assert_eq!(checkout, Err(shop::invalid_invoice()));
        }
    }

    #[test]
    fn a_story_press_in_the_players_chat_names_its_message_as_the_page() {
        let press = |chat: i64| {
            let data = codec().encode(UserId(42), Action::Decide { fragment: 5, choice: 1 });
            parse(&format!(
                r#"{{"update_id":16,"callback_query":{{"id":"cb2","chat_instance":"x","data":"{data}",
                    "from":{{"id":42,"is_bot":false,"first_name":"Ana"}},
                    "message":{{"message_id":3,"date":1700000000,"chat":{{"id":{chat},"type":"private","first_name":"Ana"}},
                    "text":"story"}}}}}}"#
            ))
        };
        let page = |update: Update| match translate(&update, &codec()) {
            Translation::Command { envelope, .. } => match envelope.command {
                Command::Story(StoryCommand::Decide { fragment: 5, choice: 1, page }) => page,
                other => panic!("not the decision: {other:?}"),
            },
            other => panic!("not a command: {other:?}"),
        };
        assert_eq!(page(press(42)), Some(3));
        // A message elsewhere is not a page of this player's chat.
        assert_eq!(page(press(77)), None);
    }

    #[test]
    fn a_button_of_another_user_is_refused_before_the_game() {
        let data = codec().encode(UserId(7), Action::SetLanguage(Language::En));
        let update = parse(&format!(
            r#"{{"update_id":14,"callback_query":{{"id":"cb1","chat_instance":"x","data":"{data}",
                "from":{{"id":42,"is_bot":false,"first_name":"Eve","language_code":"en"}},
                "message":{{"message_id":3,"date":1700000000,"chat":{{"id":42,"type":"private","first_name":"Eve"}},
                "text":"menu"}}}}}}"#
        ));
        match translate(&update, &codec()) {
            Translation::RefuseButton { callback_query_id, language, error } => {
                assert_eq!((callback_query_id.as_str(), language, error), ("cb1", Language::En, CallbackError::Forged));
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    // flags
    #[test]
    fn flag_commands_parse_a_percentage_or_reset_and_name_their_target() {
        use crate::telegram::flows::FlagRequest;
        let (audit, translated) = operated(translate(&admin_text("/flag Style 12.5"), &codec()));
        assert_eq!(
            (audit.action, audit.outcome, audit.target.as_deref()),
            (OperatorAction::SetFlag, AuditOutcome::Done, Some("flag:style"))
        );
        assert!(
            matches!(translated, Translation::Flag(FlagRequest::Set { ref flag, rollout: Some(1_250), .. }) if flag == "style"),
            "{translated:?}"
        );
        let (_, translated) = operated(translate(&admin_text("/flag style reset"), &codec()));
        assert!(matches!(translated, Translation::Flag(FlagRequest::Set { rollout: None, .. })), "{translated:?}");
        let (audit, translated) = operated(translate(&admin_text("/flags"), &codec()));
        assert_eq!(audit.action, OperatorAction::ListFlags);
        assert!(matches!(translated, Translation::Flag(FlagRequest::List { .. })));
        let (audit, translated) = operated(translate(&admin_text("/jugador 42"), &codec()));
        assert_eq!((audit.action, audit.target.as_deref()), (OperatorAction::PlayerLookup, Some("42")));
        assert!(matches!(translated, Translation::Flag(FlagRequest::Player { user: UserId(42), .. })));
        for bad in [
            "/flag",
            "/flag style",
            "/flag style 101",
            "/flag style -1",
            "/flag style 1.234",
            "/flag style 5 6",
            "/jugador",
            "/jugador x",
        ] {
            let (audit, translated) = operated(translate(&admin_text(bad), &codec()));
            assert!(matches!(translated, Translation::Refuse { .. }), "{bad}");
            assert_eq!(audit.outcome, AuditOutcome::Failed, "{bad}");
        }
        // Players are not told the operators' commands exist; /estilo is theirs.
        assert!(matches!(
            translate(&update_with_text(5, "/flag style 30"), &codec()),
            Translation::View { screen: Screen::NotUnderstood, .. }
        ));
        assert!(matches!(
            translate(&update_with_text(5, "/estilo"), &codec()),
            Translation::View { screen: Screen::Style, .. }
        ));
    }
}
