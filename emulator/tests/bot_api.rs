//! Bot API semantics beyond shapes: long polling, offsets, errors, flood control.

mod common;

use std::time::{Duration, Instant};

use common::Emu;
use serde_json::{Value, json};

async fn get_updates(emu: &Emu, body: Value) -> Vec<Value> {
    let (status, value) = emu.bot_call("getUpdates", body).await;
    assert_eq!(status, 200, "{value}");
    value["result"].as_array().cloned().unwrap_or_default()
}

fn ids(updates: &[Value]) -> Vec<u64> {
    updates.iter().filter_map(|u| u["update_id"].as_u64()).collect()
}

#[tokio::test]
async fn an_update_arriving_during_a_long_poll_returns_it_promptly() {
    let emu = Emu::start().await;
    let user = emu.user("Ana").await;
    let started = Instant::now();
    let poll = {
        let http = emu.http.clone();
        let url = emu.url(&format!("/bot{}/getUpdates", emu.handle.token()));
        tokio::spawn(async move {
            http.post(url)
                .json(&json!({"timeout": 20}))
                .send()
                .await
                .expect("poll")
                .json::<Value>()
                .await
                .expect("json")
        })
    };
    // Whether the message lands before or during the poll, it must come back fast.
    emu.say(user, "hola").await;
    let result = poll.await.expect("poll task");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(result["result"][0]["message"]["text"], "hola");
    emu.handle.stop().await;
}

#[tokio::test]
async fn an_empty_long_poll_waits_for_its_timeout() {
    let emu = Emu::start().await;
    let started = Instant::now();
    let updates = get_updates(&emu, json!({"timeout": 1})).await;
    assert!(updates.is_empty());
    assert!(started.elapsed() >= Duration::from_millis(900));
    emu.handle.stop().await;
}

#[tokio::test]
async fn offset_confirms_and_drops_earlier_updates() {
    let emu = Emu::start().await;
    let user = emu.user("Ana").await;
    for text in ["uno", "dos", "tres"] {
        emu.say(user, text).await;
    }
    let all = ids(&get_updates(&emu, json!({})).await);
    assert_eq!(all.len(), 3);
    assert!(all.windows(2).all(|w| w[0] < w[1]), "strictly increasing");
    // Unconfirmed updates come back again.
    assert_eq!(ids(&get_updates(&emu, json!({})).await), all);
    let rest = ids(&get_updates(&emu, json!({"offset": all[1]})).await);
    assert_eq!(rest, all[1..].to_vec());
    let limited = ids(&get_updates(&emu, json!({"offset": all[1], "limit": 1})).await);
    assert_eq!(limited, vec![all[1]]);
    assert!(get_updates(&emu, json!({"offset": all[2] + 1})).await.is_empty());
    let (_, info) = emu.bot_call("getWebhookInfo", json!({})).await;
    assert_eq!(info["result"]["pending_update_count"], 0);
    emu.handle.stop().await;
}

#[tokio::test]
async fn a_newer_get_updates_terminates_the_waiting_one_with_409() {
    let emu = Emu::start().await;
    let first = {
        let http = emu.http.clone();
        let url = emu.url(&format!("/bot{}/getUpdates", emu.handle.token()));
        tokio::spawn(async move {
            let resp = http.post(url).json(&json!({"timeout": 20})).send().await.expect("poll");
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap_or_default())
        })
    };
    // Keep issuing short polls until the first one has been superseded.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !first.is_finished() && Instant::now() < deadline {
        // These may themselves be superseded by the first poll if it lands late.
        emu.bot_call("getUpdates", json!({"timeout": 0})).await;
        tokio::task::yield_now().await;
    }
    let (status, body) = first.await.expect("first poll");
    assert_eq!(status, 409);
    assert!(
        body["description"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Conflict: terminated by other getUpdates request")
    );
    emu.handle.stop().await;
}

#[tokio::test]
async fn allowed_updates_filter_what_is_created() {
    let emu = Emu::start().await;
    let user = emu.user("Ana").await;
    let post = emu.post("/control/channels/free/posts", json!({"text": "post"})).await;
    // Default allowed_updates: no reaction updates.
    let reacted = emu
        .post(
            &format!("/control/users/{user}/reactions"),
            json!({"chat_id": "free", "message_id": post["message_id"], "emoji": "🔥"}),
        )
        .await;
    assert!(reacted["update_id"].is_null());
    get_updates(&emu, json!({"timeout": 0, "allowed_updates": ["message_reaction"]})).await;
    let reacted = emu
        .post(
            &format!("/control/users/{user}/reactions"),
            json!({"chat_id": "free", "message_id": post["message_id"], "emoji": null}),
        )
        .await;
    assert!(reacted["update_id"].is_u64());
    assert!(reacted["count_update_id"].is_null());
    emu.handle.stop().await;
}

