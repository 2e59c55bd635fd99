//! Who a registered player is.

use serde::{Deserialize, Serialize};

use crate::ids::Language;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub first_name: String,
    pub username: Option<String>,
    pub language: Language,
    /// Unix seconds.
    pub registered_at: i64,
    /// Opted out of broadcasts (`/noticias off`). Stored in the `users` row
    /// with the rest of the profile, where the broadcaster's query filters
    /// on it.
    #[serde(default)]
    pub broadcasts_opt_out: bool,
}
