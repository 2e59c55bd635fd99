//! `--chart PATH.svg`: throughput and latency over time, drawn by hand.
//!
//! A self-contained SVG (no scripts, no external assets) opens in any
//! browser and can be committed next to BENCHMARKS.md. Two panels share the
//! time axis: updates answered per second (total and per scenario) and the
//! p50/p99 latency of the updates answered in each second. The warm-up is
//! shaded.

use std::fmt::Write;

use crate::report::Report;

const WIDTH: f64 = 960.0;
const PANEL: f64 = 220.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 150.0;
const TOP: f64 = 75.0;
const GAP: f64 = 60.0;
const COLOURS: [&str; 6] = ["#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A "nice" axis maximum at or above `value`: 1, 2 or 5 × 10^n.
fn nice(value: f64) -> f64 {
    if value <= 0.0 {
        return 1.0;
    }
    let power = 10f64.powf(value.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|step| step * power).find(|candidate| *candidate >= value).unwrap_or(value)
}

struct Panel {
    top: f64,
    max: f64,
    seconds: usize,
}

impl Panel {
    fn x(&self, t: f64) -> f64 {
        LEFT + (WIDTH - LEFT - RIGHT) * t / self.seconds.max(1) as f64
    }

    fn y(&self, value: f64) -> f64 {
        self.top + PANEL - PANEL * (value / self.max).clamp(0.0, 1.0)
    }

    fn frame(&self, out: &mut String, title: &str, unit: &str, warmup: usize) {
        if warmup > 0 {
            let _ = writeln!(
                out,
                r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{PANEL}" fill="#eeeeee"/><text x="{:.1}" y="{:.1}" font-size="10" fill="#888">warm-up</text>"##,
                self.x(0.0),
                self.top,
                self.x(warmup as f64) - self.x(0.0),
                self.x(0.0) + 4.0,
                self.top + 12.0
            );
        }
        let _ = writeln!(
            out,
            r##"<text x="{LEFT}" y="{:.1}" font-size="13" font-weight="bold">{}</text>"##,
            self.top - 8.0,
            escape(title)
        );
        for tick in 0..=4 {
            let value = self.max * f64::from(tick) / 4.0;
            let y = self.y(value);
            let _ = writeln!(
                out,
                r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#dddddd"/><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end">{} {unit}</text>"##,
                WIDTH - RIGHT,
                LEFT - 4.0,
                y + 3.0,
                format_value(value)
            );
        }
        let step = (self.seconds / 10).max(1);
        for t in (0..=self.seconds).step_by(step) {
            let x = self.x(t as f64);
            let _ = writeln!(
                out,
                r##"<text x="{x:.1}" y="{:.1}" font-size="10" text-anchor="middle">{t} s</text>"##,
                self.top + PANEL + 14.0
            );
        }
        let _ = writeln!(
            out,
            r##"<rect x="{LEFT}" y="{:.1}" width="{:.1}" height="{PANEL}" fill="none" stroke="#333"/>"##,
            self.top,
            WIDTH - LEFT - RIGHT
        );
    }

    fn line(&self, out: &mut String, points: &[(f64, f64)], colour: &str, label: &str, slot: usize) {
        if points.is_empty() {
            return;
        }
        let path: Vec<String> = points.iter().map(|(t, v)| format!("{:.1},{:.1}", self.x(*t), self.y(*v))).collect();
        let _ = writeln!(
            out,
            r##"<polyline fill="none" stroke="{colour}" stroke-width="1.6" points="{}"/>"##,
            path.join(" ")
        );
        let y = self.top + 14.0 + 16.0 * slot as f64;
        let x = WIDTH - RIGHT + 10.0;
        let _ = writeln!(
            out,
            r##"<line x1="{x:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{colour}" stroke-width="2"/><text x="{:.1}" y="{:.1}" font-size="11">{}</text>"##,
            y - 4.0,
            x + 18.0,
            y - 4.0,
            x + 22.0,
            y,
            escape(label)
        );
    }
}

fn format_value(value: f64) -> String {
    if value >= 10_000.0 {
        format!("{:.0}k", value / 1000.0)
    } else if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

/// The chart of `report`'s timeline.
pub fn svg(report: &Report) -> String {
    let timeline = &report.timeline;
    let seconds = timeline.len();
    let warmup = timeline.iter().take_while(|point| point.phase == "warmup").count();
    // Points sit mid-second: the count of second t covers [t, t+1).
    let mid = |t: usize| t as f64 + 0.5;
    let max_rate = timeline.iter().map(|p| p.updates as f64).fold(0.0, f64::max);
    let max_latency = timeline.iter().map(|p| p.p99_ms).fold(0.0, f64::max);
    let rate = Panel { top: TOP, max: nice(max_rate * 1.05), seconds };
    let latency = Panel { top: TOP + PANEL + GAP, max: nice(max_latency * 1.05), seconds };
    let height = TOP + 2.0 * PANEL + GAP + 40.0;

    let mut out = String::new();
    let _ = writeln!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif">"##
    );
    let _ = writeln!(out, r##"<rect width="100%" height="100%" fill="white"/>"##);
    let config = &report.config;
    let subtitle = format!(
        "{} intake · {} users · {} · {:.0} updates/s · p99 {:.1} ms · {} errors",
        config.intake.name(),
        config.users,
        config
            .rate
            .map_or_else(|| format!("{} in flight", config.concurrency.unwrap_or(0)), |r| format!("open loop {r}/s")),
        report.throughput.updates_per_second,
        report.latency_ms.p99,
        report.errors.total
    );
    let _ = writeln!(out, r##"<text x="{LEFT}" y="20" font-size="15" font-weight="bold">DianaBot bench</text>"##);
    let _ = writeln!(out, r##"<text x="{LEFT}" y="36" font-size="11" fill="#555">{}</text>"##, escape(&subtitle));

    rate.frame(&mut out, "Updates answered per second", "", warmup);
    let total: Vec<(f64, f64)> = timeline.iter().map(|p| (mid(p.t), p.updates as f64)).collect();
    rate.line(&mut out, &total, "#d62728", "all", 0);
    let mut names: Vec<&String> = timeline.iter().flat_map(|p| p.by_scenario.keys()).collect();
    names.sort();
    names.dedup();
    for (slot, name) in names.iter().enumerate() {
        let points: Vec<(f64, f64)> =
            timeline.iter().map(|p| (mid(p.t), p.by_scenario.get(*name).copied().unwrap_or(0) as f64)).collect();
        rate.line(&mut out, &points, COLOURS[slot % COLOURS.len()], name, slot + 1);
    }

    latency.frame(&mut out, "Latency update → reply (of updates answered that second)", "ms", warmup);
    let p50: Vec<(f64, f64)> = timeline.iter().map(|p| (mid(p.t), p.p50_ms)).collect();
    let p99: Vec<(f64, f64)> = timeline.iter().map(|p| (mid(p.t), p.p99_ms)).collect();
    latency.line(&mut out, &p50, "#1f77b4", "p50", 0);
    latency.line(&mut out, &p99, "#ff7f0e", "p99", 1);
    let _ = writeln!(out, "</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::nice;

    #[test]
    fn axis_maxima_are_round() {
        assert_eq!(nice(0.0), 1.0);
        assert_eq!(nice(7.3), 10.0);
        assert_eq!(nice(12_345.0), 20_000.0);
        assert_eq!(nice(0.04), 0.05);
    }
}
