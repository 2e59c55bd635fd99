//! Feature flags: who sees a feature, and which variant of it.
//!
//! A flag is on for a player in its audience whose bucket — a stable hash
//! of the flag's name and the player's id, in `0..10_000` — is under the
//! rollout. Raising a rollout only adds players (the buckets do not move),
//! and the variant comes from a second hash, so changing the rollout never
//! moves a player from one variant to another. Evaluated in the user actor
//! from the content it holds: no I/O.

use std::collections::{BTreeMap, BTreeSet};

use crate::archetype::Archetype;
use crate::ids::{Language, UserId};

/// The offers engine (`offers.toml`).
pub const OFFERS: &str = "offers";
/// The "your style" section of the profile.
pub const STYLE: &str = "style";

/// Buckets per flag: a rollout is in hundredths of a percent.
pub const BUCKETS: u32 = 10_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    pub name: String,
    /// Share of the audience the flag is on for, in hundredths of a
    /// percent (`0..=BUCKETS`).
    pub rollout: u32,
    pub audience: Audience,
    /// Variants with their weights; none means the flag is simply on.
    pub variants: Vec<Variant>,
}

/// Who a flag may be on for; an empty criterion admits everyone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Audience {
    pub archetypes: BTreeSet<Archetype>,
    /// Only members (`Some(true)`) or only free players (`Some(false)`).
    pub vip: Option<bool>,
    pub languages: BTreeSet<Language>,
    pub users: BTreeSet<UserId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    pub name: String,
    pub weight: u32,
}

/// What a flag is evaluated against: the player as the actor knows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject {
    pub user: UserId,
    pub archetype: Option<Archetype>,
    pub vip: bool,
    pub language: Language,
}

/// The variant name a flag without variants is on with.
pub const ON: &str = "on";

impl Audience {
    pub fn admits(&self, subject: &Subject) -> bool {
        (self.archetypes.is_empty() || subject.archetype.is_some_and(|archetype| self.archetypes.contains(&archetype)))
            && self.vip.is_none_or(|vip| vip == subject.vip)
            && (self.languages.is_empty() || self.languages.contains(&subject.language))
            && (self.users.is_empty() || self.users.contains(&subject.user))
    }
}

impl Flag {
    /// The variant `subject` gets — [`ON`] for a flag without variants —,
    /// or `None` where the flag is off for them.
    pub fn evaluate(&self, subject: &Subject) -> Option<&str> {
        if !self.audience.admits(subject) || bucket(&self.name, "rollout", subject.user) >= self.rollout {
            return None;
        }
        let total: u64 = self.variants.iter().map(|variant| u64::from(variant.weight)).sum();
        if total == 0 {
            return Some(ON);
        }
        let mut point = u64::from(bucket(&self.name, "variant", subject.user)) * total / u64::from(BUCKETS);
        for variant in &self.variants {
            if point < u64::from(variant.weight) {
                return Some(&variant.name);
            }
            point -= u64::from(variant.weight);
        }
        unreachable!("a point below the weights' total falls in one of them")
    }
}

/// Every flag of the content, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flags(pub BTreeMap<String, Flag>);

impl Flags {
    pub fn get(&self, name: &str) -> Option<&Flag> {
        self.0.get(name)
    }

    /// The variant of flag `name` for `subject`; a flag the content does
    /// not define is off.
    pub fn evaluate(&self, name: &str, subject: &Subject) -> Option<&str> {
        self.get(name)?.evaluate(subject)
    }

    pub fn is_on(&self, name: &str, subject: &Subject) -> bool {
        self.evaluate(name, subject).is_some()
    }
}

/// An operator's live change of a flag's rollout (`/flag <name> <percent>`),
/// stored (`flag_overrides`) and applied over the content's rollout at
/// startup, on every reload and at once when set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagOverride {
    pub flag: String,
    /// In hundredths of a percent, like [`Flag::rollout`].
    pub rollout: u32,
    pub set_by: UserId,
    /// Unix seconds (the game clock).
    pub set_at: i64,
}

