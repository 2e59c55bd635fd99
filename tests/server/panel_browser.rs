//! The operators' web dashboard (#17, done-means 2), driven by headless
//! Chromium against a server started as `cargo run` starts it (built-in
//! emulator): an owner's `/panel` answers with a one-time link; the link's
//! button opens the dashboard, whose charts are SVG drawn from the data; a
//! report's page has its chart and its CSV, downloaded with the browser's
//! session. Refused: no session, a used link, an expired link, a
//! player's `/panel`, a logout without its CSRF token, an operator whose
//! role lacks the permission or was revoked.
//!
//! And (#18) the Flags page: an owner sets `style` to 30 % with its form,
//! the list shows it live, exactly the players whose bucket is under 3000
//! see the style line with no restart, and `/flags` says so too.

use std::time::Duration;

use crate::common::control::Control;
use crate::common::server::ServerProcess;
use crate::common::webdriver::{self, Browser, wait_until};
use crate::common::{TestDb, run};
use crate::flags_e2e::{admitted, seeing_style};
use crate::operator_roles_e2e::say;
use anyhow::{Context, ensure};

const OWNER: i64 = 900;
const ANALYST: i64 = 901;
const STEP: Duration = Duration::from_secs(20);

/// A fresh folder for a browser test's artefacts (profile, screenshot),
/// once Chromium and its driver are there.
fn artefacts_dir(name: &str) -> std::path::PathBuf {
    let missing = webdriver::missing_binaries();
    assert!(
        missing.is_empty(),
        "the browser test needs {} (apt-get install chromium chromium-driver)",
        missing.join(" and ")
    );
    let dir = std::env::temp_dir().join(format!("dianabot-{name}-{}-{}", std::process::id(), fastrand::u32(..)));
    std::fs::create_dir_all(&dir).expect("create the test's temp dir");
    dir
}

