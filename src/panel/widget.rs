//! The Telegram Login Widget's answer, checked as Telegram documents it:
//! the data-check-string is every received field but `hash`, as
//! `key=value` lines sorted by key; its HMAC-SHA256 under SHA-256 of the
//! bot token must be `hash` (hex, compared in constant time), and
//! `auth_date` recent.

use std::collections::BTreeMap;

use dianabot_game::UserId;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use super::session::{constant_time_eq, hex};

/// How old a widget login may be, in seconds.
pub const MAX_AGE_SECS: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WidgetError {
    #[error("the login data is incomplete")]
    Incomplete,
    #[error("the login data is not signed by this bot")]
    BadHash,
    #[error("the login is too old")]
    Stale,
}

/// The Telegram user the widget's `fields` vouch for at `now`.
pub fn verify(fields: &BTreeMap<String, String>, bot_token: &str, now: i64) -> Result<UserId, WidgetError> {
    let presented = fields.get("hash").ok_or(WidgetError::Incomplete)?;
    let check_string = fields
        .iter()
        .filter(|(key, _)| *key != "hash")
        .map(|(key, value)| format!("{key}={value}"))
        .collect::<Vec<_>>();
    let secret = Sha256::digest(bot_token.as_bytes());
    let mut mac = Hmac::<Sha256>::new_from_slice(&secret).expect("HMAC takes keys of any length");
    mac.update(check_string.join("\n").as_bytes());
    if !constant_time_eq(&hex(&mac.finalize().into_bytes()), presented) {
        return Err(WidgetError::BadHash);
    }
    let auth_date: i64 = fields.get("auth_date").and_then(|date| date.parse().ok()).ok_or(WidgetError::Incomplete)?;
    if now - auth_date > MAX_AGE_SECS || auth_date - now > MAX_AGE_SECS {
        return Err(WidgetError::Stale);
    }
    fields.get("id").and_then(|id| id.parse().ok()).map(UserId).ok_or(WidgetError::Incomplete)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "123456:TEST-token";
    /// Computed apart from this code (Python's hmac/hashlib, per Telegram's
    /// documented check) for the fields of `signed`.
    const HASH: &str = "b551d57b121fcd2d0b2506aeba5604d7730f4c2215a5ebe95d8b349f5bd854b4";

    fn signed() -> BTreeMap<String, String> {
        [("id", "900"), ("first_name", "Ana & <Co>"), ("username", "ana"), ("auth_date", "1700000000"), ("hash", HASH)]
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value.to_owned()))
            .collect()
    }

    #[test]
    fn a_login_signed_by_the_bot_names_its_user() {
        assert_eq!(verify(&signed(), TOKEN, 1_700_000_060), Ok(UserId(900)));
    }

    #[test]
    fn a_forged_altered_or_stale_login_is_refused() {
        assert_eq!(verify(&signed(), "654321:other", 1_700_000_060), Err(WidgetError::BadHash));
        let mut altered = signed();
        altered.insert("id".to_owned(), "901".to_owned());
        assert_eq!(verify(&altered, TOKEN, 1_700_000_060), Err(WidgetError::BadHash));
        let mut added = signed();
        added.insert("last_name".to_owned(), "X".to_owned());
        assert_eq!(verify(&added, TOKEN, 1_700_000_060), Err(WidgetError::BadHash));
        let mut unsigned = signed();
        unsigned.remove("hash");
        assert_eq!(verify(&unsigned, TOKEN, 1_700_000_060), Err(WidgetError::Incomplete));
        assert_eq!(verify(&signed(), TOKEN, 1_700_000_000 + MAX_AGE_SECS + 1), Err(WidgetError::Stale));
    }
}
