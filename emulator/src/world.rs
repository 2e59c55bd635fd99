//! The emulated Telegram: users, chats, messages, members, invoices, payments and
//! the queue of updates waiting for the bot.
//!
//! All of it lives in one [`World`] behind one mutex in [`Shared`]. Every
//! operation is a short, synchronous critical section (no I/O, no await while
//! locked), so a single lock is simpler and fast enough for the load harness;
//! long-polls wait on a `watch` channel that is bumped whenever the world's
//! `version` moves, then re-check their condition under the lock.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::{broadcast, watch};

use dianabot_plumbing::Clock;
pub(crate) use dianabot_plumbing::unix_now_millis;

use crate::EmulatorConfig;
use crate::error::{ApiError, ControlError};
use crate::hooks::{BOT_CALL_CAPACITY, BotCall, Delivery};
use crate::html;
use crate::ratelimit::RateLimiter;
use crate::types::{self, MemberStatus};

/// The user id of the channels' creator.
pub const OWNER_ID: u64 = 1_000_000;
/// How many updates [`World::history`] keeps for redelivery.
const HISTORY_LIMIT: usize = 100_000;
/// How many bot calls the call log keeps.
const CALL_LOG_LIMIT: usize = 50_000;
/// Pressed buttons kept before answered ones are forgotten.
const CALLBACK_LIMIT: usize = 200_000;
/// How many change records the playground's event feed keeps.
const CHANGE_LOG_LIMIT: usize = 4_096;
/// The update types Telegram sends when `allowed_updates` is empty or unset.
const OPT_IN_UPDATES: &[&str] = &["chat_member", "message_reaction", "message_reaction_count"];
/// How long the bot may write to a user who asked to join a chat but never
/// started it (Telegram: 5 minutes, while the request is pending).
pub const JOIN_REQUEST_CHAT_SECS: i64 = 300;
/// The one `subscription_period` Telegram accepts (30 days).
pub const SUBSCRIPTION_PERIOD: u32 = 2_592_000;

/// A random string of letters and digits, for ids Telegram makes opaque.
pub fn random_token(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..len).map(|_| ALPHABET[fastrand::usize(..ALPHABET.len())] as char).collect()
}

/// A simulated Telegram user.
#[derive(Debug, Clone, Serialize)]
pub struct UserRec {
    pub id: u64,
    pub first_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language_code: Option<String>,
    /// Whether the user has talked to the bot; Telegram refuses bot-initiated
    /// conversations (403) until then.
    pub started: bool,
}

impl UserRec {
    pub fn to_user(&self) -> types::User {
        types::User {
            id: self.id,
            is_bot: false,
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            username: self.username.clone(),
            language_code: self.language_code.clone(),
        }
    }
}

/// What kind of chat this is.
#[derive(Debug, Clone, PartialEq)]
pub enum ChatKind {
    /// The private chat between the bot and a user (chat id = user id).
    Private { user_id: u64 },
    /// A channel; public when it has a username, private (invite-only) otherwise.
    Channel { title: String, username: Option<String> },
}

/// Who sent a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    Bot,
    User(u64),
    /// Posted on behalf of the channel itself (admin posts, bot posts).
    Channel,
}

/// A message in a chat, in its current state.
#[derive(Debug, Clone)]
pub struct MessageRec {
    pub id: i32,
    pub date: i64,
    pub sender: Sender,
    /// Set when the bot posted into a channel (the post is the channel's, but the
    /// control API still wants to know the bot did it).
    pub by_bot: bool,
    pub text: Option<String>,
    pub entities: Vec<Value>,
    /// The inline keyboard, if any.
    pub inline_markup: Option<Value>,
    /// A reply keyboard / remove / force-reply markup (not part of `Message`).
    pub other_markup: Option<Value>,
    pub reply_to: Option<i32>,
    pub edit_date: Option<i64>,
    pub invoice_id: Option<u64>,
    /// The file id of a document sent (sendDocument), and its caption.
    pub document: Option<String>,
    pub caption: Option<String>,
    pub successful_payment: Option<types::Payment>,
    pub refunded_payment: Option<types::Payment>,
    /// Reactions by user (channel posts).
    pub reactions: BTreeMap<u64, Vec<String>>,
}

impl MessageRec {
    pub fn new(sender: Sender) -> Self {
        MessageRec {
            id: 0,
            // Set from the game clock by `World::add_message`.
            date: 0,
            sender,
            by_bot: matches!(sender, Sender::Bot),
            text: None,
            entities: Vec::new(),
            inline_markup: None,
            other_markup: None,
            reply_to: None,
            edit_date: None,
            invoice_id: None,
            document: None,
            caption: None,
            successful_payment: None,
            refunded_payment: None,
            reactions: BTreeMap::new(),
        }
    }
}

/// A chat with its messages and members.
#[derive(Debug, Clone)]
pub struct ChatRec {
    pub id: i64,
    pub kind: ChatKind,
    pub messages: BTreeMap<i32, MessageRec>,
    pub next_message_id: i32,
    pub members: HashMap<u64, MemberStatus>,
    /// Bumped on every change to this chat, for the playground and waiters.
    pub version: u64,
    /// The last `sendChatAction` (action, unix time).
    pub last_action: Option<(String, i64)>,
    /// Channels: joining without a join-request link sends a join request.
    pub join_by_request: bool,
}

impl ChatRec {
    fn new(id: i64, kind: ChatKind) -> Self {
        ChatRec {
            id,
            kind,
            messages: BTreeMap::new(),
            next_message_id: 1,
            members: HashMap::new(),
            version: 0,
            last_action: None,
            join_by_request: false,
        }
    }

    pub fn is_channel(&self) -> bool {
        matches!(self.kind, ChatKind::Channel { .. })
    }
}

/// A file the bot uploaded: what a `Document` describes, and its bytes
/// (for the control API; Telegram serves them through getFile).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRec {
    pub file_id: String,
    pub file_unique_id: String,
    pub file_name: String,
    pub mime_type: Option<String>,
    pub bytes: Vec<u8>,
}

impl FileRec {
    pub fn to_document(&self) -> types::Document {
        types::Document {
            file_id: self.file_id.clone(),
            file_unique_id: self.file_unique_id.clone(),
            file_name: Some(self.file_name.clone()),
            mime_type: self.mime_type.clone(),
            file_size: Some(self.bytes.len() as u64),
        }
    }
}