#[test]
fn an_operator_opens_the_dashboard_from_a_one_time_link_and_downloads_a_csv() {
    let dir = artefacts_dir("panel");
    run(async {
        let db = TestDb::postgres().await;
        let extra = [("ADMIN_IDS", "900"), ("TEST_CLOCK", "on"), ("PANEL_LINK_MINUTES", "5")];
        let (server, emulator) = ServerProcess::embedded(&db.url, &extra).await;
        let control = Control::new(&emulator);
        control.create_user_with_id(OWNER, "Owner", "en").await;
        say(&control, OWNER, "/start").await;
        let bea = control.create_user("Bea", "es").await;
        say(&control, bea, "/start").await;
        let base = format!("http://{}", server.addr);

        // A player is not told the command exists; no link is made.
        assert!(say(&control, bea, "/panel").await.contains("no he entendido"));
        // Without a session the dashboard says how to get one.
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let anonymous = client.get(format!("{base}/panel?lang=en")).send().await.unwrap();
        assert_eq!(anonymous.status(), 401);
        let body = anonymous.text().await.unwrap();
        assert!(body.contains("send /panel to the bot"), "{body}");

        let link = panel_link(&control).await;
        assert!(link.starts_with(&format!("{base}/panel/login?token=")), "{link}");
        let browser = Browser::start(&dir).await.expect("start Chromium");
        let outcome = browse(&browser, &link).await;
        let screenshot = dir.join(if outcome.is_ok() { "panel.png" } else { "panel-failure.png" });
        if let Err(err) = browser.screenshot(&screenshot).await {
            println!("no screenshot: {err:#}");
        }
        browser.quit().await.expect("close the browser");
        outcome.unwrap_or_else(|err| panic!("{err:#} (artefacts in {})", dir.display()));

        // The link was spent: pressing its button again is refused.
        assert_eq!(spend(&client, &base, &link).await.status(), 401, "a used link");
        // A link past its minutes is refused.
        let late = panel_link(&control).await;
        server.advance_clock(5 * 60 + 1).await;
        assert_eq!(spend(&client, &base, &late).await.status(), 401, "an expired link");

        // Logging out is a form with the session's CSRF token.
        let opened = spend(&client, &base, &panel_link(&control).await).await;
        assert_eq!(opened.status(), 303);
        let set_cookie = opened.headers()["set-cookie"].to_str().unwrap().to_owned();
        for attribute in ["HttpOnly", "SameSite=Strict", "Path=/panel"] {
            assert!(set_cookie.contains(attribute), "{set_cookie}");
        }
        let cookie = set_cookie.split(';').next().unwrap().to_owned();
        let page = client.get(format!("{base}/panel")).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let page = page.text().await.unwrap();
        let csrf = page.split("name=\"csrf\" value=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap();
        let logout = |form: Vec<(&'static str, String)>| {
            client.post(format!("{base}/panel/logout")).header("cookie", &cookie).form(&form).send()
        };
        assert_eq!(logout(vec![]).await.unwrap().status(), 403, "no CSRF token");
        assert_eq!(logout(vec![("csrf", "0".repeat(64))]).await.unwrap().status(), 403, "a wrong CSRF token");
        let still = client.get(format!("{base}/panel")).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(still.status(), 200, "a refused logout ends nothing");
        assert_eq!(logout(vec![("csrf", csrf.to_owned())]).await.unwrap().status(), 200);
        let after = client.get(format!("{base}/panel")).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(after.status(), 401, "the session ended");

        // An analyst holds the permission through a role; a support agent
        // does not. Revoking the role closes an open dashboard at once.
        control.create_user_with_id(ANALYST, "Analyst", "en").await;
        say(&control, ANALYST, "/start").await;
        say(&control, OWNER, "/rol dar 901 support").await;
        let refused = say(&control, ANALYST, "/panel").await;
        assert!(refused.contains("does not allow you to see reports"), "{refused}");
        say(&control, OWNER, "/rol dar 901 analyst").await;
        let analyst_link = say(&control, ANALYST, "/panel").await;
        let analyst_link = analyst_link.split_whitespace().find(|word| word.starts_with("http://")).expect("a link");
        let opened = spend(&client, &base, analyst_link).await;
        assert_eq!(opened.status(), 303);
        let cookie = opened.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
        let csv = client.get(format!("{base}/panel/csv/activity")).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(csv.status(), 200);
        say(&control, OWNER, "/rol quitar 901 analyst").await;
        let csv = client.get(format!("{base}/panel/csv/activity")).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(csv.status(), 403, "the role was revoked");

        // Every /panel is in the audit log.
        let audit = say(&control, OWNER, "/auditoria 10").await;
        assert!(audit.matches("panel").count() >= 3, "{audit}");

        drop(server);
        db.drop_db().await;
    });
    let _ = std::fs::remove_dir_all(dir.join("chromium-profile"));
    println!("dashboard browser test passed; screenshot in {}", dir.display());
}

/// The owner's `/panel`: the link in the reply.
async fn panel_link(control: &Control) -> String {
    let reply = say(control, OWNER, "/panel").await;
    assert!(reply.contains("one use within 5 min"), "{reply}");
    reply.split_whitespace().find(|word| word.starts_with("http://")).expect("a link in the reply").to_owned()
}

/// Presses the link's button as a client without a browser would.
async fn spend(client: &reqwest::Client, base: &str, link: &str) -> reqwest::Response {
    let token = link.split("token=").nth(1).expect("a token");
    client.post(format!("{base}/panel/login")).form(&[("token", token)]).send().await.expect("POST /panel/login")
}

async fn browse(browser: &Browser, link: &str) -> anyhow::Result<()> {
    browser.goto(link).await?;
    browser.click(&browser.find("#enter").await?).await?;
    // The overview: the activity chart has a marker for every day.
    let markers = wait_until("the overview's charts", STEP, async || {
        let count = browser.execute(CHART_MARKERS, vec![]).await?;
        Ok(count.as_u64().filter(|count| *count > 0))
    })
    .await?;
    ensure!(markers >= 30, "30 days of activity, one marker each at least: {markers}");
    let path = browser.execute("return location.pathname", vec![]).await?;
    ensure!(path == "/panel", "the link leads to the overview: {path}");

    // One report's page: its chart, and its CSV with the browser's session.
    browser.click(&browser.find("nav a[href^='/panel/report/funnel']").await?).await?;
    wait_until("the funnel's page", STEP, async || {
        let heading = browser.find_all("main h1").await?;
        Ok(match heading.first() {
            Some(h1) => browser.text(h1).await?.contains("Funnel").then_some(()),
            None => None,
        })
    })
    .await?;
    let funnel_markers = browser.execute(CHART_MARKERS, vec![]).await?;
    ensure!(funnel_markers.as_u64() >= Some(4), "one marker per stage: {funnel_markers}");
    let download = browser.execute(DOWNLOAD_CSV, vec![]).await?;
    let disposition = download["disposition"].as_str().unwrap_or_default();
    ensure!(disposition.starts_with("attachment; filename=\"funnel_"), "{download}");
    let csv = download["body"].as_str().context("the CSV")?;
    let rows: Vec<&str> = csv.split("\r\n").collect();
    ensure!(rows[0] == "stage,players,of_previous,of_registered", "{csv}");
    ensure!(rows[1] == "registered,2,100.00,100.00", "the owner and Bea registered: {csv}");

    // The insights page: no day computed yet, and the alert rules.
    browser.click(&browser.find("nav a[href^='/panel/insights']").await?).await?;
    let sections = wait_until("the insights page", STEP, async || {
        let sections = browser.find_all("section.telegram").await?;
        Ok((sections.len() == 2).then_some(sections))
    })
    .await?;
    let insights = browser.text(&sections[0]).await?;
    ensure!(insights.contains("No insights yet"), "{insights}");
    let rules = browser.text(&sections[1]).await?;
    ensure!(rules.contains("Alert rules") && rules.contains("Nothing is firing"), "{rules}");
    Ok(())
}

/// Data markers (one per row and series) in the page's SVG charts.
const CHART_MARKERS: &str = "return document.querySelectorAll('figure.chart svg circle').length";

/// Fetches the page's "Download CSV" link as the browser would.
const DOWNLOAD_CSV: &str = "const link = document.querySelector('a.csv');\
    return fetch(link.href).then(r => r.text().then(body => \
    ({ status: r.status, disposition: r.headers.get('content-disposition'), body })));";

// panel-flags
#[test]
fn an_owner_sets_a_flag_on_the_flags_page_and_exactly_the_expected_players_see_it_live() {
    let dir = artefacts_dir("panel-flags");
    run(async {
        let db = TestDb::postgres().await;
        let (server, emulator) =
            ServerProcess::embedded(&db.url, &[("ADMIN_IDS", "900"), ("PANEL_LINK_MINUTES", "5")]).await;
        let control = Control::new(&emulator);
        control.create_user_with_id(OWNER, "Owner", "en").await;
        say(&control, OWNER, "/start").await;
        let mut players = Vec::new();
        for n in 0..40 {
            let player = control.create_user(&format!("P{n}"), "es").await;
            control.send_text(player, "/start").await;
            players.push(player);
        }
        for &player in &players {
            control.wait_for(player, "the welcome", |m| !m.is_empty()).await;
        }
        // flags.toml's 100 %: everyone.
        assert_eq!(seeing_style(&control, &players).await, admitted(&players, 10_000));

        let browser = Browser::start(&dir).await.expect("start Chromium");
        let outcome = set_style_to_30(&browser, &panel_link(&control).await).await;
        let screenshot = dir.join(if outcome.is_ok() { "flags.png" } else { "flags-failure.png" });
        if let Err(err) = browser.screenshot(&screenshot).await {
            println!("no screenshot: {err:#}");
        }
        browser.quit().await.expect("close the browser");
        outcome.unwrap_or_else(|err| panic!("{err:#} (artefacts in {})", dir.display()));

        // Live, with no restart: exactly the players whose bucket is under 3000.
        let expected = admitted(&players, 3_000);
        assert!(!expected.is_empty() && expected.len() < players.len(), "some, not all: {}", expected.len());
        assert_eq!(seeing_style(&control, &players).await, expected);
        let listing = say(&control, OWNER, "/flags").await;
        assert!(listing.contains("style — 30 %\n100 % in flags.toml; changed by 900 on "), "{listing}");
        let audit = say(&control, OWNER, "/auditoria 5").await;
        assert!(audit.contains("set_flag") && audit.contains("panel: style 30"), "{audit}");

        drop(server);
        db.drop_db().await;
    });
    let _ = std::fs::remove_dir_all(dir.join("chromium-profile"));
}

/// Logs in with `link`, opens Flags from the navigation, sets `style` to 30
/// with its form and sees the list say so.
async fn set_style_to_30(browser: &Browser, link: &str) -> anyhow::Result<()> {
    browser.goto(link).await?;
    browser.click(&browser.find("#enter").await?).await?;
    wait_until("the overview", STEP, async || Ok(browser.find_all("nav a[href^='/panel/flags']").await?.pop())).await?;
    browser.click(&browser.find("nav a[href^='/panel/flags']").await?).await?;
    let percent = wait_until("the Flags page", STEP, async || {
        Ok(browser.find_all("tr[data-flag='style'] input[name='percent']").await?.pop())
    })
    .await?;
    let live = browser.text(&browser.find("tr[data-flag='style'] td.live").await?).await?;
    ensure!(live == "100 %", "flags.toml's rollout is live: {live}");
    browser
        .execute("document.querySelector(\"tr[data-flag='style'] input[name='percent']\").value = ''", vec![])
        .await?;
    browser.send_keys(&percent, "30").await?;
    browser.click(&browser.find("tr[data-flag='style'] button[name='set']").await?).await?;
    let done = wait_until("the change's notice", STEP, async || Ok(browser.find_all("p.done").await?.pop())).await?;
    let said = browser.text(&done).await?;
    ensure!(said.contains("Flag style: 30 % (was 100 %; 100 % in flags.toml). Live now"), "{said}");
    let live = browser.text(&browser.find("tr[data-flag='style'] td.live").await?).await?;
    ensure!(live == "30 %", "the list shows it live: {live}");
    let by = browser.text(&browser.find("tr[data-flag='style'] td:nth-child(4)").await?).await?;
    ensure!(by.starts_with("operator 900, "), "and who changed it: {by}");
    Ok(())
}
