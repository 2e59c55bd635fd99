//! Every report over a large history on Postgres: `--users` players (10^5
//! by default) and `--events` analytics events (10^6), spread over 90 days,
//! with their ledger and the rows of two offer experiments; each report
//! run `--runs` times (5), median printed.
//!
//! `cargo bench -p dianabot-persistence --bench reports -- [--users N] [--events N] [--runs N]`
//! Needs Postgres at `BENCH_DATABASE_URL` (default: the test server); the
//! database is created and dropped by the run. To profile the reports' SQL
//! (`EXPLAIN ANALYZE`) or compare two builds' answers: `--keep` leaves the
//! database (named in the output), `--database NAME` runs the reports over
//! such a kept one instead of writing a history, `--csv DIR` writes each
//! report's CSV there.

use std::time::{Duration, Instant};

use dianabot_persistence::Store;
use dianabot_persistence::reports::{self, CATALOGUE, DAY, OPERATIONS, Period, Scope};
use dianabot_test_support::history::{Arm, offer_history, synthetic};
use sqlx::Connection;

const DAYS: i64 = 90;
const FIRST_DAY: i64 = 20_000;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)?.parse().ok()).unwrap_or(default)
}

fn text_arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

fn main() {
    let (users, events, runs) = (arg("--users", 100_000), arg("--events", 1_000_000), arg("--runs", 5));
    dianabot_test_support::run(async move {
        let admin = std::env::var("BENCH_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let kept = text_arg("--database");
        let name = kept.clone().unwrap_or_else(|| format!("dianabot_bench_reports_{}", std::process::id()));
        let mut conn = sqlx::PgConnection::connect(&admin).await.expect("Postgres at BENCH_DATABASE_URL");
        if kept.is_none() {
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .expect("create");
        }
        let (base, _) = admin.rsplit_once('/').expect("database url has a path");
        let store = Store::open(&format!("{base}/{name}")).await.expect("open");
        if kept.is_none() {
            write_history(&store, users, events).await;
        }
        let scope = Scope {
            period: Period { since: FIRST_DAY * DAY, until: (FIRST_DAY + DAYS) * DAY },
            fragments: Default::default(),
        };
        let csv = text_arg("--csv");
        for entry in CATALOGUE.iter().filter(|entry| entry.name != OPERATIONS && runs > 0) {
            let mut times: Vec<Duration> = Vec::new();
            let mut report = None;
            for _ in 0..runs {
                let start = Instant::now();
                report = Some(reports::run(&store, entry.name, &scope).await.expect(entry.name));
                times.push(start.elapsed());
            }
            let report = report.expect("at least one run");
            if let Some(dir) = &csv {
                std::fs::write(format!("{dir}/{}.csv", entry.name), report.to_csv()).expect("csv written");
            }
            times.sort();
            println!(
                "{:<12} median {:>7.1} ms  (min {:>7.1}, max {:>7.1}; {} rows)",
                entry.name,
                times[times.len() / 2].as_secs_f64() * 1e3,
                times[0].as_secs_f64() * 1e3,
                times[times.len() - 1].as_secs_f64() * 1e3,
                report.rows.len()
            );
        }
        store.close().await;
        if kept.is_some() || std::env::args().any(|a| a == "--keep") {
            println!("kept database {name}");
            return;
        }
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
            .execute(&mut conn)
            .await
            .expect("drop");
    });
}

/// Writes the synthetic history (with the monthly partitions the server
/// would have created ahead) and analyzes it.
async fn write_history(store: &Store, users: usize, events: usize) {
    // Partitions for the months the history covers, as the server
    // would have created them ahead.
    for month in 0..4 {
        store.ensure_analytics_partitions((FIRST_DAY + month * 30) * DAY).await.expect("partitions");
    }
    let started = Instant::now();
    let mut history = synthetic(users as i64, events, FIRST_DAY, DAYS, 17);
    // reports (issue 18): two experiments on offers, each showing one offer
    // to 30 % of the players (half of them in its three arms).
    for (at, experiment) in ["vip_price", "comeback_copy"].into_iter().enumerate() {
        let arm = |variant, conversion| Arm { variant, players: users as i64 / 20, conversion };
        let arms = [arm("a", 0.08), arm("b", 0.12), arm("c", 0.10)];
        let (offers, _) = offer_history(experiment, &arms, 1, FIRST_DAY + 1, DAYS - 2, 17 + at as u64);
        history.events.extend(offers.events);
    }
    history.insert(store).await;
    let Store::Postgres(pool) = store else { unreachable!() };
    sqlx::query("ANALYZE").execute(pool).await.expect("analyze");
    println!(
        "history: {} users, {} events, {} ledger rows, written in {:.1} s",
        users,
        history.events.len(),
        history.ledger.len(),
        started.elapsed().as_secs_f64()
    );
}
