//! Checks across files: references, the story graph, experiences and
//! whether every requirement can be met.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::Content;
use super::community::EventEffect;
use super::ids::{AchievementId, ComponentId, ExperienceId, FlagName, FragmentId, LoreId};
use super::model::{COUNTERS, ComponentKind, Experience, Reward};
use super::problem::{ContentProblem, Entity, ProblemKind};
use super::read::Need;
use super::template::{self, Segment};
use crate::ids::ItemId;

/// Every problem of `content` that reading alone cannot see. Returns all of
/// them, in a stable order (by kind of check, then file order).
pub fn validate(content: &Content) -> Vec<ContentProblem> {
    let mut problems = Vec::new();
    references(content, &mut problems);
    let start_ok = starts(content, &mut problems);
    story(content, start_ok, &mut problems);
    for experience in content.experiences.values() {
        components(content, experience, &mut problems);
    }
    nested_experiences(content, &mut problems);
    obtainable(content, &mut problems);
    lore(content, &mut problems);
    text_variables(content, &mut problems);
    sprints(content, &mut problems);
    // offers
    offers(content, &mut problems);
    problems
}

// offers: cross-file checks of `offers.toml`.
/// An offer's VIP plan is on sale in `vip.toml`; an experiment prices only
/// variants its flag has. An experiment whose flag `flags.toml` does not
/// define is allowed: that flag is off for everyone (as any flag the
/// content lacks), so every player pays the base price.
fn offers(content: &Content, problems: &mut Vec<ContentProblem>) {
    use super::offers::Deal;
    for offer in &content.offers {
        if let Deal::VipPlan { plan, .. } = &offer.deal
            && content.vip.plan(*plan).is_none()
        {
            let message = format!("the `{}` plan is not on sale in vip.toml", plan.key());
            let path = format!("offer.{}.vip_plan", offer.id);
            problems.push(content.source.problem(ProblemKind::InvalidValue, &path, message));
        }
        // offers-bundle: a bundle is one purchase, and the stock keepers
        // hold one unit per purchase: no limited item in a bundle.
        if let Deal::Bundle { items, .. } = &offer.deal {
            for (index, item) in items.iter().enumerate() {
                if content.shop.get(item).is_some_and(|item| item.stock.is_some()) {
                    let message = format!("`{item}` has a limited stock; a bundle sells only unlimited items");
                    let path = format!("offer.{}.items[{index}]", offer.id);
                    let site = content.source.refs.iter().find(|(_, _, site)| site.path == path);
                    problems.push(match site {
                        Some((_, _, site)) => content.source.problem_at(ProblemKind::InvalidValue, site, message),
                        None => content.source.problem(ProblemKind::InvalidValue, &path, message),
                    });
                }
            }
        }
        let Some(experiment) = &offer.experiment else { continue };
        let Some(flag) = content.flags.get(&experiment.flag) else { continue };
        for variant in experiment.prices.keys() {
            if !flag.variants.iter().any(|known| &known.name == variant) {
                let message = format!("flag `{}` has no variant `{variant}`", experiment.flag);
                let path = format!("offer.{}.prices.{variant}", offer.id);
                problems.push(content.source.problem(ProblemKind::InvalidValue, &path, message));
            }
        }
    }
}

/// A leaderboard sprint names a board of `leaderboards.toml`.
fn sprints(content: &Content, problems: &mut Vec<ContentProblem>) {
    for event in &content.events {
        if let EventEffect::LeaderboardSprint { board, .. } = &event.effect
            && content.board(board).is_none()
        {
            let message = format!("unknown leaderboard `{board}`; a sprint names a board of leaderboards.toml");
            let path = format!("event.{}.board", event.id);
            problems.push(content.source.problem(ProblemKind::InvalidValue, &path, message));
        }
    }
}

