//! The control API (`/control/...`): what tests, the load harness and the
//! playground use to act as Telegram users and to observe what the bot did.
//!
//! The endpoints are listed, with bodies and answers, in the crate docs. Waits
//! are long-polls with a `timeout_ms`, so callers never need to sleep.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::ControlError;
use crate::hooks::Delivery;
use crate::ratelimit::{Forced429, RateLimitConfig};
use crate::types::{self, MemberStatus};
use crate::world::{ChatKind, MessageRec, PreCheckoutRec, Shared, UserRec, World, reaction_counts, reaction_summary};

type Data = web::Data<Shared>;
type Reply = Result<HttpResponse, ControlError>;

/// Longest wait any control long-poll accepts.
const MAX_WAIT: Duration = Duration::from_secs(120);

fn ok(value: Value) -> Reply {
    Ok(HttpResponse::Ok().json(value))
}

fn wait_time(timeout_ms: Option<u64>, default: Duration) -> Duration {
    timeout_ms.map(Duration::from_millis).unwrap_or(default).min(MAX_WAIT)
}

/// Registers every control route under `/control`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/control")
            .route("/info", web::get().to(info))
            .route("/reset", web::post().to(reset))
            .route("/events", web::get().to(events))
            .route("/users", web::get().to(list_users))
            .route("/users", web::post().to(create_user))
            .route("/users/{user}", web::get().to(get_user))
            .route("/users/{user}/messages", web::post().to(user_message))
            .route("/users/{user}/callbacks", web::post().to(press_button))
            .route("/users/{user}/reactions", web::post().to(react))
            .route("/clock", web::get().to(get_clock))
            .route("/clock/advance", web::post().to(advance_clock))
            .route("/users/{user}/join", web::post().to(join))
            .route("/users/{user}/request-join", web::post().to(request_join))
            .route("/users/{user}/leave", web::post().to(leave))
            .route("/users/{user}/pay", web::post().to(pay))
            .route("/callbacks/{id}", web::get().to(get_callback))
            .route("/channels/{chat}/posts", web::post().to(channel_post))
            .route("/chats", web::get().to(list_chats))
            .route("/chats/{chat}", web::get().to(get_chat))
            .route("/chats/{chat}/settings", web::put().to(chat_settings))
            .route("/chats/{chat}/messages", web::get().to(chat_messages))
            .route("/chats/{chat}/messages/next", web::get().to(next_bot_message))
            .route("/calls", web::get().to(calls))
            .route("/send-rate", web::get().to(send_rate))
            .route("/updates", web::get().to(pending_updates))
            .route("/updates/{id}", web::get().to(get_update))
            .route("/updates/{id}/redeliver", web::post().to(redeliver))
            .route("/rate-limits", web::get().to(get_rate_limits))
            .route("/rate-limits", web::put().to(set_rate_limits))
            .route("/rate-limits/force", web::post().to(force_429))
            .route("/payments", web::get().to(payments))
            .route("/invoices", web::get().to(invoices))
            .route("/files/{file_id}", web::get().to(file))
            .route("/invite-links", web::get().to(invite_links))
            .route("/join-requests", web::get().to(join_requests))
            .route("/subscriptions", web::get().to(subscriptions))
            .route("/subscriptions/{charge}/renew", web::post().to(renew_subscription))
            .route("/subscriptions/{charge}/fail", web::post().to(fail_subscription)),
    );
}

// ---- helpers -------------------------------------------------------------------

/// Resolves a chat reference: a numeric id, `free`, `vip`, or `@username`.
fn chat_ref(w: &World, raw: &str) -> Result<i64, ControlError> {
    let id = match raw {
        "free" => w.free_channel,
        "vip" => w.vip_channel,
        _ => match raw.strip_prefix('@') {
            Some(name) => w
                .chats
                .values()
                .find(|c| match &c.kind {
                    ChatKind::Channel { username, .. } => {
                        username.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(name))
                    }
                    ChatKind::Private { user_id } => w
                        .users
                        .get(user_id)
                        .and_then(|u| u.username.as_deref())
                        .is_some_and(|u| u.eq_ignore_ascii_case(name)),
                })
                .map(|c| c.id)
                .ok_or_else(|| ControlError::not_found(format!("unknown chat {raw}")))?,
            None => raw.parse().map_err(|_| ControlError::BadRequest(format!("invalid chat reference {raw}")))?,
        },
    };
    w.chat(id).map(|c| c.id)
}

