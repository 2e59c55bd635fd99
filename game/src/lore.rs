//! Lore: combining pieces of the backpack to reveal a recipe's secret, and
//! redeeming secret codes.
//!
//! Pieces are found elsewhere (entering a fragment, taking a decision, a
//! reward: `backpack::find`, inside that decision). Here: the exact set of
//! a recipe reveals it once — its fragment unlocked and its reward granted
//! in the same decision; a wrong set is refused with a hint from the
//! nearest recipe. A code pays once per player; unknown codes count
//! towards a daily limit, so codes cannot be guessed by brute force.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::backpack::{CombinationHint, holds};
use crate::content::{Lore, Recipe, Reward};
use crate::ctx::{Ctx, Journal};
use crate::error::{Malformed, RuleError, Usage};
use crate::event::{Event, Unlock};
use crate::ledger::Reason;
use crate::state::UserState;
use crate::story::{Holdings, grant};
use crate::time::day_of;

/// Unknown codes a player may type per UTC day.
pub const CODE_TRIES_PER_DAY: u32 = 5;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LoreCommand {
    /// Combine these pieces of the backpack (ids, any order).
    Combine { pieces: Vec<String> },
    /// `/codigo <code>`: redeem a secret code (any case).
    EnterCode { code: String },
}

impl LoreCommand {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            LoreCommand::Combine { .. } => "combine_lore",
            LoreCommand::EnterCode { .. } => "enter_code",
        }
    }
}

pub(crate) fn decide(
    state: &UserState,
    command: &LoreCommand,
    ctx: Ctx<'_>,
    mut journal: Journal<'_>,
) -> Result<Vec<Event>, RuleError> {
    match command {
        LoreCommand::Combine { pieces } => combine(state, pieces, ctx, &mut journal),
        LoreCommand::EnterCode { code } => enter_code(state, code, ctx, &mut journal),
    }
}

fn combine(
    state: &UserState,
    pieces: &[String],
    ctx: Ctx<'_>,
    journal: &mut Journal<'_>,
) -> Result<Vec<Event>, RuleError> {
    let lore = ctx.content.lore();
    let selected: BTreeSet<&str> = pieces.iter().map(String::as_str).collect();
    for &piece in &selected {
        if !lore.pieces.contains_key(piece) {
            return Err(RuleError::Malformed(Malformed::UnknownLorePiece(piece.to_owned())));
        }
        if !holds(state, piece) {
            return Err(RuleError::PieceNotHeld { piece: piece.to_owned() });
        }
    }
    if selected.len() < 2 {
        return Err(RuleError::TooFewPieces);
    }
    let revealed = |recipe: &Recipe| {
        state.progress.backpack.as_deref().is_some_and(|backpack| backpack.revealed.contains(recipe.id.as_str()))
    };
    let exact = lore
        .recipes
        .values()
        .find(|recipe| recipe.pieces.len() == selected.len() && selected.iter().all(|p| recipe.pieces.contains(*p)));
    let Some(recipe) = exact else {
        return Err(RuleError::WrongCombination { hint: nearest(lore, &selected, revealed) });
    };
    if revealed(recipe) {
        return Err(RuleError::AlreadyRevealed { recipe: recipe.id.as_str().to_owned() });
    }
    let mut events = vec![Event::SecretRevealed { recipe: recipe.id.as_str().to_owned() }];
    if let Some(fragment) = &recipe.reveals
        && !state.progress.story.unlocked.contains(fragment.as_str())
    {
        events.push(Event::Unlocked(Unlock::Fragment(fragment.as_str().to_owned())));
    }
    events.extend(reward(state, &recipe.rewards, ctx, journal)?);
    Ok(events)
}

/// The recipe not yet revealed that shares the most pieces with the
/// selection (then the fewest missing and extra pieces; then by id), if
/// any shares one.
fn nearest(lore: &Lore, selected: &BTreeSet<&str>, revealed: impl Fn(&Recipe) -> bool) -> Option<CombinationHint> {
    lore.recipes
        .values()
        .filter(|recipe| !revealed(recipe))
        .filter_map(|recipe| {
            let shared = recipe.pieces.iter().filter(|piece| selected.contains(piece.as_str())).count();
            let missing = recipe.pieces.len() - shared;
            let extra: Vec<String> = selected
                .iter()
                .filter(|piece| !recipe.pieces.contains(**piece))
                .map(|piece| (*piece).to_owned())
                .collect();
            (shared > 0).then_some((shared, missing + extra.len(), recipe, missing, extra))
        })
        .min_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)))
        .map(|(_, _, recipe, missing, extra)| CombinationHint {
            recipe: recipe.id.as_str().to_owned(),
            missing: u32::try_from(missing).unwrap_or(u32::MAX),
            extra,
        })
}

fn enter_code(
    state: &UserState,
    typed: &str,
    ctx: Ctx<'_>,
    journal: &mut Journal<'_>,
) -> Result<Vec<Event>, RuleError> {
    if typed.trim().is_empty() {
        return Err(RuleError::Malformed(Malformed::Usage(Usage::Code)));
    }
    let day = day_of(ctx.now);
    let backpack = state.progress.backpack.as_deref();
    let misses = backpack.map_or(0, |backpack| backpack.misses_on(day));
    // Checked before the code itself: past the limit, a right guess is
    // not told apart from a wrong one.
    if misses >= CODE_TRIES_PER_DAY {
        return Err(RuleError::TooManyCodeTries { max: CODE_TRIES_PER_DAY });
    }
    let miss = || Ok(vec![Event::CodeMissed { day, count: misses + 1 }]);
    let Some(code) = ctx.content.lore().code(typed) else { return miss() };
    if code.available.until.is_some_and(|until| ctx.now >= until) {
        return Err(RuleError::CodeExpired);
    }
    // A code not valid yet is not told apart from an unknown one.
    if !code.available.contains(ctx.now) {
        return miss();
    }
    if backpack.is_some_and(|backpack| backpack.codes.contains(code.id.as_str())) {
        return Err(RuleError::CodeAlreadyUsed);
    }
    if code.vip && !ctx.content.is_vip(state, ctx.now) {
        return Err(RuleError::NotVip);
    }
    let mut events = vec![Event::CodeRedeemed { code: code.id.as_str().to_owned() }];
    events.extend(reward(state, &code.rewards, ctx, journal)?);
    Ok(events)
}

fn reward(
    state: &UserState,
    rewards: &Reward,
    ctx: Ctx<'_>,
    journal: &mut Journal<'_>,
) -> Result<Vec<Event>, RuleError> {
    let holdings = Holdings { balance: state.wallet.balance, spent_items: &Default::default() };
    grant(rewards, state, holdings, Reason::LoreReward, ctx, journal)
}
