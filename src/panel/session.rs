//! Who is looking at the dashboard: one-time login tokens (random, stored
//! only as a hash), the signed session cookie they open, and the CSRF
//! token bound to a session.
//!
//! The cookie is `operator.language.expires.nonce.mac`, the MAC an
//! HMAC-SHA256 of the rest under the server's panel secret: it cannot be
//! forged or altered without the secret, and says nothing secret itself.
//! Every request still asks the live roster whether the operator may read
//! analytics, so a revoked role loses the dashboard at once.

use std::collections::HashMap;
use std::sync::Mutex;

use dianabot_game::{Language, UserId};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// The session cookie's name.
pub const COOKIE: &str = "dianabot_panel";
/// How long a session lasts once opened, in seconds.
pub const SESSION_SECS: i64 = 8 * 3600;

/// A fresh login token: 32 random bytes, hex. What the link carries.
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(hex(&bytes))
}

/// What the store keeps of a token: its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// A random secret for this process only (no `PANEL_SECRET`): sessions
/// end when the process does.
pub fn process_secret() -> Result<Vec<u8>, getrandom::Error> {
    let mut bytes = vec![0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(bytes)
}

/// An operator's open session, as its cookie says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub operator: UserId,
    pub language: Language,
    /// Unix seconds (game clock) from which the cookie is refused.
    pub expires_at: i64,
    /// Random, hex: the session's id, which the CSRF token is bound to.
    pub nonce: String,
}

/// Signs and checks cookies and CSRF tokens; remembers sessions ended by
/// logging out until they would have expired anyway.
#[derive(Debug)]
pub struct SessionKeys {
    secret: Vec<u8>,
    ended: Mutex<HashMap<String, i64>>,
}

impl SessionKeys {
    pub fn new(secret: Vec<u8>) -> SessionKeys {
        SessionKeys { secret, ended: Mutex::default() }
    }

    /// A new session for `operator` from `now`.
    pub fn open(&self, operator: UserId, language: Language, now: i64) -> Result<Session, getrandom::Error> {
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce)?;
        Ok(Session { operator, language, expires_at: now + SESSION_SECS, nonce: hex(&nonce) })
    }

    /// The cookie's value for `session`.
    pub fn cookie_value(&self, session: &Session) -> String {
        let body =
            format!("{}.{}.{}.{}", session.operator.0, session.language.code(), session.expires_at, session.nonce);
        let mac = self.mac(&["session", &body]);
        format!("{body}.{mac}")
    }

    /// The session a cookie value stands for, if it is genuine, unexpired
    /// at `now` and not logged out.
    pub fn verify(&self, value: &str, now: i64) -> Option<Session> {
        let (body, mac) = value.rsplit_once('.')?;
        if !constant_time_eq(&self.mac(&["session", body]), mac) {
            return None;
        }
        let mut parts = body.split('.');
        let operator = UserId(parts.next()?.parse().ok()?);
        let language = Language::from_code(parts.next());
        let expires_at: i64 = parts.next()?.parse().ok()?;
        let nonce = parts.next()?.to_owned();
        if parts.next().is_some() || now >= expires_at || self.is_ended(&nonce) {
            return None;
        }
        Some(Session { operator, language, expires_at, nonce })
    }

    /// The CSRF token every form of `session` carries.
    pub fn csrf(&self, session: &Session) -> String {
        self.mac(&["csrf", &session.nonce])
    }

    pub fn csrf_ok(&self, session: &Session, presented: &str) -> bool {
        constant_time_eq(&self.csrf(session), presented)
    }

    /// Ends `session` (logout): its cookie is refused from now on.
    pub fn end(&self, session: &Session, now: i64) {
        let mut ended = self.ended.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        ended.retain(|_, expires_at| *expires_at > now);
        ended.insert(session.nonce.clone(), session.expires_at);
    }

    fn is_ended(&self, nonce: &str) -> bool {
        self.ended.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).contains_key(nonce)
    }

    /// HMAC-SHA256 of the parts (each length-prefixed, so no two lists of
    /// parts sign alike), hex.
    fn mac(&self, parts: &[&str]) -> String {
        let mut mac = HmacSha256::new_from_slice(&self.secret).expect("HMAC takes keys of any length");
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        hex(&mac.finalize().into_bytes())
    }
}

pub(crate) fn constant_time_eq(expected: &str, presented: &str) -> bool {
    expected.as_bytes().ct_eq(presented.as_bytes()).into()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> SessionKeys {
        SessionKeys::new(b"panel secret".to_vec())
    }

    #[test]
    fn tokens_are_random_and_stored_only_as_their_hash() {
        let (one, two) = (new_token().unwrap(), new_token().unwrap());
        assert_eq!(one.len(), 64);
        assert_ne!(one, two);
        assert_eq!(token_hash(&one), token_hash(&one));
        assert_ne!(token_hash(&one), one);
        assert_eq!(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn a_session_cookie_is_accepted_until_it_expires() {
        let keys = keys();
        let session = keys.open(UserId(7), Language::En, 1_000).unwrap();
        let cookie = keys.cookie_value(&session);
        assert_eq!(keys.verify(&cookie, 1_000), Some(session.clone()));
        assert_eq!(keys.verify(&cookie, 1_000 + SESSION_SECS - 1).map(|s| s.operator), Some(UserId(7)));
        assert_eq!(keys.verify(&cookie, 1_000 + SESSION_SECS), None);
    }

    #[test]
    fn an_altered_or_foreign_cookie_is_refused() {
        let keys = keys();
        let session = keys.open(UserId(7), Language::Es, 1_000).unwrap();
        let cookie = keys.cookie_value(&session);
        let other_operator = cookie.replacen("7.", "8.", 1);
        assert_eq!(keys.verify(&other_operator, 1_000), None);
        let longer = cookie.replacen(&session.expires_at.to_string(), &(session.expires_at * 2).to_string(), 1);
        assert_eq!(keys.verify(&longer, 1_000), None);
        assert_eq!(SessionKeys::new(b"another".to_vec()).verify(&cookie, 1_000), None);
        for junk in ["", ".", "7.es.5000.ab", "x.y.z.w.v.u"] {
            assert_eq!(keys.verify(junk, 1_000), None, "{junk}");
        }
    }

    #[test]
    fn the_csrf_token_is_bound_to_its_session() {
        let keys = keys();
        let one = keys.open(UserId(7), Language::Es, 0).unwrap();
        let two = keys.open(UserId(7), Language::Es, 0).unwrap();
        assert!(keys.csrf_ok(&one, &keys.csrf(&one)));
        assert!(!keys.csrf_ok(&one, &keys.csrf(&two)));
        assert!(!keys.csrf_ok(&one, ""));
    }

    #[test]
    fn a_logged_out_session_is_refused() {
        let keys = keys();
        let session = keys.open(UserId(7), Language::Es, 0).unwrap();
        let cookie = keys.cookie_value(&session);
        keys.end(&session, 10);
        assert_eq!(keys.verify(&cookie, 10), None);
    }
}
