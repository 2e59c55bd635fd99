//! The screens read the game clock the decisions read, through the running
//! binary with `TEST_CLOCK=on`: after `POST /control/clock/advance` the
//! days of VIP left, an experience's hours left and a shop discount's
//! window shown are the ones the game applies, not the wall clock's.

use serde_json::Value;

use crate::common::control::{Control, button, buttons, text};
use crate::common::server::ServerProcess;
use crate::common::{TestDb, run};

const OPERATOR: i64 = 900;
const HOUR: u32 = 3_600;
const DAY: u32 = 24 * HOUR;

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

/// The label of `page`'s first button starting with `prefix`.
fn label(page: &Value, prefix: &str) -> String {
    let found = buttons(page).into_iter().find(|(label, _)| label.starts_with(prefix));
    found.unwrap_or_else(|| panic!("no button starting {prefix:?} in {page:#}")).0
}

/// The player's balance, as `/profile` shows it. The game clock's jumps
/// fire timers whose notices (VIP lapsed, an experience expired) may
/// arrive first, so the profile is the new message with a balance line.
async fn balance(control: &Control, user: i64) -> i64 {
    let balance_in = |message: &Value| {
        let line = text(message).lines().find(|line| line.starts_with("Besitos:"))?;
        line.trim_start_matches("Besitos:").trim().parse::<i64>().ok()
    };
    let before = control.bot_messages(user).await.len();
    control.send_text(user, "/profile").await;
    let messages = control.wait_for(user, "/profile", |m| m[before..].iter().any(|m| balance_in(m).is_some())).await;
    messages[before..].iter().find_map(balance_in).expect("a balance line")
}

/// The page of the experience `name`, opened from `/experiences`.
async fn experience_page(control: &Control, user: i64, name: &str) -> Value {
    let list = ask(control, user, "/experiences").await;
    press(control, user, &list, name).await
}

#[test]
fn screens_show_what_the_game_clock_decides_after_it_advances() {
    run(async {
        let db = TestDb::postgres().await;
        let env = [("ADMIN_IDS", "900"), ("TEST_CLOCK", "on"), ("TIMER_POLL_MS", "50")];
        let (server, emulator) = ServerProcess::embedded(&db.url, &env).await;
        let control = Control::new(&emulator);
        control.create_user_with_id(OPERATOR, "Op", "en").await;
        ask(&control, OPERATOR, "/start").await;
        let ana = control.create_user("Ana", "en").await;
        ask(&control, ana, "/start").await;

        // A week of VIP, and a three-day challenge started.
        ask(&control, OPERATOR, &format!("/grantvip {ana} 7")).await;
        let vip = ask(&control, ana, "/vip").await;
        assert!(text(&vip).contains("(7 days left)"), "{}", text(&vip));
        let page = experience_page(&control, ana, "Kisses on the wind").await;
        let page = press(&control, ana, &page, "▶️ Start").await;
        assert!(text(&page).contains("⏳ 72 h left"), "{}", text(&page));

        // A day and six hours later by the game clock.
        server.advance_clock(DAY + 6 * HOUR).await;
        let vip = ask(&control, ana, "/vip").await;
        assert!(text(&vip).contains("(6 days left)"), "{}", text(&vip));
        let page = experience_page(&control, ana, "Kisses on the wind").await;
        assert!(text(&page).contains("⏳ 42 h left"), "{}", text(&page));

        // The star map's discount ends on 2030-01-01: past it, the page
        // shows the full price, and the full price is what a purchase costs.
        ask(&control, OPERATOR, &format!("/grant {ana} 100")).await;
        let shop = ask(&control, ana, "/shop").await;
        let item = press(&control, ana, &shop, &label(&shop, "🟣 Star map")).await;
        assert!(text(&item).contains("Price: 24 💋 / 12 ⭐ (−20%"), "in force now: {}", text(&item));
        server.advance_clock(1_200 * DAY).await;
        let shop = ask(&control, ana, "/shop").await;
        let item = press(&control, ana, &shop, &label(&shop, "🟣 Star map")).await;
        assert!(text(&item).contains("Price: 30 💋 / 15 ⭐"), "{}", text(&item));
        assert!(!text(&item).contains("−20%"), "the discount ended: {}", text(&item));
        let before = balance(&control, ana).await;
        let bought = press(&control, ana, &item, "Buy for 30 besitos").await;
        assert!(text(&bought).contains("Star map is yours"), "{}", text(&bought));
        assert_eq!(balance(&control, ana).await, before - 30, "charged the price shown");
        drop(server);
        db.drop_db().await;
    });
}
