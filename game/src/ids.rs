//! Domain newtypes: a value of these types is valid by construction.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A Telegram user id; the identity of a user actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct UserId(pub i64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A Telegram update as deduplication knows it: its `update_id` and a
/// digest of what identifies its content (message id and date, callback
/// query id, …).
///
/// The `update_id` alone is no identity: Telegram starts the sequence again
/// (a new bot token, a week without updates, an emulator restarted against
/// a kept database). A re-delivery is byte-identical, so it has the same
/// digest; an update of a restarted sequence does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct UpdateId {
    pub id: i64,
    pub digest: u32,
}

impl UpdateId {
    pub fn new(id: i64, digest: u32) -> UpdateId {
        UpdateId { id, digest }
    }

    /// The update in one word: exact for Telegram's ids, which fit in 32
    /// bits, so two updates that differ in id or digest never share one.
    pub fn fingerprint(self) -> u64 {
        ((self.id as u64) << 32) | u64::from(self.digest)
    }
}

impl fmt::Display for UpdateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{:08x}", self.id, self.digest)
    }
}

/// An item of the catalogue, by its content id (e.g. `"rosa_negra"`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ItemId(pub String);

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The languages the bot speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Language {
    #[default]
    Es,
    En,
}

impl Language {
    /// Maps a Telegram `language_code` (IETF tag such as `en-US`) to the
    /// closest language we speak; Spanish is the house default.
    pub fn from_code(code: Option<&str>) -> Language {
        match code {
            Some(code) if code.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("en")) => Language::En,
            _ => Language::Es,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Language::Es => "es",
            Language::En => "en",
        }
    }
}

/// A post in a channel: (chat id, message id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PostRef {
    pub chat_id: i64,
    pub message_id: i32,
}
