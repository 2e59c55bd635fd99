//! Experiments: per experiment (the flag that assigned the variants) and
//! variant, the players exposed (shown an offer under it in the period)
//! and converted (exposed and bought one under it in the period), the
//! conversion with its 95 % Wilson score interval, and the difference to
//! the control (the first variant by name) with Newcombe's interval for a
//! difference of two proportions (his method 10, built from the two Wilson
//! intervals). Offers shown outside any experiment (`-`) are not here.

use std::collections::BTreeMap;

use super::offers::{self, Key, NONE};
use super::{ColumnKind::*, Period, Report, ReportError, Value, column};
use crate::Store;

/// The standard normal quantile of 97.5 %: a two-sided 95 % interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// The Wilson score interval of `successes` out of `trials` at quantile
/// `z`, as proportions; `None` without trials. Unlike the normal
/// approximation it stays inside [0, 1] and is not empty at 0 or `trials`
/// successes, and it covers close to its level for small samples.
pub fn wilson(successes: i64, trials: i64, z: f64) -> Option<(f64, f64)> {
    if trials <= 0 || !(0..=trials).contains(&successes) {
        return None;
    }
    let (n, z2) = (trials as f64, z * z);
    let p = successes as f64 / n;
    let center = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    // At 0 and at every trial the bound is the estimate itself (exactly,
    // not to a rounding error).
    let low = if successes == 0 { 0.0 } else { (center - half).max(0.0) };
    let high = if successes == trials { 1.0 } else { (center + half).min(1.0) };
    Some((low, high))
}

/// The difference `p1 - p2` of two proportions (`x1` of `n1`, `x2` of
/// `n2`) with its interval at quantile `z` by Newcombe's hybrid score
/// method (R. G. Newcombe, "Interval estimation for the difference between
/// independent proportions", Statistics in Medicine 17, 1998, method 10):
/// each side widened by the two Wilson intervals' distances on that side.
pub fn difference(x1: i64, n1: i64, x2: i64, n2: i64, z: f64) -> Option<(f64, f64, f64)> {
    let (l1, u1) = wilson(x1, n1, z)?;
    let (l2, u2) = wilson(x2, n2, z)?;
    let (p1, p2) = (x1 as f64 / n1 as f64, x2 as f64 / n2 as f64);
    let d = p1 - p2;
    let below = ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt();
    let above = ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt();
    Some((d, d - below, d + above))
}

pub(super) async fn report(store: &Store, period: Period) -> Result<Report, ReportError> {
    let counts = offers::counts(store, Key::Experiment, period).await?;
    let mut experiments: BTreeMap<&str, Vec<(&str, i64, i64)>> = BTreeMap::new();
    for line in &counts {
        let Some((experiment, variant)) = &line.key else { continue };
        if experiment != NONE {
            experiments.entry(experiment).or_default().push((variant, line.shown, line.converted));
        }
    }
    let mut report = Report::new(
        "experiments",
        &[
            column("experiment", Text),
            column("variant", Text),
            column("exposed", Int),
            column("converted", Int),
            column("conversion", Percent),
            column("ci_low", Percent),
            column("ci_high", Percent),
            column("vs_control", Percent),
            column("vs_control_low", Percent),
            column("vs_control_high", Percent),
            column("events", Int),
        ],
    );
    let percent = |value: Option<f64>| value.map_or(Value::Null, |value| Value::Real(value * 100.0));
    let events: BTreeMap<(&str, &str), i64> = counts
        .iter()
        .filter_map(|line| line.key.as_ref().map(|(e, v)| ((e.as_str(), v.as_str()), line.events)))
        .collect();
    for (experiment, variants) in experiments {
        // Sorted by variant (the counts come sorted by key): the first is the control.
        let (_, control_exposed, control_converted) = variants[0];
        for (at, &(variant, exposed, converted)) in variants.iter().enumerate() {
            let interval = wilson(converted, exposed, Z95);
            let versus = (at > 0).then(|| difference(converted, exposed, control_converted, control_exposed, Z95));
            let versus = versus.flatten();
            report.rows.push(vec![
                Value::Text(experiment.to_owned()),
                Value::Text(variant.to_owned()),
                Value::Int(exposed),
                Value::Int(converted),
                Value::percent(converted, exposed),
                percent(interval.map(|(low, _)| low)),
                percent(interval.map(|(_, high)| high)),
                percent(versus.map(|(d, _, _)| d)),
                percent(versus.map(|(_, low, _)| low)),
                percent(versus.map(|(_, _, high)| high)),
                Value::Int(events.get(&(experiment, variant)).copied().unwrap_or(0)),
            ]);
        }
    }
    report.rows.extend(offers::malformed_line(&counts, report.columns.len()));
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(found: f64, expected: f64) {
        assert!((found - expected).abs() <= 5.1e-5, "{found} != {expected}");
    }

    /// Newcombe's own worked values (Statistics in Medicine 17, 1998: the
    /// single proportion paper's Table I, the difference paper's Table II),
    /// four decimals; checked again with a separate Python computation.
    #[test]
    fn wilson_intervals_match_published_values() {
        let cases = [
            (81, 263, 0.2553, 0.3662),
            (15, 148, 0.0624, 0.1605),
            (0, 20, 0.0, 0.1611),
            (1, 29, 0.0061, 0.1718),
            (0, 10, 0.0, 0.2775),
            (10, 10, 0.7225, 1.0),
            (56, 70, 0.6918, 0.8770),
        ];
        for (x, n, low, high) in cases {
            let (l, h) = wilson(x, n, Z95).expect("trials");
            close(l, low);
            close(h, high);
            assert!(l <= x as f64 / n as f64 && x as f64 / n as f64 <= h, "the estimate is inside");
        }
        assert_eq!(wilson(0, 0, Z95), None);
        assert_eq!(wilson(3, 2, Z95), None, "more successes than trials is no proportion");
    }

    #[test]
    fn newcombe_differences_match_published_values() {
        let cases = [
            ((56, 70, 48, 80), (0.2, 0.0524, 0.3339)),
            ((9, 10, 3, 10), (0.6, 0.1705, 0.8090)),
            ((6, 7, 2, 7), (0.5714, 0.0582, 0.8062)),
            ((5, 56, 0, 29), (0.0893, -0.0381, 0.1926)),
            ((0, 10, 0, 20), (0.0, -0.1611, 0.2775)),
        ];
        for ((x1, n1, x2, n2), (d, low, high)) in cases {
            let (found, l, h) = difference(x1, n1, x2, n2, Z95).expect("trials");
            close(found, d);
            close(l, low);
            close(h, high);
        }
        assert_eq!(difference(1, 0, 1, 2, Z95), None);
    }

    #[test]
    fn the_wilson_interval_narrows_with_more_trials_around_the_same_rate() {
        let mut width = 1.0;
        for n in [10, 100, 1_000, 10_000] {
            let (low, high) = wilson(n / 5, n, Z95).expect("trials");
            assert!(low < 0.2 && 0.2 < high && high - low < width);
            width = high - low;
        }
    }
}
