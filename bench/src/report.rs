//! The report: one serde model written as JSON (`--json`), printed as a
//! table, and drawn as a chart (`--chart`). Its schema is documented in the
//! crate docs ([`crate`]).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Instant;

use serde::Serialize;

use crate::histogram::Histogram;
use crate::record::Recorder;
use crate::scenario::{Answer, Scenario};
use crate::target::{self, Metrics};

pub const SCHEMA: &str = "dianabot-bench/1";

#[derive(Debug, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub command: String,
    pub machine: Machine,
    pub config: ConfigReport,
    pub setup: SetupReport,
    pub baseline: Option<Baseline>,
    pub throughput: Throughput,
    pub latency_ms: Latency,
    pub scenarios: BTreeMap<String, ScenarioReport>,
    pub errors: Errors,
    pub persistence_lag_s: Lag,
    pub memory: Memory,
    pub consistency: Consistency,
    pub server_metrics: ServerMetrics,
    pub timeline: Vec<TimelinePoint>,
}

#[derive(Debug, Serialize)]
pub struct Machine {
    pub cores: usize,
    pub os: &'static str,
    pub arch: &'static str,
}

impl Machine {
    pub fn this() -> Machine {
        Machine {
            cores: std::thread::available_parallelism().map(usize::from).unwrap_or(1),
            os: std::env::consts::OS,
            arch: std::env::consts::ARCH,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ConfigReport {
    pub intake: target::IntakeMode,
    /// `spawned` (the harness started the server) or the server's URL.
    pub server: String,
    pub database: String,
    pub users: usize,
    /// Closed loop: steps in flight; open loop: the most in flight.
    pub concurrency: Option<usize>,
    /// Open loop: target updates/s. `null` in closed loop.
    pub rate: Option<f64>,
    pub warmup_s: f64,
    pub duration_s: f64,
    pub mix: BTreeMap<String, u32>,
    pub seed: u64,
    pub posts: usize,
    /// Auctions the operator opened for `bid` (`null` without bids).
    pub auctions: Option<usize>,
    pub reply_timeout_s: f64,
    pub user_id_base: u64,
}

#[derive(Debug, Serialize)]
pub struct SetupReport {
    pub users: usize,
    pub updates: u64,
    pub errors: u64,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Baseline {
    pub endpoint: &'static str,
    pub concurrency: usize,
    pub seconds: f64,
    pub requests: u64,
    pub errors: u64,
    pub per_second: f64,
}

#[derive(Debug, Serialize)]
pub struct Throughput {
    /// Steps answered in the measured window.
    pub updates: u64,
    pub errors: u64,
    pub seconds: f64,
    pub updates_per_second: f64,
    /// `updates_per_second / baseline.per_second`.
    pub ratio_to_baseline: Option<f64>,
}

#[derive(Debug, Default, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub mean: f64,
}

impl Latency {
    pub fn of(histogram: &Histogram) -> Latency {
        let ms = |micros: u64| micros as f64 / 1000.0;
        Latency {
            p50: ms(histogram.quantile(0.5)),
            p90: ms(histogram.quantile(0.9)),
            p99: ms(histogram.quantile(0.99)),
            p999: ms(histogram.quantile(0.999)),
            max: ms(histogram.max()),
            mean: histogram.mean() / 1000.0,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ScenarioReport {
    pub updates: u64,
    pub errors: u64,
    pub updates_per_second: f64,
    /// What the latency ends at: `reply` (the bot's message or edit) or
    /// `ack` (webhook 200 / polling offset; durable).
    pub answered_by: &'static str,
    pub latency_ms: Latency,
    /// Reactions only: paid by the game / repeats refused as already paid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fresh: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeated: Option<u64>,
    /// Gifts only: delivered to the receiver.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered: Option<u64>,
    /// Bids only: accepted by the auction (on top when placed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted: Option<u64>,
    /// Gifts and bids: refused by the game (an answer, not an error).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<u64>,
    /// Gifts and bids: notices the other players got (gifts received;
    /// outbid, won, refunded), over the whole run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notices: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct Errors {
    /// Every error of the run: steps (all phases) and Telegram-side.
    pub total: u64,
    /// Failed steps in the measured window, by kind.
    pub by_kind: BTreeMap<String, u64>,
    /// Failed steps in any phase (set-up, warm-up, measured), by kind.
    pub all_phases: BTreeMap<String, u64>,
    /// Bot API calls the emulator refused, and lost observations.
    pub telegram: BTreeMap<String, u64>,
}

/// `dianabot_flush_lag_seconds` (age of the oldest write of the last batch
/// at commit) sampled once a second in the measured window.
#[derive(Debug, Default, Serialize)]
pub struct Lag {
    pub samples: usize,
    pub max: f64,
    pub mean: f64,
    pub last: f64,
}

#[derive(Debug, Default, Serialize)]
pub struct Memory {
    /// `proc` (/proc of the spawned server), `metrics`
    /// (`dianabot_process_resident_memory_bytes`) or `none`.
    pub source: &'static str,
    pub rss_start_bytes: f64,
    pub rss_end_bytes: f64,
    pub rss_max_bytes: f64,
    /// Least-squares slope over the measured window.
    pub growth_bytes_per_min: f64,
}

#[derive(Debug, Serialize)]
pub struct ServerCounts {
    pub durable: u64,
    pub viewed: u64,
    pub ignored: u64,
    pub dead_lettered: u64,
    pub not_durable: u64,
    pub total: u64,
}

impl ServerCounts {
    fn delta(before: &Metrics, after: &Metrics) -> ServerCounts {
        let get = |outcome: &str| {
            let key = format!("dianabot_intake_updates_total{{outcome=\"{outcome}\"}}");
            let delta = after.get(&key).copied().unwrap_or(0.0) - before.get(&key).copied().unwrap_or(0.0);
            delta.max(0.0) as u64
        };
        let (durable, viewed, ignored) = (get("durable"), get("viewed"), get("ignored"));
        let (dead_lettered, not_durable) = (get("dead_lettered"), get("not_durable"));
        ServerCounts {
            durable,
            viewed,
            ignored,
            dead_lettered,
            not_durable,
            total: durable + viewed + ignored + dead_lettered + not_durable,
        }
    }
}

/// The harness's acknowledged updates against the server's intake counters
/// over the whole run (set-up included), both read after everything sent
/// was answered.
#[derive(Debug, Serialize)]
pub struct Consistency {
    pub harness: HarnessCounts,
    pub server: ServerCounts,
    pub matches: bool,
}

#[derive(Debug, Serialize)]
pub struct HarnessCounts {
    pub total: u64,
    pub by_scenario: BTreeMap<String, u64>,
}

#[derive(Debug, Serialize)]
pub struct ServerMetrics {
    /// Scrape before set-up and after the run; `name{labels}` → value.
    pub before: Metrics,
    pub after: Metrics,
    pub scrapes: usize,
    pub scrape_errors: u64,
}

#[derive(Debug, Serialize)]
pub struct TimelinePoint {
    /// Seconds since the load (warm-up) began.
    pub t: usize,
    pub phase: &'static str,
    pub updates: u64,
    pub by_scenario: BTreeMap<String, u64>,
    pub errors: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub flush_lag_s: Option<f64>,
    pub rss_bytes: Option<f64>,
    pub actors_live: Option<f64>,
    pub in_flight: Option<f64>,
    pub outbound_queue: Option<f64>,
}

/// One scrape of the server during the load.
#[derive(Debug, Clone)]
pub struct Sample {
    pub at: Instant,
    pub flush_lag: f64,
    pub rss: Option<f64>,
    pub actors_live: f64,
    pub in_flight: f64,
    pub outbound_queue: f64,
}

impl Sample {
    pub fn of(at: Instant, metrics: &Metrics, rss: Option<f64>) -> Sample {
        let value = |name: &str| metrics.get(name).copied().unwrap_or(0.0);
        Sample {
            at,
            flush_lag: value("dianabot_flush_lag_seconds"),
            rss: rss.or_else(|| metrics.get("dianabot_process_resident_memory_bytes").copied()),
            actors_live: value("dianabot_actors_live"),
            in_flight: target::sum(metrics, "dianabot_shard_in_flight"),
            outbound_queue: value("dianabot_telegram_outbound_queue"),
        }
    }
}

/// What the runner hands over to build the report.
pub struct Inputs<'a> {
    pub command: String,
    pub config: ConfigReport,
    pub recorder: &'a Recorder,
    pub setup_seconds: f64,
    pub baseline: Option<Baseline>,
    pub load_start: Instant,
    pub measure_start: Instant,
    pub measure_end: Instant,
    pub samples: &'a [Sample],
    pub memory_source: &'static str,
    pub before: Metrics,
    pub after: Metrics,
    pub scrape_errors: u64,
}

pub fn build(inputs: Inputs<'_>) -> Report {
    let recorder = inputs.recorder;
    let seconds = inputs.measure_end.duration_since(inputs.measure_start).as_secs_f64().max(1e-9);
    let mut all = Histogram::default();
    let mut scenarios = BTreeMap::new();
    let (mut updates, mut failed) = (0, 0);
    for (scenario, stats) in &recorder.scenarios {
        all.merge(&stats.latency);
        updates += stats.done;
        failed += stats.failed;
        let is = |kind: Scenario| *scenario == kind;
        let (gift, bid) = (is(Scenario::Gift), is(Scenario::AuctionBid));
        let notices = recorder.notices.iter().filter(|(notice, _)| notice.scenario() == *scenario).map(|(_, n)| n);
        scenarios.insert(
            scenario.name().to_owned(),
            ScenarioReport {
                updates: stats.done,
                errors: stats.failed,
                updates_per_second: stats.done as f64 / seconds,
                answered_by: match scenario.answer() {
                    Answer::Ack => "ack",
                    _ => "reply",
                },
                latency_ms: Latency::of(&stats.latency),
                fresh: is(Scenario::Reaction).then_some(stats.effective),
                repeated: is(Scenario::Reaction).then_some(stats.refused),
                delivered: gift.then_some(stats.effective),
                accepted: bid.then_some(stats.effective),
                refused: (gift || bid).then_some(stats.refused),
                notices: (gift || bid).then(|| notices.sum()),
            },
        );
    }
    let updates_per_second = updates as f64 / seconds;
    let baseline = inputs.baseline;
    let ratio = baseline.as_ref().filter(|b| b.per_second > 0.0).map(|b| updates_per_second / b.per_second);

    let in_window = |at: Instant| at >= inputs.measure_start && at <= inputs.measure_end;
    let window: Vec<&Sample> = inputs.samples.iter().filter(|sample| in_window(sample.at)).collect();
    let lag = Lag {
        samples: window.len(),
        max: window.iter().map(|s| s.flush_lag).fold(0.0, f64::max),
        mean: if window.is_empty() {
            0.0
        } else {
            window.iter().map(|s| s.flush_lag).sum::<f64>() / window.len() as f64
        },
        last: window.last().map_or(0.0, |s| s.flush_lag),
    };
    let memory = memory(&window, inputs.memory_source, inputs.measure_start);

    let server = ServerCounts::delta(&inputs.before, &inputs.after);
    let mut by_scenario: BTreeMap<String, u64> =
        recorder.acked.iter().map(|(scenario, n)| (scenario.name().to_owned(), *n)).collect();
    by_scenario.insert("post".to_owned(), recorder.published);
    let harness = HarnessCounts { total: by_scenario.values().sum(), by_scenario };
    let matches = harness.total == server.total && server.ignored + server.dead_lettered + server.not_durable == 0;

    // Whole seconds of the load; what was answered after its end (the
    // drain) is in the totals but would draw a misleading last point.
    let load_seconds = inputs.measure_end.duration_since(inputs.load_start).as_secs_f64().ceil() as usize;
    let timeline = recorder
        .seconds
        .iter()
        .take(load_seconds)
        .enumerate()
        .map(|(t, second)| {
            let at = inputs.load_start + std::time::Duration::from_secs(t as u64);
            let sample = inputs.samples.iter().find(|sample| {
                sample.at.checked_duration_since(inputs.load_start).is_some_and(|d| d.as_secs() == t as u64)
            });
            TimelinePoint {
                t,
                phase: if at < inputs.measure_start { "warmup" } else { "measure" },
                updates: second.done.values().sum(),
                by_scenario: second.done.iter().map(|(scenario, n)| (scenario.name().to_owned(), *n)).collect(),
                errors: second.errors,
                p50_ms: second.latency.quantile(0.5) as f64 / 1000.0,
                p99_ms: second.latency.quantile(0.99) as f64 / 1000.0,
                flush_lag_s: sample.map(|s| s.flush_lag),
                rss_bytes: sample.and_then(|s| s.rss),
                actors_live: sample.map(|s| s.actors_live),
                in_flight: sample.map(|s| s.in_flight),
                outbound_queue: sample.map(|s| s.outbound_queue),
            }
        })
        .collect();

    Report {
        schema: SCHEMA,
        command: inputs.command,
        machine: Machine::this(),
        setup: SetupReport {
            users: inputs.config.users,
            updates: recorder.setup.done + recorder.setup.failed,
            errors: recorder.setup.failed,
            seconds: inputs.setup_seconds,
        },
        config: inputs.config,
        baseline,
        throughput: Throughput { updates, errors: failed, seconds, updates_per_second, ratio_to_baseline: ratio },
        latency_ms: Latency::of(&all),
        scenarios,
        errors: Errors {
            total: recorder.total_errors(),
            by_kind: recorder.errors.clone(),
            all_phases: recorder.errors_all_phases.clone(),
            telegram: recorder.telegram_errors.clone(),
        },
        persistence_lag_s: lag,
        memory,
        consistency: Consistency { harness, server, matches },
        server_metrics: ServerMetrics {
            scrapes: inputs.samples.len() + 2,
            before: inputs.before,
            after: inputs.after,
            scrape_errors: inputs.scrape_errors,
        },
        timeline,
    }
}

fn memory(window: &[&Sample], source: &'static str, start: Instant) -> Memory {
    let points: Vec<(f64, f64)> =
        window.iter().filter_map(|s| Some((s.at.duration_since(start).as_secs_f64() / 60.0, s.rss?))).collect();
    let Some((first, last)) = points.first().zip(points.last()) else {
        return Memory { source: "none", ..Memory::default() };
    };
    let n = points.len() as f64;
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    Memory {
        source,
        rss_start_bytes: first.1,
        rss_end_bytes: last.1,
        rss_max_bytes: points.iter().map(|p| p.1).fold(0.0, f64::max),
        growth_bytes_per_min: if sxx > 0.0 { sxy / sxx } else { 0.0 },
    }
}

fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(digit);
    }
    out
}

fn mib(bytes: f64) -> String {
    format!("{:.1} MiB", bytes / 1_048_576.0)
}

/// The report as a terminal table.
pub fn table(report: &Report) -> String {
    let mut out = String::new();
    let config = &report.config;
    let load = match (config.rate, config.concurrency) {
        (Some(rate), Some(most)) => format!("open loop at {rate} updates/s, at most {most} in flight"),
        (Some(rate), None) => format!("open loop at {rate} updates/s"),
        (None, Some(concurrency)) => format!("closed loop, {concurrency} in flight"),
        (None, None) => "no load".to_owned(),
    };
    let _ = writeln!(
        out,
        "DianaBot bench — {} intake, {} users, {load}, {} s measured after {} s warm-up, seed {}",
        config.intake.name(),
        config.users,
        config.duration_s,
        config.warmup_s,
        config.seed
    );
    let _ = writeln!(out, "server: {}   database: {}", config.server, config.database);
    let _ = writeln!(
        out,
        "set-up: {} updates for {} users in {:.1} s, {} errors",
        report.setup.updates, report.setup.users, report.setup.seconds, report.setup.errors
    );
    if let Some(baseline) = &report.baseline {
        let _ = writeln!(
            out,
            "baseline GET {} ({} in flight, {:.0} s): {} requests/s, {} errors",
            baseline.endpoint,
            baseline.concurrency,
            baseline.seconds,
            thousands(baseline.per_second as u64),
            baseline.errors
        );
    }
    let ratio = report.throughput.ratio_to_baseline.map(|r| format!(" ({r:.2} × /healthz)")).unwrap_or_default();
    let _ = writeln!(
        out,
        "\nthroughput: {} updates/s{ratio}; {} updates answered, {} failed in the measured window\n",
        thousands(report.throughput.updates_per_second as u64),
        thousands(report.throughput.updates),
        report.throughput.errors
    );
    let _ = writeln!(
        out,
        "{:<10} {:>10} {:>9} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "scenario", "updates", "upd/s", "errors", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms"
    );
    let row = |out: &mut String, name: &str, updates: u64, rate: f64, errors: u64, l: &Latency| {
        let _ = writeln!(
            out,
            "{name:<10} {:>10} {:>9} {errors:>7} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
            thousands(updates),
            thousands(rate as u64),
            l.p50,
            l.p90,
            l.p99,
            l.p999,
            l.max
        );
    };
    for (name, scenario) in &report.scenarios {
        row(&mut out, name, scenario.updates, scenario.updates_per_second, scenario.errors, &scenario.latency_ms);
    }
    let t = &report.throughput;
    row(&mut out, "all", t.updates, t.updates_per_second, t.errors, &report.latency_ms);
    if let Some(reaction) = report.scenarios.get("reaction")
        && reaction.repeated.unwrap_or(0) > 0
    {
        let _ = writeln!(
            out,
            "  (reactions: {} paid, {} repeats refused by the game)",
            reaction.fresh.unwrap_or(0),
            reaction.repeated.unwrap_or(0)
        );
    }
    if let Some(gift) = report.scenarios.get("gift") {
        let _ = writeln!(
            out,
            "  (gifts: {} delivered, {} refused by the game; {} notices to their receivers)",
            thousands(gift.delivered.unwrap_or(0)),
            thousands(gift.refused.unwrap_or(0)),
            thousands(gift.notices.unwrap_or(0))
        );
    }
    if let Some(bid) = report.scenarios.get("bid") {
        let _ = writeln!(
            out,
            "  (bids on {} auctions: {} accepted, {} refused by the game; {} notices to bidders outbid or refunded)",
            report.config.auctions.unwrap_or(0),
            thousands(bid.accepted.unwrap_or(0)),
            thousands(bid.refused.unwrap_or(0)),
            thousands(bid.notices.unwrap_or(0))
        );
    }
    let lag = &report.persistence_lag_s;
    let _ = writeln!(
        out,
        "\npersistence lag (dianabot_flush_lag_seconds, {} samples): max {:.1} ms, mean {:.1} ms",
        lag.samples,
        lag.max * 1000.0,
        lag.mean * 1000.0
    );
    let memory = &report.memory;
    if memory.source != "none" {
        let _ = writeln!(
            out,
            "server RSS ({}): start {}, end {}, max {}, trend {}/min",
            memory.source,
            mib(memory.rss_start_bytes),
            mib(memory.rss_end_bytes),
            mib(memory.rss_max_bytes),
            mib(memory.growth_bytes_per_min)
        );
    }
    let c = &report.consistency;
    let by_scenario: Vec<String> =
        c.harness.by_scenario.iter().map(|(name, n)| format!("{name} {}", thousands(*n))).collect();
    let _ = writeln!(
        out,
        "consistency: harness acknowledged {} ({}); server /metrics counted {} (durable {}, viewed {}, other {}): {}",
        thousands(c.harness.total),
        by_scenario.join(", "),
        thousands(c.server.total),
        thousands(c.server.durable),
        thousands(c.server.viewed),
        c.server.ignored + c.server.dead_lettered + c.server.not_durable,
        if c.matches { "match" } else { "MISMATCH" }
    );
    if report.errors.total == 0 {
        let _ = writeln!(out, "errors: none");
    } else {
        let _ = writeln!(out, "errors: {} in total", report.errors.total);
        for (kind, count) in report.errors.all_phases.iter().chain(report.errors.telegram.iter()) {
            let _ = writeln!(out, "  {count:>8}  {kind}");
        }
    }
    out
}
