//! Alerts and daily insights through the binary and the emulator (#17,
//! done-means 3): slow operations injected (`TEST_FAULTS=slow=…`) push the
//! p95 of registering over the threshold → one alert message to the
//! operator, none repeated over the checks while it lasts, one resolve
//! message once the slowness stops. And the daily job: at midnight the
//! operator gets the summary, and `/perspectivas` shows the fragment a
//! player stopped at and a VIP whose membership ends soon.

use std::time::{Duration, Instant};

use crate::common::control::{Control, text};
use crate::common::server::ServerProcess;
use crate::common::{TestDb, run};
use crate::operator_roles_e2e::say;

const OWNER: i64 = 900;

/// The owner's messages whose text contains `needle`.
async fn owner_messages(control: &Control, needle: &str) -> Vec<String> {
    let messages = control.bot_messages(OWNER).await;
    messages.iter().map(|message| text(message).to_owned()).filter(|text| text.contains(needle)).collect()
}

#[test]
fn slow_operations_alert_the_operator_once_and_resolve_after() {
    run(async {
        let db = TestDb::postgres().await;
        let env = [
            ("ADMIN_IDS", "900"),
            ("TEST_CLOCK", "on"),
            // The first 12 registrations take 400 ms more, then none.
            ("TEST_FAULTS", "slow=register:400:12"),
            ("ALERT_CHECK_SECS", "1"),
            ("ALERT_WINDOW_SECS", "3"),
            ("ALERT_P95_MS", "300"),
            ("ALERT_P95_MIN_SAMPLES", "1"),
            ("ALERT_CLEAR_CHECKS", "2"),
        ];
        let (server, emulator) = ServerProcess::embedded(&db.url, &env).await;
        let control = Control::new(&emulator);
        control.create_user_with_id(OWNER, "Owner", "es").await;
        say(&control, OWNER, "/start").await;
        let quiet = say(&control, OWNER, "/alertas").await;
        assert!(quiet.contains("p95 de cada operación (ms) por encima de 300.0"), "{quiet}");
        assert!(quiet.contains("No hay ninguna alerta activa"), "{quiet}");

        // Eleven players register, 400 ms each: about 4.5 s of slowness,
        // checked every second over a 3 s window.
        let started = Instant::now();
        for n in 0..11 {
            let player = control.create_user(&format!("P{n}"), "es").await;
            say(&control, player, "/start").await;
        }
        let slow_for = started.elapsed();
        let fired = owner_messages(&control, "Alerta").await;
        assert_eq!(fired.len(), 1, "one alert while it lasted ({slow_for:?}): {fired:#?}");
        assert!(fired[0].contains("p95 de register (ms)") && fired[0].contains("umbral 300.0"), "{}", fired[0]);
        assert!(slow_for > Duration::from_secs(3), "several checks while it lasted: {slow_for:?}");
        let firing = say(&control, OWNER, "/alerts").await;
        assert!(firing.contains("Activas ahora") && firing.contains("p95 de register"), "{firing}");

        // Registrations are fast again: once the slow ones leave the
        // window and two checks in a row are under, it resolves.
        for n in 0..3 {
            let player = control.create_user(&format!("Q{n}"), "es").await;
            say(&control, player, "/start").await;
        }
        control.wait_for(OWNER, "the resolve message", |m| m.iter().any(|m| text(m).contains("Resuelta"))).await;
        // A few more checks: nothing else.
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(owner_messages(&control, "Alerta").await.len(), 1);
        let resolved = owner_messages(&control, "Resuelta").await;
        assert_eq!(resolved.len(), 1, "{resolved:#?}");
        assert!(resolved[0].contains("p95 de register"), "{}", resolved[0]);
        assert!(server.metric("dianabot_alert_checks_total").await >= 5.0);
        assert_eq!(server.metric("dianabot_alerts_firing").await, 0.0);
        assert!(say(&control, OWNER, "/alertas").await.contains("No hay ninguna alerta activa"));

        drop(server);
        db.drop_db().await;
    });
}