/// An invoice the bot created (as a message or as a link).
#[derive(Debug, Clone, Serialize)]
pub struct InvoiceRec {
    pub id: u64,
    pub title: String,
    pub description: String,
    pub payload: String,
    pub currency: String,
    pub total_amount: u32,
    /// `(chat_id, message_id)` of an invoice message.
    pub message: Option<(i64, i32)>,
    /// The `https://t.me/$...` link of an invoice link.
    pub link: Option<String>,
    /// Charges paid against it.
    pub charges: Vec<String>,
    /// A Stars subscription link (`createInvoiceLink` with
    /// `subscription_period`): paying it starts a [`SubscriptionRec`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription_period: Option<u32>,
}

/// A completed Stars payment.
#[derive(Debug, Clone, Serialize)]
pub struct ChargeRec {
    pub telegram_payment_charge_id: String,
    pub provider_payment_charge_id: String,
    pub user_id: u64,
    pub invoice_id: u64,
    pub currency: String,
    pub total_amount: u32,
    pub invoice_payload: String,
    pub date: i64,
    pub refunded: bool,
    /// The subscription this charge paid a period of.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<u64>,
}

/// A Stars subscription: the first payment and every renewal.
#[derive(Debug, Clone, Serialize)]
pub struct SubscriptionRec {
    pub id: u64,
    pub user_id: u64,
    pub invoice_id: u64,
    pub payload: String,
    pub total_amount: u32,
    pub period: u32,
    /// Every charge, first payment first; any of them names the subscription.
    pub charge_ids: Vec<String>,
    /// End of the paid period (unix time, game clock).
    pub expiration_date: i64,
    /// `editUserStarSubscription(is_canceled=true)`: it will not renew.
    pub canceled: bool,
    /// A renewal failed (`/control/subscriptions/{id}/fail`): it is over.
    pub failed: bool,
}

impl SubscriptionRec {
    /// `active` (will renew), `canceled` (paid period running, no renewal),
    /// `expired` (period over) or `failed` (a renewal failed).
    pub fn status(&self, now: i64) -> &'static str {
        if self.failed {
            "failed"
        } else if now >= self.expiration_date {
            "expired"
        } else if self.canceled {
            "canceled"
        } else {
            "active"
        }
    }
}

/// A pending request to join a chat.
#[derive(Debug, Clone, Serialize)]
pub struct JoinRequestRec {
    pub chat_id: i64,
    pub user_id: u64,
    pub date: i64,
    /// The join-request link used, if any.
    pub invite_link: Option<String>,
    pub update_id: Option<u32>,
}

/// A pre-checkout query waiting for `answerPreCheckoutQuery`.
#[derive(Debug, Clone)]
pub struct PreCheckoutRec {
    pub user_id: u64,
    pub invoice_id: u64,
    /// `Ok(())` for ok=true, `Err(error_message)` for ok=false.
    pub answer: Option<Result<(), String>>,
    /// Set once the payer stopped waiting; late answers get a 400.
    pub expired: bool,
}

/// A pressed inline button.
#[derive(Debug, Clone, Serialize)]
pub struct CallbackRec {
    pub id: String,
    pub user_id: u64,
    pub chat_id: i64,
    pub message_id: i32,
    pub data: String,
    pub update_id: Option<u32>,
    /// What answerCallbackQuery said (`text`, `show_alert`, `url`, `cache_time`).
    pub answer: Option<Value>,
}

/// A chat invite link.
#[derive(Debug, Clone, Serialize)]
pub struct InviteLinkRec {
    pub invite_link: String,
    pub chat_id: i64,
    pub name: Option<String>,
    pub expire_date: Option<i64>,
    pub member_limit: Option<u32>,
    pub creates_join_request: bool,
    pub is_revoked: bool,
    pub is_primary: bool,
    /// How many users joined through it.
    pub uses: u32,
}

/// The webhook, when one is set.
#[derive(Debug, Clone, Serialize)]
pub struct Webhook {
    pub url: String,
    #[serde(skip)]
    pub secret_token: Option<String>,
    pub max_connections: u32,
    pub last_error_date: Option<i64>,
    pub last_error_message: Option<String>,
    pub delivered: u64,
}

/// An update not yet confirmed (getUpdates offset) or acknowledged (webhook 2xx).
#[derive(Debug, Clone)]
pub struct PendingUpdate {
    pub id: u32,
    pub kind: &'static str,
    /// Deliveries with the same key keep their order (webhook concurrency).
    pub key: i64,
    pub body: Arc<Value>,
    pub attempts: u32,
    pub next_attempt: Option<Instant>,
    pub in_flight: bool,
    /// A control-API redelivery of an already delivered update.
    pub replay: bool,
}

/// One Bot API call, as recorded for tests.
#[derive(Debug, Clone, Serialize)]
pub struct CallRecord {
    pub seq: u64,
    /// Unix time in milliseconds.
    pub at_ms: u64,
    pub method: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<i64>,
    /// The HTTP status answered.
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub params: Value,
}

/// What a simulated user's action created.
#[derive(Debug, Clone)]
pub struct UserAction {
    /// `None` when the bot's `allowed_updates` excludes the update's kind.
    pub update_id: Option<u32>,
    /// The update as created (`Value::Null` when none was).
    pub update: Arc<Value>,
    pub message_id: Option<i32>,
    pub callback_query_id: Option<String>,
}

impl UserAction {
    fn new(created: Option<(u32, Arc<Value>)>, message_id: Option<i32>, callback: Option<String>) -> Self {
        let (update_id, update) = match created {
            Some((id, body)) => (Some(id), body),
            None => (None, Arc::new(Value::Null)),
        };
        UserAction { update_id, update, message_id, callback_query_id: callback }
    }
}

/// The whole emulated world. See the module docs for the locking story.
#[derive(Debug)]
pub struct World {
    pub bot: types::User,
    /// The simulated person who created the channels (status `creator`).
    pub owner_id: u64,
    pub users: BTreeMap<u64, UserRec>,
    pub chats: BTreeMap<i64, ChatRec>,
    pub free_channel: i64,
    pub vip_channel: i64,
    next_user_id: u64,
    next_update_id: u32,
    pub pending: VecDeque<PendingUpdate>,
    pub replays: VecDeque<PendingUpdate>,
    pub history: BTreeMap<u32, Arc<Value>>,
    /// The bot's `allowed_updates`; empty means Telegram's default.
    pub allowed_updates: Vec<String>,
    pub webhook: Option<Webhook>,
    /// Bumped by each getUpdates call, so an older long poll knows it was
    /// superseded (Telegram answers it 409).
    pub poll_generation: u64,
    pub invoices: BTreeMap<u64, InvoiceRec>,
    /// Files the bot uploaded (sendDocument), by file id.
    pub files: BTreeMap<String, FileRec>,
    next_invoice_id: u64,
    pub charges: BTreeMap<String, ChargeRec>,
    pub pre_checkouts: HashMap<String, PreCheckoutRec>,
    pub callbacks: HashMap<String, CallbackRec>,
    pub invite_links: BTreeMap<String, InviteLinkRec>,
    /// Pending join requests by (chat, user).
    pub join_requests: BTreeMap<(i64, u64), JoinRequestRec>,
    pub subscriptions: BTreeMap<u64, SubscriptionRec>,
    next_subscription_id: u64,
    /// Game time (shared with the server when embedded).
    pub clock: Clock,
    pub calls: VecDeque<CallRecord>,
    next_call_seq: u64,
    pub rate: RateLimiter,
    /// `setMyCommands` by scope+language key.
    pub commands: BTreeMap<String, Value>,
    /// Bumped on every observable change.
    pub version: u64,
    /// `(version, chat)` of recent changes; `None` means "everything".
    changes: VecDeque<(u64, Option<i64>)>,
    /// The newest version dropped from `changes`.
    changes_floor: u64,
    pub pre_checkout_timeout: Duration,
}