/// A chat reference given in a JSON body (number or string).
fn body_chat(w: &World, value: &Option<Value>, default: i64) -> Result<i64, ControlError> {
    match value {
        None | Some(Value::Null) => w.chat(default).map(|c| c.id),
        Some(Value::Number(n)) => chat_ref(w, &n.to_string()),
        Some(Value::String(s)) => chat_ref(w, s),
        Some(_) => Err(ControlError::BadRequest("invalid chat_id".into())),
    }
}

fn parse_user(raw: &str) -> Result<u64, ControlError> {
    raw.parse().map_err(|_| ControlError::BadRequest(format!("invalid user id {raw}")))
}

/// A message as the control API lists it: the Bot API `Message` plus
/// emulator-only facts (who really sent it, reactions, payment state).
fn message_view(w: &World, chat_id: i64, msg: &MessageRec) -> Value {
    let Some(chat) = w.chats.get(&chat_id) else {
        return Value::Null;
    };
    let mut view = json!(w.message_json(chat, msg, 0));
    view["sent_by_bot"] = json!(msg.by_bot);
    if !msg.reactions.is_empty() {
        view["reactions"] = json!(reaction_summary(msg));
    }
    if let Some(markup) = &msg.other_markup {
        view["reply_keyboard"] = markup.clone();
    }
    if let Some(inv) = msg.invoice_id.and_then(|id| w.invoices.get(&id)) {
        view["invoice_paid"] = json!(!inv.charges.is_empty());
        view["invoice_payload"] = json!(inv.payload);
    }
    view
}

fn chat_view(w: &World, chat_id: i64) -> Result<Value, ControlError> {
    let chat = w.chat(chat_id)?;
    let mut view = json!(w.chat_json(chat));
    view["version"] = json!(chat.version);
    view["message_count"] = json!(chat.messages.len());
    if let Some((action, at)) = &chat.last_action {
        view["last_action"] = json!({"action": action, "date": at});
    }
    if chat.is_channel() {
        // Statuses as of the game clock (a temporary ban that ran out is `left`).
        let mut members: Vec<Value> = chat
            .members
            .keys()
            .map(|id| json!({"user_id": id, "status": w.member_status(chat_id, *id).as_str()}))
            .collect();
        members.sort_by_key(|m| m["user_id"].as_u64());
        view["members"] = json!(members);
        view["is_vip"] = json!(chat_id == w.vip_channel);
        view["join_by_request"] = json!(chat.join_by_request);
        let requests: Vec<&crate::world::JoinRequestRec> =
            w.join_requests.range((chat_id, 0)..=(chat_id, u64::MAX)).map(|(_, r)| r).collect();
        view["join_requests"] = json!(requests);
    }
    Ok(view)
}

// ---- info, reset, events -----------------------------------------------------------

async fn info(shared: Data) -> Reply {
    let base = format!("http://{}", shared.addr);
    let (bot, owner, free, vip, pending, webhook) = shared
        .with(|w| (w.bot.clone(), w.owner_id, w.free_channel, w.vip_channel, w.pending_count(), w.webhook.clone()));
    ok(json!({
        "bot": bot,
        "owner_id": owner,
        "token": shared.config.token,
        "api_url": base,
        "free_channel": free,
        "vip_channel": vip,
        "pending_updates": pending,
        "webhook": webhook,
    }))
}

async fn reset(shared: Data) -> Reply {
    shared.with(|w| w.reset(&shared.config));
    ok(json!({"ok": true}))
}

#[derive(Deserialize)]
struct EventsQuery {
    #[serde(default)]
    since: u64,
    timeout_ms: Option<u64>,
}

/// Long-polls for chats changed after `since` (the playground's refresh feed).
async fn events(shared: Data, q: web::Query<EventsQuery>) -> Reply {
    let since = q.since;
    let found = shared
        .wait_for(wait_time(q.timeout_ms, Duration::from_secs(25)), |w| match w.changes_since(since) {
            Some(chats) if chats.is_empty() => None,
            changed => Some((w.version, changed)),
        })
        .await;
    let (pending, version, webhook) = shared.with(|w| (w.pending_count(), w.version, w.webhook.is_some()));
    let (version, chats, reload) = match found {
        Some((v, Some(chats))) => (v, chats, false),
        Some((v, None)) => (v, Vec::new(), true),
        // Nothing changed: the caller keeps its version (a change that slipped in
        // after the wait ended is then reported next time, not lost).
        None => (since.min(version), Vec::new(), false),
    };
    ok(json!({
        "version": version,
        "chats": chats,
        "reload": reload,
        "pending_updates": pending,
        "webhook": webhook,
    }))
}

