//! Reading the community games' files: `trivia.toml`, `events.toml` and
//! `referrals.toml`. Nothing in them refers to another file, so every
//! check is made here, with the line of the offending key.

use super::{Cx, Tbl};
use crate::content::community::{Difficulty, EventEffect, Question, Referrals, TimedEvent, Trivia, TriviaSet};
use crate::content::model::Text;
use crate::content::problem::ProblemKind;

const INVALID: ProblemKind = ProblemKind::InvalidValue;

impl Cx<'_> {
    /// `trivia.toml`: `daily_sets` and `[[set]]`, each with `[[set.question]]`.
    pub(super) fn trivia(&mut self, root: &Tbl<'_, '_>) {
        self.keys(root, &["daily_sets", "set"], ProblemKind::UnknownKey);
        let mut trivia = Trivia { daily_sets: 3, ..Trivia::default() };
        if let Some(value) = root.get("daily_sets") {
            trivia.daily_sets = self.bounded_at(value, "daily_sets", INVALID, 1, 1_000).unwrap_or(1) as u32;
        }
        for (id, span, tbl) in self.entities(root, "set") {
            self.keys(&tbl, &["id", "name", "vip", "reward", "question"], ProblemKind::UnknownKey);
            let name = self.text(&tbl, "name");
            let vip = self.flag(&tbl, "vip");
            let reward = match tbl.get("reward") {
                Some(value) => self.bounded_at(value, &tbl.child("reward"), INVALID, 0, 1_000_000).unwrap_or(0) as u64,
                None => 0,
            };
            let (questions, listed) = self.questions(&tbl);
            if listed == 0 || listed > TriviaSet::MAX_QUESTIONS {
                let message = format!("a set asks 1 to {} questions (`[[set.question]]`)", TriviaSet::MAX_QUESTIONS);
                self.report(INVALID, &tbl.child("question"), &span, message);
            }
            let set = TriviaSet { id: id.clone(), name, vip, reward, questions };
            self.insert(&mut trivia.sets, id, &span, &tbl.path, set);
        }
        self.draft.trivia = trivia;
    }

    /// The questions read, and how many were listed (a question with a
    /// problem is reported and left out).
    fn questions(&mut self, set: &Tbl<'_, '_>) -> (Vec<Question>, usize) {
        let path = set.child("question");
        let Some(value) = set.get("question") else { return (Vec::new(), 0) };
        let Some(array) = self.array_at(value, &path, ProblemKind::WrongType) else { return (Vec::new(), 0) };
        let mut questions = Vec::new();
        for (index, element) in array.iter().enumerate() {
            let Some(tbl) = self.table_at(element, &format!("{path}[{index}]"), ProblemKind::WrongType) else {
                continue;
            };
            let allowed = ["text", "options", "correct", "difficulty", "points", "seconds"];
            self.keys(&tbl, &allowed, ProblemKind::UnknownKey);
            let text = self.text(&tbl, "text");
            let options = self.options(&tbl);
            let correct = self.required(&tbl, "correct").and_then(|value| {
                let most = options.len().max(1) as i64;
                self.bounded_at(value, &tbl.child("correct"), INVALID, 1, most)
            });
            let difficulty = match tbl.get("difficulty") {
                Some(value) => self.choice(value, &tbl.child("difficulty"), &Difficulty::ALL),
                None => Some(Difficulty::Medium),
            };
            let points = match tbl.get("points") {
                Some(value) => self.bounded_at(value, &tbl.child("points"), INVALID, 1, 10_000),
                None => Some(10),
            };
            let seconds = match tbl.get("seconds") {
                Some(value) => self.bounded_at(value, &tbl.child("seconds"), INVALID, 5, 3_600),
                None => Some(30),
            };
            if let (Some(correct), Some(difficulty), Some(points), Some(seconds)) =
                (correct, difficulty, points, seconds)
            {
                let (correct, points, seconds) = (correct as u8 - 1, points as u32, seconds as u32);
                questions.push(Question { text, options, correct, difficulty, points, seconds });
            }
        }
        (questions, array.len())
    }

    /// `options.es = [...]` and `options.en = [...]`: the same number of
    /// options, 2 to 4, in each language.
    fn options(&mut self, tbl: &Tbl<'_, '_>) -> Vec<Text> {
        let path = tbl.child("options");
        let Some(value) = self.required(tbl, "options") else { return Vec::new() };
        let Some(languages) = self.table_at(value, &path, ProblemKind::WrongType) else { return Vec::new() };
        self.keys(&languages, &["es", "en"], ProblemKind::UnknownKey);
        let read = |cx: &mut Self, code: &str| -> Vec<String> {
            let lang_path = languages.child(code);
            let Some(list) = languages.get(code) else {
                cx.report(ProblemKind::MissingTranslation, &lang_path, &value.span(), format!("missing `{lang_path}`"));
                return Vec::new();
            };
            let Some(array) = cx.array_at(list, &lang_path, ProblemKind::WrongType) else { return Vec::new() };
            let mut words = Vec::new();
            for (index, element) in array.iter().enumerate() {
                let option = cx.str_at(element, &format!("{lang_path}[{index}]"), ProblemKind::WrongType);
                words.push(option.map(|option| option.trim().to_owned()).unwrap_or_default());
            }
            words
        };
        let es = read(self, "es");
        let en = read(self, "en");
        if es.len() != en.len() {
            let message = format!("{} options in Spanish but {} in English", es.len(), en.len());
            self.report(ProblemKind::MissingTranslation, &path, &value.span(), message);
        } else if !(2..=Question::MAX_OPTIONS).contains(&es.len()) {
            let message = format!("a question offers 2 to {} options, got {}", Question::MAX_OPTIONS, es.len());
            self.report(INVALID, &path, &value.span(), message);
        } else if es.iter().chain(&en).any(String::is_empty) {
            self.report(ProblemKind::MissingTranslation, &path, &value.span(), "an option is empty".to_owned());
        }
        es.into_iter().zip(en).map(|(es, en)| Text { es, en }).collect()
    }

    /// `events.toml`: `[[event]]` with `id`, `name`, `from`, `until`,
    /// `effect` and the effect's own keys.
    pub(super) fn events(&mut self, root: &Tbl<'_, '_>) {
        self.keys(root, &["event"], ProblemKind::UnknownKey);
        let mut events: Vec<TimedEvent> = Vec::new();
        for (id, span, tbl) in self.entities(root, "event") {
            let name = self.text(&tbl, "name");
            let from = self.required(&tbl, "from").and_then(|value| self.instant_at(value, &tbl.child("from")));
            let until = self.required(&tbl, "until").and_then(|value| self.instant_at(value, &tbl.child("until")));
            if let (Some(from), Some(until)) = (from, until)
                && from >= until
            {
                self.report_path(INVALID, &tbl.child("until"), &span, "`until` must come after `from`".to_owned());
            }
            let effect = self.effect(&tbl);
            if events.iter().any(|event| event.id == id) {
                self.report(
                    ProblemKind::DuplicateId,
                    &tbl.path,
                    &span,
                    format!("duplicate id `{id}`; ids must be unique"),
                );
                continue;
            }
            if let (Some(from), Some(until), Some(effect)) = (from, until, effect) {
                events.push(TimedEvent { id, name, from, until, effect });
            }
        }
        events.sort_by_key(|event| (event.from, event.id.clone()));
        self.draft.events = events;
    }

    fn effect(&mut self, tbl: &Tbl<'_, '_>) -> Option<EventEffect> {
        let effect_path = tbl.child("effect");
        let value = self.required(tbl, "effect")?;
        let names = EventEffect::NAMES.map(|name| (name, name));
        let kind = self.choice(value, &effect_path, &names);
        let own: &[&str] = match kind {
            Some("reaction_multiplier") => &["multiplier"],
            Some("trivia_marathon") => &["extra_sets", "points_multiplier"],
            Some("leaderboard_sprint") => &["board", "multiplier"],
            _ => &[],
        };
        let mut allowed = vec!["id", "name", "from", "until", "effect"];
        allowed.extend(own);
        self.keys(tbl, &allowed, ProblemKind::UnknownKey);
        let number = |cx: &mut Self, key: &str, min: i64, default: Option<i64>| -> Option<u32> {
            let found = match (tbl.get(key), default) {
                (Some(value), _) => cx.bounded_at(value, &tbl.child(key), INVALID, min, 100),
                (None, Some(default)) => Some(default),
                (None, None) => cx.required(tbl, key).and(None),
            };
            found.map(|n| n as u32)
        };
        match kind? {
            "reaction_multiplier" => {
                Some(EventEffect::ReactionMultiplier { multiplier: number(self, "multiplier", 2, None)? })
            }
            "trivia_marathon" => {
                let extra_sets = number(self, "extra_sets", 0, Some(0));
                let points_multiplier = number(self, "points_multiplier", 1, Some(1));
                let (extra_sets, points_multiplier) = (extra_sets?, points_multiplier?);
                if extra_sets == 0 && points_multiplier == 1 {
                    let message = "a marathon gives `extra_sets`, a `points_multiplier` over 1, or both".to_owned();
                    self.report(INVALID, &tbl.child("extra_sets"), &tbl.span, message);
                }
                Some(EventEffect::TriviaMarathon { extra_sets, points_multiplier })
            }
            _ => {
                let board_path = tbl.child("board");
                let board = self
                    .required(tbl, "board")
                    .and_then(|value| self.id_at(value, &board_path, ProblemKind::WrongType));
                let multiplier = number(self, "multiplier", 2, None);
                Some(EventEffect::LeaderboardSprint { board: board?, multiplier: multiplier? })
            }
        }
    }

    /// `referrals.toml`: the milestone, both rewards and the monthly cap.
    pub(super) fn referrals(&mut self, root: &Tbl<'_, '_>) {
        let keys = ["milestone_decisions", "inviter_reward", "invitee_reward", "monthly_cap"];
        self.keys(root, &keys, ProblemKind::UnknownKey);
        let read = |cx: &mut Self, key: &str, min: i64| {
            cx.required(root, key).and_then(|value| cx.bounded_at(value, key, INVALID, min, 1_000_000))
        };
        let milestone = read(self, "milestone_decisions", 1);
        let inviter = read(self, "inviter_reward", 0);
        let invitee = read(self, "invitee_reward", 0);
        let cap = read(self, "monthly_cap", 1);
        if let (Some(milestone), Some(inviter), Some(invitee), Some(cap)) = (milestone, inviter, invitee, cap) {
            self.draft.referrals = Some(Referrals {
                milestone_decisions: milestone as u32,
                inviter_reward: inviter as u64,
                invitee_reward: invitee as u64,
                monthly_cap: cap as u32,
            });
        }
    }
}