impl World {
    pub fn new(config: &EmulatorConfig) -> Self {
        let bot_id = config.token.split(':').next().and_then(|id| id.parse().ok()).unwrap_or(123_456);
        let bot = types::User {
            id: bot_id,
            is_bot: true,
            first_name: config.bot_first_name.clone(),
            last_name: None,
            username: Some(config.bot_username.clone()),
            language_code: None,
        };
        let mut world = World {
            bot,
            owner_id: OWNER_ID,
            users: BTreeMap::new(),
            chats: BTreeMap::new(),
            free_channel: config.free_channel.id,
            vip_channel: config.vip_channel.id,
            next_user_id: 1_000_001,
            next_update_id: 1,
            pending: VecDeque::new(),
            replays: VecDeque::new(),
            history: BTreeMap::new(),
            allowed_updates: Vec::new(),
            webhook: None,
            poll_generation: 0,
            invoices: BTreeMap::new(),
            files: BTreeMap::new(),
            next_invoice_id: 1,
            charges: BTreeMap::new(),
            pre_checkouts: HashMap::new(),
            callbacks: HashMap::new(),
            invite_links: BTreeMap::new(),
            join_requests: BTreeMap::new(),
            subscriptions: BTreeMap::new(),
            next_subscription_id: 1,
            clock: config.clock.clone(),
            calls: VecDeque::new(),
            next_call_seq: 1,
            rate: RateLimiter::new(config.rate_limits.clone()),
            commands: BTreeMap::new(),
            version: 0,
            changes: VecDeque::new(),
            changes_floor: 0,
            pre_checkout_timeout: config.pre_checkout_timeout,
        };
        for channel in [&config.free_channel, &config.vip_channel] {
            let mut chat = ChatRec::new(
                channel.id,
                ChatKind::Channel { title: channel.title.clone(), username: channel.username.clone() },
            );
            chat.members.insert(world.bot.id, MemberStatus::Administrator);
            chat.members.insert(OWNER_ID, MemberStatus::Creator);
            chat.join_by_request = channel.join_by_request;
            world.chats.insert(channel.id, chat);
        }
        let owner = UserRec {
            id: OWNER_ID,
            first_name: config.bot_first_name.clone(),
            last_name: None,
            username: Some("diana_owner".into()),
            language_code: Some("es".into()),
            started: false,
        };
        // A fresh world always has room for its owner; ignore the impossible error.
        let _ = world.create_user(owner);
        world
    }

    /// Back to the initial world, keeping what the bot configured (webhook,
    /// allowed_updates, rate-limit settings) and keeping ids and versions
    /// increasing, so a bot that already confirmed update N is not confused.
    pub fn reset(&mut self, config: &EmulatorConfig) {
        let mut fresh = World::new(config);
        fresh.next_update_id = self.next_update_id;
        // New users must not reuse ids the bot may have stored state for.
        fresh.next_user_id = self.next_user_id;
        fresh.allowed_updates = std::mem::take(&mut self.allowed_updates);
        fresh.webhook = self.webhook.take().map(|mut w| {
            w.last_error_date = None;
            w.last_error_message = None;
            w
        });
        fresh.poll_generation = self.poll_generation;
        fresh.rate.config = self.rate.config.clone();
        fresh.pre_checkout_timeout = self.pre_checkout_timeout;
        fresh.version = self.version;
        fresh.next_call_seq = self.next_call_seq;
        *self = fresh;
        self.touch_all();
    }

    /// Game time, unix seconds.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Records an observable change: to one chat (which the playground's event
    /// feed reports), or, with `None`, to something else (updates, webhook,
    /// answers) that only wakes waiters.
    pub fn touch(&mut self, chat_id: Option<i64>) {
        self.version += 1;
        if let Some(id) = chat_id {
            if let Some(chat) = self.chats.get_mut(&id) {
                chat.version = self.version;
            }
            self.log_change(Some(id));
        }
    }

    /// Records that everything changed (after a reset).
    pub fn touch_all(&mut self) {
        self.version += 1;
        self.log_change(None);
    }

    fn log_change(&mut self, chat: Option<i64>) {
        self.changes.push_back((self.version, chat));
        while self.changes.len() > CHANGE_LOG_LIMIT {
            if let Some((version, _)) = self.changes.pop_front() {
                self.changes_floor = version;
            }
        }
    }

    /// Chats changed after `since`; `None` if the feed no longer reaches back
    /// that far (or a reset happened), meaning "reload everything".
    pub fn changes_since(&self, since: u64) -> Option<Vec<i64>> {
        if since < self.changes_floor || since > self.version {
            return None;
        }
        let mut chats = Vec::new();
        for (version, chat) in &self.changes {
            if *version > since {
                match chat {
                    Some(id) if !chats.contains(id) => chats.push(*id),
                    Some(_) => {}
                    None => return None,
                }
            }
        }
        Some(chats)
    }

    // ---- users and chats ---------------------------------------------------

    /// Creates a user (and the private chat with the bot).
    pub fn create_user(&mut self, mut user: UserRec) -> Result<&UserRec, ControlError> {
        if user.id == 0 {
            while self.users.contains_key(&self.next_user_id) {
                self.next_user_id += 1;
            }
            user.id = self.next_user_id;
            self.next_user_id += 1;
        } else if self.users.contains_key(&user.id) {
            return Err(ControlError::Conflict(format!("user {} already exists", user.id)));
        } else if user.id > i64::MAX as u64 || user.id == self.bot.id {
            return Err(ControlError::BadRequest(format!("invalid user id {}", user.id)));
        }
        if user.first_name.trim().is_empty() {
            return Err(ControlError::BadRequest("first_name is empty".into()));
        }
        let id = user.id;
        let chat_id = id as i64;
        self.chats.insert(chat_id, ChatRec::new(chat_id, ChatKind::Private { user_id: id }));
        self.users.insert(id, user);
        self.touch(Some(chat_id));
        self.users.get(&id).ok_or_else(|| ControlError::not_found("user vanished"))
    }