// ---- users -------------------------------------------------------------------------

#[derive(Deserialize)]
struct NewUser {
    #[serde(default)]
    id: u64,
    first_name: String,
    last_name: Option<String>,
    username: Option<String>,
    language_code: Option<String>,
    #[serde(default)]
    started: bool,
}

async fn create_user(shared: Data, body: web::Json<NewUser>) -> Reply {
    let body = body.into_inner();
    let user = shared.with(|w| {
        w.create_user(UserRec {
            id: body.id,
            first_name: body.first_name,
            last_name: body.last_name,
            username: body.username.map(|u| u.trim_start_matches('@').to_owned()),
            language_code: body.language_code,
            started: body.started,
        })
        .cloned()
    })?;
    Ok(HttpResponse::Created().json(user))
}

async fn list_users(shared: Data) -> Reply {
    ok(shared.with(|w| json!(w.users.values().collect::<Vec<_>>())))
}

async fn get_user(shared: Data, path: web::Path<String>) -> Reply {
    let id = parse_user(&path)?;
    ok(shared.with(|w| w.user(id).map(|u| json!(u)))?)
}

#[derive(Deserialize)]
struct UserText {
    text: String,
    reply_to_message_id: Option<i32>,
}

/// The user writes to the bot: a `message` update.
async fn user_message(shared: Data, path: web::Path<String>, body: web::Json<UserText>) -> Reply {
    let uid = parse_user(&path)?;
    let body = body.into_inner();
    ok(shared.with(|w| {
        let sent = w.user_message(uid, body.text, body.reply_to_message_id, Delivery::Queue)?;
        let message = sent.message_id.and_then(|id| w.message_value(uid as i64, id)).unwrap_or_default();
        Ok::<_, ControlError>(json!({"update_id": sent.update_id, "message_id": sent.message_id, "message": message}))
    })?)
}

#[derive(Deserialize)]
struct Press {
    message_id: i32,
    data: String,
    chat_id: Option<Value>,
    /// Skip the check that the message has a button with this data (forged data tests).
    #[serde(default)]
    force: bool,
    /// Wait this long for answerCallbackQuery and include it in the answer.
    wait_answer_ms: Option<u64>,
}

/// The user presses an inline button: a `callback_query` update.
async fn press_button(shared: Data, path: web::Path<String>, body: web::Json<Press>) -> Reply {
    let uid = parse_user(&path)?;
    let body = body.into_inner();
    let (id, update_id) = shared.with(|w| {
        let chat_id = body_chat(w, &body.chat_id, uid as i64)?;
        let pressed = w.press_button(uid, chat_id, body.message_id, &body.data, body.force, Delivery::Queue)?;
        Ok::<_, ControlError>((pressed.callback_query_id.unwrap_or_default(), pressed.update_id))
    })?;
    let answer = match body.wait_answer_ms {
        Some(ms) => wait_callback_answer(&shared, &id, Duration::from_millis(ms)).await,
        None => None,
    };
    ok(json!({"callback_query_id": id, "update_id": update_id, "answer": answer}))
}

async fn wait_callback_answer(shared: &Shared, id: &str, timeout: Duration) -> Option<Value> {
    shared.wait_for(timeout.min(MAX_WAIT), |w| w.callbacks.get(id).and_then(|c| c.answer.clone())).await
}

#[derive(Deserialize)]
struct WaitQuery {
    timeout_ms: Option<u64>,
}

/// A pressed button and, once given, its answerCallbackQuery (waits up to timeout_ms).
async fn get_callback(shared: Data, path: web::Path<String>, q: web::Query<WaitQuery>) -> Reply {
    let id = path.into_inner();
    if let Some(ms) = q.timeout_ms {
        wait_callback_answer(&shared, &id, Duration::from_millis(ms)).await;
    }
    ok(shared.with(|w| {
        w.callbacks
            .get(&id)
            .map(|c| json!(c))
            .ok_or_else(|| ControlError::not_found(format!("unknown callback query {id}")))
    })?)
}

#[derive(Deserialize)]
struct Reaction {
    chat_id: Option<Value>,
    message_id: i32,
    /// The emoji to set; `null` or absent removes the user's reaction.
    emoji: Option<String>,
}

