//! Experiences: the list (in progress with a bar and the next steps,
//! available, completed), an experience's page (its steps, what is missing
//! to start and how to get it, start and abandon), the lines a decision's
//! steps and completions add to its answer, and the mention on story and
//! shop pages of the experience a step belongs to.

use dianabot_game::content::{Component, ComponentKind, Content, Experience};
use dianabot_game::experience::{self, Standing};
use dianabot_game::journeys::{Journey, RunEnd};
use dianabot_game::{Ctx, Event, Language, RuleError, Rules, UserState};
use teloxide_core::types::InlineKeyboardMarkup;

use super::story::describe;
use super::{Rendered, Ui, escape, refusal, t, tw};
use crate::telegram::callback::{Action, tag};
use crate::texts::catalogue::{self as m};

/// Cells of a progress bar.
const BAR_CELLS: u32 = 10;

/// A read-only context for the game's experience rules (what may start
/// at the game clock's `now`); the rules' tunables play no part in them.
fn ctx<'a>(content: &'a Content, rules: &'a Rules, now: i64) -> Ctx<'a> {
    Ctx { now, rules, content, update_id: None }
}

/// `▰▰▰▱▱▱▱▱▱▱ 30 %`
pub(super) fn bar(percent: u32) -> String {
    let full = (percent.min(100) * BAR_CELLS / 100) as usize;
    format!("{}{} {percent} %", "▰".repeat(full), "▱".repeat(BAR_CELLS as usize - full))
}

/// The list: in progress (bar, next steps), available, completed.
pub(super) fn list(state: &UserState, ui: Ui<'_>) -> Rendered {
    let language = state.language();
    let rules = Rules::default();
    let ctx = ctx(ui.content, &rules, ui.now);
    let visible: Vec<&Experience> =
        ui.content.experiences().filter(|experience| experience::is_visible(experience, state)).collect();
    let (mut running, mut open, mut finished) = (String::new(), String::new(), String::new());
    let mut rows = Vec::new();
    for experience in &visible {
        let name = escape(experience.name.get(language));
        let vip = if experience.vip { " 💎" } else { "" };
        match experience::standing(state, experience) {
            Standing::Running(journey) => {
                let next: Vec<String> = experience::available(experience, &journey.done)
                    .iter()
                    .map(|component| step_text(component, journey, language, ui.content))
                    .collect();
                let args = [("next", next.join(" · ").into())];
                running.push_str(&format!(
                    "\n▶️ <b>{name}</b>{vip}\n{}\n{}",
                    bar(experience::percent(experience, journey)),
                    tw(language, m::EXPERIENCE_NEXT, &args)
                ));
            }
            Standing::NotStarted if completed(state, experience) => {
                finished.push_str(&format!("\n✅ {name}{vip}"));
                open.push_str(&format!("\n🔁 {name}{vip}"));
            }
            Standing::NotStarted => {
                let mark = if experience::may_start(state, experience, ctx).is_ok() { "✨" } else { "🔒" };
                open.push_str(&format!("\n{mark} {name}{vip}"));
            }
            Standing::Finished { completed: true } => finished.push_str(&format!("\n✅ {name}{vip}")),
            Standing::Finished { completed: false } => finished.push_str(&format!("\n✖️ {name}{vip}")),
        }
        let action = Action::Experience { experience: tag(experience.id.as_str()) };
        rows.push(vec![ui.button(state, action, experience.name.get(language))]);
    }
    let mut text = t(language, m::EXPERIENCES_TITLE);
    if visible.is_empty() {
        text.push_str(&format!("\n\n{}", t(language, m::EXPERIENCES_NONE)));
    }
    for (title, lines) in
        [(m::EXPERIENCES_RUNNING, running), (m::EXPERIENCES_AVAILABLE, open), (m::EXPERIENCES_COMPLETED, finished)]
    {
        if !lines.is_empty() {
            text.push_str(&format!("\n\n<b>{}</b>{lines}", t(language, title)));
        }
    }
    rows.push(vec![ui.button(state, Action::Menu, &t(language, m::BACK))]);
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) }
}

fn completed(state: &UserState, experience: &Experience) -> bool {
    experience::journeys(state).is_some_and(|journeys| journeys.is_completed(experience.id.as_str()))
}

