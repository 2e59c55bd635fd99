//! Webhook delivery: secret header, retries until a 2xx, order per user.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use common::Emu;
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// What the receiver saw: (secret header, update, answered status).
type Seen = (Option<String>, Value, u16);

struct Receiver {
    url: String,
    rx: mpsc::UnboundedReceiver<Seen>,
    server: actix_web::dev::ServerHandle,
}

/// A tiny bot endpoint that fails the first `fail_first` attempts with 500.
async fn receiver(fail_first: usize) -> Receiver {
    let (tx, rx) = mpsc::unbounded_channel::<Seen>();
    let attempts = Arc::new(Mutex::new(0usize));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = HttpServer::new(move || {
        let tx = tx.clone();
        let attempts = attempts.clone();
        App::new().route(
            "/hook",
            web::post().to(move |req: HttpRequest, body: web::Json<Value>| {
                let tx = tx.clone();
                let attempts = attempts.clone();
                async move {
                    let n = {
                        let mut a = attempts.lock().unwrap_or_else(|e| e.into_inner());
                        *a += 1;
                        *a
                    };
                    let status = if n <= fail_first { 500 } else { 200 };
                    let secret = req
                        .headers()
                        .get("X-Telegram-Bot-Api-Secret-Token")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    let _ = tx.send((secret, body.into_inner(), status));
                    if status == 200 {
                        HttpResponse::Ok().finish()
                    } else {
                        HttpResponse::InternalServerError().finish()
                    }
                }
            }),
        )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .expect("listen")
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    Receiver { url: format!("http://{addr}/hook"), rx, server: handle }
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Seen>) -> Seen {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a delivery within 10 s")
        .expect("receiver alive")
}

/// Polls getWebhookInfo until no update is pending (deadline 5 s).
async fn wait_drained(emu: &Emu) -> Value {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (_, info) = emu.bot_call("getWebhookInfo", json!({})).await;
        if info["result"]["pending_update_count"] == 0 || Instant::now() > deadline {
            return info["result"].clone();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn updates_are_posted_with_the_secret_and_retried_until_2xx() {
    let emu = Emu::start().await;
    let mut hook = receiver(2).await;
    let (status, body) = emu.bot_call("setWebhook", json!({"url": hook.url, "secret_token": "diana_S3cret"})).await;
    assert_eq!(status, 200, "{body}");
    let user = emu.user("Ana").await;
    let sent = emu.say(user, "/start").await;
    let id = sent["update_id"].clone();

    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(next(&mut hook.rx).await);
    }
    for (secret, update, _) in &seen {
        assert_eq!(secret.as_deref(), Some("diana_S3cret"));
        assert_eq!(update["update_id"], id);
        assert_eq!(update["message"]["text"], "/start");
    }
    let statuses: Vec<u16> = seen.iter().map(|s| s.2).collect();
    assert_eq!(statuses, vec![500, 500, 200]);
    let info = wait_drained(&emu).await;
    assert_eq!(info["pending_update_count"], 0);
    assert!(info["last_error_message"].as_str().unwrap_or_default().contains("500"));
    hook.server.stop(false).await;
    emu.handle.stop().await;
}

#[tokio::test]
async fn a_users_updates_arrive_in_order_even_after_failures() {
    let emu = Emu::start().await;
    let mut hook = receiver(1).await;
    emu.bot_call("setWebhook", json!({"url": hook.url})).await;
    let user = emu.user("Ana").await;
    let mut expected = Vec::new();
    for text in ["uno", "dos", "tres"] {
        expected.push(emu.say(user, text).await["update_id"].as_u64());
    }
    let mut acknowledged = Vec::new();
    while acknowledged.len() < 3 {
        let (secret, update, status) = next(&mut hook.rx).await;
        assert!(secret.is_none(), "no secret was set");
        if status == 200 {
            acknowledged.push(update["update_id"].as_u64());
        }
    }
    assert_eq!(acknowledged, expected);
    hook.server.stop(false).await;
    emu.handle.stop().await;
}

#[tokio::test]
async fn an_unacknowledged_update_stays_pending_and_can_be_redelivered() {
    let emu = Emu::start().await;
    // Nobody listens on this port: deliveries fail and the update stays pending.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead_url = format!("http://{}/hook", dead.local_addr().expect("addr"));
    drop(dead);
    emu.bot_call("setWebhook", json!({"url": dead_url})).await;
    let user = emu.user("Ana").await;
    let id = emu.say(user, "hola").await["update_id"].clone();
    let pending = emu.get("/control/updates").await;
    assert_eq!(pending["count"], 1);
    assert_eq!(pending["updates"][0]["update_id"], id);

    // The bot comes back: the pending update is delivered, then redelivered on demand.
    let mut hook = receiver(0).await;
    emu.bot_call("setWebhook", json!({"url": hook.url})).await;
    let (_, first, _) = next(&mut hook.rx).await;
    assert_eq!(first["update_id"], id);
    wait_drained(&emu).await;
    emu.post(&format!("/control/updates/{id}/redeliver"), json!({})).await;
    let (_, again, _) = next(&mut hook.rx).await;
    assert_eq!(again, first);
    hook.server.stop(false).await;
    emu.handle.stop().await;
}

#[tokio::test]
async fn membership_updates_reach_the_webhook_only_as_allowed() {
    let emu = Emu::start().await;
    let mut hook = receiver(0).await;
    // The default set: chat_join_request yes, chat_member no.
    emu.bot_call("setWebhook", json!({"url": hook.url})).await;
    let user = emu.user("Ana").await;
    let (_, link) = emu
        .bot_call("createChatInviteLink", json!({"chat_id": -1_001_000_000_002i64, "creates_join_request": true}))
        .await;
    let asked =
        emu.post(&format!("/control/users/{user}/join"), json!({"invite_link": link["result"]["invite_link"]})).await;
    let (_, request, _) = next(&mut hook.rx).await;
    assert_eq!(request["update_id"], asked["update_id"]);
    assert_eq!(request["chat_join_request"]["from"]["id"], user);
    let joined = emu.post(&format!("/control/users/{user}/join"), json!({"chat_id": "free"})).await;
    assert!(joined["update_id"].is_null(), "chat_member is not in the default set");
    emu.bot_call("setWebhook", json!({"url": hook.url, "allowed_updates": ["chat_member"]})).await;
    let left = emu.post(&format!("/control/users/{user}/leave"), json!({"chat_id": "free"})).await;
    let (_, member, _) = next(&mut hook.rx).await;
    assert_eq!(member["update_id"], left["update_id"]);
    assert_eq!(member["chat_member"]["new_chat_member"]["status"], "left");
    hook.server.stop(false).await;
    emu.handle.stop().await;
}
