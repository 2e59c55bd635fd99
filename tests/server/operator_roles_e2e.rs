//! Operator roles through the binary and the emulator (#15, done-means 4):
//! an operator without the refunds permission cannot `/refund`; one given
//! `support` for a day can, and once the game clock has moved past the
//! day cannot; `/roles` stops listing the lapsed role (whose holder is still
//! refused, not taken for a player, until it is revoked); the audit log holds
//! every operator action of the test, refusals included, in order.

use crate::common::control::{Control, button, buttons, text};
use crate::common::server::ServerProcess;
use crate::common::{TestDb, run};
use dianabot_game::UserId;
use dianabot_game::roles::{AuditOutcome, OperatorAction};
use dianabot_persistence::Store;
use serde_json::Value;

const OWNER: i64 = 900;
const SOL: i64 = 901;

/// Sends `command` as `user` and returns the text of the answer.
pub(crate) async fn say(control: &Control, user: i64, command: &str) -> String {
    let before = control.bot_messages(user).await.len();
    control.send_text(user, command).await;
    let messages = control.wait_for(user, command, |m| m.len() > before).await;
    text(&messages[before]).to_owned()
}

/// Ana pays the star map in Stars; returns the payment's charge id.
pub(crate) async fn a_stars_payment(control: &Control) -> String {
    let ana = control.create_user("Ana", "es").await;
    say(control, ana, "/start").await;
    let before = control.bot_messages(ana).await.len();
    control.send_text(ana, "/tienda").await;
    let shelf = control.wait_for(ana, "the shop", |m| m.len() > before).await[before].clone();
    let (label, _) = buttons(&shelf).into_iter().find(|(label, _)| label.starts_with("🟣 Mapa de estrellas")).unwrap();
    let page = press(control, ana, &shelf, &label).await;
    let (pay, _) = buttons(&page).into_iter().find(|(label, _)| label.starts_with("Pagar ")).expect("pay in Stars");
    control.press(ana, page["message_id"].as_i64().unwrap(), &button(&page, &pay), false).await;
    let invoice = |m: &[Value]| m.iter().rev().find(|m| m["invoice_payload"].is_string()).cloned();
    let messages = control.wait_for(ana, "an invoice", |m| invoice(m).is_some()).await;
    let paid = control.pay(ana, invoice(&messages).unwrap()["message_id"].as_i64().unwrap()).await;
    assert_eq!(paid["status"], "paid", "{paid}");
    control.wait_for(ana, "the delivery", |m| m.iter().any(|m| text(m).starts_with("⭐ Pago recibido"))).await;
    paid["telegram_payment_charge_id"].as_str().expect("charge id").to_owned()
}

/// Presses `label` on `page` and returns the page once it changed.
async fn press(control: &Control, user: i64, page: &Value, label: &str) -> Value {
    let message_id = page["message_id"].as_i64().expect("message id");
    control.press(user, message_id, &button(page, label), false).await;
    let before = text(page).to_owned();
    let changed = |m: &Value| m["message_id"].as_i64() == Some(message_id) && text(m) != before;
    let messages = control.wait_for(user, label, |m| m.iter().any(changed)).await;
    messages.into_iter().find(changed).expect("the page")
}

async fn refunded(control: &Control) -> bool {
    control.payments().await[0]["refunded"] == true
}

