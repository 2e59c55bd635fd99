//! Leaderboards: a prize is paid once per board and period however often
//! it is delivered (the weekly reset re-delivers after a crash), through
//! the ledger; `leaderboards.toml` problems are content problems with file
//! and line.

mod support;

use dianabot_game::content::{Content, ProblemKind};
use dianabot_game::leaderboard::{Metric, Period};
use dianabot_game::{Command, Event, LeaderboardCommand, Reason};

fn award(board: &str, period: i64, besitos: i64) -> Command {
    Command::Leaderboard(LeaderboardCommand::AwardPrize { board: board.into(), period, rank: 1, besitos })
}

#[test]
fn a_prize_is_paid_once_per_board_and_period() {
    let now = 1_796_000_000;
    let mut state = support::reader(now);
    let before = state.wallet.balance;
    let paid = support::run_at(&mut state, &award("story_week", 1_795_392_000, 150), now).expect("paid");
    assert!(paid.iter().any(|event| matches!(event, Event::Ledger(entry)
        if entry.amount == 150 && entry.reason == Reason::LeaderboardPrize)));
    assert_eq!(state.wallet.balance, before + 150);
    // Delivered again (a reset resumed after a crash): nothing.
    let again = support::run_at(&mut state, &award("story_week", 1_795_392_000, 150), now).expect("no refusal");
    assert!(again.is_empty());
    // Another board, or the next week, pays.
    support::run_at(&mut state, &award("besitos_week", 1_795_392_000, 300), now).expect("paid");
    support::run_at(&mut state, &award("story_week", 1_795_996_800, 100), now).expect("paid");
    assert_eq!(state.wallet.balance, before + 550);
}

#[test]
fn the_demo_boards_are_read_in_file_order() {
    let boards: Vec<(&str, Metric, Period, usize)> = support::content()
        .boards()
        .map(|board| (board.id.as_str(), board.metric, board.period, board.prizes.len()))
        .collect();
    assert_eq!(boards[0], ("besitos_week", Metric::BesitosEarned, Period::Weekly, 3));
    assert_eq!(boards[2], ("story_week", Metric::Story, Period::Weekly, 3));
    assert_eq!(boards.last().copied(), Some(("auctions_all", Metric::AuctionsWon, Period::AllTime, 0)));
}

#[test]
fn board_problems_are_reported_with_their_line() {
    let boards = r#"
[[board]]
id = "week"
name = { es = "Semana", en = "Week" }
counts = "kisses"
period = "weekly"

[[board]]
id = "forever"
name = { es = "Siempre", en = "Forever" }
counts = "story"
period = "all_time"
prizes = [10]

[[board]]
id = "week"
name = { es = "Otra", en = "Other" }
counts = "story"
period = "monthly"
prizes = [0]
"#;
    let mut files = support::read_dir(&support::demo_dir());
    files.retain(|(path, _)| path != "leaderboards.toml");
    files.push(("leaderboards.toml".to_owned(), boards.to_owned()));
    let problems = Content::parse(&files).expect_err("invalid boards");
    let found: Vec<(ProblemKind, &str, Option<usize>)> = problems
        .iter()
        .filter(|problem| problem.file == "leaderboards.toml")
        .map(|problem| (problem.kind, problem.key_path.as_str(), problem.line))
        .collect();
    assert!(found.contains(&(ProblemKind::InvalidValue, "board.week.counts", Some(5))), "{found:?}");
    assert!(found.contains(&(ProblemKind::InvalidValue, "board.forever.prizes", Some(13))), "{found:?}");
    assert!(found.contains(&(ProblemKind::InvalidValue, "board.week.period", Some(19))), "{found:?}");
    assert!(found.contains(&(ProblemKind::InvalidValue, "board.week.prizes[0]", Some(20))), "{found:?}");
    assert!(found.iter().any(|(kind, _, line)| *kind == ProblemKind::DuplicateId && line.is_some()), "{found:?}");
}

/// The demo with `events` as its `events.toml`.
fn with_events(events: &str) -> Result<Content, Vec<dianabot_game::content::ContentProblem>> {
    let mut files = support::read_dir(&support::demo_dir());
    files.retain(|(path, _)| path != "events.toml");
    files.push(("events.toml".to_owned(), events.to_owned()));
    Content::parse(&files)
}

#[test]
fn a_sprint_multiplies_its_boards_metric_only_inside_its_window() {
    let sprint = |board: &str| {
        format!(
            "[[event]]\nid = \"sprint\"\nname = {{ es = \"Sprint\", en = \"Sprint\" }}\nfrom = 2027-04-01T00:00:00Z\n\
             until = 2027-04-08T00:00:00Z\neffect = \"leaderboard_sprint\"\nboard = \"{board}\"\nmultiplier = 3\n"
        )
    };
    let content = with_events(&sprint("story_week")).expect("valid");
    let (before, inside, after) = (1_806_537_599, 1_806_537_600 + 3_600, 1_807_142_400);
    assert_eq!(content.score_multiplier(Metric::Story, inside), 3);
    assert_eq!(content.score_multiplier(Metric::Story, before), 1);
    assert_eq!(content.score_multiplier(Metric::Story, after), 1);
    assert_eq!(content.score_multiplier(Metric::Reactions, inside), 1, "another metric counts as ever");

    let problems = with_events(&sprint("no_such_board")).expect_err("an unknown board");
    let found: Vec<(ProblemKind, &str, Option<usize>)> =
        problems.iter().map(|problem| (problem.kind, problem.key_path.as_str(), problem.line)).collect();
    assert_eq!(found, [(ProblemKind::InvalidValue, "event.sprint.board", Some(7))], "{problems:?}");
}
