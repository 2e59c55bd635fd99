//! The Bot API: `POST|GET /bot{token}/{method}`.
//!
//! Each method follows the same three steps: read its parameters from
//! [`Params`], apply them to the [`World`] under the lock, and answer the Bot API
//! object. Errors use Telegram's own descriptions where the emulator knows them
//! (bots sometimes match on them, e.g. `message is not modified`).

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::hooks::BotCall;
use crate::html;
use crate::params::Params;
use crate::types::{self, MemberStatus};
use crate::world::{
    CallRecord, ChatKind, FileRec, InviteLinkRec, InvoiceRec, MessageRec, SUBSCRIPTION_PERIOD, Sender, Shared, World,
    random_token, unix_now_millis,
};

/// Longest long poll accepted, in seconds (Telegram caps it similarly).
const MAX_POLL_TIMEOUT: i64 = 60;
const QUERY_INVALID: &str = "query is too old and response timeout expired or query ID is invalid";

/// Entry point for every Bot API request.
pub async fn handle(req: HttpRequest, body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let token = req.match_info().get("token").unwrap_or_default().to_owned();
    let method = req.match_info().get("method").unwrap_or_default().to_ascii_lowercase();
    let content_type =
        req.headers().get(actix_web::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let outcome = if token != shared.config.token {
        Err(ApiError::Unauthorized)
    } else {
        match Params::parse(req.query_string(), content_type, &body) {
            Ok(params) => call(&shared, &method, params).await,
            Err(e) => Err(e),
        }
    };
    match outcome {
        Ok(result) => HttpResponse::Ok().json(json!({ "ok": true, "result": result })),
        Err(err) => {
            tracing::debug!(method, %err, "bot api error");
            actix_web::ResponseError::error_response(&err)
        }
    }
}

/// Runs one call: flood control, the method itself, and the call log.
async fn call(shared: &Shared, method: &str, params: Params) -> Result<Value, ApiError> {
    let chat_id = shared.with(|w| resolve_chat(w, &params).ok());
    let gate = shared.with(|w| w.rate.check(method, chat_id));
    let outcome = match gate {
        Err(retry_after) => {
            let outcome = Err(ApiError::TooManyRequests(retry_after));
            shared.report_call(|| BotCall::answered(method, chat_id, &params, &outcome));
            outcome
        }
        Ok(()) if method == "getupdates" => {
            shared.report_call(|| BotCall::poll(&params));
            get_updates(shared, &params).await
        }
        Ok(()) => {
            let outcome = shared.with(|w| dispatch(w, method, &params));
            shared.report_call(|| BotCall::answered(method, chat_id, &params, &outcome));
            outcome
        }
    };
    let (status, description) = match &outcome {
        Ok(_) => (200, None),
        Err(e) => (e.code(), Some(e.to_string())),
    };
    shared.with(|w| {
        w.record_call(CallRecord {
            seq: 0,
            at_ms: unix_now_millis(),
            method: method.to_owned(),
            chat_id,
            status,
            description,
            params: Value::Object(params.0),
        })
    });
    outcome
}

fn dispatch(w: &mut World, method: &str, p: &Params) -> Result<Value, ApiError> {
    match method {
        "getme" => Ok(get_me(w)),
        "logout" | "close" => Ok(json!(true)),
        "setwebhook" => set_webhook(w, p),
        "deletewebhook" => delete_webhook(w, p),
        "getwebhookinfo" => Ok(webhook_info(w)),
        "sendmessage" => send_message(w, p),
        "senddocument" => send_document(w, p),
        "editmessagetext" => edit_message_text(w, p),
        "editmessagereplymarkup" => edit_message_reply_markup(w, p),
        "deletemessage" => delete_message(w, p),
        "deletemessages" => delete_messages(w, p),
        "sendchataction" => send_chat_action(w, p),
        "answercallbackquery" => answer_callback_query(w, p),
        "sendinvoice" => send_invoice(w, p),
        "createinvoicelink" => create_invoice_link(w, p),
        "answerprecheckoutquery" => answer_pre_checkout_query(w, p),
        "refundstarpayment" => refund_star_payment(w, p),
        "createchatinvitelink" => create_chat_invite_link(w, p),
        "editchatinvitelink" => edit_chat_invite_link(w, p),
        "revokechatinvitelink" => revoke_chat_invite_link(w, p),
        "approvechatjoinrequest" => answer_join_request(w, p, true),
        "declinechatjoinrequest" => answer_join_request(w, p, false),
        "edituserstarsubscription" => edit_user_star_subscription(w, p),
        "exportchatinvitelink" => export_chat_invite_link(w, p),
        "banchatmember" => ban_chat_member(w, p),
        "unbanchatmember" => unban_chat_member(w, p),
        "getchatmember" => get_chat_member(w, p),
        "getchatmembercount" => get_chat_member_count(w, p),
        "setmycommands" => set_my_commands(w, p),
        "getmycommands" => get_my_commands(w, p),
        "deletemycommands" => delete_my_commands(w, p),
        _ => Err(ApiError::MethodNotFound),
    }
}

// ---- shared parameter helpers ---------------------------------------------------

/// Resolves `chat_id`: a number, or `@username` of a public channel.
fn resolve_chat(w: &World, p: &Params) -> Result<i64, ApiError> {
    let raw = p.opt_str("chat_id").filter(|s| !s.is_empty());
    let raw = raw.ok_or_else(|| ApiError::bad("chat_id is empty"))?;
    let id = if let Some(name) = raw.strip_prefix('@') {
        w.chats
            .values()
            .find(|c| match &c.kind {
                ChatKind::Channel { username, .. } => username.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(name)),
                ChatKind::Private { .. } => false,
            })
            .map(|c| c.id)
            .ok_or_else(|| ApiError::bad("chat not found"))?
    } else {
        raw.trim().parse::<i64>().map_err(|_| ApiError::bad("chat not found"))?
    };
    if w.chats.contains_key(&id) { Ok(id) } else { Err(ApiError::bad("chat not found")) }
}

