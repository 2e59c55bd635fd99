//! The story: where players stop (per fragment, biggest drop-off first),
//! which decisions they take from each fragment, and how many finish each
//! level.

use std::collections::{BTreeMap, BTreeSet};

use super::{ColumnKind::*, Period, Report, ReportError, Scope, Value, column};
use crate::Store;
use crate::analytics::kinds;
use crate::store::on_both;

/// `(user, subject)` of every row of `kind` in the period, each pair once.
async fn pairs(store: &Store, kind: &str, period: Period) -> Result<Vec<(i64, String)>, ReportError> {
    let sql = "SELECT DISTINCT user_id, subject FROM analytics_events WHERE kind = $1 AND at >= $2 AND at < $3";
    Ok(on_both!(store, |pool| sqlx::query_as(sql)
        .bind(kind)
        .bind(period.since)
        .bind(period.until)
        .fetch_all(pool)
        .await?))
}

/// A decision row's subject, `<from>/<to>`, split.
fn edge(subject: &str) -> Option<(&str, &str)> {
    subject.split_once('/')
}

/// Players per fragment among the rows of `kind` in the period, the
/// fragment being `fragment` (an expression of `subject`) of the rows
/// `only` keeps: counted in SQL rather than moving every (player,
/// fragment) pair.
async fn players_per(
    store: &Store,
    kind: &str,
    fragment: &str,
    only: &str,
    period: Period,
) -> Result<BTreeMap<String, i64>, ReportError> {
    let sql = format!(
        "SELECT fragment, COUNT(*) FROM (
             SELECT {fragment} AS fragment, user_id FROM analytics_events
             WHERE kind = $1 AND at >= $2 AND at < $3 AND {only} GROUP BY fragment, user_id
         ) AS pairs GROUP BY fragment"
    );
    let counts: Vec<(String, i64)> = on_both!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(kind)
        .bind(period.since)
        .bind(period.until)
        .fetch_all(pool)
        .await?);
    Ok(counts.into_iter().collect())
}

/// Per fragment: players who reached it, players who took a decision
/// from it, the rest (dropped there). Endings have no decision to take:
/// their drop-off is empty and they sort last.
pub(super) async fn drop_off(store: &Store, scope: &Scope) -> Result<Report, ReportError> {
    // A decision's subject is `<from>/<to>` ([`edge`]): the part before the
    // first `/`.
    let position = match store {
        Store::Postgres(_) => "strpos",
        Store::Sqlite(_) => "instr",
    };
    let from = format!("substr(subject, 1, {position}(subject, '/') - 1)");
    // Two scans of their own: on two connections at once.
    let (reached, continued) = tokio::try_join!(
        players_per(store, kinds::FRAGMENT_ENTERED, "subject", "TRUE", scope.period),
        players_per(store, kinds::DECISION, &from, "subject LIKE '%/%'", scope.period),
    )?;
    let mut rows: Vec<(Option<i64>, Vec<Value>)> = reached
        .iter()
        .map(|(fragment, &reached)| {
            let info = scope.fragments.get(fragment);
            let went_on = continued.get(fragment).copied().unwrap_or(0).min(reached);
            let ending = info.is_some_and(|info| info.ending);
            let dropped = (!ending).then_some(reached - went_on);
            let row = vec![
                Value::Text(fragment.clone()),
                info.map_or(Value::Null, |info| Value::Int(i64::from(info.level))),
                Value::Int(reached),
                Value::Int(went_on),
                dropped.map_or(Value::Null, Value::Int),
                dropped.map_or(Value::Null, |dropped| Value::percent(dropped, reached)),
            ];
            (dropped, row)
        })
        .collect();
    rows.sort_by(|(a, _), (b, _)| b.cmp(a));
    let mut report = Report::new(
        "story",
        &[
            column("fragment", Text),
            column("level", Int),
            column("reached", Int),
            column("continued", Int),
            column("dropped", Int),
            column("drop_rate", Percent),
        ],
    );
    report.rows = rows.into_iter().map(|(_, row)| row).collect();
    Ok(report)
}

/// Per fragment and decision: how often it was taken, by how many players,
/// and its share of the decisions taken from that fragment.
pub(super) async fn decisions(store: &Store, period: Period) -> Result<Report, ReportError> {
    let sql = "SELECT subject, COUNT(*), COUNT(DISTINCT user_id) FROM analytics_events
               WHERE kind = $1 AND at >= $2 AND at < $3 GROUP BY subject";
    let taken: Vec<(String, i64, i64)> = on_both!(store, |pool| {
        sqlx::query_as(sql).bind(kinds::DECISION).bind(period.since).bind(period.until).fetch_all(pool).await?
    });
    let mut from: BTreeMap<&str, Vec<(&str, i64, i64)>> = BTreeMap::new();
    for (subject, times, players) in &taken {
        if let Some((here, to)) = edge(subject) {
            from.entry(here).or_default().push((to, *times, *players));
        }
    }
    let mut report = Report::new(
        "decisions",
        &[
            column("fragment", Text),
            column("decision", Text),
            column("times", Int),
            column("players", Int),
            column("share", Percent),
        ],
    );
    for (here, mut choices) in from {
        let total: i64 = choices.iter().map(|(_, times, _)| times).sum();
        choices.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        for (to, times, players) in choices {
            report.rows.push(vec![
                Value::Text(here.to_owned()),
                Value::Text(to.to_owned()),
                Value::Int(times),
                Value::Int(players),
                Value::percent(times, total),
            ]);
        }
    }
    Ok(report)
}

/// Per story level: players who reached it, and who completed it (reached
/// a later level, or an ending of this one).
pub(super) async fn levels(store: &Store, scope: &Scope) -> Result<Report, ReportError> {
    // Player -> (highest level reached, reached an ending of that level).
    let mut furthest: BTreeMap<i64, (u8, bool)> = BTreeMap::new();
    for (user, fragment) in pairs(store, kinds::FRAGMENT_ENTERED, scope.period).await? {
        let Some(info) = scope.fragments.get(&fragment) else { continue };
        let best = furthest.entry(user).or_insert((info.level, false));
        if info.level > best.0 {
            *best = (info.level, info.ending);
        } else if info.level == best.0 {
            best.1 |= info.ending;
        }
    }
    let levels: BTreeSet<u8> = scope.fragments.values().map(|info| info.level).collect();
    let mut report = Report::new(
        "levels",
        &[column("level", Int), column("reached", Int), column("completed", Int), column("completion", Percent)],
    );
    for level in levels {
        let reached = furthest.values().filter(|(best, _)| *best >= level).count() as i64;
        let completed =
            furthest.values().filter(|&&(best, ending)| best > level || (best == level && ending)).count() as i64;
        report.rows.push(vec![
            Value::Int(i64::from(level)),
            Value::Int(reached),
            Value::Int(completed),
            Value::percent(completed, reached),
        ]);
    }
    Ok(report)
}
