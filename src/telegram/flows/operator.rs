//! Operator commands on the game itself: content reload, and grants on a
//! player's account (`/grant`, `/deduct`, `/grantvip`). Operator commands
//! of one feature live with it (auctions, Stars refunds, post reports).

use dianabot_game::roles::OperatorAction;
use dianabot_game::{AdminCommand, Besitos, Command, Language, Malformed, RuleError, Usage, UserId};

use crate::telegram::intake::{Failure, Handled, Intake};
use crate::telegram::screens::{self, Screen};
use crate::telegram::translate::{Operation, Origin, ReplyTo, Translation};

#[derive(Debug)]
pub enum OperatorRequest {
    /// Reload the content files.
    ReloadContent { chat_id: i64, language: Language },
}

pub fn text(origin: &Origin<'_>, name: &str, text: &str) -> Option<Translation> {
    let action = match name {
        "reload" => OperatorAction::ReloadContent,
        "grant" => OperatorAction::Grant,
        "deduct" => OperatorAction::Deduct,
        "grantvip" => OperatorAction::GrantVip,
        _ => return None,
    };
    origin.operate(action, text, || match action {
        OperatorAction::ReloadContent => Ok(Operation {
            target: None,
            then: Translation::Operator(OperatorRequest::ReloadContent {
                chat_id: origin.chat_id,
                language: origin.language,
            }),
        }),
        _ => {
            let (target, command) = parse_operator_command(name, text)?;
            let then = origin.command_for(target, command, Some(Screen::OperatorReport(origin.language)));
            Ok(Operation { target: Some(target.to_string()), then })
        }
    })
}

/// `/grant <user id> <amount>`, `/deduct <user id> <amount>`,
/// `/grantvip <user id> <days>`: the target and the command, or why not.
fn parse_operator_command(name: &str, text: &str) -> Result<(UserId, Command), RuleError> {
    let mut words = text.split_whitespace().skip(1);
    let usage = || {
        let usage = match name {
            "grant" => Usage::Grant,
            "deduct" => Usage::Deduct,
            _ => Usage::GrantVip,
        };
        RuleError::Malformed(Malformed::Usage(usage))
    };
    let target = words.next().and_then(|word| word.parse().ok()).ok_or_else(usage)?;
    let number: i64 = words.next().and_then(|word| word.parse().ok()).ok_or_else(usage)?;
    if words.next().is_some() {
        return Err(usage());
    }
    let command = match name {
        "grant" => Command::Admin(AdminCommand::AdminGrant(Besitos::new(number)?)),
        "deduct" => Command::Admin(AdminCommand::AdminDeduct(Besitos::new(number)?)),
        _ => Command::Admin(AdminCommand::GrantVip {
            days: u32::try_from(number).map_err(|_| RuleError::NonPositiveAmount(number))?,
        }),
    };
    Ok((UserId(target), command))
}

impl Intake {
    pub(in crate::telegram) async fn handle_operator(&self, request: OperatorRequest) -> Result<Handled, Failure> {
        match request {
            OperatorRequest::ReloadContent { chat_id, language } => {
                let report = match self.reloader.reload().await {
                    Ok(reloaded) => {
                        // A weekly board the new content adds gets its reset timer.
                        self.arm_board_resets().await.map_err(|err| {
                            tracing::error!(error = %err, "arming the leaderboards' resets after a reload failed");
                            Failure::NotDurable(dianabot_actors::DispatchError::NotDurable)
                        })?;
                        let mut report = screens::reload_report(language, Ok(reloaded.content.fragments().count()));
                        // flags: stored overrides whose flag is gone are named.
                        report.text.push_str(&screens::flags::ignored_overrides(language, &reloaded.ignored_overrides));
                        report
                    }
                    Err(error) => {
                        self.audit_failed("the content has problems; the previous content stays");
                        screens::reload_report(language, Err(format!("{error:#}")))
                    }
                };
                self.answer(ReplyTo::NewMessage { chat_id }, Some(report));
                Ok(Handled::Ignored)
            }
        }
    }
}
