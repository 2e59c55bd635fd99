//! The community games through the running binary and its emulator, as
//! players and an operator meet them: a trivia set answered for a score
//! and a reward, refused past the daily quota and after a question's
//! window; a referral paid to both players once at the milestone, with
//! self-referral and a second claim refused; a timed event, scheduled by
//! editing the content and /reload, doubling reaction rewards only inside
//! its window.

use std::time::{Duration, Instant};

use dianabot_persistence::Store;
use serde_json::Value;

use crate::common::control::{Control, button, buttons, text};
use crate::common::server::ServerProcess;
use crate::common::{TestDb, run};
use crate::content_reload::demo_copy;
use dianabot_game::UserId;

/// Sends `command` and returns the bot's next message.
async fn ask(control: &Control, user: i64, command: &str) -> Value {
    let before = control.bot_messages(user).await.len();
    control.send_text(user, command).await;
    let messages = control.wait_for(user, command, |messages| messages.len() > before).await;
    messages[before].clone()
}

/// Presses `data` on `message` and returns the message once its text changed.
async fn press(control: &Control, user: i64, message: &Value, data: &str) -> Value {
    let message_id = message["message_id"].as_i64().expect("message id");
    let before = text(message).to_owned();
    let pressed = control.press(user, message_id, data, false).await;
    assert!(pressed["answer"].is_object(), "the press was not answered: {pressed}");
    let messages = control
        .wait_for(user, "the message to change", |m| {
            m.iter().any(|m| m["message_id"].as_i64() == Some(message_id) && text(m) != before)
        })
        .await;
    messages.into_iter().find(|m| m["message_id"].as_i64() == Some(message_id)).expect("message")
}

/// The besitos a player's profile shows.
async fn besitos(control: &Control, user: i64) -> i64 {
    let profile = ask(control, user, "/profile").await;
    let line = text(&profile).lines().find_map(|line| line.strip_prefix("Besitos: ")).map(str::to_owned);
    line.expect("a besitos line").parse().expect("a number")
}

async fn registered(control: &Control, name: &str) -> i64 {
    let user = control.create_user(name, "en").await;
    control.send_text(user, "/start").await;
    control.wait_for(user, "the welcome", |messages| !messages.is_empty()).await;
    user
}

#[test]
fn a_trivia_set_scores_and_pays_and_is_refused_past_the_quota_and_the_window() {
    run(async {
        let db = TestDb::postgres().await;
        let (server, emulator) = ServerProcess::embedded(&db.url, &[("TEST_CLOCK", "on")]).await;
        let control = Control::new(&emulator);
        let ana = registered(&control, "Ana").await;
        assert_eq!(besitos(&control, ana).await, 10);

        // The sets, then the first question of the mansion.
        let list = ask(&control, ana, "/trivia").await;
        assert!(text(&list).contains("2 of 2 sets left today"), "{}", text(&list));
        assert!(text(&list).contains("Secrets of the divan ⭐ VIP"), "VIP sets are marked: {}", text(&list));
        let mut page = press(&control, ana, &list, &button(&list, "▶️ The mansion")).await;
        assert!(text(&page).contains("question 1 of 3 (easy, 10 pts)"), "{}", text(&page));
        assert!(text(&page).contains("Who welcomes you to the mansion?"), "{}", text(&page));
        let first_answer = button(&page, "Lucien");
        page = press(&control, ana, &page, &first_answer).await;
        assert!(text(&page).contains("✅ Right! +10 pts · streak 1"), "{}", text(&page));
        // The same question's button again: answered once.
        let again = control.press(ana, page["message_id"].as_i64().unwrap(), &first_answer, true).await;
        assert!(again["answer"].is_object(), "{again}");
        let refused = control
            .wait_for(ana, "the second answer refused", |m| {
                m.iter().any(|m| text(m).contains("you already answered that question"))
            })
            .await;
        page = refused.into_iter().find(|m| m["message_id"] == page["message_id"]).expect("the page");
        assert!(text(&page).contains("question 2 of 3"), "the question asked stays: {}", text(&page));
        // To the sets and back to the question, then the rest of the set.
        page = press(&control, ana, &page, &button(&page, "🧠 Trivia")).await;
        page = press(&control, ana, &page, &button(&page, "▶️ Back to the question")).await;
        assert!(text(&page).contains("question 2 of 3"), "{}", text(&page));
        page = press(&control, ana, &page, &button(&page, "Besitos")).await;
        assert!(text(&page).contains("✅ Right! +20 pts · streak 2"), "{}", text(&page));
        page = press(&control, ana, &page, &button(&page, "Clues")).await;
        assert!(text(&page).contains("🏁 The mansion done: 3 of 3 right, 60 pts."), "{}", text(&page));
        assert!(text(&page).contains("Reward: 12 besitos · best streak 3"), "{}", text(&page));
        assert_eq!(besitos(&control, ana).await, 22);

        // The second set of the day: an answer past its 30 seconds does not count.
        let list = ask(&control, ana, "/trivia").await;
        assert!(text(&list).contains("1 of 2 sets left today"), "{}", text(&list));
        page = press(&control, ana, &list, &button(&list, "▶️ The mansion")).await;
        server.advance_clock(31).await;
        page = press(&control, ana, &page, &button(&page, "Lucien")).await;
        assert!(text(&page).contains("⌛ Too late: that answer does not count."), "{}", text(&page));
        assert!(text(&page).contains("question 2 of 3"), "the next question is asked: {}", text(&page));

        // A third set today: refused, with when more come.
        let list = ask(&control, ana, "/trivia").await;
        assert!(text(&list).contains("0 of 2 sets left today"), "{}", text(&list));
        let refused = press(&control, ana, &list, &button(&list, "▶️ The mansion")).await;
        assert!(text(&refused).contains("you have played your 2 trivia sets today; more from"), "{}", text(&refused));
        assert!(text(&refused).contains("00:00 UTC"), "{}", text(&refused));
        assert_eq!(besitos(&control, ana).await, 22, "nothing paid for refusals");

        // Every answer is an analytics row the trivia leaderboard sums.
        let store = db.store().await;
        let answers = analytics(&store, ana, "trivia_answer").await;
        let expected = [("mansion/1", 10), ("mansion/2", 20), ("mansion/3", 30), ("mansion/1", 0)];
        assert_eq!(answers, expected.map(|(subject, points)| (subject.to_owned(), points)));
        drop(server);
        db.drop_db().await;
    });
}

