//! Metrics declared once: [`metrics!`](crate::metrics!) turns a table of
//! counters and gauges into a struct of atomics (bumped where the work
//! happens) and the code that writes them as Prometheus text. Adding a
//! metric is one line in a table; its doc comment is its `# HELP`.
//!
//! Hand-written rather than the `metrics` facade: the counters are per
//! instance (tests run several servers in one process and read them
//! directly), and the exposition is a few lines of formatting.

use std::fmt::Write;

/// Prometheus text exposition being written. Samples of one metric must be
/// written together: the `# HELP`/`# TYPE` header is written before the
/// first sample of each run of one name.
#[derive(Debug, Default)]
pub struct Exposition {
    text: String,
    family: String,
}

impl Exposition {
    /// One sample of `name`; `labels` in Prometheus form (`{a="b"}`) or empty.
    pub fn sample(&mut self, name: &str, kind: &str, help: &str, labels: &str, value: f64) {
        self.family(name, kind, help);
        self.line(name, labels, value);
    }

    /// Starts the metric family `name` (a histogram's samples carry suffixes
    /// of it), unless it is the one being written.
    pub fn family(&mut self, name: &str, kind: &str, help: &str) {
        if self.family != name {
            let _ = writeln!(self.text, "# HELP {name} {}\n# TYPE {name} {kind}", help.trim());
            name.clone_into(&mut self.family);
        }
    }

    /// One sample line of the family being written.
    pub fn line(&mut self, name: &str, labels: &str, value: f64) {
        let _ = writeln!(self.text, "{name}{labels} {value}");
    }

    pub fn finish(self) -> String {
        self.text
    }
}

/// Declares a struct of `AtomicU64` metrics and its `encode` into an
/// [`Exposition`]. Each row: doc comment (the help text), `counter` or
/// `gauge`, the field, `=>` the metric name, then optionally `/ divisor`
/// (e.g. `/ 1e6` for a field kept in microseconds and exposed in seconds)
/// and `{ label = "value" }` (rows sharing a name must be adjacent). Fields
/// that are not plain atomics go in `also { … }` and are encoded by hand.
#[macro_export]
macro_rules! metrics {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $(
                $(#[doc = $doc:literal])+
                $kind:ident $field:ident => $metric:literal $(/ $divisor:literal)? $({ $label:ident = $value:literal })?,
            )*
        }
        $(also {
            $(
                $(#[$also_meta:meta])*
                $also_vis:vis $also_field:ident : $also_ty:ty,
            )*
        })?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Default)]
        $vis struct $name {
            $(
                $(#[doc = $doc])+
                pub $field: ::std::sync::atomic::AtomicU64,
            )*
            $($(
                $(#[$also_meta])*
                $also_vis $also_field: $also_ty,
            )*)?
        }

        impl $name {
            /// Writes every metric of the table.
            pub fn encode(&self, out: &mut $crate::metrics::Exposition) {
                $(
                    #[allow(unused_mut)]
                    let mut value = self.$field.load(::std::sync::atomic::Ordering::Relaxed) as f64;
                    $(value /= $divisor;)?
                    out.sample(
                        $metric,
                        stringify!($kind),
                        concat!($($doc),+),
                        concat!("" $(, "{", stringify!($label), "=\"", $value, "\"}")?),
                        value,
                    );
                )*
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    crate::metrics! {
        /// Example.
        struct Example {
            /// Things done.
            counter done => "example_done_total",
            /// Time taken,
            /// in seconds.
            gauge took_micros => "example_took_seconds" / 1e6,
            /// Outcomes.
            counter won => "example_outcomes_total" { outcome = "won" },
            /// Outcomes.
            counter lost => "example_outcomes_total" { outcome = "lost" },
        }
        also {
            pub note: String,
        }
    }

    #[test]
    fn a_table_is_exposed_with_help_types_scales_and_labels() {
        let example = Example::default();
        example.done.fetch_add(3, Ordering::Relaxed);
        example.took_micros.store(1_500_000, Ordering::Relaxed);
        example.won.store(2, Ordering::Relaxed);
        let mut out = crate::metrics::Exposition::default();
        example.encode(&mut out);
        assert_eq!(
            out.finish(),
            "# HELP example_done_total Things done.\n# TYPE example_done_total counter\nexample_done_total 3\n\
             # HELP example_took_seconds Time taken, in seconds.\n# TYPE example_took_seconds gauge\n\
             example_took_seconds 1.5\n\
             # HELP example_outcomes_total Outcomes.\n# TYPE example_outcomes_total counter\n\
             example_outcomes_total{outcome=\"won\"} 2\nexample_outcomes_total{outcome=\"lost\"} 0\n"
        );
        assert!(example.note.is_empty());
    }
}