fn references(content: &Content, problems: &mut Vec<ContentProblem>) {
    for (entity, id, site) in &content.source.refs {
        let exists = match entity {
            Entity::Fragment => content.fragments.contains_key(id.as_str()),
            Entity::Decision => match id.split_once('/') {
                Some((fragment, decision)) => content
                    .fragments
                    .get(fragment)
                    .is_some_and(|fragment| fragment.decisions.iter().any(|d| d.id.as_str() == decision)),
                None => false,
            },
            Entity::Item => content.items.contains_key(id.as_str()),
            Entity::Achievement => content.achievements.contains_key(id.as_str()),
            Entity::Mission => content.missions.contains_key(id.as_str()),
            Entity::ShopItem => content.shop.contains_key(id.as_str()),
            Entity::Category => content.categories.contains_key(id.as_str()),
            Entity::Experience => content.experiences.contains_key(id.as_str()),
            Entity::Component => true,
            Entity::LorePiece => content.lore.pieces.contains_key(id.as_str()),
        };
        if !exists {
            let mut message = format!("unknown {entity} `{id}`");
            if *entity == Entity::Decision {
                message.push_str("; write `fragment_id/decision_id` of an existing decision");
            }
            problems.push(content.source.problem_at(ProblemKind::UnknownReference(*entity), site, message));
        }
    }
}

/// Checks each story file's `start`; true when the level-1 start exists.
fn starts(content: &Content, problems: &mut Vec<ContentProblem>) -> bool {
    let mut start_ok = false;
    for (level, id, site) in &content.source.starts {
        match content.fragments.get(id) {
            None => {
                let message = format!("unknown fragment `{id}`");
                problems.push(content.source.problem_at(
                    ProblemKind::UnknownReference(Entity::Fragment),
                    site,
                    message,
                ));
            }
            Some(fragment) if fragment.level != *level => {
                let message = format!("start `{id}` belongs to level {}, not to level {level}", fragment.level);
                problems.push(content.source.problem_at(ProblemKind::InvalidValue, site, message));
            }
            Some(_) => start_ok |= *level == 1,
        }
    }
    start_ok
}

fn story(content: &Content, start_ok: bool, problems: &mut Vec<ContentProblem>) {
    let source = &content.source;
    let is_vip = |level: u8| content.levels.get(&level).is_some_and(|l| l.vip);
    // Edges whose target exists, by fragment.
    let mut edges: BTreeMap<&FragmentId, Vec<&FragmentId>> = BTreeMap::new();
    for id in &content.fragment_order {
        let Some(fragment) = content.fragments.get(id) else { continue };
        let out = edges.entry(id).or_default();
        if fragment.decisions.is_empty() && !fragment.ending {
            let message = "no decisions and not an ending: the player is stuck here; add a decision or \
                           `ending = true`"
                .to_owned();
            problems.push(source.problem(ProblemKind::DeadEnd, &format!("fragment.{id}"), message));
        }
        for decision in &fragment.decisions {
            let path = format!("fragment.{id}.decision.{}.to", decision.id);
            let Some(target) = content.fragments.get(&decision.to) else {
                let message = format!("unknown fragment `{}`", decision.to);
                problems.push(source.problem(ProblemKind::UnknownReference(Entity::Fragment), &path, message));
                continue;
            };
            out.push(&target.id);
            let requirement = decision.requirement();
            if target.secret && requirement.is_empty() {
                let message = format!(
                    "leads to the secret fragment `{}` without requirements; a secret must be earned \
                     (add `requires` or `costs`)",
                    target.id
                );
                problems.push(source.problem(ProblemKind::UngatedSecret, &path, message));
            }
            if !is_vip(fragment.level) && is_vip(target.level) && !requirement.implies_vip() {
                let message = format!(
                    "leads from free level {} into VIP level {} without requiring VIP; add `vip = true` to \
                     `requires`",
                    fragment.level, target.level
                );
                problems.push(source.problem(ProblemKind::VipLeak, &path, message));
            }
        }
    }

    if start_ok {
        // A player enters the story at its start, and also at a fragment a
        // reward unlocks (`unlock_fragments`), opened through its link.
        let start = &content.start;
        // Fragments a reward unlocks, and secrets a lore recipe reveals, are
        // reached through them.
        let unlocked = all_rewards(content).into_iter().flat_map(|reward| &reward.unlock_fragments);
        let revealed = content.lore.recipes.values().filter_map(|recipe| recipe.reveals.as_ref());
        let mut reached: BTreeSet<&FragmentId> = std::iter::once(start).chain(unlocked).chain(revealed).collect();
        let mut queue: VecDeque<&FragmentId> = reached.iter().copied().collect();
        while let Some(id) = queue.pop_front() {
            for &next in edges.get(id).into_iter().flatten() {
                if reached.insert(next) {
                    queue.push_back(next);
                }
            }
        }
        for id in &content.fragment_order {
            if !reached.contains(id) {
                let secret = content.fragments.get(id).is_some_and(|f| f.secret);
                let mut message = format!(
                    "no path of decisions leads here from the start `{start}` or from a fragment a reward \
                     unlocks"
                );
                if secret {
                    message.push_str("; a secret is reached through a decision with requirements or a lore recipe");
                }
                problems.push(source.problem(ProblemKind::Unreachable, &format!("fragment.{id}"), message));
            }
        }
    }

    for component in strongly_connected(&content.fragment_order, &edges) {
        let members: BTreeSet<&FragmentId> = component.iter().copied().collect();
        let loops = component.len() > 1 || edges.get(component[0]).is_some_and(|out| out.contains(&component[0]));
        let has_ending = component.iter().any(|id| content.fragments.get(*id).is_some_and(|f| f.ending));
        let leaves = component.iter().any(|id| edges.get(id).into_iter().flatten().any(|next| !members.contains(next)));
        if loops && !has_ending && !leaves {
            let first = content.fragment_order.iter().find(|id| members.contains(id)).unwrap_or(component[0]);
            let names: Vec<String> =
                content.fragment_order.iter().filter(|id| members.contains(id)).map(|id| format!("`{id}`")).collect();
            let message = format!(
                "{} form a loop with no way out and no ending: a player who enters is trapped",
                names.join(", ")
            );
            problems.push(source.problem(ProblemKind::TrapCycle, &format!("fragment.{first}"), message));
        }
    }
}

