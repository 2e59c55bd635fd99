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

// ---- the game clock, invite links, join requests, members, subscriptions -----------

/// The kinds of the updates pending now, in order.
async fn pending_kinds(emu: &Emu) -> Vec<String> {
    emu.pending().await.iter().filter_map(|u| u.as_object()?.keys().find(|k| *k != "update_id").cloned()).collect()
}

/// The pending update of `kind` (the last one).
async fn pending_of(emu: &Emu, kind: &str) -> Value {
    emu.pending().await.into_iter().rev().find(|u| u.get(kind).is_some()).map(|u| u[kind].clone()).unwrap_or_default()
}

async fn create_link(emu: &Emu, params: Value) -> Value {
    let mut body = json!({"chat_id": -1_001_000_000_002i64});
    for (k, v) in params.as_object().into_iter().flatten() {
        body[k] = v.clone();
    }
    let (status, link) = emu.bot_call("createChatInviteLink", body).await;
    assert_eq!(status, 200, "{link}");
    link["result"].clone()
}

async fn member_status(emu: &Emu, chat: &str, user: u64) -> String {
    let chat = emu.get(&format!("/control/chats/{chat}")).await;
    chat["members"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["user_id"] == user))
        .and_then(|m| m["status"].as_str())
        .unwrap_or("left")
        .to_owned()
}

#[tokio::test]
async fn the_game_clock_moves_every_date_and_only_when_adjustable() {
    let fixed = Emu::start().await;
    let (status, body) = fixed.post_raw("/control/clock/advance", json!({"secs": 60})).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].is_string());
    assert_eq!(fixed.get("/control/clock").await["offset"], 0);
    fixed.handle.stop().await;

    let emu = Emu::start_adjustable().await;
    let user = emu.user("Ana").await;
    let before = emu.now().await;
    let moved = emu.advance(86_400).await;
    assert_eq!(moved["offset"], 86_400);
    // The query-string form the server's control endpoint uses works too.
    let resp = emu.http.post(emu.url("/control/clock/advance?secs=3600")).send().await.expect("advance");
    assert_eq!(resp.status(), 200);
    let moved: Value = resp.json().await.expect("json");
    assert_eq!(moved["offset"], 90_000);
    let clock = emu.get("/control/clock").await;
    assert!(clock["now"].as_i64().unwrap_or_default() >= before + 90_000);
    let said = emu.say(user, "hola").await;
    assert!(said["message"]["date"].as_i64().unwrap_or_default() >= before + 90_000, "{said}");
    let (_, sent) = emu.bot_call("sendMessage", json!({"chat_id": user, "text": "hi"})).await;
    assert!(sent["result"]["date"].as_i64().unwrap_or_default() >= before + 90_000);
    emu.handle.stop().await;
}

