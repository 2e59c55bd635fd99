//! The besitos economy, from the ledger (every movement has a reason):
//! supply and inflation per day, faucets and sinks per reason per day, and
//! the top holders.
//!
//! Minted and burned count only movements against the system (faucets and
//! sinks: `system:` counter-accounts); gifts and auction escrow move
//! besitos between players and do not. Supply is what players hold: the
//! sum of every ledger entry (besitos held in escrow or in flight are out
//! of it until they come back).

use std::collections::BTreeMap;

use super::{ColumnKind::*, DAY, Period, Report, ReportError, Value, column};
use crate::Store;
use crate::store::on_both;

/// Holders listed.
pub const TOP_HOLDERS: i64 = 20;

pub(super) async fn supply(store: &Store, period: Period) -> Result<Report, ReportError> {
    let before = "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM ledger WHERE created_at < $1";
    let per_day = format!(
        "SELECT created_at / {DAY} AS day,
                CAST(SUM(CASE WHEN amount > 0 AND counter_account LIKE 'system:%' THEN amount ELSE 0 END) AS BIGINT),
                CAST(SUM(CASE WHEN amount < 0 AND counter_account LIKE 'system:%' THEN -amount ELSE 0 END) AS BIGINT),
                CAST(SUM(amount) AS BIGINT)
         FROM ledger WHERE created_at >= $1 AND created_at < $2 GROUP BY created_at / {DAY}"
    );
    let (mut supply,): (i64,) =
        on_both!(store, |pool| sqlx::query_as(before).bind(period.since).fetch_one(pool).await?);
    let days: Vec<(i64, i64, i64, i64)> = on_both!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(per_day))
        .bind(period.since)
        .bind(period.until)
        .fetch_all(pool)
        .await?);
    let days: BTreeMap<i64, (i64, i64, i64)> =
        days.into_iter().map(|(day, minted, burned, net)| (day, (minted, burned, net))).collect();
    let mut report = Report::new(
        "economy",
        &[
            column("day", Date),
            column("minted", Int),
            column("burned", Int),
            column("net", Int),
            column("supply", Int),
            column("inflation", Percent),
        ],
    );
    for day in period.first_day()..=period.last_day() {
        let (minted, burned, net) = days.get(&day).copied().unwrap_or_default();
        let inflation = Value::percent(net, supply);
        supply += net;
        report.rows.push(vec![
            Value::Int(day),
            Value::Int(minted),
            Value::Int(burned),
            Value::Int(net),
            Value::Int(supply),
            inflation,
        ]);
    }
    Ok(report)
}

pub(super) async fn faucets(store: &Store, period: Period) -> Result<Report, ReportError> {
    let sql = format!(
        "SELECT created_at / {DAY} AS day, reason,
                CAST(SUM(CASE WHEN amount > 0 THEN amount ELSE 0 END) AS BIGINT),
                CAST(SUM(CASE WHEN amount < 0 THEN -amount ELSE 0 END) AS BIGINT)
         FROM ledger WHERE created_at >= $1 AND created_at < $2
         GROUP BY created_at / {DAY}, reason ORDER BY day, reason"
    );
    let rows: Vec<(i64, String, i64, i64)> = on_both!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(period.since)
        .bind(period.until)
        .fetch_all(pool)
        .await?);
    let mut report = Report::new(
        "faucets",
        &[column("day", Date), column("reason", Text), column("credited", Int), column("debited", Int)],
    );
    report.rows = rows
        .into_iter()
        .map(|(day, reason, credited, debited)| {
            vec![Value::Int(day), Value::Text(reason), Value::Int(credited), Value::Int(debited)]
        })
        .collect();
    Ok(report)
}

/// The richest players now, with their share of the supply.
pub(super) async fn holders(store: &Store) -> Result<Report, ReportError> {
    let total = "SELECT CAST(COALESCE(SUM(besitos), 0) AS BIGINT) FROM balances";
    let top = "SELECT user_id, besitos FROM balances ORDER BY besitos DESC, user_id LIMIT $1";
    let (total,): (i64,) = on_both!(store, |pool| sqlx::query_as(total).fetch_one(pool).await?);
    let holders: Vec<(i64, i64)> =
        on_both!(store, |pool| sqlx::query_as(top).bind(TOP_HOLDERS).fetch_all(pool).await?);
    let mut report = Report::new(
        "holders",
        &[column("rank", Int), column("player", Int), column("besitos", Int), column("share", Percent)],
    );
    for (rank, (player, besitos)) in holders.into_iter().enumerate() {
        let row =
            vec![Value::Int(rank as i64 + 1), Value::Int(player), Value::Int(besitos), Value::percent(besitos, total)];
        report.rows.push(row);
    }
    Ok(report)
}
