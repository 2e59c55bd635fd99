//! DAU/WAU/MAU: players who did anything (a non-passive event) on the day,
//! in the 7 days, in the 30 days ending that day.

use super::{ColumnKind::*, DAY, Period, Report, ReportError, Value, column, not_passive};
use crate::Store;
use crate::store::on_both;

const WINDOWS: [i64; 3] = [1, 7, 30];

pub(super) async fn report(store: &Store, period: Period) -> Result<Report, ReportError> {
    let sql = format!(
        "SELECT DISTINCT user_id, at / {DAY} AS day FROM analytics_events
         WHERE at >= $1 AND at < $2 AND {} ORDER BY user_id, day",
        not_passive("kind")
    );
    let first = period.first_day();
    let since = (first - WINDOWS[2] + 1) * DAY;
    let active: Vec<(i64, i64)> = on_both!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(since)
        .bind(period.until)
        .fetch_all(pool)
        .await?);
    let days = usize::try_from(period.last_day() - first + 1).unwrap_or(0);
    // counts[w][d]: players active in window w ending on day first + d.
    let mut counts = [vec![0i64; days], vec![0i64; days], vec![0i64; days]];
    // Per player (rows come sorted by player, then day), each window day
    // is counted once: the days already covered are skipped.
    let mut covered = [i64::MIN; 3];
    let mut player = None;
    for (user, day) in active {
        if player != Some(user) {
            player = Some(user);
            covered = [i64::MIN; 3];
        }
        for (window, width) in WINDOWS.iter().enumerate() {
            let from = day.max(covered[window].saturating_add(1)).max(first);
            let to = (day + width - 1).min(first + days as i64 - 1);
            for d in from..=to {
                counts[window][(d - first) as usize] += 1;
            }
            covered[window] = covered[window].max(day + width - 1);
        }
    }
    let mut report =
        Report::new("activity", &[column("day", Date), column("dau", Int), column("wau", Int), column("mau", Int)]);
    let [dau, wau, mau] = counts;
    for (d, ((dau, wau), mau)) in dau.into_iter().zip(wau).zip(mau).enumerate() {
        report.rows.push(vec![Value::Int(first + d as i64), Value::Int(dau), Value::Int(wau), Value::Int(mau)]);
    }
    Ok(report)
}
