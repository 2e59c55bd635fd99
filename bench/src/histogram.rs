//! A log-linear latency histogram in microseconds.
//!
//! Hand-written rather than `hdrhistogram` because the harness needs three
//! things only — record, merge, quantile — and this is forty lines: values
//! are grouped by power of two, and each power of two is split into
//! [`SUB_BUCKETS`] equal parts, so any recorded value is reported within
//! 1/32 (≈3 %) of itself, from 1 µs to beyond an hour, in a fixed 9 KiB.
//! The exact maximum is kept beside the buckets.

/// Linear sub-buckets per power of two (2^5).
const SUB_BITS: u32 = 5;
const SUB_BUCKETS: u64 = 1 << SUB_BITS;
/// Values at or above 2^MAX_EXP µs (≈ 2.3 h) land in the last bucket.
const MAX_EXP: u32 = 43;
const BUCKETS: usize = ((MAX_EXP - SUB_BITS + 1) as usize + 1) * SUB_BUCKETS as usize;

#[derive(Clone)]
pub struct Histogram {
    counts: Box<[u64]>,
    count: u64,
    sum: u128,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram { counts: vec![0; BUCKETS].into_boxed_slice(), count: 0, sum: 0, max: 0 }
    }
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram").field("count", &self.count).field("max", &self.max).finish()
    }
}

fn index(value: u64) -> usize {
    if value < SUB_BUCKETS {
        return value as usize;
    }
    let exp = (63 - value.leading_zeros()).min(MAX_EXP);
    let value = value.min((1 << (MAX_EXP + 1)) - 1);
    let sub = (value >> (exp - SUB_BITS)) - SUB_BUCKETS;
    ((exp - SUB_BITS + 1) as u64 * SUB_BUCKETS + sub) as usize
}

/// The largest value that falls in bucket `index`.
fn upper_bound(index: usize) -> u64 {
    let index = index as u64;
    if index < SUB_BUCKETS {
        return index;
    }
    let exp = (index / SUB_BUCKETS) as u32 + SUB_BITS - 1;
    let sub = index % SUB_BUCKETS + SUB_BUCKETS;
    ((sub + 1) << (exp - SUB_BITS)) - 1
}

impl Histogram {
    pub fn record(&mut self, micros: u64) {
        self.counts[index(micros)] += 1;
        self.count += 1;
        self.sum += u128::from(micros);
        self.max = self.max.max(micros);
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts.iter()) {
            *mine += theirs;
        }
        self.count += other.count;
        self.sum += other.sum;
        self.max = self.max.max(other.max);
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn max(&self) -> u64 {
        self.max
    }

    pub fn mean(&self) -> f64 {
        if self.count == 0 { 0.0 } else { self.sum as f64 / self.count as f64 }
    }

    /// The value at quantile `q` (0..=1): the upper bound of the bucket that
    /// holds it, never above the true maximum. 0 when empty.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (index, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return upper_bound(index).min(self.max);
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_lands_in_a_bucket_whose_bound_is_within_three_percent() {
        for value in (0..100_000u64).chain((1..40).map(|shift| (1u64 << shift) + 12_345)) {
            let bound = upper_bound(index(value));
            assert!(bound >= value, "{value} above its bucket bound {bound}");
            assert!(bound as f64 <= value as f64 * (1.0 + 1.0 / 32.0) + 1.0, "{value}: bound {bound} too far");
        }
    }

    #[test]
    fn quantiles_of_a_uniform_run_are_where_expected() {
        let mut histogram = Histogram::default();
        for value in 1..=10_000 {
            histogram.record(value);
        }
        let within = |q: f64, expected: f64| {
            let got = histogram.quantile(q) as f64;
            assert!((got - expected).abs() <= expected * 0.04, "q{q}: {got} vs {expected}");
        };
        within(0.5, 5_000.0);
        within(0.99, 9_900.0);
        assert_eq!(histogram.quantile(1.0), 10_000);
        assert_eq!(histogram.max(), 10_000);
        let mut other = Histogram::default();
        other.record(1_000_000);
        histogram.merge(&other);
        assert_eq!((histogram.count(), histogram.max()), (10_001, 1_000_000));
    }

    #[test]
    fn huge_values_do_not_overflow() {
        let mut histogram = Histogram::default();
        histogram.record(u64::MAX);
        assert!(histogram.quantile(0.5) >= 1 << MAX_EXP);
        assert_eq!(histogram.max(), u64::MAX);
    }
}
