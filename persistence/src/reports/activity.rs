//! DAU/WAU/MAU: players who did anything (a non-passive event) on the day,
//! in the 7 days, in the 30 days ending that day.

use super::{ColumnKind::*, DAY, Period, Report, ReportError, Value, column, not_passive};
use crate::Store;
use crate::store::on_both;

const WINDOWS: [i64; 3] = [1, 7, 30];

/// Days per bitmask: a player's active days come as one `BIGINT` per 64
/// days rather than one row per day (a tenth of the rows to move).
const CHUNK: i64 = 64;

pub(super) async fn report(store: &Store, period: Period) -> Result<Report, ReportError> {
    // Bit `d` of chunk `c` set: active on day `base + 64 c + d`. A sum of
    // distinct powers of two is their OR (SQLite has no `bit_or`).
    let mask = match store {
        Store::Postgres(_) => format!("bit_or(CAST(1 AS BIGINT) << CAST((at / {DAY} - $3) % {CHUNK} AS INTEGER))"),
        Store::Sqlite(_) => format!("SUM(DISTINCT 1 << ((at / {DAY} - $3) % {CHUNK}))"),
    };
    let sql = format!(
        "SELECT user_id, (at / {DAY} - $3) / {CHUNK} AS chunk, {mask} FROM analytics_events
         WHERE at >= $1 AND at < $2 AND {} GROUP BY user_id, chunk ORDER BY user_id, chunk",
        not_passive("kind")
    );
    let first = period.first_day();
    let base = first - WINDOWS[2] + 1;
    let masks: Vec<(i64, i64, i64)> = on_both!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(base * DAY)
        .bind(period.until)
        .bind(base)
        .fetch_all(pool)
        .await?);
    let active = masks.into_iter().flat_map(|(user, chunk, mask)| {
        let mut bits = mask as u64;
        std::iter::from_fn(move || {
            let bit = bits.trailing_zeros();
            (bits != 0).then(|| {
                bits &= bits - 1;
                (user, base + chunk * CHUNK + i64::from(bit))
            })
        })
    });
    let days = usize::try_from(period.last_day() - first + 1).unwrap_or(0);
    // counts[w][d]: players active in window w ending on day first + d.
    let mut counts = [vec![0i64; days], vec![0i64; days], vec![0i64; days]];
    // Per player (days come sorted by player, then day), each window day
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
