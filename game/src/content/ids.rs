//! Identifiers of content entities.
//!
//! Each kind of entity has its own newtype so a fragment id cannot be passed
//! where an item id is expected. Ids travel inside Telegram callback data
//! (at most 64 bytes, shared with a signature), which is why the reader
//! holds them to a short, plain alphabet: see [`is_valid_id`].

use std::borrow::Borrow;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::ItemId;

/// The longest id the reader accepts, in bytes.
pub const MAX_ID_LEN: usize = 32;

/// Whether `id` is a well-formed content id: 1 to [`MAX_ID_LEN`] bytes of
/// lowercase ASCII letters, digits, `_` or `-`. Plain ids keep callback data
/// short and file names, logs and analytics free of quoting problems.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

macro_rules! content_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub struct $name(pub String);

        impl $name {
            pub fn new(id: impl Into<String>) -> $name {
                $name(id.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> $name {
                $name(id)
            }
        }

        /// Lets maps keyed by this id be queried with a plain `&str`.
        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
    };
}

content_id!(
    /// A story fragment, unique across all levels (e.g. `"l1_umbral"`).
    FragmentId
);
content_id!(
    /// A decision, unique within its fragment (e.g. `"entrar"`).
    DecisionId
);
content_id!(
    /// A story flag a decision sets and requirements test.
    FlagName
);
content_id!(
    /// An achievement of `achievements.toml`.
    AchievementId
);
content_id!(
    /// A mission of `missions.toml`.
    MissionId
);
content_id!(
    /// An entry of the shop catalogue (`shop.toml`); what it grants is
    /// described by its rewards, usually items.
    ShopItemId
);
content_id!(
    /// A shelf of the shop (`[[category]]` of `shop.toml`).
    CategoryId
);
content_id!(
    /// An experience of `experiences.toml`.
    ExperienceId
);
content_id!(
    /// A component of an experience, unique within that experience.
    ComponentId
);
content_id!(
    /// An operator role of `roles.toml` (e.g. `"support"`).
    RoleId
);
content_id!(
    /// A lore piece of `lore.toml` (a "pista" kept in the backpack).
    LoreId
);
content_id!(
    /// A recipe of `lore.toml`: pieces that, combined, reveal a secret.
    RecipeId
);
content_id!(
    /// A secret code of `lore.toml`, by its id (never its text).
    CodeId
);

impl From<String> for ItemId {
    fn from(id: String) -> ItemId {
        ItemId(id)
    }
}

/// Same convenience for the crate's existing item id.
impl Borrow<str> for ItemId {
    fn borrow(&self) -> &str {
        &self.0
    }
}