#[test]
fn a_referral_pays_both_players_once_at_the_milestone() {
    run(async {
        let db = TestDb::postgres().await;
        let (server, emulator) = ServerProcess::embedded(&db.url, &[("TIMER_POLL_MS", "50")]).await;
        let control = Control::new(&emulator);
        let ana = registered(&control, "Ana").await;

        let invite = ask(&control, ana, "/invite").await;
        let link = text(&invite).lines().find_map(|line| line.strip_prefix("Your link: ")).expect("a link").to_owned();
        assert!(link.starts_with("https://t.me/"), "{link}");
        let payload = link.split_once("?start=").expect("a start payload").1.to_owned();
        assert!(payload.starts_with("r_"), "{payload}");

        // Her own link: refused.
        let own = ask(&control, ana, &format!("/start {payload}")).await;
        assert!(text(&own).contains("you cannot invite yourself"), "{}", text(&own));
        let bea = control.create_user("Bea", "en").await;
        let welcome = ask(&control, bea, &format!("/start {payload}")).await;
        assert!(text(&welcome).contains("A friend invited you: take 2 story decisions"), "{}", text(&welcome));
        // A second claim: refused.
        let second = ask(&control, bea, &format!("/start {payload}")).await;
        assert!(text(&second).contains("an invitation counts only for a new player"), "{}", text(&second));

        // Bea takes two decisions: both are paid, once.
        let page = ask(&control, bea, "/historia").await;
        let page = press(&control, bea, &page, &buttons(&page)[0].1).await;
        assert!(!text(&page).contains("Invitation fulfilled"), "{}", text(&page));
        let page = press(&control, bea, &page, &buttons(&page)[0].1).await;
        assert!(text(&page).contains("💌 Invitation fulfilled: +20 besitos."), "{}", text(&page));
        let notices = control
            .wait_for(ana, "Ana's referral notice", |m| m.iter().any(|m| text(m).contains("reached the milestone")))
            .await;
        let notice = notices.iter().find(|m| text(m).contains("reached the milestone")).expect("notice");
        assert!(text(notice).contains("+50 besitos. Balance: 60"), "{}", text(notice));
        assert_eq!(besitos(&control, ana).await, 60);

        // More decisions pay nothing more to either.
        let page = press(&control, bea, &page, &buttons(&page)[0].1).await;
        assert!(!text(&page).contains("Invitation fulfilled"), "{}", text(&page));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(besitos(&control, ana).await, 60);
        let notices = control.bot_messages(ana).await;
        assert_eq!(notices.iter().filter(|m| text(m).contains("reached the milestone")).count(), 1);
        let store = db.store().await;
        assert_eq!(analytics(&store, ana, "referral_rewarded").await, [(bea.to_string(), 50)]);
        assert_eq!(analytics(&store, bea, "referral_claimed").await, [(ana.to_string(), 0)]);
        drop(server);
        db.drop_db().await;
    });
}

