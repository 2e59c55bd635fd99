//! Shared helpers: an emulator per test and a small control-API client.
#![allow(dead_code)]

use std::time::Duration;

use dianabot_emulator::{EmulatorConfig, EmulatorHandle};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A running emulator plus an HTTP client for its control API.
pub struct Emu {
    pub handle: EmulatorHandle,
    pub http: reqwest::Client,
}

impl Emu {
    /// Starts an emulator on a random port with test-friendly settings.
    pub async fn start() -> Emu {
        Emu::start_with(EmulatorConfig { workers: 1, ..EmulatorConfig::default() }).await
    }

    /// Starts an emulator whose game clock tests can advance.
    pub async fn start_adjustable() -> Emu {
        Emu::start_with(EmulatorConfig {
            workers: 1,
            clock: dianabot_emulator::Clock::adjustable(0),
            ..EmulatorConfig::default()
        })
        .await
    }

    pub async fn start_with(config: EmulatorConfig) -> Emu {
        let handle = dianabot_emulator::start(config).await.expect("emulator starts");
        let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("http client");
        Emu { handle, http }
    }

    /// A teloxide bot pointed at the emulator.
    pub fn bot(&self) -> teloxide_core::Bot {
        teloxide_core::Bot::new(self.handle.token()).set_api_url(self.handle.api_url().parse().expect("api url"))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.handle.base_url(), path)
    }

    /// POSTs JSON to a control path, answering (status, body).
    pub async fn post_raw(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let resp = self.http.post(self.url(path)).json(&body).send().await.expect("request");
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// POSTs JSON to a control path and expects success.
    pub async fn post(&self, path: &str, body: Value) -> Value {
        let (status, value) = self.post_raw(path, body).await;
        assert!(status.is_success(), "POST {path}: {status} {value}");
        value
    }

    pub async fn get_raw(&self, path: &str) -> (StatusCode, Value) {
        let resp = self.http.get(self.url(path)).send().await.expect("request");
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> Value {
        let (status, value) = self.get_raw(path).await;
        assert!(status.is_success(), "GET {path}: {status} {value}");
        value
    }

    /// Calls a Bot API method directly with a JSON body.
    pub async fn bot_call(&self, method: &str, body: Value) -> (StatusCode, Value) {
        let path = format!("/bot{}/{method}", self.handle.token());
        self.post_raw(&path, body).await
    }

    /// Creates a user who has already started the bot.
    pub async fn user(&self, first_name: &str) -> u64 {
        let user = self
            .post("/control/users", json!({"first_name": first_name, "language_code": "es", "started": true}))
            .await;
        user["id"].as_u64().expect("user id")
    }

    /// The user sends text; answers the control response.
    pub async fn say(&self, user: u64, text: &str) -> Value {
        self.post(&format!("/control/users/{user}/messages"), json!({"text": text})).await
    }

    /// Moves the emulator's game clock forward.
    pub async fn advance(&self, secs: u32) -> Value {
        self.post("/control/clock/advance", json!({"secs": secs})).await
    }

    /// The game clock's now.
    pub async fn now(&self) -> i64 {
        self.get("/control/clock").await["now"].as_i64().expect("now")
    }

    /// Sets the bot's allowed_updates the way Telegram remembers them.
    pub async fn allow(&self, kinds: &[&str]) {
        let (status, body) = self.bot_call("getUpdates", json!({"timeout": 0, "allowed_updates": kinds})).await;
        assert_eq!(status, 200, "{body}");
    }

    /// Every pending update (getUpdates without confirming), by kind.
    pub async fn pending(&self) -> Vec<Value> {
        self.get("/control/updates").await["updates"]
            .as_array()
            .map(|list| list.iter().map(|u| u["update"].clone()).collect())
            .unwrap_or_default()
    }

    /// Confirms every update pending now (getUpdates with the next offset).
    pub async fn confirm_all(&self) {
        let last = self.pending().await.iter().filter_map(|u| u["update_id"].as_u64()).max();
        if let Some(last) = last {
            let (status, body) = self.bot_call("getUpdates", json!({"timeout": 0, "offset": last + 1})).await;
            assert_eq!(status, 200, "{body}");
        }
    }

    /// Waits for the first bot message after `after` in a chat.
    pub async fn next_bot_message(&self, chat: i64, after: i64) -> Value {
        self.get(&format!("/control/chats/{chat}/messages/next?after={after}&timeout_ms=5000")).await
    }
}
