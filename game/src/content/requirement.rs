//! Evaluating requirements against a user's state: not only *whether* a
//! player may go on, but *what is missing and how to get it*.
//!
//! The "how" comes from the content itself: an index built once per
//! [`Content`] records which decision sets each flag and which shop item,
//! mission, achievement or experience grants each item, achievement, VIP
//! trial, besitos or experience points. Hints are data (ids), so the bot
//! renders them in the player's language from the same content.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Content;
use super::ids::{AchievementId, DecisionId, ExperienceId, FlagName, FragmentId, MissionId, ShopItemId};
use super::model::{Condition, Requirement, Reward};
use crate::ids::ItemId;
use crate::state::UserState;

/// The outcome of [`evaluate`]. `allowed` is computed independently of
/// `missing`; they agree by construction and a property test holds them to
/// it: `allowed == missing.is_empty()`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    pub allowed: bool,
    pub missing: Vec<Missing>,
}

/// One unmet part of a requirement and the ways to meet it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Missing {
    pub lack: Lack,
    /// Where in the content the player can get it, most direct first. May
    /// be empty (a closed path cannot be reopened).
    pub hints: Vec<Hint>,
}

/// What the player lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lack {
    /// A story flag set by an earlier choice.
    Flag(FlagName),
    /// A flag the player has closes this path (an earlier choice excluded it).
    ForbiddenFlag(FlagName),
    Vip,
    Item {
        item: ItemId,
        have: u32,
        needed: u32,
    },
    Achievement(AchievementId),
    Experience(ExperienceId),
    Besitos {
        have: i64,
        needed: u64,
    },
    Level {
        have: u8,
        needed: u8,
        experience_points: u64,
        needed_points: u64,
    },
    /// None of the alternatives holds; each alternative lists what it lacks.
    /// Meeting any one alternative is enough.
    OneOf(Vec<Vec<Missing>>),
}

/// A way to get something, pointing into the content.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Hint {
    /// Buy this shop item.
    Shop(ShopItemId),
    /// Complete this mission.
    Mission(MissionId),
    /// Earn this achievement (its description says how).
    Achievement(AchievementId),
    /// Complete this experience.
    Experience(ExperienceId),
    /// Take this decision in the story.
    Decision { fragment: FragmentId, decision: DecisionId },
    /// React to channel posts.
    React,
    /// Subscribe to VIP.
    SubscribeVip,
}

/// What the hint index is keyed by.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Grant {
    Flag(FlagName),
    Item(ItemId),
    Achievement(AchievementId),
    Vip,
    Besitos,
    ExperiencePoints,
}

/// For each thing a requirement can ask for, where the content gives it.
#[derive(Debug, Clone, Default)]
pub(super) struct Sources {
    by_grant: BTreeMap<Grant, Vec<Hint>>,
}

impl Sources {
    /// Built in the order hints are offered: buying is the most direct, then
    /// missions, achievements, experiences, and story decisions last. For
    /// besitos, reacting to posts comes first, and the shop never counts:
    /// spending to earn besitos is no advice.
    pub(super) fn build(content: &Content) -> Sources {
        let mut sources = Sources::default();
        let reactions = &content.reactions;
        if reactions.default_besitos > 0 || reactions.besitos.values().flat_map(|t| t.values()).any(|&b| b > 0) {
            sources.add(Grant::Besitos, Hint::React);
        }
        for item in content.shop.values() {
            let rewards = Reward { besitos: 0, ..item.rewards.clone() };
            sources.reward(&rewards, Hint::Shop(item.id.clone()));
        }
        for mission in content.missions.values() {
            sources.reward(&mission.rewards, Hint::Mission(mission.id.clone()));
        }
        for achievement in content.achievements.values() {
            if achievement.goal.is_some() {
                sources.add(Grant::Achievement(achievement.id.clone()), Hint::Achievement(achievement.id.clone()));
            }
            sources.reward(&achievement.rewards, Hint::Achievement(achievement.id.clone()));
        }
        for experience in content.experiences.values() {
            let hint = Hint::Experience(experience.id.clone());
            sources.reward(&experience.rewards, hint.clone());
            for component in &experience.components {
                sources.reward(&component.rewards, hint.clone());
            }
        }
        for id in &content.fragment_order {
            let Some(fragment) = content.fragments.get(id) else { continue };
            for decision in &fragment.decisions {
                let hint = Hint::Decision { fragment: id.clone(), decision: decision.id.clone() };
                for flag in &decision.sets_flags {
                    sources.add(Grant::Flag(flag.clone()), hint.clone());
                }
                sources.reward(&decision.rewards, hint);
            }
        }
        sources.add(Grant::Vip, Hint::SubscribeVip);
        sources
    }

