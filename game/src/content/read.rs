//! Reading content files: TOML text to the model, with every problem found.
//!
//! The reader walks toml's span-carrying document tree (`DeTable`) by hand
//! instead of deriving serde impls. That costs some code, but it is what lets
//! `content check` report *every* problem of a file (serde stops at the
//! first) with the key path an operator recognises and the line of the
//! offending key, and lets the rules of the format (allowed languages,
//! requirement kinds, id syntax) produce messages written for operators.
//!
//! References between entities cannot be checked while reading (they may
//! point into files not read yet), so the reader records them with their
//! location in a [`SourceMap`] and `validate` checks them afterwards.

use std::collections::BTreeMap;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

use super::ids::{
    AchievementId, CategoryId, CodeId, ComponentId, DecisionId, ExperienceId, FlagName, FragmentId, LoreId, MissionId,
    RecipeId, RoleId, ShopItemId, is_valid_id,
};
use super::model::{
    Achievement, COUNTERS, Category, Component, ComponentKind, Condition, Cost, Decision, Discount, Experience,
    FollowUp, Fragment, Goal, Item, Level, Lore, LorePiece, MAX_LEVEL, Mission, MissionKind, Permission, Permissions,
    PlanKind, Price, Rarity, ReactionRewards, ReactionTarget, Recipe, Requirement, Reward, Role, SecretCode, ShopItem,
    Text, VipPlan, VipSettings, Window,
};
use super::problem::{ContentProblem, Entity, ProblemKind};
use crate::ids::ItemId;
use crate::leaderboard::{Board, Metric, Period};

// The community games' files (trivia, events, referrals).
mod community;
// flags: personalisation (archetype weights, feature flags).
mod personal;
// offers: contextual offers (`offers.toml`).
mod offers;

type Value<'i> = Spanned<DeValue<'i>>;

/// The table a component of a kind may define its entity in, instead of
/// naming it in `ref`: `[experience.component.mission]`, with the keys of
/// an entry of that entity's catalogue.
fn inline_key(entity: Entity) -> Option<&'static str> {
    match entity {
        Entity::Fragment => Some("fragment"),
        Entity::Item => Some("item"),
        Entity::Achievement => Some("achievement"),
        Entity::Mission => Some("mission"),
        Entity::ShopItem => Some("shop_item"),
        _ => None,
    }
}

const RARITIES: [(&str, Rarity); 4] =
    [("common", Rarity::Common), ("rare", Rarity::Rare), ("epic", Rarity::Epic), ("legendary", Rarity::Legendary)];

/// Unix seconds of a TOML date or offset date-time; `None` for local
/// date-times and bare times, which do not name one instant.
fn unix_seconds(datetime: &toml_datetime::Datetime) -> Option<i64> {
    let date = datetime.date?;
    let (seconds_of_day, offset_minutes) = match (datetime.time, datetime.offset) {
        (None, None) => (0, 0),
        (Some(time), Some(offset)) => {
            let offset = match offset {
                toml_datetime::Offset::Z => 0,
                toml_datetime::Offset::Custom { minutes } => i64::from(minutes),
            };
            let seconds = i64::from(time.hour) * 3600 + i64::from(time.minute) * 60;
            (seconds + i64::from(time.second.unwrap_or(0)), offset)
        }
        _ => return None,
    };
    let days = days_from_civil(i64::from(date.year), i64::from(date.month), i64::from(date.day));
    Some(days * 86_400 + seconds_of_day - offset_minutes * 60)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// A place in the content: file (index into [`SourceMap::files`]), line and
/// key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Site {
    pub file: usize,
    pub line: usize,
    pub path: String,
}

/// Something a requirement asks a player to hold, which some reward or
/// decision must be able to give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Need {
    Flag(FlagName),
    Item(ItemId),
    Achievement(AchievementId),
}

/// Where everything was read, so problems found after reading (references,
/// the story graph) still point at a file, key path and line.
#[derive(Debug, Clone, Default)]
pub(super) struct SourceMap {
    pub files: Vec<String>,
    /// Key path -> (file, line) of its first occurrence. Entity key paths
    /// use ids (`fragment.l1_umbral.decision.entrar.to`), which are unique
    /// once duplicates are refused, so the path alone locates a value.
    at: BTreeMap<String, (usize, usize)>,
    /// Every reference to an entity, checked once all files are read.
    pub refs: Vec<(Entity, String, Site)>,
    /// Every flag, item and achievement some requirement needs.
    pub needs: Vec<(Need, Site)>,
    /// Each story file's `start`: (level, fragment, site).
    pub starts: Vec<(u8, FragmentId, Site)>,
}

impl SourceMap {
    /// A problem located at `path`, or at its nearest recorded ancestor.
    pub fn problem(&self, kind: ProblemKind, path: &str, message: String) -> ContentProblem {
        let mut probe = path;
        let found = loop {
            if let Some(&found) = self.at.get(probe) {
                break Some(found);
            }
            match probe.rfind(['.', '[']) {
                Some(cut) => probe = &probe[..cut],
                None => break None,
            }
        };
        let (file, line) = match found {
            Some((file, line)) => (self.files.get(file).cloned().unwrap_or_default(), Some(line)),
            None => (String::new(), None),
        };
        ContentProblem { kind, file, key_path: path.to_owned(), line, message }
    }

    pub fn problem_at(&self, kind: ProblemKind, site: &Site, message: String) -> ContentProblem {
        ContentProblem {
            kind,
            file: self.files.get(site.file).cloned().unwrap_or_default(),
            key_path: site.path.clone(),
            line: Some(site.line),
            message,
        }
    }
}

/// Everything read from a content set, before cross-file validation.
#[derive(Debug, Default)]
pub(super) struct Draft {
    pub levels: BTreeMap<u8, Level>,
    pub start: Option<FragmentId>,
    pub fragments: BTreeMap<FragmentId, Fragment>,
    /// Fragment ids in reading order (files sorted by path, then file order).
    pub fragment_order: Vec<FragmentId>,
    pub items: BTreeMap<ItemId, Item>,
    pub achievements: BTreeMap<AchievementId, Achievement>,
    pub missions: BTreeMap<MissionId, Mission>,
    pub shop: BTreeMap<ShopItemId, ShopItem>,
    pub categories: BTreeMap<CategoryId, Category>,
    pub experiences: BTreeMap<ExperienceId, Experience>,
    pub reactions: ReactionRewards,
    pub roles: BTreeMap<RoleId, Role>,
    pub vip: VipSettings,
    pub lore: Lore,
    // Community games (trivia, timed events, referrals).
    pub trivia: super::community::Trivia,
    pub events: Vec<super::community::TimedEvent>,
    pub referrals: Option<super::community::Referrals>,
    // Leaderboards, in file order.
    pub boards: Vec<Board>,
    // Personalisation: archetype weights and feature flags.
    pub archetypes: crate::archetype::ArchetypeWeights,
    pub flags: crate::flags::Flags,
    /// What each flag is for (`description`), for `/flags`.
    pub flag_descriptions: BTreeMap<String, Text>,
    // offers: in file order.
    pub offers: Vec<super::offers::Offer>,
    pub source: SourceMap,
    pub problems: Vec<ContentProblem>,
    /// A problem that leaves the model incomplete (bad syntax, a missing or
    /// mistyped key) was found: cross-file validation is skipped, because it
    /// would mostly report consequences of the same mistake.
    pub damaged: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    Story,
    Levels,
    Items,
    Achievements,
    Missions,
    Shop,
    Reactions,
    Experiences,
    Roles,
    Vip,
    Lore,
    // Community games.
    Trivia,
    Events,
    Referrals,
    // Leaderboards.
    Leaderboards,
    // flags: personalisation.
    Archetypes,
    Flags,
    // offers
    Offers,
}

/// What a file holds, from its path: `story/<anything>.toml`,
/// `experiences/<anything>.toml` or one of the fixed names. The name
/// decides, so a misplaced file is reported rather than silently read as
/// something else.
fn classify(path: &str) -> Option<FileKind> {
    let normalized = path.replace('\\', "/");
    let mut parts: Vec<&str> = normalized.split('/').filter(|part| !part.is_empty() && *part != ".").collect();
    let name = parts.pop()?;
    match parts.last() {
        Some(&"story") => return name.ends_with(".toml").then_some(FileKind::Story),
        Some(&"experiences") => return name.ends_with(".toml").then_some(FileKind::Experiences),
        _ => {}
    }
    Some(match name {
        "levels.toml" => FileKind::Levels,
        "items.toml" => FileKind::Items,
        "achievements.toml" => FileKind::Achievements,
        "missions.toml" => FileKind::Missions,
        "shop.toml" => FileKind::Shop,
        "reactions.toml" => FileKind::Reactions,
        "experiences.toml" => FileKind::Experiences,
        "roles.toml" => FileKind::Roles,
        "vip.toml" => FileKind::Vip,
        "lore.toml" => FileKind::Lore,
        "trivia.toml" => FileKind::Trivia,
        "events.toml" => FileKind::Events,
        "referrals.toml" => FileKind::Referrals,
        "leaderboards.toml" => FileKind::Leaderboards,
        // flags
        "archetypes.toml" => FileKind::Archetypes,
        "flags.toml" => FileKind::Flags,
        // offers
        "offers.toml" => FileKind::Offers,
        _ => return None,
    })
}

