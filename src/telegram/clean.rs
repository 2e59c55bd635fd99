//! Text from Telegram as the store can hold it and a screen can show it.
//!
//! Telegram passes on whatever a client sent: a first name may hold U+0000,
//! which Postgres refuses in `text` (one such value used to stall every
//! user's writes), or control characters that garble a screen. Every string
//! that reaches a command, a store row or another player's screen is
//! cleaned here, at translation, and cut to Telegram's own limits.

use std::borrow::Cow;

/// Telegram's limits: a first name is at most 64 characters, a username 32,
/// a message or a post 4096.
pub const NAME_CHARS: usize = 64;
pub const USERNAME_CHARS: usize = 32;
pub const TEXT_CHARS: usize = 4096;

/// `text` without NUL and other control characters (newlines and tabs stay),
/// at most `max_chars` characters. Borrowed when there is nothing to clean,
/// which is nearly always.
pub fn clean(text: &str, max_chars: usize) -> Cow<'_, str> {
    let keep = |c: char| !c.is_control() || c == '\n' || c == '\t';
    let mut chars = text.char_indices();
    let end = chars.nth(max_chars).map_or(text.len(), |(at, _)| at);
    let cut = &text[..end];
    if cut.chars().all(keep) { Cow::Borrowed(cut) } else { Cow::Owned(cut.chars().filter(|&c| keep(c)).collect()) }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn nul_and_control_characters_go_newlines_stay() {
        assert_eq!(clean("An\0a\u{7}\n\tLópez", NAME_CHARS), "Ana\n\tLópez");
        assert!(matches!(clean("Ana", NAME_CHARS), Cow::Borrowed("Ana")));
    }

    #[test]
    fn text_is_cut_at_a_character_boundary() {
        assert_eq!(clean("ñandú", 3), "ñan");
        assert_eq!(clean(&"é".repeat(100_000), TEXT_CHARS).chars().count(), TEXT_CHARS);
    }

    proptest! {
        #[test]
        fn cleaned_text_holds_no_control_character_and_fits(text in any::<String>(), max in 0usize..50) {
            let cleaned = clean(&text, max);
            prop_assert!(cleaned.chars().count() <= max);
            prop_assert!(cleaned.chars().all(|c| !c.is_control() || c == '\n' || c == '\t'));
        }
    }
}
