//! Leaderboards through the running binary and its emulator: players play
//! the story, `/ranking` shows the weekly story board with their ranks and
//! updates after more play; then the week ends with the process killed in
//! the middle of the reset (after the first prize was credited, before it
//! was marked paid) and restarted: the top 3 are paid exactly once each,
//! nobody else anything, and the reset is armed for the next week.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::common::control::{Control, button, text};
use crate::common::server::{EmulatorProcess, ServerProcess};
use crate::common::{TestDb, run};
use crate::story_e2e::Player;
use dianabot_game::leaderboard::Period;
use dianabot_persistence::Store;
use serde_json::Value;

const STORY_BOARD: &str = "Historia de la semana";

/// `/ranking`, then the story board's button: the board as shown.
async fn story_board(control: &Control, user: i64) -> String {
    let before = control.bot_messages(user).await.len();
    control.send_text(user, "/ranking").await;
    let first = control.wait_for(user, "/ranking", |m| m.len() > before).await[before].clone();
    let message_id = first["message_id"].as_i64().expect("message id");
    let shown = text(&first).to_owned();
    control.press(user, message_id, &button(&first, STORY_BOARD), false).await;
    let messages = control
        .wait_for(user, "the story board", |m| {
            m.iter().any(|m| m["message_id"].as_i64() == Some(message_id) && text(m) != shown)
        })
        .await;
    let page: &Value = messages.iter().find(|m| m["message_id"].as_i64() == Some(message_id)).expect("page");
    text(page).to_owned()
}

/// The leaderboard prizes `user` was paid: (entries, besitos).
async fn prizes_paid(store: &Store, user: i64) -> (i64, i64) {
    let Store::Postgres(pool) = store else { unreachable!("runs on Postgres") };
    let sql = "SELECT COUNT(*), COALESCE(SUM(amount), 0)::BIGINT FROM ledger
               WHERE user_id = $1 AND reason = 'leaderboard_prize'";
    sqlx::query_as::<_, (i64, i64)>(sql).bind(user).fetch_one(pool).await.unwrap()
}

async fn balance(store: &Store, user: i64) -> i64 {
    let Store::Postgres(pool) = store else { unreachable!("runs on Postgres") };
    sqlx::query_scalar("SELECT besitos FROM balances WHERE user_id = $1").bind(user).fetch_one(pool).await.unwrap()
}

async fn ledger_sum(store: &Store, user: i64) -> i64 {
    let Store::Postgres(pool) = store else { unreachable!("runs on Postgres") };
    let sql = "SELECT COALESCE(SUM(amount), 0)::BIGINT FROM ledger WHERE user_id = $1";
    sqlx::query_scalar(sql).bind(user).fetch_one(pool).await.unwrap()
}

