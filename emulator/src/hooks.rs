//! In-process hooks for a load harness that runs the emulator in its own
//! process.
//!
//! The control API answers one HTTP request per question, which is right for
//! tests and the playground but would cost more than the server under test at
//! tens of thousands of updates per second. So a harness holding the
//! [`EmulatorHandle`](crate::EmulatorHandle) gets two cheaper paths:
//!
//! - **Observe**: [`EmulatorHandle::subscribe_bot_calls`] yields a [`BotCall`]
//!   for every Bot API call the emulator answers (method, chat, message, the
//!   message's buttons, callback query, outcome, and the [`Instant`] it was
//!   answered), on a bounded broadcast channel. Building the record is skipped
//!   while nobody subscribes. A subscriber that falls more than
//!   [`BOT_CALL_CAPACITY`] calls behind is told how many it missed
//!   (`RecvError::Lagged`) rather than slowing the emulator down.
//! - **Act**: [`EmulatorHandle::inject_user_message`],
//!   [`EmulatorHandle::inject_button_press`] and
//!   [`EmulatorHandle::inject_update`] create updates exactly as the control
//!   API does (same ids, same world bookkeeping — a pressed button must be on
//!   the message, and its callback query can then be answered), either queued
//!   for the bot ([`Delivery::Queue`]: getUpdates or the webhook deliverer) or
//!   handed back ([`Delivery::Return`]) for the harness to POST to the bot's
//!   webhook itself, so the measured path has no emulator deliverer in it.

use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;
use tokio::sync::broadcast;

use crate::EmulatorHandle;
use crate::error::{ApiError, ControlError};
use crate::params::Params;
use crate::world::{UserAction, payload_key};

/// How many answered calls a [`BotCall`] subscriber may fall behind.
pub const BOT_CALL_CAPACITY: usize = 1 << 16;

/// One Bot API call the emulator answered.
#[derive(Debug, Clone)]
pub struct BotCall {
    /// The method, lower-cased (`sendmessage`, `editmessagetext`, ...).
    pub method: String,
    /// When the emulator answered it. `getUpdates` is reported when it
    /// arrives instead, because that is when its `offset` confirms earlier
    /// updates; a long poll's answer is not reported.
    pub at: Instant,
    pub chat_id: Option<i64>,
    /// The message sent or edited (from the answer), else the parameter.
    pub message_id: Option<i32>,
    /// The message's text as Telegram stores it (entities stripped); for a
    /// refused call, the `text` asked for, as sent (markup included).
    pub text: Option<String>,
    /// The inline keyboard of the message sent or edited, row by row.
    pub buttons: Vec<InlineButton>,
    pub callback_query_id: Option<String>,
    /// getUpdates: every update below this id is confirmed.
    pub offset: Option<i64>,
    /// The HTTP status answered (200, or Telegram's error code: 400, 429...).
    pub status: u16,
    /// `None` when answered `ok`; else the error description.
    pub error: Option<String>,
}

/// A button of an inline keyboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineButton {
    pub text: String,
    pub callback_data: Option<String>,
}

/// What to do with an injected update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Queue it for the bot, like the control API: getUpdates hands it out or
    /// the webhook deliverer POSTs it. Kinds the bot's `allowed_updates`
    /// excludes are not created.
    Queue,
    /// Create it (next update id, world bookkeeping) and hand it back; the
    /// caller delivers it.
    Return,
}

/// An update created by an injection.
#[derive(Debug, Clone)]
pub struct Injected {
    pub update_id: u32,
    /// The whole update, `{"update_id": .., "<kind>": {..}}`.
    pub update: Arc<Value>,
    /// The user's message (for a message), or the pressed message.
    pub message_id: Option<i32>,
    /// The callback query's id (for a button press).
    pub callback_query_id: Option<String>,
}