    pub fn user(&self, id: u64) -> Result<&UserRec, ControlError> {
        self.users.get(&id).ok_or_else(|| ControlError::not_found(format!("unknown user {id}")))
    }

    pub fn chat(&self, id: i64) -> Result<&ChatRec, ControlError> {
        self.chats.get(&id).ok_or_else(|| ControlError::not_found(format!("unknown chat {id}")))
    }

    /// The Bot API `Chat` of a chat.
    pub fn chat_json(&self, chat: &ChatRec) -> types::Chat {
        match &chat.kind {
            ChatKind::Private { user_id } => {
                let user = self.users.get(user_id);
                types::Chat {
                    id: chat.id,
                    kind: "private",
                    title: None,
                    username: user.and_then(|u| u.username.clone()),
                    first_name: user.map(|u| u.first_name.clone()),
                    last_name: user.and_then(|u| u.last_name.clone()),
                }
            }
            ChatKind::Channel { title, username } => types::Chat {
                id: chat.id,
                kind: "channel",
                title: Some(title.clone()),
                username: username.clone(),
                first_name: None,
                last_name: None,
            },
        }
    }

    /// The Bot API `Message` for a stored message (with its reply, one level deep).
    pub fn message_json(&self, chat: &ChatRec, msg: &MessageRec, depth: u8) -> types::Message {
        let invoice = msg.invoice_id.and_then(|id| self.invoices.get(&id)).map(|inv| types::Invoice {
            title: inv.title.clone(),
            description: inv.description.clone(),
            start_parameter: String::new(),
            currency: inv.currency.clone(),
            total_amount: inv.total_amount,
        });
        let (from, sender_chat) = match msg.sender {
            Sender::Bot => (Some(self.bot.clone()), None),
            Sender::User(id) => (self.users.get(&id).map(UserRec::to_user), None),
            Sender::Channel => (None, Some(self.chat_json(chat))),
        };
        let reply_to_message = match msg.reply_to {
            Some(id) if depth == 0 => chat.messages.get(&id).map(|m| Box::new(self.message_json(chat, m, depth + 1))),
            _ => None,
        };
        types::Message {
            message_id: msg.id,
            from,
            sender_chat,
            date: msg.date,
            chat: self.chat_json(chat),
            edit_date: msg.edit_date,
            reply_to_message,
            text: msg.text.clone(),
            // A caption's entities are the caption's (a document's message has no text).
            entities: if msg.caption.is_some() { Vec::new() } else { msg.entities.clone() },
            caption_entities: if msg.caption.is_some() { msg.entities.clone() } else { Vec::new() },
            document: msg.document.as_ref().and_then(|id| self.files.get(id)).map(FileRec::to_document),
            caption: msg.caption.clone(),
            invoice,
            successful_payment: msg.successful_payment.clone(),
            refunded_payment: msg.refunded_payment.clone(),
            reply_markup: msg.inline_markup.clone(),
        }
    }

    /// The message as the Bot API shows it, by ids.
    pub fn message_value(&self, chat_id: i64, message_id: i32) -> Option<Value> {
        let chat = self.chats.get(&chat_id)?;
        let msg = chat.messages.get(&message_id)?;
        serde_json::to_value(self.message_json(chat, msg, 0)).ok()
    }

    /// Stores a new message in a chat, giving it the chat's next id.
    pub fn add_message(&mut self, chat_id: i64, mut msg: MessageRec) -> Result<i32, ApiError> {
        let chat = self.chats.get_mut(&chat_id).ok_or_else(|| ApiError::bad("chat not found"))?;
        msg.id = chat.next_message_id;
        msg.date = self.clock.now();
        chat.next_message_id += 1;
        let id = msg.id;
        chat.messages.insert(id, msg);
        self.touch(Some(chat_id));
        Ok(id)
    }

    /// A chat member's status (`left` if never seen).
    pub fn member_status(&self, chat_id: i64, user_id: u64) -> MemberStatus {
        let Some(chat) = self.chats.get(&chat_id) else {
            return MemberStatus::Left;
        };
        match chat.kind {
            ChatKind::Private { user_id: owner } => {
                if user_id == owner || user_id == self.bot.id {
                    MemberStatus::Member
                } else {
                    MemberStatus::Left
                }
            }
            ChatKind::Channel { .. } => match chat.members.get(&user_id).copied() {
                // A temporary ban ends by itself when the game clock passes it.
                Some(MemberStatus::Kicked { until }) if until > 0 && until <= self.now() => MemberStatus::Left,
                Some(status) => status,
                None => MemberStatus::Left,
            },
        }
    }

    /// The Bot API `User` for a user id (the bot included).
    pub fn any_user(&self, id: u64) -> Option<types::User> {
        if id == self.bot.id { Some(self.bot.clone()) } else { self.users.get(&id).map(UserRec::to_user) }
    }

    /// Changes a member's status and emits the `chat_member` update (created
    /// only if the bot's `allowed_updates` names `chat_member`). `via_join_request`:
    /// approved from a join request made without a link.
    pub fn set_member(
        &mut self,
        chat_id: i64,
        user_id: u64,
        status: MemberStatus,
        actor: u64,
        invite_link: Option<Value>,
        via_join_request: bool,
    ) -> Result<Option<u32>, ControlError> {
        let old = self.member_status(chat_id, user_id);
        let chat =
            self.chats.get_mut(&chat_id).ok_or_else(|| ControlError::not_found(format!("unknown chat {chat_id}")))?;
        chat.members.insert(user_id, status);
        // Joining another way, or being banned, ends a pending join request.
        if status != MemberStatus::Left {
            self.join_requests.remove(&(chat_id, user_id));
        }
        self.touch(Some(chat_id));
        if old == status {
            return Ok(None);
        }
        let user = self.any_user(user_id).ok_or_else(|| ControlError::not_found(format!("unknown user {user_id}")))?;
        let from = self.any_user(actor).unwrap_or_else(|| user.clone());
        let chat = self.chat(chat_id)?;
        let is_channel = chat.is_channel();
        let mut payload = json!({
            "chat": self.chat_json(chat),
            "from": from,
            "date": self.now(),
            "old_chat_member": types::chat_member(&user, old, is_channel),
            "new_chat_member": types::chat_member(&user, status, is_channel),
        });
        if let Some(link) = invite_link {
            payload["invite_link"] = link;
        } else if via_join_request {
            payload["via_join_request"] = json!(true);
        }
        Ok(self.push_update("chat_member", payload, user_id as i64))
    }

