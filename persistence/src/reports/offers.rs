//! Offers: how each offer converts, per archetype of the players it was
//! shown to — players shown, opened, bought, expired, the open rate and the
//! conversion, and what it brought in. Read from the `offer_*` rows
//! ([`kinds::OFFER_SHOWN`] and beside), whose subject is an
//! [`OfferSubject`].
//!
//! The subject is split in SQL so that players are counted once per
//! (offer, archetype) here and once per (experiment, variant) in
//! [`super::experiments`] however many subjects they have there (a player
//! shown one offer under two variants, after a flag moved, is one player
//! of that offer). Rows whose subject is malformed are left out of every
//! count and counted themselves: the report's last line.

use std::fmt;

use super::{ColumnKind::*, Period, Report, ReportError, Value, column};
use crate::Store;
use crate::analytics::kinds;
use crate::store::on_both;

/// The first cell of the line counting the rows left out for a malformed
/// subject (in the `events` column).
pub const MALFORMED: &str = "(malformed)";

/// Where an experiment or a variant does not apply, in a subject.
pub const NONE: &str = "-";

/// Between the subject's parts (the SQL of [`counts`] writes it as `|`).
const SEPARATOR: char = '|';

/// The subject of an `offer_*` row: `{offer}|{archetype}|{experiment}|{variant}`,
/// four non-empty parts (`-` for no experiment, no variant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferSubject<'a> {
    pub offer: &'a str,
    pub archetype: &'a str,
    /// The flag that assigned the variant, or [`NONE`].
    pub experiment: &'a str,
    pub variant: &'a str,
}

impl<'a> OfferSubject<'a> {
    /// The subject's four parts; `None` when there are not exactly four or
    /// one is empty (such a row is skipped and counted, never trusted).
    pub fn parse(subject: &'a str) -> Option<OfferSubject<'a>> {
        let mut parts = subject.split(SEPARATOR);
        let mut next = || parts.next().filter(|part| !part.is_empty());
        let subject = OfferSubject { offer: next()?, archetype: next()?, experiment: next()?, variant: next()? };
        parts.next().is_none().then_some(subject)
    }

    /// Whether a variant was assigned by an experiment.
    pub fn in_experiment(&self) -> bool {
        self.experiment != NONE
    }
}

impl fmt::Display for OfferSubject<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let OfferSubject { offer, archetype, experiment, variant } = self;
        write!(f, "{offer}{SEPARATOR}{archetype}{SEPARATOR}{experiment}{SEPARATOR}{variant}")
    }
}

/// Which two parts of the subject a report counts players by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Key {
    /// `offer`, `archetype`.
    Offer,
    /// `experiment`, `variant`.
    Experiment,
}

/// The players of one key (or of the malformed rows, `key` none) over
/// the period. A stage counts the players with a row of its kind in the
/// period, on its own; `converted` those both shown and bought in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Counts {
    pub key: Option<(String, String)>,
    pub shown: i64,
    pub opened: i64,
    pub bought: i64,
    pub expired: i64,
    pub converted: i64,
    /// The amounts of the purchases (in the offer's currency).
    pub revenue: i64,
    /// Rows read.
    pub events: i64,
}

/// [`OfferSubject::parse`]'s rule in SQL: three separators with something
/// between each (the pattern's three take the subject's own) and no
/// fourth.
const VALID: &str = "(subject LIKE '_%|_%|_%|_%' AND subject NOT LIKE '%|%|%|%|%')";

/// The two parts `key` counts by of a valid subject, as `a|b`: Postgres
/// splits the subject; SQLite, which cannot, cuts it at its second
/// separator.
fn key_of(store: &Store, key: Key) -> String {
    match (store, key) {
        (Store::Postgres(_), Key::Offer) => "split_part(subject, '|', 1) || '|' || split_part(subject, '|', 2)".into(),
        (Store::Postgres(_), Key::Experiment) => {
            "split_part(subject, '|', 3) || '|' || split_part(subject, '|', 4)".into()
        }
        (Store::Sqlite(_), key) => {
            let second = "(instr(subject, '|') + instr(substr(subject, instr(subject, '|') + 1), '|'))";
            match key {
                Key::Offer => format!("substr(subject, 1, {second} - 1)"),
                Key::Experiment => format!("substr(subject, {second} + 1)"),
            }
        }
    }
}