/// Tarjan's algorithm, iterative so a long story cannot overflow the stack.
/// Returns the strongly connected components, each as a list of fragments.
fn strongly_connected<'a>(
    order: &'a [FragmentId],
    edges: &BTreeMap<&'a FragmentId, Vec<&'a FragmentId>>,
) -> Vec<Vec<&'a FragmentId>> {
    let mut index: BTreeMap<&FragmentId, usize> = BTreeMap::new();
    let mut low: BTreeMap<&FragmentId, usize> = BTreeMap::new();
    let mut on_stack: BTreeSet<&FragmentId> = BTreeSet::new();
    let mut stack: Vec<&FragmentId> = Vec::new();
    let mut components = Vec::new();
    let mut counter = 0;
    for root in order {
        if index.contains_key(root) {
            continue;
        }
        // Each frame: a node and how many of its edges were explored.
        let mut frames: Vec<(&FragmentId, usize)> = vec![(root, 0)];
        index.insert(root, counter);
        low.insert(root, counter);
        counter += 1;
        stack.push(root);
        on_stack.insert(root);
        while let Some(&mut (node, ref mut next_edge)) = frames.last_mut() {
            let out = edges.get(node).map(Vec::as_slice).unwrap_or_default();
            if let Some(&next) = out.get(*next_edge) {
                *next_edge += 1;
                if !index.contains_key(next) {
                    index.insert(next, counter);
                    low.insert(next, counter);
                    counter += 1;
                    stack.push(next);
                    on_stack.insert(next);
                    frames.push((next, 0));
                } else if on_stack.contains(next) {
                    let candidate = index[next];
                    let entry = low.entry(node).or_default();
                    *entry = (*entry).min(candidate);
                }
                continue;
            }
            frames.pop();
            if let Some(&(parent, _)) = frames.last() {
                let candidate = low[node];
                let entry = low.entry(parent).or_default();
                *entry = (*entry).min(candidate);
            }
            if low[node] == index[node] {
                let mut component = Vec::new();
                while let Some(member) = stack.pop() {
                    on_stack.remove(member);
                    component.push(member);
                    if member == node {
                        break;
                    }
                }
                components.push(component);
            }
        }
    }
    components
}

