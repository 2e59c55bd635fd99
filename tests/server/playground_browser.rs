//! The playground, driven by a real browser: headless Chromium opens the page
//! of a server started exactly as `cargo run` starts it (built-in emulator,
//! long polling), creates a Spanish-speaking user, says /start and taps
//! through onboarding into the story — checking what the page shows at each
//! step, and that every tap edits the bot's one message instead of sending
//! another — then reacts to the story page and finds it counted.
//!
//! Needs `chromium` and `chromedriver` (Debian: chromium, chromium-driver);
//! `scripts/test.sh` installs them. Without them this test fails, it does not
//! skip.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::webdriver::{self, Browser, wait_until};
use anyhow::{Context, bail, ensure};
use serde::Deserialize;
use serde_json::json;

/// How long the page may take to show the effect of one action.
const STEP: Duration = Duration::from_secs(20);

#[test]
fn playground_onboarding_and_story_in_a_real_browser() {
    let missing = webdriver::missing_binaries();
    assert!(
        missing.is_empty(),
        "the browser test needs {} — run the tests with scripts/test.sh (it installs chromium and chromium-driver), \
         or apt-get install chromium chromium-driver",
        missing.join(" and ")
    );
    let dir = std::env::temp_dir().join(format!("dianabot-browser-{}-{}", std::process::id(), fastrand::u32(..)));
    std::fs::create_dir_all(&dir).expect("create the test's temp dir");
    let started = Instant::now();

    dianabot::run_actix(async {
        let database = dir.join("dianabot.db");
        let settings: HashMap<&str, String> = HashMap::from([
            ("DATABASE_URL", format!("sqlite:{}", database.display())),
            ("HTTP_BIND", webdriver::free_addr().to_string()),
            ("EMULATOR_BIND", webdriver::free_addr().to_string()),
            // No TELEGRAM_BOT_TOKEN: the built-in emulator and long polling start.
            ("OUTBOUND_PER_CHAT_MS", "0".to_owned()),
            ("OUTBOUND_GLOBAL_PER_SEC", "0".to_owned()),
        ]);
        let config = dianabot::Config::from_lookup(|name| settings.get(name).cloned()).expect("config");
        let app = dianabot::App::build(config).await.expect("build the app");
        let playground = app.emulator().expect("the emulator runs without a bot token").playground_url();

        let browser = Browser::start(&dir).await;
        let outcome = match &browser {
            Ok(browser) => click_through(browser, &playground).await,
            Err(error) => Err(anyhow::anyhow!("{error:#}")),
        };
        let screenshot = dir.join(if outcome.is_ok() { "playground.png" } else { "playground-failure.png" });
        if let Ok(browser) = &browser {
            match browser.screenshot(&screenshot).await {
                Ok(()) => println!("screenshot: {}", screenshot.display()),
                Err(error) => println!("no screenshot: {error:#}"),
            }
        }
        if let Ok(browser) = browser {
            browser.quit().await.expect("close the browser");
        }
        app.shutdown().await;
        if let Err(error) = outcome {
            panic!(
                "{error:#}\n(screenshot: {}; chromedriver log: {})",
                screenshot.display(),
                dir.join("chromedriver.log").display()
            );
        }
    });

    cleanup(&dir);
    println!("playground browser test passed in {:.1?}; artefacts in {}", started.elapsed(), dir.display());
}