/// An experience's page: what it is, its steps, where the player stands;
/// `refused` says why a start was not taken, `confirm_abandon` asks before
/// a run is given up.
pub(super) fn page(
    state: &UserState,
    ui: Ui<'_>,
    experience_tag: u32,
    refused: Option<&RuleError>,
    confirm_abandon: bool,
) -> Rendered {
    let language = state.language();
    let rules = Rules::default();
    let ctx = ctx(ui.content, &rules, ui.now);
    let Ok(experience) = experience::by_tag(experience_tag, state, ctx) else {
        return refusal(language, &RuleError::UnknownExperience);
    };
    let button = |action: Action, label: &str| ui.button(state, action, label);
    let vip = if experience.vip { " 💎" } else { "" };
    let mut text = format!(
        "🧭 <b>{}</b>{vip}\n<i>{}</i>\n",
        escape(experience.name.get(language)),
        escape(experience.description.get(language))
    );
    let standing = experience::standing(state, experience);
    let empty = Journey::default();
    let journey = match standing {
        Standing::Running(journey) => {
            text.push_str(&format!("\n{}", bar(experience::percent(experience, journey))));
            if let Some(deadline) = journey.deadline {
                let hours = ((deadline - ui.now).max(0) + 3599) / 3600;
                text.push_str(&format!("\n{}", tw(language, m::EXPERIENCE_TIME_LEFT, &[("hours", hours.into())])));
            }
            journey
        }
        _ => &empty,
    };
    let available = experience::available(experience, &journey.done);
    for component in &experience.components {
        let mark = if journey.done.contains(component.id.as_str()) {
            "✅"
        } else if available.iter().any(|open| open.id == component.id) {
            "▶️"
        } else {
            "🔒"
        };
        text.push_str(&format!("\n{mark} {}", step_text(component, journey, language, ui.content)));
    }
    let experience_tag = tag(experience.id.as_str());
    let mut rows = Vec::new();
    match standing {
        Standing::Running(_) if confirm_abandon => {
            text.push_str(&format!("\n\n{}", t(language, m::EXPERIENCE_ABANDON_CONFIRM)));
            let confirmed = Action::AbandonExperience { experience: experience_tag, confirmed: true };
            rows.push(vec![button(confirmed, &t(language, m::EXPERIENCE_ABANDON_YES))]);
        }
        Standing::Running(_) => {
            let abandon = Action::AbandonExperience { experience: experience_tag, confirmed: false };
            rows.push(vec![button(abandon, &t(language, m::EXPERIENCE_ABANDON))]);
        }
        Standing::Finished { completed } => {
            let message = if completed { m::EXPERIENCE_DONE } else { m::EXPERIENCE_GIVEN_UP };
            text.push_str(&format!("\n\n{}", t(language, message)));
        }
        Standing::NotStarted => {
            match refused.cloned().map_or_else(|| experience::may_start(state, experience, ctx), Err) {
                Ok(()) => {
                    let start = Action::StartExperience { experience: experience_tag };
                    rows.push(vec![button(start, &t(language, m::EXPERIENCE_START))]);
                }
                Err(RuleError::RequirementsNotMet { missing }) => {
                    text.push_str(&format!("\n\n{}", t(language, m::EXPERIENCE_LOCKED)));
                    for missing in &missing {
                        text.push_str(&describe(missing, language, ui.content, 0));
                    }
                }
                Err(RuleError::NotVip) => {
                    text.push_str(&format!("\n\n{}", t(language, m::EXPERIENCE_VIP_ONLY)));
                    rows.push(vec![button(Action::Vip, &t(language, m::BECOME_VIP))]);
                }
                Err(other) => text.push_str(&format!("\n\n{}", refusal(language, &other).text)),
            }
        }
    }
    if let (Standing::Running(_), Some(refused)) = (standing, refused) {
        text.push_str(&format!("\n\n{}", refusal(language, refused).text));
    }
    rows.push(vec![button(Action::Experiences, &t(language, m::BACK_TO_EXPERIENCES))]);
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) }
}