#[test]
fn timed_events_double_reaction_rewards_and_sprint_a_board_only_inside_their_window() {
    run(async {
        let db = TestDb::postgres().await;
        let dir = demo_copy();
        let content_dir = dir.display().to_string();
        let env = [("ADMIN_IDS", "900"), ("TEST_CLOCK", "on"), ("CONTENT_DIR", content_dir.as_str())];
        let (server, emulator) = ServerProcess::embedded(&db.url, &env).await;
        let control = Control::new(&emulator);
        let ana = registered(&control, "Ana").await;
        let operator = control.create_user_with_id(900, "Op", "en").await;

        // The operator schedules a double night an hour from now, and a
        // sprint on the reactions board (each reaction counts three) with it.
        let now = dianabot_plumbing::unix_now();
        let from = chrono::DateTime::from_timestamp(now + 3_600, 0).expect("time");
        let until = chrono::DateTime::from_timestamp(now + 7_200, 0).expect("time");
        let events = format!(
            "[[event]]\nid = \"doble\"\nname.es = \"Noche doble\"\nname.en = \"Double night\"\n\
             from = {from}\nuntil = {until}\neffect = \"reaction_multiplier\"\nmultiplier = 2\n\n\
             [[event]]\nid = \"sprint\"\nname.es = \"Sprint\"\nname.en = \"Sprint\"\n\
             from = {from}\nuntil = {until}\neffect = \"leaderboard_sprint\"\nboard = \"reactions_week\"\nmultiplier = 3\n",
            from = from.format("%Y-%m-%dT%H:%M:%SZ"),
            until = until.format("%Y-%m-%dT%H:%M:%SZ"),
        );
        std::fs::write(dir.join("events.toml"), events).expect("write events.toml");
        assert!(text(&ask(&control, operator, "/reload").await).starts_with("✅"), "reloaded");
        let coming = ask(&control, ana, "/events").await;
        assert!(text(&coming).contains("🗓 coming Double night: reactions pay ×2"), "{}", text(&coming));

        let store = db.store().await;
        let react = |count: usize| {
            let (control, store) = (&control, &store);
            async move {
                let post = control.channel_post("Diana, en el diván").await;
                control.react(ana, post, Some("❤")).await;
                reaction_paid(store, ana, count).await
            }
        };
        // content/reactions.toml: ❤ on a free post pays 3.
        assert_eq!(react(1).await, 3, "before the event");
        server.advance_clock(3_600).await;
        assert_eq!(react(2).await, 6, "inside the event");
        let banner = ask(&control, ana, "/profile").await;
        assert!(text(&banner).starts_with("🎉 Double night: reactions pay ×2 until"), "{}", text(&banner));
        server.advance_clock(3_600).await;
        assert_eq!(react(3).await, 3, "after the event");
        assert!(!text(&ask(&control, ana, "/profile").await).contains("🎉"), "no banner after it");
        // The reactions board: 1 before, 3 inside the sprint, 1 after.
        let sql = "SELECT score FROM leaderboard_scores WHERE metric = 'reactions' AND period = 0 AND user_id = $1";
        let score: (i64,) = match &store {
            Store::Postgres(pool) => sqlx::query_as(sql).bind(ana).fetch_one(pool).await,
            Store::Sqlite(pool) => sqlx::query_as(sql).bind(ana).fetch_one(pool).await,
        }
        .expect("a reactions score");
        assert_eq!(score.0, 5, "the sprint counted the reaction inside it three times");
        drop(server);
        db.drop_db().await;
        std::fs::remove_dir_all(dir).ok();
    });
}

/// `(subject, amount)` of `user`'s analytics rows of `kind`, in time order.
async fn analytics(store: &Store, user: i64, kind: &str) -> Vec<(String, i64)> {
    let sql = "SELECT subject, amount FROM analytics_events WHERE user_id = $1 AND kind = $2 ORDER BY at, subject";
    let rows = match store {
        Store::Postgres(pool) => sqlx::query_as(sql).bind(user).bind(kind).fetch_all(pool).await,
        Store::Sqlite(pool) => sqlx::query_as(sql).bind(user).bind(kind).fetch_all(pool).await,
    };
    rows.expect("analytics rows")
}

