//! VIP through the binary and its built-in emulator, on the game clock:
//! a monthly Stars subscription bought from `/vip`, the personal link, the
//! VIP channel joined, VIP rates paid, reminders on schedule, a renewal
//! (its bonus once, even re-delivered), the lapse, removal after grace with
//! the story kept, and a comeback; a non-VIP who got in by a leaked link is
//! removed, and join requests follow VIP.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::control::{Control, button, buttons, text};
use crate::common::server::ServerProcess;
use crate::common::{TestDb, run};

const DAY: u32 = 86_400;

/// The emulator's control API beyond the shared client.
struct Emulator {
    base: String,
    client: reqwest::Client,
}

impl Emulator {
    fn new(url: &str) -> Emulator {
        Emulator { base: format!("{}/control", url.trim_end_matches('/')), client: reqwest::Client::new() }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("control API");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let (status, value) = self.call(reqwest::Method::POST, path, Some(body)).await;
        assert!((200..300).contains(&status), "POST {path}: {status} {value}");
        value
    }

    async fn get(&self, path: &str) -> Value {
        let (status, value) = self.call(reqwest::Method::GET, path, None).await;
        assert!((200..300).contains(&status), "GET {path}: {status} {value}");
        value
    }

    /// The user's status in the VIP channel, as the emulator holds it.
    async fn vip_status(&self, user: i64) -> String {
        let chat = self.get("/chats/vip").await;
        let members = chat["members"].as_array().cloned().unwrap_or_default();
        let member = members.iter().find(|m| m["user_id"].as_i64() == Some(user));
        member.and_then(|m| m["status"].as_str()).unwrap_or("none").to_owned()
    }

