//! Experiences (C9) through the running binary and its emulator: "A night
//! in the library" completed by playing the story, with the bar moving, its
//! rewards paid and the book of poems for sale after; a VIP experience whose
//! step is a purchase, first with the purchase saga's stock step failing
//! (compensated: besitos back, no progress), then completed; and a process
//! dying mid-apply of the decision that completes an experience, restarted:
//! complete once, rewarded once.

use std::time::{Duration, Instant};

use crate::common::control::{Control, button, text};
use crate::common::server::{EmulatorProcess, ServerProcess};
use crate::common::{TestDb, run};
use crate::story_e2e::Player;
use dianabot_persistence::Store;
use serde_json::Value;

const OPERATOR: i64 = 900;
const LIBRARY: &str = "Una noche en la biblioteca";

/// Besitos the experience rewards paid `user`, and in how many entries.
async fn experience_rewards(store: &Store, user: i64) -> (i64, i64) {
    let Store::Postgres(pool) = store else { unreachable!("runs on Postgres") };
    let sql = "SELECT COALESCE(SUM(amount), 0)::BIGINT, COUNT(*) FROM ledger
               WHERE user_id = $1 AND reason = 'experience_reward'";
    sqlx::query_as::<_, (i64, i64)>(sql).bind(user).fetch_one(pool).await.unwrap()
}

/// Sends `command` and returns the bot's answer (a new message).
async fn ask(control: &Control, user: i64, command: &str) -> Value {
    let before = control.bot_messages(user).await.len();
    control.send_text(user, command).await;
    control.wait_for(user, command, |m| m.len() > before).await[before].clone()
}

/// Presses `label` on `page` and returns the page once it changed.
async fn press(control: &Control, user: i64, page: &Value, label: &str) -> Value {
    let message_id = page["message_id"].as_i64().expect("message id");
    let pressed = control.press(user, message_id, &button(page, label), false).await;
    assert!(pressed["answer"].is_object(), "press not answered: {pressed}");
    let before = text(page).to_owned();
    let messages = control
        .wait_for(user, label, |m| m.iter().any(|m| m["message_id"].as_i64() == Some(message_id) && text(m) != before))
        .await;
    messages.into_iter().find(|m| m["message_id"].as_i64() == Some(message_id)).expect("page")
}

