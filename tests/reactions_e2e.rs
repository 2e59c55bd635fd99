//! Reactions as a player and an operator meet them: the running binary with
//! its built-in emulator. Diana posts in the channels, Ana reacts and sees
//! the besitos arrive in her profile; a reaction on something that is not a
//! channel post pays nothing; the operator reads each post's engagement.

mod common;

#[path = "common/control.rs"]
mod control;
#[path = "common/server.rs"]
mod server;

use std::time::{Duration, Instant};

use common::{TestDb, run};
use control::{Control, text};
use serde_json::json;
use server::ServerProcess;

const OPERATOR: i64 = 900;

/// Waits until the server has acknowledged every update (durable).
async fn settled(control: &Control) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while control.pending_updates().await > 0 {
        assert!(Instant::now() < deadline, "updates still pending");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The text of the bot's answer to `command`, sent by `user`.
async fn ask(control: &Control, user: i64, command: &str) -> String {
    let before = control.bot_messages(user).await.len();
    control.send_text(user, command).await;
    let messages = control.wait_for(user, command, |messages| messages.len() > before).await;
    text(&messages[before]).to_owned()
}

#[test]
fn reacting_to_channel_posts_pays_besitos_once_and_operators_see_engagement() {
    run(async {
        let db = TestDb::postgres().await;
        let (server, emulator) = ServerProcess::embedded(&db.url, &[("ADMIN_IDS", "900")]).await;
        let control = Control::new(&emulator);
        let ana = control.create_user("Ana", "en").await;
        let operator = control.create_user_with_id(OPERATOR, "Op", "en").await;
        control.send_text(ana, "/start").await;
        control.wait_for(ana, "the welcome", |messages| !messages.is_empty()).await;
        let profile = |besitos: i64, reactions: i64| {
            format!("👤 Profile\nName: Ana\nLanguage: English\nBesitos: {besitos}\nReactions: {reactions}\nItems: 0")
        };
        assert_eq!(ask(&control, ana, "/profile").await, profile(10, 0));

        let free = control.channel_post("Diana: hoy, en el diván…").await;
        control.react(ana, free, Some("❤")).await;
        settled(&control).await;
        // content/reactions.toml: ❤ on a free post pays 3.
        assert_eq!(ask(&control, ana, "/profile").await, profile(13, 1));

        // Removed, then set again: Telegram says it was added; not paid twice.
        control.react(ana, free, None).await;
        control.react(ana, free, Some("❤")).await;
        // A different emoji on the same post is a new reaction: 🔥 pays 2.
        control.react(ana, free, Some("🔥")).await;
        settled(&control).await;
        assert_eq!(ask(&control, ana, "/profile").await, profile(15, 2));

        // The VIP channel's posts pay VIP rates (❤ 5).
        control.join(ana, "vip", true).await;
        let vip = control.channel_post_in("vip", "Diana, solo para el círculo").await;
        control.react_in(ana, json!("vip"), vip, Some("❤")).await;
        settled(&control).await;
        // That was her third paid reaction today: the daily mission pays 10.
        assert_eq!(ask(&control, ana, "/profile").await, profile(30, 3));

        // Not a channel post: the bot's own message in her private chat.
        let welcome = control.bot_messages(ana).await[0]["message_id"].as_i64().unwrap();
        control.react_in(ana, json!(ana), welcome, Some("❤")).await;
        settled(&control).await;
        assert_eq!(ask(&control, ana, "/profile").await, profile(30, 3));

        let report = ask(&control, operator, "/posts").await;
        assert_eq!(
            report,
            format!(
                "📊 Latest posts\n\
                 #{vip} 💎 “Diana, solo para el círculo”\n   1 reactions · 1 people · 5 besitos\n\
                 #{free} “Diana: hoy, en el diván…”\n   2 reactions · 1 people · 5 besitos"
            )
        );
        // Players do not get the operator's report.
        assert!(!ask(&control, ana, "/posts").await.starts_with("📊"));
        drop(server);
        db.drop_db().await;
    });
}
