//! The shop as a player meets it, through the running binary and its
//! built-in emulator: browsing, buying in besitos, and the whole Telegram
//! Stars flow — invoice, pre-checkout, payment, a re-delivered payment, a
//! checkout declined because the item sold out meanwhile, and a refund.

use crate::common::control::{Control, button, buttons, text};
use crate::common::server::ServerProcess;
use crate::common::{TestDb, run};
use serde_json::Value;

const OPERATOR: i64 = 900;

/// A player and the message their buttons edit.
struct Player<'a> {
    control: &'a Control,
    user: i64,
    page: Value,
}

impl<'a> Player<'a> {
    async fn start(control: &'a Control, name: &str) -> Player<'a> {
        let user = control.create_user(name, "es").await;
        control.send_text(user, "/start").await;
        control.wait_for(user, "the welcome", |m| !m.is_empty()).await;
        Player { control, user, page: Value::Null }
    }

    /// Sends a command and takes its answer (a new message) as the page.
    async fn command(&mut self, command: &str) {
        let before = self.control.bot_messages(self.user).await.len();
        self.control.send_text(self.user, command).await;
        let messages = self.control.wait_for(self.user, command, |m| m.len() > before).await;
        self.page = messages[before].clone();
    }

    /// Presses a button of the page and waits for the page to change.
    async fn press(&mut self, label: &str) {
        let data = button(&self.page, label);
        let message_id = self.page["message_id"].as_i64().expect("message id");
        let pressed = self.control.press(self.user, message_id, &data, false).await;
        assert!(pressed["answer"].is_object(), "press not answered: {pressed}");
        let before = text(&self.page).to_owned();
        let messages = self
            .control
            .wait_for(self.user, label, |m| {
                m.iter().any(|m| m["message_id"].as_i64() == Some(message_id) && text(m) != before)
            })
            .await;
        self.page = messages.into_iter().find(|m| m["message_id"].as_i64() == Some(message_id)).expect("page");
    }

    fn shows(&self, fragment: &str) -> bool {
        text(&self.page).contains(fragment)
    }

    /// The label of the page's first button starting with `prefix`.
    fn label(&self, prefix: &str) -> String {
        let labels = buttons(&self.page);
        let found = labels.iter().find(|(label, _)| label.starts_with(prefix));
        found.unwrap_or_else(|| panic!("no button starting {prefix:?} in {:#}", self.page)).0.clone()
    }

    /// Presses "Pay … ⭐" on the page and returns the invoice message.
    async fn ask_for_invoice(&mut self) -> Value {
        let pay = self.label("Pagar ");
        let data = button(&self.page, &pay);
        let message_id = self.page["message_id"].as_i64().expect("message id");
        self.control.press(self.user, message_id, &data, false).await;
        let messages = self
            .control
            .wait_for(self.user, "an invoice", |m| m.iter().any(|m| m["invoice_payload"].is_string()))
            .await;
        messages.into_iter().rev().find(|m| m["invoice_payload"].is_string()).expect("invoice")
    }

    async fn inventory(&mut self) -> String {
        self.command("/inventario").await;
        text(&self.page).to_owned()
    }
}

async fn grant(control: &Control, user: i64, amount: i64) {
    let before = control.bot_messages(OPERATOR).await.len();
    control.send_text(OPERATOR, &format!("/grant {user} {amount}")).await;
    control.wait_for(OPERATOR, "grant report", |m| m.len() > before).await;
}

#[test]
fn browsing_buying_and_the_stars_flow_through_the_bot() {
    run(async {
        let db = TestDb::postgres().await;
        let (server, emulator) = ServerProcess::embedded(&db.url, &[("ADMIN_IDS", "900")]).await;
        let control = Control::new(&emulator);
        control.create_user_with_id(OPERATOR, "Op", "es").await;
        control.send_text(OPERATOR, "/start").await;

        // Browse: every shelf, then one category.
        let mut ana = Player::start(&control, "Ana").await;
        grant(&control, ana.user, 40).await;
        ana.command("/tienda").await;
        assert!(ana.shows("🛍️ La tienda de Lucien — Todo\nSaldo: 50 besitos · página 1 de 1"), "{}", text(&ana.page));
        let labels: Vec<String> = buttons(&ana.page).into_iter().map(|(label, _)| label).collect();
        assert_eq!(labels[..4], ["• Todo", "Accesos", "Regalos", "Reliquias"]);
        assert!(labels.contains(&"⚪ Rosa negra · 25 💋".to_owned()), "{labels:?}");
        assert!(!labels.iter().any(|label| label.contains("Reloj")), "a hidden item is not shown: {labels:?}");
        ana.press("Regalos").await;
        assert!(ana.shows("— Regalos"), "{}", text(&ana.page));
        assert_eq!(buttons(&ana.page).len(), 4 + 2 + 1, "filters, the two gifts, back");

        // An item's page, and a purchase in besitos with its follow-up offer.
        ana.press("⚪ Rosa negra · 25 💋").await;
        assert!(ana.shows("Rosa negra · común"), "{}", text(&ana.page));
        assert!(ana.shows("Precio: 25 💋"), "{}", text(&ana.page));
        assert!(ana.shows("Incluye:\n• Rosa negra × 1"), "{}", text(&ana.page));
        ana.press("Comprar por 25 besitos").await;
        assert!(ana.shows("🛍️ Ahora tiene Rosa negra."), "{}", text(&ana.page));
        assert!(ana.shows("Saldo: 25 besitos"), "{}", text(&ana.page));
        assert!(ana.shows("Queda poco mapa de estrellas"), "the follow-up offer: {}", text(&ana.page));

        // The offer leads to the star map: 20 % off, units left, Stars.
        ana.press("🟣 Mapa de estrellas").await;
        assert!(ana.shows("Precio: 24 💋 / 12 ⭐ (−20 %, antes 30 💋 / 15 ⭐)"), "{}", text(&ana.page));
        assert!(ana.shows("Quedan: 5"), "{}", text(&ana.page));
        let invoice = ana.ask_for_invoice().await;
        let paid = control.pay(ana.user, invoice["message_id"].as_i64().unwrap()).await;
        assert_eq!(paid["status"], "paid", "{paid}");
        let charge = paid["telegram_payment_charge_id"].as_str().expect("charge id").to_owned();
        let delivered = |m: &[Value]| m.iter().filter(|m| text(m).starts_with("⭐ Pago recibido")).count();
        let messages = control.wait_for(ana.user, "the delivery", |m| delivered(m) == 1).await;
        let receipt = messages.iter().find(|m| text(m).starts_with("⭐ Pago recibido")).unwrap();
        assert!(text(receipt).starts_with("⭐ Pago recibido: ahora tiene Mapa de estrellas."), "{}", text(receipt));

        // Telegram delivers the same payment again: granted once.
        control.redeliver(paid["payment_update_id"].as_i64().unwrap()).await;
        while control.pending_updates().await > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let inventory = ana.inventory().await;
        assert!(inventory.contains("Mapa estelar × 1"), "{inventory}");
        assert_eq!(delivered(&control.bot_messages(ana.user).await), 1);

        // Bob gets an invoice; four buyers take the last four units in
        // besitos meanwhile; his checkout is declined with the reason.
        let mut bob = Player::start(&control, "Bob").await;
        bob.command("/tienda").await;
        bob.press("🟣 Mapa de estrellas · 24 💋 / 12 ⭐").await;
        let bobs_invoice = bob.ask_for_invoice().await;
        for name in ["Carla", "Dan", "Eva", "Fio"] {
            let mut buyer = Player::start(&control, name).await;
            grant(&control, buyer.user, 30).await;
            buyer.command("/tienda").await;
            buyer.press("🟣 Mapa de estrellas · 24 💋 / 12 ⭐").await;
            buyer.press("Comprar por 24 besitos").await;
            assert!(buyer.shows("tiene Mapa de estrellas"), "{name}: {}", text(&buyer.page));
        }
        let declined = control.pay(bob.user, bobs_invoice["message_id"].as_i64().unwrap()).await;
        assert_eq!((declined["status"].as_str(), declined["reason"].as_str()), (Some("rejected"), Some("agotado")));
        assert!(!bob.inventory().await.contains("Mapa estelar"));

        // An operator refunds Ana's payment: Stars back, the map taken back.
        let before = control.bot_messages(OPERATOR).await.len();
        control.send_text(OPERATOR, &format!("/refund {charge}")).await;
        let report = control.wait_for(OPERATOR, "refund report", |m| m.len() > before).await;
        assert!(text(&report[before]).starts_with("↩️ Reembolsado"), "{}", text(&report[before]));
        let refunded = control.payments().await;
        assert_eq!(refunded.len(), 1);
        assert_eq!(refunded[0]["refunded"], true);
        assert!(!ana.inventory().await.contains("Mapa estelar"), "the refund took the map back");
        // Refunding twice is refused; nothing changes.
        control.send_text(OPERATOR, &format!("/refund {charge}")).await;
        let report = control.wait_for(OPERATOR, "second refund report", |m| m.len() > before + 1).await;
        assert_eq!(text(&report[before + 1]), "↩️ No se pudo reembolsar: ya estaba reembolsado");
        drop(server);
        db.drop_db().await;
    });
}

#[test]
fn a_second_payment_for_one_invoice_is_refunded_not_granted() {
    run(async {
        let db = TestDb::postgres().await;
        let (server, emulator) = ServerProcess::embedded(&db.url, &[]).await;
        let control = Control::new(&emulator);
        let mut ana = Player::start(&control, "Ana").await;
        // A week's invitation: bought in Stars, and any number of times.
        ana.command("/tienda").await;
        let labels = buttons(&ana.page);
        let (invitation, _) = labels.iter().find(|(label, _)| label.contains("Invitación")).expect("the invitation");
        ana.press(invitation).await;
        let invoice = ana.ask_for_invoice().await;
        let message_id = invoice["message_id"].as_i64().unwrap();
        let first = control.pay(ana.user, message_id).await;
        assert_eq!(first["status"], "paid", "{first}");
        let delivered = |m: &[Value]| m.iter().filter(|m| text(m).starts_with("⭐ Pago recibido")).count();
        control.wait_for(ana.user, "the delivery", |m| delivered(m) == 1).await;

        // Telegram charges the same invoice a second time.
        let second = control.pay_again(ana.user, message_id).await;
        assert_eq!(second["status"], "paid", "{second}");
        assert_ne!(second["telegram_payment_charge_id"], first["telegram_payment_charge_id"]);
        let refunded = |m: &[Value]| m.iter().any(|m| text(m).starts_with("↩️"));
        let messages = control.wait_for(ana.user, "the second payment given back", refunded).await;
        let notice = messages.iter().find(|m| text(m).starts_with("↩️")).unwrap();
        assert!(text(notice).contains("50 ⭐"), "{}", text(notice));
        assert_eq!(delivered(&messages), 1, "granted once");

        // Telegram gave the second charge back; the first stays, as does its record.
        let payments = control.payments().await;
        let refunded_of = |charge: &Value| {
            payments.iter().find(|p| p["telegram_payment_charge_id"] == *charge).unwrap()["refunded"].clone()
        };
        assert_eq!(refunded_of(&first["telegram_payment_charge_id"]), false);
        assert_eq!(refunded_of(&second["telegram_payment_charge_id"]), true);
        let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
        let purchase: (String, String) =
            sqlx::query_as("SELECT status, charge_id FROM purchases WHERE currency = 'stars'")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(
            purchase,
            ("completed".to_owned(), first["telegram_payment_charge_id"].as_str().unwrap().to_owned())
        );
        let charges: Vec<(String, String)> =
            sqlx::query_as("SELECT charge_id, status FROM star_charges ORDER BY created_at, status")
                .fetch_all(&pool)
                .await
                .unwrap();
        let expected = vec![
            (first["telegram_payment_charge_id"].as_str().unwrap().to_owned(), "granted".to_owned()),
            (second["telegram_payment_charge_id"].as_str().unwrap().to_owned(), "refunded".to_owned()),
        ];
        let mut charges = charges;
        charges.sort_by_key(|(_, status)| status != "granted");
        assert_eq!(charges, expected);
        // hardening: analytics saw the payment and the second charge given
        // back, once each; the second is neither revenue nor its refund.
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT kind, subject, amount FROM analytics_events WHERE user_id = $1 AND kind LIKE 'stars%' ORDER BY kind",
        )
        .bind(ana.user)
        .fetch_all(&pool)
        .await
        .unwrap();
        let expected = [("stars_paid", "pase_vip_prueba", 50), ("stars_paid_twice", "pase_vip_prueba", 50)];
        assert_eq!(rows, expected.map(|(kind, item, stars)| (kind.to_owned(), item.to_owned(), stars)));
        pool.close().await;
        drop(server);
        db.drop_db().await;
    });
}
