//! The backpack (pieces found, their texts, secrets revealed; pieces chosen
//! with buttons and combined), a secret revealed or a combination refused
//! with its hint, and the answer to a secret code.

use dianabot_game::lore::CODE_TRIES_PER_DAY;
use dianabot_game::{Event, Language, RuleError, UserState};
use teloxide_core::types::InlineKeyboardMarkup;

use super::shop::reward_lines;
use super::{Rendered, Ui, escape, refusal, t, tw};
use crate::telegram::callback::{Action, pieces_tag, tag};
use crate::texts::catalogue::{self as m};

/// After a combination: the secret revealed, or the backpack as it was.
pub(super) fn after_combine(state: &UserState, events: &[Event], ui: Ui<'_>, selected: u64) -> Rendered {
    let revealed = events.iter().find_map(|event| match event {
        Event::SecretRevealed { recipe } => ui.content.lore().recipes.get(recipe.as_str()),
        _ => None,
    });
    let Some(recipe) = revealed else { return backpack(state, ui, selected, None) };
    let language = state.language();
    let mut text = tw(language, m::SECRET_REVEALED, &[("name", escape(recipe.name.get(language)).into())]);
    text.push_str(&reward_lines(language, ui.content, &recipe.rewards));
    let mut rows = Vec::new();
    if recipe.reveals.is_some() {
        let label = tw(language, m::BUTTON_READ_SECRET, &[("name", recipe.name.get(language).into())]);
        rows.push(vec![ui.button(state, Action::ReadSecret { recipe: tag(recipe.id.as_str()) }, &label)]);
    }
    rows.push(vec![ui.button(state, Action::Backpack { selected: 0 }, &t(language, m::BUTTON_BACKPACK))]);
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) }
}

/// A combination refused: why (with the nearest recipe's hint) above the
/// backpack, the selection kept so the player can adjust it.
pub(super) fn combine_refused(state: &UserState, ui: Ui<'_>, selected: u64, refused: &RuleError) -> Rendered {
    let language = state.language();
    let lore = ui.content.lore();
    let notice = match refused {
        RuleError::WrongCombination { hint } => {
            let mut notice = t(language, m::WRONG_COMBINATION);
            if let Some(hint) = hint
                && let Some(recipe) = lore.recipes.get(hint.recipe.as_str())
            {
                let line = tw(language, m::COMBINE_HINT, &[("hint", escape(recipe.hint.get(language)).into())]);
                notice.push_str(&format!("\n{line}"));
                if hint.missing > 0 {
                    notice.push_str(&format!(
                        "\n{}",
                        tw(language, m::COMBINE_MISSING, &[("count", hint.missing.into())])
                    ));
                }
                if !hint.extra.is_empty() {
                    let names: Vec<&str> = hint
                        .extra
                        .iter()
                        .map(|id| lore.pieces.get(id.as_str()).map_or(id.as_str(), |piece| piece.name.get(language)))
                        .collect();
                    let names = escape(&names.join(", "));
                    notice.push_str(&format!("\n{}", tw(language, m::COMBINE_EXTRA, &[("names", names.into())])));
                }
            }
            notice
        }
        other => refusal(language, other).text,
    };
    backpack(state, ui, selected, Some(notice))
}

