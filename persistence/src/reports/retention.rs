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
    let returned = |n: i64| format!("MAX(CASE WHEN e.at / {DAY} = r.at / {DAY} + {n} THEN 1 ELSE 0 END)");
    let [d1, d7, d30] = DAYS_AFTER;
    // Per registration day: the players, and how many came back on each
    // day after. Only the events of those days are joined (not the 30 days
    // between), and players are summed here rather than sent one by one.
    let sql = format!(
        "SELECT day, COUNT(*), CAST(SUM(d1) AS BIGINT), CAST(SUM(d7) AS BIGINT), CAST(SUM(d30) AS BIGINT) FROM (
             SELECT r.at / {DAY} AS day, {} AS d1, {} AS d7, {} AS d30
             FROM analytics_events r
             LEFT JOIN analytics_events e ON e.user_id = r.user_id AND {}
                 AND e.at / {DAY} - r.at / {DAY} IN ({d1}, {d7}, {d30}) AND e.at >= $1 AND e.at < $2
             WHERE r.kind = '{}' AND r.at >= $1 AND r.at < $2
             GROUP BY r.user_id, r.at
         ) AS players GROUP BY day",
        returned(d1),
        returned(d7),
        returned(d30),
        not_passive("e.kind"),
        kinds::REGISTERED,
    );
    let days: Vec<(i64, i64, i64, i64, i64)> = on_both!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(period.since)
        .bind(period.until)
        .fetch_all(pool)
        .await?);
    // Week -> (players, [(returned, measurable); 3]).
    let mut weeks: BTreeMap<i64, (i64, [(i64, i64); 3])> = BTreeMap::new();
    for (day, players, d1, d7, d30) in days {
        let week = weeks.entry(week_start(day)).or_default();
        week.0 += players;
        for (i, came_back) in [d1, d7, d30].into_iter().enumerate() {
            // Day n after registration has ended before the period's end.
            if (day + DAYS_AFTER[i] + 1) * DAY <= period.until {
                week.1[i].0 += came_back;
                week.1[i].1 += players;
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
