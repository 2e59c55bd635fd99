//! The story: opening it, decisions (TOMAR_DECISION), restart after an
//! ending, and story pages sent as new messages, whose ids the player's
//! state learns once Telegram has given them.

use dianabot_actors::Envelope;
use dianabot_game::{Command, StoryCommand, UserId};
use tracing::Instrument;

use crate::telegram::callback::Action;
use crate::telegram::intake::Intake;
use crate::telegram::outbound::{Delivery, OutboundRequest, Priority};
use crate::telegram::screens::{Rendered, Screen};
use crate::telegram::translate::{Origin, Translation};

pub fn text(origin: &Origin<'_>, name: &str) -> Option<Translation> {
    match name {
        "story" | "historia" => Some(story(origin, StoryCommand::OpenStory { page: None })),
        _ => None,
    }
}

pub fn press(origin: &Origin<'_>, action: Action) -> Option<Translation> {
    let page = origin.page;
    let command = match action {
        Action::Story => StoryCommand::OpenStory { page },
        Action::Decide { fragment, choice } => StoryCommand::Decide { fragment, choice, page },
        Action::RestartStory => StoryCommand::RestartStory { page },
        _ => return None,
    };
    Some(story(origin, command))
}

fn story(origin: &Origin<'_>, command: StoryCommand) -> Translation {
    origin.command(Command::Story(command), Some(Screen::Story))
}

impl Intake {
    /// Sends a story page showing `fragment` as a new message, then tells
    /// the player's actor which message it is (`ShowStoryPage`), so a
    /// reaction on it pays for the fragment. Nothing waits for that: the
    /// update that asked for the page is durable already, and a page whose
    /// id is lost (a crash, a send that failed) only pays no reactions.
    pub(in crate::telegram) fn send_story_page(
        &self,
        user_id: UserId,
        chat_id: i64,
        rendered: Rendered,
        fragment: String,
    ) {
        let Rendered { text, keyboard } = rendered;
        let sent = self.outbound.submit_with_receipt(OutboundRequest::Send {
            chat_id,
            text,
            keyboard,
            priority: Priority::Interactive,
        });
        let router = self.router.clone();
        let span = tracing::info_span!("story_page", user_id = user_id.0);
        tokio::spawn(
            async move {
                let Ok(Delivery::Sent(page)) = sent.await else { return };
                let command = Command::Story(StoryCommand::ShowStoryPage { page, fragment });
                let recorded = match router.dispatch(Envelope { user_id, update_id: None, command }, |_, _| ()).await {
                    Ok(dispatched) => dispatched.durable.wait().await,
                    Err(err) => Err(err),
                };
                if let Err(err) = recorded {
                    tracing::warn!(page, error = %err, "a story page's message id was not recorded");
                }
            }
            .instrument(span),
        );
    }
}
