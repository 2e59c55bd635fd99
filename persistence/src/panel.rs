//! One-time login links to the operators' web dashboard (`panel_links`):
//! made by an operator's `/panel`, consumed once by opening the link.
//! The store sees only the token's hash.

use dianabot_game::{Language, UserId};

use crate::StoreError;
use crate::store::{Store, on_both};

/// How long a used or expired link's row is kept before it is pruned.
const KEEP_SECS: i64 = 86_400;

/// Who a consumed link logs in, and in which language they read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PanelLogin {
    pub operator: UserId,
    pub language: Language,
}

impl Store {
    /// Stores a new link (by its token's hash) for `login`, usable until
    /// `expires_at`; prunes the rows of links long dead.
    pub async fn insert_panel_link(
        &self,
        token_hash: &str,
        login: PanelLogin,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let prune = "DELETE FROM panel_links WHERE expires_at < $1";
        let insert = "INSERT INTO panel_links (token_hash, operator_id, language, created_at, expires_at)
                      VALUES ($1, $2, $3, $4, $5)";
        on_both!(self, |pool| {
            sqlx::query(prune).bind(now - KEEP_SECS).execute(pool).await?;
            sqlx::query(insert)
                .bind(token_hash)
                .bind(login.operator.0)
                .bind(login.language.code())
                .bind(now)
                .bind(expires_at)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Consumes the link whose token hashes to `token_hash`: its login if
    /// it was unused and unexpired at `now`, else `None`. One statement
    /// checks and marks it used, so of two concurrent clicks one wins.
    pub async fn consume_panel_link(&self, token_hash: &str, now: i64) -> Result<Option<PanelLogin>, StoreError> {
        let sql = "UPDATE panel_links SET used_at = $2
                   WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
                   RETURNING operator_id, language";
        let row: Option<(i64, String)> =
            on_both!(self, |pool| sqlx::query_as(sql).bind(token_hash).bind(now).fetch_optional(pool).await?);
        Ok(row.map(|(operator, language)| PanelLogin {
            operator: UserId(operator),
            language: Language::from_code(Some(&language)),
        }))
    }
}
