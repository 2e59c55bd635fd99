//! `dianabot content new experience`: every template writes an experience
//! that passes `content check` against the demo content, and bad requests
//! write nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use dianabot::content::new::{NewError, TEMPLATES, Template, new_experience};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() { copy_dir(&path, &target) } else { std::fs::copy(&path, &target).map(drop).unwrap() }
    }
}

/// A fresh copy of the demo content, removed when dropped.
struct DemoCopy(PathBuf);

impl DemoCopy {
    fn new() -> DemoCopy {
        let dir = std::env::temp_dir().join(format!("dianabot-new-{}-{}", std::process::id(), fastrand::u32(..)));
        copy_dir(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/content")), &dir);
        DemoCopy(dir)
    }
}

impl Drop for DemoCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every `.toml` file of the folder with its text, to prove nothing changed.
fn snapshot(dir: &Path) -> Vec<(String, String)> {
    dianabot::content::read_files(dir).unwrap()
}

#[test]
fn every_template_writes_an_experience_that_passes_the_check() {
    assert!(TEMPLATES.len() >= 4);
    let demo = DemoCopy::new();
    for (index, template) in TEMPLATES.iter().enumerate() {
        let id = format!("nueva-{index}");
        let path = new_experience(&demo.0, template.name, &id)
            .unwrap_or_else(|error| panic!("template {}: {error}", template.name));
        assert_eq!(path, demo.0.join(format!("experiences/{id}.toml")));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("{id}"), "{}: every placeholder filled", template.name);
        assert!(text.lines().filter(|line| line.starts_with('#')).count() >= 5, "{}: commented", template.name);
        let (content, _) = dianabot::content::load(&demo.0)
            .unwrap_or_else(|error| panic!("template {} passes the check: {error}", template.name));
        let experience = content.experience(&id).expect("the new experience is loaded");
        assert!(!experience.name.es.is_empty() && !experience.name.en.is_empty());
        assert!(!experience.components.is_empty());
    }
}

#[test]
fn the_longest_id_a_template_accepts_still_passes() {
    for template in &TEMPLATES {
        let demo = DemoCopy::new();
        let id = "x".repeat(template.max_id_len());
        new_experience(&demo.0, template.name, &id).unwrap_or_else(|error| panic!("{}: {error}", template.name));
        dianabot::content::load(&demo.0).unwrap_or_else(|error| panic!("{}: {error}", template.name));
        let too_long = "x".repeat(template.max_id_len() + 1);
        let refused = new_experience(&demo.0, template.name, &too_long);
        assert!(matches!(refused, Err(NewError::InvalidId { .. })), "{}: {refused:?}", template.name);
    }
}

#[test]
fn bad_requests_are_refused_and_write_nothing() {
    let demo = DemoCopy::new();
    let before = snapshot(&demo.0);
    let refused = |template: &str, id: &str| new_experience(&demo.0, template, id).expect_err("refused");

    let error = refused("story-arc", "Mala Id");
    assert!(matches!(error, NewError::InvalidId { .. }), "{error:?}");
    let error = refused("story-arc", "");
    assert!(matches!(error, NewError::InvalidId { .. }), "{error:?}");

    let error = refused("no-such-template", "nueva");
    assert!(matches!(error, NewError::UnknownTemplate(_)), "{error:?}");
    let message = error.to_string();
    for template in &TEMPLATES {
        assert!(message.contains(template.name), "the known templates are listed: {message}");
    }

    let error = refused("collection", "noche_biblioteca");
    assert!(matches!(error, NewError::ExperienceExists(_)), "an experience of experiences.toml: {error:?}");
    assert_eq!(snapshot(&demo.0), before);
    let folder = demo.0.join("experiences");
    std::fs::rename(folder.join("coleccion_de_diana.toml"), folder.join("otras.toml")).unwrap();
    let before = snapshot(&demo.0);
    let error = refused("collection", "coleccion_de_diana");
    assert!(matches!(error, NewError::ExperienceExists(_)), "an experience of experiences/otras.toml: {error:?}");
    assert_eq!(snapshot(&demo.0), before);

    new_experience(&demo.0, "reaction-challenge", "reto").expect("written");
    let after = snapshot(&demo.0);
    let error = refused("collection", "reto");
    assert!(matches!(error, NewError::FileExists(_)), "the file is there: {error:?}");
    assert_eq!(snapshot(&demo.0), after, "the file was not overwritten");
}

#[test]
fn an_experience_whose_inline_ids_are_taken_is_not_written() {
    let demo = DemoCopy::new();
    // The story-arc template defines the mission `<id>-eco`.
    let missions = demo.0.join("missions.toml");
    let mut text = std::fs::read_to_string(&missions).unwrap();
    text.push_str(
        "\n[[mission]]\nid = \"arco-eco\"\nkind = \"daily\"\nname = { es = \"Eco\", en = \"Echo\" }\ndescription = { \
         es = \"Eco.\", en = \"Echo.\" }\ngoal = { counter = \"reactions\", target = 1 }\n",
    );
    std::fs::write(&missions, text).unwrap();
    let before = snapshot(&demo.0);
    let error = new_experience(&demo.0, "story-arc", "arco").expect_err("a clash");
    let NewError::DoesNotFit(invalid) = &error else { panic!("{error:?}") };
    assert_eq!(invalid.problems.len(), 1, "{error}");
    let problem = &invalid.problems[0];
    assert_eq!(problem.file, "experiences/arco.toml");
    assert!(problem.message.contains("first defined at missions.toml:"), "{}", problem.message);
    assert_eq!(snapshot(&demo.0), before);
}

#[test]
fn the_command_lists_templates_writes_and_checks() {
    let demo = DemoCopy::new();
    let dianabot = env!("CARGO_BIN_EXE_dianabot");
    let listed = Command::new(dianabot).args(["content", "new", "experience", "--list"]).output().unwrap();
    assert!(listed.status.success());
    let listed = String::from_utf8_lossy(&listed.stdout);
    for template in &TEMPLATES {
        assert!(listed.contains(template.name) && listed.contains(template.summary), "{listed}");
    }

    let dir = demo.0.display().to_string();
    let args = ["content", "new", "experience", "--template", "vip-journey", "--id", "velada", "--dir", &dir];
    let written = Command::new(dianabot).args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&written.stdout);
    assert!(written.status.success(), "{stdout}{}", String::from_utf8_lossy(&written.stderr));
    assert!(stdout.contains("wrote ") && stdout.contains("content is valid") && stdout.contains("next:"), "{stdout}");
    assert!(demo.0.join("experiences/velada.toml").exists());

    let again = Command::new(dianabot).args(args).output().unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let unknown = Command::new(dianabot)
        .args(["content", "new", "experience", "--template", "saga", "--id", "otra", "--dir", &dir])
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains(Template::find("story-arc").unwrap().name));
}
