//! Retention: of the players who registered in a week (weeks start on
//! Monday, UTC), the share active again exactly 1, 7 and 30 days after
//! their registration day. A cohort member too recent to have lived that
//! day by the period's end is not counted (the cell is empty when none is).

use std::collections::BTreeMap;

use super::{ColumnKind::*, DAY, Period, Report, ReportError, Value, column, not_passive};
use crate::Store;
use crate::analytics::kinds;
use crate::store::on_both;

const DAYS_AFTER: [i64; 3] = [1, 7, 30];

/// Monday of the week of `day` (1970-01-01 was a Thursday).
fn week_start(day: i64) -> i64 {
    (day + 3).div_euclid(7) * 7 - 3
}

pub(super) async fn report(store: &Store, period: Period) -> Result<Report, ReportError> {
    let returned =
        |n: i64| format!("CAST(MAX(CASE WHEN e.at / {DAY} = r.at / {DAY} + {n} THEN 1 ELSE 0 END) AS BIGINT)");
    let sql = format!(
        "SELECT r.at / {DAY} AS day, {}, {}, {}
         FROM analytics_events r
         LEFT JOIN analytics_events e ON e.user_id = r.user_id AND {}
             AND e.at >= (r.at / {DAY} + 1) * {DAY} AND e.at < (r.at / {DAY} + 31) * {DAY} AND e.at < $2
         WHERE r.kind = '{}' AND r.at >= $1 AND r.at < $2
         GROUP BY r.user_id, r.at",
        returned(DAYS_AFTER[0]),
        returned(DAYS_AFTER[1]),
        returned(DAYS_AFTER[2]),
        not_passive("e.kind"),
        kinds::REGISTERED,
    );
    let players: Vec<(i64, i64, i64, i64)> = on_both!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(period.since)
        .bind(period.until)
        .fetch_all(pool)
        .await?);
    // Week -> (players, [(returned, measurable); 3]).
    let mut weeks: BTreeMap<i64, (i64, [(i64, i64); 3])> = BTreeMap::new();
    for (day, d1, d7, d30) in players {
        let week = weeks.entry(week_start(day)).or_default();
        week.0 += 1;
        for (i, came_back) in [d1, d7, d30].into_iter().enumerate() {
            // Day n after registration has ended before the period's end.
            if (day + DAYS_AFTER[i] + 1) * DAY <= period.until {
                week.1[i].0 += came_back;
                week.1[i].1 += 1;
            }
        }
    }
    let mut report = Report::new(
        "retention",
        &[
            column("week", Date),
            column("players", Int),
            column("d1", Percent),
            column("d7", Percent),
            column("d30", Percent),
        ],
    );
    for (week, (players, rates)) in weeks {
        let mut row = vec![Value::Int(week), Value::Int(players)];
        row.extend(rates.iter().map(|&(came_back, measurable)| Value::percent(came_back, measurable)));
        report.rows.push(row);
    }
    Ok(report)
}