#[tokio::test]
async fn redelivered_updates_come_again_with_the_same_id() {
    let emu = Emu::start().await;
    let user = emu.user("Ana").await;
    let sent = emu.say(user, "/daily").await;
    let id = sent["update_id"].as_u64().unwrap_or_default();
    get_updates(&emu, json!({})).await;
    assert!(get_updates(&emu, json!({"offset": id + 1})).await.is_empty());
    emu.post(&format!("/control/updates/{id}/redeliver"), json!({})).await;
    let again = get_updates(&emu, json!({"offset": id + 1})).await;
    assert_eq!(ids(&again), vec![id]);
    assert_eq!(again[0]["message"]["text"], "/daily");
    assert!(get_updates(&emu, json!({"offset": id + 1})).await.is_empty());
    emu.handle.stop().await;
}

#[tokio::test]
async fn message_ids_grow_per_chat_and_update_ids_survive_reset() {
    let emu = Emu::start().await;
    let ana = emu.user("Ana").await;
    let bea = emu.user("Bea").await;
    let a1 = emu.say(ana, "a").await;
    let b1 = emu.say(bea, "b").await;
    let a2 = emu.say(ana, "a").await;
    assert_eq!(a1["message_id"], 1);
    assert_eq!(b1["message_id"], 1);
    assert_eq!(a2["message_id"], 2);
    let (_, sent) = emu.bot_call("sendMessage", json!({"chat_id": ana, "text": "hi"})).await;
    assert_eq!(sent["result"]["message_id"], 3);
    let before = a2["update_id"].as_u64().unwrap_or_default();
    emu.post("/control/reset", json!({})).await;
    let cleo = emu.user("Cleo").await;
    let after = emu.say(cleo, "c").await["update_id"].as_u64().unwrap_or_default();
    assert!(after > before);
    let (status, _) = emu.get_raw(&format!("/control/users/{ana}")).await;
    assert_eq!(status, 404);
    emu.handle.stop().await;
}

#[tokio::test]
async fn bad_input_gets_telegrams_errors() {
    let emu = Emu::start().await;
    let user = emu.user("Ana").await;
    let (status, body) = emu.post_raw("/bot999:WRONG/getMe", json!({})).await;
    assert_eq!(status, 401);
    assert_eq!(body, json!({"ok": false, "error_code": 401, "description": "Unauthorized"}));
    let (status, body) = emu.bot_call("sendTelepathy", json!({})).await;
    assert_eq!(status, 404);
    assert_eq!(body, json!({"ok": false, "error_code": 404, "description": "Not Found: method not found"}));
    let (status, body) = emu.bot_call("sendMessage", json!({"text": "hi"})).await;
    assert_eq!(status, 400);
    assert_eq!(body["description"], "Bad Request: chat_id is empty");
    let (status, body) = emu.bot_call("sendMessage", json!({"chat_id": user})).await;
    assert_eq!((status.as_u16(), body["description"].clone()), (400, json!("Bad Request: message text is empty")));
    let (_, body) = emu.bot_call("sendMessage", json!({"chat_id": 42, "text": "hi"})).await;
    assert_eq!(body["description"], "Bad Request: chat not found");
    let (_, body) = emu.bot_call("sendMessage", json!({"chat_id": user, "text": "1 < 2", "parse_mode": "HTML"})).await;
    assert!(body["description"].as_str().unwrap_or_default().starts_with("Bad Request: can't parse entities"));
    let long = "x".repeat(65);
    let (_, body) = emu
        .bot_call(
            "sendMessage",
            json!({"chat_id": user, "text": "hi", "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": long}]]}}),
        )
        .await;
    assert_eq!(body["description"], "Bad Request: BUTTON_DATA_INVALID");
    let stranger = emu.post("/control/users", json!({"first_name": "Zoe"})).await["id"].clone();
    let (status, body) = emu.bot_call("sendMessage", json!({"chat_id": stranger, "text": "hi"})).await;
    assert_eq!(status, 403);
    assert_eq!(body["description"], "Forbidden: bot can't initiate conversation with a user");
    let (_, sent) = emu.bot_call("sendMessage", json!({"chat_id": user, "text": "same"})).await;
    let (status, body) = emu
        .bot_call(
            "editMessageText",
            json!({"chat_id": user, "message_id": sent["result"]["message_id"], "text": "same"}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["description"].as_str().unwrap_or_default().starts_with("Bad Request: message is not modified"));
    emu.handle.stop().await;
}