fn user_id(p: &Params) -> Result<u64, ApiError> {
    let id = p.i64("user_id")?;
    u64::try_from(id).map_err(|_| ApiError::bad("invalid user_id specified"))
}

fn message_id(p: &Params) -> Result<i32, ApiError> {
    let id = p.i64("message_id")?;
    i32::try_from(id).map_err(|_| ApiError::bad("message_id is invalid"))
}

/// Telegram refuses to start conversations: the user must have written first.
fn check_can_send(w: &World, chat_id: i64) -> Result<(), ApiError> {
    let chat = w.chats.get(&chat_id).ok_or_else(|| ApiError::bad("chat not found"))?;
    match chat.kind {
        ChatKind::Private { user_id } => match w.users.get(&user_id) {
            Some(user) if user.started => Ok(()),
            Some(_) if w.join_request_opens_chat(user_id) => Ok(()),
            _ => Err(ApiError::Forbidden("bot can't initiate conversation with a user".into())),
        },
        ChatKind::Channel { .. } => {
            if w.member_status(chat_id, w.bot.id).is_present() {
                Ok(())
            } else {
                Err(ApiError::Forbidden("bot is not a member of the channel chat".into()))
            }
        }
    }
}

fn sender_for(w: &World, chat_id: i64) -> Sender {
    match w.chats.get(&chat_id).map(|c| &c.kind) {
        Some(ChatKind::Channel { .. }) => Sender::Channel,
        _ => Sender::Bot,
    }
}

/// Applies `parse_mode` / `entities` to a text.
fn format_text(p: &Params, text: String, field: &str) -> Result<(String, Vec<Value>), ApiError> {
    let mode = p.opt_str("parse_mode").unwrap_or_default();
    let (text, entities) = match mode.to_ascii_lowercase().as_str() {
        "" => {
            let entities = match p.opt_json("entities")? {
                Some(Value::Array(list)) => list,
                Some(_) => return Err(ApiError::bad("can't parse entities JSON object")),
                None => Vec::new(),
            };
            (text, entities)
        }
        "html" => {
            let parsed = html::parse_html(&text).map_err(ApiError::BadRequest)?;
            (parsed.text, parsed.entities)
        }
        // Markdown is stored verbatim: the playground shows it as typed.
        "markdown" | "markdownv2" => (text, Vec::new()),
        _ => return Err(ApiError::bad("unsupported parse_mode")),
    };
    if text.trim().is_empty() {
        return Err(ApiError::bad(format!("{field} is empty")));
    }
    if html::text_len(&text) > 4096 {
        return Err(ApiError::bad("message is too long"));
    }
    Ok((text, entities))
}

/// Splits `reply_markup` into (inline keyboard, other markup), validating
/// inline buttons the way Telegram does.
fn parse_markup(p: &Params) -> Result<(Option<Value>, Option<Value>), ApiError> {
    let Some(markup) = p.opt_json("reply_markup")? else {
        return Ok((None, None));
    };
    let invalid = || ApiError::bad("can't parse reply keyboard markup JSON object");
    let obj = markup.as_object().ok_or_else(invalid)?;
    if let Some(rows) = obj.get("inline_keyboard") {
        let rows = rows.as_array().ok_or_else(invalid)?;
        for row in rows {
            for button in row.as_array().ok_or_else(invalid)? {
                validate_button(button)?;
            }
        }
        if rows.iter().all(|r| r.as_array().is_some_and(Vec::is_empty)) {
            return Ok((None, None));
        }
        Ok((Some(markup), None))
    } else if obj.contains_key("keyboard") || obj.contains_key("remove_keyboard") || obj.contains_key("force_reply") {
        Ok((None, Some(markup)))
    } else {
        Err(invalid())
    }
}

fn validate_button(button: &Value) -> Result<(), ApiError> {
    let obj = button.as_object().ok_or_else(|| ApiError::bad("can't parse inline keyboard button"))?;
    match obj.get("text").and_then(Value::as_str) {
        Some(t) if !t.is_empty() => {}
        _ => return Err(ApiError::bad("BUTTON_TEXT_EMPTY")),
    }
    const KINDS: &[&str] = &[
        "callback_data",
        "url",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "callback_game",
        "pay",
        "web_app",
        "copy_text",
    ];
    let kinds: Vec<&&str> = KINDS.iter().filter(|k| obj.contains_key(**k)).collect();
    if kinds.len() != 1 {
        return Err(ApiError::bad("BUTTON_TYPE_INVALID"));
    }
    if let Some(data) = obj.get("callback_data") {
        let len = data.as_str().map(str::len).unwrap_or(0);
        if !(1..=64).contains(&len) {
            return Err(ApiError::bad("BUTTON_DATA_INVALID"));
        }
    }
    if let Some(url) = obj.get("url")
        && url.as_str().is_none_or(|u| !u.contains(':'))
    {
        return Err(ApiError::bad("BUTTON_URL_INVALID"));
    }
    Ok(())
}

