//! Helpers shared by the rules and content tests: reading a content folder
//! from disk (the game crate itself never does I/O), the demo content, and
//! running a command against a state.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use dianabot_game::content::Content;
use dianabot_game::story::fragment_tag;
use dianabot_game::{
    Command, Ctx, Event, Language, ProfileCommand, RuleError, Rules, StoryCommand, UserId, UserState, decide,
};

/// The demo content, read once per test binary.
pub fn content() -> &'static Content {
    static CONTENT: OnceLock<Content> = OnceLock::new();
    CONTENT.get_or_init(|| {
        Content::parse(&read_dir(&demo_dir())).unwrap_or_else(|problems| {
            let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
            panic!("demo content invalid:\n{}", listed.join("\n"))
        })
    })
}

/// Decides `command` at `now` with the default rules and the demo content,
/// and applies what it produced.
pub fn run_at(state: &mut UserState, command: &Command, now: i64) -> Result<Vec<Event>, RuleError> {
    run_with(state, content(), command, now)
}

/// Decides `command` at `now` with the default rules and `content`, and
/// applies what it produced.
pub fn run_with(
    state: &mut UserState,
    content: &Content,
    command: &Command,
    now: i64,
) -> Result<Vec<Event>, RuleError> {
    let rules = Rules::default();
    let events = decide(state, command, Ctx { now, rules: &rules, content, update_id: None })?;
    events.iter().for_each(|event| state.apply(event));
    Ok(events)
}

/// Ana, registered in Spanish at `now`, with the demo story open.
pub fn reader(now: i64) -> UserState {
    let mut state = UserState::new(UserId(1));
    let register =
        Command::Profile(ProfileCommand::Register { first_name: "Ana".into(), username: None, language: Language::Es });
    run_at(&mut state, &register, now).expect("register");
    run_at(&mut state, &Command::Story(StoryCommand::OpenStory { page: None }), now).expect("open the story");
    state
}

/// Takes choice `choice` (0-based) of the fragment the player stands on.
pub fn choose_at(state: &mut UserState, choice: u8, now: i64) -> Result<Vec<Event>, RuleError> {
    let here = state.progress.story.fragment.clone().expect("in the story");
    run_at(state, &Command::Story(StoryCommand::Decide { fragment: fragment_tag(&here), choice, page: None }), now)
}

/// The demo content shipped with the project.
pub fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../content")
}

/// The corpus of broken content sets, one folder per kind of error.
pub fn broken_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/broken")
}

/// Every `.toml` file under `dir` as `(path relative to dir, text)`.
pub fn read_dir(dir: &Path) -> Vec<(String, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if path.extension().is_some_and(|ext| ext == "toml") {
                let text = std::fs::read_to_string(&path).expect("readable content file");
                let relative = path.strip_prefix(root).expect("path under root");
                let relative: Vec<String> =
                    relative.components().map(|part| part.as_os_str().to_string_lossy().into_owned()).collect();
                out.push((relative.join("/"), text));
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files);
    files.sort();
    files
}

/// Makes the player VIP (a trial) until `until`, or not VIP at all.
pub fn set_vip(state: &mut UserState, until: Option<i64>) {
    use dianabot_game::content::PlanKind;
    use dianabot_game::membership::{Phase, Vip};
    state.progress.vip = until.map(|until| {
        Box::new(Vip { plan: Some(PlanKind::Trial), phase: Phase::Active, until, grace_until: until, ..Vip::default() })
    });
}

/// The end of the player's VIP period, if they have one running.
pub fn vip_until(state: &UserState) -> Option<i64> {
    state.progress.vip.as_ref().filter(|vip| vip.wants_member()).map(|vip| vip.until)
}
