//! The server as a separate process, for tests that kill it.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const WEBHOOK_SECRET: &str = "test-secret-token";

pub struct ServerProcess {
    pub child: Child,
    pub addr: SocketAddr,
    /// `METRICS_BIND`: `/metrics` is served here, not on `addr`.
    pub metrics_addr: SocketAddr,
    pub log: PathBuf,
}

pub fn free_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr")
}

impl ServerProcess {
    /// `dianabot` with webhook intake on `database_url`; replies go nowhere.
    pub async fn webhook(database_url: &str) -> ServerProcess {
        ServerProcess::webhook_with(database_url, &[]).await
    }

    /// [`ServerProcess::webhook`] with `extra` environment.
    pub async fn webhook_with(database_url: &str, extra: &[(&str, &str)]) -> ServerProcess {
        let mut env = vec![
            ("TELEGRAM_INTAKE", "webhook"),
            ("WEBHOOK_SECRET", WEBHOOK_SECRET),
            ("TELEGRAM_BOT_TOKEN", "123456:TEST"),
            // Nobody listens there: replies fail fast and are logged.
            ("TELEGRAM_API_URL", "http://127.0.0.1:9/"),
        ];
        env.extend_from_slice(extra);
        ServerProcess::start(database_url, &env).await
    }

    /// `dianabot` polling the emulator at `api_url` (a separate process, so
    /// it outlives a killed server, as Telegram does).
    pub async fn polling(database_url: &str, api_url: &str) -> ServerProcess {
        let env = [("TELEGRAM_BOT_TOKEN", "123456:TEST"), ("TELEGRAM_API_URL", api_url)];
        ServerProcess::start(database_url, &env).await
    }

    /// `dianabot` as `cargo run` starts it — with its built-in emulator and
    /// long polling — plus `extra` environment. Returns the server and the
    /// emulator's base URL.
    pub async fn embedded(database_url: &str, extra: &[(&str, &str)]) -> (ServerProcess, String) {
        let emulator = free_addr().to_string();
        let mut env = vec![("EMULATOR_BIND", emulator.as_str())];
        env.extend_from_slice(extra);
        (ServerProcess::start(database_url, &env).await, format!("http://{emulator}"))
    }

    /// Starts `dianabot serve` on `database_url` with `extra` environment
    /// and waits until it is ready.
    pub async fn start(database_url: &str, extra: &[(&str, &str)]) -> ServerProcess {
        let server = ServerProcess::spawn(database_url, extra);
        server.wait_ready().await;
        server
    }

    /// Starts `dianabot serve` without waiting for it to be ready: for a
    /// process a fault may abort while it is still starting.
    pub fn spawn(database_url: &str, extra: &[(&str, &str)]) -> ServerProcess {
        // Both ports held at once, so they differ.
        let listeners = [(); 2].map(|()| TcpListener::bind("127.0.0.1:0").expect("bind a free port"));
        let [addr, metrics_addr] = listeners.each_ref().map(|listener| listener.local_addr().expect("local addr"));
        drop(listeners);
        ServerProcess::spawn_at(database_url, extra, addr, metrics_addr)
    }

    /// [`ServerProcess::spawn`] on given addresses: a server started again
    /// where it was (a restarted node behind the same URL).
    pub fn spawn_at(
        database_url: &str,
        extra: &[(&str, &str)],
        addr: SocketAddr,
        metrics_addr: SocketAddr,
    ) -> ServerProcess {
        let log = std::env::temp_dir().join(format!("dianabot-server-{}-{}.log", std::process::id(), addr.port()));
        // Appended: a server started again on its port keeps its first run's log.
        let log_file = std::fs::OpenOptions::new().create(true).append(true).open(&log).expect("open server log");
        let mut command = Command::new(env!("CARGO_BIN_EXE_dianabot"));
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", database_url)
            .env("HTTP_BIND", addr.to_string())
            .env("METRICS_BIND", metrics_addr.to_string())
            .env("OUTBOUND_PER_CHAT_MS", "0")
            .env("OUTBOUND_GLOBAL_PER_SEC", "0")
            // Tests act at machine speed; the rate limits' own tests set them.
            .env("RATE_LIMITS", "off")
            // Posts register only from the bot's channels: the emulator's free one.
            .env("FREE_CHANNEL_ID", CHANNEL.to_string())
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(log_file);
        for (name, value) in extra {
            command.env(name, value);
        }
        let child = command.spawn().expect("spawn dianabot");
        ServerProcess { child, addr, metrics_addr, log }
    }