/// The user reacts to (or un-reacts) a message: `message_reaction` and
/// `message_reaction_count` updates.
async fn react(shared: Data, path: web::Path<String>, body: web::Json<Reaction>) -> Reply {
    let uid = parse_user(&path)?;
    let body = body.into_inner();
    ok(shared.with(|w| {
        let user = w.user(uid)?.to_user();
        let chat_id = body_chat(w, &body.chat_id, uid as i64)?;
        let chat = w.chat(chat_id)?;
        let may_see = match &chat.kind {
            ChatKind::Private { user_id } => *user_id == uid,
            ChatKind::Channel { username, .. } => username.is_some() || w.member_status(chat_id, uid).is_present(),
        };
        if !may_see {
            return Err(ControlError::Forbidden(format!("user {uid} is not a member of chat {chat_id}")));
        }
        let new: Vec<String> = body.emoji.into_iter().filter(|e| !e.is_empty()).collect();
        let msg = w
            .chats
            .get_mut(&chat_id)
            .and_then(|c| c.messages.get_mut(&body.message_id))
            .ok_or_else(|| ControlError::not_found(format!("unknown message {}", body.message_id)))?;
        let old = msg.reactions.get(&uid).cloned().unwrap_or_default();
        if old == new {
            return Ok(json!({"update_id": null, "count_update_id": null, "changed": false}));
        }
        if new.is_empty() {
            msg.reactions.remove(&uid);
        } else {
            msg.reactions.insert(uid, new.clone());
        }
        let counts = reaction_counts(msg);
        w.touch(Some(chat_id));
        let chat_json = w.chat_json(w.chat(chat_id)?);
        let now = w.now();
        let reaction = json!({
            "chat": chat_json,
            "message_id": body.message_id,
            "user": user,
            "date": now,
            "old_reaction": old.iter().map(|e| types::emoji_reaction(e)).collect::<Vec<_>>(),
            "new_reaction": new.iter().map(|e| types::emoji_reaction(e)).collect::<Vec<_>>(),
        });
        let update_id = w.push_update("message_reaction", reaction, uid as i64);
        let count = json!({
            "chat": chat_json,
            "message_id": body.message_id,
            "date": now,
            "reactions": counts,
        });
        let count_update_id = w.push_update("message_reaction_count", count, chat_id);
        Ok(json!({"update_id": update_id, "count_update_id": count_update_id, "changed": true}))
    })?)
}

#[derive(Deserialize)]
struct Join {
    chat_id: Option<Value>,
    invite_link: Option<String>,
    /// Join a private channel without an invite link.
    #[serde(default)]
    force: bool,
}

/// The user joins a channel, directly (public channels) or by invite link:
/// a `chat_member` update; a join-request link (or a channel that approves
/// new members) makes a pending request and a `chat_join_request` update.
async fn join(shared: Data, path: web::Path<String>, body: web::Json<Join>) -> Reply {
    let uid = parse_user(&path)?;
    let body = body.into_inner();
    ok(shared.with(|w| match &body.invite_link {
        Some(url) => w.follow_link(uid, url),
        None => {
            let chat_id = body_chat(w, &body.chat_id, 0)?;
            w.join_chat(uid, chat_id, body.force)
        }
    })?)
}

#[derive(Deserialize)]
struct RequestJoin {
    #[serde(alias = "chat_id")]
    chat: Value,
}

/// The user asks to join a channel that takes join requests, without a link.
async fn request_join(shared: Data, path: web::Path<String>, body: web::Json<RequestJoin>) -> Reply {
    let uid = parse_user(&path)?;
    let body = body.into_inner();
    ok(shared.with(|w| {
        let chat_id = body_chat(w, &Some(body.chat), 0)?;
        w.request_join(uid, chat_id)
    })?)
}

#[derive(Deserialize)]
struct ChatQuery {
    chat: Option<String>,
}

/// Pending join requests (of one chat with `?chat=`).
async fn join_requests(shared: Data, q: web::Query<ChatQuery>) -> Reply {
    ok(shared.with(|w| {
        let chat = q.chat.as_deref().map(|c| chat_ref(w, c)).transpose()?;
        let list: Vec<Value> =
            w.join_requests.values().filter(|r| chat.is_none_or(|c| r.chat_id == c)).map(|r| json!(r)).collect();
        Ok::<_, ControlError>(json!(list))
    })?)
}

#[derive(Deserialize)]
struct ChatSettings {
    join_by_request: Option<bool>,
}

