//! Reports: what operators read every morning, computed from the durable
//! rows (`analytics_events`, the ledger, balances, posts and reactions).
//!
//! One module per report family; every report is a [`Report`]: a title,
//! typed columns and rows, so the same value renders as a Telegram table,
//! a CSV file or (later) a dashboard chart whose series is the first
//! column. [`run`] finds a report by name ([`CATALOGUE`]). The SQL runs on
//! both backends: integer unix seconds (`at / 86400` is the UTC day), sums
//! cast to BIGINT, ratios computed here rather than in SQL.

mod activity;
mod economy;
mod experiences;
mod funnel;
pub mod operations;
mod posts;
mod retention;
mod revenue;
mod story;
// reports (issue 18)
pub mod experiments;
pub mod offers;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::analytics::kinds;
use crate::{Store, StoreError};

pub const DAY: i64 = 86_400;

/// What a column holds, so a renderer can format it and a chart pick its axes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// A UTC day (the value is days since the Unix epoch).
    Date,
    Int,
    Real,
    /// A percentage (the value is in percent: 12.5 means 12.5 %).
    Percent,
    Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub kind: ColumnKind,
}

const fn column(name: &'static str, kind: ColumnKind) -> Column {
    Column { name, kind }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Not measurable (no base to divide by, a cohort too young).
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

impl Value {
    /// `part` of `whole` in percent; `Null` when `whole` is zero.
    pub fn percent(part: i64, whole: i64) -> Value {
        if whole == 0 { Value::Null } else { Value::Real(part as f64 * 100.0 / whole as f64) }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(value) => Some(*value),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(value) => Some(*value as f64),
            Value::Real(value) => Some(*value),
            _ => None,
        }
    }

    /// The value as text, as `kind` shows it (dates `YYYY-MM-DD`, reals
    /// with two decimals); empty for `Null`.
    pub fn display(&self, kind: ColumnKind) -> String {
        match (self, kind) {
            (Value::Null, _) => String::new(),
            (Value::Int(day), ColumnKind::Date) => date(*day),
            (Value::Int(value), _) => value.to_string(),
            (Value::Real(value), _) => format!("{value:.2}"),
            (Value::Text(text), _) => text.clone(),
        }
    }
}

/// `day` (days since the Unix epoch) as `YYYY-MM-DD`.
pub fn date(day: i64) -> String {
    chrono::DateTime::from_timestamp(day.saturating_mul(DAY), 0)
        .map_or_else(|| day.to_string(), |time| time.format("%Y-%m-%d").to_string())
}

/// A computed report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub name: &'static str,
    pub title: &'static str,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Value>>,
}

impl Report {
    fn new(name: &'static str, columns: &[Column]) -> Report {
        let title = CATALOGUE.iter().find(|entry| entry.name == name).map_or(name, |entry| entry.title);
        Report { name, title, columns: columns.to_vec(), rows: Vec::new() }
    }

    /// The rows as text cells, formatted per column.
    pub fn cells(&self) -> Vec<Vec<String>> {
        self.rows
            .iter()
            .map(|row| row.iter().zip(&self.columns).map(|(value, column)| value.display(column.kind)).collect())
            .collect()
    }

    /// The value in `column` of the row whose first cell displays as `key`.
    pub fn value(&self, key: &str, column: &str) -> Option<&Value> {
        let at = self.columns.iter().position(|c| c.name == column)?;
        let first = self.columns.first()?.kind;
        self.rows.iter().find(|row| row.first().is_some_and(|v| v.display(first) == key)).and_then(|row| row.get(at))
    }

    /// RFC 4180 CSV: a header line, CRLF line ends, fields with a comma, a
    /// quote or a line break quoted and their quotes doubled.
    pub fn to_csv(&self) -> String {
        let mut csv = String::new();
        let mut line = |fields: &mut dyn Iterator<Item = String>| {
            let quoted: Vec<String> = fields.map(|field| csv_field(&field)).collect();
            let _ = write!(csv, "{}\r\n", quoted.join(","));
        };
        line(&mut self.columns.iter().map(|column| column.name.to_owned()));
        for row in self.cells() {
            line(&mut row.into_iter());
        }
        csv
    }
}

fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

/// The time a report covers: unix seconds, `since` included, `until` not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub since: i64,
    pub until: i64,
}

