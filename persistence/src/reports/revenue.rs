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
    let sums = format!(
        "CAST(COALESCE(SUM(CASE WHEN kind IN ({paid}) THEN amount ELSE 0 END), 0) AS BIGINT),
         CAST(COALESCE(SUM(CASE WHEN kind = '{refunded}' THEN amount ELSE 0 END), 0) AS BIGINT)"
    );
    let in_period = format!(
        "SELECT {sums},
                COUNT(DISTINCT CASE WHEN {} THEN user_id END),
                COUNT(DISTINCT CASE WHEN kind IN ({paid}) THEN user_id END)
         FROM analytics_events WHERE at >= $1 AND at < $2",
        not_passive("kind")
    );
    let lifetime = format!(
        "SELECT {sums}, COUNT(DISTINCT CASE WHEN kind = '{}' THEN user_id END)
         FROM analytics_events WHERE at < $1",
        kinds::REGISTERED
    );
    let (stars, refunds, active, paying): (i64, i64, i64, i64) =
        on_both!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(in_period))
            .bind(period.since)
            .bind(period.until)
            .fetch_one(pool)
            .await?);
    let (ever_paid, ever_refunded, registered): (i64, i64, i64) =
        on_both!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(lifetime))
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