/// Component dependencies must name components of the same experience and
/// form a DAG, or the experience could never be completed.
fn components(content: &Content, experience: &Experience, problems: &mut Vec<ContentProblem>) {
    let ids: BTreeSet<&ComponentId> = experience.components.iter().map(|c| &c.id).collect();
    let base = format!("experience.{}.component", experience.id);
    for component in &experience.components {
        for after in &component.after {
            if !ids.contains(after) {
                let path = format!("{base}.{}.after", component.id);
                let message = format!("unknown component `{after}` in experience `{}`", experience.id);
                problems.push(content.source.problem(ProblemKind::UnknownReference(Entity::Component), &path, message));
            }
        }
    }
    // Kahn's algorithm: whatever cannot be ordered is on or behind a cycle.
    let mut pending: BTreeMap<&ComponentId, usize> = experience
        .components
        .iter()
        .map(|c| (&c.id, c.after.iter().filter(|after| ids.contains(after)).count()))
        .collect();
    let mut ready: Vec<&ComponentId> = pending.iter().filter(|(_, n)| **n == 0).map(|(id, _)| *id).collect();
    while let Some(done) = ready.pop() {
        pending.remove(done);
        for component in &experience.components {
            if component.after.contains(done)
                && let Some(count) = pending.get_mut(&component.id)
            {
                *count -= 1;
                if *count == 0 {
                    ready.push(&component.id);
                }
            }
        }
    }
    if let Some(first) = experience.components.iter().find(|c| pending.contains_key(&c.id)) {
        let names: Vec<String> = experience
            .components
            .iter()
            .filter(|c| pending.contains_key(&c.id))
            .map(|c| format!("`{}`", c.id))
            .collect();
        let message = format!("components {} depend on each other in a cycle", names.join(", "));
        let path = format!("{base}.{}.after", first.id);
        problems.push(content.source.problem(ProblemKind::ExperienceCycle, &path, message));
    }
}

/// An experience component that asks for another experience must not lead
/// back to its own: such experiences wait on each other forever. A cycle
/// is reported once, at its first experience in id order.
fn nested_experiences(content: &Content, problems: &mut Vec<ContentProblem>) {
    let reach = |from| -> BTreeSet<&ExperienceId> {
        let mut seen: BTreeSet<&ExperienceId> = BTreeSet::new();
        let mut queue: VecDeque<&ExperienceId> = needs(from).into_iter().collect();
        while let Some(id) = queue.pop_front() {
            if seen.insert(id)
                && let Some(next) = content.experiences.get(id.as_str())
            {
                queue.extend(needs(next));
            }
        }
        seen
    };
    let reached: BTreeMap<&ExperienceId, BTreeSet<&ExperienceId>> =
        content.experiences.values().map(|experience: &Experience| (&experience.id, reach(experience))).collect();
    for experience in content.experiences.values() {
        if !reached[&experience.id].contains(&experience.id) {
            continue;
        }
        let cycle: Vec<&ExperienceId> = reached[&experience.id]
            .iter()
            .copied()
            .filter(|other| reached.get(other).is_some_and(|back| back.contains(&experience.id)))
            .collect();
        if cycle.first() != Some(&&experience.id) {
            continue;
        }
        let component = experience
            .components
            .iter()
            .find(|c| matches!(&c.kind, ComponentKind::Experience(id) if cycle.contains(&id)))
            .map_or_else(String::new, |c| format!(".{}", c.id));
        let path = format!("experience.{}.component{component}.ref", experience.id);
        let names: Vec<String> = cycle.iter().map(|id| format!("`{id}`")).collect();
        let message = format!("experiences {} each need the other to be completed first", names.join(", "));
        problems.push(content.source.problem(ProblemKind::ExperienceCycle, &path, message));
    }
}

/// The experiences `experience`'s components ask to be completed.
fn needs(experience: &Experience) -> Vec<&ExperienceId> {
    experience
        .components
        .iter()
        .filter_map(|c| match &c.kind {
            ComponentKind::Experience(id) => Some(id),
            _ => None,
        })
        .collect()
}

/// Every reward the content can hand out, wherever it is written.
pub(super) fn all_rewards(content: &Content) -> Vec<&Reward> {
    let mut rewards: Vec<&Reward> = Vec::new();
    for fragment in content.fragments.values() {
        rewards.extend(fragment.decisions.iter().map(|d| &d.rewards));
    }
    rewards.extend(content.missions.values().map(|m| &m.rewards));
    rewards.extend(content.achievements.values().map(|a| &a.rewards));
    rewards.extend(content.shop.values().map(|s| &s.rewards));
    rewards.extend(content.lore.recipes.values().map(|r| &r.rewards));
    rewards.extend(content.lore.codes.values().map(|c| &c.rewards));
    for experience in content.experiences.values() {
        rewards.push(&experience.rewards);
        rewards.extend(experience.components.iter().map(|c| &c.rewards));
    }
    rewards
}