/// Reads every file. Files are taken in path order so problems and the
/// fragment order do not depend on how the caller listed the directory;
/// experience files come last, so an entity an experience defines inline
/// meets its catalogue already read and a clash is reported at the inline
/// definition.
pub(super) fn read<P: AsRef<str>, T: AsRef<str>>(files: &[(P, T)]) -> Draft {
    let mut draft = Draft::default();
    let mut sorted: Vec<(&str, &str)> = files.iter().map(|(path, text)| (path.as_ref(), text.as_ref())).collect();
    sorted.sort_by_key(|&(path, _)| (classify(path) == Some(FileKind::Experiences), path));
    let mut seen = Vec::new();
    for (path, text) in sorted {
        let file = draft.source.files.len();
        draft.source.files.push(path.to_owned());
        let mut cx = Cx { draft: &mut draft, file, lines: line_starts(text) };
        let Some(kind) = classify(path) else {
            cx.problem(
                ProblemKind::UnknownFile,
                "",
                None,
                "unknown content file; expected story/<name>.toml, experiences/<name>.toml, levels.toml, items.toml, \
                 achievements.toml, missions.toml, shop.toml, reactions.toml, experiences.toml, roles.toml, vip.toml, \
                 lore.toml, trivia.toml, events.toml, referrals.toml, leaderboards.toml, archetypes.toml, flags.toml or offers.toml"
                    .to_owned(),
            );
            continue;
        };
        let many = matches!(kind, FileKind::Story | FileKind::Experiences);
        if !many && seen.contains(&kind) {
            cx.problem(ProblemKind::DuplicateId, "", None, "a second file of this kind; keep one".to_owned());
            continue;
        }
        seen.push(kind);
        let root = match DeTable::parse(text) {
            Ok(root) => root,
            Err(error) => {
                let line = error.span().map(|span| cx.line(&span));
                let message = error.message().lines().next().unwrap_or("invalid TOML").trim().to_owned();
                cx.problem(ProblemKind::Syntax, "", line, format!("invalid TOML: {message}"));
                continue;
            }
        };
        let root = Tbl { t: root.get_ref(), path: String::new(), span: root.span() };
        match kind {
            FileKind::Story => cx.story(&root),
            FileKind::Levels => cx.levels(&root),
            FileKind::Items => cx.items(&root),
            FileKind::Achievements => cx.achievements(&root),
            FileKind::Missions => cx.missions(&root),
            FileKind::Shop => cx.shop(&root),
            FileKind::Reactions => cx.reactions(&root),
            FileKind::Experiences => cx.experiences(&root),
            FileKind::Roles => cx.roles(&root),
            FileKind::Vip => cx.vip(&root),
            FileKind::Lore => cx.lore(&root),
            FileKind::Trivia => cx.trivia(&root),
            FileKind::Events => cx.events(&root),
            FileKind::Referrals => cx.referrals(&root),
            FileKind::Leaderboards => cx.leaderboards(&root),
            // flags
            FileKind::Archetypes => cx.archetypes(&root),
            FileKind::Flags => cx.flags(&root),
            // offers
            FileKind::Offers => cx.offers(&root),
        }
    }
    if !seen.contains(&FileKind::Levels) {
        draft.damaged = true;
        draft.problems.push(missing_file("levels.toml", "levels.toml is missing; it defines levels 1 to 6"));
    }
    let level_one_start = draft.source.starts.iter().find(|(level, _, _)| *level == 1).map(|(_, id, _)| id.clone());
    match level_one_start {
        Some(start) => draft.start = Some(start),
        None if draft.damaged => {}
        None => {
            draft.damaged = true;
            draft.problems.push(missing_file(
                "story/level-1.toml",
                "no story file with `level = 1` names a `start` fragment; every player begins there",
            ));
            if let Some(last) = draft.problems.last_mut() {
                last.kind = ProblemKind::MissingStart;
                last.key_path = "start".to_owned();
            }
        }
    }
    draft
}

fn missing_file(file: &str, message: &str) -> ContentProblem {
    ContentProblem {
        kind: ProblemKind::MissingFile,
        file: file.to_owned(),
        key_path: String::new(),
        line: None,
        message: message.to_owned(),
    }
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0).chain(text.match_indices('\n').map(|(at, _)| at + 1)).collect()
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") }
}

fn to_i64(value: &DeValue<'_>) -> Option<i64> {
    match value {
        DeValue::Integer(int) => i64::from_str_radix(int.as_str(), int.radix()).ok(),
        _ => None,
    }
}

/// A table being read, with the key path and span it was found at.
#[derive(Clone)]
struct Tbl<'a, 'i> {
    t: &'a DeTable<'i>,
    path: String,
    span: Range<usize>,
}

impl<'a, 'i> Tbl<'a, 'i> {
    fn get(&self, key: &str) -> Option<&'a Value<'i>> {
        self.t.get(key)
    }

    fn child(&self, key: &str) -> String {
        join(&self.path, key)
    }
}

/// The reading context of one file.
struct Cx<'d> {
    draft: &'d mut Draft,
    file: usize,
    lines: Vec<usize>,
}

