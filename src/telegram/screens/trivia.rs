//! Trivia (the sets, a question with its option buttons, an answer's
//! verdict with the streak, a set's score and reward) and the timed
//! events (the list, and the banner running events put on the screens
//! they change).

use dianabot_game::community::TriviaRun;
use dianabot_game::content::community::{EventEffect, TimedEvent};
use dianabot_game::trivia::{quota, reward};
use dianabot_game::{Event, Language, UserState};
use teloxide_core::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::{Rendered, Ui, escape, t, tw};
use crate::telegram::callback::{Action, tag};
use crate::texts::catalogue::{self as m};

/// A unix second as the texts show it: `2026-12-01 18:00 UTC`.
pub(super) fn instant(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0).map_or_else(String::new, |at| at.format("%Y-%m-%d %H:%M UTC").to_string())
}

/// What an event does, in words.
fn effect(language: Language, event: &TimedEvent) -> String {
    let (kind, multiplier, extra) = match &event.effect {
        EventEffect::ReactionMultiplier { multiplier } => ("reactions", *multiplier, 0),
        EventEffect::TriviaMarathon { extra_sets, points_multiplier } => ("trivia", *points_multiplier, *extra_sets),
        EventEffect::LeaderboardSprint { multiplier, .. } => ("leaderboard", *multiplier, 0),
    };
    tw(language, m::EVENT_EFFECT, &[("kind", kind.into()), ("multiplier", multiplier.into()), ("extra", extra.into())])
}

/// A line per event running now, `affects` choosing which (all for the
/// menu): empty when none is.
pub(super) fn banner(language: Language, ui: Ui<'_>, affects: impl Fn(&EventEffect) -> bool) -> String {
    let mut lines = String::new();
    for event in ui.content.events().iter().filter(|event| event.is_active(ui.now) && affects(&event.effect)) {
        let args = [
            ("name", escape(event.name.get(language)).into()),
            ("effect", effect(language, event).into()),
            ("until", instant(event.until).into()),
        ];
        lines.push_str(&tw(language, m::EVENT_BANNER, &args));
        lines.push('\n');
    }
    if lines.is_empty() { lines } else { format!("{lines}\n") }
}

fn is_trivia(effect: &EventEffect) -> bool {
    matches!(effect, EventEffect::TriviaMarathon { .. })
}

/// `/eventos`: the events running and those to come.
pub(super) fn events(state: &UserState, ui: Ui<'_>) -> Rendered {
    let language = state.language();
    let mut text = t(language, m::EVENTS_TITLE);
    let shown: Vec<&TimedEvent> = ui.content.events().iter().filter(|event| event.until > ui.now).collect();
    if shown.is_empty() {
        text.push_str(&format!("\n{}", t(language, m::EVENTS_NONE)));
    }
    for event in shown {
        let args = [
            ("name", escape(event.name.get(language)).into()),
            ("effect", effect(language, event).into()),
            ("from", instant(event.from).into()),
            ("until", instant(event.until).into()),
            ("running", if event.is_active(ui.now) { "yes" } else { "no" }.into()),
        ];
        text.push_str(&format!("\n\n{}", tw(language, m::EVENT_LINE, &args)));
    }
    let rows = vec![vec![ui.button(state, Action::Menu, &t(language, m::BACK))]];
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) }
}

/// `/trivia`: the sets (VIP ones marked), the sets left today, the best
/// streak, and the set in progress to go back to.
pub(super) fn sets(state: &UserState, ui: Ui<'_>) -> Rendered {
    let language = state.language();
    let community = state.progress.community.as_deref();
    let (started, max) = quota(community, ui.content, ui.now);
    let mut text = banner(language, ui, is_trivia);
    let best = community.map_or(0, |community| community.trivia_best_streak);
    let args = [("left", max.saturating_sub(started).into()), ("max", max.into()), ("best", best.into())];
    text.push_str(&tw(language, m::TRIVIA_TITLE, &args));
    let trivia = ui.content.trivia();
    if trivia.sets.is_empty() {
        text.push_str(&format!("\n{}", t(language, m::TRIVIA_NONE)));
    }
    let mut rows: Vec<Vec<InlineKeyboardButton>> = Vec::new();
    if community.and_then(|community| community.trivia.as_ref()).is_some() {
        rows.push(vec![ui.button(state, Action::TriviaContinue, &t(language, m::BUTTON_TRIVIA_CONTINUE))]);
    }
    for set in trivia.sets.values() {
        let args = [
            ("name", escape(set.name.get(language)).into()),
            ("questions", set.questions.len().into()),
            ("reward", set.reward.into()),
            ("vip", if set.vip { "yes" } else { "no" }.into()),
        ];
        text.push_str(&format!("\n{}", tw(language, m::TRIVIA_SET, &args)));
        let label = tw(language, m::BUTTON_TRIVIA_START, &[("name", set.name.get(language).into())]);
        rows.push(vec![ui.button(state, Action::TriviaStart { set: tag(&set.id) }, &label)]);
    }
    rows.push(vec![ui.button(state, Action::Menu, &t(language, m::BACK))]);
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) }
}