    // ---- invite links and join requests ---------------------------------------------

    /// Bot API `ChatInviteLink` of a stored link.
    pub fn link_json(&self, link: &InviteLinkRec) -> Value {
        let pending = link.creates_join_request.then(|| {
            self.join_requests.values().filter(|r| r.invite_link.as_deref() == Some(link.invite_link.as_str())).count()
                as u32
        });
        json!(types::ChatInviteLink {
            invite_link: link.invite_link.clone(),
            creator: self.bot.clone(),
            creates_join_request: link.creates_join_request,
            is_primary: link.is_primary,
            is_revoked: link.is_revoked,
            name: link.name.clone(),
            expire_date: link.expire_date,
            member_limit: link.member_limit,
            pending_join_request_count: pending,
        })
    }

    /// Refuses users who are banned from, or already in, a chat.
    fn check_may_enter(&self, chat_id: i64, uid: u64) -> Result<(), ControlError> {
        match self.member_status(chat_id, uid) {
            MemberStatus::Kicked { .. } => Err(ControlError::Forbidden(format!(
                "user {uid} is banned from chat {chat_id} (USER_BANNED_IN_CHANNEL)"
            ))),
            s if s.is_present() => {
                Err(ControlError::Conflict(format!("user {uid} is already a member of chat {chat_id}")))
            }
            _ => Ok(()),
        }
    }

    /// The link a user follows, if it still admits people: not revoked, not
    /// expired by the game clock, its member limit not reached.
    fn usable_link(&self, url: &str) -> Result<&InviteLinkRec, ControlError> {
        let link =
            self.invite_links.get(url).ok_or_else(|| ControlError::not_found(format!("unknown invite link {url}")))?;
        if link.is_revoked {
            return Err(ControlError::Forbidden("invite link was revoked (INVITE_HASH_EXPIRED)".into()));
        }
        if link.expire_date.is_some_and(|d| d <= self.now()) {
            return Err(ControlError::Forbidden("invite link expired (INVITE_HASH_EXPIRED)".into()));
        }
        if link.member_limit.is_some_and(|l| link.uses >= l) {
            return Err(ControlError::Forbidden("invite link reached its member limit (USERS_TOO_MUCH)".into()));
        }
        Ok(link)
    }

    /// The user follows an invite link: joins (a `chat_member` update with
    /// the link), or, for a join-request link, asks to join (a
    /// `chat_join_request` update).
    pub fn follow_link(&mut self, uid: u64, url: &str) -> Result<Value, ControlError> {
        self.user(uid)?;
        let (chat_id, by_request) = {
            let link = self.usable_link(url)?;
            (link.chat_id, link.creates_join_request)
        };
        self.check_may_enter(chat_id, uid)?;
        if by_request {
            return self.add_join_request(chat_id, uid, Some(url));
        }
        if let Some(rec) = self.invite_links.get_mut(url) {
            rec.uses += 1;
        }
        let link = self.invite_links.get(url).map(|l| self.link_json(l));
        let update_id = self.set_member(chat_id, uid, MemberStatus::Member, uid, link, false)?;
        Ok(json!({"chat_id": chat_id, "update_id": update_id, "status": "member"}))
    }

    /// The user joins a channel without a link: public channels (private ones
    /// only with `force`). A channel that approves new members gets a join
    /// request instead, as in Telegram (unless `force`).
    pub fn join_chat(&mut self, uid: u64, chat_id: i64, force: bool) -> Result<Value, ControlError> {
        self.user(uid)?;
        let chat = self.chat(chat_id)?;
        let ChatKind::Channel { username, .. } = &chat.kind else {
            return Err(ControlError::BadRequest(format!("chat {chat_id} is not a channel")));
        };
        let by_request = chat.join_by_request && !force;
        if username.is_none() && !force {
            return Err(ControlError::Forbidden("private channel: join with an invite link (or force: true)".into()));
        }
        self.check_may_enter(chat_id, uid)?;
        if by_request {
            return self.add_join_request(chat_id, uid, None);
        }
        let update_id = self.set_member(chat_id, uid, MemberStatus::Member, uid, None, false)?;
        Ok(json!({"chat_id": chat_id, "update_id": update_id, "status": "member"}))
    }

    /// A join request without a link, to a channel that takes them.
    pub fn request_join(&mut self, uid: u64, chat_id: i64) -> Result<Value, ControlError> {
        self.user(uid)?;
        let chat = self.chat(chat_id)?;
        if !chat.is_channel() {
            return Err(ControlError::BadRequest(format!("chat {chat_id} is not a channel")));
        }
        if !chat.join_by_request {
            return Err(ControlError::Forbidden(format!(
                "chat {chat_id} does not take join requests (set join_by_request, or use a join-request link)"
            )));
        }
        self.check_may_enter(chat_id, uid)?;
        self.add_join_request(chat_id, uid, None)
    }

    fn add_join_request(&mut self, chat_id: i64, uid: u64, link: Option<&str>) -> Result<Value, ControlError> {
        if self.join_requests.contains_key(&(chat_id, uid)) {
            return Err(ControlError::Conflict(format!(
                "user {uid} already asked to join chat {chat_id} (INVITE_REQUEST_SENT)"
            )));
        }
        let now = self.now();
        self.join_requests.insert(
            (chat_id, uid),
            JoinRequestRec { chat_id, user_id: uid, date: now, invite_link: link.map(str::to_owned), update_id: None },
        );
        let user = self.user(uid)?.to_user();
        let chat = self.chat_json(self.chat(chat_id)?);
        let mut payload = json!({"chat": chat, "from": user, "user_chat_id": uid, "date": now});
        if let Some(rec) = link.and_then(|url| self.invite_links.get(url)) {
            payload["invite_link"] = self.link_json(rec);
        }
        let update_id = self.push_update("chat_join_request", payload, uid as i64);
        if let Some(request) = self.join_requests.get_mut(&(chat_id, uid)) {
            request.update_id = update_id;
        }
        self.touch(Some(chat_id));
        Ok(json!({"chat_id": chat_id, "update_id": update_id, "status": "pending"}))
    }

    /// Whether the bot may write to a user who never started it: only while
    /// the user's join request is pending, for 5 minutes (Telegram's
    /// `user_chat_id` rule).
    pub fn join_request_opens_chat(&self, uid: u64) -> bool {
        let now = self.now();
        self.join_requests.values().any(|r| r.user_id == uid && now < r.date + JOIN_REQUEST_CHAT_SECS)
    }

