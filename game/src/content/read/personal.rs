//! Reading the personalisation files: `archetypes.toml` (how each signal
//! of a player's history weighs towards each archetype) and `flags.toml`
//! (feature flags: rollout, audience, variants). Nothing in them refers to
//! another file, so every check is made here, with the line of the
//! offending key.

use std::collections::{BTreeMap, BTreeSet};

use toml::de::DeValue;

use super::{Cx, Tbl, Value, to_i64};
use crate::archetype::{Archetype, ArchetypeWeights, Signal};
use crate::content::ids::is_valid_id;
use crate::content::problem::ProblemKind;
use crate::flags::{Audience, BUCKETS, Flag, Variant, parse_percent};
use crate::ids::{Language, UserId};

const INVALID: ProblemKind = ProblemKind::InvalidValue;
/// The most a signal may weigh, and a variant.
const MAX_WEIGHT: i64 = 10_000;

impl Cx<'_> {
    /// `archetypes.toml`: `min_score`, and per archetype a table of
    /// `signal = weight`. The file replaces the built-in weights whole: an
    /// archetype it leaves out scores nothing.
    pub(super) fn archetypes(&mut self, root: &Tbl<'_, '_>) {
        let mut allowed: Vec<&str> = Archetype::ALL.iter().map(|archetype| archetype.key()).collect();
        allowed.push("min_score");
        self.keys(root, &allowed, ProblemKind::UnknownKey);
        let mut weights =
            ArchetypeWeights { weights: BTreeMap::new(), min_score: ArchetypeWeights::default().min_score };
        if let Some(value) = root.get("min_score")
            && let Some(min_score) = self.bounded_at(value, "min_score", INVALID, 0, 1_000_000_000)
        {
            weights.min_score = min_score as u64;
        }
        let signals: Vec<&str> = Signal::ALL.iter().map(|signal| signal.key()).collect();
        for archetype in Archetype::ALL {
            let Some(value) = root.get(archetype.key()) else { continue };
            let Some(tbl) = self.table_at(value, archetype.key(), ProblemKind::WrongType) else { continue };
            self.keys(&tbl, &signals, ProblemKind::UnknownKey);
            let mut read = Vec::new();
            for signal in Signal::ALL {
                if let Some(value) = tbl.get(signal.key())
                    && let Some(weight) = self.bounded_at(value, &tbl.child(signal.key()), INVALID, 0, MAX_WEIGHT)
                    && weight > 0
                {
                    read.push((signal, weight as u32));
                }
            }
            weights.weights.insert(archetype, read);
        }
        self.draft.archetypes = weights;
    }

    /// `flags.toml`: `[[flag]]` with `name`, an optional `description` in
    /// both languages, `rollout` (a percentage, up to two decimals), an
    /// optional `audience` and optional `variants`.
    pub(super) fn flags(&mut self, root: &Tbl<'_, '_>) {
        self.keys(root, &["flag"], ProblemKind::UnknownKey);
        let Some(value) = root.get("flag") else { return };
        let Some(array) = self.array_at(value, "flag", ProblemKind::WrongType) else { return };
        let mut seen: BTreeMap<String, ()> = BTreeMap::new();
        for (index, element) in array.iter().enumerate() {
            let fallback = format!("flag[{index}]");
            let Some(mut tbl) = self.table_at(element, &fallback, ProblemKind::WrongType) else { continue };
            let Some(name_value) = self.required(&tbl, "name") else { continue };
            let Some(name) = self.id_at(name_value, &format!("{fallback}.name"), ProblemKind::WrongType) else {
                continue;
            };
            tbl.path = format!("flag.{name}");
            let fresh = self.insert(&mut seen, name.clone(), &name_value.span(), &tbl.path, ());
            self.mark(&tbl.path, &name_value.span());
            self.keys(&tbl, &["name", "description", "rollout", "audience", "variants"], ProblemKind::UnknownKey);
            let description = tbl.get("description").is_some().then(|| self.text(&tbl, "description"));
            let rollout = self.required(&tbl, "rollout").and_then(|value| self.percent(value, &tbl.child("rollout")));
            let audience = match tbl.get("audience") {
                Some(value) => self.audience(value, &tbl.child("audience")),
                None => Some(Audience::default()),
            };
            let variants = match tbl.get("variants") {
                Some(value) => self.variants(value, &tbl.child("variants")),
                None => Some(Vec::new()),
            };
            if let (true, Some(rollout), Some(audience), Some(variants)) = (fresh, rollout, audience, variants) {
                if let Some(description) = description {
                    self.draft.flag_descriptions.insert(name.clone(), description);
                }
                self.draft.flags.0.insert(name.clone(), Flag { name, rollout, audience, variants });
            }
        }
    }

    /// A percentage from 0 to 100 with at most two decimals, in hundredths.
    fn percent(&mut self, value: &Value<'_>, path: &str) -> Option<u32> {
        self.mark(path, &value.span());
        let read = match value.get_ref() {
            DeValue::Integer(_) => to_i64(value.get_ref()).filter(|n| (0..=100).contains(n)).map(|n| n as u32 * 100),
            DeValue::Float(float) => parse_percent(&float.as_str().replace('_', "")),
            _ => {
                self.wrong_type(ProblemKind::WrongType, value, path, "a percentage (a number from 0 to 100)");
                return None;
            }
        };
        if read.is_none_or(|hundredths| hundredths > BUCKETS) {
            let message = "a rollout is a percentage from 0 to 100 with at most two decimals".to_owned();
            self.report(INVALID, path, &value.span(), message);
            return None;
        }
        read
    }

    /// `audience = { archetypes = [..], vip = bool, languages = [..], users = [..] }`.
    fn audience(&mut self, value: &Value<'_>, path: &str) -> Option<Audience> {
        let tbl = self.table_at(value, path, ProblemKind::WrongType)?;
        self.keys(&tbl, &["archetypes", "vip", "languages", "users"], ProblemKind::UnknownKey);
        let mut audience = Audience::default();
        let mut valid = true;
        let archetypes: Vec<(&str, Archetype)> =
            Archetype::ALL.iter().map(|archetype| (archetype.key(), *archetype)).collect();
        valid &= self.choices(&tbl, "archetypes", &archetypes, &mut audience.archetypes);
        let languages = [("es", Language::Es), ("en", Language::En)];
        valid &= self.choices(&tbl, "languages", &languages, &mut audience.languages);
        if let Some(value) = tbl.get("vip") {
            audience.vip = self.bool_at(value, &tbl.child("vip"), ProblemKind::WrongType);
            valid &= audience.vip.is_some();
        }
        if let Some(value) = tbl.get("users") {
            let users_path = tbl.child("users");
            match self.array_at(value, &users_path, ProblemKind::WrongType) {
                Some(array) => {
                    for (index, element) in array.iter().enumerate() {
                        let element_path = format!("{users_path}[{index}]");
                        match self.bounded_at(element, &element_path, INVALID, 1, i64::MAX) {
                            Some(user) => {
                                audience.users.insert(UserId(user));
                            }
                            None => valid = false,
                        }
                    }
                }
                None => valid = false,
            }
        }
        valid.then_some(audience)
    }

    /// `key = [..]`, each a word among `choices`; whether all were.
    fn choices<T: Copy + Ord>(
        &mut self,
        tbl: &Tbl<'_, '_>,
        key: &str,
        choices: &[(&str, T)],
        into: &mut BTreeSet<T>,
    ) -> bool {
        let Some(value) = tbl.get(key) else { return true };
        let path = tbl.child(key);
        let Some(array) = self.array_at(value, &path, ProblemKind::WrongType) else { return false };
        let mut valid = true;
        for (index, element) in array.iter().enumerate() {
            match self.choice(element, &format!("{path}[{index}]"), choices) {
                Some(choice) => {
                    into.insert(choice);
                }
                None => valid = false,
            }
        }
        valid
    }

    /// `variants = [{ name, weight }, ..]`: names valid and distinct,
    /// weights adding up to more than zero.
    fn variants(&mut self, value: &Value<'_>, path: &str) -> Option<Vec<Variant>> {
        let array = self.array_at(value, path, ProblemKind::WrongType)?;
        let mut variants: Vec<Variant> = Vec::new();
        let mut valid = true;
        for (index, element) in array.iter().enumerate() {
            let element_path = format!("{path}[{index}]");
            let Some(tbl) = self.table_at(element, &element_path, ProblemKind::WrongType) else {
                valid = false;
                continue;
            };
            self.keys(&tbl, &["name", "weight"], ProblemKind::UnknownKey);
            let name_path = tbl.child("name");
            let name = self.required(&tbl, "name").and_then(|value| {
                let name = self.str_at(value, &name_path, ProblemKind::WrongType)?.trim().to_owned();
                let problem = if name.is_empty() {
                    Some((INVALID, "a variant needs a name".to_owned()))
                } else if !is_valid_id(&name) {
                    let message = format!("invalid variant name `{name}`: use 1 to 32 of a-z, 0-9, `_` and `-`");
                    Some((ProblemKind::InvalidId, message))
                } else if variants.iter().any(|variant| variant.name == name) {
                    Some((ProblemKind::DuplicateId, format!("variant `{name}` is listed twice")))
                } else {
                    None
                };
                match problem {
                    Some((kind, message)) => {
                        self.report(kind, &name_path, &value.span(), message);
                        None
                    }
                    None => Some(name),
                }
            });
            let weight = self
                .required(&tbl, "weight")
                .and_then(|value| self.bounded_at(value, &tbl.child("weight"), INVALID, 0, MAX_WEIGHT));
            match (name, weight) {
                (Some(name), Some(weight)) => variants.push(Variant { name, weight: weight as u32 }),
                _ => valid = false,
            }
        }
        if valid && variants.iter().map(|variant| variant.weight).sum::<u32>() == 0 {
            let message = "the variants' weights add up to zero; give at least one a weight".to_owned();
            self.report(INVALID, path, &value.span(), message);
            return None;
        }
        valid.then_some(variants)
    }
}