#[test]
fn a_night_in_the_library_completes_by_playing_and_opens_the_book_of_poems() {
    run(async {
        let db = TestDb::postgres().await;
        let content = dianabot::content::load_demo().expect("demo content");
        let (_server, emulator) = ServerProcess::embedded(&db.url, &[("ADMIN_IDS", "900")]).await;
        let control = Control::new(&emulator);
        control.create_user_with_id(OPERATOR, "Op", "es").await;
        ask(&control, OPERATOR, "/start").await;

        let mut ana = Player::start(&control, &content, "Ana").await;
        let list = ask(&control, ana.user, "/experiencias").await;
        assert!(text(&list).contains(&format!("✨ {LIBRARY}")), "available to start: {}", text(&list));
        ana.walk(&["entrar", "cajon", "guardar", "pasillo", "biblioteca", "entrar"]).await;
        assert!(ana.shows(&format!("Parte de la experiencia «{LIBRARY}»")), "{}", text(&ana.page));

        // The letter starts the experience by playing, and its mission
        // completes a second step: two of three.
        ana.walk(&["leer_carta"]).await;
        assert!(ana.shows(&format!("🧭 Comienza la experiencia «{LIBRARY}».")), "{}", text(&ana.page));
        assert!(ana.shows(&format!("Un paso más en «{LIBRARY}»: ▰▰▰▰▰▰▱▱▱▱ 66 %")), "{}", text(&ana.page));
        let list = ask(&control, ana.user, "/experiences").await;
        assert!(text(&list).contains("En curso"), "{}", text(&list));
        assert!(text(&list).contains("▰▰▰▰▰▰▱▱▱▱ 66 %"), "{}", text(&list));
        let rose = content.decision("l2_biblioteca", "poesia").unwrap().label.es.clone();
        assert!(text(&list).contains(&format!("Siguiente: Elegir «{rose}»")), "{}", text(&list));
        let page = press(&control, ana.user, &list, LIBRARY).await;
        assert!(text(&page).contains("✅ Leer «"), "{}", text(&page));
        assert!(text(&page).contains(&format!("▶️ Elegir «{rose}»")), "{}", text(&page));

        // The rose completes it: the celebration, the achievement, the reward.
        ana.walk(&["doblar", "poesia"]).await;
        assert!(ana.shows(&format!("🎉 ¡Experiencia completada: «{LIBRARY}»!")), "{}", text(&ana.page));
        assert!(ana.shows("Una velada completa"), "the achievement it grants: {}", text(&ana.page));
        let store = db.store().await;
        assert_eq!(experience_rewards(&store, ana.user).await, (20, 1));
        // Analytics saw the start, each step and the completion, once each
        // (the same steps may start other experiences too: only this one's
        // rows; rows within a second have no order, so they are sorted).
        let Store::Postgres(pool) = &store else { unreachable!("runs on Postgres") };
        let sql = "SELECT kind, subject FROM analytics_events WHERE user_id = $1 AND kind LIKE 'experience%' \
                   AND subject LIKE 'noche_biblioteca%' ORDER BY kind, subject";
        let rows: Vec<(String, String)> = sqlx::query_as(sql).bind(ana.user).fetch_all(pool).await.unwrap();
        let expected = [
            ("experience_complete", "noche_biblioteca"),
            ("experience_start", "noche_biblioteca"),
            ("experience_step", "noche_biblioteca/carta"),
            ("experience_step", "noche_biblioteca/correspondencia"),
            ("experience_step", "noche_biblioteca/rosa"),
        ];
        assert_eq!(rows, expected.map(|(kind, subject)| (kind.to_owned(), subject.to_owned())));
        let list = ask(&control, ana.user, "/experiencias").await;
        assert!(text(&list).contains(&format!("Completadas\n✅ {LIBRARY}")), "{}", text(&list));

        // The book of poems, locked behind the experience, is for sale now.
        ask(&control, OPERATOR, &format!("/grant {} 50", ana.user)).await;
        let bought = ask(&control, ana.user, "/comprar poemario").await;
        assert!(text(&bought).contains("Ahora tiene Poemario de Diana"), "{}", text(&bought));
    });
}

#[test]
fn a_vip_experience_completes_through_the_purchase_saga_after_a_compensated_fault() {
    run(async {
        let db = TestDb::postgres().await;
        // The first stock reservation fails: the purchase saga compensates.
        let env = [("ADMIN_IDS", "900"), ("TEST_CLOCK", "on"), ("TEST_FAULTS", "stock_reserve=1")];
        let (_server, emulator) = ServerProcess::embedded(&db.url, &env).await;
        let control = Control::new(&emulator);
        control.create_user_with_id(OPERATOR, "Op", "es").await;
        ask(&control, OPERATOR, "/start").await;
        let ana = control.create_user("Ana", "es").await;
        ask(&control, ana, "/start").await;

        // Not VIP: the page says so and offers no start.
        let list = ask(&control, ana, "/experiencias").await;
        let page = press(&control, ana, &list, "Cartografía celeste").await;
        assert!(text(&page).contains("💎 Esta experiencia es para miembros VIP."), "{}", text(&page));
        ask(&control, OPERATOR, &format!("/grantvip {ana} 7")).await;
        ask(&control, OPERATOR, &format!("/grant {ana} 50")).await;

        let list = ask(&control, ana, "/experiencias").await;
        let page = press(&control, ana, &list, "Cartografía celeste").await;
        let page = press(&control, ana, &page, "▶️ Comenzar").await;
        assert!(text(&page).contains("▱▱▱▱▱▱▱▱▱▱ 0 %"), "{}", text(&page));
        assert!(text(&page).contains("▶️ Comprar «Mapa de estrellas»"), "{}", text(&page));

        // The saga's stock step fails: besitos back, no step done.
        let failed = ask(&control, ana, "/comprar mapa_de_estrellas").await;
        assert!(text(&failed).contains("Sus besitos le han sido devueltos."), "{}", text(&failed));
        let store = db.store().await;
        assert_eq!(experience_rewards(&store, ana).await, (0, 0));
        let profile = ask(&control, ana, "/perfil").await;
        assert!(text(&profile).contains("60"), "balance back to 60: {}", text(&profile));
        let list = ask(&control, ana, "/experiencias").await;
        assert!(text(&list).contains("▱▱▱▱▱▱▱▱▱▱ 0 %"), "{}", text(&list));

        // Again: delivered, both steps done and the experience complete.
        let bought = ask(&control, ana, "/comprar mapa_de_estrellas").await;
        assert!(text(&bought).contains("Ahora tiene Mapa de estrellas"), "{}", text(&bought));
        assert!(text(&bought).contains("🎉 ¡Experiencia completada: «Cartografía celeste»!"), "{}", text(&bought));
        assert_eq!(experience_rewards(&store, ana).await, (5 + 15, 2));
        let list = ask(&control, ana, "/experiencias").await;
        assert!(text(&list).contains("Completadas\n✅ Cartografía celeste"), "{}", text(&list));
    });
}