    /// approveChatJoinRequest (`approve`) or declineChatJoinRequest: the
    /// request goes; an approved user becomes a member (a `chat_member`
    /// update from the bot, with the link used or `via_join_request`).
    pub fn answer_join_request(&mut self, chat_id: i64, uid: u64, approve: bool) -> Result<(), ApiError> {
        let request =
            self.join_requests.remove(&(chat_id, uid)).ok_or_else(|| ApiError::bad("HIDE_REQUESTER_MISSING"))?;
        self.touch(Some(chat_id));
        if !approve {
            return Ok(());
        }
        if self.member_status(chat_id, uid).is_present() {
            return Err(ApiError::bad("USER_ALREADY_PARTICIPANT"));
        }
        let link = match request.invite_link.as_deref() {
            Some(url) => {
                if let Some(rec) = self.invite_links.get_mut(url) {
                    rec.uses += 1;
                }
                self.invite_links.get(url).map(|l| self.link_json(l))
            }
            None => None,
        };
        let via_request = request.invite_link.is_none();
        let bot = self.bot.id;
        self.set_member(chat_id, uid, MemberStatus::Member, bot, link, via_request)
            .map_err(|e| ApiError::bad(e.to_string()))?;
        Ok(())
    }

    // ---- payments and subscriptions ----------------------------------------------

    /// A successful payment of `invoice_id` by `user_id`: the charge, the
    /// subscription (a first payment of a subscription link, or the renewal
    /// of `renewing`), and the `successful_payment` message update.
    pub fn record_payment(
        &mut self,
        user_id: u64,
        invoice_id: u64,
        renewing: Option<u64>,
    ) -> Result<Value, ControlError> {
        let invoice =
            self.invoices.get(&invoice_id).cloned().ok_or_else(|| ControlError::not_found("invoice vanished"))?;
        let now = self.now();
        let charge_id = format!("stx{}", random_token(40));
        let provider_id = format!("{}_{}", user_id, self.charges.len() + 1);
        let subscription = match (renewing, invoice.subscription_period) {
            (Some(id), _) => {
                let sub =
                    self.subscriptions.get_mut(&id).ok_or_else(|| ControlError::not_found("subscription vanished"))?;
                sub.expiration_date += i64::from(sub.period);
                sub.charge_ids.push(charge_id.clone());
                Some((id, sub.expiration_date, false))
            }
            (None, Some(period)) => {
                let id = self.next_subscription_id;
                self.next_subscription_id += 1;
                let expiration_date = now + i64::from(period);
                self.subscriptions.insert(
                    id,
                    SubscriptionRec {
                        id,
                        user_id,
                        invoice_id,
                        payload: invoice.payload.clone(),
                        total_amount: invoice.total_amount,
                        period,
                        charge_ids: vec![charge_id.clone()],
                        expiration_date,
                        canceled: false,
                        failed: false,
                    },
                );
                Some((id, expiration_date, true))
            }
            (None, None) => None,
        };
        let payment = types::Payment {
            currency: invoice.currency.clone(),
            total_amount: invoice.total_amount,
            invoice_payload: invoice.payload.clone(),
            subscription_expiration_date: subscription.map(|(_, exp, _)| exp),
            is_recurring: subscription.is_some(),
            is_first_recurring: subscription.is_some_and(|(_, _, first)| first),
            telegram_payment_charge_id: charge_id.clone(),
            provider_payment_charge_id: provider_id.clone(),
        };
        self.charges.insert(
            charge_id.clone(),
            ChargeRec {
                telegram_payment_charge_id: charge_id.clone(),
                provider_payment_charge_id: provider_id,
                user_id,
                invoice_id,
                currency: invoice.currency.clone(),
                total_amount: invoice.total_amount,
                invoice_payload: invoice.payload.clone(),
                date: now,
                refunded: false,
                subscription_id: subscription.map(|(id, _, _)| id),
            },
        );
        if let Some(inv) = self.invoices.get_mut(&invoice_id) {
            inv.charges.push(charge_id.clone());
        }
        if let Some((chat, _)) = invoice.message {
            self.touch(Some(chat));
        }
        let chat_id = user_id as i64;
        let mut msg = MessageRec::new(Sender::User(user_id));
        msg.successful_payment = Some(payment);
        let message_id = self.add_message(chat_id, msg).map_err(|e| ControlError::BadRequest(e.to_string()))?;
        let message = self.message_value(chat_id, message_id).unwrap_or_default();
        let update_id = self.push_update("message", message, chat_id);
        let mut out = json!({
            "telegram_payment_charge_id": charge_id,
            "message_id": message_id,
            "payment_update_id": update_id,
        });
        if let Some((_, expiration, first)) = subscription {
            out["subscription_expiration_date"] = json!(expiration);
            out["is_first_recurring"] = json!(first);
        }
        Ok(out)
    }

    /// The subscription a charge (first payment or renewal) belongs to.
    pub fn subscription_by_charge(&self, charge_id: &str) -> Option<u64> {
        self.charges.get(charge_id).and_then(|c| c.subscription_id)
    }

    /// A subscription as the control API lists it.
    pub fn subscription_json(&self, sub: &SubscriptionRec) -> Value {
        let mut view = json!(sub);
        view["status"] = json!(sub.status(self.now()));
        view["first_charge_id"] = json!(sub.charge_ids.first());
        view["last_charge_id"] = json!(sub.charge_ids.last());
        view
    }

    /// Telegram charges the next period: a new `successful_payment` (no
    /// pre-checkout) with `is_first_recurring: false` and the expiration a
    /// period later. Refused (409) once canceled or failed.
    pub fn renew_subscription(&mut self, charge_id: &str) -> Result<Value, ControlError> {
        let id = self
            .subscription_by_charge(charge_id)
            .ok_or_else(|| ControlError::not_found(format!("no subscription has charge {charge_id}")))?;
        let sub = self.subscriptions.get(&id).ok_or_else(|| ControlError::not_found("subscription vanished"))?;
        if sub.failed {
            return Err(ControlError::Conflict("the subscription ended (a renewal failed)".into()));
        }
        if sub.canceled {
            return Err(ControlError::Conflict("the subscription was canceled; it does not renew".into()));
        }
        let (user, invoice) = (sub.user_id, sub.invoice_id);
        let mut out = self.record_payment(user, invoice, Some(id))?;
        if let Some(sub) = self.subscriptions.get(&id) {
            out["subscription"] = self.subscription_json(sub);
        }
        Ok(out)
    }