/// A percentage as operators write it — `30`, `12.5`, `0.25`, `7,5`,
/// `30%` — in hundredths of a percent; `None` past two decimals, over 100
/// or not a number.
pub fn parse_percent(text: &str) -> Option<u32> {
    let text = text.trim().trim_end_matches('%').trim_end().replace(',', ".");
    let (whole, fraction) = match text.split_once('.') {
        Some((_, "")) => return None,
        Some(parts) => parts,
        None => (text.as_str(), ""),
    };
    let digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    if whole.is_empty() || whole.len() > 3 || fraction.len() > 2 || !digits(whole) || !digits(fraction) {
        return None;
    }
    let whole: u32 = whole.parse().ok()?;
    let fraction: u32 = format!("{fraction:0<2}").parse().ok()?;
    Some(whole * 100 + fraction).filter(|&hundredths| hundredths <= BUCKETS)
}

/// A rollout as a percentage with no needless decimals: `30`, `12.5`, `0.25`.
pub fn format_percent(rollout: u32) -> String {
    let (whole, fraction) = (rollout / 100, rollout % 100);
    match fraction {
        0 => whole.to_string(),
        f if f % 10 == 0 => format!("{whole}.{}", f / 10),
        f => format!("{whole}.{f:02}"),
    }
}

/// The player's bucket of a flag in `0..BUCKETS`: FNV-1a over the flag's
/// name, a salt and the id, finished with SplitMix64 so neighbouring ids
/// spread. Stable across releases and platforms, unlike std's hashers.
pub fn bucket(flag: &str, salt: &str, user: UserId) -> u32 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let bytes = flag.bytes().chain([0]).chain(salt.bytes()).chain([0]).chain(user.0.to_le_bytes());
    let mut hash = bytes.fold(OFFSET, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(PRIME));
    hash = (hash ^ (hash >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    hash = (hash ^ (hash >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    hash ^= hash >> 31;
    (hash % u64::from(BUCKETS)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(user: i64) -> Subject {
        Subject { user: UserId(user), archetype: None, vip: false, language: Language::Es }
    }

    #[test]
    fn buckets_are_fixed_values() {
        // Pinned: a change here moves every player between variants.
        let buckets = [1, 2, 42, 1_000_000]
            .map(|id| (bucket("offers", "rollout", UserId(id)), bucket("offers", "variant", UserId(id))));
        assert_eq!(buckets, [(2652, 9373), (8551, 1234), (8542, 2082), (6524, 7116)]);
    }

    #[test]
    fn percentages_read_to_hundredths_and_back() {
        for (text, hundredths) in
            [("30", 3_000), ("12.5", 1_250), ("0.25", 25), ("7,5", 750), ("100", 10_000), ("0", 0), ("30 %", 3_000)]
        {
            assert_eq!(parse_percent(text), Some(hundredths), "{text}");
            assert_eq!(parse_percent(&format_percent(hundredths)), Some(hundredths));
        }
        for bad in ["", "-5", "100.01", "101", "1.234", "abc", ".5", "5.", "1e2", "1000"] {
            assert_eq!(parse_percent(bad), None, "{bad}");
        }
        assert_eq!(
            (format_percent(1_250), format_percent(25), format_percent(3_000)),
            ("12.5".into(), "0.25".into(), "30".into())
        );
    }

    #[test]
    fn raising_a_rollout_only_adds_players() {
        let mut flag = Flag { name: "f".into(), rollout: 1_000, audience: Audience::default(), variants: vec![] };
        let before: Vec<i64> = (0..2_000).filter(|&id| flag.evaluate(&subject(id)).is_some()).collect();
        flag.rollout = 3_000;
        assert!(before.iter().all(|&id| flag.evaluate(&subject(id)).is_some()));
    }
}
