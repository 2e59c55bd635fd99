//! Operations: p50/p95/p99 of the server's critical operations, from the
//! latency histograms the server keeps (its `/metrics`). The histograms are
//! handed in: the server reads its own, the command line fetches them from
//! the running server's metrics endpoint.

use super::{ColumnKind::*, Report, Value, column};

/// One operation's histogram: `(upper bound in seconds, cumulative count)`
/// per bucket, the last bound infinite (Prometheus' `le` buckets).
pub type Histogram = Vec<(f64, u64)>;

/// The quantile `q` of `buckets`, interpolated linearly inside its bucket
/// as Prometheus' `histogram_quantile` does (the lowest bucket starts at
/// 0; a quantile in the infinite bucket is that of the highest finite
/// bound). `None` when nothing was counted.
pub fn quantile(buckets: &[(f64, u64)], q: f64) -> Option<f64> {
    let total = buckets.last()?.1;
    if total == 0 {
        return None;
    }
    let rank = q * total as f64;
    let (mut lower, mut below) = (0.0, 0u64);
    for &(bound, count) in buckets {
        if count as f64 >= rank {
            if bound.is_infinite() {
                return Some(lower);
            }
            let inside = (count - below) as f64;
            let fraction = if inside == 0.0 { 1.0 } else { (rank - below as f64) / inside };
            return Some(lower + (bound - lower) * fraction);
        }
        (lower, below) = (bound, count);
    }
    Some(lower)
}

/// The report of `operations` (name, histogram), in milliseconds, busiest
/// first.
pub fn report(operations: Vec<(String, Histogram)>) -> Report {
    let mut report = Report::new(
        "operations",
        &[
            column("operation", Text),
            column("count", Int),
            column("p50_ms", Real),
            column("p95_ms", Real),
            column("p99_ms", Real),
        ],
    );
    let mut operations: Vec<(String, Histogram, u64)> = operations
        .into_iter()
        .map(|(name, buckets)| {
            let count = buckets.last().map_or(0, |last| last.1);
            (name, buckets, count)
        })
        .collect();
    operations.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    for (name, buckets, count) in operations {
        let ms = |q| quantile(&buckets, q).map_or(Value::Null, |seconds| Value::Real(seconds * 1000.0));
        report.rows.push(vec![Value::Text(name), Value::Int(count as i64), ms(0.5), ms(0.95), ms(0.99)]);
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_inside_their_bucket() {
        // 100 samples: 50 under 1 ms, 40 in (1, 2] ms, 10 in (2, 4] ms.
        let buckets = vec![(0.001, 50), (0.002, 90), (0.004, 100), (f64::INFINITY, 100)];
        let ms = |q| quantile(&buckets, q).map(|s| (s * 1e6).round() / 1e3);
        assert_eq!(ms(0.5), Some(1.0));
        assert_eq!(ms(0.95), Some(3.0));
        assert_eq!(ms(0.99), Some(3.8));
        assert_eq!(quantile(&[(0.001, 0), (f64::INFINITY, 0)], 0.5), None);
        // Beyond the last finite bound: that bound.
        assert_eq!(quantile(&[(0.001, 1), (f64::INFINITY, 10)], 0.99), Some(0.001));
        let report = report(vec![("decide".into(), buckets.clone()), ("idle".into(), vec![(f64::INFINITY, 0)])]);
        assert_eq!(report.cells()[0], ["decide", "100", "1.00", "3.00", "3.80"]);
        assert_eq!(report.cells()[1], ["idle", "0", "", "", ""]);
    }
}
