//! The funnel of the players registered in the period: registered →
//! engaged → purchaser → VIP, each stage counted on its own (by the
//! period's end) with its rate of the stage before and of registration.
//!
//! - engaged: took [`ENGAGED_DECISIONS`] story decisions, or one decision
//!   and a paid reaction;
//! - purchaser: completed a purchase (besitos or Stars) or paid VIP;
//! - VIP: paid a VIP membership (a trial or a grant is no conversion).

use super::{ColumnKind::*, Period, Report, ReportError, Value, column};
use crate::Store;
use crate::analytics::kinds;
use crate::store::on_both;

pub const ENGAGED_DECISIONS: i64 = 3;

pub(super) async fn report(store: &Store, period: Period) -> Result<Report, ReportError> {
    let count = |kinds: &[&str]| {
        let names: Vec<String> = kinds.iter().map(|kind| format!("'{kind}'")).collect();
        format!("CAST(COALESCE(SUM(CASE WHEN e.kind IN ({}) THEN 1 ELSE 0 END), 0) AS BIGINT)", names.join(", "))
    };
    let sql = format!(
        "SELECT {}, {}, {}, {}
         FROM analytics_events r
         LEFT JOIN analytics_events e ON e.user_id = r.user_id AND e.at < $2
         WHERE r.kind = '{}' AND r.at >= $1 AND r.at < $2
         GROUP BY r.user_id",
        count(&[kinds::DECISION]),
        count(&[kinds::REACTION_POST, kinds::REACTION_FRAGMENT]),
        count(&[kinds::PURCHASE_COMPLETED, kinds::STARS_PAID, kinds::VIP_ACTIVATED]),
        count(&[kinds::VIP_ACTIVATED]),
        kinds::REGISTERED,
    );
    let players: Vec<(i64, i64, i64, i64)> = on_both!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(period.since)
        .bind(period.until)
        .fetch_all(pool)
        .await?);
    let mut stages = [0i64; 4];
    for (decisions, reactions, purchases, vip) in players {
        let engaged = decisions >= ENGAGED_DECISIONS || (decisions > 0 && reactions > 0);
        for (stage, reached) in stages.iter_mut().zip([true, engaged, purchases > 0, vip > 0]) {
            *stage += i64::from(reached);
        }
    }
    let mut report = Report::new(
        "funnel",
        &[
            column("stage", Text),
            column("players", Int),
            column("of_previous", Percent),
            column("of_registered", Percent),
        ],
    );
    for (i, name) in ["registered", "engaged", "purchaser", "vip"].into_iter().enumerate() {
        let previous = stages[i.saturating_sub(1)];
        report.rows.push(vec![
            Value::Text(name.to_owned()),
            Value::Int(stages[i]),
            Value::percent(stages[i], previous),
            Value::percent(stages[i], stages[0]),
        ]);
    }
    Ok(report)
}
