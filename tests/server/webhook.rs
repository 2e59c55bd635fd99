//! The webhook refuses what is not Telegram's, and keeps serving.

use crate::common::server::{ServerProcess, WEBHOOK_SECRET, start_update};
use crate::common::{TestDb, run};
use dianabot_game::UserId;

#[test]
fn bad_webhook_calls_are_refused_and_change_nothing() {
    run(async {
        let db = TestDb::postgres().await;
        let server = ServerProcess::webhook(&db.url).await;
        let client = reqwest::Client::new();
        let url = server.webhook_url();
        let post = |secret: Option<&'static str>, body: String| {
            let mut request = client.post(&url).header("content-type", "application/json").body(body);
            if let Some(secret) = secret {
                request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
            }
            request.send()
        };
        let start = start_update(1, 77).to_string();

        assert_eq!(post(None, start.clone()).await.unwrap().status(), 401, "no secret");
        assert_eq!(post(Some("wrong"), start.clone()).await.unwrap().status(), 401, "wrong secret");
        // Unparseable updates are acknowledged (Telegram would retry a 4xx
        // until it gave up) and counted as dead letters.
        let malformed = post(Some(WEBHOOK_SECRET), "{\"update_id\": 2, \"message\": ".to_owned()).await.unwrap();
        assert_eq!(malformed.status(), 200);
        let not_an_update = post(Some(WEBHOOK_SECRET), "[1, 2, 3]".to_owned()).await.unwrap();
        assert_eq!(not_an_update.status(), 200);
        // An update of a kind we do not know is acknowledged and ignored.
        let unknown = post(Some(WEBHOOK_SECRET), r#"{"update_id": 3, "brand_new_kind": {"x": 1}}"#.to_owned());
        assert_eq!(unknown.await.unwrap().status(), 200);

        let store = db.store().await;
        assert_eq!(store.load_user(UserId(77)).await.unwrap(), None, "a refused call changed state");

        // Still serving: the genuine update goes through.
        assert_eq!(post(Some(WEBHOOK_SECRET), start).await.unwrap().status(), 200);
        assert!(store.load_user(UserId(77)).await.unwrap().is_some());

        // The server's own metrics count exactly what happened.
        let metrics = client.get(server.metrics_url()).send().await.unwrap().text().await.unwrap();
        for line in [
            "dianabot_intake_updates_total{outcome=\"durable\"} 1",
            "dianabot_intake_updates_total{outcome=\"ignored\"} 1",
            "dianabot_intake_updates_total{outcome=\"dead_lettered\"} 2",
            "dianabot_actors_live 1",
            "dianabot_flush_ledger_rows_total 1",
            "dianabot_ledger_besitos_total{reason=\"welcome_bonus\",direction=\"in\"} 10",
            "dianabot_actor_handling_seconds_count{command=\"register\"} 1",
            "dianabot_actor_handling_seconds_bucket{command=\"register\",le=\"+Inf\"} 1",
        ] {
            assert!(metrics.lines().any(|l| l == line), "missing {line:?} in:\n{metrics}");
        }
        store.close().await;
        drop(server);
        db.drop_db().await;
    });
}

#[test]
fn metrics_are_served_on_their_own_bind_not_on_the_public_port() {
    run(async {
        let db = TestDb::postgres().await;
        let server = ServerProcess::webhook(&db.url).await;
        let client = reqwest::Client::new();
        let public = client.get(format!("http://{}/metrics", server.addr)).send().await.unwrap();
        assert_eq!(public.status(), 404, "ledger totals on the public port");
        let private = client.get(server.metrics_url()).send().await.unwrap();
        assert_eq!(private.status(), 200);
        assert!(private.text().await.unwrap().contains("dianabot_ledger_besitos_total"));
        for probe in ["healthz", "readyz"] {
            let response = client.get(format!("http://{}/{probe}", server.addr)).send().await.unwrap();
            assert_eq!(response.status(), 200, "/{probe} stays on the public port");
        }
        drop(server);
        db.drop_db().await;
    });
}
