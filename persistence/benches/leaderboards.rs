//! Leaderboards at 10^6 players: one score update and one rank lookup at a
//! time on a board that already holds a million players, timed one by one
//! for percentiles (criterion reports means), plus the memory the board
//! takes. `cargo bench -p dianabot-persistence --bench leaderboards`.

use std::time::Instant;

use dianabot_game::leaderboard::Metric;
use dianabot_persistence::{Leaderboards, ScoreDelta};

const PLAYERS: i64 = 1_000_000;
const OPS: usize = 200_000;
const WEEK: i64 = 1_795_996_800;

fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|pages| pages.parse().ok()).unwrap_or(0);
    pages * 4096
}

fn percentiles(name: &str, mut nanos: Vec<u64>) {
    nanos.sort_unstable();
    let at = |q: f64| nanos[((nanos.len() as f64 * q) as usize).min(nanos.len() - 1)];
    println!(
        "{name:<12} n={} p50={} ns p99={} ns p99.9={} ns max={} ns",
        nanos.len(),
        at(0.50),
        at(0.99),
        at(0.999),
        nanos[nanos.len() - 1]
    );
}

fn delta(user: i64, delta: i64, at: i64) -> ScoreDelta {
    ScoreDelta { metric: Metric::BesitosEarned, period: WEEK, user, delta, at }
}

fn main() {
    let mut rng = fastrand::Rng::with_seed(42);
    let boards = Leaderboards::default();
    let before = resident_bytes();
    let started = Instant::now();
    let fill: Vec<ScoreDelta> =
        (0..PLAYERS).map(|user| delta(user, rng.i64(1..100_000), WEEK + user % 3_600)).collect();
    boards.apply(&fill);
    drop(fill);
    let filled = started.elapsed();
    let after = resident_bytes();
    println!(
        "board of {PLAYERS} players filled in {filled:?}; resident memory +{:.1} MiB ({} B per player)",
        (after - before) as f64 / (1 << 20) as f64,
        (after - before) / PLAYERS as u64
    );

    let mut updates = Vec::with_capacity(OPS);
    for op in 0..OPS {
        let change = [delta(rng.i64(0..PLAYERS), rng.i64(1..50), WEEK + 3_600 + op as i64)];
        let started = Instant::now();
        boards.apply(&change);
        updates.push(started.elapsed().as_nanos() as u64);
    }
    percentiles("update", updates);

    let mut lookups = Vec::with_capacity(OPS);
    let mut found = 0usize;
    for _ in 0..OPS {
        let user = rng.i64(0..PLAYERS);
        let started = Instant::now();
        let standing = boards.standing(Metric::BesitosEarned, WEEK, user);
        lookups.push(started.elapsed().as_nanos() as u64);
        found += standing.map_or(0, |standing| standing.rank.min(1));
    }
    percentiles("rank lookup", lookups);

    let mut tops = Vec::with_capacity(10_000);
    for _ in 0..10_000 {
        let started = Instant::now();
        let top = boards.top(Metric::BesitosEarned, WEEK, 10);
        tops.push(started.elapsed().as_nanos() as u64);
        found += top.len().min(1);
    }
    percentiles("top 10", tops);
    assert_eq!(found, OPS + 10_000, "every player has a rank");
}
