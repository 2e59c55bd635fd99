//! An in-memory Telegram Bot API emulator, its control API and the browser
//! playground.
//!
//! The network is closed to DianaBot's development machines and tests, so this is
//! the project's one stand-in for Telegram. It speaks the real Bot API closely
//! enough that unmodified bot libraries (teloxide-core 0.13 is tested) accept it,
//! and adds a control API through which tests, the load harness and the playground
//! act as Telegram users and observe what the bot did.
//!
//! # Using it
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let emulator = dianabot_emulator::start(dianabot_emulator::EmulatorConfig::default()).await?;
//! // teloxide: Bot::new(token).set_api_url(emulator.api_url().parse().unwrap())
//! println!("playground: {}", emulator.playground_url());
//! emulator.stop().await;
//! # Ok(()) }
//! ```
//!
//! [`start`] works from any tokio runtime (`#[tokio::main]`, `#[tokio::test]`,
//! actix-rt): the HTTP server runs its own worker threads and the webhook
//! deliverer is a task on the caller's runtime.
//!
//! # Bot API
//!
//! `GET` or `POST /bot{token}/{method}` with parameters in the query string, or a
//! JSON, form-urlencoded or multipart body. Answers are `{"ok":true,"result":..}`
//! or Telegram-shaped errors: 401 `Unauthorized` for a wrong token, 404
//! `Not Found: method not found`, 400 `Bad Request: ...`, 403 `Forbidden: ...`,
//! 409 `Conflict: ...`, 429 `Too Many Requests: retry after N` with
//! `parameters.retry_after`.
//!
//! Methods: getMe, getUpdates (offset, limit, timeout long-poll, allowed_updates;
//! 409 while a webhook is set or when a newer getUpdates supersedes a waiting one),
//! setWebhook, deleteWebhook, getWebhookInfo, sendMessage, editMessageText,
//! editMessageReplyMarkup, deleteMessage, deleteMessages, sendChatAction,
//! answerCallbackQuery, sendDocument (a multipart upload or a file id), sendInvoice, createInvoiceLink (with
//! `subscription_period`), answerPreCheckoutQuery, refundStarPayment,
//! editUserStarSubscription, createChatInviteLink, editChatInviteLink,
//! revokeChatInviteLink, exportChatInviteLink, approveChatJoinRequest,
//! declineChatJoinRequest, banChatMember, unbanChatMember, getChatMember,
//! getChatMemberCount, setMyCommands, getMyCommands, deleteMyCommands, logOut,
//! close.
//!
//! Faithful details worth knowing:
//! - `allowed_updates` empty or never set means Telegram's default: everything
//!   except `chat_member`, `message_reaction` and `message_reaction_count`. Updates
//!   the bot did not ask for are never created (the control API then answers
//!   `"update_id": null`).
//! - `parse_mode=HTML` is parsed into plain text and entities; bad markup is the
//!   same 400 `can't parse entities` Telegram gives. Markdown is stored verbatim.
//! - The bot cannot write first to a user (403) until the user has sent it a
//!   message (or was created with `"started": true`).
//! - Editing a message to identical content is 400 `message is not modified`;
//!   editMessageText without `reply_markup` removes the inline keyboard.
//! - Only Stars (`XTR`, one price, no provider token) invoices are emulated.
//! - Game time: every date (messages, updates, link expiry, ban ends,
//!   subscription periods) reads [`EmulatorConfig::clock`]; the call log's
//!   `at_ms` stays wall-clock time, because pacing is measured in real time.
//! - Invite links: `name` ≤ 32 chars, `member_limit` 1–99 999 and not with
//!   `creates_join_request` (400 as in Telegram); a link is refused on join once
//!   revoked, expired (game clock) or used `member_limit` times; banned users
//!   cannot join. editChatInviteLink keeps what it does not name (`0` clears
//!   `expire_date` / `member_limit`).
//! - Join requests: following a `creates_join_request` link, or joining a
//!   channel whose `join_by_request` is on, makes a pending request and a
//!   `chat_join_request` update (`user_chat_id`; the bot may write to that user
//!   for 5 minutes while the request is pending, even if they never started
//!   it). approve/decline without a pending request is 400
//!   `HIDE_REQUESTER_MISSING`; approval is a `chat_member` update from the bot
//!   with the link (or `via_join_request`); a decline changes no membership.
//! - `chat_member` updates (join, approval, leave, ban, unban) exist only when
//!   `allowed_updates` (getUpdates, remembered between calls, or setWebhook)
//!   names `chat_member`. banChatMember removes and bans (`until_date` on the
//!   game clock; under 30 s or over 366 days is forever; a temporary ban ends
//!   by itself); unbanChatMember lifts a ban and, without `only_if_banned`,
//!   also removes a member.
//! - Stars subscriptions: createInvoiceLink's `subscription_period` must be
//!   2592000 (else 400 `SUBSCRIPTION_PERIOD_INVALID`). Paying the link goes
//!   through pre-checkout and delivers `successful_payment` with
//!   `is_recurring`, `is_first_recurring` and `subscription_expiration_date` =
//!   now + period. Renewals (control API) deliver a new `successful_payment`
//!   without pre-checkout, a new charge id, and the expiration a period later.
//!   editUserStarSubscription takes any charge id of the subscription (400
//!   `CHARGE_NOT_FOUND` for an unknown charge or another user's).
//! - Divergence on purpose: reactions on channel posts produce `message_reaction`
//!   updates naming the user (real channels only send anonymous counts), because
//!   the game rewards per-user reactions.
//! - Webhooks may be `http://` (no TLS on the closed network). Updates are
//!   delivered up to `max_connections` at a time, in update_id order per user,
//!   retried with backoff until a 2xx.
//!
//! # Control API
//!
//! JSON over HTTP under `/control`. Errors are `{"error": "..."}` with 400, 403,
//! 404 (unknown user, chat, message, update, callback, invoice, link), 409 or 408
//! (a wait timed out). A `{chat}` is a numeric chat id, `free`, `vip` or
//! `@username`. `timeout_ms` waits are capped at 120 s.
//!
//! | Method | Path | Body / query | Answer |
//! |---|---|---|---|
//! | GET | `/control/info` | | `{bot, owner_id, token, api_url, free_channel, vip_channel, pending_updates, webhook}` |
//! | POST | `/control/reset` | | `{ok}`; clears users, chats, updates, logs; keeps webhook, allowed_updates, rate-limit settings and id counters |
//! | GET | `/control/events` | `?since=V&timeout_ms=T` | long-poll: `{version, chats:[changed chat ids], reload, pending_updates, webhook}` |
//! | POST | `/control/users` | `{first_name, last_name?, username?, language_code?, id?, started?}` | 201 the user |
//! | GET | `/control/users`, `/control/users/{id}` | | user(s) |
//! | POST | `/control/users/{id}/messages` | `{text, reply_to_message_id?}` | `{update_id, message_id, message}` |
//! | POST | `/control/users/{id}/callbacks` | `{message_id, data, chat_id?, force?, wait_answer_ms?}` | `{callback_query_id, update_id, answer}`; 400 if the message has no such button unless `force` |
//! | GET | `/control/callbacks/{id}` | `?timeout_ms=T` (wait for the answer) | `{id, user_id, chat_id, message_id, data, update_id, answer:{text, show_alert, url, cache_time}\|null}` |
//! | POST | `/control/users/{id}/reactions` | `{chat_id, message_id, emoji\|null}` | `{update_id, count_update_id, changed}` |
//! | GET | `/control/clock` | | `{now, offset, adjustable}` (game clock) |
//! | POST | `/control/clock/advance` | `{"secs": N}` or `?secs=N` | `{now, offset, adjustable}`; 400 if the clock is not adjustable |
//! | POST | `/control/users/{id}/join` | `{chat_id}` (public, or `force`) or `{invite_link}` | `{chat_id, update_id, status: member\|pending}`; 403 revoked/expired/full link or banned, 409 already in or already asked |
//! | POST | `/control/users/{id}/request-join` | `{chat}` | `{chat_id, update_id, status: pending}`; 403 unless the chat's `join_by_request` is on |
//! | GET | `/control/join-requests` | `?chat=` | `[{chat_id, user_id, date, invite_link, update_id}]` pending |
//! | PUT | `/control/chats/{chat}/settings` | `{join_by_request}` | the chat |
//! | POST | `/control/users/{id}/leave` | `{chat_id}` | `{chat_id, update_id, status}` |
//! | POST | `/control/users/{id}/pay` | `{message_id, chat_id?}` or `{invoice_link}`, `timeout_ms?` | `{paid, status: paid\|rejected\|timeout, reason?, telegram_payment_charge_id?, message_id?, payment_update_id?, pre_checkout_query_id, pre_checkout_update_id}` |
//! | POST | `/control/channels/{chat}/posts` | `{text, parse_mode?}` | `{update_id, message_id, message}` |
//! | GET | `/control/chats`, `/control/chats/{chat}` | | chat(s) with `version`; channels add `members` (statuses by the game clock), `join_requests`, `join_by_request` |
//! | GET | `/control/chats/{chat}/messages` | `?from=bot&since_version=V&timeout_ms=T` | `{chat, version, messages:[Message + sent_by_bot, reactions?, invoice_paid?, reply_keyboard?]}` |
//! | GET | `/control/chats/{chat}/messages/next` | `?after=MID&timeout_ms=T` | the first bot message with id > MID, or 408 |
//! | GET | `/control/calls` | `?method=&chat_id=&since_seq=` | `[{seq, at_ms, method, chat_id, status, description, params}]` |
//! | GET | `/control/send-rate` | `?method=sendMessage&window_ms=1000&since_seq=` | `{total, accepted, refused, max_in_window, max_ok_in_window, max_window_start_ms, first_at_ms, last_at_ms}`: the most calls in any window (wall clock) |
//! | GET | `/control/updates` | | `{count, updates:[{update_id, type, attempts, in_flight, redelivery, update}]}` (pending) |
//! | GET | `/control/updates/{id}` | | the update as sent |
//! | POST | `/control/updates/{id}/redeliver` | | `{update_id, queued}`; delivered again with the same id |
//! | GET/PUT | `/control/rate-limits` | `{enabled, per_chat_per_sec, per_chat_burst, global_per_sec, global_burst}` | the settings |
//! | POST | `/control/rate-limits/force` | `{count, retry_after, methods?}` | the next `count` calls answer 429 |
//! | GET | `/control/payments`, `/control/invoices`, `/control/invite-links` | | lists (links with `uses`, `pending_join_request_count`) |
//! | GET | `/control/files/{file_id}` | | the bytes of a file the bot uploaded |
//! | GET | `/control/subscriptions` | | `[{id, user_id, payload, total_amount, period, charge_ids, first_charge_id, last_charge_id, expiration_date, canceled, failed, status: active\|canceled\|expired\|failed}]` |
//! | POST | `/control/subscriptions/{charge_id}/renew` | | the renewal payment `{telegram_payment_charge_id, message_id, payment_update_id, subscription_expiration_date, subscription}`; 409 if canceled or ended |
//! | POST | `/control/subscriptions/{charge_id}/fail` | | the subscription, `status: failed`; nothing is delivered |
//!
//! # In-process hooks
//!
//! A load harness that starts the emulator in its own process observes every
//! Bot API call on a broadcast channel ([`EmulatorHandle::subscribe_bot_calls`])
//! and creates updates without HTTP, queued for the bot or handed back to POST
//! to its webhook ([`EmulatorHandle::inject_button_press`] and friends). See
//! the `hooks` module's [`BotCall`] and [`Delivery`].
//!
//! # Playground
//!
//! `GET /` or `/playground`: a self-contained page (no external assets) where a
//! person chats with the bot as several simulated users, presses inline buttons,
//! reacts to channel posts and pays Stars invoices; channel columns list members
//! and pending join requests, the sidebar lists subscriptions (renew / fail a
//! renewal) and the header shows the game clock (+1 day when adjustable).
//! Elements carry `data-testid` attributes for browser tests.
//!
//! The crate also depends on `serde_urlencoded` (already in actix-web's tree) to
//! read form-encoded Bot API bodies.

