//! Feature flags and players' styles: an operator's `/flags` (every flag:
//! rollout — the content's and an override's —, audience, variants),
//! `/flag <name> <percent>` (a rollout set live, no restart), `/flag <name>
//! reset` (back to `flags.toml`'s) and `/jugador <id>` (`/player`: a
//! player's style, scores and the flags they get, from their actor's
//! state); a player's `/estilo` (`/style`), behind the `style` flag. Who
//! may run each is decided by [`Origin::operate`] and every operator
//! command is audited, like all of them.

use dianabot_actors::DispatchError;
use dianabot_game::flags::parse_percent;
use dianabot_game::roles::OperatorAction;
use dianabot_game::{Language, Malformed, RuleError, Usage, UserId};

use crate::telegram::intake::{Failure, Handled, Intake};
use crate::telegram::screens::{self, Screen};
use crate::telegram::translate::{Operation, Origin, ReplyTo, Translation};

#[derive(Debug)]
pub enum FlagRequest {
    /// Every flag and its rollouts.
    List { chat_id: i64, language: Language },
    /// `operator` sets `flag`'s rollout (hundredths of a percent), or
    /// puts back the content's (`None`).
    Set { operator: UserId, flag: String, rollout: Option<u32>, chat_id: i64, language: Language },
    /// A player's style and flags, in the operator's language.
    Player { user: UserId, chat_id: i64, language: Language },
}

pub fn text(origin: &Origin<'_>, name: &str, text: &str) -> Option<Translation> {
    let (chat_id, language) = (origin.chat_id, origin.language);
    let words: Vec<&str> = text.split_whitespace().skip(1).collect();
    match name {
        "estilo" | "style" => Some(origin.view(Screen::Style)),
        "flags" => origin.operate(OperatorAction::ListFlags, text, || {
            Ok(Operation { target: None, then: Translation::Flag(FlagRequest::List { chat_id, language }) })
        }),
        "flag" => origin.operate(OperatorAction::SetFlag, text, || {
            let [flag, value] = words.as_slice() else { return Err(usage(Usage::Flag)) };
            let flag = flag.to_lowercase();
            let rollout = match value.to_lowercase().as_str() {
                "reset" | "restablecer" => None,
                value => Some(parse_percent(value).ok_or_else(|| usage(Usage::Flag))?),
            };
            let request = FlagRequest::Set { operator: origin.user_id, flag: flag.clone(), rollout, chat_id, language };
            Ok(Operation { target: Some(format!("flag:{flag}")), then: Translation::Flag(request) })
        }),
        "jugador" | "player" => origin.operate(OperatorAction::PlayerLookup, text, || {
            let [user] = words.as_slice() else { return Err(usage(Usage::Player)) };
            let user = user.parse::<i64>().ok().filter(|id| *id > 0).map(UserId).ok_or_else(|| usage(Usage::Player))?;
            let then = Translation::Flag(FlagRequest::Player { user, chat_id, language });
            Ok(Operation { target: Some(user.to_string()), then })
        }),
        _ => None,
    }
}

fn usage(usage: Usage) -> RuleError {
    RuleError::Malformed(Malformed::Usage(usage))
}

impl Intake {
    pub(in crate::telegram) async fn handle_flag(&self, request: FlagRequest) -> Result<Handled, Failure> {
        let (chat_id, report) = match request {
            FlagRequest::List { chat_id, language } => {
                let content = self.router.content();
                (chat_id, screens::flags::flags_list(language, &content, &self.reloader.flags.overrides()))
            }
            FlagRequest::Set { operator, flag, rollout, chat_id, language } => {
                // Committed before it is live, and live before the operator hears of it.
                let set = self.reloader.set_flag(operator, &flag, rollout).await.map_err(|err| {
                    tracing::error!(error = %err, flag, "a flag change could not be stored; nothing changed");
                    Failure::NotDurable(DispatchError::NotDurable)
                })?;
                let report = match set {
                    Ok(change) => screens::flags::flag_changed(language, &change),
                    Err(refusal) => {
                        self.audit_failed(&refusal);
                        screens::refusal(language, &refusal)
                    }
                };
                (chat_id, report)
            }
            FlagRequest::Player { user, chat_id, language } => {
                // From the player's actor: its state as it is now, no store read.
                let parts = self.ui_parts();
                let render = move |state: &dianabot_game::UserState| {
                    screens::flags::player(language, state, &parts.content, parts.now)
                };
                let report = self.router.view(user, render).await?;
                (chat_id, report)
            }
        };
        self.answer(ReplyTo::NewMessage { chat_id }, Some(report));
        Ok(Handled::Durable)
    }
}