#[test]
fn dying_mid_apply_of_the_completing_step_completes_once_after_restart() {
    run(async {
        let db = TestDb::postgres().await;
        let content = dianabot::content::load_demo().expect("demo content");
        let emulator = EmulatorProcess::start().await;
        let api_url = emulator.url();
        let control = Control::new(&api_url);
        let polling = |faults: Option<&'static str>| {
            let mut env = vec![
                ("TELEGRAM_BOT_TOKEN", "123456:TEST"),
                ("TELEGRAM_API_URL", api_url.as_str()),
                ("TEST_CLOCK", "on"),
            ];
            env.extend(faults.map(|faults| ("TEST_FAULTS", faults)));
            env
        };
        let mut server = ServerProcess::start(&db.url, &polling(None)).await;
        let mut ana = Player::start(&control, &content, "Ana").await;
        ana.walk(&["entrar", "cajon", "guardar", "pasillo", "biblioteca", "entrar", "leer_carta", "doblar"]).await;
        assert!(ana.shows("▰▰▰▰▰▰▱▱▱▱ 66 %"), "{}", text(&ana.page));
        server.kill_hard();

        // The rose, the last step: the process dies with the decision half
        // applied in memory — the step, not the completion and its reward.
        let mut server = ServerProcess::start(&db.url, &polling(Some("abort_mid_apply=decide"))).await;
        let rose = content.decision("l2_biblioteca", "poesia").unwrap().label.es.clone();
        let data = button(&ana.page, &rose);
        control.press(ana.user, ana.message_id, &data, false).await;
        let died = server.wait_exit(Duration::from_secs(30));
        assert!(died, "the server should have died mid-apply; log:\n{}", server.log_text());
        let store = db.store().await;
        assert_eq!(experience_rewards(&store, ana.user).await, (0, 0), "nothing of the decision is durable");

        // Restarted: the press is delivered again, and decided whole.
        let _server = ServerProcess::start(&db.url, &polling(None)).await;
        let deadline = Instant::now() + Duration::from_secs(60);
        while experience_rewards(&store, ana.user).await.1 == 0 {
            assert!(Instant::now() < deadline, "the experience never completed after the restart");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        while control.pending_updates().await > 0 {
            assert!(Instant::now() < deadline, "updates left undelivered");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(experience_rewards(&store, ana.user).await, (20, 1), "completed once, rewarded once");
        let list = ask(&control, ana.user, "/experiencias").await;
        assert!(text(&list).contains(&format!("Completadas\n✅ {LIBRARY}")), "{}", text(&list));
    });
}