/// The players of every key of `key` over the period: one pass over the
/// `offer_*` rows (read by kind), grouped per player and key (the key of a
/// malformed subject being null), then per key. A handful of rows come
/// back.
pub(super) async fn counts(store: &Store, key: Key, period: Period) -> Result<Vec<Counts>, ReportError> {
    let had = |kind: &str| format!("MAX(CASE WHEN kind = '{kind}' THEN 1 ELSE 0 END)");
    let total = |column: &str| format!("CAST(COALESCE(SUM({column}), 0) AS BIGINT)");
    let sql = format!(
        "SELECT key, {}, {}, {}, {}, {}, {}, {} FROM (
             SELECT user_id, CASE WHEN {VALID} THEN {} END AS key,
                    {} AS shown, {} AS opened, {} AS bought, {} AS expired,
                    SUM(CASE WHEN kind = '{bought}' THEN amount ELSE 0 END) AS revenue, COUNT(*) AS events
             FROM analytics_events
             WHERE kind IN ('{shown}', '{opened}', '{bought}', '{expired}') AND at >= $1 AND at < $2
             GROUP BY user_id, key
         ) AS players GROUP BY key",
        total("shown"),
        total("opened"),
        total("bought"),
        total("expired"),
        total("shown * bought"),
        total("revenue"),
        total("events"),
        key_of(store, key),
        had(kinds::OFFER_SHOWN),
        had(kinds::OFFER_OPENED),
        had(kinds::OFFER_BOUGHT),
        had(kinds::OFFER_EXPIRED),
        shown = kinds::OFFER_SHOWN,
        opened = kinds::OFFER_OPENED,
        bought = kinds::OFFER_BOUGHT,
        expired = kinds::OFFER_EXPIRED,
    );
    type Row = (Option<String>, i64, i64, i64, i64, i64, i64, i64);
    let rows: Vec<Row> = on_both!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(period.since)
        .bind(period.until)
        .fetch_all(pool)
        .await?);
    let mut counts: Vec<Counts> = rows
        .into_iter()
        .map(|(key, shown, opened, bought, expired, converted, revenue, events)| Counts {
            key: key.as_deref().and_then(|key| key.split_once(SEPARATOR)).map(|(a, b)| (a.to_owned(), b.to_owned())),
            shown,
            opened,
            bought,
            expired,
            converted,
            revenue,
            events,
        })
        .collect();
    counts.sort_by(|x, y| x.key.is_none().cmp(&y.key.is_none()).then_with(|| x.key.cmp(&y.key)));
    Ok(counts)
}

/// The line of the rows left out for a malformed subject, if any: its
/// first cell [`MALFORMED`], their number in the last column, nothing else.
pub(super) fn malformed_line(counts: &[Counts], width: usize) -> Option<Vec<Value>> {
    let events: i64 = counts.iter().filter(|counts| counts.key.is_none()).map(|counts| counts.events).sum();
    (events > 0).then(|| {
        let mut line = vec![Value::Null; width];
        line[0] = Value::Text(MALFORMED.to_owned());
        line[width - 1] = Value::Int(events);
        line
    })
}

/// Per offer and archetype: players shown, opened, bought and let expire
/// (each counted on its own: a purchase in the period of an offer shown
/// before it counts as bought, not as shown); open rate and conversion of
/// those shown; the purchases' amounts (in the offer's own currency, Stars
/// or besitos: one offer has one price) and the rows read.
pub(super) async fn report(store: &Store, period: Period) -> Result<Report, ReportError> {
    let counts = counts(store, Key::Offer, period).await?;
    let mut report = Report::new(
        "offers",
        &[
            column("offer", Text),
            column("archetype", Text),
            column("shown", Int),
            column("opened", Int),
            column("bought", Int),
            column("expired", Int),
            column("open_rate", Percent),
            column("conversion", Percent),
            column("revenue", Int),
            column("events", Int),
        ],
    );
    for line in &counts {
        let Some((offer, archetype)) = &line.key else { continue };
        report.rows.push(vec![
            Value::Text(offer.clone()),
            Value::Text(archetype.clone()),
            Value::Int(line.shown),
            Value::Int(line.opened),
            Value::Int(line.bought),
            Value::Int(line.expired),
            Value::percent(line.opened, line.shown),
            Value::percent(line.bought, line.shown),
            Value::Int(line.revenue),
            Value::Int(line.events),
        ]);
    }
    report.rows.extend(malformed_line(&counts, report.columns.len()));
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subject_has_four_non_empty_parts() {
        let parsed = OfferSubject::parse("vip_door|collector|vip_price|b");
        let expected =
            OfferSubject { offer: "vip_door", archetype: "collector", experiment: "vip_price", variant: "b" };
        assert_eq!(parsed, Some(expected.clone()));
        assert_eq!(expected.to_string(), "vip_door|collector|vip_price|b");
        assert!(expected.in_experiment());
        let plain = OfferSubject::parse("vip_door|none|-|-").expect("no experiment");
        assert!(!plain.in_experiment());
        for malformed in
            ["", "vip_door", "vip_door|collector|-", "a|b|c|d|e", "|collector|-|-", "a|b||d", "a|b|c|", "a||"]
        {
            assert_eq!(OfferSubject::parse(malformed), None, "{malformed:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn a_subject_reads_back_what_was_written(
            offer in "[a-z_]{1,12}", archetype in "[a-z_]{1,12}", experiment in "[a-z_-]{1,8}", variant in "[a-z0-9-]{1,4}",
        ) {
            let subject = OfferSubject { offer: &offer, archetype: &archetype, experiment: &experiment, variant: &variant };
            let written = subject.to_string();
            proptest::prop_assert_eq!(OfferSubject::parse(&written), Some(subject));
        }

        #[test]
        fn any_text_parses_or_is_refused_without_panicking(text in ".{0,40}") {
            if let Some(subject) = OfferSubject::parse(&text) {
                proptest::prop_assert_eq!(subject.to_string(), text);
            }
        }
    }
}