/// Onboarding and one story button, as a user clicks them.
async fn click_through(browser: &Browser, playground: &str) -> anyhow::Result<()> {
    browser.goto(playground).await?;
    wait_until("the playground to connect to the emulator", STEP, async || {
        let status = browser.text(&browser.find("[data-testid=status]").await?).await?;
        Ok(status.contains("bot up to date").then_some(()))
    })
    .await?;

    // A Spanish-speaking user, created through the page's form.
    browser.send_keys(&browser.find("[data-testid=new-user-name]").await?, "Ana").await?;
    browser.click(&browser.find("[data-testid=new-user-lang] option[value=es]").await?).await?;
    browser.click(&browser.find("[data-testid=create-user]").await?).await?;
    let uid = wait_until("the new user's chat column", STEP, async || {
        let columns = browser.find_all("section.column[data-user-id]").await?;
        Ok(match columns.first() {
            Some(_) => Some(browser.execute(OPEN_USER, vec![]).await?.as_i64().context("user id")?),
            None => None,
        })
    })
    .await?;
    let sub = browser.text(&browser.find(&format!("[data-testid=chat-{uid}] .column-head .sub")).await?).await?;
    ensure!(sub.starts_with("es"), "the user's column should say the user speaks es, it says {sub:?}");

    // /start: Lucien welcomes the new player, with one button.
    browser.send_keys(&browser.find(&format!("[data-testid=input-{uid}]")).await?, "/start").await?;
    browser.click(&browser.find(&format!("[data-testid=send-{uid}]")).await?).await?;
    let welcome = wait_for_bot(browser, uid, "a reply to /start", |_| true).await?;
    ensure!(welcome.text.contains("Bienvenido"), "the welcome should welcome: {welcome:?}");
    ensure!(welcome.text.contains("Lucien"), "the welcome should come from Lucien: {welcome:?}");
    ensure!(welcome.text.contains("Ana"), "the welcome should greet the user by name: {welcome:?}");
    ensure!(welcome.labels() == ["Seguir a Lucien →"], "the welcome should offer only to follow Lucien: {welcome:?}");
    ensure!(!welcome.edited, "the welcome is a new message: {welcome:?}");
    let view = chat_view(browser, uid).await?;
    ensure!(view.mine == ["/start"], "the user's side should show just /start: {view:?}");

    // Following Lucien edits the same message into the onboarding.
    click_button(browser, uid, "Seguir a Lucien →").await?;
    let onboarding = wait_for_bot(browser, uid, "the onboarding", |message| message.text != welcome.text).await?;
    ensure!(onboarding.text.contains("besitos"), "the onboarding should explain besitos: {onboarding:?}");
    same_message(&welcome, &onboarding)?;
    ensure!(onboarding.text.contains("abra el menú"), "the onboarding should end inviting to the menu: {onboarding:?}");
    ensure!(onboarding.labels() == ["Abrir el menú"], "the onboarding should offer the menu: {onboarding:?}");

    // The menu.
    click_button(browser, uid, "Abrir el menú").await?;
    let menu = wait_for_bot(browser, uid, "the main menu", |message| message.text != onboarding.text).await?;
    ensure!(menu.text.contains("Menú principal"), "the main menu should say so: {menu:?}");
    same_message(&welcome, &menu)?;
    ensure!(menu.text.contains("Saldo:"), "the menu should show the balance: {menu:?}");
    ensure!(
        menu.labels()
            == [
                "📖 Historia",
                "👤 Perfil",
                "🎒 Inventario",
                "🎁 Regalo diario",
                "🛍️ Tienda",
                "🔨 Subastas",
                "🧭 Experiencias",
                "💎 VIP",
                "🧠 Trivia",
                "🎉 Eventos",
                "🏆 Ranking",
                "❓ Ayuda",
                "🌐 Idioma"
            ],
        "the menu's buttons: {menu:?}"
    );
    ensure!(menu.rows() == [2, 2, 2, 2, 3, 2], "the menu's layout: {menu:?}");

    // The story opens at the door of the house, with its first decisions.
    click_button(browser, uid, "📖 Historia").await?;
    let story = wait_for_bot(browser, uid, "the first fragment", |message| message.text != menu.text).await?;
    ensure!(story.text.contains("La antecámara"), "the story should open in the antechamber: {story:?}");
    same_message(&welcome, &story)?;
    ensure!(story.text.contains("Lucien"), "the first fragment should introduce Lucien: {story:?}");
    ensure!(
        story.labels() == ["Entrar", "¿Quién es usted, exactamente?", "📜 Recorrido", "« Menú"],
        "the first fragment's choices: {story:?}"
    );

    // One story button: a decision moves the story on, in the same message.
    click_button(browser, uid, "Entrar").await?;
    let next = wait_for_bot(browser, uid, "the next fragment", |message| message.text != story.text).await?;
    same_message(&welcome, &next)?;
    ensure!(next.text.contains("La antecámara"), "still in the antechamber: {next:?}");
    ensure!(!next.labels().contains(&"Entrar"), "the door is behind us: {next:?}");

    let view = chat_view(browser, uid).await?;
    ensure!(view.mine == ["/start"], "taps send no messages on the user's side: {view:?}");
    ensure!(view.alert.is_none(), "no alert should be open: {view:?}");

    // A ❤ on the story page is paid: the profile counts one reaction.
    let heart = format!("[data-testid=\"react-u{uid}-{}-❤\"]", next.id);
    browser.click(&browser.find(&heart).await?).await?;
    wait_until("the ❤ to show as the user's", STEP, async || {
        let class = browser.execute(CLASS_OF, vec![json!(heart)]).await?;
        Ok((class.as_str() == Some("mine")).then_some(()))
    })
    .await?;
    browser.send_keys(&browser.find(&format!("[data-testid=input-{uid}]")).await?, "/perfil").await?;
    browser.click(&browser.find(&format!("[data-testid=send-{uid}]")).await?).await?;
    let profile = wait_until("the profile", STEP, async || {
        let view = chat_view(browser, uid).await?;
        Ok(view.bot.get(1).map(|profile| profile.text.clone()))
    })
    .await?;
    ensure!(profile.contains("Reacciones: 1"), "the reaction on the story page should count: {profile}");
    Ok(())
}