/// `reply_parameters` or the older `reply_to_message_id`.
fn reply_to(w: &World, chat_id: i64, p: &Params) -> Result<Option<i32>, ApiError> {
    let (target, allow_missing) = match p.opt_json("reply_parameters")? {
        Some(rp) => (rp["message_id"].as_i64(), rp["allow_sending_without_reply"].as_bool().unwrap_or(false)),
        None => (p.opt_i64("reply_to_message_id")?, p.flag("allow_sending_without_reply")?),
    };
    let Some(target) = target else {
        return Ok(None);
    };
    let exists =
        i32::try_from(target).ok().filter(|id| w.chats.get(&chat_id).is_some_and(|c| c.messages.contains_key(id)));
    match exists {
        Some(id) => Ok(Some(id)),
        None if allow_missing => Ok(None),
        None => Err(ApiError::bad("message to be replied not found")),
    }
}

fn message_result(w: &World, chat_id: i64, id: i32) -> Result<Value, ApiError> {
    w.message_value(chat_id, id).ok_or_else(|| ApiError::bad("message not found"))
}

// ---- getMe, updates, webhooks ----------------------------------------------------

fn get_me(w: &World) -> Value {
    let mut me = json!(w.bot);
    me["can_join_groups"] = json!(true);
    me["can_read_all_group_messages"] = json!(false);
    me["supports_inline_queries"] = json!(false);
    me["can_connect_to_business"] = json!(false);
    me["has_main_web_app"] = json!(false);
    me
}

fn webhook_conflict() -> ApiError {
    ApiError::Conflict(
        "can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first".into(),
    )
}

fn parse_allowed(p: &Params) -> Result<Option<Vec<String>>, ApiError> {
    match p.opt_json("allowed_updates")? {
        None => Ok(None),
        Some(Value::Array(list)) => list
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                _ => Err(ApiError::bad("can't parse allowed_updates")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(ApiError::bad("can't parse allowed_updates")),
    }
}

/// getUpdates: confirms below `offset`, then long-polls up to `timeout` seconds.
async fn get_updates(shared: &Shared, p: &Params) -> Result<Value, ApiError> {
    let offset = p.opt_i64("offset")?.unwrap_or(0);
    let limit = p.opt_i64("limit")?.unwrap_or(100).clamp(1, 100) as usize;
    let timeout = p.opt_i64("timeout")?.unwrap_or(0).clamp(0, MAX_POLL_TIMEOUT);
    let allowed = parse_allowed(p)?;
    let generation = shared.with(|w| {
        if w.webhook.is_some() {
            return Err(webhook_conflict());
        }
        if offset > 0 {
            w.confirm_below(u32::try_from(offset).unwrap_or(u32::MAX));
        } else if offset < 0 {
            let keep = offset.unsigned_abs() as usize;
            while w.pending.len() > keep {
                w.pending.pop_front();
            }
        }
        if let Some(allowed) = allowed {
            w.allowed_updates = allowed;
        }
        // A newer poll supersedes an older one, which then answers 409.
        w.poll_generation += 1;
        w.touch(None);
        Ok(w.poll_generation)
    })?;
    let batch = shared
        .wait_for(Duration::from_secs(timeout as u64), |w| {
            if w.poll_generation != generation {
                return Some(Err(ApiError::Conflict(
                    "terminated by other getUpdates request; make sure that only one bot instance is running".into(),
                )));
            }
            if w.webhook.is_some() {
                return Some(Err(webhook_conflict()));
            }
            let mut out = Vec::new();
            while out.len() < limit {
                match w.replays.pop_front() {
                    Some(u) => out.push(u.body),
                    None => break,
                }
            }
            let room = limit - out.len();
            out.extend(w.pending.iter().take(room).map(|u| u.body.clone()));
            (!out.is_empty()).then_some(Ok(out))
        })
        .await
        .unwrap_or_else(|| Ok(Vec::new()))?;
    Ok(Value::Array(batch.iter().map(|b| (**b).clone()).collect()))
}

fn set_webhook(w: &mut World, p: &Params) -> Result<Value, ApiError> {
    let url = p.opt_str("url").unwrap_or_default();
    let allowed = parse_allowed(p)?;
    if p.flag("drop_pending_updates")? {
        w.drop_pending();
    }
    if let Some(allowed) = allowed {
        w.allowed_updates = allowed;
    }
    if url.is_empty() {
        w.webhook = None;
        w.touch(None);
        return Ok(json!(true));
    }
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(ApiError::bad("bad webhook: An HTTPS URL must be provided for webhook"));
    }
    let secret = p.opt_str("secret_token").filter(|s| !s.is_empty());
    if let Some(secret) = &secret {
        let valid = secret.len() <= 256 && secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !valid {
            return Err(ApiError::bad("secret token contains unallowed characters"));
        }
    }
    let max_connections = p.opt_i64("max_connections")?.unwrap_or(40).clamp(1, 100) as u32;
    let delivered = w.webhook.as_ref().map(|h| h.delivered).unwrap_or(0);
    w.webhook = Some(crate::world::Webhook {
        url,
        secret_token: secret,
        max_connections,
        last_error_date: None,
        last_error_message: None,
        delivered,
    });
    // Anything mid-delivery to an old URL is retried to the new one.
    for u in w.pending.iter_mut().chain(w.replays.iter_mut()) {
        u.next_attempt = None;
    }
    w.touch(None);
    Ok(json!(true))
}