#[tokio::test]
async fn form_and_query_string_parameters_work_too() {
    let emu = Emu::start().await;
    let user = emu.user("Ana").await;
    let url = emu.url(&format!("/bot{}/sendMessage", emu.handle.token()));
    let markup = r#"{"inline_keyboard":[[{"text":"A","callback_data":"a"}]]}"#;
    let resp: Value = emu
        .http
        .post(&url)
        .form(&[("chat_id", user.to_string().as_str()), ("text", "form"), ("reply_markup", markup)])
        .send()
        .await
        .expect("form")
        .json()
        .await
        .expect("json");
    assert_eq!(resp["result"]["text"], "form");
    assert_eq!(resp["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"], "a");
    let resp: Value =
        emu.http.get(format!("{url}?chat_id={user}&text=query")).send().await.expect("get").json().await.expect("json");
    assert_eq!(resp["result"]["text"], "query");
    emu.handle.stop().await;
}

#[tokio::test]
async fn forced_429s_answer_retry_after_then_clear() {
    let emu = Emu::start().await;
    let user = emu.user("Ana").await;
    emu.post("/control/rate-limits/force", json!({"count": 2, "retry_after": 7, "methods": ["sendMessage"]})).await;
    for _ in 0..2 {
        let (status, body) = emu.bot_call("sendMessage", json!({"chat_id": user, "text": "x"})).await;
        assert_eq!(status, 429);
        assert_eq!(
            body,
            json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 7", "parameters": {"retry_after": 7}})
        );
    }
    let (status, _) = emu.bot_call("sendMessage", json!({"chat_id": user, "text": "x"})).await;
    assert_eq!(status, 200);
    let calls = emu.get("/control/calls?method=sendMessage").await;
    let statuses: Vec<u64> =
        calls.as_array().map(|c| c.iter().filter_map(|c| c["status"].as_u64()).collect()).unwrap_or_default();
    assert_eq!(statuses, vec![429, 429, 200]);
    emu.handle.stop().await;
}

#[tokio::test]
async fn the_per_chat_limit_allows_a_burst_then_refuses() {
    let emu = Emu::start().await;
    let ana = emu.user("Ana").await;
    let bea = emu.user("Bea").await;
    emu.http
        .put(emu.url("/control/rate-limits"))
        .json(&json!({"enabled": true, "per_chat_per_sec": 1.0, "per_chat_burst": 2.0, "global_per_sec": 30.0, "global_burst": 30.0}))
        .send()
        .await
        .expect("put");
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let (status, body) = emu.bot_call("sendMessage", json!({"chat_id": ana, "text": "x"})).await;
        if status == 429 {
            assert!(body["parameters"]["retry_after"].as_u64() >= Some(1));
        }
        statuses.push(status.as_u16());
    }
    assert_eq!(statuses, vec![200, 200, 429]);
    let (status, _) = emu.bot_call("sendMessage", json!({"chat_id": bea, "text": "x"})).await;
    assert_eq!(status, 200, "another chat has its own budget");
    emu.handle.stop().await;
}

#[tokio::test]
async fn control_api_answers_404_for_unknown_things() {
    let emu = Emu::start().await;
    let user = emu.user("Ana").await;
    for path in [
        "/control/users/999".to_owned(),
        "/control/chats/-100999/messages".to_owned(),
        "/control/updates/12345".to_owned(),
        "/control/callbacks/nope".to_owned(),
    ] {
        let (status, body) = emu.get_raw(&path).await;
        assert_eq!(status, 404, "{path}");
        assert!(body["error"].is_string(), "{path}: {body}");
    }
    let (status, _) = emu.post_raw("/control/users/999/messages", json!({"text": "hi"})).await;
    assert_eq!(status, 404);
    let (status, _) =
        emu.post_raw(&format!("/control/users/{user}/callbacks"), json!({"message_id": 77, "data": "x"})).await;
    assert_eq!(status, 404);
    let (status, body) = emu.post_raw(&format!("/control/users/{user}/messages"), json!({"txt": 1})).await;
    assert_eq!(status, 400);
    assert!(body["error"].is_string());
    emu.handle.stop().await;
}

#[tokio::test]
async fn waiting_for_the_next_bot_message_needs_no_sleep() {
    let emu = Emu::start().await;
    let user = emu.user("Ana").await;
    let said = emu.say(user, "hola").await;
    let after = said["message_id"].as_i64().unwrap_or_default();
    let reply = {
        let http = emu.http.clone();
        let token = emu.handle.token().to_owned();
        let url = emu.url(&format!("/bot{token}/sendMessage"));
        tokio::spawn(async move {
            http.post(url).json(&json!({"chat_id": user, "text": "¡Hola!"})).send().await.expect("send")
        })
    };
    let next = emu.next_bot_message(user as i64, after).await;
    assert_eq!(next["text"], "¡Hola!");
    reply.await.expect("send task");
    let (status, _) =
        emu.get_raw(&format!("/control/chats/{user}/messages/next?after={}&timeout_ms=100", next["message_id"])).await;
    assert_eq!(status, 408);
    emu.handle.stop().await;
}
