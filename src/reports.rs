//! The reports as the server and `dianabot report` ask for them: the
//! database's reports ([`dianabot_persistence::reports`]) with the story's
//! levels from the content, and the operations report from the server's
//! latency histograms — its own when the server asks, its `/metrics`
//! endpoint (METRICS_BIND) when the command line does.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use dianabot_actors::Router;
use dianabot_game::content::Content;
use dianabot_persistence::Store;
use dianabot_persistence::reports::{
    self, CATALOGUE, DAY, FragmentInfo, OPERATIONS, Period, Report, Scope, operations,
};

/// Days a report covers when no `since` is given.
pub const DEFAULT_DAYS: i64 = 30;

/// Every report's name.
pub fn names() -> impl Iterator<Item = &'static str> {
    CATALOGUE.iter().map(|entry| entry.name)
}

pub fn is_known(name: &str) -> bool {
    names().any(|known| known == name)
}

/// What the story reports need of the content: each fragment's level and
/// whether it ends the story.
pub fn scope(content: &Content, period: Period) -> Scope {
    let fragments: BTreeMap<String, FragmentInfo> = content
        .fragments()
        .map(|fragment| {
            (fragment.id.as_str().to_owned(), FragmentInfo { level: fragment.level, ending: fragment.ending })
        })
        .collect();
    Scope { period, fragments }
}

/// `YYYY-MM-DD` as its UTC day (days since the epoch).
pub fn parse_day(text: &str) -> Option<i64> {
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp().div_euclid(DAY))
}

/// The days `since` through `until` (both included, `YYYY-MM-DD`); by
/// default the [`DEFAULT_DAYS`] days up to today, or from `since` to today.
pub fn period(since: Option<&str>, until: Option<&str>, now: i64) -> Result<Period, String> {
    let day = |text: Option<&str>| text.map(|text| parse_day(text).ok_or_else(|| text.to_owned())).transpose();
    let last = day(until)?.unwrap_or(now.div_euclid(DAY));
    let first = day(since)?.unwrap_or(last - DEFAULT_DAYS + 1);
    if first > last {
        return Err(format!("{} > {}", reports::date(first), reports::date(last)));
    }
    Ok(Period { since: first * DAY, until: (last + 1) * DAY })
}

/// The actors' handling histograms, by command, as the server holds them.
pub fn live_histograms(router: &Router) -> Vec<(String, operations::Histogram)> {
    router.stats().handling.iter().map(|entry| (format!("actor {}", entry.key()), entry.value().cumulative())).collect()
}

/// Report `name`: from the database, or [`OPERATIONS`] from `histograms`.
pub async fn run(
    store: &Store,
    content: &Content,
    name: &str,
    period: Period,
    histograms: impl FnOnce() -> anyhow::Result<Vec<(String, operations::Histogram)>>,
) -> anyhow::Result<Report> {
    if name == OPERATIONS {
        return Ok(operations::report(histograms()?));
    }
    Ok(reports::run(store, name, &scope(content, period)).await?)
}

/// The histograms in a Prometheus text exposition: every `_bucket` family,
/// by its labels other than `le`.
pub fn parse_metrics(text: &str) -> Vec<(String, operations::Histogram)> {
    let mut histograms: BTreeMap<String, operations::Histogram> = BTreeMap::new();
    for line in text.lines().filter(|line| !line.starts_with('#')) {
        let Some((series, value)) = line.rsplit_once(' ') else { continue };
        let Some((family, labels)) = series.split_once('{') else { continue };
        let Some(family) = family.strip_suffix("_bucket") else { continue };
        let Ok(count) = value.parse::<f64>() else { continue };
        let labels = labels.trim_end_matches('}');
        let mut le = None;
        let mut others = Vec::new();
        for label in labels.split(',') {
            match label.split_once('=') {
                Some(("le", bound)) => le = Some(bound.trim_matches('"')),
                Some((key, value)) => others.push(format!("{key}={}", value.trim_matches('"'))),
                None => {}
            }
        }
        let Some(bound) = le.and_then(|le| if le == "+Inf" { Some(f64::INFINITY) } else { le.parse().ok() }) else {
            continue;
        };
        let name = if others.is_empty() { family.to_owned() } else { format!("{family} {}", others.join(" ")) };
        histograms.entry(name).or_default().push((bound, count as u64));
    }
    histograms.into_iter().collect()
}

/// `GET /metrics` from the running server at `addr` (plain HTTP/1.0).
pub fn fetch_metrics(addr: SocketAddr) -> anyhow::Result<String> {
    let timeout = Duration::from_secs(5);
    let mut stream = std::net::TcpStream::connect_timeout(&addr, timeout).with_context(|| {
        format!("the operations report reads the running server's metrics at {addr} (METRICS_BIND)")
    })?;
    stream.set_read_timeout(Some(timeout))?;
    write!(stream, "GET /metrics HTTP/1.0\r\nHost: {addr}\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response.split_once("\r\n\r\n").context("malformed HTTP response from /metrics")?;
    anyhow::ensure!(head.starts_with("HTTP/1.") && head.contains(" 200 "), "/metrics answered {head:?}");
    Ok(body.to_owned())
}

/// The report as aligned text columns (the command line's output).
pub fn to_table(report: &Report) -> String {
    let header: Vec<String> = report.columns.iter().map(|column| column.name.to_owned()).collect();
    let cells = report.cells();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| std::iter::once(&header).chain(&cells).map(|row| row[i].chars().count()).max().unwrap_or(0))
        .collect();
    let line = |row: &[String]| {
        let padded: Vec<String> =
            row.iter().zip(&widths).map(|(cell, width)| format!("{cell:<width$}", width = *width)).collect();
        padded.join("  ").trim_end().to_owned()
    };
    std::iter::once(line(&header)).chain(cells.iter().map(|row| line(row))).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_whole_days_both_included() {
        let now = 20_010 * DAY + 5;
        assert_eq!(period(None, None, now), Ok(Period { since: 19_981 * DAY, until: 20_011 * DAY }));
        let given = period(Some("2024-10-04"), Some("2024-10-05"), now);
        assert_eq!(given, Ok(Period { since: 20_000 * DAY, until: 20_002 * DAY }));
        assert!(period(Some("2024-10-06"), Some("2024-10-05"), now).is_err());
        assert_eq!(period(Some("yesterday"), None, now), Err("yesterday".to_owned()));
    }

    #[test]
    fn the_usage_texts_name_every_report() {
        for text in [include_str!("../content/texts/es.ftl"), include_str!("../content/texts/en.ftl")] {
            for usage in ["[stats]", "[export]"] {
                let line = text.lines().find(|line| line.trim_start().starts_with(usage)).unwrap_or_default();
                let listed: Vec<&str> = line.rsplit(' ').next().unwrap_or_default().split('|').collect();
                assert_eq!(listed, names().collect::<Vec<_>>(), "{line}");
            }
        }
    }

    #[test]
    fn metrics_histograms_are_read_by_labels() {
        let text = "# TYPE x histogram\n\
                    dianabot_actor_handling_seconds_bucket{command=\"decide\",le=\"0.001\"} 3\n\
                    dianabot_actor_handling_seconds_bucket{command=\"decide\",le=\"+Inf\"} 4\n\
                    dianabot_actor_handling_seconds_sum{command=\"decide\"} 0.01\n";
        let histograms = parse_metrics(text);
        assert_eq!(
            histograms,
            [("dianabot_actor_handling_seconds command=decide".to_owned(), vec![(0.001, 3), (f64::INFINITY, 4)])]
        );
    }
}