    /// A renewal failed (the user had no Stars): the subscription is over;
    /// Telegram tells the bot nothing.
    pub fn fail_subscription(&mut self, charge_id: &str) -> Result<Value, ControlError> {
        let id = self
            .subscription_by_charge(charge_id)
            .ok_or_else(|| ControlError::not_found(format!("no subscription has charge {charge_id}")))?;
        let sub = self.subscriptions.get_mut(&id).ok_or_else(|| ControlError::not_found("subscription vanished"))?;
        sub.failed = true;
        let user = sub.user_id;
        self.touch(Some(user as i64));
        let sub = self.subscriptions.get(&id).ok_or_else(|| ControlError::not_found("subscription vanished"))?;
        Ok(self.subscription_json(sub))
    }

    // ---- channels --------------------------------------------------------------------

    /// An admin posts `text` (plain, or HTML when `html`) in channel
    /// `chat_id`: a `channel_post` update. Returns the update and the post's
    /// message id.
    pub fn channel_post(
        &mut self,
        chat_id: i64,
        text: String,
        html: bool,
        delivery: Delivery,
    ) -> Result<(UserAction, Value), ControlError> {
        if !self.chat(chat_id)?.is_channel() {
            return Err(ControlError::BadRequest(format!("chat {chat_id} is not a channel")));
        }
        let (text, entities) = if html {
            let parsed = html::parse_html(&text).map_err(ControlError::BadRequest)?;
            (parsed.text, parsed.entities)
        } else {
            (text, Vec::new())
        };
        if text.trim().is_empty() {
            return Err(ControlError::BadRequest("text is empty".into()));
        }
        let mut msg = MessageRec::new(Sender::Channel);
        msg.by_bot = false;
        msg.text = Some(text);
        msg.entities = entities;
        let message_id = self.add_message(chat_id, msg).map_err(|e| ControlError::BadRequest(e.to_string()))?;
        let message = self.message_value(chat_id, message_id).unwrap_or_default();
        let created = self.emit_update("channel_post", message.clone(), chat_id, delivery);
        Ok((UserAction::new(created, Some(message_id), None), message))
    }

    // ---- users acting ------------------------------------------------------------

    /// The user writes `text` to the bot: a `message` update.
    pub fn user_message(
        &mut self,
        uid: u64,
        text: String,
        reply_to_message_id: Option<i32>,
        delivery: Delivery,
    ) -> Result<UserAction, ControlError> {
        self.user(uid)?;
        if text.trim().is_empty() {
            return Err(ControlError::BadRequest("text is empty".into()));
        }
        let chat_id = uid as i64;
        if let Some(reply) = reply_to_message_id
            && !self.chat(chat_id)?.messages.contains_key(&reply)
        {
            return Err(ControlError::not_found(format!("unknown message {reply}")));
        }
        if let Some(user) = self.users.get_mut(&uid) {
            user.started = true;
        }
        let mut msg = MessageRec::new(Sender::User(uid));
        msg.entities = html::auto_entities(&text);
        msg.text = Some(text);
        msg.reply_to = reply_to_message_id;
        let message_id = self.add_message(chat_id, msg).map_err(|e| ControlError::BadRequest(e.to_string()))?;
        let message = self.message_value(chat_id, message_id).unwrap_or_default();
        let created = self.emit_update("message", message, uid as i64, delivery);
        Ok(UserAction::new(created, Some(message_id), None))
    }

    /// The user presses an inline button on a message: a `callback_query`
    /// update. Refused unless the message has a button with `data` (`force`
    /// skips that check, for forged-data tests).
    pub fn press_button(
        &mut self,
        uid: u64,
        chat_id: i64,
        message_id: i32,
        data: &str,
        force: bool,
        delivery: Delivery,
    ) -> Result<UserAction, ControlError> {
        let user = self.user(uid)?.to_user();
        let msg = self
            .chat(chat_id)?
            .messages
            .get(&message_id)
            .ok_or_else(|| ControlError::not_found(format!("unknown message {message_id}")))?;
        if !force {
            let has_button = msg.inline_markup.as_ref().is_some_and(|m| {
                m["inline_keyboard"].as_array().is_some_and(|rows| {
                    rows.iter().filter_map(Value::as_array).flatten().any(|b| b["callback_data"].as_str() == Some(data))
                })
            });
            if !has_button {
                return Err(ControlError::BadRequest(format!(
                    "message {message_id} has no button with callback_data {data:?}"
                )));
            }
        }
        let message = self.message_value(chat_id, message_id).unwrap_or_default();
        let id = fastrand::u64(1_000_000_000_000_000..u64::MAX / 2).to_string();
        let payload = json!({
            "id": id,
            "from": user,
            "message": message,
            "chat_instance": format!("{}", (chat_id.unsigned_abs() ^ 0x5f3759df) % 10_000_000_000_000),
            "data": data,
        });
        let created = self.emit_update("callback_query", payload, uid as i64, delivery);
        if self.callbacks.len() >= CALLBACK_LIMIT {
            // Answered presses are only kept for the control API to show; a
            // long load run must not grow without bound.
            self.callbacks.retain(|_, c| c.answer.is_none());
        }
        self.callbacks.insert(
            id.clone(),
            CallbackRec {
                id: id.clone(),
                user_id: uid,
                chat_id,
                message_id,
                data: data.to_owned(),
                update_id: created.as_ref().map(|(update_id, _)| *update_id),
                answer: None,
            },
        );
        Ok(UserAction::new(created, Some(message_id), Some(id)))
    }

    // ---- updates -------------------------------------------------------------

    /// Whether the bot's `allowed_updates` lets this kind through.
    pub fn allows(&self, kind: &str) -> bool {
        if self.allowed_updates.is_empty() {
            !OPT_IN_UPDATES.contains(&kind)
        } else {
            self.allowed_updates.iter().any(|k| k == kind)
        }
    }

    /// Queues an update for the bot. Like Telegram, an update the bot did not
    /// ask for (`allowed_updates`) is never created: the answer is `None`.
    pub fn push_update(&mut self, kind: &'static str, payload: Value, key: i64) -> Option<u32> {
        self.emit_update(kind, payload, key, Delivery::Queue).map(|(id, _)| id)
    }

    /// Creates an update with the next update id. [`Delivery::Queue`] is
    /// [`World::push_update`]; [`Delivery::Return`] only hands the update back
    /// (the caller delivers it, as Telegram would to a webhook), so it is
    /// neither filtered by `allowed_updates` nor kept for redelivery.
    pub fn emit_update(
        &mut self,
        kind: &'static str,
        payload: Value,
        key: i64,
        delivery: Delivery,
    ) -> Option<(u32, Arc<Value>)> {
        if delivery == Delivery::Queue && !self.allows(kind) {
            return None;
        }
        let id = self.next_update_id;
        self.next_update_id += 1;
        let mut body = json!({ "update_id": id });
        body[kind] = payload;
        let body = Arc::new(body);
        if delivery == Delivery::Return {
            return Some((id, body));
        }
        self.history.insert(id, body.clone());
        while self.history.len() > HISTORY_LIMIT {
            self.history.pop_first();
        }
        self.pending.push_back(PendingUpdate {
            id,
            kind,
            key,
            body: body.clone(),
            attempts: 0,
            next_attempt: None,
            in_flight: false,
            replay: false,
        });
        self.touch(None);
        Some((id, body))
    }

