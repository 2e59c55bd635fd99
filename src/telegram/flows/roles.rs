//! Operator roles and the audit log: `/rol dar <user id> <role> [days]`
//! (`/role grant`), `/rol quitar <user id> <role>` (`/role revoke`),
//! `/roles` (who holds which role, until when) and `/auditoria [n]`
//! (`/audit`: the last n operator actions). Who may run each is decided
//! by [`Origin::operate`], like every operator command.

use dianabot_game::roles::OperatorAction;
use dianabot_game::{Language, Malformed, RuleError, Usage, UserId};

use crate::telegram::intake::{Failure, Handled, Intake};
use crate::telegram::screens::operators as screens;
use crate::telegram::translate::{Operation, Origin, ReplyTo, Translation};
use dianabot_actors::DispatchError;

/// The longest a role may be granted for, in days; longer is for good.
const MAX_DAYS: u32 = 3_650;
/// Audit rows `/auditoria` shows by default and at most.
const AUDIT_DEFAULT: u32 = 10;
const AUDIT_MAX: u32 = 50;

#[derive(Debug)]
pub enum RoleRequest {
    /// `operator` gives `user` the role `role`, for `days` or for good.
    Grant { operator: UserId, user: UserId, role: String, days: Option<u32>, chat_id: i64, language: Language },
    /// `operator` takes the role `role` back from `user`.
    Revoke { operator: UserId, user: UserId, role: String, chat_id: i64, language: Language },
    /// Who holds which role now.
    List { chat_id: i64, language: Language },
    /// The last `limit` rows of the audit log.
    Audit { limit: u32, chat_id: i64, language: Language },
}

pub fn text(origin: &Origin<'_>, name: &str, text: &str) -> Option<Translation> {
    let (chat_id, language) = (origin.chat_id, origin.language);
    let words: Vec<&str> = text.split_whitespace().skip(1).collect();
    match name {
        "rol" | "role" => {
            let action = match words.first().map(|word| word.to_lowercase()).as_deref() {
                Some("quitar" | "revoke") => OperatorAction::RevokeRole,
                _ => OperatorAction::GrantRole,
            };
            origin.operate(action, text, || {
                let (user, role, days) = parse_role(&words)?;
                let operator = origin.user_id;
                let request = match action {
                    OperatorAction::RevokeRole if days.is_none() => {
                        RoleRequest::Revoke { operator, user, role, chat_id, language }
                    }
                    OperatorAction::RevokeRole => return Err(usage(Usage::Role)),
                    _ => RoleRequest::Grant { operator, user, role, days, chat_id, language },
                };
                Ok(Operation { target: Some(user.to_string()), then: Translation::Role(request) })
            })
        }
        "roles" => origin.operate(OperatorAction::ListRoles, text, || {
            let then = Translation::Role(RoleRequest::List { chat_id, language });
            Ok(Operation { target: None, then })
        }),
        "auditoria" | "auditoría" | "audit" => origin.operate(OperatorAction::ReadAudit, text, || {
            let limit = match words.as_slice() {
                [] => AUDIT_DEFAULT,
                [n] => n.parse().ok().filter(|n| (1..=AUDIT_MAX).contains(n)).ok_or_else(|| usage(Usage::Audit))?,
                _ => return Err(usage(Usage::Audit)),
            };
            let then = Translation::Role(RoleRequest::Audit { limit, chat_id, language });
            Ok(Operation { target: None, then })
        }),
        _ => None,
    }
}

fn usage(usage: Usage) -> RuleError {
    RuleError::Malformed(Malformed::Usage(usage))
}

/// `dar|quitar <user id> <role> [days]` (or `grant|revoke`).
fn parse_role(words: &[&str]) -> Result<(UserId, String, Option<u32>), RuleError> {
    let (verb, user, role, days) = match words {
        [verb, user, role] => (verb, user, role, None),
        [verb, user, role, days] => (verb, user, role, Some(days)),
        _ => return Err(usage(Usage::Role)),
    };
    if !matches!(verb.to_lowercase().as_str(), "dar" | "grant" | "quitar" | "revoke") {
        return Err(usage(Usage::Role));
    }
    let user = user.parse::<i64>().ok().filter(|id| *id > 0).map(UserId).ok_or_else(|| usage(Usage::Role))?;
    let days = match days {
        Some(days) => Some(
            days.parse::<u32>().ok().filter(|days| (1..=MAX_DAYS).contains(days)).ok_or_else(|| usage(Usage::Role))?,
        ),
        None => None,
    };
    Ok((user, role.to_lowercase(), days))
}

impl Intake {
    pub(in crate::telegram) async fn handle_role(&self, request: RoleRequest) -> Result<Handled, Failure> {
        let unavailable = |err: &dyn std::fmt::Display| {
            tracing::error!(error = %err, "operator roles: the store failed");
            Failure::NotDurable(DispatchError::NotDurable)
        };
        let (chat_id, report) = match request {
            RoleRequest::Grant { operator, user, role, days, chat_id, language } => {
                let granted =
                    self.operators.grant(operator, user, &role, days).await.map_err(|err| unavailable(&err))?;
                let report = match granted {
                    Ok(grant) => {
                        tracing::info!(%operator, %user, role, expires_at = grant.expires_at, "role granted");
                        let name = self.operators.roster().role(&role).map(|role| role.name.get(language).to_owned());
                        screens::role_granted(language, &grant, name.as_deref().unwrap_or(&role))
                    }
                    Err(refusal) => {
                        self.audit_failed(&refusal);
                        crate::telegram::screens::refusal(language, &refusal)
                    }
                };
                (chat_id, report)
            }
            RoleRequest::Revoke { operator, user, role, chat_id, language } => {
                let revoked = self.operators.revoke(operator, user, &role).await.map_err(|err| unavailable(&err))?;
                let report = match revoked {
                    Ok(held) => {
                        if !held {
                            self.audit_failed("the user did not hold the role");
                        }
                        tracing::info!(%operator, %user, role, held, "role revoked");
                        let name = self.operators.roster().role(&role).map(|role| role.name.get(language).to_owned());
                        screens::role_revoked(language, user, name.as_deref().unwrap_or(&role), held)
                    }
                    Err(refusal) => {
                        self.audit_failed(&refusal);
                        crate::telegram::screens::refusal(language, &refusal)
                    }
                };
                (chat_id, report)
            }
            RoleRequest::List { chat_id, language } => {
                let roster = self.operators.roster();
                let (owners, grants) = roster.listing();
                (chat_id, screens::roles_list(language, &owners, &grants, |id| roster.role(id)))
            }
            RoleRequest::Audit { limit, chat_id, language } => {
                let entries = self.operators.audit_log(limit).await.map_err(|err| unavailable(&err))?;
                (chat_id, screens::audit_report(language, &entries))
            }
        };
        self.answer(ReplyTo::NewMessage { chat_id }, Some(report));
        Ok(Handled::Durable)
    }
}