fn delete_webhook(w: &mut World, p: &Params) -> Result<Value, ApiError> {
    if p.flag("drop_pending_updates")? {
        w.drop_pending();
    }
    w.webhook = None;
    w.touch(None);
    Ok(json!(true))
}

fn webhook_info(w: &World) -> Value {
    let mut info = json!({
        "url": w.webhook.as_ref().map(|h| h.url.clone()).unwrap_or_default(),
        "has_custom_certificate": false,
        "pending_update_count": w.pending_count(),
    });
    if let Some(h) = &w.webhook {
        info["ip_address"] = json!("127.0.0.1");
        info["max_connections"] = json!(h.max_connections);
        if let Some(date) = h.last_error_date {
            info["last_error_date"] = json!(date);
        }
        if let Some(msg) = &h.last_error_message {
            info["last_error_message"] = json!(msg);
        }
    }
    if !w.allowed_updates.is_empty() {
        info["allowed_updates"] = json!(w.allowed_updates);
    }
    info
}

// ---- messages --------------------------------------------------------------------

fn send_message(w: &mut World, p: &Params) -> Result<Value, ApiError> {
    let chat_id = resolve_chat(w, p)?;
    check_can_send(w, chat_id)?;
    let text = p.opt_str("text").ok_or_else(|| ApiError::bad("message text is empty"))?;
    let (text, entities) = format_text(p, text, "message text")?;
    let (inline, other) = parse_markup(p)?;
    let reply = reply_to(w, chat_id, p)?;
    let mut msg = MessageRec::new(sender_for(w, chat_id));
    msg.by_bot = true;
    msg.text = Some(text);
    msg.entities = entities;
    msg.inline_markup = inline;
    msg.other_markup = other;
    msg.reply_to = reply;
    let id = w.add_message(chat_id, msg)?;
    message_result(w, chat_id, id)
}

/// sendDocument: a file uploaded as a multipart part (`document`, or
/// `attach://<part>`), or one sent before by its file id; an optional caption (formatted like a message text).
fn send_document(w: &mut World, p: &Params) -> Result<Value, ApiError> {
    let chat_id = resolve_chat(w, p)?;
    check_can_send(w, chat_id)?;
    // The upload is the part named `document`, or the part a
    // `attach://<name>` value names (how teloxide sends it).
    let named = p.opt_str("document");
    let attached = named.as_deref().and_then(|value| value.strip_prefix("attach://")).and_then(|name| p.file(name));
    let file_id = match (attached.or_else(|| p.file("document")), named) {
        (Some(upload), _) => {
            let n = w.files.len() + 1;
            let file = FileRec {
                file_id: format!("BQACAgIAAxkDAAI{n:06}"),
                file_unique_id: format!("AgAD{n:06}"),
                file_name: upload.file_name.clone(),
                mime_type: upload.content_type.clone(),
                bytes: upload.bytes.clone(),
            };
            w.files.insert(file.file_id.clone(), file.clone());
            file.file_id
        }
        (None, Some(id)) if w.files.contains_key(&id) => id,
        (None, Some(_)) => return Err(ApiError::bad("wrong file identifier/HTTP URL specified")),
        (None, None) => return Err(ApiError::bad("there is no document in the request")),
    };
    let caption = p.opt_str("caption").map(|caption| format_text(p, caption, "caption")).transpose()?;
    let (inline, other) = parse_markup(p)?;
    let reply = reply_to(w, chat_id, p)?;
    let mut msg = MessageRec::new(sender_for(w, chat_id));
    msg.by_bot = true;
    msg.document = Some(file_id);
    if let Some((caption, entities)) = caption {
        msg.caption = Some(caption);
        msg.entities = entities;
    }
    msg.inline_markup = inline;
    msg.other_markup = other;
    msg.reply_to = reply;
    let id = w.add_message(chat_id, msg)?;
    message_result(w, chat_id, id)
}

/// The bot-sent message an edit targets.
fn edit_target(w: &World, p: &Params) -> Result<(i64, i32), ApiError> {
    if p.raw("inline_message_id").is_some() {
        return Err(ApiError::bad("inline messages are not emulated"));
    }
    let chat_id = resolve_chat(w, p)?;
    let id = message_id(p)?;
    let msg = w
        .chats
        .get(&chat_id)
        .and_then(|c| c.messages.get(&id))
        .ok_or_else(|| ApiError::bad("message to edit not found"))?;
    if !msg.by_bot {
        return Err(ApiError::bad("message can't be edited"));
    }
    Ok((chat_id, id))
}