    pub async fn wait_ready(&self) {
        let client = reqwest::Client::new();
        let url = format!("http://{}/readyz", self.addr);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(response) = client.get(&url).send().await
                && response.status().is_success()
            {
                return;
            }
            assert!(Instant::now() < deadline, "server not ready; log:\n{}", self.log_text());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn webhook_url(&self) -> String {
        format!("http://{}/telegram/webhook", self.addr)
    }

    pub fn metrics_url(&self) -> String {
        format!("http://{}/metrics", self.metrics_addr)
    }

    /// Moves the server's game clock forward (it runs with `TEST_CLOCK=on`);
    /// returns the clock's new offset from the wall clock.
    pub async fn advance_clock(&self, secs: u32) -> i64 {
        let url = format!("http://{}/control/clock/advance?secs={secs}", self.metrics_addr);
        let response = reqwest::Client::new().post(&url).send().await.expect("POST clock advance");
        assert!(response.status().is_success(), "clock advance: {}", response.status());
        let body: serde_json::Value = response.json().await.expect("clock advance answer");
        body["offset"].as_i64().expect("offset")
    }

    /// The value of the unlabelled metric `name` in `/metrics`.
    pub async fn metric(&self, name: &str) -> f64 {
        let text = reqwest::get(self.metrics_url()).await.expect("GET /metrics").text().await.expect("metrics text");
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no metric {name} in\n{text}"))
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits up to `timeout` for the server to exit on its own (a fault
    /// that aborts it); whether it did.
    pub fn wait_exit(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.child.try_wait().expect("child status").is_some() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// `kill -9`: no chance to flush or drain.
    pub fn kill_hard(&mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reap");
    }
}

/// `dianabot emulator` as its own process.
pub struct EmulatorProcess {
    child: Child,
    pub addr: SocketAddr,
}

impl EmulatorProcess {
    pub async fn start() -> EmulatorProcess {
        let addr = free_addr();
        let child = Command::new(env!("CARGO_BIN_EXE_dianabot"))
            .args(["emulator", "--port", &addr.port().to_string()])
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn dianabot emulator");
        let emulator = EmulatorProcess { child, addr };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while client.get(format!("{}/control/info", emulator.url())).send().await.is_err() {
            assert!(Instant::now() < deadline, "emulator did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        emulator
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A /start from `user`.
pub fn start_update(update_id: i64, user: i64) -> serde_json::Value {
    text_update(update_id, user, "/start")
}

/// `user` writes `text` to the bot.
pub fn text_update(update_id: i64, user: i64, text: &str) -> serde_json::Value {
    serde_json::json!({
        "update_id": update_id,
        "message": {
            "message_id": update_id, "date": 1_700_000_000,
            "chat": {"id": user, "type": "private", "first_name": format!("u{user}")},
            "from": {"id": user, "is_bot": false, "first_name": format!("u{user}"), "language_code": "es"},
            "text": text
        }
    })
}

/// The channel test reactions are on.
pub const CHANNEL: i64 = -1_001_000_000_001;

/// Post `message_id` is published in [`CHANNEL`].
pub fn channel_post_update(update_id: i64, message_id: i64) -> serde_json::Value {
    serde_json::json!({
        "update_id": update_id,
        "channel_post": {
            "message_id": message_id, "date": 1_700_000_000,
            "chat": {"id": CHANNEL, "type": "channel", "title": "Diana"},
            "text": format!("Diana, post {message_id}")
        }
    })
}

/// Publishes posts `1..=count` of [`CHANNEL`] through the server's webhook
/// (update ids from `first_update_id`), each acknowledged: the server pays
/// reactions only on posts it saw published.
pub async fn publish_posts(server: &ServerProcess, first_update_id: i64, count: i64) {
    let client = reqwest::Client::new();
    for post in 1..=count {
        let response = client
            .post(server.webhook_url())
            .header("X-Telegram-Bot-Api-Secret-Token", WEBHOOK_SECRET)
            .json(&channel_post_update(first_update_id + post, post))
            .send()
            .await
            .expect("the server answers");
        assert!(response.status().is_success(), "post {post}: {}\nlog:\n{}", response.status(), server.log_text());
    }
}

/// `user` reacts with ❤ to channel post `message_id` of [`CHANNEL`].
pub fn reaction_update(update_id: i64, user: i64, message_id: i64) -> serde_json::Value {
    serde_json::json!({
        "update_id": update_id,
        "message_reaction": {
            "chat": {"id": CHANNEL, "type": "channel", "title": "Diana"},
            "message_id": message_id,
            "user": {"id": user, "is_bot": false, "first_name": format!("u{user}")},
            "date": 1_700_000_000,
            "old_reaction": [],
            "new_reaction": [{"type": "emoji", "emoji": "❤"}]
        }
    })
}
