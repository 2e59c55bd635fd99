//! Lore through the running binary and its emulator, as a player would:
//! clues found while reading (a fragment showing the player's hostile name
//! escaped), the backpack, a wrong combination refused with a hint, the
//! right one opening a secret fragment once, and a secret code redeemed
//! once.

use serde_json::Value;

use crate::common::control::{Control, buttons, text};
use crate::common::server::ServerProcess;
use crate::common::{TestDb, run};
use crate::story_e2e::Player;

/// Presses the button labelled `label` on `message` and returns the
/// message once its text changed.
async fn press(control: &Control, user: i64, message: &Value, label: &str) -> Value {
    let data = buttons(message)
        .into_iter()
        .find_map(|(shown, data)| (shown == label).then_some(data))
        .unwrap_or_else(|| panic!("no button {label:?} on {message:#}"));
    let message_id = message["message_id"].as_i64().expect("message id");
    let before = text(message).to_owned();
    let pressed = control.press(user, message_id, &data, false).await;
    assert!(pressed["answer"].is_object(), "the press was not answered: {pressed}");
    let messages = control
        .wait_for(user, "the message to change", |m| {
            m.iter().any(|m| m["message_id"].as_i64() == Some(message_id) && text(m) != before)
        })
        .await;
    messages.into_iter().find(|m| m["message_id"].as_i64() == Some(message_id)).expect("message")
}

/// Sends `command` and returns the bot's answer, the `count`-th message.
async fn ask(control: &Control, user: i64, command: &str, count: usize) -> Value {
    control.send_text(user, command).await;
    let messages = control.wait_for(user, command, |m| m.len() == count).await;
    messages[count - 1].clone()
}

#[test]
fn clues_are_found_combined_into_a_secret_once_and_codes_redeemed_once() {
    run(async {
        let db = TestDb::postgres().await;
        let content = dianabot::content::load_demo().expect("demo content");
        let (server, emulator) = ServerProcess::embedded(&db.url, &[]).await;
        let control = Control::new(&emulator);

        // A hostile first name: shown as written, never as markup.
        let mut player = Player::start(&control, &content, "<b>&").await;
        let user = player.user;
        player.walk(&["preguntar"]).await;
        assert!(player.shows("🧩 Pista encontrada: Guante blanco"), "{}", text(&player.page));
        assert!(player.shows("🧩 Pista encontrada: Página arrancada"), "a reward's clue: {}", text(&player.page));
        player.walk(&["seguir"]).await;
        assert!(player.shows("Le saluda con la familiaridad"), "the flag's sentence: {}", text(&player.page));
        player.walk(&["retrato", "volver", "cajon"]).await;
        assert!(player.shows("una sola palabra escrita con tinta violeta: «<b>&»"), "{}", text(&player.page));
        assert!(player.shows("🧩 Pista encontrada: Fragmento de lacre negro"), "{}", text(&player.page));

        // The backpack: every clue found; a wrong pair is refused with the
        // nearest recipe's hint.
        let mut backpack = ask(&control, user, "/mochila", 3).await;
        assert!(text(&backpack).contains("5 de 5 pistas · 0 de 2 secretos"), "{}", text(&backpack));
        backpack = press(&control, user, &backpack, "▫️ Guante blanco").await;
        assert!(
            text(&backpack).contains("En el forro, unas iniciales"),
            "a chosen clue shows its text: {}",
            text(&backpack)
        );
        backpack = press(&control, user, &backpack, "▫️ Fragmento de lacre negro").await;
        backpack = press(&control, user, &backpack, "🧪 Combinar (2)").await;
        let refused = text(&backpack);
        assert!(refused.contains("❌ Estas pistas no revelan nada."), "{refused}");
        assert!(refused.contains("💡 Lo que Lucien lleva puesto"), "{refused}");
        assert!(refused.contains("Falta 1 pista para completarlo."), "{refused}");
        assert!(refused.contains("No encaja: Fragmento de lacre negro"), "{refused}");

        // The right three reveal the secret fragment, which opens.
        backpack = press(&control, user, &backpack, "✖️ Soltar todas").await;
        for clue in ["▫️ Hilo de terciopelo", "▫️ Gota de tinta violeta", "▫️ Fragmento de lacre negro"] {
            backpack = press(&control, user, &backpack, clue).await;
        }
        backpack = press(&control, user, &backpack, "🧪 Combinar (3)").await;
        assert!(text(&backpack).contains("✨ Secreto revelado: El rostro tras el velo"), "{}", text(&backpack));
        let secret = press(&control, user, &backpack, "📜 El rostro tras el velo").await;
        assert!(text(&secret).contains("«Para <b>&, cuando llegue»"), "{}", text(&secret));

        // Combining them again is refused: revealed once.
        let mut again = ask(&control, user, "/mochila", 4).await;
        assert!(text(&again).contains("1 de 2 secretos"), "{}", text(&again));
        for clue in ["▫️ Hilo de terciopelo", "▫️ Gota de tinta violeta", "▫️ Fragmento de lacre negro"] {
            again = press(&control, user, &again, clue).await;
        }
        again = press(&control, user, &again, "🧪 Combinar (3)").await;
        assert!(text(&again).contains("ese secreto ya está revelado"), "{}", text(&again));

        // A secret code pays once, whatever its case.
        let redeemed = ask(&control, user, "/codigo lucien-1887", 5).await;
        assert!(text(&redeemed).contains("🔑 Código aceptado."), "{}", text(&redeemed));
        assert!(text(&redeemed).contains("20 besitos"), "{}", text(&redeemed));
        let used = ask(&control, user, "/codigo LUCIEN-1887", 6).await;
        assert!(text(&used).contains("ya usó ese código"), "{}", text(&used));
        let unknown = ask(&control, user, "/codigo abracadabra", 7).await;
        assert!(text(&unknown).contains("Le quedan 4 intentos hoy."), "{}", text(&unknown));

        // Analytics saw each find, the reveal and the code.
        let store = db.store().await;
        let dianabot_persistence::Store::Postgres(pool) = &store else { unreachable!() };
        let kinds: Vec<(String, i64)> = sqlx::query_as(
            "SELECT kind, count(*) FROM analytics_events WHERE user_id = $1 AND kind IN \
             ('lore_found', 'secret_revealed', 'code_redeemed') GROUP BY kind ORDER BY kind",
        )
        .bind(user)
        .fetch_all(pool)
        .await
        .unwrap();
        let expected = [("code_redeemed", 1), ("lore_found", 5), ("secret_revealed", 1)];
        assert_eq!(kinds, expected.map(|(kind, count)| (kind.to_owned(), count)));
        store.close().await;
        drop(server);
        db.drop_db().await;
    });
}
