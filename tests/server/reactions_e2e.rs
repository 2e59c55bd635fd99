//! Reactions as a player and an operator meet them: the running binary with
//! its built-in emulator. Diana posts in the channels, Ana reacts and sees
//! the besitos arrive in her profile; a reaction on something that is not a
//! channel post pays nothing; the operator reads each post's engagement.
//! Ana also reacts to the story pages in her chat with the bot, which pay
//! once per fragment and emoji.

use std::time::{Duration, Instant};

use crate::common::control::{Control, buttons, text};
use crate::common::server::ServerProcess;
use crate::common::{TestDb, run};
use dianabot_game::UserId;
use dianabot_persistence::Store;
use serde_json::json;

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

/// The server on `db`, with Ana registered and an operator.
async fn ana_and_an_operator(db: &TestDb) -> (ServerProcess, Control, i64, i64) {
    let (server, emulator) = ServerProcess::embedded(&db.url, &[("ADMIN_IDS", "900")]).await;
    let control = Control::new(&emulator);
    let ana = control.create_user("Ana", "en").await;
    let operator = control.create_user_with_id(OPERATOR, "Op", "en").await;
    control.send_text(ana, "/start").await;
    control.wait_for(ana, "the welcome", |messages| !messages.is_empty()).await;
    (server, control, ana, operator)
}

/// Ana's besitos, as her profile shows them.
async fn besitos(control: &Control, user: i64) -> i64 {
    let profile = ask(control, user, "/profile").await;
    let line = profile.lines().find_map(|line| line.strip_prefix("Besitos: ")).expect("a besitos line");
    line.parse().expect("a number of besitos")
}

/// Waits until `user`'s durable state knows `message` as a story page (the
/// bot learns a sent message's id after sending it, as Telegram answers);
/// returns the fragment it shows.
async fn story_page(store: &Store, user: i64, message: i64) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let state = store.load_user(UserId(user)).await.expect("load").expect("registered");
        if let Some(fragment) = state.progress.story.pages.get(&(message as i32)) {
            return fragment.clone();
        }
        assert!(Instant::now() < deadline, "message {message} never became a story page");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[test]
fn reacting_to_story_pages_pays_each_fragment_once_per_emoji() {
    run(async {
        let db = TestDb::postgres().await;
        let store = db.store().await;
        let (server, control, ana, operator) = ana_and_an_operator(&db).await;
        let react = |message: i64, emoji: Option<&'static str>| {
            let control = &control;
            async move {
                control.react_in(ana, json!(ana), message, emoji).await;
                settled(control).await;
            }
        };

        // /historia sends the page as a new message.
        let before = control.bot_messages(ana).await.len();
        control.send_text(ana, "/historia").await;
        let messages = control.wait_for(ana, "the story page", |messages| messages.len() > before).await;
        let page = messages[before]["message_id"].as_i64().unwrap();
        assert!(text(&messages[before]).starts_with("📖"), "{}", text(&messages[before]));
        let start = story_page(&store, ana, page).await;

        // content/reactions.toml: ❤ on a fragment pays 2, 🔥 pays 1.
        let mut balance = besitos(&control, ana).await;
        react(page, Some("❤")).await;
        assert_eq!(besitos(&control, ana).await, balance + 2);
        balance += 2;
        // Removed and set again: not paid twice.
        react(page, None).await;
        react(page, Some("❤")).await;
        assert_eq!(besitos(&control, ana).await, balance);

        // A decision edits the page in place: the message now shows the
        // next fragment, and the emojis on it are news for that fragment.
        let decision = buttons(&control.bot_messages(ana).await[before])[0].1.clone();
        control.press(ana, page, &decision, false).await;
        settled(&control).await;
        balance = besitos(&control, ana).await;
        let next = story_page(&store, ana, page).await;
        assert_ne!(next, start);
        react(page, Some("🔥")).await;
        assert_eq!(besitos(&control, ana).await, balance + 1);
        react(page, Some("❤")).await;
        // Her third paid reaction today: the daily mission pays 10 more.
        assert_eq!(besitos(&control, ana).await, balance + 1 + 2 + 10);
        balance += 13;

        // The same fragment on another page is the same thing to react to.
        let before = control.bot_messages(ana).await.len();
        control.send_text(ana, "/historia").await;
        let messages = control.wait_for(ana, "a second page", |messages| messages.len() > before).await;
        let second_page = messages[before]["message_id"].as_i64().unwrap();
        assert_eq!(story_page(&store, ana, second_page).await, next);
        react(second_page, Some("❤")).await;
        assert_eq!(besitos(&control, ana).await, balance);

        // The operator's report counts reactions per fragment.
        let report = ask(&control, operator, "/posts").await;
        let pages = report.split_once("📖 Story pages most reacted to\n").expect("a story section").1;
        assert_eq!(
            pages,
            format!("{next} · 2 reactions · 1 person · 3 besitos\n{start} · 1 reaction · 1 person · 2 besitos")
        );
        drop(server);
        db.drop_db().await;
    });
}

#[test]
fn reacting_to_channel_posts_pays_besitos_once_and_operators_see_engagement() {
    run(async {
        let db = TestDb::postgres().await;
        let (server, control, ana, operator) = ana_and_an_operator(&db).await;
        let profile = |besitos: i64, reactions: i64| {
            format!(
                "👤 Profile\nName: Ana\nLanguage: English\nBesitos: {besitos}\nReactions: {reactions}\nItems: 0\n\
                 🎭 Your style: still to be discovered. Keep playing."
            )
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

        // The VIP channel's posts pay VIP rates (❤ 5) to VIP members.
        ask(&control, operator, &format!("/grantvip {ana} 7")).await;
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
                 #{vip} 💎 “Diana, solo para el círculo”\n   1 reaction · 1 person · 5 besitos\n\
                 #{free} “Diana: hoy, en el diván…”\n   2 reactions · 1 person · 5 besitos"
            )
        );
        // Players do not get the operator's report.
        assert!(!ask(&control, ana, "/posts").await.starts_with("📊"));
        drop(server);
        db.drop_db().await;
    });
}