/// One step as a player reads it, with its count so far for a counting one.
fn step_text(component: &Component, journey: &Journey, language: Language, content: &Content) -> String {
    let counted = journey.counts.get(component.id.as_str()).copied().unwrap_or(0);
    let (kind, name, count) = match &component.kind {
        ComponentKind::Fragment(fragment) => {
            let opening = content.fragment(fragment.as_str()).map_or(String::new(), |fragment| {
                // The text's opening, without its own opening quote.
                let text = fragment.text.get(language).trim().trim_start_matches(['«', '"', '“', '—']);
                text.chars().take(40).collect::<String>()
            });
            ("fragment", format!("{opening}…"), 0)
        }
        ComponentKind::Decision(fragment, decision) => {
            let label = content.decision(fragment.as_str(), decision.as_str());
            ("decision", label.map_or(String::new(), |decision| decision.label.get(language).to_owned()), 0)
        }
        ComponentKind::Mission(mission) => {
            ("mission", content.mission(mission.as_str()).map_or(String::new(), |m| m.name.get(language).to_owned()), 0)
        }
        ComponentKind::Purchase(item) => {
            ("purchase", content.shop_item(item.as_str()).map_or(String::new(), |i| i.name.get(language).to_owned()), 0)
        }
        ComponentKind::Achievement(achievement) => (
            "achievement",
            content.achievement(achievement.as_str()).map_or(String::new(), |a| a.name.get(language).to_owned()),
            0,
        ),
        ComponentKind::Reaction { count } => ("reaction", String::new(), u64::from(*count)),
        ComponentKind::ItemHeld { item, quantity } => (
            "item",
            content.item(&item.0).map_or(String::new(), |i| i.name.get(language).to_owned()),
            u64::from(*quantity),
        ),
        ComponentKind::BesitosSpent { amount } => ("spend", String::new(), *amount),
        ComponentKind::Experience(other) => (
            "experience",
            content.experience(other.as_str()).map_or(String::new(), |e| e.name.get(language).to_owned()),
            0,
        ),
    };
    let args =
        [("kind", kind.into()), ("name", escape(&name).into()), ("count", count.into()), ("done", counted.into())];
    tw(language, m::EXPERIENCE_STEP, &args)
}

/// Lines for the experience steps and completions a decision made, with
/// the bar after each step: what the player sees move as they play.
pub(super) fn progress_lines(state: &UserState, language: Language, events: &[Event], content: &Content) -> String {
    let mut lines = String::new();
    let name = |id: &str| content.experience(id).map_or(id.to_owned(), |e| escape(e.name.get(language)));
    for event in events {
        let line = match event {
            Event::ExperienceStarted { experience, .. } => {
                Some(tw(language, m::EXPERIENCE_STARTED, &[("name", name(experience).into())]))
            }
            Event::ComponentDone { experience, .. } => {
                // The bar as this decision leaves it (the run is over if it completed).
                let journey = experience::journeys(state).and_then(|journeys| journeys.running.get(experience));
                let percent = match (content.experience(experience), journey) {
                    (Some(spec), Some(journey)) => experience::percent(spec, journey),
                    _ => 100,
                };
                let args = [("name", name(experience).into()), ("bar", bar(percent).into())];
                Some(tw(language, m::EXPERIENCE_STEP_DONE, &args))
            }
            Event::ExperienceCompleted { experience } => {
                Some(tw(language, m::EXPERIENCE_COMPLETED, &[("name", name(experience).into())]))
            }
            Event::ExperienceEnded { experience, end: RunEnd::Expired } => {
                Some(tw(language, m::EXPERIENCE_EXPIRED, &[("name", name(experience).into())]))
            }
            _ => None,
        };
        if let Some(line) = line {
            lines.push_str(&format!("\n{line}"));
        }
    }
    lines
}

/// "Part of the experience «X»" for a story or shop page, for each
/// experience the player runs or could start with a step `matches` picks;
/// with the bar for one they run.
pub(super) fn part_of(state: &UserState, ui: Ui<'_>, matches: impl Fn(&ComponentKind) -> bool) -> String {
    let language = state.language();
    let rules = Rules::default();
    let mut lines = String::new();
    for experience in experience::featuring(state, ctx(ui.content, &rules, ui.now), matches) {
        let args = [("name", escape(experience.name.get(language)).into())];
        lines.push_str(&format!("\n🧭 {}", tw(language, m::EXPERIENCE_PART_OF, &args)));
        if let Standing::Running(journey) = experience::standing(state, experience) {
            lines.push_str(&format!(" {}", bar(experience::percent(experience, journey))));
        }
    }
    lines
}

/// After a purchase delivered (a saga whose events the answer does not
/// carry): where the experiences with this purchase as a step stand — the
/// bar of a run going on, the celebration of one the purchase completed.
pub(super) fn after_purchase(state: &UserState, ui: Ui<'_>, item: &str) -> String {
    let language = state.language();
    let mut lines = String::new();
    let bought = |component: &Component| matches!(&component.kind, ComponentKind::Purchase(it) if it.as_str() == item);
    for experience in ui.content.experiences().filter(|e| e.components.iter().any(bought)) {
        let name = escape(experience.name.get(language));
        match experience::standing(state, experience) {
            Standing::Running(journey) => {
                let args = [("name", name.into()), ("bar", bar(experience::percent(experience, journey)).into())];
                lines.push_str(&format!("\n{}", tw(language, m::EXPERIENCE_STEP_DONE, &args)));
            }
            _ if completed(state, experience) => {
                lines.push_str(&format!("\n{}", tw(language, m::EXPERIENCE_COMPLETED, &[("name", name.into())])));
            }
            _ => {}
        }
    }
    if lines.is_empty() { lines } else { format!("\n{lines}") }
}