/// After a start or an answer: the verdict of the answer, then the next
/// question, or the set's score and reward at its end.
pub(super) fn play(state: &UserState, events: &[Event], ui: Ui<'_>) -> Rendered {
    let language = state.language();
    let mut text = banner(language, ui, is_trivia);
    for event in events {
        match event {
            Event::TriviaAnswered { set, question, correct, late, points, streak, .. } => {
                let answer = ui
                    .content
                    .trivia()
                    .sets
                    .get(set)
                    .and_then(|set| set.questions.get(usize::from(*question)))
                    .and_then(|question| question.options.get(usize::from(question.correct)))
                    .map_or(String::new(), |option| escape(option.get(language)));
                let line = match (correct, late) {
                    (true, _) => {
                        tw(language, m::TRIVIA_RIGHT, &[("points", (*points).into()), ("streak", (*streak).into())])
                    }
                    (false, true) => tw(language, m::TRIVIA_LATE, &[("answer", answer.into())]),
                    (false, false) => tw(language, m::TRIVIA_WRONG, &[("answer", answer.into())]),
                };
                text.push_str(&line);
                text.push_str("\n\n");
            }
            Event::TriviaFinished { set, score, correct, questions } => {
                let Some(set) = ui.content.trivia().sets.get(set) else { continue };
                let best = state.progress.community.as_deref().map_or(0, |community| community.trivia_best_streak);
                let args = [
                    ("name", escape(set.name.get(language)).into()),
                    ("score", (*score).into()),
                    ("correct", (*correct).into()),
                    ("questions", (*questions).into()),
                    ("reward", reward(set, *correct).into()),
                    ("best", best.into()),
                    ("balance", state.wallet.balance.into()),
                ];
                text.push_str(&tw(language, m::TRIVIA_FINISHED, &args));
                let rows = vec![
                    vec![ui.button(state, Action::Trivia, &t(language, m::BUTTON_TRIVIA))],
                    vec![ui.button(state, Action::Menu, &t(language, m::BACK))],
                ];
                return Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) };
            }
            _ => {}
        }
    }
    match state.progress.community.as_deref().and_then(|community| community.trivia.as_ref()) {
        Some(run) => question(state, ui, run, text),
        None => sets(state, ui),
    }
}

/// The question `run` is on, with a button per option.
fn question(state: &UserState, ui: Ui<'_>, run: &TriviaRun, mut text: String) -> Rendered {
    let language = state.language();
    let found = ui
        .content
        .trivia()
        .sets
        .get(&run.set)
        .and_then(|set| Some((set, set.questions.get(usize::from(run.question))?)));
    let Some((set, question)) = found else { return sets(state, ui) };
    let difficulty = question.difficulty.key();
    let args = [
        ("name", escape(set.name.get(language)).into()),
        ("number", (usize::from(run.question) + 1).into()),
        ("total", set.questions.len().into()),
        ("difficulty", difficulty.into()),
        ("points", question.points.into()),
        ("seconds", (run.deadline - ui.now).max(0).into()),
        ("text", escape(question.text.get(language)).into()),
    ];
    text.push_str(&tw(language, m::TRIVIA_QUESTION, &args));
    let mut rows: Vec<Vec<InlineKeyboardButton>> = question
        .options
        .iter()
        .enumerate()
        .map(|(index, option)| {
            let action = Action::TriviaAnswer { run: run.run, question: run.question, option: index as u8 };
            vec![ui.button(state, action, option.get(language))]
        })
        .collect();
    rows.push(vec![ui.button(state, Action::Trivia, &t(language, m::BUTTON_TRIVIA))]);
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) }
}