impl Cx<'_> {
    /// The 1-based line of a byte offset.
    fn line(&self, span: &Range<usize>) -> usize {
        self.lines.partition_point(|&start| start <= span.start).max(1)
    }

    fn problem(&mut self, kind: ProblemKind, path: &str, line: Option<usize>, message: String) {
        if matches!(kind, ProblemKind::Syntax | ProblemKind::MissingKey | ProblemKind::WrongType) {
            self.draft.damaged = true;
        }
        let file = self.draft.source.files[self.file].clone();
        self.draft.problems.push(ContentProblem { kind, file, key_path: path.to_owned(), line, message });
    }

    fn report(&mut self, kind: ProblemKind, path: &str, span: &Range<usize>, message: String) {
        let line = self.line(span);
        self.problem(kind, path, Some(line), message);
    }

    /// Reports at the line `path` was read from in this file, or at `span`
    /// when it was not (a key that is absent).
    fn report_path(&mut self, kind: ProblemKind, path: &str, span: &Range<usize>, message: String) {
        let line = match self.draft.source.at.get(path) {
            Some(&(file, line)) if file == self.file => line,
            _ => self.line(span),
        };
        self.problem(kind, path, Some(line), message);
    }

    fn site(&self, path: &str, span: &Range<usize>) -> Site {
        Site { file: self.file, line: self.line(span), path: path.to_owned() }
    }

    /// Records where `path` was read; the first occurrence wins.
    fn mark(&mut self, path: &str, span: &Range<usize>) {
        let line = self.line(span);
        self.draft.source.at.entry(path.to_owned()).or_insert((self.file, line));
    }

    fn reference(&mut self, entity: Entity, id: &str, path: &str, span: &Range<usize>) {
        let site = self.site(path, span);
        self.draft.source.refs.push((entity, id.to_owned(), site));
    }

    fn need(&mut self, need: Need, path: &str, span: &Range<usize>) {
        let site = self.site(path, span);
        self.draft.source.needs.push((need, site));
    }

    // ----- typed access -------------------------------------------------

    /// Reports keys of `tbl` that are not in `allowed`.
    fn keys(&mut self, tbl: &Tbl<'_, '_>, allowed: &[&str], kind: ProblemKind) {
        for key in tbl.t.keys() {
            let name: &str = key.get_ref();
            let path = tbl.child(name);
            self.mark(&path, &key.span());
            if !allowed.contains(&name) {
                let expected = allowed.join(", ");
                self.report(kind, &path, &key.span(), format!("unknown key `{name}`; expected one of: {expected}"));
            }
        }
    }

    /// A key the format requires; its absence leaves the model incomplete.
    fn required<'a, 'i>(&mut self, tbl: &Tbl<'a, 'i>, key: &str) -> Option<&'a Value<'i>> {
        let value = tbl.get(key);
        if value.is_none() {
            let what = if tbl.path.is_empty() { "the file".to_owned() } else { format!("`{}`", tbl.path) };
            self.report(ProblemKind::MissingKey, &tbl.child(key), &tbl.span, format!("{what} needs `{key}`"));
        }
        value
    }

    fn wrong_type(&mut self, kind: ProblemKind, value: &Value<'_>, path: &str, expected: &str) {
        let found = value.get_ref().type_str();
        self.report(kind, path, &value.span(), format!("expected {expected}, found {found}"));
    }

    fn table_at<'a, 'i>(&mut self, value: &'a Value<'i>, path: &str, kind: ProblemKind) -> Option<Tbl<'a, 'i>> {
        self.mark(path, &value.span());
        match value.get_ref() {
            DeValue::Table(t) => Some(Tbl { t, path: path.to_owned(), span: value.span() }),
            _ => {
                self.wrong_type(kind, value, path, "a table");
                None
            }
        }
    }

    fn array_at<'a, 'i>(&mut self, value: &'a Value<'i>, path: &str, kind: ProblemKind) -> Option<&'a DeArray<'i>> {
        self.mark(path, &value.span());
        match value.get_ref() {
            DeValue::Array(array) => Some(array),
            _ => {
                self.wrong_type(kind, value, path, "an array");
                None
            }
        }
    }

    fn str_at(&mut self, value: &Value<'_>, path: &str, kind: ProblemKind) -> Option<String> {
        self.mark(path, &value.span());
        match value.get_ref().as_str() {
            Some(text) => Some(text.to_owned()),
            None => {
                self.wrong_type(kind, value, path, "a string");
                None
            }
        }
    }

    fn int_at(&mut self, value: &Value<'_>, path: &str, kind: ProblemKind) -> Option<i64> {
        self.mark(path, &value.span());
        let int = to_i64(value.get_ref());
        if int.is_none() {
            self.wrong_type(kind, value, path, "an integer");
        }
        int
    }

    fn bool_at(&mut self, value: &Value<'_>, path: &str, kind: ProblemKind) -> Option<bool> {
        self.mark(path, &value.span());
        let flag = value.get_ref().as_bool();
        if flag.is_none() {
            self.wrong_type(kind, value, path, "true or false");
        }
        flag
    }

    /// An integer in `min..=max`, reported with `kind` when out of range.
    fn bounded_at(&mut self, value: &Value<'_>, path: &str, kind: ProblemKind, min: i64, max: i64) -> Option<i64> {
        let wrong_type_kind = if kind == ProblemKind::InvalidValue { ProblemKind::WrongType } else { kind };
        let int = self.int_at(value, path, wrong_type_kind)?;
        if int < min || int > max {
            let name = path.rsplit('.').next().unwrap_or(path);
            let range = if max == i64::from(u32::MAX) || max == i64::MAX {
                format!("at least {min}")
            } else {
                format!("between {min} and {max}")
            };
            self.report(kind, path, &value.span(), format!("`{name}` must be {range}, got {int}"));
            return None;
        }
        Some(int)
    }

    /// An optional boolean key, `false` when absent.
    fn flag(&mut self, tbl: &Tbl<'_, '_>, key: &str) -> bool {
        match tbl.get(key) {
            Some(value) => self.bool_at(value, &tbl.child(key), ProblemKind::WrongType).unwrap_or(false),
            None => false,
        }
    }

    /// A content id: reported (but kept) when malformed, so references to it
    /// still resolve and only the id itself is flagged.
    fn id_at(&mut self, value: &Value<'_>, path: &str, kind: ProblemKind) -> Option<String> {
        let id = self.str_at(value, path, kind)?;
        if !is_valid_id(&id) {
            self.report(
                ProblemKind::InvalidId,
                path,
                &value.span(),
                format!("invalid id `{id}`: use 1 to 32 characters among a-z, 0-9, `_` and `-`"),
            );
        }
        Some(id)
    }

    /// An array of ids, each with its span.
    fn id_list(&mut self, value: &Value<'_>, path: &str, kind: ProblemKind) -> Vec<(String, Range<usize>)> {
        let Some(array) = self.array_at(value, path, kind) else {
            return Vec::new();
        };
        let mut ids = Vec::new();
        for (index, element) in array.iter().enumerate() {
            if let Some(id) = self.id_at(element, &format!("{path}[{index}]"), kind) {
                ids.push((id, element.span()));
            }
        }
        ids
    }

    /// A localized text: `key.es` and `key.en`, both non-empty.
    fn text(&mut self, tbl: &Tbl<'_, '_>, key: &str) -> Text {
        let path = tbl.child(key);
        let mut text = Text::default();
        let Some(value) = tbl.get(key) else {
            let message = format!("missing `{key}`: write `{key}.es` and `{key}.en`");
            self.report(ProblemKind::MissingTranslation, &path, &tbl.span, message);
            return text;
        };
        self.mark(&path, &value.span());
        let DeValue::Table(languages) = value.get_ref() else {
            let message = format!("`{key}` must give each language: `{key}.es = \"…\"` and `{key}.en = \"…\"`");
            self.report(ProblemKind::MissingTranslation, &path, &value.span(), message);
            return text;
        };
        for (language, translation) in languages.iter() {
            let code: &str = language.get_ref();
            let lang_path = join(&path, code);
            self.mark(&lang_path, &language.span());
            let slot = match code {
                "es" => &mut text.es,
                "en" => &mut text.en,
                other => {
                    let message = format!("unsupported language `{other}`; texts are written in `es` and `en`");
                    self.report(ProblemKind::UnknownKey, &lang_path, &language.span(), message);
                    continue;
                }
            };
            match translation.get_ref().as_str() {
                Some(words) => *slot = words.trim().to_owned(),
                None => {
                    let found = translation.get_ref().type_str();
                    let message = format!("the `{code}` text must be a string, found {found}");
                    self.report(ProblemKind::MissingTranslation, &lang_path, &translation.span(), message);
                }
            }
        }
        for (code, words) in [("es", &text.es), ("en", &text.en)] {
            if words.is_empty() {
                let name = if code == "es" { "Spanish" } else { "English" };
                let message = format!("missing the {name} text `{key}.{code}`");
                self.report(ProblemKind::MissingTranslation, &join(&path, code), &value.span(), message);
            }
        }
        text
    }

    /// The entries of an array of tables keyed by `id` (`[[item]]`), each
    /// returned with its key path rewritten to `<key>.<id>`.
    fn entities<'a, 'i>(&mut self, parent: &Tbl<'a, 'i>, key: &str) -> Vec<(String, Range<usize>, Tbl<'a, 'i>)> {
        let list_path = parent.child(key);
        let Some(value) = parent.get(key) else {
            return Vec::new();
        };
        let Some(array) = self.array_at(value, &list_path, ProblemKind::WrongType) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (index, element) in array.iter().enumerate() {
            let fallback = format!("{list_path}[{index}]");
            let Some(mut tbl) = self.table_at(element, &fallback, ProblemKind::WrongType) else {
                continue;
            };
            let Some(id_value) = self.required(&tbl, "id") else {
                continue;
            };
            let Some(id) = self.id_at(id_value, &format!("{fallback}.id"), ProblemKind::WrongType) else {
                continue;
            };
            tbl.path = join(&list_path, &id);
            self.mark(&tbl.path, &id_value.span());
            out.push((id, id_value.span(), tbl));
        }
        out
    }

    /// Inserts into `map` unless the id is taken, which is reported with
    /// where the first definition is (`path` is marked there).
    fn insert<K: Ord + From<String>, V>(
        &mut self,
        map: &mut BTreeMap<K, V>,
        id: String,
        span: &Range<usize>,
        path: &str,
        value: V,
    ) -> bool {
        let key = K::from(id.clone());
        if map.contains_key(&key) {
            let mut message = format!("duplicate id `{id}`; ids must be unique");
            if let Some(&(file, line)) = self.draft.source.at.get(path) {
                message.push_str(&format!(" (first defined at {}:{line})", self.draft.source.files[file]));
            }
            self.report(ProblemKind::DuplicateId, path, span, message);
            return false;
        }
        map.insert(key, value);
        true
    }

    // ----- requirements, costs, rewards ------------------------------------

    /// `{ item_id = quantity, … }` with positive quantities.
    fn quantities(&mut self, value: &Value<'_>, path: &str, kind: ProblemKind) -> BTreeMap<ItemId, u32> {
        let mut out = BTreeMap::new();
        let Some(tbl) = self.table_at(value, path, kind) else {
            return out;
        };
        for (key, quantity) in tbl.t.iter() {
            let id: &str = key.get_ref();
            let item_path = join(path, id);
            self.mark(&item_path, &key.span());
            if !is_valid_id(id) {
                let message = format!("invalid item id `{id}`");
                self.report(ProblemKind::InvalidId, &item_path, &key.span(), message);
            }
            self.reference(Entity::Item, id, &item_path, &key.span());
            if let Some(quantity) = self.bounded_at(quantity, &item_path, kind, 1, i64::from(u32::MAX)) {
                out.insert(ItemId(id.to_owned()), quantity as u32);
            }
        }
        out
    }

    fn requirement(&mut self, value: &Value<'_>, path: &str) -> Requirement {
        const KIND: ProblemKind = ProblemKind::InvalidRequirement;
        let mut requirement = Requirement::default();
        let Some(tbl) = self.table_at(value, path, KIND) else {
            return requirement;
        };
        for (key, value) in tbl.t.iter() {
            let name: &str = key.get_ref();
            let key_path = join(path, name);
            self.mark(&key_path, &key.span());
            match name {
                "flags" | "not_flags" => {
                    for (flag, span) in self.id_list(value, &key_path, KIND) {
                        let flag = FlagName(flag);
                        if name == "flags" {
                            self.need(Need::Flag(flag.clone()), &key_path, &span);
                            requirement.all.push(Condition::Flag(flag));
                        } else {
                            requirement.all.push(Condition::NotFlag(flag));
                        }
                    }
                }
                "vip" => match self.bool_at(value, &key_path, KIND) {
                    Some(true) => requirement.all.push(Condition::Vip),
                    Some(false) => {
                        let message = "`vip = false` is not a requirement; remove the key".to_owned();
                        self.report(KIND, &key_path, &value.span(), message);
                    }
                    None => {}
                },
                "items" => {
                    for (item, quantity) in self.quantities(value, &key_path, KIND) {
                        self.need(Need::Item(item.clone()), &join(&key_path, &item.0), &value.span());
                        requirement.all.push(Condition::Item { item, quantity });
                    }
                }
                "achievements" => {
                    for (id, span) in self.id_list(value, &key_path, KIND) {
                        self.reference(Entity::Achievement, &id, &key_path, &span);
                        let id = AchievementId(id);
                        self.need(Need::Achievement(id.clone()), &key_path, &span);
                        requirement.all.push(Condition::Achievement(id));
                    }
                }
                "experiences" => {
                    for (id, span) in self.id_list(value, &key_path, KIND) {
                        self.reference(Entity::Experience, &id, &key_path, &span);
                        requirement.all.push(Condition::ExperienceCompleted(ExperienceId(id)));
                    }
                }
                "besitos" => {
                    if let Some(besitos) = self.bounded_at(value, &key_path, KIND, 1, i64::MAX) {
                        requirement.all.push(Condition::MinBesitos(besitos as u64));
                    }
                }
                "level" => {
                    if let Some(level) = self.bounded_at(value, &key_path, KIND, 1, i64::from(MAX_LEVEL)) {
                        requirement.all.push(Condition::MinLevel(level as u8));
                    }
                }
                "any" => {
                    let Some(alternatives) = self.array_at(value, &key_path, KIND) else {
                        continue;
                    };
                    if alternatives.is_empty() {
                        let message = "`any` needs at least one alternative".to_owned();
                        self.report(KIND, &key_path, &value.span(), message);
                    }
                    for (index, alternative) in alternatives.iter().enumerate() {
                        let alternative_path = format!("{key_path}[{index}]");
                        if alternative.get_ref().as_table().is_some_and(|t| t.is_empty()) {
                            let message = "an empty alternative always holds, which makes `any` pointless".to_owned();
                            self.report(KIND, &alternative_path, &alternative.span(), message);
                        }
                        let alternative = self.requirement(alternative, &alternative_path);
                        requirement.any.push(alternative);
                    }
                }
                other => {
                    let message = format!(
                        "unknown requirement `{other}`; expected flags, not_flags, vip, items, achievements, \
                         experiences, besitos, level or any"
                    );
                    self.report(KIND, &key_path, &key.span(), message);
                }
            }
        }
        for condition in &requirement.all {
            if let Condition::Flag(flag) = condition
                && requirement.all.contains(&Condition::NotFlag(flag.clone()))
            {
                let message = format!("requires both `{flag}` and not `{flag}`; no player can meet it");
                self.report(KIND, path, &tbl.span, message);
            }
        }
        requirement
    }

    fn cost(&mut self, value: &Value<'_>, path: &str) -> Cost {
        const KIND: ProblemKind = ProblemKind::InvalidRequirement;
        let mut cost = Cost::default();
        let Some(tbl) = self.table_at(value, path, KIND) else {
            return cost;
        };
        self.keys(&tbl, &["besitos", "items"], KIND);
        if let Some(besitos) = tbl.get("besitos") {
            cost.besitos = self.bounded_at(besitos, &tbl.child("besitos"), KIND, 1, i64::MAX).unwrap_or(0) as u64;
        }
        if let Some(items) = tbl.get("items") {
            let items_path = tbl.child("items");
            cost.items = self.quantities(items, &items_path, KIND);
            for item in cost.items.keys() {
                self.need(Need::Item(item.clone()), &join(&items_path, &item.0), &items.span());
            }
        }
        cost
    }

    fn reward(&mut self, value: &Value<'_>, path: &str) -> Reward {
        const KIND: ProblemKind = ProblemKind::InvalidReward;
        let mut reward = Reward::default();
        let Some(tbl) = self.table_at(value, path, KIND) else {
            return reward;
        };
        for (key, value) in tbl.t.iter() {
            let name: &str = key.get_ref();
            let key_path = join(path, name);
            self.mark(&key_path, &key.span());
            match name {
                "besitos" => {
                    reward.besitos = self.bounded_at(value, &key_path, KIND, 1, i64::MAX).unwrap_or(0) as u64;
                }
                "xp" => {
                    reward.experience_points = self.bounded_at(value, &key_path, KIND, 1, i64::MAX).unwrap_or(0) as u64;
                }
                "vip_trial_days" => {
                    reward.vip_trial_days = self.bounded_at(value, &key_path, KIND, 1, 366).unwrap_or(0) as u32;
                }
                "items" => reward.items = self.quantities(value, &key_path, KIND),
                "achievements" => {
                    for (id, span) in self.id_list(value, &key_path, KIND) {
                        self.reference(Entity::Achievement, &id, &key_path, &span);
                        reward.achievements.push(AchievementId(id));
                    }
                }
                "unlock_fragments" => {
                    for (id, span) in self.id_list(value, &key_path, KIND) {
                        self.reference(Entity::Fragment, &id, &key_path, &span);
                        reward.unlock_fragments.push(FragmentId(id));
                    }
                }
                "unlock_experiences" => {
                    for (id, span) in self.id_list(value, &key_path, KIND) {
                        self.reference(Entity::Experience, &id, &key_path, &span);
                        reward.unlock_experiences.push(ExperienceId(id));
                    }
                }
                "unlock_shop_items" => {
                    for (id, span) in self.id_list(value, &key_path, KIND) {
                        self.reference(Entity::ShopItem, &id, &key_path, &span);
                        reward.unlock_shop_items.push(ShopItemId(id));
                    }
                }
                "lore" => reward.lore = self.lore_list(value, &key_path, KIND),
                other => {
                    let message = format!(
                        "unknown reward `{other}`; expected besitos, xp, items, achievements, unlock_fragments, \
                         unlock_experiences, unlock_shop_items, vip_trial_days or lore"
                    );
                    self.report(KIND, &key_path, &key.span(), message);
                }
            }
        }
        reward
    }

    /// A list of lore piece ids, each a reference checked once all files
    /// are read.
    fn lore_list(&mut self, value: &Value<'_>, path: &str, kind: ProblemKind) -> Vec<LoreId> {
        let mut pieces = Vec::new();
        for (id, span) in self.id_list(value, path, kind) {
            self.reference(Entity::LorePiece, &id, path, &span);
            pieces.push(LoreId(id));
        }
        pieces
    }

    /// The `lore = [...]` of a fragment or decision: pieces found there.
    fn optional_lore(&mut self, tbl: &Tbl<'_, '_>, kind: ProblemKind) -> Vec<LoreId> {
        match tbl.get("lore") {
            Some(value) => self.lore_list(value, &tbl.child("lore"), kind),
            None => Vec::new(),
        }
    }

    fn optional_requirement(&mut self, tbl: &Tbl<'_, '_>, key: &str) -> Requirement {
        match tbl.get(key) {
            Some(value) => self.requirement(value, &tbl.child(key)),
            None => Requirement::default(),
        }
    }

    fn optional_reward(&mut self, tbl: &Tbl<'_, '_>, key: &str) -> Reward {
        match tbl.get(key) {
            Some(value) => self.reward(value, &tbl.child(key)),
            None => Reward::default(),
        }
    }

    fn goal(&mut self, value: &Value<'_>, path: &str) -> Option<Goal> {
        let tbl = self.table_at(value, path, ProblemKind::WrongType)?;
        if let Some(fragment) = tbl.get("fragment") {
            self.keys(&tbl, &["fragment"], ProblemKind::UnknownKey);
            let fragment_path = tbl.child("fragment");
            let id = self.id_at(fragment, &fragment_path, ProblemKind::WrongType)?;
            self.reference(Entity::Fragment, &id, &fragment_path, &fragment.span());
            return Some(Goal::Fragment(FragmentId(id)));
        }
        self.keys(&tbl, &["counter", "target", "fragment"], ProblemKind::UnknownKey);
        let counter_value = self.required(&tbl, "counter")?;
        let counter_path = tbl.child("counter");
        let counter = self.str_at(counter_value, &counter_path, ProblemKind::WrongType)?;
        if !COUNTERS.contains(&counter.as_str()) {
            let message = format!("unknown counter `{counter}`; expected one of: {}", COUNTERS.join(", "));
            self.report(ProblemKind::InvalidValue, &counter_path, &counter_value.span(), message);
        }
        let target = self.required(&tbl, "target")?;
        let target =
            self.bounded_at(target, &tbl.child("target"), ProblemKind::InvalidValue, 1, i64::from(u32::MAX))?;
        Some(Goal::Counter { counter, target: target as u32 })
    }

    /// A word among `choices`, reported when it is not one.
    fn choice<T: Copy>(&mut self, value: &Value<'_>, path: &str, choices: &[(&str, T)]) -> Option<T> {
        let word = self.str_at(value, path, ProblemKind::WrongType)?;
        let found = choices.iter().find(|(name, _)| *name == word).map(|(_, choice)| *choice);
        if found.is_none() {
            let expected: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
            let message = format!("unknown value `{word}`; expected one of: {}", expected.join(", "));
            self.report(ProblemKind::InvalidValue, path, &value.span(), message);
        }
        found
    }

    // ----- files ---------------------------------------------------------

    fn levels(&mut self, root: &Tbl<'_, '_>) {
        self.keys(root, &["level"], ProblemKind::UnknownKey);
        let Some(list) = self.required(root, "level") else {
            return;
        };
        let Some(array) = self.array_at(list, "level", ProblemKind::WrongType) else {
            return;
        };
        for (index, element) in array.iter().enumerate() {
            let fallback = format!("level[{index}]");
            let Some(mut tbl) = self.table_at(element, &fallback, ProblemKind::WrongType) else {
                continue;
            };
            let Some(number_value) = self.required(&tbl, "number") else {
                continue;
            };
            let number_path = format!("{fallback}.number");
            let max = i64::from(MAX_LEVEL);
            let Some(number) = self.bounded_at(number_value, &number_path, ProblemKind::InvalidLevels, 1, max) else {
                continue;
            };
            tbl.path = format!("level.{number}");
            self.mark(&tbl.path, &number_value.span());
            self.keys(&tbl, &["number", "xp", "vip", "title"], ProblemKind::UnknownKey);
            let experience_points = match self.required(&tbl, "xp") {
                Some(xp) => self.bounded_at(xp, &tbl.child("xp"), ProblemKind::InvalidLevels, 0, i64::MAX),
                None => None,
            };
            let vip = self.flag(&tbl, "vip");
            let title = self.text(&tbl, "title");
            let level =
                Level { number: number as u8, experience_points: experience_points.unwrap_or(0) as u64, vip, title };
            if self.draft.levels.contains_key(&level.number) {
                let message = format!("level {number} is defined twice");
                self.report(ProblemKind::DuplicateId, &tbl.path, &number_value.span(), message);
                continue;
            }
            self.draft.levels.insert(level.number, level);
        }
        let span = list.span();
        for number in 1..=MAX_LEVEL {
            if !self.draft.levels.contains_key(&number) {
                let message = format!("level {number} is not defined; levels 1 to {MAX_LEVEL} are required");
                self.report(ProblemKind::InvalidLevels, "level", &span, message);
            }
        }
        if let Some(first) = self.draft.levels.get(&1).cloned() {
            if first.experience_points != 0 {
                let message = "level 1 must start at 0 xp: every player has it".to_owned();
                self.report_path(ProblemKind::InvalidLevels, "level.1.xp", &span, message);
            }
            if first.vip {
                let message = "level 1 cannot be VIP: every player starts there".to_owned();
                self.report_path(ProblemKind::InvalidLevels, "level.1.vip", &span, message);
            }
        }
        let thresholds: Vec<(u8, u64)> = self.draft.levels.values().map(|l| (l.number, l.experience_points)).collect();
        for pair in thresholds.windows(2) {
            if pair[1].1 <= pair[0].1 {
                let path = format!("level.{}.xp", pair[1].0);
                let message = format!("xp must rise with the level: level {} needs more than {}", pair[1].0, pair[0].1);
                self.report_path(ProblemKind::InvalidLevels, &path, &span, message);
            }
        }
    }

    fn story(&mut self, root: &Tbl<'_, '_>) {
        self.keys(root, &["level", "start", "fragment"], ProblemKind::UnknownKey);
        let Some(level_value) = self.required(root, "level") else {
            return;
        };
        let Some(level) = self.bounded_at(level_value, "level", ProblemKind::InvalidValue, 1, i64::from(MAX_LEVEL))
        else {
            self.draft.damaged = true;
            return;
        };
        let level = level as u8;
        if let Some(start) = root.get("start")
            && let Some(id) = self.id_at(start, "start", ProblemKind::WrongType)
        {
            let site = self.site("start", &start.span());
            if self.draft.source.starts.iter().any(|(other, _, _)| *other == level) {
                let message = format!("level {level} already has a start in another file");
                self.report(ProblemKind::InvalidValue, "start", &start.span(), message);
            } else {
                self.draft.source.starts.push((level, FragmentId(id), site));
            }
        }
        for (id, span, tbl) in self.entities(root, "fragment") {
            self.define_fragment(id, &span, &tbl, level, false);
        }
    }

    /// Reads a fragment entry into the story: of a story file, or `inline`
    /// in an experience, which also names its `level` (a story file gives
    /// it for all its fragments).
    fn define_fragment(&mut self, id: String, span: &Range<usize>, tbl: &Tbl<'_, '_>, level: u8, inline: bool) {
        let mut allowed = vec!["id", "text", "ending", "secret", "decision", "lore"];
        if inline {
            allowed.push("level");
        }
        self.keys(tbl, &allowed, ProblemKind::UnknownKey);
        let fragment = self.fragment(tbl, FragmentId(id.clone()), level);
        let mut fragments = std::mem::take(&mut self.draft.fragments);
        if self.insert(&mut fragments, id.clone(), span, &tbl.path, fragment) {
            self.draft.fragment_order.push(FragmentId(id));
        }
        self.draft.fragments = fragments;
    }

    fn fragment(&mut self, tbl: &Tbl<'_, '_>, id: FragmentId, level: u8) -> Fragment {
        let text = self.text(tbl, "text");
        let ending = self.flag(tbl, "ending");
        let secret = self.flag(tbl, "secret");
        let lore = self.optional_lore(tbl, ProblemKind::WrongType);
        let mut decisions: Vec<Decision> = Vec::new();
        for (decision_id, span, decision_tbl) in self.entities(tbl, "decision") {
            let Some(decision) = self.decision(&decision_tbl, DecisionId(decision_id.clone())) else {
                continue;
            };
            if decisions.iter().any(|other| other.id == decision.id) {
                let message = format!("duplicate decision id `{decision_id}` in this fragment");
                self.report(ProblemKind::DuplicateId, &decision_tbl.path, &span, message);
                continue;
            }
            decisions.push(decision);
        }
        Fragment { id, level, text, ending, secret, decisions, lore }
    }

    fn decision(&mut self, tbl: &Tbl<'_, '_>, id: DecisionId) -> Option<Decision> {
        let allowed = ["id", "label", "to", "requires", "costs", "rewards", "sets_flags", "lore"];
        self.keys(tbl, &allowed, ProblemKind::UnknownKey);
        let label = self.text(tbl, "label");
        let to_value = self.required(tbl, "to")?;
        let to = FragmentId(self.id_at(to_value, &tbl.child("to"), ProblemKind::WrongType)?);
        let requires = self.optional_requirement(tbl, "requires");
        let costs = match tbl.get("costs") {
            Some(value) => self.cost(value, &tbl.child("costs")),
            None => Cost::default(),
        };
        let rewards = self.optional_reward(tbl, "rewards");
        let sets_flags = match tbl.get("sets_flags") {
            Some(value) => self
                .id_list(value, &tbl.child("sets_flags"), ProblemKind::WrongType)
                .into_iter()
                .map(|(flag, _)| FlagName(flag))
                .collect(),
            None => Vec::new(),
        };
        let lore = self.optional_lore(tbl, ProblemKind::WrongType);
        Some(Decision { id, label, to, requires, costs, rewards, sets_flags, lore })
    }

    fn items(&mut self, root: &Tbl<'_, '_>) {
        self.keys(root, &["item"], ProblemKind::UnknownKey);
        for (id, span, tbl) in self.entities(root, "item") {
            self.define_item(id, &span, &tbl);
        }
    }

    /// Reads an `[[item]]` entry (of `items.toml` or inline) into the items.
    fn define_item(&mut self, id: String, span: &Range<usize>, tbl: &Tbl<'_, '_>) {
        self.keys(tbl, &["id", "name", "description", "rarity"], ProblemKind::UnknownKey);
        let name = self.text(tbl, "name");
        let description = self.text(tbl, "description");
        let rarity = match tbl.get("rarity") {
            Some(value) => self.choice(value, &tbl.child("rarity"), &RARITIES).unwrap_or(Rarity::Common),
            None => Rarity::Common,
        };
        let item = Item { id: ItemId(id.clone()), name, description, rarity };
        let mut items = std::mem::take(&mut self.draft.items);
        self.insert(&mut items, id, span, &tbl.path, item);
        self.draft.items = items;
    }

    fn achievements(&mut self, root: &Tbl<'_, '_>) {
        self.keys(root, &["achievement"], ProblemKind::UnknownKey);
        for (id, span, tbl) in self.entities(root, "achievement") {
            self.define_achievement(id, &span, &tbl);
        }
    }

    /// Reads an `[[achievement]]` entry (of `achievements.toml` or inline).
    fn define_achievement(&mut self, id: String, span: &Range<usize>, tbl: &Tbl<'_, '_>) {
        self.keys(tbl, &["id", "name", "description", "goal", "rewards"], ProblemKind::UnknownKey);
        let name = self.text(tbl, "name");
        let description = self.text(tbl, "description");
        let goal = match tbl.get("goal") {
            Some(value) => self.goal(value, &tbl.child("goal")),
            None => None,
        };
        let rewards = self.optional_reward(tbl, "rewards");
        let achievement = Achievement { id: AchievementId(id.clone()), name, description, goal, rewards };
        let mut achievements = std::mem::take(&mut self.draft.achievements);
        self.insert(&mut achievements, id, span, &tbl.path, achievement);
        self.draft.achievements = achievements;
    }

    fn missions(&mut self, root: &Tbl<'_, '_>) {
        self.keys(root, &["mission"], ProblemKind::UnknownKey);
        for (id, span, tbl) in self.entities(root, "mission") {
            self.define_mission(id, &span, &tbl);
        }
    }

    /// Reads a `[[mission]]` entry (of `missions.toml` or inline).
    fn define_mission(&mut self, id: String, span: &Range<usize>, tbl: &Tbl<'_, '_>) {
        let kinds = [("daily", MissionKind::Daily), ("weekly", MissionKind::Weekly), ("one_off", MissionKind::OneOff)];
        let allowed = ["id", "kind", "name", "description", "goal", "requires", "rewards"];
        self.keys(tbl, &allowed, ProblemKind::UnknownKey);
        let kind = match self.required(tbl, "kind") {
            Some(value) => self.choice(value, &tbl.child("kind"), &kinds),
            None => None,
        };
        let name = self.text(tbl, "name");
        let description = self.text(tbl, "description");
        let goal = match self.required(tbl, "goal") {
            Some(value) => self.goal(value, &tbl.child("goal")),
            None => None,
        };
        let requires = self.optional_requirement(tbl, "requires");
        let rewards = self.optional_reward(tbl, "rewards");
        let (Some(kind), Some(goal)) = (kind, goal) else {
            return;
        };
        let mission = Mission { id: MissionId(id.clone()), kind, name, description, goal, requires, rewards };
        let mut missions = std::mem::take(&mut self.draft.missions);
        self.insert(&mut missions, id, span, &tbl.path, mission);
        self.draft.missions = missions;
    }

    fn shop(&mut self, root: &Tbl<'_, '_>) {
        self.keys(root, &["category", "shop_item"], ProblemKind::UnknownKey);
        for (id, span, tbl) in self.entities(root, "category") {
            self.keys(&tbl, &["id", "name"], ProblemKind::UnknownKey);
            let category = Category { id: CategoryId(id.clone()), name: self.text(&tbl, "name") };
            let mut categories = std::mem::take(&mut self.draft.categories);
            self.insert(&mut categories, id, &span, &tbl.path, category);
            self.draft.categories = categories;
        }
        for (id, span, tbl) in self.entities(root, "shop_item") {
            self.define_shop_item(id, &span, &tbl);
        }
    }

    /// Reads a `[[shop_item]]` entry (of `shop.toml` or inline).
    fn define_shop_item(&mut self, id: String, span: &Range<usize>, tbl: &Tbl<'_, '_>) {
        let allowed = [
            "id",
            "name",
            "description",
            "category",
            "rarity",
            "price",
            "rewards",
            "requires",
            "stock",
            "hidden",
            "unique",
            "available",
            "discount",
            "follow_up",
        ];
        self.keys(tbl, &allowed, ProblemKind::UnknownKey);
        let name = self.text(tbl, "name");
        let description = self.text(tbl, "description");
        let category = match self.required(tbl, "category") {
            Some(value) => {
                let path = tbl.child("category");
                let id = self.id_at(value, &path, ProblemKind::WrongType);
                if let Some(id) = &id {
                    self.reference(Entity::Category, id, &path, &value.span());
                }
                id.map(CategoryId)
            }
            None => None,
        };
        let rarity = match tbl.get("rarity") {
            Some(value) => self.choice(value, &tbl.child("rarity"), &RARITIES).unwrap_or(Rarity::Common),
            None => Rarity::Common,
        };
        let mut price = Price::default();
        if let Some(value) = self.required(tbl, "price")
            && let Some(price_tbl) = self.table_at(value, &tbl.child("price"), ProblemKind::WrongType)
        {
            self.keys(&price_tbl, &["besitos", "stars"], ProblemKind::UnknownKey);
            if let Some(besitos) = price_tbl.get("besitos") {
                let path = price_tbl.child("besitos");
                price.besitos =
                    self.bounded_at(besitos, &path, ProblemKind::InvalidValue, 1, i64::MAX).map(|b| b as u64);
            }
            if let Some(stars) = price_tbl.get("stars") {
                let path = price_tbl.child("stars");
                // Telegram's ceiling for one Stars invoice.
                price.stars = self.bounded_at(stars, &path, ProblemKind::InvalidValue, 1, 10_000).map(|s| s as u32);
            }
            if price_tbl.get("besitos").is_none() && price_tbl.get("stars").is_none() {
                let message = "a price needs `besitos`, `stars` or both".to_owned();
                self.report(ProblemKind::InvalidValue, &price_tbl.path, &value.span(), message);
            }
        }
        let rewards = self.optional_reward(tbl, "rewards");
        let written = tbl.get("rewards").is_some_and(|value| value.get_ref().as_table().is_none_or(|t| !t.is_empty()));
        if rewards.is_empty() && !written {
            let message = "a shop item must grant something: add `rewards`".to_owned();
            self.report(ProblemKind::InvalidReward, &tbl.child("rewards"), &tbl.span, message);
        }
        let requires = self.optional_requirement(tbl, "requires");
        let stock = match tbl.get("stock") {
            Some(value) => {
                let max = i64::from(u32::MAX);
                self.bounded_at(value, &tbl.child("stock"), ProblemKind::InvalidValue, 0, max).map(|s| s as u32)
            }
            None => None,
        };
        let hidden = self.flag(tbl, "hidden");
        let unique = self.flag(tbl, "unique");
        let available = match tbl.get("available") {
            Some(value) => self.window(value, &tbl.child("available")),
            None => Window::default(),
        };
        let discount = tbl.get("discount").and_then(|value| self.discount(value, &tbl.child("discount")));
        let follow_up = tbl.get("follow_up").and_then(|value| self.follow_up(value, &tbl.child("follow_up")));
        let Some(category) = category else { return };
        let item = ShopItem {
            id: ShopItemId(id.clone()),
            name,
            description,
            category,
            rarity,
            price,
            rewards,
            requires,
            stock,
            hidden,
            unique,
            available,
            discount,
            follow_up,
        };
        let mut shop = std::mem::take(&mut self.draft.shop);
        self.insert(&mut shop, id, span, &tbl.path, item);
        self.draft.shop = shop;
    }

    /// `{ from = <datetime>, until = <datetime> }`, either end optional.
    fn window(&mut self, value: &Value<'_>, path: &str) -> Window {
        let Some(tbl) = self.table_at(value, path, ProblemKind::WrongType) else {
            return Window::default();
        };
        self.keys(&tbl, &["from", "until"], ProblemKind::UnknownKey);
        let window = Window {
            from: tbl.get("from").and_then(|v| self.instant_at(v, &tbl.child("from"))),
            until: tbl.get("until").and_then(|v| self.instant_at(v, &tbl.child("until"))),
        };
        if let (Some(from), Some(until)) = (window.from, window.until)
            && from >= until
        {
            let message = "`available.from` must come before `available.until`".to_owned();
            self.report(ProblemKind::InvalidValue, path, &value.span(), message);
        }
        window
    }

    /// `{ percent = 1..=99, until = <datetime> }`.
    fn discount(&mut self, value: &Value<'_>, path: &str) -> Option<Discount> {
        let tbl = self.table_at(value, path, ProblemKind::WrongType)?;
        self.keys(&tbl, &["percent", "until"], ProblemKind::UnknownKey);
        let percent = self.required(&tbl, "percent")?;
        let percent = self.bounded_at(percent, &tbl.child("percent"), ProblemKind::InvalidValue, 1, 99)? as u8;
        let until = tbl.get("until").and_then(|v| self.instant_at(v, &tbl.child("until")));
        Some(Discount { percent, until })
    }

    /// `{ item = "<shop item>", text.es = …, text.en = … }`.
    fn follow_up(&mut self, value: &Value<'_>, path: &str) -> Option<FollowUp> {
        let tbl = self.table_at(value, path, ProblemKind::WrongType)?;
        self.keys(&tbl, &["item", "text"], ProblemKind::UnknownKey);
        let text = self.text(&tbl, "text");
        let item = self.required(&tbl, "item")?;
        let item_path = tbl.child("item");
        let id = self.id_at(item, &item_path, ProblemKind::WrongType)?;
        self.reference(Entity::ShopItem, &id, &item_path, &item.span());
        Some(FollowUp { item: ShopItemId(id), text })
    }

    /// A TOML date (`2026-12-01`, midnight UTC) or offset date-time
    /// (`2026-12-01T18:00:00Z`) as unix seconds.
    fn instant_at(&mut self, value: &Value<'_>, path: &str) -> Option<i64> {
        self.mark(path, &value.span());
        let instant = match value.get_ref() {
            DeValue::Datetime(datetime) => unix_seconds(datetime),
            _ => None,
        };
        if instant.is_none() {
            let message = "expected a date (`2026-12-01`) or a date-time with offset (`2026-12-01T18:00:00Z`)";
            self.report(ProblemKind::WrongType, path, &value.span(), message.to_owned());
        }
        instant
    }

    fn reactions(&mut self, root: &Tbl<'_, '_>) {
        let mut allowed = vec!["default", "daily_limit"];
        allowed.extend(ReactionTarget::ALL.map(ReactionTarget::key));
        self.keys(root, &allowed, ProblemKind::UnknownKey);
        let mut rewards = ReactionRewards::default();
        if let Some(value) = root.get("default") {
            rewards.default_besitos =
                self.bounded_at(value, "default", ProblemKind::InvalidValue, 0, i64::MAX).unwrap_or(0) as u64;
        }
        if let Some(value) = root.get("daily_limit") {
            let max = i64::from(u32::MAX);
            rewards.daily_limit =
                self.bounded_at(value, "daily_limit", ProblemKind::InvalidValue, 1, max).map(|l| l as u32);
        }
        for target in ReactionTarget::ALL {
            let Some(value) = root.get(target.key()) else {
                continue;
            };
            let Some(tbl) = self.table_at(value, target.key(), ProblemKind::WrongType) else {
                continue;
            };
            let mut table = BTreeMap::new();
            for (emoji, besitos) in tbl.t.iter() {
                let emoji: &str = emoji.get_ref();
                let path = tbl.child(emoji);
                if let Some(besitos) = self.bounded_at(besitos, &path, ProblemKind::InvalidValue, 0, i64::MAX) {
                    table.insert(emoji.to_owned(), besitos as u64);
                }
            }
            rewards.besitos.insert(target, table);
        }
        self.draft.reactions = rewards;
    }

    fn vip(&mut self, root: &Tbl<'_, '_>) {
        let allowed = ["grace_days", "reminder_days", "invite_link_hours", "free_channel_wait_minutes", "plan"];
        self.keys(root, &allowed, ProblemKind::UnknownKey);
        let mut vip = VipSettings::default();
        let invalid = ProblemKind::InvalidValue;
        if let Some(value) = root.get("grace_days") {
            vip.grace_days = self.bounded_at(value, "grace_days", invalid, 0, 60).unwrap_or(0) as u32;
        }
        if let Some(value) = root.get("invite_link_hours") {
            vip.invite_link_hours =
                self.bounded_at(value, "invite_link_hours", invalid, 1, 24 * 30).unwrap_or(24) as u32;
        }
        if let Some(value) = root.get("free_channel_wait_minutes") {
            let path = "free_channel_wait_minutes";
            vip.free_channel_wait_minutes = self.bounded_at(value, path, invalid, 0, 7 * 24 * 60).unwrap_or(0) as u32;
        }
        if let Some(value) = root.get("reminder_days")
            && let Some(array) = self.array_at(value, "reminder_days", ProblemKind::WrongType)
        {
            let mut days: Vec<u16> = Vec::new();
            for (index, element) in array.iter().enumerate() {
                let path = format!("reminder_days[{index}]");
                let Some(day) = self.bounded_at(element, &path, invalid, 1, 30) else {
                    continue;
                };
                if days.contains(&(day as u16)) {
                    self.report(invalid, &path, &element.span(), format!("reminder {day} days before is listed twice"));
                    continue;
                }
                days.push(day as u16);
            }
            days.sort_unstable_by(|a, b| b.cmp(a));
            vip.reminder_days = days;
        }
        if let Some(value) = root.get("plan")
            && let Some(plans) = self.table_at(value, "plan", ProblemKind::WrongType)
        {
            let sold: Vec<&str> = PlanKind::SOLD.iter().map(|plan| plan.key()).collect();
            self.keys(&plans, &sold, ProblemKind::UnknownKey);
            for kind in PlanKind::SOLD {
                let Some(value) = plans.get(kind.key()) else {
                    continue;
                };
                let Some(tbl) = self.table_at(value, &plans.child(kind.key()), ProblemKind::WrongType) else {
                    continue;
                };
                if let Some(plan) = self.vip_plan(&tbl, kind) {
                    vip.plans.insert(kind, plan);
                }
            }
        }
        let shortest = vip.plans.values().filter_map(|plan| plan.days).min();
        if let (Some(shortest), Some(&longest_reminder)) = (shortest, vip.reminder_days.first())
            && u32::from(longest_reminder) >= shortest
        {
            let message =
                format!("a reminder {longest_reminder} days before the end comes before a {shortest}-day plan starts");
            self.report_path(invalid, "reminder_days", &root.span, message);
        }
        self.draft.vip = vip;
    }

    /// One `[plan.<kind>]` table of `vip.toml`.
    fn vip_plan(&mut self, tbl: &Tbl<'_, '_>, kind: PlanKind) -> Option<VipPlan> {
        let allowed: &[&str] = match kind {
            PlanKind::Annual => &["name", "description", "stars", "days", "renewal_bonus"],
            _ => &["name", "description", "stars", "renewal_bonus"],
        };
        self.keys(tbl, allowed, ProblemKind::UnknownKey);
        let name = self.text(tbl, "name");
        let description = self.text(tbl, "description");
        let invalid = ProblemKind::InvalidValue;
        // Telegram takes invoices of 1 to 10,000 Stars.
        let stars = self.required(tbl, "stars")?;
        let stars = self.bounded_at(stars, &tbl.child("stars"), invalid, 1, 10_000)? as u32;
        let days = match kind {
            PlanKind::Monthly => Some(30),
            PlanKind::Annual => {
                let days = self.required(tbl, "days")?;
                Some(self.bounded_at(days, &tbl.child("days"), invalid, 1, 3_660)? as u32)
            }
            PlanKind::Lifetime | PlanKind::Trial => None,
        };
        let renewal_bonus = match tbl.get("renewal_bonus") {
            Some(value) => {
                self.bounded_at(value, &tbl.child("renewal_bonus"), invalid, 0, 1_000_000).unwrap_or(0) as u64
            }
            None => 0,
        };
        Some(VipPlan { kind, name, description, stars, days, renewal_bonus })
    }

    fn experiences(&mut self, root: &Tbl<'_, '_>) {
        self.keys(root, &["experience"], ProblemKind::UnknownKey);
        for (id, span, tbl) in self.entities(root, "experience") {
            let allowed = [
                "id",
                "name",
                "description",
                "vip",
                "hidden",
                "repeatable",
                "time_limit_hours",
                "requires",
                "rewards",
                "component",
            ];
            self.keys(&tbl, &allowed, ProblemKind::UnknownKey);
            let name = self.text(&tbl, "name");
            let description = self.text(&tbl, "description");
            let vip = self.flag(&tbl, "vip");
            let hidden = self.flag(&tbl, "hidden");
            let repeatable = self.flag(&tbl, "repeatable");
            let time_limit_hours = tbl.get("time_limit_hours").and_then(|value| {
                let path = tbl.child("time_limit_hours");
                self.bounded_at(value, &path, ProblemKind::InvalidValue, 1, 24 * 365).map(|hours| hours as u32)
            });
            let requires = self.optional_requirement(&tbl, "requires");
            let rewards = self.optional_reward(&tbl, "rewards");
            let mut components: Vec<Component> = Vec::new();
            for (component_id, component_span, component_tbl) in self.entities(&tbl, "component") {
                let Some(component) = self.component(&component_tbl, ComponentId(component_id.clone())) else {
                    continue;
                };
                if components.iter().any(|other| other.id == component.id) {
                    let message = format!("duplicate component id `{component_id}` in this experience");
                    self.report(ProblemKind::DuplicateId, &component_tbl.path, &component_span, message);
                    continue;
                }
                components.push(component);
            }
            let experience = Experience {
                id: ExperienceId(id.clone()),
                name,
                description,
                vip,
                hidden,
                repeatable,
                time_limit_hours,
                requires,
                rewards,
                components,
            };
            let mut experiences = std::mem::take(&mut self.draft.experiences);
            self.insert(&mut experiences, id, &span, &tbl.path, experience);
            self.draft.experiences = experiences;
        }
    }

    fn component(&mut self, tbl: &Tbl<'_, '_>, id: ComponentId) -> Option<Component> {
        /// A kind either names an entity in `ref` (or defines it inline) or
        /// counts something.
        #[derive(Clone, Copy)]
        enum Kind {
            Ref(Entity),
            Reaction,
            Spend,
        }
        let kinds = [
            ("fragment", Kind::Ref(Entity::Fragment)),
            ("decision", Kind::Ref(Entity::Decision)),
            ("mission", Kind::Ref(Entity::Mission)),
            ("purchase", Kind::Ref(Entity::ShopItem)),
            ("achievement", Kind::Ref(Entity::Achievement)),
            ("item", Kind::Ref(Entity::Item)),
            ("experience", Kind::Ref(Entity::Experience)),
            ("reaction", Kind::Reaction),
            ("spend", Kind::Spend),
        ];
        let kind_value = self.required(tbl, "kind")?;
        let kind = self.choice(kind_value, &tbl.child("kind"), &kinds);
        let inline = match kind {
            Some(Kind::Ref(entity)) => inline_key(entity),
            _ => None,
        };
        let mut allowed = vec!["id", "kind", "ref", "count", "after", "rewards"];
        match kind {
            Some(_) => allowed.extend(inline),
            // Its inline table is not what is wrong.
            None => allowed.extend(["fragment", "item", "achievement", "mission", "shop_item"]),
        }
        self.keys(tbl, &allowed, ProblemKind::UnknownKey);
        let kind = kind?;
        let count_path = tbl.child("count");
        let kind = match kind {
            Kind::Spend => {
                let value = self.required(tbl, "count")?;
                let amount = self.bounded_at(value, &count_path, ProblemKind::InvalidValue, 1, 1_000_000_000)?;
                ComponentKind::BesitosSpent { amount: amount as u64 }
            }
            Kind::Reaction => ComponentKind::Reaction { count: self.component_count(tbl, &count_path) },
            Kind::Ref(entity) => {
                let ref_path = tbl.child("ref");
                let target = match (inline.and_then(|key| tbl.get(key).map(|value| (key, value))), tbl.get("ref")) {
                    (Some((key, value)), reference) => {
                        if let Some(reference) = reference {
                            let message = format!("give either `ref` or the inline `{key}` table, not both");
                            self.report(ProblemKind::InvalidValue, &ref_path, &reference.span(), message);
                        }
                        self.inline(entity, value, &tbl.child(key))?
                    }
                    (None, Some(ref_value)) => {
                        let target = self.str_at(ref_value, &ref_path, ProblemKind::WrongType)?;
                        self.reference(entity, &target, &ref_path, &ref_value.span());
                        target
                    }
                    (None, None) => {
                        let mut message = format!("`{}` needs `ref`", tbl.path);
                        if let Some(key) = inline {
                            message.push_str(&format!(" or an inline `[experience.component.{key}]` table"));
                        }
                        self.report(ProblemKind::MissingKey, &ref_path, &tbl.span, message);
                        return None;
                    }
                };
                match entity {
                    Entity::Fragment => ComponentKind::Fragment(FragmentId(target)),
                    Entity::Decision => {
                        let (fragment, decision) = target.split_once('/').unwrap_or((&target, ""));
                        ComponentKind::Decision(FragmentId(fragment.to_owned()), DecisionId(decision.to_owned()))
                    }
                    Entity::Mission => ComponentKind::Mission(MissionId(target)),
                    Entity::ShopItem => ComponentKind::Purchase(ShopItemId(target)),
                    Entity::Item => ComponentKind::ItemHeld {
                        item: ItemId(target),
                        quantity: self.component_count(tbl, &count_path),
                    },
                    Entity::Experience => ComponentKind::Experience(ExperienceId(target)),
                    _ => ComponentKind::Achievement(AchievementId(target)),
                }
            }
        };
        let after = match tbl.get("after") {
            Some(value) => self
                .id_list(value, &tbl.child("after"), ProblemKind::WrongType)
                .into_iter()
                .map(|(after, _)| ComponentId(after))
                .collect(),
            None => Vec::new(),
        };
        let rewards = self.optional_reward(tbl, "rewards");
        Some(Component { id, kind, after, rewards })
    }

    /// The entity a component defines inline, read by its catalogue's own
    /// reader and added to that catalogue under the catalogue's key path
    /// (`mission.<id>`) with this site, so it is the same entity as one
    /// written in `missions.toml`. Returns its id.
    fn inline(&mut self, entity: Entity, value: &Value<'_>, path: &str) -> Option<String> {
        let mut tbl = self.table_at(value, path, ProblemKind::WrongType)?;
        let id_value = self.required(&tbl, "id")?;
        let id = self.id_at(id_value, &tbl.child("id"), ProblemKind::WrongType)?;
        let span = id_value.span();
        tbl.path = join(inline_key(entity)?, &id);
        self.mark(&tbl.path, &span);
        match entity {
            Entity::Fragment => {
                let level = self.required(&tbl, "level")?;
                let level =
                    self.bounded_at(level, &tbl.child("level"), ProblemKind::InvalidValue, 1, i64::from(MAX_LEVEL))?;
                self.define_fragment(id.clone(), &span, &tbl, level as u8, true);
            }
            Entity::Item => self.define_item(id.clone(), &span, &tbl),
            Entity::Achievement => self.define_achievement(id.clone(), &span, &tbl),
            Entity::Mission => self.define_mission(id.clone(), &span, &tbl),
            Entity::ShopItem => self.define_shop_item(id.clone(), &span, &tbl),
            _ => return None,
        }
        Some(id)
    }

    /// A component's `count`: how many reactions, or units of an item; 1
    /// when absent.
    fn component_count(&mut self, tbl: &Tbl<'_, '_>, path: &str) -> u32 {
        match tbl.get("count") {
            Some(value) => {
                self.bounded_at(value, path, ProblemKind::InvalidValue, 1, i64::from(u32::MAX)).unwrap_or(1) as u32
            }
            None => 1,
        }
    }

    /// `[[role]]` entries: id, name in both languages, and at least one
    /// permission among [`Permission::ALL`], each once.
    fn roles(&mut self, root: &Tbl<'_, '_>) {
        self.keys(root, &["role"], ProblemKind::UnknownKey);
        let known: Vec<(&str, Permission)> =
            Permission::ALL.iter().map(|permission| (permission.key(), *permission)).collect();
        for (id, span, tbl) in self.entities(root, "role") {
            self.keys(&tbl, &["id", "name", "permissions"], ProblemKind::UnknownKey);
            let name = self.text(&tbl, "name");
            let mut permissions = Permissions::NONE;
            if let Some(value) = self.required(&tbl, "permissions") {
                let path = tbl.child("permissions");
                let Some(array) = self.array_at(value, &path, ProblemKind::WrongType) else { continue };
                if array.is_empty() {
                    let message = "a role needs at least one permission".to_owned();
                    self.report(ProblemKind::InvalidValue, &path, &value.span(), message);
                }
                for (index, element) in array.iter().enumerate() {
                    let element_path = format!("{path}[{index}]");
                    let Some(permission) = self.choice(element, &element_path, &known) else { continue };
                    if permissions.contains(permission) {
                        let message = format!("permission `{permission}` is listed twice");
                        self.report(ProblemKind::InvalidValue, &element_path, &element.span(), message);
                    }
                    permissions.insert(permission);
                }
            }
            let role = Role { id: RoleId(id.clone()), name, permissions };
            let mut roles = std::mem::take(&mut self.draft.roles);
            self.insert(&mut roles, id, &span, &tbl.path, role);
            self.draft.roles = roles;
        }
    }
    /// `leaderboards.toml`: `[[board]]` entries — id, name in both
    /// languages, the metric it `counts`, its `period` and the besitos
    /// `prizes` for ranks 1, 2, … (weekly boards only: an all-time board
    /// never ends).
    fn leaderboards(&mut self, root: &Tbl<'_, '_>) {
        self.keys(root, &["board"], ProblemKind::UnknownKey);
        let metrics: Vec<(&str, Metric)> = Metric::ALL.iter().map(|metric| (metric.key(), *metric)).collect();
        let periods = [(Period::Weekly.key(), Period::Weekly), (Period::AllTime.key(), Period::AllTime)];
        let mut ids: BTreeMap<String, ()> = BTreeMap::new();
        for (id, span, tbl) in self.entities(root, "board") {
            self.keys(&tbl, &["id", "name", "counts", "period", "prizes"], ProblemKind::UnknownKey);
            let name = self.text(&tbl, "name");
            let metric =
                self.required(&tbl, "counts").and_then(|value| self.choice(value, &tbl.child("counts"), &metrics));
            let period =
                self.required(&tbl, "period").and_then(|value| self.choice(value, &tbl.child("period"), &periods));
            let mut prizes = Vec::new();
            if let Some(value) = tbl.get("prizes") {
                let path = tbl.child("prizes");
                if let Some(array) = self.array_at(value, &path, ProblemKind::WrongType) {
                    if array.len() > Board::MAX_PRIZES {
                        let message = format!("at most {} prizes", Board::MAX_PRIZES);
                        self.report(ProblemKind::InvalidValue, &path, &value.span(), message);
                    }
                    for (index, element) in array.iter().enumerate() {
                        let element_path = format!("{path}[{index}]");
                        let besitos = self.bounded_at(element, &element_path, ProblemKind::InvalidValue, 1, 1_000_000);
                        prizes.extend(besitos);
                    }
                }
                if period == Some(Period::AllTime) {
                    let message = "an all-time board never ends, so it pays no prizes".to_owned();
                    self.report(ProblemKind::InvalidValue, &path, &value.span(), message);
                }
            }
            let fresh = self.insert(&mut ids, id.clone(), &span, &tbl.path, ());
            if let (true, Some(metric), Some(period)) = (fresh, metric, period) {
                self.draft.boards.push(Board { id, name, metric, period, prizes });
            }
        }
    }

    /// `lore.toml`: `[[piece]]`, `[[recipe]]` and `[[code]]`.
    fn lore(&mut self, root: &Tbl<'_, '_>) {
        self.keys(root, &["piece", "recipe", "code"], ProblemKind::UnknownKey);
        let invalid = ProblemKind::InvalidValue;
        let mut lore = Lore::default();
        for (id, span, tbl) in self.entities(root, "piece") {
            self.keys(&tbl, &["id", "name", "text", "rarity"], ProblemKind::UnknownKey);
            let name = self.text(&tbl, "name");
            let text = self.text(&tbl, "text");
            let rarity = match tbl.get("rarity") {
                Some(value) => self.choice(value, &tbl.child("rarity"), &RARITIES).unwrap_or(Rarity::Common),
                None => Rarity::Common,
            };
            let piece = LorePiece { id: LoreId(id.clone()), name, text, rarity };
            if self.insert(&mut lore.pieces, id.clone(), &span, &tbl.path, piece) {
                if lore.piece_order.len() == Lore::MAX_PIECES {
                    let message = format!("at most {} lore pieces; the backpack selects them by bit", Lore::MAX_PIECES);
                    self.report(invalid, &tbl.path, &span, message);
                }
                lore.piece_order.push(LoreId(id));
            }
        }
        for (id, span, tbl) in self.entities(root, "recipe") {
            self.keys(&tbl, &["id", "name", "pieces", "reveals", "rewards", "hint"], ProblemKind::UnknownKey);
            let name = self.text(&tbl, "name");
            let hint = self.text(&tbl, "hint");
            let Some(pieces_value) = self.required(&tbl, "pieces") else { continue };
            let pieces_path = tbl.child("pieces");
            let listed = self.lore_list(pieces_value, &pieces_path, ProblemKind::WrongType);
            let pieces: std::collections::BTreeSet<LoreId> = listed.iter().cloned().collect();
            if pieces.len() != listed.len() {
                self.report(invalid, &pieces_path, &pieces_value.span(), "a piece is listed twice".to_owned());
            } else if pieces.len() < 2 {
                let message = "a recipe combines at least two pieces".to_owned();
                self.report(invalid, &pieces_path, &pieces_value.span(), message);
            }
            if let Some(other) = lore.recipes.values().find(|other| other.pieces == pieces) {
                let message = format!("recipe `{}` combines the same pieces", other.id);
                self.report(invalid, &pieces_path, &pieces_value.span(), message);
            }
            let reveals = match tbl.get("reveals") {
                Some(value) => {
                    let path = tbl.child("reveals");
                    let fragment = self.id_at(value, &path, ProblemKind::WrongType);
                    if let Some(fragment) = &fragment {
                        self.reference(Entity::Fragment, fragment, &path, &value.span());
                    }
                    fragment.map(FragmentId)
                }
                None => None,
            };
            let rewards = self.optional_reward(&tbl, "rewards");
            if reveals.is_none() && rewards.is_empty() {
                let message = "a recipe reveals a fragment (`reveals`), gives `rewards`, or both".to_owned();
                self.report(invalid, &tbl.child("reveals"), &span, message);
            }
            let recipe = Recipe { id: RecipeId(id.clone()), name, pieces, reveals, rewards, hint };
            self.insert(&mut lore.recipes, id, &span, &tbl.path, recipe);
        }
        for (id, span, tbl) in self.entities(root, "code") {
            self.keys(&tbl, &["id", "code", "rewards", "vip", "from", "until"], ProblemKind::UnknownKey);
            let Some(code_value) = self.required(&tbl, "code") else { continue };
            let code_path = tbl.child("code");
            let Some(code) = self.str_at(code_value, &code_path, ProblemKind::WrongType) else { continue };
            let code = SecretCode::normalise(&code);
            let well_formed = (4..=32).contains(&code.chars().count())
                && code.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_');
            if !well_formed {
                let message = "a code is 4 to 32 letters, digits, `-` or `_`".to_owned();
                self.report(invalid, &code_path, &code_value.span(), message);
            }
            if let Some(other) = lore.codes.values().find(|other| other.code == code) {
                let message = format!("code `{}` already has this text (codes ignore case)", other.id);
                self.report(ProblemKind::DuplicateId, &code_path, &code_value.span(), message);
            }
            let rewards = self.optional_reward(&tbl, "rewards");
            if rewards.is_empty() {
                self.report(ProblemKind::MissingKey, &tbl.child("rewards"), &span, "a code needs `rewards`".to_owned());
            }
            let vip = self.flag(&tbl, "vip");
            let from = tbl.get("from").and_then(|value| self.instant_at(value, &tbl.child("from")));
            let until = tbl.get("until").and_then(|value| self.instant_at(value, &tbl.child("until")));
            if let (Some(from), Some(until)) = (from, until)
                && from >= until
            {
                let message = "`until` must come after `from`".to_owned();
                self.report_path(invalid, &tbl.child("until"), &span, message);
            }
            let secret = SecretCode { id: CodeId(id.clone()), code, rewards, vip, available: Window { from, until } };
            self.insert(&mut lore.codes, id, &span, &tbl.path, secret);
        }
        self.draft.lore = lore;
    }
}
