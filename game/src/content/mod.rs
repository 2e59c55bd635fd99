//! Story and game content, as operators write it: TOML files in a
//! `content/` folder, one concern per file.
//!
//! ```text
//! content/
//!   levels.toml          levels 1-6: experience points, VIP or free, title
//!   story/level-1.toml   the fragments of level 1 and their decisions
//!   …                    (one or more files per level, any name)
//!   items.toml  achievements.toml  missions.toml  shop.toml
//!   reactions.toml       besitos per emoji and content type
//!   experiences.toml     experiences and their components
//!   experiences/*.toml   more experiences, any name; a component may define
//!                        the fragment, mission, shop item, item or
//!                        achievement it needs inline (it joins its catalogue)
//!   roles.toml           operator roles and their permissions (optional)
//!   vip.toml             VIP plans (Stars), grace, reminders, channel waits
//!   lore.toml            lore pieces, recipes that combine them, secret codes
//!                        (optional)
//!   trivia.toml          trivia sets, their questions, the daily quota (optional)
//!   events.toml          timed events: reaction multiplier, trivia marathon,
//!                        leaderboard sprint, each with start and end (optional)
//!   referrals.toml       the referral milestone, rewards and cap (optional)
//!   leaderboards.toml    leaderboards: what each counts, weekly or all-time,
//!                        prizes (optional)
//!   archetypes.toml      how each signal weighs towards each archetype
//!                        (optional; the seed's weights without it)
//!   flags.toml           feature flags: rollout, audience, variants (optional)
//! ```
//!
//! This module is pure: it takes file paths and texts, never reads a disk.
//! [`Content::parse`] reads them ([`read`](self::read)), then [`validate`]s
//! everything that spans files (references, the story graph, experiences,
//! whether every requirement can be met) and returns either a [`Content`]
//! that is valid throughout or *every* problem found, each with file, key
//! path and line. A server holding a `Content` can therefore follow any id
//! it contains without handling "not found".
//!
//! Requirements are evaluated against a user's state by [`evaluate`], which
//! says what is missing and, from the content, how to get it.

pub mod community;
mod ids;
// offers
mod model;
pub mod offers;
mod problem;
mod read;
mod requirement;
pub mod template;
mod validate;

use std::collections::BTreeMap;

pub use ids::{
    AchievementId, CategoryId, CodeId, ComponentId, DecisionId, ExperienceId, FlagName, FragmentId, LoreId, MAX_ID_LEN,
    MissionId, RecipeId, RoleId, ShopItemId, is_valid_id,
};
pub use model::{
    Achievement, COUNTERS, Category, Component, ComponentKind, Condition, Cost, Currency, Decision, Discount,
    Experience, FollowUp, Fragment, Goal, Item, Level, Lore, LorePiece, MAX_LEVEL, Mission, MissionKind, Permission,
    Permissions, PlanKind, Price, Rarity, ReactionRewards, ReactionTarget, Recipe, Requirement, Reward, Role,
    SUBSCRIPTION_PERIOD_SECS, SecretCode, ShopItem, Text, VipPlan, VipSettings, Window,
};
pub use problem::{ContentProblem, Entity, ProblemKind};
pub use requirement::{Evaluation, Hint, Lack, Missing, evaluate};
pub use validate::validate;

use crate::archetype::{ArchetypeWeights, Style};
use crate::error::RuleError;
use crate::flags::{Flag, Flags, Subject};
use crate::ids::ItemId;
use crate::leaderboard::{Board, Metric};
use crate::state::UserState;
use read::SourceMap;
use requirement::Sources;