#[test]
fn a_temporary_support_role_refunds_until_it_lapses_and_every_action_is_audited() {
    run(async {
        let db = TestDb::postgres().await;
        let env = [("ADMIN_IDS", "900"), ("TEST_CLOCK", "on")];
        let (server, emulator) = ServerProcess::embedded(&db.url, &env).await;
        let control = Control::new(&emulator);
        control.create_user_with_id(OWNER, "Owner", "es").await;
        control.create_user_with_id(SOL, "Sol", "es").await;
        say(&control, OWNER, "/start").await;
        say(&control, SOL, "/start").await;
        let charge = a_stars_payment(&control).await;
        let refund = format!("/refund {charge}");

        // A player is not even told the command exists; nothing is audited.
        assert!(say(&control, SOL, &refund).await.contains("no he entendido"));

        // An operator without the refunds permission is refused, audited.
        let granted = say(&control, OWNER, "/rol dar 901 analyst").await;
        assert_eq!(granted, "✅ El usuario 901 tiene ahora el rol Análisis, sin caducidad.");
        let answer = say(&control, SOL, &refund).await;
        assert!(answer.contains("su rol no le permite reembolsar pagos; no se ha cambiado nada"), "{answer}");
        assert!(!refunded(&control).await, "a refused refund changes nothing");
        // Nor may an analyst make themselves support.
        let answer = say(&control, SOL, "/rol dar 901 support").await;
        assert!(answer.contains("su rol no le permite gestionar roles"), "{answer}");

        // Support for one day: the refund goes through.
        let granted = say(&control, OWNER, "/rol dar 901 support 1").await;
        assert!(granted.starts_with("✅ El usuario 901 tiene ahora el rol Soporte hasta el "), "{granted}");
        let roles = say(&control, OWNER, "/roles").await;
        assert!(roles.contains("900 · propietario"), "{roles}");
        assert!(roles.contains("901 · Soporte (grants, vip_grants, refunds) · hasta el "), "{roles}");
        assert!(roles.contains("901 · Análisis (analytics, audit) · sin caducidad"), "{roles}");
        let answer = say(&control, SOL, &refund).await;
        assert!(answer.starts_with("↩️ Reembolsado"), "{answer}");
        assert!(refunded(&control).await);

        // A day later the role has lapsed by itself.
        server.advance_clock(86_400 + 60).await;
        let answer = say(&control, SOL, &refund).await;
        assert!(answer.contains("su rol no le permite reembolsar pagos"), "{answer}");
        let roles = say(&control, OWNER, "/roles").await;
        assert!(!roles.contains("Soporte"), "a lapsed role is not listed: {roles}");
        assert!(roles.contains("901 · Análisis"), "{roles}");
        // Without the analyst role, the lapsed grant still marks Sol as an
        // operator: refused, not taken for a player, until it is revoked.
        let revoked = say(&control, OWNER, "/rol quitar 901 analyst").await;
        assert_eq!(revoked, "✅ El usuario 901 ya no tiene el rol Análisis.");
        assert!(say(&control, SOL, &refund).await.contains("su rol no le permite reembolsar pagos"));
        say(&control, OWNER, "/rol quitar 901 support").await;
        assert!(say(&control, SOL, &refund).await.contains("no he entendido"));

        // The audit log, as the store answers it and as an operator reads it.
        let expected = [
            (OWNER, OperatorAction::GrantRole, AuditOutcome::Done, Some("901")),
            (SOL, OperatorAction::Refund, AuditOutcome::Refused, None),
            (SOL, OperatorAction::GrantRole, AuditOutcome::Refused, None),
            (OWNER, OperatorAction::GrantRole, AuditOutcome::Done, Some("901")),
            (OWNER, OperatorAction::ListRoles, AuditOutcome::Done, None),
            (SOL, OperatorAction::Refund, AuditOutcome::Done, Some(format!("charge:{charge}")).as_deref()),
            (SOL, OperatorAction::Refund, AuditOutcome::Refused, None),
            (OWNER, OperatorAction::ListRoles, AuditOutcome::Done, None),
            (OWNER, OperatorAction::RevokeRole, AuditOutcome::Done, Some("901")),
            (SOL, OperatorAction::Refund, AuditOutcome::Refused, None),
            (OWNER, OperatorAction::RevokeRole, AuditOutcome::Done, Some("901")),
        ]
        .map(|(operator, action, outcome, target)| (UserId(operator), action, outcome, target.map(str::to_owned)));
        let store = Store::open(&db.url).await.expect("the store");
        let mut log = store.audit_log(50).await.expect("the audit log");
        log.reverse();
        let found: Vec<_> = log.iter().map(|e| (e.operator, e.action, e.outcome, e.target.clone())).collect();
        assert_eq!(found, expected);
        assert_eq!(log[0].args, "dar 901 analyst");
        assert_eq!(log[1].args, format!("{charge}"));
        assert!(log.windows(2).all(|pair| pair[0].at <= pair[1].at));
        assert!(log[6].at >= log[5].at + 86_400, "audited at the game clock");
        let read = say(&control, OWNER, "/auditoria 3").await;
        assert!(read.starts_with("📜 Auditoría: las últimas 3 acciones"), "{read}");
        assert!(read.contains("· 900 · revoke_role 901 «quitar 901 support» → hecho"), "{read}");
        assert!(read.contains("· 901 · refund — «") && read.contains("→ denegado"), "{read}");
        assert_eq!(store.audit_log(1).await.unwrap()[0].action, OperatorAction::ReadAudit);
        store.close().await;
        drop(server);
        db.drop_db().await;
    });
}
