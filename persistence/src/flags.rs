//! Operators' live changes of feature flags' rollouts (`flag_overrides`),
//! written through by the binary's live flags before the change is
//! applied, read once at startup.

use dianabot_game::UserId;
use dianabot_game::flags::FlagOverride;

use crate::StoreError;
use crate::store::{Store, on_both};

impl Store {
    /// Every flag override, by flag name.
    pub async fn flag_overrides(&self) -> Result<Vec<FlagOverride>, StoreError> {
        let sql = "SELECT flag_name, rollout, set_by, set_at FROM flag_overrides ORDER BY flag_name";
        let rows: Vec<(String, i64, i64, i64)> = on_both!(self, |pool| sqlx::query_as(sql).fetch_all(pool).await?);
        rows.into_iter()
            .map(|(flag, rollout, set_by, set_at)| {
                let rollout = u32::try_from(rollout)
                    .map_err(|_| StoreError::Corrupt(format!("flag_overrides {flag:?} rollout {rollout}")))?;
                Ok(FlagOverride { flag, rollout, set_by: UserId(set_by), set_at })
            })
            .collect()
    }

    /// Sets a flag's override, replacing the one it had.
    pub async fn put_flag_override(&self, change: &FlagOverride) -> Result<(), StoreError> {
        let sql = "INSERT INTO flag_overrides (flag_name, rollout, set_by, set_at) VALUES ($1, $2, $3, $4)
                   ON CONFLICT (flag_name) DO UPDATE SET rollout = excluded.rollout, set_by = excluded.set_by,
                       set_at = excluded.set_at";
        let _rows = on_both!(self, |pool| sqlx::query(sql)
            .bind(&change.flag)
            .bind(i64::from(change.rollout))
            .bind(change.set_by.0)
            .bind(change.set_at)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Removes a flag's override; `false` if it had none.
    pub async fn delete_flag_override(&self, flag: &str) -> Result<bool, StoreError> {
        let sql = "DELETE FROM flag_overrides WHERE flag_name = $1";
        let done = on_both!(self, |pool| sqlx::query(sql).bind(flag).execute(pool).await?.rows_affected());
        Ok(done == 1)
    }
}
