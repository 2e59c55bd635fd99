//! Durable timers through the binary: the game clock moves only when
//! `TEST_CLOCK=on`, and the timer service reports in `/metrics`.

use crate::common::server::ServerProcess;
use crate::common::{TestDb, run};

#[test]
fn the_game_clock_moves_only_with_a_test_clock_and_timers_are_in_metrics() {
    run(async {
        let db = TestDb::postgres().await;
        let server = ServerProcess::webhook_with(&db.url, &[("TEST_CLOCK", "on"), ("TIMER_POLL_MS", "50")]).await;
        assert_eq!(server.advance_clock(3_600).await, 3_600);
        assert_eq!(server.advance_clock(60).await, 3_660);
        // The service polls (every 50 ms here) from the start.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while server.metric("dianabot_timers_polls_total").await < 1.0 {
            assert!(std::time::Instant::now() < deadline, "the timer service never polled");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        // Nothing stays due (the daily ops timer, if the hour moved crossed
        // midnight, is handled at once).
        while server.metric("dianabot_timers_due").await > 0.0 {
            assert!(std::time::Instant::now() < deadline, "a timer stayed due");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let bad = format!("http://{}/control/clock/advance?secs=-5", server.metrics_addr);
        assert_eq!(reqwest::Client::new().post(&bad).send().await.unwrap().status(), 400);
        drop(server);

        let wall = ServerProcess::webhook(&db.url).await;
        let url = format!("http://{}/control/clock/advance?secs=60", wall.metrics_addr);
        let response = reqwest::Client::new().post(&url).send().await.unwrap();
        assert_eq!(response.status(), 404, "the wall clock has no control");
        db.drop_db().await;
    });
}

#[test]
fn the_built_in_emulator_shares_the_servers_game_clock() {
    run(async {
        let db = TestDb::postgres().await;
        let (server, emulator) = ServerProcess::embedded(&db.url, &[("TEST_CLOCK", "on")]).await;
        server.advance_clock(86_400).await;
        let clock: serde_json::Value =
            reqwest::get(format!("{emulator}/control/clock")).await.unwrap().json().await.unwrap();
        assert_eq!(clock["offset"], 86_400, "{clock}");
        drop(server);
        db.drop_db().await;
    });
}