impl BotCall {
    /// The record of an answered call.
    pub(crate) fn answered(
        method: &str,
        chat_id: Option<i64>,
        params: &Params,
        outcome: &Result<Value, ApiError>,
    ) -> BotCall {
        let result = outcome.as_ref().ok();
        let message = result.filter(|value| value.is_object());
        let message_id = message
            .and_then(|m| m["message_id"].as_i64())
            .or_else(|| params.opt_i64("message_id").ok().flatten())
            .and_then(|id| i32::try_from(id).ok());
        let buttons = message
            .and_then(|m| m["reply_markup"]["inline_keyboard"].as_array())
            .map(|rows| {
                rows.iter()
                    .filter_map(Value::as_array)
                    .flatten()
                    .map(|button| InlineButton {
                        text: button["text"].as_str().unwrap_or_default().to_owned(),
                        callback_data: button["callback_data"].as_str().map(str::to_owned),
                    })
                    .collect()
            })
            .unwrap_or_default();
        BotCall {
            method: method.to_owned(),
            at: Instant::now(),
            chat_id,
            message_id,
            text: match message {
                Some(message) => message["text"].as_str().map(str::to_owned),
                None if outcome.is_err() => params.opt_str("text"),
                None => None,
            },
            buttons,
            callback_query_id: params.opt_str("callback_query_id"),
            offset: None,
            status: outcome.as_ref().err().map_or(200, ApiError::code),
            error: outcome.as_ref().err().map(ToString::to_string),
        }
    }

    /// The record of a getUpdates call as it arrives.
    pub(crate) fn poll(params: &Params) -> BotCall {
        BotCall {
            method: "getupdates".to_owned(),
            at: Instant::now(),
            chat_id: None,
            message_id: None,
            text: None,
            buttons: Vec::new(),
            callback_query_id: None,
            offset: params.opt_i64("offset").ok().flatten(),
            status: 200,
            error: None,
        }
    }
}

/// The update kinds [`EmulatorHandle::inject_update`] accepts.
const INJECTABLE: &[&str] = &[
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "callback_query",
    "message_reaction",
    "message_reaction_count",
    "chat_member",
    "my_chat_member",
    "chat_join_request",
    "pre_checkout_query",
];

fn injected(action: UserAction, kind: &str) -> Result<Injected, ControlError> {
    let update_id = action
        .update_id
        .ok_or_else(|| ControlError::Conflict(format!("the bot's allowed_updates exclude {kind} updates")))?;
    Ok(Injected {
        update_id,
        update: action.update,
        message_id: action.message_id,
        callback_query_id: action.callback_query_id,
    })
}

impl EmulatorHandle {
    /// Every Bot API call answered from now on; see [`BotCall`].
    pub fn subscribe_bot_calls(&self) -> broadcast::Receiver<BotCall> {
        self.shared.bot_calls.subscribe()
    }

    /// User `user_id` writes `text` to the bot (as `POST /control/users/{id}/messages`).
    pub fn inject_user_message(&self, user_id: u64, text: &str, delivery: Delivery) -> Result<Injected, ControlError> {
        let action = self.shared.with(|w| w.user_message(user_id, text.to_owned(), None, delivery))?;
        injected(action, "message")
    }

    /// User `user_id` presses the button carrying `data` on message
    /// `message_id` of `chat_id` (as `POST /control/users/{id}/callbacks`);
    /// refused unless the message has that button.
    pub fn inject_button_press(
        &self,
        user_id: u64,
        chat_id: i64,
        message_id: i32,
        data: &str,
        delivery: Delivery,
    ) -> Result<Injected, ControlError> {
        let action = self.shared.with(|w| w.press_button(user_id, chat_id, message_id, data, false, delivery))?;
        injected(action, "callback_query")
    }

    /// An admin posts `text` in channel `chat_id` (as `POST
    /// /control/channels/{chat}/posts`); `message_id` is the post's.
    pub fn inject_channel_post(&self, chat_id: i64, text: &str, delivery: Delivery) -> Result<Injected, ControlError> {
        let (action, _) = self.shared.with(|w| w.channel_post(chat_id, text.to_owned(), false, delivery))?;
        injected(action, "channel_post")
    }

    /// Updates not yet acknowledged by the bot (queued or being redelivered).
    pub fn pending_updates(&self) -> usize {
        self.shared.with(|w| w.pending_count())
    }

    /// An update of `kind` with a payload the caller built (e.g. a
    /// `message_reaction`), given the next update id. The world is not
    /// otherwise changed: a reaction made this way is not listed on the post.
    pub fn inject_update(&self, kind: &str, payload: Value, delivery: Delivery) -> Result<Injected, ControlError> {
        let kind = INJECTABLE
            .iter()
            .copied()
            .find(|known| *known == kind)
            .ok_or_else(|| ControlError::BadRequest(format!("unknown update kind {kind}")))?;
        let key = payload_key(&payload);
        let created = self.shared.with(|w| w.emit_update(kind, payload, key, delivery));
        let (update_id, update) = created
            .ok_or_else(|| ControlError::Conflict(format!("the bot's allowed_updates exclude {kind} updates")))?;
        Ok(Injected { update_id, update, message_id: None, callback_query_id: None })
    }
}
