//! Engagement per channel post published in the period, newest first.

use super::{ColumnKind::*, DAY, Period, Report, ReportError, Value, column};
use crate::Store;
use crate::store::on_both;

pub(super) async fn report(store: &Store, period: Period) -> Result<Report, ReportError> {
    let sql = "SELECT p.published_at, p.chat_id, CAST(p.message_id AS BIGINT), p.target, p.excerpt,
                      COUNT(r.user_id), COUNT(DISTINCT r.user_id), CAST(COALESCE(SUM(r.besitos), 0) AS BIGINT)
               FROM posts p LEFT JOIN reactions r ON r.chat_id = p.chat_id AND r.message_id = p.message_id
               WHERE p.published_at >= $1 AND p.published_at < $2
               GROUP BY p.chat_id, p.message_id, p.target, p.published_at, p.excerpt
               ORDER BY p.published_at DESC, p.message_id DESC";
    type Row = (i64, i64, i64, String, String, i64, i64, i64);
    let posts: Vec<Row> =
        on_both!(store, |pool| sqlx::query_as(sql).bind(period.since).bind(period.until).fetch_all(pool).await?);
    let mut report = Report::new(
        "posts",
        &[
            column("day", Date),
            column("chat", Int),
            column("message", Int),
            column("target", Text),
            column("excerpt", Text),
            column("reactions", Int),
            column("reactors", Int),
            column("besitos", Int),
        ],
    );
    for (at, chat, message, target, excerpt, reactions, reactors, besitos) in posts {
        report.rows.push(vec![
            Value::Int(at.div_euclid(DAY)),
            Value::Int(chat),
            Value::Int(message),
            Value::Text(target),
            Value::Text(excerpt),
            Value::Int(reactions),
            Value::Int(reactors),
            Value::Int(besitos),
        ]);
    }
    Ok(report)
}
