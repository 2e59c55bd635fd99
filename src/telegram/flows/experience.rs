//! Experiences: the list (`/experiencias`, `/experiences`), an
//! experience's page, starting a run and abandoning it (asked twice).
//! Progress needs no flow of its own: it follows from the other flows'
//! commands inside their decisions.

use dianabot_game::{Command, ExperienceCommand};

use crate::telegram::callback::Action;
use crate::telegram::screens::Screen;
use crate::telegram::translate::{Origin, Translation};

pub fn text(origin: &Origin<'_>, name: &str) -> Option<Translation> {
    match name {
        "experiencias" | "experiences" => Some(origin.view(Screen::Experiences)),
        _ => None,
    }
}

pub fn press(origin: &Origin<'_>, action: Action) -> Option<Translation> {
    let page = |experience, confirm_abandon| Screen::Experience { experience, confirm_abandon };
    Some(match action {
        Action::Experiences => origin.view(Screen::Experiences),
        Action::Experience { experience } => origin.view(page(experience, false)),
        Action::StartExperience { experience } => {
            let command = Command::Experience(ExperienceCommand::Start { experience });
            origin.command(command, Some(page(experience, false)))
        }
        Action::AbandonExperience { experience, confirmed: false } => origin.view(page(experience, true)),
        Action::AbandonExperience { experience, confirmed: true } => {
            let command = Command::Experience(ExperienceCommand::Abandon { experience });
            origin.command(command, Some(page(experience, false)))
        }
        _ => return None,
    })
}