#[test]
fn the_daily_insights_show_where_a_player_stopped_and_a_vip_at_risk() {
    run(async {
        let db = TestDb::postgres().await;
        let env = [("ADMIN_IDS", "900"), ("TEST_CLOCK", "on"), ("TIMER_POLL_MS", "50")];
        let (server, emulator) = ServerProcess::embedded(&db.url, &env).await;
        let control = Control::new(&emulator);
        control.create_user_with_id(OWNER, "Owner", "es").await;
        say(&control, OWNER, "/start").await;
        assert!(say(&control, OWNER, "/perspectivas").await.contains("Aún no hay perspectivas"));
        // Ana opens the story and stops at its first fragment; the owner
        // gives her two days of VIP.
        let ana = control.create_user("Ana", "es").await;
        say(&control, ana, "/start").await;
        say(&control, ana, "/historia").await;
        say(&control, OWNER, &format!("/grantvip {ana} 2")).await;

        // Midnight (UTC, game clock): the daily job runs and tells the owner.
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        server.advance_clock((86_400 - now % 86_400 + 5) as u32).await;
        let summary = control
            .wait_for(OWNER, "the daily summary", |m| m.iter().any(|m| text(m).contains("Perspectivas del")))
            .await;
        let summary = summary.iter().map(text).find(|text| text.contains("Perspectivas del")).unwrap_or_default();
        assert!(summary.contains("1 VIP en riesgo") && summary.contains("sobre todo en l1_umbral"), "{summary}");

        let insights = say(&control, OWNER, "/perspectivas").await;
        assert!(insights.contains("l1_umbral: 1 de 1 se quedaron ahí"), "{insights}");
        assert!(insights.contains(&format!("jugador {ana}: su VIP termina el")), "{insights}");
        let english = say(&control, OWNER, "/insights nonsense").await;
        assert!(english.contains("/perspectivas [AAAA-MM-DD]"), "{english}");
        // A player is not told the commands exist.
        assert!(say(&control, ana, "/insights").await.contains("no he entendido"));

        drop(server);
        db.drop_db().await;
    });
}

#[test]
fn a_restart_while_an_alert_fires_does_not_alert_again() {
    run(async {
        let db = TestDb::postgres().await;
        let emulator = crate::common::server::EmulatorProcess::start().await;
        let url = emulator.url();
        let control = Control::new(&url);
        let env = [
            ("TELEGRAM_BOT_TOKEN", "123456:TEST"),
            ("TELEGRAM_API_URL", url.as_str()),
            ("ADMIN_IDS", "900"),
            ("TEST_CLOCK", "on"),
            // Each process makes its first 8 registrations slow.
            ("TEST_FAULTS", "slow=register:400:8"),
            ("ALERT_CHECK_SECS", "1"),
            ("ALERT_WINDOW_SECS", "3"),
            ("ALERT_P95_MS", "300"),
            ("ALERT_P95_MIN_SAMPLES", "1"),
            ("ALERT_CLEAR_CHECKS", "2"),
        ];
        let mut server = ServerProcess::start(&db.url, &env).await;
        control.create_user_with_id(OWNER, "Owner", "en").await;
        say(&control, OWNER, "/start").await;
        for n in 0..3 {
            let player = control.create_user(&format!("P{n}"), "en").await;
            say(&control, player, "/start").await;
        }
        control.wait_for(OWNER, "the alert", |m| m.iter().any(|m| text(m).contains("Alert"))).await;
        // The process dies while the rule fires; the next one is slow too.
        server.kill_hard();
        let server = ServerProcess::start(&db.url, &env).await;
        let started = Instant::now();
        for n in 0..8 {
            let player = control.create_user(&format!("Q{n}"), "en").await;
            say(&control, player, "/start").await;
        }
        assert!(started.elapsed() > Duration::from_secs(3), "several checks while it fired again");
        assert_eq!(owner_messages(&control, "Alert").await.len(), 1, "told once, across the restart");
        // Fast again: resolved, once.
        for n in 0..2 {
            let player = control.create_user(&format!("R{n}"), "en").await;
            say(&control, player, "/start").await;
        }
        control.wait_for(OWNER, "the resolve message", |m| m.iter().any(|m| text(m).contains("Resolved"))).await;
        assert_eq!(owner_messages(&control, "Alert").await.len(), 1);
        assert_eq!(owner_messages(&control, "Resolved").await.len(), 1);

        drop(server);
        drop(emulator);
        db.drop_db().await;
    });
}
