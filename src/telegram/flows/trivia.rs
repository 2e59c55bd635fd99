//! Trivia and timed events: `/trivia` `/quiz` (the sets), starting a set,
//! answering with the option buttons, and `/eventos` `/events`.

use dianabot_actors::Envelope;
use dianabot_game::{Command, RuleError, TriviaCommand, UpdateId, UserId};

use crate::telegram::callback::{Action, tag};
use crate::telegram::intake::{Failure, Handled, Intake};
use crate::telegram::screens::Screen;
use crate::telegram::translate::{Origin, ReplyTo, Translation};

/// A press that needs the content to be understood.
#[derive(Debug)]
pub enum TriviaRequest {
    /// Start the set whose id has the tag `set`.
    Start { user_id: UserId, set: u32, update_id: UpdateId, reply: ReplyTo },
}

pub fn text(origin: &Origin<'_>, name: &str) -> Option<Translation> {
    match name {
        "trivia" | "quiz" => Some(origin.view(Screen::Trivia)),
        "eventos" | "events" => Some(origin.view(Screen::Events)),
        _ => None,
    }
}

pub fn press(origin: &Origin<'_>, action: Action) -> Option<Translation> {
    Some(match action {
        Action::Trivia => origin.view(Screen::Trivia),
        Action::TriviaContinue => origin.view(Screen::TriviaPlay),
        Action::Events => origin.view(Screen::Events),
        Action::TriviaStart { set } => Translation::Trivia(TriviaRequest::Start {
            user_id: origin.user_id,
            set,
            update_id: origin.update_id,
            reply: origin.reply.clone(),
        }),
        Action::TriviaAnswer { run, question, option } => {
            let command = Command::Trivia(TriviaCommand::Answer { run, question, option });
            origin.command(command, Some(Screen::TriviaPlay))
        }
        _ => return None,
    })
}

impl Intake {
    pub(in crate::telegram) async fn handle_trivia(&self, request: TriviaRequest) -> Result<Handled, Failure> {
        match request {
            TriviaRequest::Start { user_id, set, update_id, reply } => {
                let content = self.router.content();
                let found = content.trivia().sets.keys().find(|id| tag(id) == set);
                let Some(set) = found else {
                    return Ok(self.refuse_press(reply, RuleError::UnknownTriviaSet));
                };
                let command = Command::Trivia(TriviaCommand::Start { set: set.clone() });
                let envelope = Envelope { user_id, update_id: Some(update_id), command };
                self.play(envelope, Some(Screen::TriviaPlay), reply).await
            }
        }
    }
}
