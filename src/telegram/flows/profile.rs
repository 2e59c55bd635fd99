//! The player's own pages: /start, the menu, profile, inventory, missions,
//! achievements, language, the daily gift and the ledger.

use dianabot_actors::{DispatchError, Envelope, Outcome};
use dianabot_game::{Command, EconomyCommand, Event, Language, ProfileCommand, StoryCommand, UserId};

use crate::telegram::callback::Action;
use crate::telegram::clean::{NAME_CHARS, USERNAME_CHARS, clean};
use crate::telegram::deeplink::{self, DeepLink};
use crate::telegram::flows::ReferralRequest;
use crate::telegram::intake::{Failure, Handled, Intake};
use crate::telegram::screens::{self, Screen};
use crate::telegram::translate::{Origin, ReplyTo, Translation};

#[derive(Debug)]
pub enum ProfileRequest {
    /// The player's recent ledger entries (read from the store).
    Ledger { user_id: UserId, language: Language, reply: ReplyTo },
    /// `/start f_<fragment>` (a deep link, from a channel teaser): register
    /// if new, then open the fragment by the story's rules.
    StartAt { register: Envelope, fragment: String, chat_id: i64 },
}

pub fn text(origin: &Origin<'_>, name: &str, text: &str) -> Option<Translation> {
    let view = |screen| Some(origin.view(screen));
    match name {
        "start" => {
            let command = ProfileCommand::Register {
                first_name: clean(&origin.user.first_name, NAME_CHARS).into_owned(),
                username: origin.user.username.as_deref().map(|name| clean(name, USERNAME_CHARS).into_owned()),
                language: origin.language,
            };
            // A malformed or unknown payload is a plain /start.
            let register = origin.command(Command::Profile(command), Some(Screen::Welcome));
            match (deeplink::start_payload(text).and_then(deeplink::parse), register) {
                (
                    Some(DeepLink::Fragment(fragment)),
                    Translation::Command { envelope, reply: ReplyTo::NewMessage { chat_id }, .. },
                ) => Some(Translation::Profile(ProfileRequest::StartAt { register: envelope, fragment, chat_id })),
                (Some(DeepLink::Referral(code)), Translation::Command { envelope, reply, .. }) => {
                    Some(Translation::Referral(ReferralRequest::Join { register: envelope, code, reply }))
                }
                (_, register) => Some(register),
            }
        }
        "menu" => view(Screen::Menu),
        "help" | "ayuda" => view(Screen::Help),
        "profile" | "perfil" | "balance" | "saldo" => view(Screen::Profile),
        "inventory" | "inventario" => view(Screen::Inventory),
        "language" | "idioma" => view(Screen::LanguagePicker),
        "vip" => view(Screen::Vip),
        "missions" | "misiones" => view(Screen::Missions),
        "achievements" | "logros" => view(Screen::Achievements),
        "ledger" | "movimientos" => Some(ledger(origin)),
        "daily" | "diario" => Some(daily_gift(origin)),
        _ => None,
    }
}

/// The buttons no other flow answers: the player's pages.
pub fn press(origin: &Origin<'_>, action: Action) -> Translation {
    let screen = match action {
        Action::SetLanguage(language) => {
            return origin.command(Command::Profile(ProfileCommand::SetLanguage(language)), Some(Screen::Menu));
        }
        Action::DailyGift => return daily_gift(origin),
        Action::Ledger => return ledger(origin),
        Action::History => Screen::History,
        Action::Missions => Screen::Missions,
        Action::Achievements => Screen::Achievements,
        Action::Vip => Screen::Vip,
        Action::OnboardingNext => Screen::Onboarding,
        Action::Menu => Screen::Menu,
        Action::Profile => Screen::Profile,
        Action::Inventory => Screen::Inventory,
        Action::Help => Screen::Help,
        Action::LanguagePicker => Screen::LanguagePicker,
        _ => return Translation::Ignore("a button no flow answers"),
    };
    origin.view(screen)
}

fn daily_gift(origin: &Origin<'_>) -> Translation {
    origin.command(Command::Economy(EconomyCommand::ClaimDailyGift), Some(Screen::DailyGift))
}

fn ledger(origin: &Origin<'_>) -> Translation {
    let request =
        ProfileRequest::Ledger { user_id: origin.user_id, language: origin.language, reply: origin.reply.clone() };
    Translation::Profile(request)
}

impl Intake {
    pub(in crate::telegram) async fn handle_profile(&self, request: ProfileRequest) -> Result<Handled, Failure> {
        match request {
            ProfileRequest::Ledger { user_id, language, reply } => {
                // The language the player chose, if they are known.
                let language = self.router.view(user_id, |state| state.language()).await.unwrap_or(language);
                let entries = self.coordinator.store().recent_ledger(user_id, 10).await.map_err(|err| {
                    tracing::error!(error = %err, "reading the ledger failed");
                    Failure::NotDurable(DispatchError::NotDurable)
                })?;
                self.answer(reply, Some(screens::ledger(language, &entries, &self.translator.codec, user_id)));
                Ok(Handled::Viewed)
            }
            ProfileRequest::StartAt { register, fragment, chat_id } => {
                let reply = ReplyTo::NewMessage { chat_id };
                if self.router.content().fragment(&fragment).is_none() {
                    return self.play(register, Some(Screen::Welcome), reply).await;
                }
                // The welcome only for a new player; a known one goes
                // straight to the fragment.
                let user_id = register.user_id;
                let parts = self.ui_parts();
                let render = move |state: &dianabot_game::UserState, outcome: Outcome<'_>| match outcome {
                    Outcome::Applied(events) if events.iter().any(|e| matches!(e, Event::Registered { .. })) => {
                        (screens::reply(Some(Screen::Welcome), state, outcome, parts.ui()), Vec::new())
                    }
                    // offers-bundle: a known player's first command after
                    // days away may show an offer (`inactive_return`): its card.
                    Outcome::Applied(events) => (None, screens::offer::shown(state, parts.ui(), events)),
                    _ => (None, Vec::new()),
                };
                let dispatched = self.router.dispatch(register, render).await?;
                dispatched.durable.wait().await?;
                let (welcome, cards) = dispatched.reply;
                self.answer(reply.clone(), welcome);
                self.send_offer_cards(user_id.0, cards);
                // Not bound to the update: the register above is, and
                // opening a fragment twice (a re-delivery) shows it again.
                let command = Command::Story(StoryCommand::OpenFragment { fragment, page: None });
                self.play(Envelope { user_id, update_id: None, command }, Some(Screen::Story), reply).await
            }
        }
    }
}