/// Channel settings: `join_by_request` (Telegram's "approve new members").
async fn chat_settings(shared: Data, path: web::Path<String>, body: web::Json<ChatSettings>) -> Reply {
    ok(shared.with(|w| {
        let chat_id = chat_ref(w, &path)?;
        if !w.chat(chat_id)?.is_channel() {
            return Err(ControlError::BadRequest(format!("chat {chat_id} is not a channel")));
        }
        if let (Some(on), Some(chat)) = (body.join_by_request, w.chats.get_mut(&chat_id)) {
            chat.join_by_request = on;
        }
        w.touch(Some(chat_id));
        chat_view(w, chat_id)
    })?)
}

#[derive(Deserialize)]
struct Leave {
    chat_id: Value,
}

/// The user leaves a channel: a `chat_member` update.
async fn leave(shared: Data, path: web::Path<String>, body: web::Json<Leave>) -> Reply {
    let uid = parse_user(&path)?;
    let body = body.into_inner();
    ok(shared.with(|w| {
        w.user(uid)?;
        let chat_id = body_chat(w, &Some(body.chat_id), 0)?;
        if !w.member_status(chat_id, uid).is_present() || !w.chat(chat_id)?.is_channel() {
            return Err(ControlError::Conflict(format!("user {uid} is not a member of chat {chat_id}")));
        }
        let update_id = w.set_member(chat_id, uid, MemberStatus::Left, uid, None, false)?;
        Ok(json!({"chat_id": chat_id, "update_id": update_id, "status": "left"}))
    })?)
}

#[derive(Deserialize)]
struct Pay {
    chat_id: Option<Value>,
    message_id: Option<i32>,
    invoice_link: Option<String>,
    /// How long to wait for answerPreCheckoutQuery (default: the configured 10 s).
    timeout_ms: Option<u64>,
    /// Pay an invoice message that is paid already: a second charge for one
    /// invoice, which a bot must not grant twice.
    #[serde(default)]
    again: bool,
}

/// The user pays an invoice: `pre_checkout_query`, then (if the bot says ok in
/// time) a `message` with `successful_payment`.
async fn pay(shared: Data, path: web::Path<String>, body: web::Json<Pay>) -> Reply {
    let uid = parse_user(&path)?;
    let body = body.into_inner();
    let (query_id, pre_checkout_update_id, default_timeout) = shared.with(|w| {
        let user = w.user(uid)?.to_user();
        let invoice_id = match (&body.invoice_link, body.message_id) {
            (Some(link), _) => w
                .invoices
                .values()
                .find(|i| i.link.as_deref() == Some(link.as_str()))
                .map(|i| i.id)
                .ok_or_else(|| ControlError::not_found(format!("unknown invoice link {link}")))?,
            (None, Some(message_id)) => {
                let chat_id = body_chat(w, &body.chat_id, uid as i64)?;
                let msg = w
                    .chat(chat_id)?
                    .messages
                    .get(&message_id)
                    .ok_or_else(|| ControlError::not_found(format!("unknown message {message_id}")))?;
                let id = msg
                    .invoice_id
                    .ok_or_else(|| ControlError::BadRequest(format!("message {message_id} is not an invoice")))?;
                if !body.again && w.invoices.get(&id).is_some_and(|i| !i.charges.is_empty()) {
                    return Err(ControlError::Conflict("invoice already paid".into()));
                }
                id
            }
            (None, None) => {
                return Err(ControlError::BadRequest("give message_id (invoice message) or invoice_link".into()));
            }
        };
        let invoice = w.invoices.get(&invoice_id).ok_or_else(|| ControlError::not_found("unknown invoice"))?;
        let query_id = fastrand::u64(1_000_000_000_000_000..u64::MAX / 2).to_string();
        let payload = json!({
            "id": query_id,
            "from": user,
            "currency": invoice.currency,
            "total_amount": invoice.total_amount,
            "invoice_payload": invoice.payload,
        });
        let update_id = w.push_update("pre_checkout_query", payload, uid as i64);
        w.pre_checkouts
            .insert(query_id.clone(), PreCheckoutRec { user_id: uid, invoice_id, answer: None, expired: false });
        Ok::<_, ControlError>((query_id, update_id, w.pre_checkout_timeout))
    })?;
    let timeout = wait_time(body.timeout_ms, default_timeout);
    let answer = shared.wait_for(timeout, |w| w.pre_checkouts.get(&query_id).and_then(|q| q.answer.clone())).await;
    // An answer may have landed just as the wait ended: decide under the lock.
    let answer = answer.or_else(|| {
        shared.with(|w| {
            let q = w.pre_checkouts.get_mut(&query_id)?;
            if q.answer.is_none() {
                q.expired = true;
            }
            q.answer.clone()
        })
    });
    let base = json!({
        "pre_checkout_query_id": query_id,
        "pre_checkout_update_id": pre_checkout_update_id,
    });
    let mut out = base;
    match answer {
        None => {
            out["paid"] = json!(false);
            out["status"] = json!("timeout");
            out["reason"] =
                json!(format!("the bot did not answer the pre-checkout query within {} ms", timeout.as_millis()));
        }
        Some(Err(message)) => {
            out["paid"] = json!(false);
            out["status"] = json!("rejected");
            out["reason"] = json!(message);
        }
        Some(Ok(())) => {
            let done = shared.with(|w| complete_payment(w, &query_id))?;
            out["paid"] = json!(true);
            out["status"] = json!("paid");
            for (k, v) in done.as_object().into_iter().flatten() {
                out[k] = v.clone();
            }
        }
    }
    ok(out)
}