/// A complete, valid content set. Immutable: reloading builds a new one.
#[derive(Debug, Clone)]
pub struct Content {
    levels: BTreeMap<u8, Level>,
    start: FragmentId,
    fragments: BTreeMap<FragmentId, Fragment>,
    fragment_order: Vec<FragmentId>,
    items: BTreeMap<ItemId, Item>,
    achievements: BTreeMap<AchievementId, Achievement>,
    missions: BTreeMap<MissionId, Mission>,
    shop: BTreeMap<ShopItemId, ShopItem>,
    categories: BTreeMap<CategoryId, Category>,
    experiences: BTreeMap<ExperienceId, Experience>,
    reactions: ReactionRewards,
    roles: BTreeMap<RoleId, Role>,
    vip: VipSettings,
    lore: Lore,
    // Community games.
    trivia: community::Trivia,
    events: Vec<community::TimedEvent>,
    referrals: Option<community::Referrals>,
    // Leaderboards, in file order.
    boards: Vec<Board>,
    // Personalisation.
    archetypes: ArchetypeWeights,
    /// The flags in force: `flags_read` with any operator's overrides.
    flags: Flags,
    // flags: the flags as `flags.toml` defines them, and their descriptions.
    flags_read: Flags,
    flag_descriptions: BTreeMap<String, Text>,
    // offers: `offers.toml`, in file order.
    offers: Vec<offers::Offer>,
    /// Where each value was read; kept for problems found after reading.
    source: SourceMap,
    /// Where each flag, item, achievement… can be obtained, for hints.
    sources: Sources,
}

impl Content {
    /// Reads and validates a content set given as `(path, text)` pairs;
    /// paths are relative to the content folder (`story/level-1.toml`,
    /// `items.toml`…) and only their names matter. Returns every problem
    /// found, sorted by file and line, or the content if there is none.
    ///
    /// When a file is not valid TOML or lacks a required key, only the
    /// problems found while reading are returned: cross-file checks on an
    /// incomplete model would mostly report echoes of the same mistake.
    pub fn parse<P: AsRef<str>, T: AsRef<str>>(files: &[(P, T)]) -> Result<Content, Vec<ContentProblem>> {
        let draft = read::read(files);
        let mut problems = draft.problems;
        let (false, Some(start)) = (draft.damaged, draft.start) else {
            return Err(sorted(problems));
        };
        let mut content = Content {
            levels: draft.levels,
            start,
            fragments: draft.fragments,
            fragment_order: draft.fragment_order,
            items: draft.items,
            achievements: draft.achievements,
            missions: draft.missions,
            shop: draft.shop,
            categories: draft.categories,
            experiences: draft.experiences,
            reactions: draft.reactions,
            roles: draft.roles,
            vip: draft.vip,
            lore: draft.lore,
            trivia: draft.trivia,
            events: draft.events,
            referrals: draft.referrals,
            boards: draft.boards,
            archetypes: draft.archetypes,
            flags_read: draft.flags.clone(),
            flags: draft.flags,
            flag_descriptions: draft.flag_descriptions,
            offers: draft.offers,
            source: draft.source,
            sources: Sources::default(),
        };
        problems.extend(validate(&content));
        if !problems.is_empty() {
            return Err(sorted(problems));
        }
        content.sources = Sources::build(&content);
        Ok(content)
    }

    /// Where every new player begins: the `start` of level 1 (always a
    /// fragment of this content).
    pub fn start(&self) -> &FragmentId {
        &self.start
    }

    pub fn fragment(&self, id: &str) -> Option<&Fragment> {
        self.fragments.get(id)
    }

    /// Fragments in file order (files by path).
    pub fn fragments(&self) -> impl Iterator<Item = &Fragment> {
        self.fragment_order.iter().filter_map(|id| self.fragments.get(id))
    }

    pub fn decision(&self, fragment: &str, decision: &str) -> Option<&Decision> {
        self.fragment(fragment)?.decisions.iter().find(|d| d.id.as_str() == decision)
    }

    pub fn level(&self, number: u8) -> Option<&Level> {
        self.levels.get(&number)
    }

    pub fn levels(&self) -> impl Iterator<Item = &Level> {
        self.levels.values()
    }

    /// Whether the fragment's story level is for VIP members only.
    pub fn is_vip_fragment(&self, fragment: &Fragment) -> bool {
        self.level(fragment.level).is_some_and(|level| level.vip)
    }

    /// The player level for an amount of experience points: the highest
    /// level whose threshold it reaches (at least 1).
    pub fn level_for_xp(&self, experience_points: u64) -> u8 {
        self.levels
            .values()
            .filter(|level| level.experience_points <= experience_points)
            .map(|l| l.number)
            .max()
            .unwrap_or(1)
    }