/// The amount of `user`'s newest reaction payment, once `count` were paid.
async fn reaction_paid(store: &Store, user: i64, count: usize) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let ledger = store.recent_ledger(UserId(user), 20).await.expect("ledger");
        let paid: Vec<i64> =
            ledger.iter().filter(|(_, reason, _)| reason == "reaction").map(|(amount, _, _)| *amount).collect();
        if paid.len() == count {
            return paid[0];
        }
        assert!(Instant::now() < deadline, "reaction {count} was never paid: {ledger:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// hardening
/// `user`'s referral rewards in the ledger: their sum and how many entries.
async fn referral_rewards(store: &Store, user: i64) -> (i64, i64) {
    let Store::Postgres(pool) = store else { unreachable!("runs on Postgres") };
    let sql = "SELECT COALESCE(SUM(amount), 0)::BIGINT, COUNT(*) FROM ledger
               WHERE user_id = $1 AND reason = 'referral_reward'";
    sqlx::query_as(sql).bind(user).fetch_one(pool).await.expect("referral rewards")
}

/// Whether `user`'s `ReferralReward` timer (the inviter's outbox) is stored.
async fn referral_timer_stored(store: &Store, user: i64) -> bool {
    let Store::Postgres(pool) = store else { unreachable!("runs on Postgres") };
    let sql = "SELECT COUNT(*) FROM timers WHERE owner_id = $1 AND name = 'referral.reward'";
    sqlx::query_scalar::<_, i64>(sql).bind(user).fetch_one(pool).await.expect("timers") > 0
}

/// The process dies between the referral's two halves — first with the
/// inviter's settlement half applied in memory, then with it durable but
/// the invited player's timer not yet cleared — and is restarted each
/// time (polling a separate emulator, which outlives it as Telegram
/// does): the invited player is paid once at the milestone, the inviter
/// once by the timer, whatever the restarts.
#[test]
fn a_crash_between_the_milestone_and_the_inviters_settlement_pays_each_player_once() {
    use crate::common::server::EmulatorProcess;
    run(async {
        let db = TestDb::postgres().await;
        let store = db.store().await;
        let emulator = EmulatorProcess::start().await;
        let api_url = emulator.url();
        let control = Control::new(&api_url);
        let env = |faults: Option<&'static str>| {
            let mut env = vec![
                ("TELEGRAM_BOT_TOKEN", "123456:TEST"),
                ("TELEGRAM_API_URL", api_url.as_str()),
                ("TEST_CLOCK", "on"),
                ("TIMER_POLL_MS", "50"),
            ];
            env.extend(faults.map(|faults| ("TEST_FAULTS", faults)));
            env
        };

        // First life: the milestone is durable (Bea's reward, the timer),
        // then the process dies settling Ana's half, before it is durable.
        let mut server = ServerProcess::start(&db.url, &env(Some("abort_mid_apply=referral_settle"))).await;
        let ana = registered(&control, "Ana").await;
        let invite = ask(&control, ana, "/invite").await;
        let link = text(&invite).lines().find_map(|line| line.strip_prefix("Your link: ")).expect("a link").to_owned();
        let payload = link.split_once("?start=").expect("a start payload").1.to_owned();
        let bea = control.create_user("Bea", "en").await;
        let welcome = ask(&control, bea, &format!("/start {payload}")).await;
        assert!(text(&welcome).contains("A friend invited you"), "{}", text(&welcome));
        let page = ask(&control, bea, "/historia").await;
        let page = press(&control, bea, &page, &buttons(&page)[0].1).await;
        let message_id = page["message_id"].as_i64().expect("message id");
        control.press(bea, message_id, &buttons(&page)[0].1, false).await;
        assert!(server.wait_exit(Duration::from_secs(30)), "should have died settling; log:\n{}", server.log_text());
        assert_eq!(referral_rewards(&store, bea).await, (20, 1), "the milestone is durable");
        assert_eq!(referral_rewards(&store, ana).await, (0, 0), "nothing of the settlement is durable");
        assert!(referral_timer_stored(&store, bea).await, "the settlement waits in Bea's timer");

        // Second life: the timer fires again; Ana's half is durable, then
        // the process dies before Bea's timer is cleared (maybe before it
        // is even ready: the timers start first).
        let mut server = ServerProcess::spawn(&db.url, &env(Some("abort_after_settle=1")));
        assert!(
            server.wait_exit(Duration::from_secs(30)),
            "should have died after settling; log:\n{}",
            server.log_text()
        );
        assert_eq!(referral_rewards(&store, ana).await, (50, 1), "the settlement is durable");
        assert!(referral_timer_stored(&store, bea).await, "the timer was not cleared");

        // Third life: the timer fires once more and finds Ana settled: it
        // clears, paying nothing more.
        let _server = ServerProcess::start(&db.url, &env(None)).await;
        let deadline = Instant::now() + Duration::from_secs(30);
        while referral_timer_stored(&store, bea).await || control.pending_updates().await > 0 {
            assert!(Instant::now() < deadline, "the referral timer never cleared, or updates were left undelivered");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(referral_rewards(&store, ana).await, (50, 1), "the inviter paid once");
        assert_eq!(referral_rewards(&store, bea).await, (20, 1), "the invited player paid once");
        assert_eq!(analytics(&store, ana, "referral_rewarded").await, [(bea.to_string(), 50)]);
        assert_eq!(besitos(&control, ana).await, 60);
        db.drop_db().await;
    });
}
