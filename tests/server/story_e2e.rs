//! The demo story played through the running binary and its emulator, as a
//! player would: buttons only, from /start to an ending, with a locked
//! choice, a stale button, the VIP door refused to a free player and opened
//! once an operator grants VIP.

use crate::common::control::{Control, buttons, text};
use crate::common::server::ServerProcess;
use crate::common::{TestDb, run};
use dianabot_game::content::Content;
use serde_json::Value;

/// A player walking the story by decision ids; labels come from the content.
struct Player<'a> {
    control: &'a Control,
    content: &'a Content,
    user: i64,
    message_id: i64,
    at: String,
    page: Value,
}

impl<'a> Player<'a> {
    /// Registers `name` and opens the story with /historia.
    async fn start(control: &'a Control, content: &'a Content, name: &str) -> Player<'a> {
        let user = control.create_user(name, "es").await;
        control.send_text(user, "/start").await;
        control.wait_for(user, "welcome", |m| m.len() == 1).await;
        control.send_text(user, "/historia").await;
        let messages = control.wait_for(user, "the story", |m| m.len() == 2).await;
        let page = messages[1].clone();
        let message_id = page["message_id"].as_i64().expect("message id");
        Player { control, content, user, message_id, at: content.start().to_string(), page }
    }

    fn label(&self, decision: &str) -> String {
        let decision = self.content.decision(&self.at, decision).unwrap_or_else(|| panic!("{}/{decision}", self.at));
        decision.label.es.clone()
    }

    /// Presses the button whose label ends with `label`, and waits for the page to change.
    async fn press(&mut self, label: &str) -> &Value {
        let data = buttons(&self.page)
            .into_iter()
            .find_map(|(shown, data)| shown.ends_with(label).then_some(data))
            .unwrap_or_else(|| panic!("no button {label:?} on {:#}", self.page));
        self.press_data(&data, false).await
    }

    async fn press_data(&mut self, data: &str, force: bool) -> &Value {
        let before = text(&self.page).to_owned();
        let pressed = self.control.press(self.user, self.message_id, data, force).await;
        assert!(pressed["answer"].is_object(), "the press was not answered: {pressed}");
        let message_id = self.message_id;
        let messages = self
            .control
            .wait_for(self.user, "the page to change", |m| {
                m.iter().any(|m| m["message_id"].as_i64() == Some(message_id) && text(m) != before)
            })
            .await;
        self.page = messages.into_iter().find(|m| m["message_id"].as_i64() == Some(message_id)).expect("page");
        &self.page
    }

    /// Takes the decisions in order; each must move the story on.
    async fn walk(&mut self, decisions: &[&str]) {
        for decision in decisions {
            let label = self.label(decision);
            let to = self.content.decision(&self.at, decision).expect("decision").to.to_string();
            self.press(&label).await;
            let expected =
                self.content.fragment(&to).expect("fragment").text.es.trim().chars().take(40).collect::<String>();
            assert!(text(&self.page).contains(&expected), "after {decision} expected {to}: {}", text(&self.page));
            self.at = to;
        }
    }

    fn shows(&self, needle: &str) -> bool {
        text(&self.page).contains(needle)
    }
}

const FREE_PATH_TO_LIBRARY: [&str; 10] =
    ["entrar", "cajon", "guardar", "pasillo", "biblioteca", "entrar", "leer_carta", "doblar", "poesia", "volver"];

#[test]
fn the_demo_story_plays_from_start_to_an_ending_through_the_bot() {
    run(async {
        let db = TestDb::postgres().await;
        let content = dianabot::content::load_demo().expect("demo content");
        let (server, emulator) = ServerProcess::embedded(&db.url, &[("ADMIN_IDS", "900")]).await;
        let control = Control::new(&emulator);

        let mut ana = Player::start(&control, &content, "Ana").await;
        assert!(ana.shows("📖 La antecámara"), "{}", text(&ana.page));
        let first_page_entrar = buttons(&ana.page).into_iter().find(|(label, _)| label == "Entrar").expect("Entrar").1;
        ana.walk(&FREE_PATH_TO_LIBRARY).await;

        // A locked choice: the cabinet needs the silver key; the page says
        // what is missing and where to get it, and nothing moves.
        let cabinet = ana.label("vitrina");
        ana.press(&cabinet).await;
        assert!(ana.shows("🔒 Aún no puede elegir eso. Le falta:"), "{}", text(&ana.page));
        assert!(ana.shows("×1 (tiene 0)"), "{}", text(&ana.page));
        assert!(ana.shows("eligiendo «"), "a hint to the decision that grants the key: {}", text(&ana.page));
        assert!(buttons(&ana.page).iter().any(|(label, _)| label == &format!("🔒 {cabinet}")));

        // A stale button from the first page is refused on this page.
        ana.press_data(&first_page_entrar, true).await;
        assert!(ana.shows("ese botón es de una página anterior de la historia"), "{}", text(&ana.page));

        // The garden, and Diana's door: refused to a free player, with a preview.
        ana.walk(&["jardin", "invernadero", "preguntar"]).await;
        let audience = ana.label("audiencia");
        assert!(buttons(&ana.page).iter().any(|(label, _)| label == &format!("💎 {audience}")));
        ana.press(&audience).await;
        assert!(ana.shows("💎 Un capítulo VIP"), "{}", text(&ana.page));
        assert!(ana.shows("Los capítulos 4 a 6 son para miembros VIP."));
        ana.press("« Volver a la historia").await;
        assert!(ana.shows("📖 El jardín"), "{}", text(&ana.page));
        // The refusal was recorded as a conversion opportunity.
        let store = db.store().await;
        let dianabot_persistence::Store::Postgres(pool) = &store else { unreachable!() };
        let opportunities: Vec<(String, String)> =
            sqlx::query_as("SELECT kind, subject FROM analytics_events WHERE user_id = $1 AND kind = 'vip_denied'")
                .bind(ana.user)
                .fetch_all(pool)
                .await
                .unwrap();
        let salon = content.decision("l3_confidencia", "audiencia").expect("decision").to.to_string();
        assert_eq!(opportunities, [("vip_denied".to_owned(), salon)]);
        store.close().await;

        // An operator grants VIP; the same door now opens onto level 4.
        let operator = control.create_user_with_id(900, "Op", "es").await;
        control.send_text(operator, &format!("/grantvip {} 7", ana.user)).await;
        let report = control.wait_for(operator, "operator report", |m| !m.is_empty()).await;
        assert!(text(&report[0]).starts_with("✅ Hecho."), "{}", text(&report[0]));
        ana.walk(&["audiencia"]).await;
        assert!(ana.shows("📖 El salón de Diana"), "{}", text(&ana.page));

        // A free player reaches an ending of the free levels and may begin again.
        let mut bob = Player::start(&control, &content, "Bob").await;
        bob.walk(&FREE_PATH_TO_LIBRARY).await;
        bob.walk(&["jardin", "invernadero", "preguntar", "marcharse"]).await;
        assert!(bob.shows("🏁 Fin de este camino."), "{}", text(&bob.page));
        bob.press("📜 Recorrido").await;
        assert!(bob.shows("📜 Su recorrido\nFragmentos leídos: 15"), "{}", text(&bob.page));
        bob.press("« Volver a la historia").await;
        bob.press("↺ Empezar de nuevo").await;
        assert!(bob.shows("📖 La antecámara"), "{}", text(&bob.page));
        drop(server);
        db.drop_db().await;
    });
}
