//! The server under test and the Telegram it talks to.
//!
//! The harness always runs its own emulator in-process — it is where the
//! bot's replies arrive and are timed — and either spawns `dianabot serve`
//! pointed at it or uses a server the operator started with the command
//! line [`Target::command_line`] prints.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dianabot_emulator::{EmulatorConfig, EmulatorHandle};

use crate::BenchError;

/// How updates reach the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IntakeMode {
    /// The harness POSTs each update to `/telegram/webhook`, as Telegram would.
    Webhook,
    /// The harness queues updates in the emulator; the server long-polls them.
    Polling,
}

impl IntakeMode {
    pub fn name(self) -> &'static str {
        match self {
            IntakeMode::Webhook => "webhook",
            IntakeMode::Polling => "polling",
        }
    }
}

/// A server process the harness started (killed when dropped).
pub struct Spawned {
    child: Child,
    pub log: PathBuf,
    /// A temporary SQLite file to remove afterwards.
    pub temp_db: Option<PathBuf>,
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(path) = &self.temp_db {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
    }
}

pub struct Target {
    pub base_url: String,
    /// Where the server's `/metrics` is (its `METRICS_BIND`).
    pub metrics_url: String,
    pub spawned: Option<Spawned>,
    pub database: String,
}

/// The environment a benchmarked server needs: Telegram is the harness's
/// emulator, Telegram's rate limits and the players' are off (a simulated
/// user acts many times a second), and the harness's operator is an operator.
pub fn server_env(emulator: &EmulatorHandle, intake: IntakeMode, secret: &str) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("TELEGRAM_BOT_TOKEN", emulator.token().to_owned()),
        ("TELEGRAM_API_URL", emulator.api_url()),
        ("TELEGRAM_INTAKE", intake.name().to_owned()),
        ("OUTBOUND_PER_CHAT_MS", "0".to_owned()),
        ("OUTBOUND_GLOBAL_PER_SEC", "0".to_owned()),
        ("RATE_LIMITS", "off".to_owned()),
        // Posts register only from the bot's channels; the harness posts in the emulator's free one.
        ("FREE_CHANNEL_ID", dianabot_emulator::EmulatorConfig::default().free_channel.id.to_string()),
        // The harness's operator opens auctions and grants besitos for `bid`.
        ("ADMIN_IDS", crate::driver::OPERATOR_ID.to_string()),
    ];
    if intake == IntakeMode::Webhook {
        env.push(("WEBHOOK_SECRET", secret.to_owned()));
    }
    env
}