/// After an ok pre-checkout: the charge and the successful_payment message
/// (the first payment of a subscription, for a subscription link).
fn complete_payment(w: &mut World, query_id: &str) -> Result<Value, ControlError> {
    let query =
        w.pre_checkouts.get(query_id).cloned().ok_or_else(|| ControlError::not_found("pre-checkout query vanished"))?;
    w.record_payment(query.user_id, query.invoice_id, None)
}

async fn subscriptions(shared: Data) -> Reply {
    ok(shared.with(|w| json!(w.subscriptions.values().map(|s| w.subscription_json(s)).collect::<Vec<_>>())))
}

/// The next period is charged: a `successful_payment` (no pre-checkout),
/// or 409 if the subscription was canceled or has ended.
async fn renew_subscription(shared: Data, path: web::Path<String>) -> Reply {
    ok(shared.with(|w| w.renew_subscription(&path))?)
}

/// A renewal failed: the subscription ends; nothing reaches the bot.
async fn fail_subscription(shared: Data, path: web::Path<String>) -> Reply {
    ok(shared.with(|w| w.fail_subscription(&path))?)
}

// ---- the game clock ----------------------------------------------------------------

fn clock_view(shared: &Shared) -> Value {
    let clock = &shared.config.clock;
    json!({"now": clock.now(), "offset": clock.offset(), "adjustable": clock.is_adjustable()})
}

async fn get_clock(shared: Data) -> Reply {
    ok(clock_view(&shared))
}

#[derive(Deserialize)]
struct Advance {
    secs: Option<u32>,
}

/// Moves the game clock forward by `secs` (JSON body `{"secs": N}` or
/// `?secs=N`); 400 on the wall clock.
async fn advance_clock(shared: Data, query: web::Query<Advance>, body: web::Bytes) -> Reply {
    let secs = if body.iter().all(u8::is_ascii_whitespace) {
        query.secs
    } else {
        let advance: Advance =
            serde_json::from_slice(&body).map_err(|e| ControlError::BadRequest(format!("invalid JSON body: {e}")))?;
        advance.secs
    };
    let secs = secs.ok_or_else(|| ControlError::BadRequest("give secs (body {\"secs\": N} or ?secs=N)".into()))?;
    shared.config.clock.advance(secs).map_err(|e| ControlError::BadRequest(e.to_string()))?;
    // Waiters re-check conditions that depend on time (link expiry, bans).
    shared.with(|w| w.touch_all());
    ok(clock_view(&shared))
}

// ---- channels and chats ----------------------------------------------------------

#[derive(Deserialize)]
struct Post {
    text: String,
    parse_mode: Option<String>,
}

/// An admin posts in a channel: a `channel_post` update.
async fn channel_post(shared: Data, path: web::Path<String>, body: web::Json<Post>) -> Reply {
    let body = body.into_inner();
    let html = body.parse_mode.is_some_and(|mode| mode.eq_ignore_ascii_case("html"));
    ok(shared.with(|w| {
        let chat_id = chat_ref(w, &path)?;
        let (action, message) = w.channel_post(chat_id, body.text, html, Delivery::Queue)?;
        Ok(json!({"update_id": action.update_id, "message_id": action.message_id, "message": message}))
    })?)
}

async fn list_chats(shared: Data) -> Reply {
    ok(shared.with(|w| {
        let chats: Vec<Value> = w.chats.keys().filter_map(|id| chat_view(w, *id).ok()).collect();
        json!(chats)
    }))
}

async fn get_chat(shared: Data, path: web::Path<String>) -> Reply {
    ok(shared.with(|w| {
        let id = chat_ref(w, &path)?;
        chat_view(w, id)
    })?)
}