const NOT_MODIFIED: &str = "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";

fn edit_message_text(w: &mut World, p: &Params) -> Result<Value, ApiError> {
    let (chat_id, id) = edit_target(w, p)?;
    let now = w.now();
    let text = p.opt_str("text").ok_or_else(|| ApiError::bad("text is empty"))?;
    let (text, entities) = format_text(p, text, "text")?;
    let (inline, other) = parse_markup(p)?;
    if other.is_some() {
        return Err(ApiError::bad("inline keyboard expected"));
    }
    let msg = w
        .chats
        .get_mut(&chat_id)
        .and_then(|c| c.messages.get_mut(&id))
        .ok_or_else(|| ApiError::bad("message to edit not found"))?;
    if msg.text.is_none() {
        return Err(ApiError::bad("there is no text in the message to edit"));
    }
    if msg.text.as_deref() == Some(text.as_str()) && msg.entities == entities && msg.inline_markup == inline {
        return Err(ApiError::bad(NOT_MODIFIED));
    }
    msg.text = Some(text);
    msg.entities = entities;
    // Like Telegram: an edit without reply_markup removes the inline keyboard.
    msg.inline_markup = inline;
    msg.edit_date = Some(now);
    w.touch(Some(chat_id));
    message_result(w, chat_id, id)
}

fn edit_message_reply_markup(w: &mut World, p: &Params) -> Result<Value, ApiError> {
    let (chat_id, id) = edit_target(w, p)?;
    let now = w.now();
    let (inline, other) = parse_markup(p)?;
    if other.is_some() {
        return Err(ApiError::bad("inline keyboard expected"));
    }
    let msg = w
        .chats
        .get_mut(&chat_id)
        .and_then(|c| c.messages.get_mut(&id))
        .ok_or_else(|| ApiError::bad("message to edit not found"))?;
    if msg.inline_markup == inline {
        return Err(ApiError::bad(NOT_MODIFIED));
    }
    msg.inline_markup = inline;
    msg.edit_date = Some(now);
    w.touch(Some(chat_id));
    message_result(w, chat_id, id)
}

fn delete_message(w: &mut World, p: &Params) -> Result<Value, ApiError> {
    let chat_id = resolve_chat(w, p)?;
    let id = message_id(p)?;
    let removed = w.chats.get_mut(&chat_id).and_then(|c| c.messages.remove(&id));
    if removed.is_none() {
        return Err(ApiError::bad("message to delete not found"));
    }
    w.touch(Some(chat_id));
    Ok(json!(true))
}

fn delete_messages(w: &mut World, p: &Params) -> Result<Value, ApiError> {
    let chat_id = resolve_chat(w, p)?;
    let ids = match p.opt_json("message_ids")? {
        Some(Value::Array(ids)) if !ids.is_empty() => ids,
        _ => return Err(ApiError::bad("message_ids is empty")),
    };
    if let Some(chat) = w.chats.get_mut(&chat_id) {
        for id in ids.iter().filter_map(Value::as_i64) {
            if let Ok(id) = i32::try_from(id) {
                chat.messages.remove(&id);
            }
        }
    }
    w.touch(Some(chat_id));
    Ok(json!(true))
}

fn send_chat_action(w: &mut World, p: &Params) -> Result<Value, ApiError> {
    const ACTIONS: &[&str] = &[
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    ];
    let chat_id = resolve_chat(w, p)?;
    let action = p.str("action")?;
    let now = w.now();
    if !ACTIONS.contains(&action.as_str()) {
        return Err(ApiError::bad("wrong parameter action in request"));
    }
    if let Some(chat) = w.chats.get_mut(&chat_id) {
        chat.last_action = Some((action, now));
    }
    w.touch(Some(chat_id));
    Ok(json!(true))
}

fn answer_callback_query(w: &mut World, p: &Params) -> Result<Value, ApiError> {
    let id = p.str("callback_query_id")?;
    let text = p.opt_str("text");
    if text.as_ref().is_some_and(|t| t.chars().count() > 200) {
        return Err(ApiError::bad("MESSAGE_TOO_LONG"));
    }
    let answer = json!({
        "text": text,
        "show_alert": p.flag("show_alert")?,
        "url": p.opt_str("url"),
        "cache_time": p.opt_i64("cache_time")?.unwrap_or(0),
    });
    let callback =
        w.callbacks.get_mut(&id).filter(|c| c.answer.is_none()).ok_or_else(|| ApiError::bad(QUERY_INVALID))?;
    callback.answer = Some(answer);
    let chat_id = callback.chat_id;
    w.touch(Some(chat_id));
    Ok(json!(true))
}

// ---- payments --------------------------------------------------------------------

