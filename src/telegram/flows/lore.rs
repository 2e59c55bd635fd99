//! Lore: the backpack (`/mochila`), combining its pieces, secret codes
//! (`/codigo`), and reading the fragment a revealed recipe opened.

use dianabot_actors::Envelope;
use dianabot_game::content::{Lore, LorePiece};
use dianabot_game::{Command, LoreCommand, Malformed, RuleError, StoryCommand, UpdateId, Usage, UserId};

use crate::telegram::callback::{Action, pieces_tag, tag};
use crate::telegram::intake::{Failure, Handled, Intake};
use crate::telegram::screens::Screen;
use crate::telegram::translate::{Origin, ReplyTo, Translation};

/// A press that needs the content to be understood.
#[derive(Debug)]
pub enum LoreRequest {
    /// Combine the pieces a backpack button selected (bits over the
    /// content's piece order, whose tag is `catalogue`).
    Combine { user_id: UserId, selected: u64, catalogue: u32, update_id: UpdateId, reply: ReplyTo },
    /// Open the fragment the recipe tagged `recipe` revealed.
    ReadSecret { user_id: UserId, recipe: u32, update_id: UpdateId, page: Option<i32>, reply: ReplyTo },
}

pub fn text(origin: &Origin<'_>, name: &str, text: &str) -> Option<Translation> {
    match name {
        "mochila" | "backpack" => Some(origin.view(Screen::Backpack { selected: 0 })),
        "codigo" | "code" => {
            let code = text.split_whitespace().skip(1).collect::<Vec<_>>().join(" ");
            Some(if code.is_empty() {
                origin.refuse(RuleError::Malformed(Malformed::Usage(Usage::Code)))
            } else {
                origin.command(Command::Lore(LoreCommand::EnterCode { code }), Some(Screen::Code))
            })
        }
        _ => None,
    }
}

pub fn press(origin: &Origin<'_>, action: Action) -> Option<Translation> {
    let (user_id, update_id, reply) = (origin.user_id, origin.update_id, origin.reply.clone());
    Some(match action {
        Action::Backpack { selected } => origin.view(Screen::Backpack { selected }),
        Action::Combine { selected, catalogue } => {
            Translation::Lore(LoreRequest::Combine { user_id, selected, catalogue, update_id, reply })
        }
        Action::ReadSecret { recipe } => {
            Translation::Lore(LoreRequest::ReadSecret { user_id, recipe, update_id, page: origin.page, reply })
        }
        _ => return None,
    })
}

/// The pieces whose bits are set in `selected`.
pub fn selection(lore: &Lore, selected: u64) -> impl Iterator<Item = &LorePiece> {
    lore.piece_order
        .iter()
        .enumerate()
        .filter(move |(bit, _)| *bit < 64 && selected & (1 << bit) != 0)
        .filter_map(|(_, id)| lore.pieces.get(id))
}

impl Intake {
    pub(in crate::telegram) async fn handle_lore(&self, request: LoreRequest) -> Result<Handled, Failure> {
        let content = self.router.content();
        let lore = content.lore();
        match request {
            LoreRequest::Combine { user_id, selected, catalogue: shown, update_id, reply } => {
                // Bits from before a reload that moved the pieces would
                // name other pieces than the player chose.
                if pieces_tag(lore) != shown {
                    return Ok(self.refuse_press(reply, RuleError::StaleChoice));
                }
                let pieces = selection(lore, selected).map(|piece| piece.id.as_str().to_owned()).collect();
                let command = Command::Lore(LoreCommand::Combine { pieces });
                let envelope = Envelope { user_id, update_id: Some(update_id), command };
                self.play(envelope, Some(Screen::Backpack { selected }), reply).await
            }
            LoreRequest::ReadSecret { user_id, recipe, update_id, page, reply } => {
                let fragment = lore
                    .recipes
                    .values()
                    .find(|candidate| tag(candidate.id.as_str()) == recipe)
                    .and_then(|recipe| recipe.reveals.as_ref());
                let Some(fragment) = fragment else {
                    return Ok(self.refuse_press(reply, RuleError::StaleChoice));
                };
                let command = StoryCommand::OpenFragment { fragment: fragment.as_str().to_owned(), page };
                let envelope = Envelope { user_id, update_id: Some(update_id), command: Command::Story(command) };
                self.play(envelope, Some(Screen::Story), reply).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use dianabot_game::content::{LoreId, Rarity, Text};

    use super::*;

    #[test]
    fn a_selection_names_the_pieces_of_its_bits_and_a_reorder_changes_the_tag() {
        let mut lore = Lore::default();
        for id in ["a", "b", "c"] {
            let piece =
                LorePiece { id: LoreId::new(id), name: Text::default(), text: Text::default(), rarity: Rarity::Common };
            lore.piece_order.push(piece.id.clone());
            lore.pieces.insert(piece.id.clone(), piece);
        }
        // Bits past the pieces (a button from a larger content) name nothing.
        let chosen: Vec<&str> = selection(&lore, 0b101 | 1 << 63).map(|piece| piece.id.as_str()).collect();
        assert_eq!(chosen, ["a", "c"]);
        let before = pieces_tag(&lore);
        lore.piece_order.swap(0, 1);
        assert_ne!(pieces_tag(&lore), before, "a selection made before the reorder is recognised");
    }
}