#[derive(Deserialize)]
struct MessagesQuery {
    /// Wait until the chat's version is above this.
    since_version: Option<u64>,
    timeout_ms: Option<u64>,
    /// `bot` to list only what the bot sent.
    from: Option<String>,
}

/// The chat's messages in their current state (after edits and deletes).
async fn chat_messages(shared: Data, path: web::Path<String>, q: web::Query<MessagesQuery>) -> Reply {
    let chat_id = shared.with(|w| chat_ref(w, &path))?;
    if let Some(since) = q.since_version {
        shared
            .wait_for(wait_time(q.timeout_ms, Duration::from_secs(25)), |w| {
                w.chats.get(&chat_id).filter(|c| c.version > since).map(|_| ())
            })
            .await;
    }
    let only_bot = q.from.as_deref() == Some("bot");
    ok(shared.with(|w| {
        let chat = w.chat(chat_id)?;
        let messages: Vec<Value> =
            chat.messages.values().filter(|m| !only_bot || m.by_bot).map(|m| message_view(w, chat_id, m)).collect();
        Ok::<_, ControlError>(json!({
            "chat": chat_view(w, chat_id)?,
            "version": chat.version,
            "messages": messages,
        }))
    })?)
}

#[derive(Deserialize)]
struct NextQuery {
    /// Only messages with a larger id (default 0: the first bot message).
    #[serde(default)]
    after: i32,
    timeout_ms: Option<u64>,
}

/// Waits for the first bot message after `after` in a chat.
async fn next_bot_message(shared: Data, path: web::Path<String>, q: web::Query<NextQuery>) -> Reply {
    let chat_id = shared.with(|w| chat_ref(w, &path))?;
    let timeout = wait_time(q.timeout_ms, Duration::from_secs(10));
    let after = q.after;
    shared
        .wait_for(timeout, |w| {
            let chat = w.chats.get(&chat_id)?;
            let (_, msg) = chat.messages.range(after.saturating_add(1)..).find(|(_, m)| m.by_bot)?;
            Some(message_view(w, chat_id, msg))
        })
        .await
        .map(|m| HttpResponse::Ok().json(m))
        .ok_or_else(|| {
            ControlError::Timeout(format!(
                "no bot message after {after} in chat {chat_id} within {} ms",
                timeout.as_millis()
            ))
        })
}

// ---- observation of the bot ----------------------------------------------------

#[derive(Deserialize)]
struct CallsQuery {
    method: Option<String>,
    chat_id: Option<i64>,
    #[serde(default)]
    since_seq: u64,
}

/// The bot's calls (most recent 50 000), oldest first.
async fn calls(shared: Data, q: web::Query<CallsQuery>) -> Reply {
    ok(shared.with(|w| {
        let calls: Vec<Value> = w
            .calls
            .iter()
            .filter(|c| c.seq > q.since_seq)
            .filter(|c| q.method.as_ref().is_none_or(|m| m.eq_ignore_ascii_case(&c.method)))
            .filter(|c| q.chat_id.is_none_or(|id| c.chat_id == Some(id)))
            .map(|c| json!(c))
            .collect();
        json!(calls)
    }))
}

/// Updates not yet confirmed or acknowledged (redeliveries first).
async fn pending_updates(shared: Data) -> Reply {
    ok(shared.with(|w| {
        let list: Vec<Value> = w
            .replays
            .iter()
            .chain(w.pending.iter())
            .map(|u| {
                json!({
                    "update_id": u.id,
                    "type": u.kind,
                    "attempts": u.attempts,
                    "in_flight": u.in_flight,
                    "redelivery": u.replay,
                    "update": *u.body,
                })
            })
            .collect();
        json!({"count": list.len(), "updates": list})
    }))
}

fn parse_update_id(raw: &str) -> Result<u32, ControlError> {
    raw.parse().map_err(|_| ControlError::BadRequest(format!("invalid update id {raw}")))
}

async fn get_update(shared: Data, path: web::Path<String>) -> Reply {
    let id = parse_update_id(&path)?;
    ok(shared.with(|w| {
        w.history.get(&id).map(|u| (**u).clone()).ok_or_else(|| ControlError::not_found(format!("unknown update {id}")))
    })?)
}

/// Delivers an update once more, with the same update_id.
async fn redeliver(shared: Data, path: web::Path<String>) -> Reply {
    let id = parse_update_id(&path)?;
    shared.with(|w| w.redeliver(id))?;
    ok(json!({"update_id": id, "queued": true}))
}