/// Reads and validates the invoice fields shared by sendInvoice and createInvoiceLink.
fn invoice_params(p: &Params) -> Result<InvoiceRec, ApiError> {
    let title = p.str("title")?;
    let description = p.str("description")?;
    let payload = p.str("payload")?;
    let currency = p.str("currency")?;
    if title.chars().count() > 32 {
        return Err(ApiError::bad("INVOICE_TITLE_INVALID"));
    }
    if description.chars().count() > 255 {
        return Err(ApiError::bad("INVOICE_DESCRIPTION_INVALID"));
    }
    if payload.len() > 128 {
        return Err(ApiError::bad("INVOICE_PAYLOAD_INVALID"));
    }
    if currency != "XTR" {
        // Only Telegram Stars need no payment provider; that is all DianaBot sells.
        return Err(ApiError::bad("PAYMENT_PROVIDER_INVALID (the emulator only supports XTR invoices)"));
    }
    if p.opt_str("provider_token").is_some_and(|t| !t.is_empty()) {
        return Err(ApiError::bad("PAYMENT_PROVIDER_INVALID"));
    }
    let prices = match p.opt_json("prices")? {
        Some(Value::Array(prices)) => prices,
        _ => return Err(ApiError::bad("prices is empty")),
    };
    if prices.len() != 1 {
        return Err(ApiError::bad("STARS_INVOICE_INVALID: exactly one price is required"));
    }
    let amount = prices[0]["amount"].as_i64().unwrap_or(0);
    if prices[0]["label"].as_str().is_none_or(str::is_empty) || amount <= 0 {
        return Err(ApiError::bad("CURRENCY_TOTAL_AMOUNT_INVALID"));
    }
    let total_amount = u32::try_from(amount).map_err(|_| ApiError::bad("CURRENCY_TOTAL_AMOUNT_INVALID"))?;
    Ok(InvoiceRec {
        id: 0,
        title,
        description,
        payload,
        currency,
        total_amount,
        message: None,
        link: None,
        charges: Vec::new(),
        subscription_period: None,
    })
}

fn send_invoice(w: &mut World, p: &Params) -> Result<Value, ApiError> {
    let chat_id = resolve_chat(w, p)?;
    check_can_send(w, chat_id)?;
    let invoice = invoice_params(p)?;
    let (inline, _) = parse_markup(p)?;
    let reply = reply_to(w, chat_id, p)?;
    let invoice_id = w.add_invoice(invoice);
    let mut msg = MessageRec::new(sender_for(w, chat_id));
    msg.by_bot = true;
    msg.invoice_id = Some(invoice_id);
    msg.inline_markup = inline;
    msg.reply_to = reply;
    let id = w.add_message(chat_id, msg)?;
    if let Some(inv) = w.invoices.get_mut(&invoice_id) {
        inv.message = Some((chat_id, id));
    }
    message_result(w, chat_id, id)
}

fn create_invoice_link(w: &mut World, p: &Params) -> Result<Value, ApiError> {
    let mut invoice = invoice_params(p)?;
    // Stars subscriptions: XTR only (invoice_params refuses the rest) and, as
    // Telegram says today, exactly 30 days.
    invoice.subscription_period = match p.opt_i64("subscription_period")? {
        None => None,
        Some(period) if period == i64::from(SUBSCRIPTION_PERIOD) => Some(SUBSCRIPTION_PERIOD),
        Some(_) => return Err(ApiError::bad("SUBSCRIPTION_PERIOD_INVALID")),
    };
    let link = format!("https://t.me/${}", random_token(22));
    invoice.link = Some(link.clone());
    w.add_invoice(invoice);
    Ok(json!(link))
}

fn answer_pre_checkout_query(w: &mut World, p: &Params) -> Result<Value, ApiError> {
    let id = p.str("pre_checkout_query_id")?;
    let ok = p.opt_bool("ok")?.ok_or_else(|| ApiError::bad("ok is empty"))?;
    let error_message = p.opt_str("error_message").filter(|s| !s.is_empty());
    if !ok && error_message.is_none() {
        return Err(ApiError::bad("error_message is empty"));
    }
    let query = w
        .pre_checkouts
        .get_mut(&id)
        .filter(|q| q.answer.is_none() && !q.expired)
        .ok_or_else(|| ApiError::bad(QUERY_INVALID))?;
    query.answer = Some(if ok { Ok(()) } else { Err(error_message.unwrap_or_default()) });
    w.touch(None);
    Ok(json!(true))
}

fn refund_star_payment(w: &mut World, p: &Params) -> Result<Value, ApiError> {
    let user = user_id(p)?;
    let charge_id = p.str("telegram_payment_charge_id")?;
    let charge =
        w.charges.get_mut(&charge_id).filter(|c| c.user_id == user).ok_or_else(|| ApiError::bad("CHARGE_NOT_FOUND"))?;
    if charge.refunded {
        return Err(ApiError::bad("CHARGE_ALREADY_REFUNDED"));
    }
    charge.refunded = true;
    let refund = types::Payment {
        currency: charge.currency.clone(),
        total_amount: charge.total_amount,
        invoice_payload: charge.invoice_payload.clone(),
        subscription_expiration_date: None,
        is_recurring: false,
        is_first_recurring: false,
        telegram_payment_charge_id: charge.telegram_payment_charge_id.clone(),
        provider_payment_charge_id: charge.provider_payment_charge_id.clone(),
    };
    // Telegram posts a refunded_payment service message into the user's chat.
    let chat_id = user as i64;
    let mut msg = MessageRec::new(Sender::User(user));
    msg.refunded_payment = Some(refund);
    let id = w.add_message(chat_id, msg)?;
    if let Some(message) = w.message_value(chat_id, id) {
        w.push_update("message", message, chat_id);
    }
    Ok(json!(true))
}