mod api;
mod control;
mod error;
mod hooks;
mod html;
mod params;
mod ratelimit;
mod types;
mod webhook;
mod world;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
pub use dianabot_plumbing::Clock;

pub use error::{ApiError, ControlError};
pub use hooks::{BOT_CALL_CAPACITY, BotCall, Delivery, Injected, InlineButton};
pub use ratelimit::{Forced429, RateLimitConfig};

use world::Shared;

/// The page served at `/` and `/playground`.
const PLAYGROUND: &str = include_str!("playground.html");

/// A channel that exists from the start.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelConfig {
    /// Telegram channel ids are negative, `-100…`.
    pub id: i64,
    pub title: String,
    /// Public channels have a username; private ones are joined by invite link.
    pub username: Option<String>,
    /// Whether joining without a join-request link sends a join request
    /// (Telegram's "approve new members" switch); changeable at run time
    /// with `PUT /control/chats/{chat}/settings`.
    pub join_by_request: bool,
}

/// Emulator settings. `Default` gives a working emulator on a random local port.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Where to listen; port 0 picks a free port.
    pub bind: SocketAddr,
    /// The bot token; its numeric prefix is the bot's user id.
    pub token: String,
    pub bot_username: String,
    pub bot_first_name: String,
    /// The free (public) channel.
    pub free_channel: ChannelConfig,
    /// The VIP (private, invite-only) channel.
    pub vip_channel: ChannelConfig,
    /// Flood control; off by default.
    pub rate_limits: RateLimitConfig,
    /// How long a payer waits for answerPreCheckoutQuery (Telegram: 10 s).
    pub pre_checkout_timeout: Duration,
    /// Per-attempt timeout of a webhook POST.
    pub webhook_timeout: Duration,
    /// First retry delay after a failed webhook delivery (doubles each time).
    pub webhook_retry_base: Duration,
    /// Longest retry delay.
    pub webhook_retry_max: Duration,
    /// HTTP worker threads (the machine is small; waits are async anyway).
    pub workers: usize,
    /// Game time: every date the emulator writes (messages, updates, invite
    /// link expiry, bans, subscription periods) reads it. Give the server's
    /// own clock when embedding, so `POST /control/clock/advance` moves both;
    /// only [`Clock::adjustable`] clocks can be advanced.
    pub clock: Clock,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            token: "123456:TEST".into(),
            bot_username: "DianaBot".into(),
            bot_first_name: "Diana".into(),
            free_channel: ChannelConfig {
                id: -1_001_000_000_001,
                title: "Diana · Free".into(),
                username: Some("DianaFree".into()),
                join_by_request: false,
            },
            vip_channel: ChannelConfig {
                id: -1_001_000_000_002,
                title: "Diana · VIP".into(),
                username: None,
                join_by_request: false,
            },
            rate_limits: RateLimitConfig::default(),
            pre_checkout_timeout: Duration::from_secs(10),
            webhook_timeout: webhook::DEFAULT_TIMEOUT,
            webhook_retry_base: Duration::from_millis(50),
            webhook_retry_max: Duration::from_secs(2),
            workers: 2,
            clock: Clock::system(),
        }
    }
}

