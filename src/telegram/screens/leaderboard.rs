//! A leaderboard: its top ten with names, the reader's own rank and score
//! even outside the top, its period and prizes, and a button per board;
//! the notice a prize winner gets.

use dianabot_game::leaderboard::{Board, Period};
use dianabot_game::{Language, UserId};
use dianabot_persistence::Standing;
use teloxide_core::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::{Rendered, Ui, escape, t, tw};
use crate::telegram::callback::{Action, tag};
use crate::texts::catalogue::{self as m};

/// What a board shows one player.
#[derive(Debug)]
pub struct BoardView<'a> {
    pub board: &'a Board,
    /// The best, with their first names (missing: not registered).
    pub top: Vec<(Standing, Option<String>)>,
    /// The reader's own place.
    pub mine: Option<Standing>,
    /// Players with a score on this board and period.
    pub players: usize,
    /// Whole days until a weekly board closes (rounded up).
    pub days_left: i64,
}

pub fn leaderboard(language: Language, ui: Ui<'_>, user: UserId, view: &BoardView<'_>) -> Rendered {
    let board = view.board;
    let mut text = tw(language, m::LEADERBOARD_TITLE, &[("name", escape(board.name.get(language)).into())]);
    let period = match board.period {
        Period::Weekly => tw(language, m::LEADERBOARD_WEEKLY, &[("days", view.days_left.into())]),
        Period::AllTime => t(language, m::LEADERBOARD_ALL_TIME),
    };
    text.push_str(&format!("\n{period}\n"));
    if view.top.is_empty() {
        text.push_str(&format!("\n{}", t(language, m::LEADERBOARD_EMPTY)));
    }
    for (standing, name) in &view.top {
        let name = name.as_deref().map_or_else(|| t(language, m::LEADERBOARD_SOMEONE), escape);
        let row = tw(
            language,
            m::LEADERBOARD_ROW,
            &[("rank", standing.rank.into()), ("name", name.into()), ("score", standing.score.into())],
        );
        text.push_str(&format!("\n{row}"));
    }
    let mine = match view.mine {
        Some(mine) => tw(
            language,
            m::LEADERBOARD_YOU,
            &[("rank", mine.rank.into()), ("players", view.players.into()), ("score", mine.score.into())],
        ),
        None => t(language, m::LEADERBOARD_YOU_NONE),
    };
    text.push_str(&format!("\n\n{mine}"));
    if !board.prizes.is_empty() {
        let prizes: Vec<String> = board.prizes.iter().map(i64::to_string).collect();
        text.push_str(&format!("\n{}", tw(language, m::LEADERBOARD_PRIZES, &[("prizes", prizes.join(" / ").into())])));
    }
    text.push_str(&format!("\n<i>{}</i>", t(language, m::LEADERBOARD_TIES)));
    Rendered { text, keyboard: Some(board_buttons(language, ui, user, &board.id)) }
}

/// No board in the content.
pub fn no_leaderboards(language: Language) -> Rendered {
    Rendered { text: t(language, m::LEADERBOARD_NONE), keyboard: None }
}

/// A button per board, two a row, the one shown marked; then the menu.
fn board_buttons(language: Language, ui: Ui<'_>, user: UserId, shown: &str) -> InlineKeyboardMarkup {
    let buttons: Vec<InlineKeyboardButton> = ui
        .content
        .boards()
        .map(|board| {
            let name = board.name.get(language);
            let label = if board.id == shown { format!("• {name}") } else { name.to_owned() };
            InlineKeyboardButton::callback(label, ui.codec.encode(user, Action::Board { board: tag(&board.id) }))
        })
        .collect();
    let mut rows: Vec<Vec<InlineKeyboardButton>> = buttons.chunks(2).map(<[_]>::to_vec).collect();
    rows.push(vec![InlineKeyboardButton::callback(t(language, m::BACK), ui.codec.encode(user, Action::Menu))]);
    InlineKeyboardMarkup::new(rows)
}

/// Told to a winner once their prize is paid.
pub fn prize_won(language: Language, board: &Board, rank: u32, besitos: i64) -> Rendered {
    let args = [("rank", rank.into()), ("name", escape(board.name.get(language)).into()), ("besitos", besitos.into())];
    Rendered { text: tw(language, m::LEADERBOARD_PRIZE_WON, &args), keyboard: None }
}
