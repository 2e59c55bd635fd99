//! Operators change content without a restart: /reload (or SIGHUP) puts
//! valid content live at once and refuses invalid content, keeping the old;
//! a server never starts on invalid content.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::control::{Control, text};
use crate::common::server::{ServerProcess, free_addr};
use crate::common::{TestDb, run};

const ORIGINAL: &str = "La puerta se abre antes de que usted llame.";
const EDITED: &str = "La puerta, esta noche, ya estaba abierta.";

pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() { copy_dir(&path, &target) } else { std::fs::copy(&path, &target).map(drop).unwrap() }
    }
}

pub(crate) fn demo_copy() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dianabot-content-{}-{}", std::process::id(), fastrand::u32(..)));
    copy_dir(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/content")), &dir);
    dir
}

fn edit(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains(from), "{} has no {from:?}", file.display());
    std::fs::write(file, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn reload_puts_valid_content_live_and_keeps_the_old_on_errors() {
    run(async {
        let db = TestDb::postgres().await;
        let dir = demo_copy();
        let content_dir = dir.display().to_string();
        let env = [("ADMIN_IDS", "900"), ("CONTENT_DIR", content_dir.as_str())];
        let (server, emulator) = ServerProcess::embedded(&db.url, &env).await;
        let control = Control::new(&emulator);
        let operator = control.create_user_with_id(900, "Op", "es").await;
        let ana = control.create_user("Ana", "es").await;
        control.send_text(ana, "/start").await;
        control.send_text(ana, "/historia").await;
        let messages = control.wait_for(ana, "the story", |m| m.len() == 2).await;
        assert!(text(&messages[1]).contains(ORIGINAL));

        edit(&dir.join("story/level-1.toml"), ORIGINAL, EDITED);
        control.send_text(operator, "/reload").await;
        let said = control.wait_for(operator, "reload report", |m| m.len() == 1).await;
        assert_eq!(text(&said[0]), "✅ Contenido recargado: 43 fragmentos en vigor.");
        control.send_text(ana, "/historia").await;
        let messages = control.wait_for(ana, "the edited story", |m| m.len() == 3).await;
        assert!(text(&messages[2]).contains(EDITED), "{}", text(&messages[2]));

        // A broken file: refused with its problems, the edited content stays.
        edit(&dir.join("items.toml"), "[[item]]", "[[item]\nbroken");
        control.send_text(operator, "/reload").await;
        let said = control.wait_for(operator, "refusal", |m| m.len() == 2).await;
        assert!(
            text(&said[1]).starts_with("❌ Contenido rechazado; sigue en vigor el anterior."),
            "{}",
            text(&said[1])
        );
        assert!(text(&said[1]).contains("items.toml:"), "the problem names its file: {}", text(&said[1]));
        // SIGHUP with the same broken content: refused too, the server serves on.
        let pid = server.child.id().to_string();
        assert!(Command::new("kill").args(["-HUP", &pid]).status().unwrap().success());
        control.send_text(ana, "/historia").await;
        let messages = control.wait_for(ana, "the story again", |m| m.len() == 4).await;
        assert!(text(&messages[3]).contains(EDITED), "{}", text(&messages[3]));

        // A non-operator cannot reload.
        control.send_text(ana, "/reload").await;
        let messages = control.wait_for(ana, "not understood", |m| m.len() == 5).await;
        assert!(text(&messages[4]).contains("no he entendido"));
        drop(server);
        let _ = std::fs::remove_dir_all(&dir);
        db.drop_db().await;
    });
}

#[test]
fn the_server_refuses_to_start_on_invalid_content_and_says_why() {
    let dir = demo_copy();
    std::fs::write(dir.join("story/level-2.toml"), "level = 2\nstart = \"nowhere\"\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_dianabot"))
        .env("CONTENT_DIR", &dir)
        .env("DATABASE_URL", "sqlite::memory:")
        .env("HTTP_BIND", free_addr().to_string())
        .env("EMULATOR_BIND", free_addr().to_string())
        .output()
        .expect("run dianabot");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("invalid content in"), "{stderr}");
    assert!(stderr.contains("level-2.toml"), "the problem names its file: {stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn editing_a_text_and_reloading_changes_the_reply_without_a_restart() {
    run(async {
        let db = TestDb::postgres().await;
        let dir = demo_copy();
        let content_dir = dir.display().to_string();
        let env = [("ADMIN_IDS", "900"), ("CONTENT_DIR", content_dir.as_str())];
        let (server, emulator) = ServerProcess::embedded(&db.url, &env).await;
        let control = Control::new(&emulator);
        let operator = control.create_user_with_id(900, "Op", "es").await;
        let ana = control.create_user("Ana", "es").await;
        control.send_text(ana, "/start").await;
        control.send_text(ana, "/nada").await;
        let messages = control.wait_for(ana, "not understood", |m| m.len() == 2).await;
        assert!(text(&messages[1]).contains("no he entendido"), "{}", text(&messages[1]));

        let texts = dir.join("texts/es.ftl");
        edit(&texts, "arquea una ceja: no he entendido.", "sonríe: eso no lo conozco.");
        control.send_text(operator, "/reload").await;
        control.wait_for(operator, "reload report", |m| m.len() == 1).await;
        control.send_text(ana, "/nada").await;
        let messages = control.wait_for(ana, "the edited text", |m| m.len() == 3).await;
        assert!(text(&messages[2]).contains("sonríe: eso no lo conozco."), "{}", text(&messages[2]));

        // A text with a variable the server does not pass: refused with
        // its file and line, and the edited texts stay.
        edit(&texts, "sonríe: eso no lo conozco.", "sonríe: { $quien } no lo conoce.");
        control.send_text(operator, "/reload").await;
        let said = control.wait_for(operator, "refusal", |m| m.len() == 2).await;
        assert!(text(&said[1]).starts_with("❌ Contenido rechazado"), "{}", text(&said[1]));
        assert!(text(&said[1]).contains("texts/es.ftl:"), "the problem names its file: {}", text(&said[1]));
        assert!(text(&said[1]).contains("unknown variable $quien"), "{}", text(&said[1]));
        control.send_text(ana, "/nada").await;
        let messages = control.wait_for(ana, "the edited text again", |m| m.len() == 4).await;
        assert!(text(&messages[3]).contains("sonríe: eso no lo conozco."), "{}", text(&messages[3]));
        drop(server);
        let _ = std::fs::remove_dir_all(&dir);
        db.drop_db().await;
    });
}

#[test]
fn content_check_reports_text_problems_with_file_and_line() {
    let dir = demo_copy();
    edit(&dir.join("texts/en.ftl"), "welcome-back =", "welcome-bakc =");
    edit(&dir.join("texts/es.ftl"), "open-menu = Abrir el menú", "open-menu = Abrir el { $donde }");
    let output = Command::new(env!("CARGO_BIN_EXE_dianabot"))
        .args(["content", "check", &dir.display().to_string()])
        .output()
        .expect("run dianabot content check");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let es = std::fs::read_to_string(dir.join("texts/es.ftl")).unwrap();
    let line = |needle: &str| es.lines().position(|line| line.starts_with(needle)).unwrap() + 1;
    let texts = dir.join("texts").display().to_string();
    let missing = format!("{texts}/es.ftl:{}: welcome-back: no text for it in texts/en.ftl", line("welcome-back ="));
    assert!(stderr.contains(&missing), "{missing} in {stderr}");
    let unknown = format!("{texts}/es.ftl:{}: open-menu: unknown variable $donde", line("open-menu ="));
    assert!(stderr.contains(&unknown), "{unknown} in {stderr}");
    assert!(stderr.contains("welcome-bakc"), "a text only English has: {stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
