//! A tiny W3C WebDriver client for browser tests: just what they use.
//!
//! It starts its own `chromedriver` on a free port, opens one headless
//! Chromium session with a throw-away profile, and talks the W3C protocol
//! over `reqwest`. A full client crate (fantoccini, thirtyfour) would pull in
//! a second HTTP stack for a dozen endpoints; this file is the whole of it.
//!
//! Nothing here sleeps to synchronise: [`wait_until`] polls a probe until it
//! answers or a deadline passes, and says what it was waiting for when it
//! gives up.
#![allow(dead_code)] // a test binary uses the subset it needs

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

/// The key W3C WebDriver uses for element references in JSON.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Where the browser and its driver are; `CHROMIUM` and `CHROMEDRIVER`
/// override the Debian paths.
pub fn chromium_binary() -> PathBuf {
    std::env::var_os("CHROMIUM").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

pub fn chromedriver_binary() -> PathBuf {
    std::env::var_os("CHROMEDRIVER").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/usr/bin/chromedriver"))
}

/// What is missing to run a browser test, if anything.
pub fn missing_binaries() -> Vec<String> {
    [chromium_binary(), chromedriver_binary()]
        .into_iter()
        .filter(|path| !path.is_file())
        .map(|path| path.display().to_string())
        .collect()
}

/// An element found on the page; valid until the page re-renders it.
#[derive(Debug, Clone)]
pub struct Element(String);

/// A running chromedriver with one browser session. Dropping it closes the
/// browser and stops the driver; [`Browser::quit`] does the same politely.
pub struct Browser {
    driver: Child,
    driver_addr: SocketAddr,
    client: reqwest::Client,
    session: Option<String>,
    profile: PathBuf,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium. `work_dir` receives the
    /// browser profile and the driver's log.
    pub async fn start(work_dir: &Path) -> anyhow::Result<Browser> {
        let missing = missing_binaries();
        if !missing.is_empty() {
            bail!(
                "missing {} (Debian packages chromium and chromium-driver); \
                 scripts/test.sh installs them, or run: apt-get install chromium chromium-driver",
                missing.join(" and ")
            );
        }
        let profile = work_dir.join("chromium-profile");
        std::fs::create_dir_all(&profile).context("creating the browser profile directory")?;
        let driver_addr = free_addr();
        let log = work_dir.join("chromedriver.log");
        let driver = Command::new(chromedriver_binary())
            .arg(format!("--port={}", driver_addr.port()))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("spawning chromedriver")?;
        let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?;
        let mut browser = Browser { driver, driver_addr, client, session: None, profile };

        wait_until("chromedriver to be ready", Duration::from_secs(30), async || {
            if let Some(status) = browser.driver.try_wait()? {
                bail!("chromedriver exited with {status}; see {}", log.display());
            }
            let Ok(response) = browser.client.get(browser.url("/status")).send().await else { return Ok(None) };
            let body: Value = response.json().await.unwrap_or_default();
            Ok(body["value"]["ready"].as_bool().filter(|ready| *ready))
        })
        .await?;

        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": chromium_binary(),
                        "args": [
                            "--headless=new",
                            "--no-sandbox",
                            "--disable-gpu",
                            "--disable-dev-shm-usage",
                            "--disable-quic",
                            "--no-first-run",
                            "--disable-background-networking",
                            "--disable-component-update",
                            "--disable-sync",
                            "--window-size=1280,900",
                            format!("--user-data-dir={}", browser.profile.display()),
                        ],
                    },
                },
            },
        });
        let created = browser
            .command(reqwest::Method::POST, "/session", Some(capabilities))
            .await
            .with_context(|| format!("creating a Chromium session (driver log: {})", log.display()))?;
        let session = created["sessionId"].as_str().context("new session without sessionId")?.to_owned();
        browser.session = Some(session);
        Ok(browser)
    }

    /// Opens `url` and waits for the page to load.
    pub async fn goto(&self, url: &str) -> anyhow::Result<()> {
        self.session_command(reqwest::Method::POST, "/url", json!({ "url": url })).await?;
        Ok(())
    }

    /// The first element matching a CSS selector.
    pub async fn find(&self, css: &str) -> anyhow::Result<Element> {
        let found = self
            .session_command(reqwest::Method::POST, "/element", json!({ "using": "css selector", "value": css }))
            .await
            .with_context(|| format!("finding {css}"))?;
        element_ref(&found)
    }

    /// Every element matching a CSS selector (possibly none).
    pub async fn find_all(&self, css: &str) -> anyhow::Result<Vec<Element>> {
        let found = self
            .session_command(reqwest::Method::POST, "/elements", json!({ "using": "css selector", "value": css }))
            .await
            .with_context(|| format!("finding all {css}"))?;
        found.as_array().context("elements is not an array")?.iter().map(element_ref).collect()
    }

    /// Clicks like a user would: scrolled into view, at its centre.
    pub async fn click(&self, element: &Element) -> anyhow::Result<()> {
        self.session_command(reqwest::Method::POST, &format!("/element/{}/click", element.0), json!({})).await?;
        Ok(())
    }

    /// Types `text` into an element (`"\u{E007}"` is Enter).
    pub async fn send_keys(&self, element: &Element, text: &str) -> anyhow::Result<()> {
        self.session_command(reqwest::Method::POST, &format!("/element/{}/value", element.0), json!({ "text": text }))
            .await?;
        Ok(())
    }

    /// The rendered text of an element.
    pub async fn text(&self, element: &Element) -> anyhow::Result<String> {
        let text = self.session_get(&format!("/element/{}/text", element.0)).await?;
        Ok(text.as_str().unwrap_or_default().to_owned())
    }

    /// Runs `script` (a function body; `arguments[i]` are `args`) in the
    /// page and returns what it returns.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> anyhow::Result<Value> {
        self.session_command(reqwest::Method::POST, "/execute/sync", json!({ "script": script, "args": args })).await
    }

    /// Saves a PNG of the viewport to `path`.
    pub async fn screenshot(&self, path: &Path) -> anyhow::Result<()> {
        let encoded = self.session_get("/screenshot").await?;
        let png = decode_base64(encoded.as_str().context("screenshot is not a string")?)?;
        std::fs::write(path, png).with_context(|| format!("writing {}", path.display()))
    }

    /// Closes the browser and stops the driver.
    pub async fn quit(mut self) -> anyhow::Result<()> {
        if let Some(session) = self.session.take() {
            self.command(reqwest::Method::DELETE, &format!("/session/{session}"), None).await?;
        }
        // Letting the driver exit on its own lets it reap the browser.
        let _ = self.client.get(self.url("/shutdown")).send().await;
        let driver = &mut self.driver;
        wait_until("chromedriver to exit", Duration::from_secs(10), async || Ok(driver.try_wait()?.map(|_| ()))).await
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.driver_addr)
    }

    async fn session_get(&self, path: &str) -> anyhow::Result<Value> {
        let session = self.session.as_deref().context("no browser session")?;
        self.command(reqwest::Method::GET, &format!("/session/{session}{path}"), None).await
    }

    async fn session_command(&self, method: reqwest::Method, path: &str, body: Value) -> anyhow::Result<Value> {
        let session = self.session.as_deref().context("no browser session")?;
        self.command(method, &format!("/session/{session}{path}"), Some(body)).await
    }

    /// One WebDriver command: its `value`, or its error as an `Err`.
    async fn command(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let mut request = self.client.request(method.clone(), self.url(path));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.with_context(|| format!("WebDriver {method} {path}"))?;
        let status = response.status();
        let mut body: Value = response.json().await.with_context(|| format!("WebDriver {method} {path}: reply"))?;
        let value = body["value"].take();
        if !status.is_success() {
            let error = value["error"].as_str().unwrap_or("unknown error");
            let message = value["message"].as_str().unwrap_or_default();
            bail!("WebDriver {method} {path}: {status} {error}: {message}");
        }
        Ok(value)
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Not quit (a failed test unwinding): ask the driver to close the
        // browser, synchronously, so no Chromium outlives the test.
        if let Some(session) = self.session.take() {
            let _ = delete_session_blocking(self.driver_addr, &session);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Polls `probe` until it returns `Some`, an error, or `timeout` passes.
pub async fn wait_until<T>(
    what: &str,
    timeout: Duration,
    mut probe: impl AsyncFnMut() -> anyhow::Result<Option<T>>,
) -> anyhow::Result<T> {
    let started = Instant::now();
    let deadline = started + timeout;
    loop {
        if let Some(value) = probe().await? {
            return Ok(value);
        }
        if Instant::now() >= deadline {
            bail!("timed out after {:.1?} waiting for {what}", started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs a future with a deadline, naming it when the deadline passes.
pub async fn within<T>(
    what: &str,
    timeout: Duration,
    future: impl Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    tokio::time::timeout(timeout, future).await.map_err(|_| anyhow::anyhow!("timed out after {timeout:?}: {what}"))?
}

pub fn free_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr")
}

fn element_ref(value: &Value) -> anyhow::Result<Element> {
    let id = value[ELEMENT_KEY].as_str().with_context(|| format!("not an element reference: {value}"))?;
    Ok(Element(id.to_owned()))
}

/// `DELETE /session/{id}` over a plain socket, for use in `Drop`.
fn delete_session_blocking(addr: SocketAddr, session: &str) -> std::io::Result<()> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "DELETE /session/{session} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    Ok(())
}

/// Standard base64 (screenshots arrive that way).
fn decode_base64(text: &str) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in text.bytes() {
        let sextet = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' | b'\n' | b'\r' => continue,
            other => bail!("invalid base64 byte {other:#x}"),
        };
        buffer = (buffer << 6) | u32::from(sextet);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Ok(out)
}