/// Cancels (`is_canceled: true`) or re-enables the renewal of a Stars
/// subscription; the paid period stays either way.
fn edit_user_star_subscription(w: &mut World, p: &Params) -> Result<Value, ApiError> {
    let user = user_id(p)?;
    let charge_id = p.str("telegram_payment_charge_id")?;
    let canceled = p.opt_bool("is_canceled")?.ok_or_else(|| ApiError::bad("is_canceled is empty"))?;
    let charge =
        w.charges.get(&charge_id).filter(|c| c.user_id == user).ok_or_else(|| ApiError::bad("CHARGE_NOT_FOUND"))?;
    let id = charge.subscription_id.ok_or_else(|| ApiError::bad("SUBSCRIPTION_NOT_FOUND"))?;
    let sub = w.subscriptions.get_mut(&id).ok_or_else(|| ApiError::bad("SUBSCRIPTION_NOT_FOUND"))?;
    sub.canceled = canceled;
    w.touch(Some(user as i64));
    Ok(json!(true))
}

// ---- channels and members --------------------------------------------------------

fn channel_id(w: &World, p: &Params) -> Result<i64, ApiError> {
    let chat_id = resolve_chat(w, p)?;
    match w.chats.get(&chat_id).map(|c| c.is_channel()) {
        Some(true) => Ok(chat_id),
        _ => Err(ApiError::bad("method is available for supergroup and channel chats only")),
    }
}

/// The `name`, `expire_date`, `member_limit` and `creates_join_request` of
/// create/editChatInviteLink, applied over `link` (absent ones keep their
/// value; when `editing`, `expire_date` or `member_limit` 0 clears it).
fn apply_link_params(link: &mut InviteLinkRec, p: &Params, editing: bool) -> Result<(), ApiError> {
    if let Some(name) = p.opt_str("name") {
        if name.chars().count() > 32 {
            return Err(ApiError::bad("INVITE_LINK_NAME_INVALID"));
        }
        link.name = (!name.is_empty()).then_some(name);
    }
    if let Some(date) = p.opt_i64("expire_date")? {
        link.expire_date = (date > 0).then_some(date);
    }
    match p.opt_i64("member_limit")? {
        None => {}
        Some(0) if editing => link.member_limit = None,
        Some(n) if (1..=99_999).contains(&n) => link.member_limit = Some(n as u32),
        Some(_) => return Err(ApiError::bad("USAGE_LIMIT_INVALID")),
    }
    if let Some(by_request) = p.opt_bool("creates_join_request")? {
        link.creates_join_request = by_request;
    }
    if link.creates_join_request && link.member_limit.is_some() {
        return Err(ApiError::bad("member_limit can't be specified for links requiring administrator approval"));
    }
    Ok(())
}

fn create_chat_invite_link(w: &mut World, p: &Params) -> Result<Value, ApiError> {
    let chat_id = channel_id(w, p)?;
    let mut link = InviteLinkRec {
        invite_link: format!("https://t.me/+{}", random_token(16)),
        chat_id,
        name: None,
        expire_date: None,
        member_limit: None,
        creates_join_request: false,
        is_revoked: false,
        is_primary: false,
        uses: 0,
    };
    apply_link_params(&mut link, p, false)?;
    let json = w.link_json(&link);
    w.invite_links.insert(link.invite_link.clone(), link);
    w.touch(Some(chat_id));
    Ok(json)
}

/// A link of `chat_id` the bot created; Telegram's error otherwise.
fn own_link<'w>(w: &'w mut World, chat_id: i64, url: &str) -> Result<&'w mut InviteLinkRec, ApiError> {
    w.invite_links.get_mut(url).filter(|l| l.chat_id == chat_id).ok_or_else(|| ApiError::bad("INVITE_HASH_EXPIRED"))
}

fn edit_chat_invite_link(w: &mut World, p: &Params) -> Result<Value, ApiError> {
    let chat_id = channel_id(w, p)?;
    let url = p.str("invite_link")?;
    let link = own_link(w, chat_id, &url)?;
    if link.is_revoked {
        return Err(ApiError::bad("INVITE_HASH_EXPIRED"));
    }
    let mut edited = link.clone();
    apply_link_params(&mut edited, p, true)?;
    *link = edited.clone();
    w.touch(Some(chat_id));
    Ok(w.link_json(&edited))
}

fn revoke_chat_invite_link(w: &mut World, p: &Params) -> Result<Value, ApiError> {
    let chat_id = channel_id(w, p)?;
    let url = p.str("invite_link")?;
    let link = own_link(w, chat_id, &url)?;
    link.is_revoked = true;
    let link = link.clone();
    w.touch(Some(chat_id));
    Ok(w.link_json(&link))
}

fn export_chat_invite_link(w: &mut World, p: &Params) -> Result<Value, ApiError> {
    let chat_id = channel_id(w, p)?;
    for link in w.invite_links.values_mut() {
        if link.chat_id == chat_id && link.is_primary {
            link.is_revoked = true;
        }
    }
    let url = format!("https://t.me/+{}", random_token(16));
    w.invite_links.insert(
        url.clone(),
        InviteLinkRec {
            invite_link: url.clone(),
            chat_id,
            name: None,
            expire_date: None,
            member_limit: None,
            creates_join_request: false,
            is_revoked: false,
            is_primary: true,
            uses: 0,
        },
    );
    w.touch(Some(chat_id));
    Ok(json!(url))
}

