//! The broken-content corpus: `tests/broken/<case>/` holds a minimal content
//! set with exactly one mistake, and `expected` names the problem it must
//! produce: a first line `<kind> [<key path>] @ <file>[:<line>]` and a second
//! line with the message `content check` prints. Each case must produce that
//! problem and no other, so a check that misses a mistake, reports it in the
//! wrong place, or drags along echoes of it, fails here.
//!
//! Each case is a complete content folder: `dianabot content check
//! game/tests/broken/<case>` shows the same problem.

mod support;

use dianabot_game::content::{Content, ContentProblem};

fn problems_of(case: &str) -> Vec<ContentProblem> {
    let files = support::read_dir(&support::broken_dir().join(case));
    match Content::parse(&files) {
        Ok(_) => Vec::new(),
        Err(problems) => problems,
    }
}

/// `Kind key.path @ file:line` and the message, the shape of an `expected`
/// file.
fn describe(problem: &ContentProblem) -> String {
    let mut out = format!("{:?}", problem.kind);
    if !problem.key_path.is_empty() {
        out.push(' ');
        out.push_str(&problem.key_path);
    }
    out.push_str(" @ ");
    out.push_str(&problem.file);
    if let Some(line) = problem.line {
        out.push_str(&format!(":{line}"));
    }
    out.push('\n');
    out.push_str(&problem.message);
    out
}

#[test]
fn every_broken_case_reports_exactly_its_problem() {
    let mut cases: Vec<String> = std::fs::read_dir(support::broken_dir())
        .expect("broken corpus")
        .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    assert!(cases.len() >= 30, "the corpus covers every kind of problem");
    let mut failures = Vec::new();
    for case in &cases {
        let expected = std::fs::read_to_string(support::broken_dir().join(case).join("expected"))
            .unwrap_or_else(|_| panic!("{case}/expected"));
        let expected = expected.trim();
        let found: Vec<String> = problems_of(case).iter().map(describe).collect();
        if found != [expected] {
            failures.push(format!("{case}:\n  expected {expected}\n  found    {}", found.join("\n           ")));
        }
    }
    assert!(failures.is_empty(), "{} cases failed:\n{}", failures.len(), failures.join("\n"));
}

/// Rewrites every `expected` file from what the checker reports now. Run
/// after changing a message on purpose, then review the diff.
#[test]
#[ignore = "regenerates the corpus expectations"]
fn bless_expected() {
    for entry in std::fs::read_dir(support::broken_dir()).expect("broken corpus") {
        let case = entry.expect("entry").file_name().to_string_lossy().into_owned();
        let found: Vec<String> = problems_of(&case).iter().map(describe).collect();
        let path = support::broken_dir().join(&case).join("expected");
        std::fs::write(path, found.join("\n") + "\n").expect("write expected");
    }
}