/// The backpack: pieces found in content order, the chosen ones with
/// their text, secrets revealed; a button per piece toggles it.
pub(super) fn backpack(state: &UserState, ui: Ui<'_>, selected: u64, notice: Option<String>) -> Rendered {
    let language = state.language();
    let lore = ui.content.lore();
    let held = state.progress.backpack.as_deref();
    let holds = |id: &str| held.is_some_and(|backpack| backpack.pieces.contains(id));
    let revealed = |id: &str| held.is_some_and(|backpack| backpack.revealed.contains(id));
    // Only pieces held can be chosen, whatever the button carried.
    let mut chosen = 0u64;
    for (bit, id) in lore.piece_order.iter().enumerate().take(64) {
        if selected & (1 << bit) != 0 && holds(id.as_str()) {
            chosen |= 1 << bit;
        }
    }
    let found = lore.piece_order.iter().filter(|id| holds(id.as_str())).count();
    let secrets_revealed = lore.recipes.keys().filter(|id| revealed(id.as_str())).count();
    let args = [
        ("found", found.into()),
        ("total", lore.pieces.len().into()),
        ("revealed", secrets_revealed.into()),
        ("secrets", lore.recipes.len().into()),
    ];
    let mut text = notice.map(|notice| format!("{notice}\n\n")).unwrap_or_default();
    text.push_str(&tw(language, m::BACKPACK_TITLE, &args));
    text.push('\n');
    text.push_str(&t(language, if found == 0 { m::BACKPACK_EMPTY } else { m::BACKPACK_HOW }));
    let mut buttons = Vec::new();
    for (bit, id) in lore.piece_order.iter().enumerate().take(64) {
        let Some(piece) = lore.pieces.get(id).filter(|_| holds(id.as_str())) else { continue };
        let name = piece.name.get(language);
        let is_chosen = chosen & (1 << bit) != 0;
        if is_chosen {
            let args = [("name", escape(name).into()), ("text", escape(piece.text.get(language)).into())];
            text.push_str(&format!("\n\n{}", tw(language, m::BACKPACK_PIECE, &args)));
        }
        let label = format!("{} {name}", if is_chosen { "☑️" } else { "▫️" });
        buttons.push(ui.button(state, Action::Backpack { selected: chosen ^ (1 << bit) }, &label));
    }
    let mut rows: Vec<Vec<_>> = buttons.chunks(2).map(<[_]>::to_vec).collect();
    let count = chosen.count_ones();
    let mut actions = Vec::new();
    if count >= 2 {
        let combine = Action::Combine { selected: chosen, catalogue: pieces_tag(lore) };
        actions.push(ui.button(state, combine, &tw(language, m::BUTTON_COMBINE, &[("count", count.into())])));
    }
    if count > 0 {
        actions.push(ui.button(state, Action::Backpack { selected: 0 }, &t(language, m::BUTTON_CLEAR)));
    }
    if !actions.is_empty() {
        rows.push(actions);
    }
    for (index, recipe) in lore.recipes.values().filter(|recipe| revealed(recipe.id.as_str())).enumerate() {
        let name = recipe.name.get(language);
        let gap = if index == 0 { "\n\n" } else { "\n" };
        text.push_str(&format!("{gap}{}", tw(language, m::BACKPACK_REVEALED, &[("name", escape(name).into())])));
        if recipe.reveals.is_some() {
            let label = tw(language, m::BUTTON_READ_SECRET, &[("name", name.into())]);
            rows.push(vec![ui.button(state, Action::ReadSecret { recipe: tag(recipe.id.as_str()) }, &label)]);
        }
    }
    rows.push(vec![ui.button(state, Action::Menu, &t(language, m::BACK))]);
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) }
}

/// The answer to `/codigo`: what the code gave, or how many tries are
/// left after an unknown one.
pub(super) fn code(state: &UserState, events: &[Event], ui: Ui<'_>) -> Rendered {
    let language = state.language();
    let mut text = String::new();
    for event in events {
        match event {
            Event::CodeRedeemed { code } => {
                text.push_str(&t(language, m::CODE_REDEEMED));
                if let Some(code) = ui.content.lore().codes.get(code.as_str()) {
                    text.push_str(&reward_lines(language, ui.content, &code.rewards));
                }
            }
            Event::CodeMissed { count, .. } => {
                let left = CODE_TRIES_PER_DAY.saturating_sub(*count);
                text.push_str(&tw(language, m::CODE_UNKNOWN, &[("left", left.into())]));
            }
            _ => {}
        }
    }
    let keyboard = InlineKeyboardMarkup::new([[ui.button(
        state,
        Action::Backpack { selected: 0 },
        &t(language, m::BUTTON_BACKPACK),
    )]]);
    Rendered { text, keyboard: Some(keyboard) }
}

/// A line for each lore piece found, under whatever screen answered.
pub(super) fn found_lines(
    language: Language,
    events: &[Event],
    content: &dianabot_game::content::Content,
) -> Vec<String> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::LorePieceFound { piece } => content.lore().pieces.get(piece.as_str()),
            _ => None,
        })
        .map(|piece| tw(language, m::LORE_FOUND, &[("name", escape(piece.name.get(language)).into())]))
        .collect()
}