    /// The one definition of VIP the requirements, the story and the
    /// channel use: a membership (bought, or a trial) running at `now`,
    /// through its grace period — a member in grace still reads VIP
    /// fragments, stays in the channel and is paid VIP rates; removal
    /// comes when the grace ends ([`crate::membership::Vip::is_vip`]).
    pub fn is_vip(&self, state: &UserState, now: i64) -> bool {
        state.progress.vip.as_ref().is_some_and(|vip| vip.is_vip(now))
    }

    /// The one definition of a completed experience: at least one run of it
    /// completed (`Progress::experiences`).
    pub fn experience_completed(&self, state: &UserState, id: &ExperienceId) -> bool {
        state.progress.experiences.as_deref().is_some_and(|journeys| journeys.is_completed(id.as_str()))
    }

    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items.get(id)
    }

    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.items.values()
    }

    pub fn achievement(&self, id: &str) -> Option<&Achievement> {
        self.achievements.get(id)
    }

    pub fn achievements(&self) -> impl Iterator<Item = &Achievement> {
        self.achievements.values()
    }

    pub fn mission(&self, id: &str) -> Option<&Mission> {
        self.missions.get(id)
    }

    pub fn missions(&self) -> impl Iterator<Item = &Mission> {
        self.missions.values()
    }

    pub fn shop_item(&self, id: &str) -> Option<&ShopItem> {
        self.shop.get(id)
    }

    pub fn shop_items(&self) -> impl Iterator<Item = &ShopItem> {
        self.shop.values()
    }

    /// Shelves of the shop, in id order.
    pub fn categories(&self) -> impl Iterator<Item = &Category> {
        self.categories.values()
    }

    pub fn category(&self, id: &str) -> Option<&Category> {
        self.categories.get(id)
    }

    pub fn experience(&self, id: &str) -> Option<&Experience> {
        self.experiences.get(id)
    }

    pub fn experiences(&self) -> impl Iterator<Item = &Experience> {
        self.experiences.values()
    }

    pub fn reactions(&self) -> &ReactionRewards {
        &self.reactions
    }

    /// An operator role of `roles.toml`.
    pub fn role(&self, id: &str) -> Option<&Role> {
        self.roles.get(id)
    }

    /// The operator roles, in id order.
    pub fn roles(&self) -> impl Iterator<Item = &Role> {
        self.roles.values()
    }

    /// The VIP plans on sale and the membership's lifecycle (`vip.toml`).
    pub fn vip(&self) -> &VipSettings {
        &self.vip
    }

    /// Lore pieces, recipes and secret codes (`lore.toml`).
    pub fn lore(&self) -> &Lore {
        &self.lore
    }

    // ----- community games ---------------------------------------------

    /// Trivia sets and the daily quota (`trivia.toml`).
    pub fn trivia(&self) -> &community::Trivia {
        &self.trivia
    }

    /// Timed events, by start (`events.toml`).
    pub fn events(&self) -> &[community::TimedEvent] {
        &self.events
    }

    /// How each signal weighs towards each archetype (`archetypes.toml`).
    pub fn archetypes(&self) -> &ArchetypeWeights {
        &self.archetypes
    }

    /// The player's style under these weights; `None` for a player who has
    /// done too little to tell.
    pub fn style(&self, state: &UserState) -> Option<Style> {
        crate::archetype::style(state, &self.archetypes)
    }

    /// The feature flags (`flags.toml`).
    pub fn flags(&self) -> &Flags {
        &self.flags
    }

    /// Flag `name` as `flags.toml` defines it, whatever an operator set.
    pub fn flag_as_read(&self, name: &str) -> Option<&Flag> {
        self.flags_read.get(name)
    }

    /// What flag `name` is for, in both languages, if `flags.toml` says.
    pub fn flag_description(&self, name: &str) -> Option<&Text> {
        self.flag_descriptions.get(name)
    }

    /// This content with flag `name`'s rollout set to `rollout` (in
    /// hundredths of a percent), or back to the one `flags.toml` gives
    /// (`None`). Refused for a flag the content does not define, or a
    /// rollout over 100 %. The rest is a copy: a flag changes live by
    /// replacing the whole content, like a reload.
    pub fn with_flag_rollout(&self, name: &str, rollout: Option<u32>) -> Result<Content, RuleError> {
        let read = self.flags_read.get(name).ok_or_else(|| RuleError::UnknownFlag(name.to_owned()))?;
        let rollout = rollout.unwrap_or(read.rollout);
        if rollout > crate::flags::BUCKETS {
            return Err(RuleError::Malformed(crate::error::Malformed::Usage(crate::error::Usage::Flag)));
        }
        let mut content = self.clone();
        if let Some(flag) = content.flags.0.get_mut(name) {
            flag.rollout = rollout;
        }
        Ok(content)
    }

    /// This content with every override's rollout in place of the one
    /// `flags.toml` gives, and the names of the overrides it ignored: a
    /// flag this content does not define (an override stays stored, and
    /// counts again if the flag comes back).
    pub fn with_overrides<'a>(&self, overrides: impl IntoIterator<Item = (&'a str, u32)>) -> (Content, Vec<String>) {
        let mut content = self.clone();
        let mut ignored = Vec::new();
        for (name, rollout) in overrides {
            match content.flags.0.get_mut(name) {
                Some(flag) if rollout <= crate::flags::BUCKETS => flag.rollout = rollout,
                _ => ignored.push(name.to_owned()),
            }
        }
        (content, ignored)
    }

    /// The player as flags see them at `now`.
    pub fn subject(&self, state: &UserState, now: i64) -> Subject {
        Subject {
            user: state.id,
            archetype: self.style(state).map(|style| style.archetype),
            vip: self.is_vip(state, now),
            language: state.profile.as_ref().map(|profile| profile.language).unwrap_or_default(),
        }
    }

    /// The variant of flag `name` the player gets at `now`, `None` where it
    /// is off.
    pub fn flag(&self, name: &str, state: &UserState, now: i64) -> Option<&str> {
        self.flags.evaluate(name, &self.subject(state, now))
    }

    /// What the events running at `now` change.
    pub fn boosts(&self, now: i64) -> community::Boosts {
        community::Boosts::at(&self.events, now)
    }

    /// What a point on `metric` counts at `now`: the product of the
    /// multipliers of the leaderboard sprints running on boards of that
    /// metric (1 with none).
    pub fn score_multiplier(&self, metric: Metric, now: i64) -> i64 {
        let sprinting = |board: &str| self.board(board).is_some_and(|board| board.metric == metric);
        self.events.iter().filter(|event| event.is_active(now)).fold(1, |product, event| match &event.effect {
            community::EventEffect::LeaderboardSprint { board, multiplier } if sprinting(board) => {
                product.saturating_mul(i64::from(*multiplier))
            }
            _ => product,
        })
    }

    /// The referral programme (`referrals.toml`); `None`: referrals pay nothing.
    pub fn referrals(&self) -> Option<&community::Referrals> {
        self.referrals.as_ref()
    }

    /// The leaderboards of `leaderboards.toml`, in file order.
    pub fn boards(&self) -> impl Iterator<Item = &Board> {
        self.boards.iter()
    }

    pub fn board(&self, id: &str) -> Option<&Board> {
        self.boards.iter().find(|board| board.id == id)
    }

    /// Evaluates what `decision` of `fragment` requires (including what it
    /// costs) for this user; `None` if there is no such decision.
    pub fn evaluate_decision(&self, fragment: &str, decision: &str, state: &UserState, now: i64) -> Option<Evaluation> {
        let decision = self.decision(fragment, decision)?;
        Some(evaluate(&decision.requirement(), state, self, now))
    }
}

// offers
impl Content {
    /// The offers of `offers.toml`, in file order.
    pub fn offers(&self) -> &[offers::Offer] {
        &self.offers
    }

    pub fn offer(&self, id: &str) -> Option<&offers::Offer> {
        self.offers.iter().find(|offer| offer.id == id)
    }

    /// A copy of this content with `flags` instead of its own (tests, and
    /// a live flag change); the flags are checked against nothing else.
    pub fn with_flags(&self, flags: Flags) -> Content {
        Content { flags, ..self.clone() }
    }
}

fn sorted(mut problems: Vec<ContentProblem>) -> Vec<ContentProblem> {
    problems.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    problems
}
