//! Deep links into the story: `t.me/<bot>?start=<payload>` makes Telegram
//! send `/start <payload>`. A payload is at most 64 characters of
//! `A-Z a-z 0-9 _ -`; a story fragment's is `f_<fragment id>`, and content
//! ids (1–32 lowercase letters, digits, `_` or `-`: `content::is_valid_id`)
//! fit that charset as they are, so no encoding is needed. A player's invite
//! link is `r_<referral code>`.

use dianabot_game::content::is_valid_id;

/// The longest payload Telegram passes on.
pub const MAX_PAYLOAD_LEN: usize = 64;

const FRAGMENT: &str = "f_";
/// A player's invite link: `r_<referral code>` (`CallbackCodec::referral_code`).
const REFERRAL: &str = "r_";

/// What a `/start` payload asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeepLink {
    /// Open this story fragment (it may not exist in the live content).
    Fragment(String),
    /// Invited by the player whose referral code this is (not verified yet).
    Referral(String),
}

/// Whether `payload` is one Telegram would pass on.
pub fn is_valid_payload(payload: &str) -> bool {
    !payload.is_empty()
        && payload.len() <= MAX_PAYLOAD_LEN
        && payload.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The payload that opens `fragment`.
pub fn fragment_payload(fragment: &str) -> String {
    format!("{FRAGMENT}{fragment}")
}

/// What `payload` asks for; `None` for anything malformed or unknown,
/// which `/start` treats as no payload at all.
pub fn parse(payload: &str) -> Option<DeepLink> {
    if !is_valid_payload(payload) {
        return None;
    }
    if let Some(code) = payload.strip_prefix(REFERRAL) {
        return (!code.is_empty()).then(|| DeepLink::Referral(code.to_owned()));
    }
    let fragment = payload.strip_prefix(FRAGMENT)?;
    is_valid_id(fragment).then(|| DeepLink::Fragment(fragment.to_owned()))
}

/// The payload of an invite link with `code`.
pub fn referral_payload(code: &str) -> String {
    format!("{REFERRAL}{code}")
}

/// The payload of a `/start <payload>` text, if it has one.
pub fn start_payload(text: &str) -> Option<&str> {
    let mut words = text.split_whitespace();
    words.next()?;
    let payload = words.next()?;
    words.next().is_none().then_some(payload)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_fragment_link_names_its_fragment() {
        assert_eq!(parse("f_cap1-inicio"), Some(DeepLink::Fragment("cap1-inicio".to_owned())));
        assert_eq!(start_payload("/start f_cap1"), Some("f_cap1"));
        assert_eq!(start_payload("/start"), None);
        assert_eq!(start_payload("/start a b"), None);
    }

    #[test]
    fn a_referral_link_carries_its_code() {
        assert_eq!(parse("r_1a2b-00ff"), Some(DeepLink::Referral("1a2b-00ff".to_owned())));
        assert_eq!(parse("r_"), None);
        assert_eq!(parse(&referral_payload("x-1")), Some(DeepLink::Referral("x-1".to_owned())));
    }

    #[test]
    fn malformed_or_unknown_payloads_are_no_link() {
        for payload in
            ["", "f_", "f_Mayus", "x_cap1", "cap1", "f_a b", "f_ñ", "f_a.b", &format!("f_{}", "a".repeat(33))]
        {
            assert_eq!(parse(payload), None, "{payload:?}");
        }
        assert!(!is_valid_payload(&"a".repeat(65)));
    }

    proptest! {
        #[test]
        fn every_fragment_id_round_trips_through_a_valid_payload(id in "[a-z0-9_-]{1,32}") {
            let payload = fragment_payload(&id);
            prop_assert!(is_valid_payload(&payload));
            prop_assert!(payload.len() <= MAX_PAYLOAD_LEN);
            prop_assert_eq!(parse(&payload), Some(DeepLink::Fragment(id)));
        }

        #[test]
        fn anything_parsed_is_a_valid_payload_of_a_valid_id(payload in "\\PC{0,80}") {
            if let Some(DeepLink::Fragment(id)) = parse(&payload) {
                prop_assert!(is_valid_payload(&payload));
                prop_assert!(is_valid_id(&id));
                prop_assert_eq!(fragment_payload(&id), payload);
            }
        }

        #[test]
        fn payloads_outside_the_charset_or_too_long_are_refused(payload in "[A-Za-z0-9_-]{65,80}|.*[^A-Za-z0-9_-].*") {
            prop_assert!(!is_valid_payload(&payload));
            prop_assert_eq!(parse(&payload), None);
        }
    }
}
