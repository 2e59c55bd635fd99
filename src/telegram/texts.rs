//! What the bot says, in Spanish and English. Pure: state in, text out.

use dianabot_actors::Outcome;
use dianabot_game::{Language, RuleError, UserState};

use crate::telegram::translate::Screen;

/// The reply to an update, if it deserves one.
pub fn reply(screen: Screen, state: &UserState, outcome: Outcome<'_>) -> Option<String> {
    let language = state.language();
    match (screen, outcome) {
        (Screen::Silent, _) | (_, Outcome::Duplicate | Outcome::Viewed) => None,
        (Screen::Welcome, Outcome::Applied(_)) => Some(welcome(language, state)),
        (Screen::Welcome, Outcome::Refused(refusal)) => Some(refused(language, refusal)),
    }
}

fn welcome(language: Language, state: &UserState) -> String {
    let name = state.profile.as_ref().map_or("", |profile| profile.first_name.as_str());
    let balance = state.wallet.balance;
    match language {
        Language::Es => format!(
            "🎩 Bienvenido, {name}. Soy Lucien, mayordomo de la casa.\n\
             Diana le espera… pero primero, permítame ofrecerle {balance} besitos para el camino."
        ),
        Language::En => format!(
            "🎩 Welcome, {name}. I am Lucien, butler of the house.\n\
             Diana awaits you… but first, allow me to offer you {balance} besitos for the road."
        ),
    }
}

fn refused(language: Language, refusal: &RuleError) -> String {
    match language {
        Language::Es => format!("Lucien inclina la cabeza: no es posible ({refusal})."),
        Language::En => format!("Lucien bows his head: that is not possible ({refusal})."),
    }
}