    fn reward(&mut self, reward: &Reward, hint: Hint) {
        if reward.besitos > 0 {
            self.add(Grant::Besitos, hint.clone());
        }
        if reward.experience_points > 0 {
            self.add(Grant::ExperiencePoints, hint.clone());
        }
        if reward.vip_trial_days > 0 {
            self.add(Grant::Vip, hint.clone());
        }
        for item in reward.items.keys() {
            self.add(Grant::Item(item.clone()), hint.clone());
        }
        for achievement in &reward.achievements {
            self.add(Grant::Achievement(achievement.clone()), hint.clone());
        }
    }

    fn add(&mut self, grant: Grant, hint: Hint) {
        let hints = self.by_grant.entry(grant).or_default();
        if !hints.contains(&hint) {
            hints.push(hint);
        }
    }

    fn hints(&self, grant: &Grant) -> Vec<Hint> {
        self.by_grant.get(grant).cloned().unwrap_or_default()
    }
}

/// Evaluates `requirement` for the user in `state` at `now` (unix seconds).
pub fn evaluate(requirement: &Requirement, state: &UserState, content: &Content, now: i64) -> Evaluation {
    let facts = Facts { state, content, now };
    Evaluation { allowed: facts.holds(requirement), missing: facts.missing(requirement) }
}

struct Facts<'a> {
    state: &'a UserState,
    content: &'a Content,
    now: i64,
}

impl Facts<'_> {
    fn holds(&self, requirement: &Requirement) -> bool {
        requirement.all.iter().all(|condition| self.condition_holds(condition))
            && (requirement.any.is_empty() || requirement.any.iter().any(|alternative| self.holds(alternative)))
    }

    fn condition_holds(&self, condition: &Condition) -> bool {
        let progress = &self.state.progress;
        match condition {
            Condition::Flag(flag) => progress.story.flags.contains(flag.as_str()),
            Condition::NotFlag(flag) => !progress.story.flags.contains(flag.as_str()),
            Condition::Vip => self.content.is_vip(self.state, self.now),
            Condition::Item { item, quantity } => self.state.item_count(item) >= *quantity,
            Condition::Achievement(id) => progress.achievements.contains(id.as_str()),
            Condition::ExperienceCompleted(id) => self.content.experience_completed(self.state, id),
            Condition::MinBesitos(needed) => i128::from(self.state.wallet.balance) >= i128::from(*needed),
            Condition::MinLevel(needed) => self.content.level_for_xp(progress.experience_points) >= *needed,
        }
    }

    fn missing(&self, requirement: &Requirement) -> Vec<Missing> {
        let mut missing: Vec<Missing> = requirement
            .all
            .iter()
            .filter(|condition| !self.condition_holds(condition))
            .map(|condition| self.lack_of(condition))
            .collect();
        if !requirement.any.is_empty() && !requirement.any.iter().any(|alternative| self.holds(alternative)) {
            let alternatives = requirement.any.iter().map(|alternative| self.missing(alternative)).collect();
            missing.push(Missing { lack: Lack::OneOf(alternatives), hints: Vec::new() });
        }
        missing
    }

    fn lack_of(&self, condition: &Condition) -> Missing {
        let sources = &self.content.sources;
        let (lack, hints) = match condition {
            Condition::Flag(flag) => (Lack::Flag(flag.clone()), sources.hints(&Grant::Flag(flag.clone()))),
            Condition::NotFlag(flag) => (Lack::ForbiddenFlag(flag.clone()), Vec::new()),
            Condition::Vip => (Lack::Vip, sources.hints(&Grant::Vip)),
            Condition::Item { item, quantity } => (
                Lack::Item { item: item.clone(), have: self.state.item_count(item), needed: *quantity },
                sources.hints(&Grant::Item(item.clone())),
            ),
            Condition::Achievement(id) => {
                (Lack::Achievement(id.clone()), sources.hints(&Grant::Achievement(id.clone())))
            }
            Condition::ExperienceCompleted(id) => (Lack::Experience(id.clone()), vec![Hint::Experience(id.clone())]),
            Condition::MinBesitos(needed) => {
                (Lack::Besitos { have: self.state.wallet.balance, needed: *needed }, sources.hints(&Grant::Besitos))
            }
            Condition::MinLevel(needed) => {
                let experience_points = self.state.progress.experience_points;
                let lack = Lack::Level {
                    have: self.content.level_for_xp(experience_points),
                    needed: *needed,
                    experience_points,
                    needed_points: self.content.level(*needed).map_or(0, |level| level.experience_points),
                };
                (lack, sources.hints(&Grant::ExperiencePoints))
            }
        };
        Missing { lack, hints }
    }
}
