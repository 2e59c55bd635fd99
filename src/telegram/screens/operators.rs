//! What operators read about operators: a role granted or revoked, who
//! holds which role (`/roles`) and the audit log (`/auditoria`). Dates are
//! UTC, `YYYY-MM-DD HH:MM`.

use dianabot_game::content::{Permission, Role};
use dianabot_game::roles::{AuditEntry, AuditOutcome, RoleGrant};
use dianabot_game::{Language, UserId};

use super::{Rendered, escape, plain, t, tw};
use crate::texts::catalogue::{self as m};

/// `/rol dar`: who holds the role now, and until when.
pub fn role_granted(language: Language, grant: &RoleGrant, role_name: &str) -> Rendered {
    let (user, role) = (grant.user.0.to_string(), escape(role_name));
    plain(match grant.expires_at {
        Some(until) => tw(
            language,
            m::ROLE_GRANTED_UNTIL,
            &[("user", user.into()), ("role", role.as_str().into()), ("until", utc(until).into())],
        ),
        None => tw(language, m::ROLE_GRANTED, &[("user", user.into()), ("role", role.as_str().into())]),
    })
}

/// `/rol quitar`: taken back, or it was not held.
pub fn role_revoked(language: Language, user: UserId, role: &str, held: bool) -> Rendered {
    let message = if held { m::ROLE_REVOKED } else { m::ROLE_NOT_HELD };
    let user = user.0.to_string();
    plain(tw(language, message, &[("user", user.into()), ("role", escape(role).into())]))
}

/// `/roles`: the owners, then every running grant with its role's
/// permissions and expiry.
pub fn roles_list(
    language: Language,
    owners: &[UserId],
    grants: &[RoleGrant],
    role: impl Fn(&str) -> Option<Role>,
) -> Rendered {
    let mut text = t(language, m::ROLES_TITLE);
    for owner in owners {
        text.push('\n');
        text.push_str(&tw(language, m::ROLES_OWNER, &[("user", owner.0.to_string().into())]));
    }
    if grants.is_empty() {
        text.push('\n');
        text.push_str(&t(language, m::ROLES_NONE));
    }
    for grant in grants {
        let defined = role(grant.role.as_str());
        let name = defined.as_ref().map_or(grant.role.as_str(), |role| role.name.get(language));
        let permissions = defined.as_ref().map_or_else(
            || "—".to_owned(),
            |role| role.permissions.iter().map(Permission::key).collect::<Vec<_>>().join(", "),
        );
        let user = grant.user.0.to_string();
        let args = [("user", user.into()), ("role", escape(name).into()), ("permissions", permissions.into())];
        text.push('\n');
        text.push_str(&match grant.expires_at {
            Some(until) => {
                let mut args = args.to_vec();
                args.push(("until", utc(until).into()));
                tw(language, m::ROLES_LINE_UNTIL, &args)
            }
            None => tw(language, m::ROLES_LINE, &args),
        });
    }
    plain(text)
}

/// `/auditoria`: the last operator actions, newest first.
pub fn audit_report(language: Language, entries: &[AuditEntry]) -> Rendered {
    let mut text = tw(language, m::AUDIT_TITLE, &[("count", entries.len().into())]);
    if entries.is_empty() {
        text.push('\n');
        text.push_str(&t(language, m::AUDIT_NONE));
    }
    for entry in entries {
        let outcome = match entry.outcome {
            AuditOutcome::Done => "done",
            AuditOutcome::Refused => "refused",
            AuditOutcome::Failed => "failed",
        };
        let args = [
            ("at", utc(entry.at).into()),
            ("operator", entry.operator.0.to_string().into()),
            ("action", entry.action.as_str().into()),
            ("target", escape(entry.target.as_deref().unwrap_or("—")).into()),
            ("args", escape(&entry.args).into()),
            ("outcome", outcome.into()),
        ];
        text.push('\n');
        text.push_str(&tw(language, m::AUDIT_LINE, &args));
        if let Some(detail) = &entry.detail {
            text.push_str(&format!(" ({})", escape(detail)));
        }
    }
    plain(text)
}

/// Unix seconds as `YYYY-MM-DD HH:MM` UTC (H. Hinnant's `civil_from_days`).
pub(crate) fn utc(seconds: i64) -> String {
    let (days, of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}", of_day / 3_600, of_day % 3_600 / 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_are_utc_calendar_dates() {
        assert_eq!(super::utc(0), "1970-01-01 00:00");
        assert_eq!(super::utc(1_700_000_000), "2023-11-14 22:13");
        assert_eq!(super::utc(951_782_400), "2000-02-29 00:00");
    }
}