    /// Queues an already created update to be delivered once more.
    pub fn redeliver(&mut self, update_id: u32) -> Result<(), ControlError> {
        let body = self
            .history
            .get(&update_id)
            .cloned()
            .ok_or_else(|| ControlError::not_found(format!("unknown update {update_id}")))?;
        let kind = body
            .as_object()
            .and_then(|o| o.keys().find(|k| *k != "update_id"))
            .and_then(|k| OPT_IN_UPDATES.iter().chain(ALL_KINDS).find(|s| **s == k))
            .copied()
            .unwrap_or("message");
        let key = ordering_key(&body);
        self.replays.push_back(PendingUpdate {
            id: update_id,
            kind,
            key,
            body,
            attempts: 0,
            next_attempt: None,
            in_flight: false,
            replay: true,
        });
        self.touch(None);
        Ok(())
    }

    /// Drops pending updates below `offset` (getUpdates confirmation).
    pub fn confirm_below(&mut self, offset: u32) {
        let before = self.pending.len();
        self.pending.retain(|u| u.id >= offset);
        if self.pending.len() != before {
            self.touch(None);
        }
    }

    /// Forgets every pending update (drop_pending_updates).
    pub fn drop_pending(&mut self) {
        self.pending.clear();
        self.replays.clear();
        self.touch(None);
    }

    /// Removes an update after the webhook acknowledged it.
    pub fn acknowledge(&mut self, update_id: u32, replay: bool) {
        let queue = if replay { &mut self.replays } else { &mut self.pending };
        if let Some(pos) = queue.iter().position(|u| u.id == update_id && u.in_flight) {
            queue.remove(pos);
        }
        if let Some(webhook) = &mut self.webhook {
            webhook.delivered += 1;
        }
        self.touch(None);
    }

    pub fn pending_count(&self) -> usize {
        self.pending.len() + self.replays.len()
    }

    // ---- call log ------------------------------------------------------------

    pub fn record_call(&mut self, mut record: CallRecord) {
        record.seq = self.next_call_seq;
        self.next_call_seq += 1;
        self.calls.push_back(record);
        while self.calls.len() > CALL_LOG_LIMIT {
            self.calls.pop_front();
        }
    }

    // ---- invoices --------------------------------------------------------------

    pub fn add_invoice(&mut self, mut invoice: InvoiceRec) -> u64 {
        invoice.id = self.next_invoice_id;
        self.next_invoice_id += 1;
        let id = invoice.id;
        self.invoices.insert(id, invoice);
        id
    }
}

/// Every update kind the emulator creates besides the opt-in ones.
const ALL_KINDS: &[&str] = &[
    "message",
    "chat_join_request",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "callback_query",
    "pre_checkout_query",
    "my_chat_member",
];

/// The key that keeps related webhook deliveries in order: the acting user if
/// there is one, else the chat.
pub fn ordering_key(update: &Value) -> i64 {
    let Some(obj) = update.as_object() else {
        return 0;
    };
    let Some(payload) = obj.iter().find(|(k, _)| k.as_str() != "update_id").map(|(_, v)| v) else {
        return 0;
    };
    payload_key(payload)
}

/// [`ordering_key`] of an update's payload (the object under its kind).
pub fn payload_key(payload: &Value) -> i64 {
    for path in [["from", "id"], ["user", "id"], ["chat", "id"]] {
        if let Some(id) = payload[path[0]][path[1]].as_i64() {
            return id;
        }
    }
    0
}

/// The world and its change signal, shared by every handler and task.
#[derive(Debug)]
pub struct Shared {
    pub config: EmulatorConfig,
    pub addr: SocketAddr,
    world: Mutex<World>,
    changed: watch::Sender<u64>,
    /// Every Bot API call answered, for in-process subscribers (the bench
    /// harness); see [`crate::BotCall`].
    pub bot_calls: broadcast::Sender<BotCall>,
}

impl Shared {
    pub fn new(config: EmulatorConfig, addr: SocketAddr) -> Self {
        let world = World::new(&config);
        Shared {
            config,
            addr,
            world: Mutex::new(world),
            changed: watch::channel(0).0,
            bot_calls: broadcast::channel(BOT_CALL_CAPACITY).0,
        }
    }

    /// Publishes a Bot API call to subscribers; `call` is only built when
    /// someone listens, so an emulator nobody subscribed to pays nothing.
    pub fn report_call(&self, call: impl FnOnce() -> BotCall) {
        if self.bot_calls.receiver_count() > 0 {
            let _ = self.bot_calls.send(call());
        }
    }

    /// Runs `f` with the world locked, then wakes waiters if anything changed.
    pub fn with<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        let mut world = self.world.lock().unwrap_or_else(|e| e.into_inner());
        let before = world.version;
        let out = f(&mut world);
        let after = world.version;
        drop(world);
        if after != before {
            self.changed.send_replace(after);
        }
        out
    }

    /// Waits until `f` returns `Some` (re-checked after every change), or the
    /// timeout passes. `f` runs with the world locked and may change it.
    pub async fn wait_for<T>(&self, timeout: Duration, mut f: impl FnMut(&mut World) -> Option<T>) -> Option<T> {
        let mut rx = self.changed.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(out) = self.with(&mut f) {
                return Some(out);
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => return None,
            }
        }
    }

    /// A receiver that wakes on every change (for background tasks).
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }
}

/// Ids of users who reacted, for the control API listing.
pub fn reaction_summary(msg: &MessageRec) -> Vec<Value> {
    let mut counts: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for (user, emojis) in &msg.reactions {
        for emoji in emojis {
            counts.entry(emoji.as_str()).or_default().push(*user);
        }
    }
    counts.into_iter().map(|(emoji, users)| json!({"emoji": emoji, "count": users.len(), "users": users})).collect()
}

/// Bot API `ReactionCount` list for a message.
pub fn reaction_counts(msg: &MessageRec) -> Vec<Value> {
    let mut seen = HashSet::new();
    reaction_summary(msg)
        .into_iter()
        .filter(|r| seen.insert(r["emoji"].to_string()))
        .map(|r| {
            json!({
                "type": types::emoji_reaction(r["emoji"].as_str().unwrap_or_default()),
                "total_count": r["count"],
            })
        })
        .collect()
}