    async fn wait_status(&self, user: i64, status: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let now = self.vip_status(user).await;
            if now == status {
                return;
            }
            assert!(Instant::now() < deadline, "user {user} is {now} in the VIP channel, not {status}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Waits for a bot message to `user` containing `needle` (after the first
/// `skip` messages) and returns it.
async fn message_with(control: &Control, user: i64, skip: usize, needle: &str) -> Value {
    let messages =
        control.wait_for(user, needle, |m| m.iter().skip(skip).any(|message| text(message).contains(needle))).await;
    messages.into_iter().skip(skip).find(|message| text(message).contains(needle)).expect("found")
}

/// The URL of a message's first URL button.
fn url_button(message: &Value) -> String {
    let rows = message["reply_markup"]["inline_keyboard"].as_array().cloned().unwrap_or_default();
    rows.iter()
        .flat_map(|row| row.as_array().cloned().unwrap_or_default())
        .find_map(|b| b["url"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no URL button in {message:#}"))
}

async fn balance(control: &Control, user: i64) -> i64 {
    let before = control.bot_messages(user).await.len();
    control.send_text(user, "/profile").await;
    let messages = control.wait_for(user, "/profile", |m| m.len() > before).await;
    let profile = text(&messages[before]).to_owned();
    let line = profile.lines().find(|line| line.starts_with("Besitos:")).expect("a balance line");
    line.trim_start_matches("Besitos:").trim().parse().expect("a number")
}

/// Opens /vip, presses the monthly plan, pays its subscription link;
/// returns the personal invite link the bot then sends.
async fn subscribe_monthly(control: &Control, emulator: &Emulator, user: i64) -> String {
    let before = control.bot_messages(user).await.len();
    control.send_text(user, "/vip").await;
    let page = message_with(control, user, before, "VIP").await;
    let label = buttons(&page).into_iter().find(|(label, _)| label.starts_with("Monthly VIP")).expect("monthly").0;
    let message_id = page["message_id"].as_i64().expect("id");
    let skip = control.bot_messages(user).await.len();
    control.press(user, message_id, &button(&page, &label), false).await;
    let pay = message_with(control, user, skip, "Monthly VIP").await;
    let link = url_button(&pay);
    let skip = control.bot_messages(user).await.len();
    let paid = emulator.post(&format!("/users/{user}/pay"), json!({"invoice_link": link})).await;
    assert!(paid.to_string().contains("charge"), "paid: {paid}");
    message_with(control, user, skip, "Welcome to Diana's circle").await;
    url_button(&message_with(control, user, skip, "it admits one person").await)
}

#[test]
fn a_monthly_subscription_lives_its_lifecycle_in_the_vip_channel() {
    run(async {
        let db = TestDb::postgres().await;
        let env = [("ADMIN_IDS", "900"), ("TEST_CLOCK", "on"), ("TIMER_POLL_MS", "50")];
        let (server, url) = ServerProcess::embedded(&db.url, &env).await;
        let control = Control::new(&url);
        let emulator = Emulator::new(&url);
        let ana = control.create_user("Ana", "en").await;
        control.send_text(ana, "/start").await;
        control.wait_for(ana, "the welcome", |m| !m.is_empty()).await;
        control.send_text(ana, "/story").await;
        let story_before = control.wait_for(ana, "the story", |m| m.len() >= 2).await.len();
        assert!(story_before >= 2);

        // Buy monthly → a personal link → join.
        let link = subscribe_monthly(&control, &emulator, ana).await;
        emulator.post(&format!("/users/{ana}/join"), json!({"invite_link": link})).await;
        emulator.wait_status(ana, "member").await;

        // A VIP post pays VIP rates (❤ 5).
        let paid_before = balance(&control, ana).await;
        let post = control.channel_post_in("vip", "Solo para el círculo").await;
        control.react_in(ana, json!("vip"), post, Some("❤")).await;
        let deadline = Instant::now() + Duration::from_secs(20);
        while balance(&control, ana).await != paid_before + 5 {
            assert!(Instant::now() < deadline, "the VIP reaction was not paid at VIP rates");
        }

        // Reminders 3 and 1 days before the renewal.
        let skip = control.bot_messages(ana).await.len();
        server.advance_clock(27 * DAY + 60).await;
        message_with(&control, ana, skip, "renews in 3 days").await;
        server.advance_clock(2 * DAY).await;
        message_with(&control, ana, skip, "renews in 1 day").await;

        // Telegram renews: the bonus once, even if the payment comes twice.
        let subscriptions = emulator.get("/subscriptions").await;
        let charge = subscriptions[0]["first_charge_id"].as_str().expect("a subscription").to_owned();
        let before_bonus = balance(&control, ana).await;
        let skip = control.bot_messages(ana).await.len();
        let renewed = emulator.post(&format!("/subscriptions/{charge}/renew"), json!({})).await;
        message_with(&control, ana, skip, "Renewal bonus: +50").await;
        let payment_update = renewed["payment_update_id"].as_i64().expect("the renewal's update");
        control.redeliver(payment_update).await;
        assert_eq!(balance(&control, ana).await, before_bonus + 50, "the renewal bonus, once");

        // Later the renewal fails: expiry, grace, removal; the story stays.
        emulator.post(&format!("/subscriptions/{charge}/fail"), json!({})).await;
        let skip = control.bot_messages(ana).await.len();
        server.advance_clock(31 * DAY).await;
        message_with(&control, ana, skip, "Your VIP period ended").await;
        assert_eq!(emulator.vip_status(ana).await, "member", "still in during grace");
        server.advance_clock(3 * DAY).await;
        message_with(&control, ana, skip, "membership is over").await;
        emulator.wait_status(ana, "left").await;
        let skip = control.bot_messages(ana).await.len();
        control.send_text(ana, "/story").await;
        let page = control.wait_for(ana, "the story again", |m| m.len() > skip).await;
        assert!(!text(&page[skip]).is_empty(), "the story is still there");

        // Back: a new subscription, a new link, in again.
        let link = subscribe_monthly(&control, &emulator, ana).await;
        emulator.post(&format!("/users/{ana}/join"), json!({"invite_link": link})).await;
        emulator.wait_status(ana, "member").await;
        drop(server);
        db.drop_db().await;
    });
}

#[test]
fn a_non_vip_in_the_vip_channel_is_removed_and_join_requests_follow_vip() {
    run(async {
        let db = TestDb::postgres().await;
        let env = [("ADMIN_IDS", "900"), ("TEST_CLOCK", "on"), ("TIMER_POLL_MS", "50")];
        let (server, url) = ServerProcess::embedded(&db.url, &env).await;
        let control = Control::new(&url);
        let emulator = Emulator::new(&url);
        let operator = control.create_user_with_id(900, "Op", "en").await;
        control.send_text(operator, "/start").await;
        let (ana, bob) = (control.create_user("Ana", "en").await, control.create_user("Bob", "en").await);
        for user in [ana, bob] {
            control.send_text(user, "/start").await;
            control.wait_for(user, "the welcome", |m| !m.is_empty()).await;
        }

        // Bob gets in by a leaked link: out he goes.
        control.join(bob, "vip", true).await;
        emulator.wait_status(bob, "left").await;

        // Join requests: Ana (VIP) approved, Bob declined with the plans.
        let skip = control.bot_messages(operator).await.len();
        control.send_text(operator, &format!("/grantvip {ana} 7")).await;
        control.wait_for(operator, "the grant", |m| m.len() > skip).await;
        let (status, _) =
            emulator.call(reqwest::Method::PUT, "/chats/vip/settings", Some(json!({"join_by_request": true}))).await;
        assert_eq!(status, 200);
        emulator.post(&format!("/users/{ana}/request-join"), json!({"chat": "vip"})).await;
        emulator.wait_status(ana, "member").await;
        let skip = control.bot_messages(bob).await.len();
        emulator.post(&format!("/users/{bob}/request-join"), json!({"chat": "vip"})).await;
        let offer = message_with(&control, bob, skip, "for members only").await;
        assert!(buttons(&offer).iter().any(|(label, _)| label.starts_with("Monthly VIP")), "{offer:#}");
        assert_ne!(emulator.vip_status(bob).await, "member");
        drop(server);
        db.drop_db().await;
    });
}

/// The user's timers as the store holds them.
async fn timers_of(store: &dianabot_persistence::Store, user: i64) -> Vec<String> {
    let dianabot_persistence::Store::Postgres(pool) = store else { unreachable!("runs on Postgres") };
    sqlx::query_scalar::<_, String>("SELECT name FROM timers WHERE owner_id = $1 ORDER BY name")
        .bind(user)
        .fetch_all(pool)
        .await
        .expect("timers")
}

async fn wait_timers(store: &dianabot_persistence::Store, user: i64, what: &str, done: impl Fn(&[String]) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let timers = timers_of(store, user).await;
        if done(&timers) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}; timers: {timers:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[test]
fn a_removal_cut_short_by_kill_9_happens_once_after_the_restart() {
    run(async {
        let db = TestDb::postgres().await;
        let store = db.store().await;
        let emulator_process = crate::common::server::EmulatorProcess::start().await;
        let url = emulator_process.url();
        let (control, emulator) = (Control::new(&url), Emulator::new(&url));
        let vip = emulator.get("/info").await["vip_channel"].as_i64().expect("a VIP channel").to_string();
        let env = |offset: String| {
            let fixed = [
                ("TELEGRAM_BOT_TOKEN", "123456:TEST".to_owned()),
                ("TELEGRAM_API_URL", url.clone()),
                ("TEST_CLOCK", "on".to_owned()),
                ("TIMER_POLL_MS", "50".to_owned()),
                ("ADMIN_IDS", "900".to_owned()),
                ("VIP_CHANNEL_ID", vip.clone()),
                ("CLOCK_OFFSET_SECS", offset),
            ];
            fixed.to_vec()
        };
        let start = |offset: String| {
            let env = env(offset);
            let db_url = db.url.clone();
            async move {
                let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
                ServerProcess::start(&db_url, &pairs).await
            }
        };
        let mut server = start("0".to_owned()).await;
        let operator = control.create_user_with_id(900, "Op", "en").await;
        let ana = control.create_user("Ana", "en").await;
        for user in [operator, ana] {
            control.send_text(user, "/start").await;
            control.wait_for(user, "the welcome", |m| !m.is_empty()).await;
        }
        // One day of VIP, a link, in.
        control.send_text(operator, &format!("/grantvip {ana} 1")).await;
        let link = url_button(&message_with(&control, ana, 0, "it admits one person").await);
        emulator.post(&format!("/users/{ana}/join"), json!({"invite_link": link})).await;
        emulator.wait_status(ana, "member").await;
        wait_timers(&store, ana, "the link confirmed", |t| !t.iter().any(|name| name == "vip.channel_sync")).await;

        // Telegram refuses the removal; the lapse is durable, the removal
        // waits in the outbox; then the process dies.
        emulator.post("/rate-limits/force", json!({"count": 1000, "methods": ["banChatMember"]})).await;
        server.advance_clock(4 * DAY + 10).await;
        wait_timers(&store, ana, "the lapse with its removal pending", |t| {
            t.iter().any(|name| name == "vip.channel_sync") && !t.iter().any(|name| name == "vip.grace_end")
        })
        .await;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let bans = emulator.get("/calls?method=banChatMember").await;
            if bans.as_array().is_some_and(|calls| calls.iter().any(|call| call["status"].as_u64() == Some(429))) {
                break;
            }
            assert!(Instant::now() < deadline, "no removal was tried: {bans:#}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(emulator.vip_status(ana).await, "member");
        server.kill_hard();
        emulator.post("/rate-limits/force", json!({"count": 0})).await;

        // After the restart the timer fires again: removed, once.
        let server = start((4 * DAY + 10 + 3_600).to_string()).await;
        emulator.wait_status(ana, "left").await;
        wait_timers(&store, ana, "the removal confirmed", |t| t.is_empty()).await;
        let bans = emulator.get("/calls?method=banChatMember").await;
        let done: Vec<&Value> =
            bans.as_array().expect("calls").iter().filter(|call| call["status"].as_u64() == Some(200)).collect();
        assert_eq!(done.len(), 1, "one removal: {bans:#}");
        drop(server);
        drop(emulator_process);
        db.drop_db().await;
    });
}
