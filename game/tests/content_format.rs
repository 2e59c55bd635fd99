//! Behaviours of the content reader and checker beyond one-mistake cases.

mod support;

use dianabot_game::content::{
    Condition, Content, ContentProblem, Entity, Hint, Lack, ProblemKind, Requirement, evaluate,
};
use dianabot_game::{UserId, UserState};

fn demo_files() -> Vec<(String, String)> {
    support::read_dir(&support::demo_dir())
}

/// Replaces the first `from` by `to` in one file of `files`.
fn edit(files: &mut [(String, String)], file: &str, from: &str, to: &str) {
    let (_, text) = files.iter_mut().find(|(path, _)| path == file).expect("demo file");
    assert!(text.contains(from), "{file} contains {from:?}");
    *text = text.replacen(from, to, 1);
}

/// The demo with one text replacement in one file.
fn demo_with(file: &str, from: &str, to: &str) -> Vec<(String, String)> {
    let mut files = demo_files();
    edit(&mut files, file, from, to);
    files
}

fn problems(files: &[(String, String)]) -> Vec<ContentProblem> {
    Content::parse(files).err().unwrap_or_default()
}

#[test]
fn every_problem_of_every_file_is_reported_in_one_pass() {
    let mut files = demo_files();
    edit(&mut files, "items.toml", "name.en = \"Black rose\"", "");
    edit(&mut files, "story/level-3.toml", "to = \"l3_rosa_dejada\"", "to = \"l3_rosa_perdida\"");
    edit(&mut files, "shop.toml", "price = { besitos = 25 }", "price = { besitos = -25 }");
    let found: Vec<(ProblemKind, String)> = problems(&files).into_iter().map(|p| (p.kind, p.file)).collect();
    let fragment = ProblemKind::UnknownReference(Entity::Fragment);
    for expected in [
        (ProblemKind::MissingTranslation, "items.toml"),
        (ProblemKind::InvalidValue, "shop.toml"),
        (fragment, "story/level-3.toml"),
    ] {
        assert!(found.contains(&(expected.0, expected.1.to_owned())), "{expected:?} in {found:?}");
    }
}

#[test]
fn opening_the_salon_to_free_players_is_a_vip_leak_at_the_decision() {
    let files = demo_with("story/level-3.toml", "requires = { vip = true }\n", "");
    let found = problems(&files);
    assert_eq!(found.len(), 1, "{found:?}");
    let problem = &found[0];
    assert_eq!(problem.kind, ProblemKind::VipLeak);
    assert_eq!(problem.key_path, "fragment.l3_confidencia.decision.audiencia.to");
    let text = &files.iter().find(|(path, _)| path == "story/level-3.toml").expect("file").1;
    let line = problem.line.expect("a line");
    assert_eq!(text.lines().nth(line - 1), Some("to = \"l4_antesala\""));
}

#[test]
fn a_problem_prints_as_file_line_key_message() {
    let files = demo_with("story/level-1.toml", "to = \"l1_lucien\"", "to = \"l1_nadie\"");
    let found = problems(&files);
    assert_eq!(found.len(), 2, "the unknown target, and the fragment nothing else leads to: {found:?}");
    assert_eq!(
        found[0].to_string(),
        "story/level-1.toml:25: fragment.l1_umbral.decision.preguntar.to: unknown fragment `l1_nadie`"
    );
    assert_eq!(found[1].kind, ProblemKind::Unreachable);
}

#[test]
fn the_order_files_are_given_in_does_not_matter() {
    let mut files = demo_files();
    let forward = Content::parse(&files).expect("demo valid");
    files.reverse();
    let backward = Content::parse(&files).expect("demo valid");
    let ids = |content: &Content| content.fragments().map(|f| f.id.to_string()).collect::<Vec<_>>();
    assert_eq!(ids(&forward), ids(&backward));
}

#[test]
fn besitos_hints_start_with_reactions_and_never_send_the_player_shopping() {
    let content = Content::parse(&demo_files()).expect("demo valid");
    let requirement = Requirement { all: vec![Condition::MinBesitos(500)], any: Vec::new() };
    let evaluation = evaluate(&requirement, &UserState::new(UserId(1)), &content, 0);
    let [missing] = &evaluation.missing[..] else { panic!("{evaluation:?}") };
    assert_eq!(missing.lack, Lack::Besitos { have: 0, needed: 500 });
    assert_eq!(missing.hints.first(), Some(&Hint::React));
    assert!(!missing.hints.iter().any(|hint| matches!(hint, Hint::Shop(_))));
}

#[test]
fn the_player_level_follows_experience_points() {
    let content = Content::parse(&demo_files()).expect("demo valid");
    let thresholds: Vec<u64> = content.levels().map(|level| level.experience_points).collect();
    assert_eq!(content.level_for_xp(0), 1);
    for (index, &threshold) in thresholds.iter().enumerate() {
        assert_eq!(content.level_for_xp(threshold), index as u8 + 1);
        if threshold > 0 {
            assert_eq!(content.level_for_xp(threshold - 1), index as u8);
        }
    }
}