#[tokio::test]
async fn invite_links_are_validated_edited_counted_and_refused_when_spent() {
    let emu = Emu::start_adjustable().await;
    let vip = -1_001_000_000_002i64;
    let (ana, bea, cleo) = (emu.user("Ana").await, emu.user("Bea").await, emu.user("Cleo").await);
    for (params, error) in [
        (json!({"member_limit": 1, "creates_join_request": true}), "member_limit can't be specified"),
        (json!({"name": "x".repeat(33)}), "INVITE_LINK_NAME_INVALID"),
        (json!({"member_limit": 0}), "USAGE_LIMIT_INVALID"),
        (json!({"member_limit": 100_000}), "USAGE_LIMIT_INVALID"),
    ] {
        let mut body = params.clone();
        body["chat_id"] = json!(vip);
        let (status, answer) = emu.bot_call("createChatInviteLink", body).await;
        assert_eq!(status, 400, "{params}: {answer}");
        assert!(answer["description"].as_str().unwrap_or_default().contains(error), "{answer}");
    }
    let now = emu.now().await;
    let link = create_link(&emu, json!({"name": "VIP Ana", "member_limit": 1, "expire_date": now + 3_600})).await;
    assert_eq!(link["name"], "VIP Ana");
    assert_eq!(link["expire_date"], now + 3_600);
    let url = link["invite_link"].as_str().unwrap_or_default().to_owned();
    let joined = emu.post(&format!("/control/users/{ana}/join"), json!({"invite_link": url})).await;
    assert_eq!(joined["status"], "member");
    let (status, _) = emu.post_raw(&format!("/control/users/{bea}/join"), json!({"invite_link": url})).await;
    assert_eq!(status, 403, "the member limit is reached");
    let links = emu.get("/control/invite-links").await;
    assert_eq!(links[0]["uses"], 1);

    let (status, edited) =
        emu.bot_call("editChatInviteLink", json!({"chat_id": vip, "invite_link": url, "member_limit": 2})).await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["result"]["member_limit"], 2);
    assert_eq!(edited["result"]["name"], "VIP Ana", "what the edit does not name stays");
    emu.post(&format!("/control/users/{bea}/join"), json!({"invite_link": url})).await;
    assert_eq!(member_status(&emu, "vip", bea).await, "member");

    // Expiry goes by the game clock.
    let (status, _) =
        emu.bot_call("editChatInviteLink", json!({"chat_id": vip, "invite_link": url, "member_limit": 3})).await;
    assert_eq!(status, 200);
    emu.advance(3_601).await;
    let (status, body) = emu.post_raw(&format!("/control/users/{cleo}/join"), json!({"invite_link": url})).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"].as_str().unwrap_or_default().contains("expired"));

    let other = create_link(&emu, json!({})).await;
    let other_url = other["invite_link"].as_str().unwrap_or_default().to_owned();
    let (status, revoked) =
        emu.bot_call("revokeChatInviteLink", json!({"chat_id": vip, "invite_link": other_url})).await;
    assert_eq!(status, 200);
    assert_eq!(revoked["result"]["is_revoked"], true);
    let (status, body) = emu.post_raw(&format!("/control/users/{cleo}/join"), json!({"invite_link": other_url})).await;
    assert_eq!(status, 403, "{body}");
    let (status, _) =
        emu.bot_call("editChatInviteLink", json!({"chat_id": vip, "invite_link": other_url, "name": "x"})).await;
    assert_eq!(status, 400, "a revoked link cannot be edited");
    emu.handle.stop().await;
}