/// A requirement nobody can meet traps players as surely as a missing
/// fragment: each flag, item and achievement asked for must be given
/// somewhere.
fn obtainable(content: &Content, problems: &mut Vec<ContentProblem>) {
    let flags: BTreeSet<&FlagName> =
        content.fragments.values().flat_map(|f| &f.decisions).flat_map(|d| &d.sets_flags).collect();
    let rewards = all_rewards(content);
    let items: BTreeSet<&ItemId> = rewards.iter().flat_map(|r| r.items.keys()).collect();
    let mut achievements: BTreeSet<&AchievementId> = rewards.iter().flat_map(|r| &r.achievements).collect();
    achievements.extend(content.achievements.values().filter(|a| a.goal.is_some()).map(|a| &a.id));
    for (need, site) in &content.source.needs {
        let message = match need {
            Need::Flag(flag) if !flags.contains(flag) => {
                format!("flag `{flag}` is never set: no decision has it in `sets_flags`")
            }
            Need::Item(item) if content.items.contains_key(item) && !items.contains(item) => format!(
                "item `{item}` is given by nothing: no decision, mission, achievement, shop item or \
                 experience rewards it"
            ),
            Need::Achievement(id) if content.achievements.contains_key(id) && !achievements.contains(id) => {
                format!("achievement `{id}` cannot be earned: it has no `goal` and no reward grants it")
            }
            _ => continue,
        };
        problems.push(content.source.problem_at(ProblemKind::Unobtainable, site, message));
    }
}

/// A recipe reveals only a secret fragment, and every piece it combines
/// must be found somewhere (a fragment, a decision or a reward), or the
/// secret could never be revealed.
fn lore(content: &Content, problems: &mut Vec<ContentProblem>) {
    let mut found: BTreeSet<&LoreId> = BTreeSet::new();
    for fragment in content.fragments.values() {
        found.extend(&fragment.lore);
        found.extend(fragment.decisions.iter().flat_map(|decision| &decision.lore));
    }
    found.extend(all_rewards(content).into_iter().flat_map(|reward| &reward.lore));
    for recipe in content.lore.recipes.values() {
        let path = format!("recipe.{}", recipe.id);
        if let Some(fragment) = recipe.reveals.as_ref().and_then(|id| content.fragments.get(id))
            && !fragment.secret
        {
            let message = format!("reveals `{}`, which is not a `secret = true` fragment", fragment.id);
            problems.push(content.source.problem(ProblemKind::InvalidValue, &format!("{path}.reveals"), message));
        }
        for piece in &recipe.pieces {
            if content.lore.pieces.contains_key(piece) && !found.contains(piece) {
                let message =
                    format!("lore piece `{piece}` is found nowhere: no fragment, decision or reward has it in `lore`");
                problems.push(content.source.problem(ProblemKind::Unobtainable, &format!("{path}.pieces"), message));
            }
        }
    }
}

/// Every variable of a fragment text names something the server can fill
/// in: the player's name, a counter the game keeps, a flag some decision
/// sets.
fn text_variables(content: &Content, problems: &mut Vec<ContentProblem>) {
    let flags: BTreeSet<&str> = content
        .fragments
        .values()
        .flat_map(|f| &f.decisions)
        .flat_map(|d| &d.sets_flags)
        .map(FlagName::as_str)
        .collect();
    for id in &content.fragment_order {
        let Some(fragment) = content.fragments.get(id) else { continue };
        for (language, text) in [("es", &fragment.text.es), ("en", &fragment.text.en)] {
            let path = format!("fragment.{id}.text.{language}");
            let message = match template::parse(text) {
                Err(error) => error.to_string(),
                Ok(segments) => {
                    let unknown = segments.iter().find_map(|segment| match segment {
                        Segment::Counter(counter) if !COUNTERS.contains(counter) => Some(format!(
                            "unknown counter `{counter}` in `{{{{count:…}}}}`; expected one of: {}",
                            COUNTERS.join(", ")
                        )),
                        Segment::IfFlag { flag, .. } if !flags.contains(flag) => Some(format!(
                            "flag `{flag}` in `{{{{if:…}}}}` is never set: no decision has it in `sets_flags`"
                        )),
                        _ => None,
                    });
                    let Some(message) = unknown else { continue };
                    message
                }
            };
            problems.push(content.source.problem(ProblemKind::UnknownVariable, &path, message));
        }
    }
}
