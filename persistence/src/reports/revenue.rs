//! Revenue in Stars: what was paid in the period (shop items and VIP, net
//! of refunds); ARPU over the players active in the period, ARPPU over
//! those who paid; LTV: every Star ever paid, net, per player ever
//! registered, by the period's end.

use super::{ColumnKind::*, Period, Report, ReportError, Value, column, not_passive};
use crate::Store;
use crate::analytics::kinds;
use crate::store::on_both;

const PAID: [&str; 3] = [kinds::STARS_PAID, kinds::VIP_ACTIVATED, kinds::VIP_RENEWED];

pub(super) async fn report(store: &Store, period: Period) -> Result<Report, ReportError> {
    let paid: Vec<String> = PAID.iter().map(|kind| format!("'{kind}'")).collect();
    let paid = paid.join(", ");
    let refunded = kinds::STARS_REFUNDED;
    let sum =
        |condition: &str| format!("CAST(COALESCE(SUM(CASE WHEN {condition} THEN amount ELSE 0 END), 0) AS BIGINT)");
    // The Stars rows are few (read by kind); the active and the registered
    // players are counted by grouping rather than `COUNT(DISTINCT)` over
    // every event, which Postgres would sort in one process.
    let sql = format!(
        "SELECT {}, {}, {}, {},
                (SELECT COUNT(*) FROM (SELECT user_id FROM analytics_events
                     WHERE at >= $1 AND at < $2 AND {} GROUP BY user_id) AS active),
                COUNT(DISTINCT CASE WHEN at >= $1 AND kind IN ({paid}) THEN user_id END),
                (SELECT COUNT(*) FROM (SELECT user_id FROM analytics_events
                     WHERE kind = '{}' AND at < $2 GROUP BY user_id) AS registered)
         FROM analytics_events WHERE kind IN ({paid}, '{refunded}') AND at < $2",
        sum(&format!("at >= $1 AND kind IN ({paid})")),
        sum(&format!("at >= $1 AND kind = '{refunded}'")),
        sum(&format!("kind IN ({paid})")),
        sum(&format!("kind = '{refunded}'")),
        not_passive("kind"),
        kinds::REGISTERED,
    );
    let (stars, refunds, ever_paid, ever_refunded, active, paying, registered): (i64, i64, i64, i64, i64, i64, i64) =
        on_both!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(period.since)
            .bind(period.until)
            .fetch_one(pool)
            .await?);
    let net = stars - refunds;
    let per = |amount: i64, players: i64| {
        if players == 0 { Value::Null } else { Value::Real(amount as f64 / players as f64) }
    };
    let mut report = Report::new("revenue", &[column("metric", Text), column("value", Real)]);
    let metrics = [
        ("stars_paid", Value::Int(stars)),
        ("stars_refunded", Value::Int(refunds)),
        ("stars_net", Value::Int(net)),
        ("active_players", Value::Int(active)),
        ("paying_players", Value::Int(paying)),
        ("arpu", per(net, active)),
        ("arppu", per(net, paying)),
        ("registered_players", Value::Int(registered)),
        ("ltv", per(ever_paid - ever_refunded, registered)),
    ];
    for (metric, value) in metrics {
        report.rows.push(vec![Value::Text(metric.to_owned()), value]);
    }
    Ok(report)
}