#[tokio::test]
async fn join_request_links_make_requests_the_bot_approves_or_declines() {
    let emu = Emu::start_adjustable().await;
    let vip = -1_001_000_000_002i64;
    emu.allow(&["message", "chat_member", "chat_join_request"]).await;
    let ana = emu.user("Ana").await;
    // Never started the bot: Telegram lets the bot write only while a request is pending.
    let bea = emu.post("/control/users", json!({"first_name": "Bea"})).await["id"].as_u64().unwrap_or_default();
    let link = create_link(&emu, json!({"creates_join_request": true, "name": "VIP door"})).await;
    assert_eq!(link["creates_join_request"], true);
    assert_eq!(link["pending_join_request_count"], 0);
    let url = link["invite_link"].as_str().unwrap_or_default().to_owned();

    let (status, _) = emu.bot_call("sendMessage", json!({"chat_id": bea, "text": "hola"})).await;
    assert_eq!(status, 403);
    let asked = emu.post(&format!("/control/users/{bea}/join"), json!({"invite_link": url})).await;
    assert_eq!(asked["status"], "pending");
    assert!(asked["update_id"].is_u64());
    let request = pending_of(&emu, "chat_join_request").await;
    assert_eq!(request["from"]["id"], bea);
    assert_eq!(request["user_chat_id"], bea);
    assert_eq!(request["chat"]["id"], vip);
    assert_eq!(request["invite_link"]["invite_link"], url);
    assert_eq!(request["invite_link"]["pending_join_request_count"], 1);
    assert!(request["date"].is_i64());
    assert_eq!(member_status(&emu, "vip", bea).await, "left");
    let listed = emu.get("/control/join-requests").await;
    assert_eq!(listed[0]["user_id"], bea);
    assert_eq!(listed[0]["invite_link"], url);
    let (status, again) = emu.post_raw(&format!("/control/users/{bea}/join"), json!({"invite_link": url})).await;
    assert_eq!(status, 409, "{again}");
    let (status, body) = emu.bot_call("sendMessage", json!({"chat_id": bea, "text": "hola"})).await;
    assert_eq!(status, 200, "the bot may write to a requester: {body}");

    emu.confirm_all().await;
    let (status, body) = emu.bot_call("approveChatJoinRequest", json!({"chat_id": vip, "user_id": bea})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(member_status(&emu, "vip", bea).await, "member");
    let joined = pending_of(&emu, "chat_member").await;
    assert_eq!(joined["from"]["is_bot"], true, "the approving admin");
    assert_eq!(joined["old_chat_member"]["status"], "left");
    assert_eq!(joined["new_chat_member"]["status"], "member");
    assert_eq!(joined["invite_link"]["invite_link"], url);
    let (status, body) = emu.bot_call("approveChatJoinRequest", json!({"chat_id": vip, "user_id": bea})).await;
    assert_eq!((status.as_u16(), body["description"].clone()), (400, json!("Bad Request: HIDE_REQUESTER_MISSING")));
    assert_eq!(emu.get("/control/join-requests").await, json!([]));

    emu.confirm_all().await;
    emu.post(&format!("/control/users/{ana}/join"), json!({"invite_link": url})).await;
    let (status, _) = emu.bot_call("declineChatJoinRequest", json!({"chat_id": vip, "user_id": ana})).await;
    assert_eq!(status, 200);
    assert_eq!(member_status(&emu, "vip", ana).await, "left");
    assert_eq!(pending_kinds(&emu).await, vec!["chat_join_request"], "a decline changes no membership");
    let (status, body) = emu.bot_call("declineChatJoinRequest", json!({"chat_id": vip, "user_id": ana})).await;
    assert_eq!((status.as_u16(), body["description"].clone()), (400, json!("Bad Request: HIDE_REQUESTER_MISSING")));

    // The requester's chat opens for 5 minutes only.
    let cleo = emu.post("/control/users", json!({"first_name": "Cleo"})).await["id"].as_u64().unwrap_or_default();
    emu.post(&format!("/control/users/{cleo}/join"), json!({"invite_link": url})).await;
    emu.advance(301).await;
    let (status, _) = emu.bot_call("sendMessage", json!({"chat_id": cleo, "text": "hola"})).await;
    assert_eq!(status, 403);
    emu.handle.stop().await;
}

#[tokio::test]
async fn a_request_without_a_link_needs_a_channel_that_takes_requests() {
    let emu = Emu::start().await;
    let free = -1_001_000_000_001i64;
    emu.allow(&["chat_member", "chat_join_request"]).await;
    let ana = emu.user("Ana").await;
    let bea = emu.user("Bea").await;
    let (status, body) = emu.post_raw(&format!("/control/users/{ana}/request-join"), json!({"chat": "free"})).await;
    assert_eq!(status, 403, "{body}");
    let settings = emu
        .http
        .put(emu.url("/control/chats/free/settings"))
        .json(&json!({"join_by_request": true}))
        .send()
        .await
        .expect("put settings");
    assert!(settings.status().is_success());
    let asked = emu.post(&format!("/control/users/{ana}/request-join"), json!({"chat": "free"})).await;
    assert_eq!(asked["status"], "pending");
    let request = pending_of(&emu, "chat_join_request").await;
    assert!(request.get("invite_link").is_none(), "{request}");
    // Joining such a channel directly asks too.
    let asked = emu.post(&format!("/control/users/{bea}/join"), json!({"chat_id": "free"})).await;
    assert_eq!(asked["status"], "pending");
    let chat = emu.get("/control/chats/free").await;
    assert_eq!(chat["join_requests"].as_array().map(Vec::len), Some(2));

    emu.confirm_all().await;
    let (status, _) = emu.bot_call("approveChatJoinRequest", json!({"chat_id": free, "user_id": ana})).await;
    assert_eq!(status, 200);
    let joined = pending_of(&emu, "chat_member").await;
    assert_eq!(joined["via_join_request"], true);
    assert!(joined.get("invite_link").is_none());
    assert_eq!(member_status(&emu, "free", ana).await, "member");
    // A ban ends the banned user's pending request.
    assert_eq!(emu.get("/control/join-requests?chat=free").await.as_array().map(Vec::len), Some(1));
    emu.bot_call("banChatMember", json!({"chat_id": free, "user_id": bea})).await;
    assert_eq!(emu.get("/control/join-requests?chat=free").await, json!([]));
    let (status, body) = emu.bot_call("approveChatJoinRequest", json!({"chat_id": free, "user_id": bea})).await;
    assert_eq!((status.as_u16(), body["description"].clone()), (400, json!("Bad Request: HIDE_REQUESTER_MISSING")));
    emu.handle.stop().await;
}

#[tokio::test]
async fn chat_member_updates_come_only_when_allowed_updates_names_them() {
    let emu = Emu::start().await;
    let ana = emu.user("Ana").await;
    let join = async || emu.post(&format!("/control/users/{ana}/join"), json!({"chat_id": "free"})).await;
    let leave = async || emu.post(&format!("/control/users/{ana}/leave"), json!({"chat_id": "free"})).await;
    // The default set (nothing asked yet) leaves chat_member out...
    assert!(join().await["update_id"].is_null());
    leave().await;
    // ...but includes chat_join_request.
    let link = create_link(&emu, json!({"creates_join_request": true})).await;
    let asked = emu.post(&format!("/control/users/{ana}/join"), json!({"invite_link": link["invite_link"]})).await;
    assert!(asked["update_id"].is_u64());
    emu.allow(&["chat_member"]).await;
    assert!(join().await["update_id"].is_u64());
    // Remembered between calls that do not name allowed_updates.
    let (status, _) = emu.bot_call("getUpdates", json!({"timeout": 0})).await;
    assert_eq!(status, 200);
    assert!(leave().await["update_id"].is_u64());
    // An empty list is the default set again.
    emu.allow(&[]).await;
    assert!(join().await["update_id"].is_null());
    // setWebhook's allowed_updates are the same setting.
    let (status, _) =
        emu.bot_call("setWebhook", json!({"url": "http://127.0.0.1:9/hook", "allowed_updates": ["chat_member"]})).await;
    assert_eq!(status, 200);
    assert!(leave().await["update_id"].is_u64());
    emu.handle.stop().await;
}

#[tokio::test]
async fn ban_removes_and_bars_unban_lifts_and_without_only_if_banned_removes() {
    let emu = Emu::start_adjustable().await;
    let vip = -1_001_000_000_002i64;
    emu.allow(&["chat_member"]).await;
    let ana = emu.user("Ana").await;
    let link = create_link(&emu, json!({})).await;
    emu.post(&format!("/control/users/{ana}/join"), json!({"invite_link": link["invite_link"]})).await;
    emu.confirm_all().await;

    let until = emu.now().await + 3_600;
    let (status, body) = emu
        .bot_call(
            "banChatMember",
            json!({"chat_id": vip, "user_id": ana, "until_date": until, "revoke_messages": true}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let banned = pending_of(&emu, "chat_member").await;
    assert_eq!(banned["old_chat_member"]["status"], "member");
    assert_eq!(banned["new_chat_member"]["status"], "kicked");
    assert_eq!(banned["new_chat_member"]["until_date"], until);
    assert_eq!(banned["from"]["is_bot"], true);
    let fresh = create_link(&emu, json!({})).await;
    let (status, body) =
        emu.post_raw(&format!("/control/users/{ana}/join"), json!({"invite_link": fresh["invite_link"]})).await;
    assert_eq!(status, 403, "a banned user cannot join by link: {body}");
    // A temporary ban ends by itself on the game clock.
    emu.advance(3_601).await;
    let (_, member) = emu.bot_call("getChatMember", json!({"chat_id": vip, "user_id": ana})).await;
    assert_eq!(member["result"]["status"], "left");
    emu.post(&format!("/control/users/{ana}/join"), json!({"invite_link": fresh["invite_link"]})).await;

    // Ban for good, then unban only_if_banned: left, may come back by a new link.
    emu.bot_call("banChatMember", json!({"chat_id": vip, "user_id": ana})).await;
    let (_, member) = emu.bot_call("getChatMember", json!({"chat_id": vip, "user_id": ana})).await;
    assert_eq!(member["result"]["until_date"], 0);
    emu.confirm_all().await;
    let (status, _) =
        emu.bot_call("unbanChatMember", json!({"chat_id": vip, "user_id": ana, "only_if_banned": true})).await;
    assert_eq!(status, 200);
    let lifted = pending_of(&emu, "chat_member").await;
    assert_eq!(
        (lifted["old_chat_member"]["status"].clone(), lifted["new_chat_member"]["status"].clone()),
        (json!("kicked"), json!("left"))
    );
    let again = create_link(&emu, json!({})).await;
    emu.post(&format!("/control/users/{ana}/join"), json!({"invite_link": again["invite_link"]})).await;
    assert_eq!(member_status(&emu, "vip", ana).await, "member");
    // only_if_banned leaves a member alone; without it, unban removes.
    emu.bot_call("unbanChatMember", json!({"chat_id": vip, "user_id": ana, "only_if_banned": true})).await;
    assert_eq!(member_status(&emu, "vip", ana).await, "member");
    emu.confirm_all().await;
    emu.bot_call("unbanChatMember", json!({"chat_id": vip, "user_id": ana})).await;
    assert_eq!(member_status(&emu, "vip", ana).await, "left");
    let removed = pending_of(&emu, "chat_member").await;
    assert_eq!(removed["new_chat_member"]["status"], "left");
    emu.handle.stop().await;
}

/// Pays an invoice link as `user`, answering the pre-checkout ok as the bot.
async fn pay_link(emu: &Emu, user: u64, link: &str) -> Value {
    let pay = {
        let http = emu.http.clone();
        let url = emu.url(&format!("/control/users/{user}/pay"));
        let body = json!({"invoice_link": link});
        tokio::spawn(async move { http.post(url).json(&body).send().await.expect("pay").json::<Value>().await })
    };
    let query = loop {
        let updates = get_updates(emu, json!({"timeout": 5})).await;
        if let Some(q) = updates.iter().find_map(|u| u.get("pre_checkout_query")) {
            break q.clone();
        }
    };
    let (status, body) =
        emu.bot_call("answerPreCheckoutQuery", json!({"pre_checkout_query_id": query["id"], "ok": true})).await;
    assert_eq!(status, 200, "{body}");
    pay.await.expect("pay task").expect("pay json")
}

#[tokio::test]
async fn stars_subscriptions_pay_renew_cancel_and_fail() {
    let emu = Emu::start_adjustable().await;
    let ana = emu.user("Ana").await;
    let bea = emu.user("Bea").await;
    let invoice = |period: u32| {
        json!({"title": "VIP mensual", "description": "30 días", "payload": "vip:monthly", "currency": "XTR",
               "prices": [{"label": "VIP", "amount": 250}], "subscription_period": period})
    };
    let (status, body) = emu.bot_call("createInvoiceLink", invoice(86_400)).await;
    assert_eq!(
        (status.as_u16(), body["description"].clone()),
        (400, json!("Bad Request: SUBSCRIPTION_PERIOD_INVALID"))
    );
    let (status, body) = emu.bot_call("createInvoiceLink", invoice(2_592_000)).await;
    assert_eq!(status, 200, "{body}");
    let link = body["result"].as_str().unwrap_or_default().to_owned();

    let paid = pay_link(&emu, ana, &link).await;
    assert_eq!(paid["status"], "paid", "{paid}");
    let first = paid["telegram_payment_charge_id"].as_str().unwrap_or_default().to_owned();
    let payment = pending_of(&emu, "message").await["successful_payment"].clone();
    assert_eq!(payment["is_recurring"], true);
    assert_eq!(payment["is_first_recurring"], true);
    assert_eq!(payment["telegram_payment_charge_id"], first);
    let expiration = payment["subscription_expiration_date"].as_i64().unwrap_or_default();
    let date = pending_of(&emu, "message").await["date"].as_i64().unwrap_or_default();
    assert_eq!(expiration - date, 2_592_000);
    let listed = emu.get("/control/subscriptions").await;
    assert_eq!(listed[0]["user_id"], ana);
    assert_eq!(listed[0]["payload"], "vip:monthly");
    assert_eq!(listed[0]["status"], "active");
    assert_eq!(listed[0]["canceled"], false);

    // Renewal: a new payment, no pre-checkout.
    emu.confirm_all().await;
    emu.advance(2_592_000).await;
    let renewed = emu.post(&format!("/control/subscriptions/{first}/renew"), json!({})).await;
    let second = renewed["telegram_payment_charge_id"].as_str().unwrap_or_default().to_owned();
    assert_ne!(second, first);
    assert_eq!(pending_kinds(&emu).await, vec!["message"]);
    let payment = pending_of(&emu, "message").await["successful_payment"].clone();
    assert_eq!(payment["is_recurring"], true);
    assert!(payment.get("is_first_recurring").is_none(), "{payment}");
    assert_eq!(payment["telegram_payment_charge_id"], second);
    assert_eq!(payment["subscription_expiration_date"], expiration + 2_592_000);

    // Cancel and re-enable renewal (by any charge of the subscription; only its user).
    let edit = |user: u64, charge: &str, canceled: bool| json!({"user_id": user, "telegram_payment_charge_id": charge, "is_canceled": canceled});
    let (status, _) = emu.bot_call("editUserStarSubscription", edit(bea, &first, true)).await;
    assert_eq!(status, 400, "another user's subscription");
    let (status, _) = emu.bot_call("editUserStarSubscription", edit(ana, "stxnope", true)).await;
    assert_eq!(status, 400, "an unknown charge");
    let (status, body) = emu.bot_call("editUserStarSubscription", edit(ana, &second, true)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(emu.get("/control/subscriptions").await[0]["status"], "canceled");
    emu.confirm_all().await;
    let (status, _) = emu.post_raw(&format!("/control/subscriptions/{first}/renew"), json!({})).await;
    assert_eq!(status, 409);
    assert!(emu.pending().await.is_empty(), "a canceled subscription delivers nothing");
    let (status, _) = emu.bot_call("editUserStarSubscription", edit(ana, &first, false)).await;
    assert_eq!(status, 200);
    emu.post(&format!("/control/subscriptions/{second}/renew"), json!({})).await;
    emu.confirm_all().await;

    // A failed renewal ends it, silently.
    let failed = emu.post(&format!("/control/subscriptions/{first}/fail"), json!({})).await;
    assert_eq!(failed["status"], "failed");
    assert!(emu.pending().await.is_empty());
    let (status, _) = emu.post_raw(&format!("/control/subscriptions/{first}/renew"), json!({})).await;
    assert_eq!(status, 409);
    let listed = emu.get("/control/subscriptions").await;
    assert_eq!(listed[0]["charge_ids"].as_array().map(Vec::len), Some(3));

    // Refunds work on subscription charges.
    let (status, body) =
        emu.bot_call("refundStarPayment", json!({"user_id": ana, "telegram_payment_charge_id": second})).await;
    assert_eq!(status, 200, "{body}");
    emu.handle.stop().await;
}

#[tokio::test]
async fn send_rate_summarises_the_densest_window_of_sends() {
    let emu = Emu::start().await;
    let user = emu.user("Ana").await;
    let (_, before) = emu.bot_call("sendMessage", json!({"chat_id": user, "text": "before"})).await;
    assert!(before["ok"].as_bool().unwrap_or(false));
    let since = emu.get("/control/calls").await.as_array().and_then(|c| c.last().cloned()).unwrap_or_default()["seq"]
        .as_u64()
        .unwrap_or_default();
    emu.post("/control/rate-limits/force", json!({"count": 2, "retry_after": 1, "methods": ["sendMessage"]})).await;
    for _ in 0..5 {
        emu.bot_call("sendMessage", json!({"chat_id": user, "text": "x"})).await;
    }
    let rate = emu.get(&format!("/control/send-rate?since_seq={since}&window_ms=100000000")).await;
    assert_eq!(rate["method"], "sendMessage");
    assert_eq!(rate["total"], 5);
    assert_eq!(rate["accepted"], 3);
    assert_eq!(rate["refused"], 2);
    assert_eq!(rate["max_in_window"], 5, "one huge window holds every call");
    assert_eq!(rate["max_ok_in_window"], 3);
    let second = emu.get(&format!("/control/send-rate?since_seq={since}")).await;
    assert_eq!(second["window_ms"], 1_000);
    let max = second["max_in_window"].as_u64().unwrap_or_default();
    assert!((1..=5).contains(&max), "{second}");
    emu.handle.stop().await;
}

#[tokio::test]
async fn the_playground_has_the_membership_request_subscription_and_clock_panels() {
    // The page is exercised for real by tests/playground_smoke.js (jsdom) and the
    // server's browser test; this keeps the hooks those scripts use from vanishing.
    let emu = Emu::start().await;
    let page = emu.http.get(emu.url("/playground")).send().await.expect("page").text().await.expect("text");
    for hook in
        ["members-${key}", "join-request-${key}-", "subscription-${s.id}", "sub-renew-", "sub-fail-", "clock-advance"]
    {
        assert!(page.contains(hook), "the playground lost {hook}");
    }
    emu.handle.stop().await;
}
