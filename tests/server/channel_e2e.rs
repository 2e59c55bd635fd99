//! Channel content end to end: an operator's broadcast to 10,000 players
//! paced to the global rate, surviving a `kill -9` without sending anyone
//! the message twice and skipping those who opted out; deep links into the
//! story; a fragment teaser in the channel whose reactions pay.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use crate::common::control::{Control, text};
use crate::common::server::{EmulatorProcess, ServerProcess};
use crate::common::{TestDb, run};
use dianabot_game::UserId;
use dianabot_persistence::{Broadcast, BroadcastStatus, Store};
use serde_json::Value;

const OPERATOR: i64 = 900;
const PLAYERS: i64 = 10_000;
const FIRST: i64 = 1_000_001;
/// Every 100th player opted out; the last ten never talked to the bot
/// (the emulator answers 403, as for a player who blocked it).
const BLOCKED: i64 = 10;
const GLOBAL_PER_SEC: usize = 500;
const MESSAGE: &str = "Esta noche, capítulo nuevo";

fn opted_out(user: i64) -> bool {
    (user - FIRST) % 100 == 50
}

async fn the_job(store: &Store) -> Option<Broadcast> {
    store.broadcasts(1).await.expect("broadcasts").into_iter().next()
}

/// Waits until the job satisfies `done`.
async fn wait_job(store: &Store, what: &str, log: impl Fn() -> String, done: impl Fn(&Broadcast) -> bool) -> Broadcast {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        if let Some(job) = the_job(store).await
            && done(&job)
        {
            return job;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}: {:?}\nlog:\n{}", the_job(store).await, log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Most calls in any window of one second.
fn busiest_second(calls: &[Value]) -> usize {
    let times: Vec<u64> = calls.iter().filter_map(|call| call["at_ms"].as_u64()).collect();
    let mut busiest = 0;
    let mut start = 0;
    for end in 0..times.len() {
        while times[end] - times[start] >= 1_000 {
            start += 1;
        }
        busiest = busiest.max(end - start + 1);
    }
    busiest
}

#[test]
fn a_broadcast_reaches_every_player_once_at_the_global_rate_across_a_kill_9() {
    run(async {
        let db = TestDb::postgres().await;
        let store = db.store().await;
        let emulator = EmulatorProcess::start().await;
        let control = Control::new(&emulator.url());
        let players: Vec<i64> = (FIRST..FIRST + PLAYERS).collect();
        let blocked: BTreeSet<i64> = players[players.len() - BLOCKED as usize..].iter().copied().collect();
        // Telegram knows them (the bot may write to all but the blocked)…
        for chunk in players.chunks(200) {
            let creations = chunk.iter().map(|&user| {
                let control = &control;
                let started = !blocked.contains(&user);
                async move { control.create_user_started(user, started).await }
            });
            futures_util::future::join_all(creations).await;
        }
        // …and so does the server: registered players, straight in its store.
        dianabot_test_support::register_in_store(&store, players.iter().map(|&user| (user, opted_out(user)))).await;
        control.create_user_with_id(OPERATOR, "Op", "es").await;

        let (rate, api_url) = (GLOBAL_PER_SEC.to_string(), emulator.url());
        let env = [
            ("TELEGRAM_BOT_TOKEN", "123456:TEST"),
            ("TELEGRAM_API_URL", api_url.as_str()),
            ("ADMIN_IDS", "900"),
            ("OUTBOUND_GLOBAL_PER_SEC", rate.as_str()),
        ];
        let mut server = ServerProcess::start(&db.url, &env).await;
        control.send_text(OPERATOR, "/start").await;
        control.wait_for(OPERATOR, "the welcome", |m| !m.is_empty()).await;
        control.send_text(OPERATOR, &format!("/difundir {MESSAGE}")).await;
        let audience = PLAYERS - PLAYERS / 100 + 1; // the operator is a player too
        let created = control
            .wait_for(OPERATOR, "the job's answer", |m| m.iter().any(|m| text(m).starts_with("📣 Difusión #")))
            .await;
        let answer = created.iter().map(text).find(|t| t.starts_with("📣 Difusión #")).unwrap_or_default().to_owned();
        assert!(answer.contains(&format!("{audience} jugadores")), "{answer}");

        // kill -9 a third of the way through.
        wait_job(&store, "a third of the players", || server.log_text(), |job| job.cursor > FIRST + PLAYERS / 3).await;
        server.kill_hard();
        let killed_at = dianabot_plumbing::unix_now_millis();
        let cut = the_job(&store).await.expect("the job");
        assert_eq!(cut.status, BroadcastStatus::Running, "the kill came too late");
        let server = ServerProcess::start(&db.url, &env).await;
        let job =
            wait_job(&store, "the job done", || server.log_text(), |job| job.status == BroadcastStatus::Done).await;

        let sends = control.calls("sendMessage").await;
        let broadcast: Vec<&Value> =
            sends.iter().filter(|call| call["params"]["text"].as_str().is_some_and(|t| t.contains(MESSAGE))).collect();
        let mut received: BTreeMap<i64, usize> = BTreeMap::new();
        for call in broadcast.iter().filter(|call| call["status"] == 200) {
            *received.entry(call["chat_id"].as_i64().expect("a chat")).or_default() += 1;
        }
        let twice: Vec<_> = received.iter().filter(|(_, count)| **count > 1).collect();
        assert!(twice.is_empty(), "players who got the message twice: {twice:?}");
        assert!(received.keys().all(|&user| !opted_out(user)), "an opted-out player got it");
        assert!(received.keys().all(|user| !blocked.contains(user)));
        // The batch in flight at the kill: moved past before it was sent,
        // so its outcomes are unknown — some arrived, some were lost — and
        // none was sent again.
        let batch = dianabot::telegram::broadcast::BATCH;
        let missing = players
            .iter()
            .copied()
            .chain([OPERATOR])
            .filter(|&user| !opted_out(user) && !blocked.contains(&user) && !received.contains_key(&user))
            .count() as i64;
        let delivered_unconfirmed = received.len() as i64 - job.sent;
        assert!((0..=batch).contains(&delivered_unconfirmed), "{job:?}, {} received", received.len());
        assert_eq!(job.unknown, missing + delivered_unconfirmed, "{job:?}");
        assert!(job.unknown <= batch, "{job:?}");
        assert_eq!(job.skipped, PLAYERS / 100);
        assert_eq!(job.failed, BLOCKED, "the players who blocked the bot, not retried");
        assert_eq!(job.sent + job.failed + job.unknown + job.skipped, PLAYERS + 1);
        assert_eq!(job.in_flight, 0);

        // Telegram's global rate, as the emulator saw it (both servers).
        // Both processes count: the restarted one waits the window out.
        let (before, after): (Vec<Value>, Vec<Value>) =
            sends.iter().cloned().partition(|call| call["at_ms"].as_u64().is_some_and(|at| at < killed_at));
        let busiest = busiest_second(&sends);
        assert!(
            busiest <= GLOBAL_PER_SEC,
            "{busiest} sendMessage in one second ({} before the kill, {} after)",
            busiest_second(&before),
            busiest_second(&after)
        );
        assert!(busiest >= GLOBAL_PER_SEC / 5, "the test did not approach the limit: {busiest}/s");

        let report = control
            .wait_for(OPERATOR, "the completion report", |m| m.iter().any(|m| text(m).contains("terminada")))
            .await;
        let report = report.iter().map(text).find(|t| t.contains("terminada")).unwrap_or_default().to_owned();
        assert!(report.contains(&format!("{} enviados", job.sent)), "{report}");
        let jobs = {
            let before = control.bot_messages(OPERATOR).await.len();
            control.send_text(OPERATOR, "/difusiones").await;
            let messages = control.wait_for(OPERATOR, "/difusiones", |m| m.len() > before).await;
            text(&messages[before]).to_owned()
        };
        assert!(jobs.contains(&format!("#{} ✅ terminada", job.id)), "{jobs}");
        drop(server);
        store.close().await;
        db.drop_db().await;
    });
}

#[test]
fn opting_out_is_the_players_own_durable_choice() {
    run(async {
        let db = TestDb::postgres().await;
        let store = db.store().await;
        let (server, emulator) = ServerProcess::embedded(&db.url, &[]).await;
        let control = Control::new(&emulator);
        let ana = control.create_user("Ana", "es").await;
        control.send_text(ana, "/start").await;
        control.wait_for(ana, "the welcome", |m| !m.is_empty()).await;
        for (command, expected, opted_out) in
            [("/noticias off", "🔕", true), ("/noticias", "🔕", true), ("/noticias on", "🔔", false)]
        {
            let before = control.bot_messages(ana).await.len();
            control.send_text(ana, command).await;
            let messages = control.wait_for(ana, command, |m| m.len() > before).await;
            assert!(text(&messages[before]).starts_with(expected), "{command}: {}", text(&messages[before]));
            let state = store.load_user(UserId(ana)).await.unwrap().unwrap();
            assert_eq!(state.profile.unwrap().broadcasts_opt_out, opted_out, "{command}");
        }
        drop(server);
        store.close().await;
        db.drop_db().await;
    });
}

#[test]
fn a_deep_link_opens_its_fragment_by_the_story_rules() {
    run(async {
        let db = TestDb::postgres().await;
        let store = db.store().await;
        let (server, emulator) = ServerProcess::embedded(&db.url, &[]).await;
        let control = Control::new(&emulator);

        // A new player on the story's start: registered, welcomed, on the page.
        let ana = control.create_user("Ana", "es").await;
        control.send_text(ana, "/start f_l1_umbral").await;
        let messages = control.wait_for(ana, "welcome and page", |m| m.len() >= 2).await;
        assert!(text(&messages[0]).contains("Bienvenid") || text(&messages[0]).contains("Lucien"), "{messages:#?}");
        assert!(text(&messages[1]).contains("La puerta se abre"), "{}", text(&messages[1]));
        // One decision away: the decision taken.
        control.send_text(ana, "/start f_l1_vestibulo").await;
        let messages = control.wait_for(ana, "the next page", |m| m.len() >= 3).await;
        assert!(text(&messages[2]).contains("El vestíbulo huele a cera"), "{}", text(&messages[2]));
        let state = store.load_user(UserId(ana)).await.unwrap().unwrap();
        assert_eq!(state.progress.story.fragment.as_deref(), Some("l1_vestibulo"));

        // A free player on a VIP fragment: the VIP door, no move.
        let bob = control.create_user("Bob", "es").await;
        control.send_text(bob, "/start f_l4_antesala").await;
        let messages = control.wait_for(bob, "the VIP door", |m| m.len() >= 2).await;
        assert!(text(&messages[1]).contains("Un capítulo VIP"), "{}", text(&messages[1]));
        let state = store.load_user(UserId(bob)).await.unwrap().unwrap();
        assert_eq!(state.progress.story.fragment, None);

        // A fragment not reached yet is refused; an unknown one is a plain /start.
        // (offers: the door may also show an offer card, a message of its
        // own: the story's replies are counted without it.)
        let story = |m: &[Value]| m.iter().filter(|m| !text(m).starts_with("🎁")).cloned().collect::<Vec<Value>>();
        control.send_text(bob, "/start f_l2_puerta").await;
        let messages = story(&control.wait_for(bob, "the refusal", |m| story(m).len() >= 3).await);
        assert!(!text(&messages[2]).contains("Un capítulo VIP"));
        assert_eq!(store.load_user(UserId(bob)).await.unwrap().unwrap().progress.story.fragment, None);
        control.send_text(bob, "/start f_no_such_fragment").await;
        let messages = story(&control.wait_for(bob, "welcome back", |m| story(m).len() >= 4).await);
        assert!(text(&messages[3]).contains("Bob"), "{}", text(&messages[3]));
        drop(server);
        store.close().await;
        db.drop_db().await;
    });
}

#[test]
fn a_teaser_in_the_channel_links_into_the_story_and_its_reactions_pay() {
    run(async {
        let db = TestDb::postgres().await;
        let store = db.store().await;
        let (server, emulator) = ServerProcess::embedded(&db.url, &[("ADMIN_IDS", "900")]).await;
        let control = Control::new(&emulator);
        control.create_user_with_id(OPERATOR, "Op", "es").await;
        let ana = control.create_user("Ana", "es").await;
        control.send_text(ana, "/start").await;
        control.wait_for(ana, "the welcome", |m| !m.is_empty()).await;

        control.send_text(OPERATOR, "/teaser l1_vestibulo").await;
        let answer = control.wait_for(OPERATOR, "the teaser report", |m| !m.is_empty()).await;
        assert!(text(&answer[0]).starts_with("✅"), "{}", text(&answer[0]));
        let posts = control.bot_messages(crate::common::server::CHANNEL).await;
        let teaser = posts.last().expect("the teaser in the channel");
        assert!(text(teaser).contains("El vestíbulo huele a cera"), "{teaser:#}");
        let url = teaser["reply_markup"]["inline_keyboard"][0][0]["url"].as_str().unwrap_or_default();
        assert_eq!(url, "https://t.me/DianaBot?start=f_l1_vestibulo");

        let before = dianabot_test_support::balances_and_ledger_sums(&store).await;
        let balance = |rows: &[(i64, i64, i64)]| rows.iter().find(|row| row.0 == ana).map_or(0, |row| row.1);
        let message = teaser["message_id"].as_i64().expect("a message id");
        control.react(ana, message, Some("❤")).await;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let now = dianabot_test_support::balances_and_ledger_sums(&store).await;
            if balance(&now) > balance(&before) {
                break;
            }
            assert!(Instant::now() < deadline, "the reaction on the teaser never paid; log:\n{}", server.log_text());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        drop(server);
        store.close().await;
        db.drop_db().await;
    });
}

#[test]
fn a_scheduled_post_is_published_when_its_time_comes_and_its_reactions_pay() {
    run(async {
        let db = TestDb::postgres().await;
        let store = db.store().await;
        let env = [("ADMIN_IDS", "900"), ("TEST_CLOCK", "on"), ("TIMER_POLL_MS", "50")];
        let (server, emulator) = ServerProcess::embedded(&db.url, &env).await;
        let control = Control::new(&emulator);
        control.create_user_with_id(OPERATOR, "Op", "es").await;
        let ana = control.create_user("Ana", "es").await;
        control.send_text(ana, "/start").await;
        control.wait_for(ana, "the welcome", |m| !m.is_empty()).await;
        let channel = crate::common::server::CHANNEL;
        let posts_before = control.bot_messages(channel).await.len();

        control.send_text(OPERATOR, "/programar 0 Demasiado pronto").await;
        let usage = control.wait_for(OPERATOR, "the usage", |m| !m.is_empty()).await;
        assert!(text(&usage[0]).contains("/programar <minutos>"), "{}", text(&usage[0]));
        control.send_text(OPERATOR, "/programar 30 Esta noche, Diana lee en voz alta").await;
        let answer = control.wait_for(OPERATOR, "the scheduling", |m| m.len() >= 2).await;
        assert!(text(&answer[1]).starts_with("🗓 Publicación #"), "{}", text(&answer[1]));
        let scheduled = store.scheduled_posts(10).await.unwrap();
        assert_eq!(scheduled.len(), 1, "a malformed /programar schedules nothing");

        // Not before its time: 29 minutes on, the channel has nothing new.
        server.advance_clock(29 * 60).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(control.bot_messages(channel).await.len(), posts_before, "published early");
        server.advance_clock(2 * 60).await;
        let deadline = Instant::now() + Duration::from_secs(30);
        let post = loop {
            let posts = control.bot_messages(channel).await;
            if posts.len() > posts_before {
                break posts.last().cloned().expect("the post");
            }
            assert!(Instant::now() < deadline, "the post never came; log:\n{}", server.log_text());
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert!(text(&post).contains("Diana lee en voz alta"), "{post:#}");
        let published = store.scheduled_post(scheduled[0].id).await.unwrap().expect("the post");
        assert_eq!(published.status, dianabot_persistence::ScheduledStatus::Published);
        assert_eq!(published.message_id, post["message_id"].as_i64().map(|id| id as i32));

        let balance = |rows: &[(i64, i64, i64)]| rows.iter().find(|row| row.0 == ana).map_or(0, |row| row.1);
        let before = dianabot_test_support::balances_and_ledger_sums(&store).await;
        control.react(ana, post["message_id"].as_i64().expect("a message id"), Some("❤")).await;
        let deadline = Instant::now() + Duration::from_secs(20);
        while balance(&dianabot_test_support::balances_and_ledger_sums(&store).await) <= balance(&before) {
            assert!(Instant::now() < deadline, "the reaction on the post never paid; log:\n{}", server.log_text());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Published once, whatever the timer service does next.
        server.advance_clock(3_600).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(control.bot_messages(channel).await.len(), posts_before + 1);
        control.send_text(OPERATOR, "/programados").await;
        let report = control.wait_for(OPERATOR, "the report", |m| m.len() >= 3).await;
        assert!(text(&report[2]).contains("✅ publicada"), "{}", text(&report[2]));
        drop(server);
        store.close().await;
        db.drop_db().await;
    });
}
