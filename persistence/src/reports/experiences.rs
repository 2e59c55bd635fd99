//! Experiences: per experience, players who started it, reached each
//! component (most reached first: the order players go through), and
//! completed it, with the drop-off from one stage to the next; then those
//! who abandoned it or let it expire.

use std::collections::BTreeMap;

use super::{ColumnKind::*, Period, Report, ReportError, Value, column};
use crate::Store;
use crate::analytics::kinds;
use crate::store::on_both;

#[derive(Default)]
struct Stages {
    started: i64,
    steps: BTreeMap<String, i64>,
    completed: i64,
    abandoned: i64,
    expired: i64,
}

pub(super) async fn report(store: &Store, period: Period) -> Result<Report, ReportError> {
    let sql = "SELECT kind, subject, COUNT(DISTINCT user_id) FROM analytics_events
               WHERE kind IN ($1, $2, $3, $4, $5) AND at >= $6 AND at < $7 GROUP BY kind, subject";
    let counted: Vec<(String, String, i64)> = on_both!(store, |pool| {
        sqlx::query_as(sql)
            .bind(kinds::EXPERIENCE_START)
            .bind(kinds::EXPERIENCE_STEP)
            .bind(kinds::EXPERIENCE_COMPLETE)
            .bind(kinds::EXPERIENCE_ABANDON)
            .bind(kinds::EXPERIENCE_EXPIRE)
            .bind(period.since)
            .bind(period.until)
            .fetch_all(pool)
            .await?
    });
    let mut experiences: BTreeMap<String, Stages> = BTreeMap::new();
    for (kind, subject, players) in counted {
        if kind == kinds::EXPERIENCE_STEP {
            let Some((experience, component)) = subject.split_once('/') else { continue };
            let stages = experiences.entry(experience.to_owned()).or_default();
            stages.steps.insert(component.to_owned(), players);
            continue;
        }
        let stages = experiences.entry(subject).or_default();
        match kind.as_str() {
            kinds::EXPERIENCE_START => stages.started = players,
            kinds::EXPERIENCE_COMPLETE => stages.completed = players,
            kinds::EXPERIENCE_ABANDON => stages.abandoned = players,
            _ => stages.expired = players,
        }
    }
    let mut report = Report::new(
        "experiences",
        &[
            column("experience", Text),
            column("stage", Text),
            column("players", Int),
            column("dropped", Int),
            column("drop_rate", Percent),
        ],
    );
    for (experience, stages) in experiences {
        let mut steps: Vec<(String, i64)> = stages.steps.into_iter().collect();
        steps.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let funnel = std::iter::once(("start".to_owned(), stages.started))
            .chain(steps)
            .chain(std::iter::once(("complete".to_owned(), stages.completed)));
        let mut previous = None;
        for (stage, players) in funnel {
            let dropped = previous.map(|before: i64| (before - players).max(0));
            report.rows.push(vec![
                Value::Text(experience.clone()),
                Value::Text(stage),
                Value::Int(players),
                dropped.map_or(Value::Null, Value::Int),
                match (dropped, previous) {
                    (Some(dropped), Some(before)) => Value::percent(dropped, before),
                    _ => Value::Null,
                },
            ]);
            previous = Some(players);
        }
        for (stage, players) in [("abandoned", stages.abandoned), ("expired", stages.expired)] {
            report.rows.push(vec![
                Value::Text(experience.clone()),
                Value::Text(stage.to_owned()),
                Value::Int(players),
                Value::Null,
                Value::percent(players, stages.started),
            ]);
        }
    }
    Ok(report)
}
