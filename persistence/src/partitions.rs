//! The monthly partitions of `analytics_events` (Postgres), created ahead of
//! the months that will need them. A month without its partition is not an
//! error (its rows land in the DEFAULT partition); creating it later moves
//! them in.

use chrono::{Datelike, NaiveDate};
use sqlx::PgPool;

use crate::StoreError;

/// Months created ahead of the current one.
pub const MONTHS_AHEAD: u32 = 3;

/// `(name, first second, first second of the next month)` of the month
/// `offset` months after the one holding `now`.
fn month(now: i64, offset: u32) -> Option<(String, i64, i64)> {
    let today = chrono::DateTime::from_timestamp(now, 0)?.date_naive();
    let index = today.year() * 12 + today.month0() as i32 + offset as i32;
    let start = |index: i32| NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1);
    let seconds = |date: NaiveDate| date.and_hms_opt(0, 0, 0).map(|time| time.and_utc().timestamp());
    let (first, next) = (start(index)?, start(index + 1)?);
    let name = format!("analytics_events_{:04}{:02}", first.year(), first.month());
    Some((name, seconds(first)?, seconds(next)?))
}

/// Creates the partitions of the month of `now` and the [`MONTHS_AHEAD`]
/// after it that do not exist yet, each in one transaction that moves in
/// the rows the DEFAULT partition holds for it. Returns those created.
pub(crate) async fn ensure(pool: &PgPool, now: i64) -> Result<Vec<String>, StoreError> {
    let mut created = Vec::new();
    for offset in 0..=MONTHS_AHEAD {
        let Some((name, from, to)) = month(now, offset) else { continue };
        let mut tx = pool.begin().await?;
        // One creator at a time; writers wait for the attach only.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('analytics_events partitions'))").execute(&mut *tx).await?;
        let exists: Option<String> =
            sqlx::query_scalar("SELECT to_regclass($1)::text").bind(&name).fetch_one(&mut *tx).await?;
        if exists.is_some() {
            continue;
        }
        // The name comes from `month` (digits only): safe to splice.
        let statements = [
            format!("CREATE TABLE {name} (LIKE analytics_events INCLUDING DEFAULTS)"),
            format!(
                "WITH moved AS (DELETE FROM analytics_events_default WHERE at >= {from} AND at < {to} RETURNING *)
                 INSERT INTO {name} SELECT * FROM moved"
            ),
            format!("ALTER TABLE analytics_events ATTACH PARTITION {name} FOR VALUES FROM ({from}) TO ({to})"),
        ];
        for statement in statements {
            sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        created.push(name);
    }
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_roll_over_the_year() {
        // 2026-11-30.
        let now = 1_796_000_000;
        assert_eq!(month(now, 0).map(|m| m.0), Some("analytics_events_202611".to_owned()));
        let (name, from, to) = month(now, 2).unwrap_or_default();
        assert_eq!(name, "analytics_events_202701");
        assert_eq!((from, to - from), (1_798_761_600, 31 * 86_400));
    }
}