async fn prizes_marked_paid(store: &Store) -> i64 {
    let Store::Postgres(pool) = store else { unreachable!("runs on Postgres") };
    let sql = "SELECT COUNT(*) FROM leaderboard_prizes WHERE status = 'paid'";
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[test]
fn ranks_update_with_play_and_the_weekly_reset_pays_the_top_3_once_across_a_kill() {
    run(async {
        let db = TestDb::postgres().await;
        let content = dianabot::content::load_demo().expect("demo content");
        let emulator = EmulatorProcess::start().await;
        let api_url = emulator.url();
        let control = Control::new(&api_url);
        let env = |offset: &str, faults: Option<&'static str>| {
            let mut env = vec![
                ("TELEGRAM_BOT_TOKEN", "123456:TEST".to_owned()),
                ("TELEGRAM_API_URL", api_url.clone()),
                ("TEST_CLOCK", "on".to_owned()),
                ("CLOCK_OFFSET_SECS", offset.to_owned()),
            ];
            env.extend(faults.map(|faults| ("TEST_FAULTS", faults.to_owned())));
            env
        };
        let start = |env: Vec<(&'static str, String)>| {
            let db_url = db.url.clone();
            async move {
                let env: Vec<(&str, &str)> = env.iter().map(|(key, value)| (*key, value.as_str())).collect();
                ServerProcess::start(&db_url, &env).await
            }
        };
        let mut server = start(env("0", None)).await;

        let path = ["entrar", "cajon", "guardar", "pasillo", "biblioteca"];
        let mut ana = Player::start(&control, &content, "Ana").await;
        let mut bea = Player::start(&control, &content, "Bea").await;
        let mut carla = Player::start(&control, &content, "Carla").await;
        let mut dani = Player::start(&control, &content, "Dani <b>").await;
        ana.walk(&path[..3]).await;
        bea.walk(&path[..2]).await;
        carla.walk(&path[..1]).await;
        dani.walk(&path[..4]).await;

        let board = story_board(&control, carla.user).await;
        assert!(board.contains("1. Dani <b> — 4"), "names escaped (shown as typed), best first: {board}");
        assert!(board.contains("2. Ana — 3\n3. Bea — 2\n4. Carla — 1"), "{board}");
        assert!(board.contains("Usted: puesto 4 de 4, con 1."), "{board}");
        assert!(board.contains("Premios al cierre: 150 / 100 / 50 besitos."), "{board}");

        // More play moves Carla to the top.
        carla.walk(&path[1..]).await;
        let board = story_board(&control, bea.user).await;
        assert!(board.contains("1. Carla — 5\n2. Dani <b> — 4\n3. Ana — 3\n4. Bea — 2"), "{board}");
        assert!(board.contains("Usted: puesto 4 de 4, con 2."), "{board}");
        server.kill_hard();

        // The week ends. The restarted server's reset dies after the first
        // prize's credit is durable, before the prize is marked paid.
        let wall = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
        let week_end = Period::Weekly.end(wall).unwrap();
        let offset = (week_end - wall + 5).to_string();
        let store = db.store().await;
        let before: Vec<i64> =
            futures_util::future::join_all([&ana, &bea, &carla, &dani].map(|p| balance(&store, p.user))).await;
        let mut server = start(env("0", Some("abort_after_prize=1"))).await;
        // The reset may kill the process before the clock's answer is out.
        let advance =
            format!("{}/control/clock/advance?secs={offset}", server.metrics_url().trim_end_matches("/metrics"));
        let _ = reqwest::Client::new().post(&advance).send().await;
        let died = server.wait_exit(Duration::from_secs(60));
        assert!(died, "the server should have died mid-reset; log:\n{}", server.log_text());
        assert_eq!(prizes_paid(&store, carla.user).await, (1, 150), "the first prize is credited");
        assert_eq!(prizes_marked_paid(&store).await, 0, "but not marked paid");

        // Restarted: the reset finishes; Carla's prize is not paid again.
        let _server = start(env(&offset, None)).await;
        let deadline = Instant::now() + Duration::from_secs(60);
        while prizes_marked_paid(&store).await < 3 {
            assert!(Instant::now() < deadline, "the reset never finished after the restart");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(prizes_paid(&store, carla.user).await, (1, 150));
        assert_eq!(prizes_paid(&store, dani.user).await, (1, 100));
        assert_eq!(prizes_paid(&store, ana.user).await, (1, 50));
        assert_eq!(prizes_paid(&store, bea.user).await, (0, 0), "fourth: nothing");
        // Every wallet is its ledger; the fourth's did not move. (A prize
        // may complete an achievement, whose reward is paid beside it.)
        for player in [&carla, &dani, &ana, &bea] {
            assert_eq!(balance(&store, player.user).await, ledger_sum(&store, player.user).await, "wallet = ledger");
        }
        assert_eq!(balance(&store, bea.user).await, before[1], "nothing for the fourth");
        control
            .wait_for(dani.user, "the prize notice", |m| {
                m.iter().any(|m| text(m).contains("¡Puesto 2 en «Historia de la semana»! Recibe 100 besitos."))
            })
            .await;
        // The timer moved on to the next week's end.
        let Store::Postgres(pool) = &store else { unreachable!() };
        let due: i64 =
            sqlx::query_scalar("SELECT due_at FROM timers WHERE owner_kind = 'board' AND name = 'story_week'")
                .fetch_one(pool)
                .await
                .unwrap();
        assert_eq!(due, week_end + 7 * 86_400);
    });
}