impl Period {
    /// The `days` UTC days up to and including the day of `now`.
    pub fn last_days(now: i64, days: i64) -> Period {
        let tomorrow = (now.div_euclid(DAY) + 1) * DAY;
        Period { since: tomorrow - days * DAY, until: tomorrow }
    }

    fn first_day(self) -> i64 {
        self.since.div_euclid(DAY)
    }

    /// The last day that has begun.
    fn last_day(self) -> i64 {
        (self.until - 1).div_euclid(DAY)
    }
}

/// What the story reports know of a fragment (from the content).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragmentInfo {
    pub level: u8,
    pub ending: bool,
}

/// What a report is asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Scope {
    pub period: Period,
    /// Fragment id -> its level and whether it ends the story; reports by
    /// level need it (fragments not in it count at no level).
    pub fragments: BTreeMap<String, FragmentInfo>,
}

/// A report by name.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub name: &'static str,
    pub title: &'static str,
}

/// Every report of the database, by name.
pub const CATALOGUE: [Entry; 15] = [
    Entry { name: "activity", title: "Daily, weekly and monthly active players" },
    Entry { name: "retention", title: "Retention D1/D7/D30 by registration week" },
    Entry { name: "funnel", title: "Funnel: registered → engaged → purchaser → VIP" },
    Entry { name: "revenue", title: "Revenue in Stars: ARPU, ARPPU, LTV" },
    Entry { name: "story", title: "Story drop-off per fragment (biggest first)" },
    Entry { name: "decisions", title: "Decision popularity per fragment" },
    Entry { name: "levels", title: "Story completion per level" },
    Entry { name: "experiences", title: "Experience drop-off per component" },
    Entry { name: "economy", title: "Besitos supply, minted, burned and inflation per day" },
    Entry { name: "faucets", title: "Faucets and sinks per reason per day" },
    Entry { name: "holders", title: "Top besitos holders" },
    Entry { name: "posts", title: "Engagement per channel post" },
    Entry { name: OPERATIONS, title: "p50/p95/p99 of the server's operations" },
    // reports (issue 18)
    Entry { name: "offers", title: "Offers: shown → opened → bought per offer and archetype" },
    Entry { name: "experiments", title: "Experiments: conversion per variant, 95 % intervals" },
];

/// The report computed from the server's own histograms rather than the
/// database ([`operations::report`]).
pub const OPERATIONS: &str = "operations";

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("unknown report {0}")]
    Unknown(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ReportError {
    fn from(err: sqlx::Error) -> ReportError {
        ReportError::Store(StoreError::from(err))
    }
}

/// Computes report `name` over `scope`; [`OPERATIONS`] is not among them
/// (it needs the server's histograms: [`operations::report`]).
pub async fn run(store: &Store, name: &str, scope: &Scope) -> Result<Report, ReportError> {
    let period = scope.period;
    match name {
        "activity" => activity::report(store, period).await,
        "retention" => retention::report(store, period).await,
        "funnel" => funnel::report(store, period).await,
        "revenue" => revenue::report(store, period).await,
        "story" => story::drop_off(store, scope).await,
        "decisions" => story::decisions(store, period).await,
        "levels" => story::levels(store, scope).await,
        "experiences" => experiences::report(store, period).await,
        "economy" => economy::supply(store, period).await,
        "faucets" => economy::faucets(store, period).await,
        "holders" => economy::holders(store).await,
        "posts" => posts::report(store, period).await,
        // reports (issue 18)
        "offers" => offers::report(store, period).await,
        "experiments" => experiments::report(store, period).await,
        _ => Err(ReportError::Unknown(name.to_owned())),
    }
}

/// `kind NOT IN (…)` for the kinds that are no activity of the player.
pub(crate) fn not_passive(column: &str) -> String {
    let names: Vec<String> = kinds::PASSIVE.iter().map(|kind| format!("'{kind}'")).collect();
    format!("{column} NOT IN ({})", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let mut report = Report::new("posts", &[column("a", ColumnKind::Text), column("b", ColumnKind::Date)]);
        report.rows.push(vec![Value::Text("x, \"y\"\nz".to_owned()), Value::Int(20_000)]);
        report.rows.push(vec![Value::Null, Value::Null]);
        assert_eq!(report.to_csv(), "a,b\r\n\"x, \"\"y\"\"\nz\",2024-10-04\r\n,\r\n");
    }

    #[test]
    fn last_days_end_with_today() {
        let period = Period::last_days(10 * DAY + 5, 7);
        assert_eq!((period.first_day(), period.last_day()), (4, 10));
    }
}