async fn get_rate_limits(shared: Data) -> Reply {
    ok(shared.with(|w| json!({"config": w.rate.config, "forced": w.rate.forced})))
}

async fn set_rate_limits(shared: Data, body: web::Json<RateLimitConfig>) -> Reply {
    let config = body.into_inner();
    if config.per_chat_per_sec <= 0.0 || config.global_per_sec <= 0.0 {
        return Err(ControlError::BadRequest("rates must be positive".into()));
    }
    ok(shared.with(|w| {
        w.rate.config = config;
        w.rate.reset();
        json!(w.rate.config)
    }))
}

async fn force_429(shared: Data, body: web::Json<Forced429>) -> Reply {
    let forced = body.into_inner();
    ok(shared.with(|w| {
        w.rate.forced = (forced.count > 0).then_some(forced);
        json!({"forced": w.rate.forced})
    }))
}

async fn payments(shared: Data) -> Reply {
    ok(shared.with(|w| json!(w.charges.values().collect::<Vec<_>>())))
}

async fn invoices(shared: Data) -> Reply {
    ok(shared.with(|w| json!(w.invoices.values().collect::<Vec<_>>())))
}

/// The bytes of a file the bot uploaded (a document sent).
async fn file(shared: Data, path: web::Path<String>) -> Result<HttpResponse, ControlError> {
    let file = shared.with(|w| w.files.get(path.as_str()).cloned());
    let file = file.ok_or_else(|| ControlError::not_found("no such file"))?;
    let mime = file.mime_type.unwrap_or_else(|| "application/octet-stream".to_owned());
    Ok(HttpResponse::Ok().content_type(mime).body(file.bytes))
}

async fn invite_links(shared: Data) -> Reply {
    ok(shared.with(|w| {
        let links: Vec<Value> = w
            .invite_links
            .values()
            .map(|l| {
                let mut view = json!(l);
                view["pending_join_request_count"] = w.link_json(l)["pending_join_request_count"].clone();
                view
            })
            .collect();
        json!(links)
    }))
}

#[derive(Deserialize)]
struct RateQuery {
    /// Default `sendMessage`.
    method: Option<String>,
    /// Default 1000.
    window_ms: Option<u64>,
    #[serde(default)]
    since_seq: u64,
}

/// Pacing evidence: the most calls of `method` answered in any window of
/// `window_ms` (wall-clock `at_ms` of the call log), counting every call
/// and only the accepted (200) ones.
async fn send_rate(shared: Data, q: web::Query<RateQuery>) -> Reply {
    let method = q.method.clone().unwrap_or_else(|| "sendMessage".into());
    let window = q.window_ms.unwrap_or(1_000).max(1);
    ok(shared.with(|w| {
        let calls: Vec<(u64, bool)> = w
            .calls
            .iter()
            .filter(|c| c.seq > q.since_seq && c.method.eq_ignore_ascii_case(&method))
            .map(|c| (c.at_ms, c.status == 200))
            .collect();
        let all: Vec<u64> = calls.iter().map(|(at, _)| *at).collect();
        let accepted: Vec<u64> = calls.iter().filter(|(_, ok)| *ok).map(|(at, _)| *at).collect();
        let (max_in_window, window_start_ms) = densest_window(&all, window);
        let (max_ok_in_window, _) = densest_window(&accepted, window);
        json!({
            "method": method,
            "window_ms": window,
            "total": all.len(),
            "accepted": accepted.len(),
            "refused": all.len() - accepted.len(),
            "max_in_window": max_in_window,
            "max_ok_in_window": max_ok_in_window,
            "max_window_start_ms": window_start_ms,
            "first_at_ms": all.first(),
            "last_at_ms": all.last(),
        })
    }))
}

/// The largest number of times (sorted ascending) within any half-open
/// window `[t, t + window)`, and where the first such window starts.
fn densest_window(times: &[u64], window: u64) -> (usize, Option<u64>) {
    let mut best = (0, None);
    let mut start = 0;
    for (end, at) in times.iter().enumerate() {
        while times[start] + window <= *at {
            start += 1;
        }
        if end + 1 - start > best.0 {
            best = (end + 1 - start, Some(times[start]));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::densest_window;

    #[test]
    fn the_densest_window_counts_calls_less_than_a_window_apart() {
        assert_eq!(densest_window(&[], 1_000), (0, None));
        assert_eq!(densest_window(&[0, 999, 1_000, 1_500, 1_999, 2_400], 1_000), (3, Some(999)));
        assert_eq!(densest_window(&[5, 5, 5], 1), (3, Some(5)));
    }
}