/// The class of the element `arguments[0]` selects.
const CLASS_OF: &str = r#"
const node = document.querySelector(arguments[0]);
return node ? node.className : null;
"#;

/// What the user's chat column shows.
#[derive(Debug, Deserialize)]
struct ChatView {
    bot: Vec<BotMessage>,
    mine: Vec<String>,
    alert: Option<String>,
    #[allow(dead_code)] // shown when a step fails
    toast: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct BotMessage {
    id: i64,
    text: String,
    /// The text still holds Telegram HTML tags, i.e. was not parsed.
    raw_html: bool,
    edited: bool,
    /// Rows of (label, data-testid, pending).
    keyboard: Vec<Vec<(String, String, bool)>>,
}

impl BotMessage {
    fn labels(&self) -> Vec<&str> {
        self.keyboard.iter().flatten().map(|(label, _, _)| label.as_str()).collect()
    }

    fn rows(&self) -> Vec<usize> {
        self.keyboard.iter().map(Vec::len).collect()
    }
}

/// The id of the user whose column is open.
const OPEN_USER: &str = r#"
const column = document.querySelector("section.column[data-user-id]");
return column ? Number(column.dataset.userId) : null;
"#;

/// Reads the chat column of user `arguments[0]` as a [`ChatView`].
const CHAT_VIEW: &str = r#"
const uid = arguments[0];
const list = document.querySelector(`[data-testid="messages-${uid}"]`);
const messages = list ? [...list.querySelectorAll(":scope > .msg")] : [];
const shown = id => {
  const node = document.getElementById(id);
  return node && getComputedStyle(node).display !== "none" ? node.innerText : null;
};
return {
  bot: messages.filter(m => m.classList.contains("theirs")).map(m => {
    const bubble = m.querySelector(".bubble");
    const time = bubble && bubble.querySelector(".time");
    const text = bubble ? bubble.innerText.slice(0, bubble.innerText.length - (time ? time.innerText.length : 0)).trim() : "";
    return {
      id: Number(m.dataset.messageId),
      text,
      raw_html: /<\/?(b|i|u|s|a|code|pre)>/.test(text),
      edited: !!time && time.innerText.startsWith("edited"),
      keyboard: [...m.querySelectorAll(".keyboard .kb-row")].map(row =>
        [...row.querySelectorAll("button")].map(b => [b.innerText, b.dataset.testid, b.classList.contains("pending")])),
    };
  }),
  mine: messages.filter(m => m.classList.contains("mine")).map(m => {
    const bubble = m.querySelector(".bubble");
    const time = bubble.querySelector(".time");
    return bubble.innerText.slice(0, bubble.innerText.length - (time ? time.innerText.length : 0)).trim();
  }),
  alert: shown("alert-modal"),
  toast: shown("toast"),
};
"#;

async fn chat_view(browser: &Browser, uid: i64) -> anyhow::Result<ChatView> {
    let value = browser.execute(CHAT_VIEW, vec![json!(uid)]).await?;
    serde_json::from_value(value).context("reading the chat column")
}

/// Waits until the bot's latest message in the chat satisfies `shows` (the
/// callers wait for a change, then assert on what changed), with no tap
/// still pending and no alert; checks it is the bot's only message and
/// returns it.
async fn wait_for_bot(
    browser: &Browser,
    uid: i64,
    what: &str,
    shows: impl Fn(&BotMessage) -> bool,
) -> anyhow::Result<BotMessage> {
    let mut last = None;
    let found = wait_until(what, STEP, async || {
        let view = chat_view(browser, uid).await?;
        if let Some(alert) = &view.alert {
            bail!("the page shows an alert while waiting for {what}: {alert:?}");
        }
        let settled = view.bot.iter().all(|message| message.keyboard.iter().flatten().all(|(_, _, pending)| !pending));
        let found = view.bot.last().filter(|message| settled && shows(message)).cloned();
        last = Some(view);
        Ok(found)
    })
    .await
    .with_context(|| format!("the chat last showed {last:#?}"))?;
    let view = last.expect("the chat was read");
    ensure!(
        view.bot.len() == 1,
        "the bot should have exactly one message in the chat, it has {}: {view:#?}",
        view.bot.len()
    );
    ensure!(!found.raw_html, "the page shows Telegram HTML tags instead of formatting: {found:?}");
    Ok(found)
}

/// A tap must edit the message in place, not send a new one.
fn same_message(before: &BotMessage, after: &BotMessage) -> anyhow::Result<()> {
    ensure!(after.id == before.id, "expected message {} to be edited, got message {}", before.id, after.id);
    ensure!(after.edited, "the page should mark message {} as edited: {after:?}", after.id);
    Ok(())
}

/// Clicks the bot's button labelled `label`, like a user would. The page
/// re-renders the column on every change, so a button found a moment ago
/// can go stale; then it is found again.
async fn click_button(browser: &Browser, uid: i64, label: &str) -> anyhow::Result<()> {
    wait_until(&format!("a clickable button {label:?}"), STEP, async || {
        let view = chat_view(browser, uid).await?;
        let Some((_, testid, _)) =
            view.bot.iter().flat_map(|m| m.keyboard.iter().flatten()).find(|(l, _, _)| l == label)
        else {
            bail!("no button {label:?} on the page: {view:#?}");
        };
        let element = match browser.find(&format!("[data-testid=\"{testid}\"]")).await {
            Ok(element) => element,
            Err(_) => return Ok(None),
        };
        match browser.click(&element).await {
            Ok(()) => Ok(Some(())),
            Err(error) if format!("{error}").contains("stale element") => Ok(None),
            Err(error) => Err(error),
        }
    })
    .await
}

/// Keeps the screenshot and the driver's log; removes the rest.
fn cleanup(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir.join("chromium-profile"));
    let db: PathBuf = dir.join("dianabot.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}
