//! The webhook refuses what is not Telegram's, and keeps serving.

use crate::common::server::{ServerProcess, WEBHOOK_SECRET, start_update, text_update};
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

/// A lookup the database cannot answer says nothing about the user: the gift
/// is left unacknowledged (Telegram delivers it again), never answered
/// "Lucien does not know @bob", and lands once the database is back.
#[test]
fn a_gift_by_username_while_the_database_is_away_is_not_acknowledged_and_lands_when_it_returns() {
    use sqlx::Connection;
    run(async {
        let db = TestDb::postgres().await;
        let server = ServerProcess::webhook(&db.url).await;
        let client = reqwest::Client::new();
        let post = |update: &serde_json::Value| {
            client
                .post(server.webhook_url())
                .header("X-Telegram-Bot-Api-Secret-Token", WEBHOOK_SECRET)
                .json(update)
                .send()
        };
        let bob = serde_json::json!({"update_id": 2, "message": {"message_id": 2, "date": 1_700_000_000,
            "chat": {"id": 502, "type": "private", "first_name": "Bob"},
            "from": {"id": 502, "is_bot": false, "first_name": "Bob", "username": "bob", "language_code": "es"},
            "text": "/start"}});
        assert_eq!(post(&start_update(1, 501)).await.unwrap().status(), 200);
        assert_eq!(post(&bob).await.unwrap().status(), 200);

        let name = db.url.rsplit_once('/').expect("database url has a path").1.to_owned();
        let mut admin = sqlx::PgConnection::connect(&dianabot_test_support::postgres_admin_url()).await.unwrap();
        for statement in [
            format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"),
            format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut admin).await.unwrap();
        }
        let gift = text_update(3, 501, "/regalar @bob 5");
        let refused = post(&gift).await.unwrap().status();
        assert_ne!(refused, 200, "a gift whose receiver could not be looked up was acknowledged");

        sqlx::query(sqlx::AssertSqlSafe(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")))
            .execute(&mut admin)
            .await
            .unwrap();
        // Telegram delivers it again; now it lands.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while post(&gift).await.unwrap().status() != 200 {
            assert!(std::time::Instant::now() < deadline, "the re-delivered gift never landed");
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        let store = db.store().await;
        let dianabot_persistence::Store::Postgres(pool) = &store else { unreachable!() };
        let (received,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM ledger WHERE user_id = 502 AND reason = 'gift_received'")
                .fetch_one(pool)
                .await
                .unwrap();
        assert_eq!(received, 1, "the gift landed exactly once");
        drop(server);
        db.drop_db().await;
    });
}

// hardening
/// An operator's `/perspectivas` and a player's `/ranking` read the
/// database (the stored insights, the top ten's names): with it gone the
/// update is left unacknowledged — Telegram delivers it again — never
/// answered with an empty page, and both land once it is back.
#[test]
fn insights_and_the_ranking_while_the_database_is_away_are_not_acknowledged() {
    use sqlx::Connection;
    run(async {
        let db = TestDb::postgres().await;
        let env = [("ADMIN_IDS", "501")];
        let server = ServerProcess::webhook_with(&db.url, &env).await;
        let client = reqwest::Client::new();
        let post = |server: &ServerProcess, update: &serde_json::Value| {
            client
                .post(server.webhook_url())
                .header("X-Telegram-Bot-Api-Secret-Token", WEBHOOK_SECRET)
                .json(update)
                .send()
        };
        for update in [start_update(1, 501), start_update(2, 502), text_update(3, 502, "/daily")] {
            assert_eq!(post(&server, &update).await.unwrap().status(), 200, "{update}");
        }
        // The boards are rebuilt from the durable scores at startup: after a
        // restart the week's besitos board holds the daily gift's player.
        drop(server);
        let server = ServerProcess::webhook_with(&db.url, &env).await;
        // Both actors resident again, so only the lookups need the database.
        for update in [text_update(4, 501, "/perfil"), text_update(5, 502, "/perfil")] {
            assert_eq!(post(&server, &update).await.unwrap().status(), 200, "{update}");
        }

        let name = db.url.rsplit_once('/').expect("database url has a path").1.to_owned();
        let mut admin = sqlx::PgConnection::connect(&dianabot_test_support::postgres_admin_url()).await.unwrap();
        for statement in [
            format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"),
            format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut admin).await.unwrap();
        }
        let insights = text_update(6, 501, "/perspectivas");
        let ranking = text_update(7, 502, "/ranking");
        for update in [&insights, &ranking] {
            let status = post(&server, update).await.unwrap().status();
            assert_ne!(status, 200, "acknowledged with the database gone: {update}");
        }

        sqlx::query(sqlx::AssertSqlSafe(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")))
            .execute(&mut admin)
            .await
            .unwrap();
        // Telegram delivers them again; now they are answered.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        for update in [&insights, &ranking] {
            while post(&server, update).await.unwrap().status() != 200 {
                assert!(std::time::Instant::now() < deadline, "never answered once the database returned: {update}");
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        }
        drop(server);
        db.drop_db().await;
    });
}