fn known_user(w: &World, user: u64) -> Result<(), ApiError> {
    if w.any_user(user).is_some() { Ok(()) } else { Err(ApiError::bad("user not found")) }
}

fn ban_chat_member(w: &mut World, p: &Params) -> Result<Value, ApiError> {
    let chat_id = channel_id(w, p)?;
    let user = user_id(p)?;
    known_user(w, user)?;
    if user == w.bot.id {
        return Err(ApiError::bad("can't remove chat owner or administrator"));
    }
    match w.member_status(chat_id, user) {
        MemberStatus::Creator | MemberStatus::Administrator => {
            return Err(ApiError::bad("user is an administrator of the chat"));
        }
        _ => {}
    }
    let until = p.opt_i64("until_date")?.unwrap_or(0);
    // Messages are not kept per member in channels; the flag is only checked.
    p.flag("revoke_messages")?;
    // Telegram treats bans shorter than 30 s or longer than 366 days as forever.
    let now = w.now();
    let until = if until < now + 30 || until > now + 366 * 86_400 { 0 } else { until };
    let bot = w.bot.id;
    w.set_member(chat_id, user, MemberStatus::Kicked { until }, bot, None, false)
        .map_err(|e| ApiError::bad(e.to_string()))?;
    Ok(json!(true))
}

fn unban_chat_member(w: &mut World, p: &Params) -> Result<Value, ApiError> {
    let chat_id = channel_id(w, p)?;
    let user = user_id(p)?;
    known_user(w, user)?;
    let only_if_banned = p.flag("only_if_banned")?;
    let status = w.member_status(chat_id, user);
    let change = match status {
        MemberStatus::Kicked { .. } => true,
        // Telegram: without only_if_banned, unban also removes a current member.
        MemberStatus::Member => !only_if_banned,
        MemberStatus::Creator | MemberStatus::Administrator => {
            return Err(ApiError::bad("user is an administrator of the chat"));
        }
        MemberStatus::Left => false,
    };
    if change {
        let bot = w.bot.id;
        w.set_member(chat_id, user, MemberStatus::Left, bot, None, false).map_err(|e| ApiError::bad(e.to_string()))?;
    }
    Ok(json!(true))
}

fn answer_join_request(w: &mut World, p: &Params, approve: bool) -> Result<Value, ApiError> {
    let chat_id = channel_id(w, p)?;
    let user = user_id(p)?;
    w.answer_join_request(chat_id, user, approve)?;
    Ok(json!(true))
}

fn get_chat_member(w: &mut World, p: &Params) -> Result<Value, ApiError> {
    let chat_id = resolve_chat(w, p)?;
    let user = user_id(p)?;
    let account = w.any_user(user).ok_or_else(|| ApiError::bad("user not found"))?;
    let status = w.member_status(chat_id, user);
    let channel = w.chats.get(&chat_id).is_some_and(|c| c.is_channel());
    Ok(types::chat_member(&account, status, channel))
}

fn get_chat_member_count(w: &mut World, p: &Params) -> Result<Value, ApiError> {
    let chat_id = resolve_chat(w, p)?;
    let count = match w.chats.get(&chat_id) {
        Some(chat) if chat.is_channel() => chat.members.values().filter(|s| s.is_present()).count(),
        _ => 2,
    };
    Ok(json!(count))
}

// ---- commands --------------------------------------------------------------------

fn commands_key(p: &Params) -> Result<String, ApiError> {
    let scope =
        p.opt_json("scope")?.and_then(|s| s["type"].as_str().map(str::to_owned)).unwrap_or_else(|| "default".into());
    let lang = p.opt_str("language_code").unwrap_or_default();
    Ok(format!("{scope}|{lang}"))
}

fn set_my_commands(w: &mut World, p: &Params) -> Result<Value, ApiError> {
    let commands = match p.opt_json("commands")? {
        Some(Value::Array(list)) => list,
        _ => return Err(ApiError::bad("commands is empty")),
    };
    if commands.len() > 100 {
        return Err(ApiError::bad("BOT_COMMANDS_TOO_MUCH"));
    }
    for c in &commands {
        let command = c["command"].as_str().unwrap_or_default();
        let valid = (1..=32).contains(&command.len())
            && command.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            return Err(ApiError::bad("BOT_COMMAND_INVALID"));
        }
        let description = c["description"].as_str().unwrap_or_default();
        if !(1..=256).contains(&description.chars().count()) {
            return Err(ApiError::bad("BOT_COMMAND_DESCRIPTION_INVALID"));
        }
    }
    let key = commands_key(p)?;
    w.commands.insert(key, Value::Array(commands));
    Ok(json!(true))
}

fn get_my_commands(w: &mut World, p: &Params) -> Result<Value, ApiError> {
    let key = commands_key(p)?;
    Ok(w.commands.get(&key).cloned().unwrap_or_else(|| json!([])))
}

fn delete_my_commands(w: &mut World, p: &Params) -> Result<Value, ApiError> {
    let key = commands_key(p)?;
    w.commands.remove(&key);
    Ok(json!(true))
}