impl Target {
    /// How to start a server for `--server` runs.
    pub fn command_line(env: &[(&'static str, String)], server: &str, metrics: &str) -> String {
        let bind_of = |url: &str| {
            url.trim_start_matches("http://").trim_start_matches("https://").trim_end_matches('/').to_owned()
        };
        let (bind, metrics_bind) = (bind_of(server), bind_of(metrics));
        let vars: Vec<String> = env.iter().map(|(name, value)| format!("{name}={value}")).collect();
        format!(
            "{} HTTP_BIND={bind} METRICS_BIND={metrics_bind} DATABASE_URL=postgres://… dianabot serve",
            vars.join(" ")
        )
    }

    /// Starts `dianabot serve` (this executable) with `env` and waits until
    /// it is ready. `database_url` None: a fresh temporary SQLite file.
    pub async fn spawn(env: &[(&'static str, String)], database_url: Option<&str>) -> Result<Target, BenchError> {
        // Both ports held at once, so they differ.
        let (addr, metrics_addr) = TcpListener::bind("127.0.0.1:0")
            .and_then(|http| Ok((http.local_addr()?, TcpListener::bind("127.0.0.1:0")?.local_addr()?)))
            .map_err(|err| BenchError::Spawn(format!("finding free ports: {err}")))?;
        let port = addr.port();
        let stamp = format!("{}-{}", std::process::id(), port);
        let (database, temp_db) = match database_url {
            Some(url) => (url.to_owned(), None),
            None => {
                let path = std::env::temp_dir().join(format!("dianabot-bench-{stamp}.db"));
                (format!("sqlite:{}", path.display()), Some(path))
            }
        };
        let log = std::env::temp_dir().join(format!("dianabot-bench-server-{stamp}.log"));
        let log_file = std::fs::File::create(&log)
            .map_err(|err| BenchError::Spawn(format!("creating {}: {err}", log.display())))?;
        let exe =
            std::env::current_exe().map_err(|err| BenchError::Spawn(format!("finding this executable: {err}")))?;
        let mut command = Command::new(exe);
        command
            .arg("serve")
            .env("DATABASE_URL", &database)
            .env("HTTP_BIND", addr.to_string())
            .env("METRICS_BIND", metrics_addr.to_string())
            .env("RUST_LOG", std::env::var("BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".to_owned()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file);
        for (name, value) in env {
            command.env(name, value);
        }
        let child = command.spawn().map_err(|err| BenchError::Spawn(format!("starting the server: {err}")))?;
        let spawned = Spawned { child, log, temp_db };
        let mut target = Target {
            base_url: format!("http://{addr}"),
            metrics_url: format!("http://{metrics_addr}"),
            spawned: Some(spawned),
            database,
        };
        target.wait_ready(Duration::from_secs(60)).await?;
        Ok(target)
    }

    /// A server started separately.
    pub async fn external(base_url: &str, metrics_url: &str, wait: Duration) -> Result<Target, BenchError> {
        let mut target = Target {
            base_url: base_url.trim_end_matches('/').to_owned(),
            metrics_url: metrics_url.trim_end_matches('/').to_owned(),
            spawned: None,
            database: "(external server)".to_owned(),
        };
        target.wait_ready(wait).await?;
        Ok(target)
    }

    pub fn webhook_url(&self) -> String {
        format!("{}/telegram/webhook", self.base_url)
    }

    pub fn pid(&self) -> Option<u32> {
        self.spawned.as_ref().map(|spawned| spawned.child.id())
    }

    async fn wait_ready(&mut self, wait: Duration) -> Result<(), BenchError> {
        let client = reqwest::Client::new();
        let url = format!("{}/readyz", self.base_url);
        let deadline = Instant::now() + wait;
        loop {
            if let Ok(response) = client.get(&url).send().await
                && response.status().is_success()
            {
                return Ok(());
            }
            if let Some(spawned) = &mut self.spawned
                && let Ok(Some(status)) = spawned.child.try_wait()
            {
                return Err(BenchError::Spawn(format!("the server exited ({status}); log:\n{}", self.log_tail())));
            }
            if Instant::now() > deadline {
                return Err(BenchError::NotReady(url, self.log_tail()));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn log_tail(&self) -> String {
        let Some(spawned) = &self.spawned else { return String::new() };
        let text = std::fs::read_to_string(&spawned.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// SIGTERM (graceful shutdown: drain and flush), then SIGKILL after 30 s.
    pub async fn stop(mut self) {
        let Some(spawned) = &mut self.spawned else { return };
        let pid = spawned.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = spawned.child.try_wait() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Starts the harness's emulator.
pub async fn start_emulator(bind: SocketAddr) -> Result<EmulatorHandle, BenchError> {
    dianabot_emulator::start(EmulatorConfig { bind, ..EmulatorConfig::default() })
        .await
        .map_err(|err| BenchError::Emulator(format!("starting on {bind}: {err}")))
}

/// One scrape of `/metrics`: `name{labels}` → value.
pub type Metrics = BTreeMap<String, f64>;

/// Reads the Prometheus text format (samples only; comments skipped).
pub fn parse_metrics(text: &str) -> Metrics {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (name, value) = line.rsplit_once(' ')?;
            Some((name.trim().to_owned(), value.trim().parse().ok()?))
        })
        .collect()
}

/// Reads `/metrics` at `metrics_url`, the server's `METRICS_BIND`.
pub async fn scrape(client: &reqwest::Client, metrics_url: &str) -> Result<Metrics, BenchError> {
    let url = format!("{metrics_url}/metrics");
    let response = client.get(&url).send().await.map_err(|err| BenchError::Metrics(format!("{url}: {err}")))?;
    if !response.status().is_success() {
        return Err(BenchError::Metrics(format!("{url}: {}", response.status())));
    }
    let text = response.text().await.map_err(|err| BenchError::Metrics(format!("{url}: {err}")))?;
    Ok(parse_metrics(&text))
}

/// Sum of every sample of `name` (all label sets).
pub fn sum(metrics: &Metrics, name: &str) -> f64 {
    metrics
        .iter()
        .filter(|(key, _)| key.as_str() == name || key.strip_prefix(name).is_some_and(|rest| rest.starts_with('{')))
        .map(|(_, value)| value)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_text_is_read_into_samples() {
        let text = "# HELP a b\n# TYPE a counter\na 3\nb{shard=\"0\"} 1.5\nb{shard=\"1\"} 2\nbb 9\n";
        let metrics = parse_metrics(text);
        assert_eq!(metrics.get("a"), Some(&3.0));
        assert_eq!(sum(&metrics, "b"), 3.5);
        assert_eq!(sum(&metrics, "missing"), 0.0);
    }
}
