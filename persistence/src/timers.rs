//! The `timers` table: durable timers by owner, polled by the runtime's
//! timer service. A user's timers change with that user's writes
//! ([`UserWrite::timers`](crate::UserWrite)); other owners' are written
//! through here.

use crate::StoreError;
use crate::store::{Store, on_both};

/// The owner kind of a user's timers.
pub const USER_TIMERS: &str = "user";

/// A row of `timers`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StoredTimer {
    /// What owns it: [`USER_TIMERS`], or another actor kind (`post`, …).
    pub owner_kind: String,
    pub owner_id: i64,
    /// The owner's name for it; an owner has one timer per name.
    pub name: String,
    /// Unix seconds.
    pub due: i64,
}

impl Store {
    /// The timers due at `now`, earliest first, at most `limit`, after
    /// `after` in that order (the last of the previous page), so a caller
    /// pages past timers it is still handling.
    pub async fn due_timers(
        &self,
        now: i64,
        after: Option<&StoredTimer>,
        limit: u32,
    ) -> Result<Vec<StoredTimer>, StoreError> {
        let sql = "SELECT owner_kind, owner_id, name, due_at FROM timers
                   WHERE due_at <= $1 AND (due_at, owner_kind, owner_id, name) > ($2, $3, $4, $5)
                   ORDER BY due_at, owner_kind, owner_id, name LIMIT $6";
        let (due, kind, owner, name) = match after {
            Some(after) => (after.due, after.owner_kind.as_str(), after.owner_id, after.name.as_str()),
            None => (i64::MIN, "", i64::MIN, ""),
        };
        let rows: Vec<(String, i64, String, i64)> = on_both!(self, |pool| sqlx::query_as(sql)
            .bind(now)
            .bind(due)
            .bind(kind)
            .bind(owner)
            .bind(name)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?);
        Ok(rows.into_iter().map(stored_timer).collect())
    }

    /// How many timers are due at `now`.
    pub async fn count_due_timers(&self, now: i64) -> Result<u64, StoreError> {
        let sql = "SELECT COUNT(*) FROM timers WHERE due_at <= $1";
        let count: i64 = on_both!(self, |pool| sqlx::query_scalar(sql).bind(now).fetch_one(pool).await?);
        Ok(u64::try_from(count).unwrap_or_default())
    }

    /// An owner's timers, earliest first.
    pub async fn timers_of(&self, owner_kind: &str, owner_id: i64) -> Result<Vec<StoredTimer>, StoreError> {
        let sql = "SELECT owner_kind, owner_id, name, due_at FROM timers WHERE owner_kind = $1 AND owner_id = $2
                   ORDER BY due_at, name";
        let rows: Vec<(String, i64, String, i64)> =
            on_both!(self, |pool| sqlx::query_as(sql).bind(owner_kind).bind(owner_id).fetch_all(pool).await?);
        Ok(rows.into_iter().map(stored_timer).collect())
    }

    /// Sets a timer of an owner that is not a user (written through), or
    /// moves it to a new due time.
    pub async fn set_timer(&self, timer: &StoredTimer) -> Result<(), StoreError> {
        let sql = "INSERT INTO timers (owner_kind, owner_id, name, due_at) VALUES ($1, $2, $3, $4)
                   ON CONFLICT (owner_kind, owner_id, name) DO UPDATE SET due_at = excluded.due_at";
        self.timer_statement(sql, timer).await.map(drop)
    }

    /// Inserts `timer` unless its owner already has a timer of that name
    /// (whatever its due time): a job that arms itself at every start.
    pub async fn ensure_timer(&self, timer: &StoredTimer) -> Result<(), StoreError> {
        let sql = "INSERT INTO timers (owner_kind, owner_id, name, due_at) VALUES ($1, $2, $3, $4)
                   ON CONFLICT (owner_kind, owner_id, name) DO NOTHING";
        self.timer_statement(sql, timer).await.map(drop)
    }

    /// Removes `timer` if it is still due at `timer.due` (one moved since
    /// stays); `true` if it was there.
    pub async fn clear_timer(&self, timer: &StoredTimer) -> Result<bool, StoreError> {
        let sql = "DELETE FROM timers WHERE owner_kind = $1 AND owner_id = $2 AND name = $3 AND due_at = $4";
        Ok(self.timer_statement(sql, timer).await? == 1)
    }

    /// Runs `sql` with `timer`'s owner kind, owner, name and due time as
    /// `$1`..`$4`; the rows it touched.
    async fn timer_statement(&self, sql: &'static str, timer: &StoredTimer) -> Result<u64, StoreError> {
        Ok(on_both!(self, |pool| sqlx::query(sql)
            .bind(&timer.owner_kind)
            .bind(timer.owner_id)
            .bind(&timer.name)
            .bind(timer.due)
            .execute(pool)
            .await?
            .rows_affected()))
    }
}

fn stored_timer((owner_kind, owner_id, name, due): (String, i64, String, i64)) -> StoredTimer {
    StoredTimer { owner_kind, owner_id, name, due }
}