/// A running emulator. Dropping it without [`EmulatorHandle::stop`] leaves the
/// server running until the process ends.
#[derive(Debug)]
pub struct EmulatorHandle {
    addr: SocketAddr,
    token: String,
    server: actix_web::dev::ServerHandle,
    server_task: tokio::task::JoinHandle<std::io::Result<()>>,
    webhook_task: tokio::task::JoinHandle<()>,
    shared: Arc<Shared>,
}

impl EmulatorHandle {
    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The base to give a bot library: teloxide builds `{api_url}/bot{token}/{Method}`,
    /// so this is the same as [`Self::base_url`].
    pub fn api_url(&self) -> String {
        self.base_url()
    }

    /// Where the browser playground is.
    pub fn playground_url(&self) -> String {
        format!("{}/playground", self.base_url())
    }

    /// The control API's base, `{base_url}/control`.
    pub fn control_url(&self) -> String {
        format!("{}/control", self.base_url())
    }

    /// The bot token the emulator accepts.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, finishes in-flight requests briefly, and stops delivery.
    pub async fn stop(self) {
        self.webhook_task.abort();
        self.server.stop(true).await;
        let _ = self.server_task.await;
    }
}

/// Starts the emulator on `config.bind`. Must be called from a tokio runtime.
pub async fn start(config: EmulatorConfig) -> std::io::Result<EmulatorHandle> {
    let listener = std::net::TcpListener::bind(config.bind)?;
    let addr = listener.local_addr()?;
    let client = reqwest::Client::builder().timeout(config.webhook_timeout).build().map_err(std::io::Error::other)?;
    let workers = config.workers.max(1);
    let token = config.token.clone();
    let shared = Arc::new(Shared::new(config, addr));
    let data = web::Data::from(shared.clone());
    let hooks = shared.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::PayloadConfig::new(4 * 1024 * 1024))
            .app_data(
                web::JsonConfig::default()
                    .error_handler(|err, _req| ControlError::BadRequest(format!("invalid JSON body: {err}")).into()),
            )
            .app_data(
                web::QueryConfig::default()
                    .error_handler(|err, _req| ControlError::BadRequest(format!("invalid query: {err}")).into()),
            )
            .configure(control::routes)
            .route("/", web::get().to(playground))
            .route("/playground", web::get().to(playground))
            .route("/bot{token}/{method}", web::route().to(api::handle))
    })
    .workers(workers)
    .disable_signals()
    .shutdown_timeout(1)
    .listen(listener)?
    .run();
    let server_handle = server.handle();
    let server_task = tokio::spawn(server);
    let webhook_task = tokio::spawn(webhook::run(shared, client));
    tracing::info!(%addr, "telegram emulator listening");
    Ok(EmulatorHandle { addr, token, server: server_handle, server_task, webhook_task, shared: hooks })
}

async fn playground() -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(PLAYGROUND)
}
