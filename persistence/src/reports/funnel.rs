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
    let names = |kinds: &[&str]| kinds.iter().map(|kind| format!("'{kind}'")).collect::<Vec<_>>().join(", ");
    let count = |kinds: &[&str]| format!("SUM(CASE WHEN kind IN ({}) THEN 1 ELSE 0 END)", names(kinds));
    let players =
        |condition: &str| format!("CAST(COALESCE(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END), 0) AS BIGINT)");
    let (decision, reactions) = (&[kinds::DECISION], &[kinds::REACTION_POST, kinds::REACTION_FRAGMENT]);
    let (purchases, vip) =
        (&[kinds::PURCHASE_COMPLETED, kinds::STARS_PAID, kinds::VIP_ACTIVATED], &[kinds::VIP_ACTIVATED]);
    // One pass over the events of the kinds the stages read, per player;
    // the players registered in the period are kept.
    let sql = format!(
        "SELECT COUNT(*), {}, {}, {} FROM (
             SELECT {} AS decisions, {} AS reactions, {} AS purchases, {} AS vip,
                    MAX(CASE WHEN kind = '{registered}' AND at >= $1 THEN 1 ELSE 0 END) AS registered
             FROM analytics_events WHERE at < $2 AND kind IN ('{registered}', {}, {}, {})
             GROUP BY user_id
         ) AS players WHERE registered = 1",
        players(&format!("decisions >= {ENGAGED_DECISIONS} OR (decisions > 0 AND reactions > 0)")),
        players("purchases > 0"),
        players("vip > 0"),
        count(decision),
        count(reactions),
        count(purchases),
        count(vip),
        names(decision),
        names(reactions),
        names(purchases),
        registered = kinds::REGISTERED,
    );
    let (registered, engaged, purchaser, vip): (i64, i64, i64, i64) =
        on_both!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(period.since)
            .bind(period.until)
            .fetch_one(pool)
            .await?);
    let stages = [registered, engaged, purchaser, vip];
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
