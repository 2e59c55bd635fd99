//! Feature flags changed live (issue #18): the profile's "your style" line
//! sits behind the `style` flag. An operator's `/flag style 30` shows it,
//! with no restart, to exactly the players whose bucket is under 3000; an
//! operator without the `flags` permission changes nothing; the change
//! survives a restart; editing `flags.toml` and `/reload` moves the share.

use std::collections::BTreeSet;
use std::path::Path;

use dianabot_game::UserId;
use dianabot_game::flags::bucket;

use crate::common::control::{Control, text};
use crate::common::server::{EmulatorProcess, ServerProcess};
use crate::common::{TestDb, run};
use crate::content_reload::demo_copy;
use crate::operator_roles_e2e::say;

const OWNER: i64 = 900;
const MODERATOR: i64 = 901;
const PLAYERS: usize = 120;
const STYLE_LINE: &str = "🎭 Su estilo:";

/// The players a rollout of `rollout` hundredths of a percent admits.
pub(crate) fn admitted(players: &[i64], rollout: u32) -> BTreeSet<i64> {
    players.iter().copied().filter(|&id| bucket("style", "rollout", UserId(id)) < rollout).collect()
}

/// Every player asks for their profile; those whose profile shows the style line.
pub(crate) async fn seeing_style(control: &Control, players: &[i64]) -> BTreeSet<i64> {
    let mut before = Vec::with_capacity(players.len());
    for &player in players {
        before.push(control.bot_messages(player).await.len());
        control.send_text(player, "/perfil").await;
    }
    let mut seeing = BTreeSet::new();
    for (&player, count) in players.iter().zip(before) {
        let messages = control.wait_for(player, "the profile", |m| m.len() > count).await;
        let profile = text(&messages[count]);
        assert!(profile.contains("Perfil"), "{profile}");
        if profile.contains(STYLE_LINE) {
            seeing.insert(player);
        }
    }
    seeing
}

/// Rewrites the `style` flag's rollout in `flags.toml` from `from` to `to`.
fn set_style_rollout(dir: &Path, from: &str, to: &str) {
    let file = dir.join("flags.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let (old, new) = (format!("rollout = {from}\n"), format!("rollout = {to}\n"));
    let style = text.find("name = \"style\"").expect("a style flag");
    let at = style + text[style..].find(&old).expect("the style flag's rollout");
    std::fs::write(&file, format!("{}{new}{}", &text[..at], &text[at + old.len()..])).unwrap();
}

#[test]
fn a_flag_changed_live_moves_exactly_the_expected_players_and_survives_restarts_and_reloads() {
    run(async {
        let db = TestDb::postgres().await;
        let dir = demo_copy();
        set_style_rollout(&dir, "100", "0");
        let content_dir = dir.display().to_string();
        let emulator = EmulatorProcess::start().await;
        let url = emulator.url();
        let env = [
            ("TELEGRAM_BOT_TOKEN", "123456:TEST"),
            ("TELEGRAM_API_URL", url.as_str()),
            ("ADMIN_IDS", "900"),
            ("CONTENT_DIR", content_dir.as_str()),
        ];
        let server = ServerProcess::start(&db.url, &env).await;
        let control = Control::new(&url);
        control.create_user_with_id(OWNER, "Owner", "es").await;
        control.create_user_with_id(MODERATOR, "Mod", "es").await;
        say(&control, OWNER, "/start").await;
        say(&control, MODERATOR, "/start").await;
        say(&control, OWNER, "/rol dar 901 moderator").await;

        let mut players = Vec::with_capacity(PLAYERS);
        for n in 0..PLAYERS {
            let player = control.create_user(&format!("P{n}"), "es").await;
            control.send_text(player, "/start").await;
            players.push(player);
        }
        for &player in &players {
            control.wait_for(player, "the welcome", |m| !m.is_empty()).await;
        }

        // At 0 % nobody sees it.
        assert_eq!(seeing_style(&control, &players).await, BTreeSet::new());

        // 30 %, live: exactly the players whose bucket is under 3000.
        let answer = say(&control, OWNER, "/flag style 30").await;
        assert_eq!(answer, "✅ Flag style: 30 % (antes 0 %; en flags.toml 0 %). En vigor ya, sin reiniciar.");
        let expected = admitted(&players, 3_000);
        assert!((20..=52).contains(&expected.len()), "about 30 % of {PLAYERS}: {}", expected.len());
        assert_eq!(seeing_style(&control, &players).await, expected);

        // An operator without the flags permission changes nothing.
        let refused = say(&control, MODERATOR, "/flag style 100").await;
        assert!(refused.contains("su rol no le permite cambiar las flags; no se ha cambiado nada"), "{refused}");
        let listing = say(&control, OWNER, "/flags").await;
        assert!(listing.contains("style — 30 %\nen flags.toml 0 %; cambiado por 900 el "), "{listing}");
        let audit = say(&control, OWNER, "/auditoria 3").await;
        assert!(audit.contains("set_flag") || audit.contains("flag"), "audited: {audit}");

        // The style screen and the operator's record follow the flag too.
        let (&shown, &hidden) = (
            expected.iter().next().expect("someone sees it"),
            players.iter().find(|player| !expected.contains(player)).expect("someone does not"),
        );
        assert!(say(&control, shown, "/estilo").await.starts_with("🎭 Su estilo"));
        assert!(say(&control, hidden, "/estilo").await.contains("no he entendido"));
        let record = say(&control, OWNER, &format!("/jugador {shown}")).await;
        assert!(record.contains("style: on") && record.contains("Estilo: sin definir"), "{record}");
        let record = say(&control, OWNER, &format!("/jugador {hidden}")).await;
        assert!(record.contains("style: no"), "{record}");

        // A restart keeps the change: it is stored.
        drop(server);
        let server = ServerProcess::start(&db.url, &env).await;
        assert_eq!(seeing_style(&control, &players).await, expected, "after a restart");

        // Back to flags.toml's 0 %, then flags.toml says 60 % and /reload: 60 %.
        let answer = say(&control, OWNER, "/flag style reset").await;
        assert_eq!(answer, "✅ Flag style: vuelve al 0 % de flags.toml (antes 30 %).");
        set_style_rollout(&dir, "0", "60");
        let reloaded = say(&control, OWNER, "/reload").await;
        assert!(reloaded.starts_with("✅ Contenido recargado"), "{reloaded}");
        assert_eq!(seeing_style(&control, &players).await, admitted(&players, 6_000), "after the reload");

        drop(server);
        drop(emulator);
        let _ = std::fs::remove_dir_all(&dir);
        db.drop_db().await;
    });
}
