//! A client for the emulator's control API: tests act as Telegram users
//! through it and read what the bot did.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub struct Control {
    base: String,
    client: reqwest::Client,
}

impl Control {
    /// `emulator_url` is the emulator's base URL (`http://host:port`).
    pub fn new(emulator_url: &str) -> Control {
        Control { base: format!("{}/control", emulator_url.trim_end_matches('/')), client: reqwest::Client::new() }
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let response = self.client.post(format!("{}{path}", self.base)).json(&body).send().await.expect("control API");
        let status = response.status();
        let value: Value = response.json().await.expect("control API answers JSON");
        assert!(status.is_success(), "POST {path} {body}: {status} {value}");
        value
    }

    async fn get(&self, path: &str) -> Value {
        let response = self.client.get(format!("{}{path}", self.base)).send().await.expect("control API");
        let status = response.status();
        let value: Value = response.json().await.expect("control API answers JSON");
        assert!(status.is_success(), "GET {path}: {status} {value}");
        value
    }

    pub async fn create_user(&self, first_name: &str, language_code: &str) -> i64 {
        let user = self.post("/users", json!({"first_name": first_name, "language_code": language_code})).await;
        user["id"].as_i64().expect("user id")
    }

    pub async fn create_user_with_id(&self, id: i64, first_name: &str, language_code: &str) -> i64 {
        let body = json!({"id": id, "first_name": first_name, "language_code": language_code});
        self.post("/users", body).await["id"].as_i64().expect("user id")
    }

    /// A user with id `id` who has talked to the bot before (`started`:
    /// the bot may write first) or not (it gets 403, as if blocked).
    pub async fn create_user_started(&self, id: i64, started: bool) -> i64 {
        let body = json!({"id": id, "first_name": format!("u{id}"), "language_code": "es", "started": started});
        self.post("/users", body).await["id"].as_i64().expect("user id")
    }

    /// The bot's Bot API calls of `method`, oldest first (the emulator keeps the last 50,000).
    pub async fn calls(&self, method: &str) -> Vec<Value> {
        self.get(&format!("/calls?method={method}")).await.as_array().cloned().unwrap_or_default()
    }

    /// The user writes `text` to the bot; returns the update id.
    pub async fn send_text(&self, user: i64, text: &str) -> i64 {
        let sent = self.post(&format!("/users/{user}/messages"), json!({"text": text})).await;
        sent["update_id"].as_i64().expect("update id")
    }

    /// The user presses a button with `data` on `message_id`; `force` lets
    /// data that is not on the keyboard through (forgery tests).
    pub async fn press(&self, user: i64, message_id: i64, data: &str, force: bool) -> Value {
        let body = json!({"message_id": message_id, "data": data, "force": force, "wait_answer_ms": 10_000});
        self.post(&format!("/users/{user}/callbacks"), body).await
    }

    /// Posts to the free channel; returns the post's message id.
    pub async fn channel_post(&self, text: &str) -> i64 {
        self.channel_post_in("free", text).await
    }

    /// Posts to `channel` (`free`, `vip` or an id); returns the post's message id.
    pub async fn channel_post_in(&self, channel: &str, text: &str) -> i64 {
        let posted = self.post(&format!("/channels/{channel}/posts"), json!({"text": text})).await;
        posted["message_id"].as_i64().expect("message id")
    }

    /// The user sets `emoji` on a free-channel post (`None` removes it).
    pub async fn react(&self, user: i64, message_id: i64, emoji: Option<&str>) -> Value {
        self.react_in(user, json!("free"), message_id, emoji).await
    }

    /// The user sets `emoji` on message `message_id` of `chat` (`"free"`,
    /// `"vip"` or a chat id); `None` removes it.
    pub async fn react_in(&self, user: i64, chat: Value, message_id: i64, emoji: Option<&str>) -> Value {
        let body = json!({"chat_id": chat, "message_id": message_id, "emoji": emoji});
        self.post(&format!("/users/{user}/reactions"), body).await
    }

    /// The user joins `chat` (`"free"`, `"vip"`); `force` skips the invite
    /// link a private channel asks for.
    pub async fn join(&self, user: i64, chat: &str, force: bool) -> Value {
        self.post(&format!("/users/{user}/join"), json!({"chat_id": chat, "force": force})).await
    }

    /// The bot's messages in a chat, as they are now (after edits).
    pub async fn bot_messages(&self, chat: i64) -> Vec<Value> {
        let chat = self.get(&format!("/chats/{chat}/messages?from=bot")).await;
        chat["messages"].as_array().cloned().unwrap_or_default()
    }

    /// Waits until the bot's messages in `chat` satisfy `done`.
    pub async fn wait_for(&self, chat: i64, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let messages = self.bot_messages(chat).await;
            if done(&messages) {
                return messages;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}; bot messages: {messages:#?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The user pays the invoice in message `message_id` of their chat:
    /// pre-checkout, then (if the bot agrees) the payment.
    pub async fn pay(&self, user: i64, message_id: i64) -> Value {
        self.post(&format!("/users/{user}/pay"), json!({"message_id": message_id})).await
    }

    /// The user pays the invoice in message `message_id` once more, though
    /// it is paid already (a second charge, with its own charge id).
    pub async fn pay_again(&self, user: i64, message_id: i64) -> Value {
        self.post(&format!("/users/{user}/pay"), json!({"message_id": message_id, "again": true})).await
    }

    /// Delivers update `update_id` again, as Telegram does when unsure.
    pub async fn redeliver(&self, update_id: i64) {
        self.post(&format!("/updates/{update_id}/redeliver"), json!({})).await;
    }

    /// Every Stars charge, with whether it was refunded.
    pub async fn payments(&self) -> Vec<Value> {
        self.get("/payments").await.as_array().cloned().unwrap_or_default()
    }

    /// The bytes of a file the bot uploaded (a document), by file id.
    pub async fn file(&self, file_id: &str) -> Vec<u8> {
        let response = self.client.get(format!("{}/files/{file_id}", self.base)).send().await.expect("control API");
        assert!(response.status().is_success(), "GET /files/{file_id}: {}", response.status());
        response.bytes().await.expect("file bytes").to_vec()
    }

    pub async fn pending_updates(&self) -> usize {
        self.get("/updates").await["count"].as_u64().unwrap_or(0) as usize
    }
}

/// The text of a message (entities already stripped by the emulator).
pub fn text(message: &Value) -> &str {
    message["text"].as_str().unwrap_or_default()
}

/// `(label, callback_data)` of every inline button, row by row.
pub fn buttons(message: &Value) -> Vec<(String, String)> {
    let rows = message["reply_markup"]["inline_keyboard"].as_array().cloned().unwrap_or_default();
    rows.iter()
        .flat_map(|row| row.as_array().cloned().unwrap_or_default())
        .map(|button| {
            let label = button["text"].as_str().unwrap_or_default().to_owned();
            (label, button["callback_data"].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

/// The callback data of the button labelled `label`.
pub fn button(message: &Value, label: &str) -> String {
    buttons(message)
        .into_iter()
        .find_map(|(text, data)| (text == label).then_some(data))
        .unwrap_or_else(|| panic!("no button {label:?} in {message:#}"))
}
