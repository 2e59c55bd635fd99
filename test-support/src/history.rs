//! Event histories written straight into the tables the reports read: a
//! small one with answers known by hand (the reports' tests) and a large
//! random one (the reports' benchmark).

use dianabot_persistence::Store;
use dianabot_persistence::reports::DAY;

/// Rows of `analytics_events`, `ledger`, `balances`, `posts`, `reactions`.
#[derive(Debug, Default, Clone)]
pub struct History {
    /// `(user, kind, subject, amount, at)`.
    pub events: Vec<(i64, String, String, i64, i64)>,
    /// `(user, seq, amount, counter_account, reason, at)`.
    pub ledger: Vec<(i64, i64, i64, String, String, i64)>,
    /// `(user, besitos)`.
    pub balances: Vec<(i64, i64)>,
    /// The next journal position of each user with entries.
    next_seq: std::collections::HashMap<i64, i64>,
    /// `(chat, message, target, published_at, excerpt)`.
    pub posts: Vec<(i64, i32, String, i64, String)>,
    /// `(user, chat, message, emoji, besitos, at)`.
    pub reactions: Vec<(i64, i64, i32, String, i64, i64)>,
}

impl History {
    /// An event of `user` on `day` (days since the epoch), at noon.
    pub fn event(&mut self, user: i64, kind: &str, subject: &str, amount: i64, day: i64) -> &mut Self {
        self.events.push((user, kind.to_owned(), subject.to_owned(), amount, day * DAY + DAY / 2));
        self
    }

    /// A ledger entry of `user` on `day`, next in their journal.
    pub fn ledger(&mut self, user: i64, amount: i64, counter: &str, reason: &str, day: i64) -> &mut Self {
        let next = self.next_seq.entry(user).or_insert(1);
        let seq = *next;
        *next += 1;
        self.ledger.push((user, seq, amount, counter.to_owned(), reason.to_owned(), day * DAY + DAY / 2));
        self
    }

    /// Writes every row, in chunks (Postgres: one statement over arrays per
    /// chunk; SQLite: one transaction).
    pub async fn insert(&self, store: &Store) {
        match store {
            Store::Postgres(pool) => {
                for chunk in self.events.chunks(50_000) {
                    let col = |f: fn(&(i64, String, String, i64, i64)) -> i64| chunk.iter().map(f).collect::<Vec<_>>();
                    let text =
                        |f: fn(&(i64, String, String, i64, i64)) -> &str| chunk.iter().map(f).collect::<Vec<_>>();
                    sqlx::query(
                        "INSERT INTO analytics_events (user_id, kind, subject, amount, at)
                         SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[])",
                    )
                    .bind(col(|e| e.0))
                    .bind(text(|e| &e.1))
                    .bind(text(|e| &e.2))
                    .bind(col(|e| e.3))
                    .bind(col(|e| e.4))
                    .execute(pool)
                    .await
                    .expect("insert events");
                }
                for chunk in self.ledger.chunks(50_000) {
                    type Entry = (i64, i64, i64, String, String, i64);
                    let col = |f: fn(&Entry) -> i64| chunk.iter().map(f).collect::<Vec<_>>();
                    let text = |f: fn(&Entry) -> &str| chunk.iter().map(f).collect::<Vec<_>>();
                    sqlx::query(
                        "INSERT INTO ledger (user_id, seq, amount, counter_account, reason, created_at)
                         SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::bigint[])",
                    )
                    .bind(col(|e| e.0))
                    .bind(col(|e| e.1))
                    .bind(col(|e| e.2))
                    .bind(text(|e| &e.3))
                    .bind(text(|e| &e.4))
                    .bind(col(|e| e.5))
                    .execute(pool)
                    .await
                    .expect("insert ledger");
                }
                for chunk in self.balances.chunks(50_000) {
                    sqlx::query(
                        "INSERT INTO balances (user_id, besitos) SELECT * FROM UNNEST($1::bigint[], $2::bigint[])",
                    )
                    .bind(chunk.iter().map(|b| b.0).collect::<Vec<_>>())
                    .bind(chunk.iter().map(|b| b.1).collect::<Vec<_>>())
                    .execute(pool)
                    .await
                    .expect("insert balances");
                }
                self.insert_posts(pool).await;
            }
            Store::Sqlite(pool) => {
                let mut tx = pool.begin().await.expect("begin");
                for (user, kind, subject, amount, at) in &self.events {
                    sqlx::query(
                        "INSERT INTO analytics_events (user_id, kind, subject, amount, at) VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(user)
                    .bind(kind)
                    .bind(subject)
                    .bind(amount)
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .expect("insert event");
                }
                for (user, seq, amount, counter, reason, at) in &self.ledger {
                    sqlx::query(
                        "INSERT INTO ledger (user_id, seq, amount, counter_account, reason, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(user)
                    .bind(seq)
                    .bind(amount)
                    .bind(counter)
                    .bind(reason)
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .expect("insert ledger");
                }
                for (user, besitos) in &self.balances {
                    sqlx::query("INSERT INTO balances (user_id, besitos) VALUES ($1, $2)")
                        .bind(user)
                        .bind(besitos)
                        .execute(&mut *tx)
                        .await
                        .expect("insert balance");
                }
                tx.commit().await.expect("commit");
                self.insert_posts(pool).await;
            }
        }
    }

    async fn insert_posts<DB: sqlx::Database>(&self, pool: &sqlx::Pool<DB>)
    where
        for<'c> &'c sqlx::Pool<DB>: sqlx::Executor<'c, Database = DB>,
        for<'q> <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
        i64: sqlx::Type<DB> + for<'q> sqlx::Encode<'q, DB>,
        i32: sqlx::Type<DB> + for<'q> sqlx::Encode<'q, DB>,
        String: sqlx::Type<DB> + for<'q> sqlx::Encode<'q, DB>,
    {
        for (chat, message, target, at, excerpt) in &self.posts {
            sqlx::query(
                "INSERT INTO posts (chat_id, message_id, target, published_at, excerpt) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(*chat)
            .bind(*message)
            .bind(target.clone())
            .bind(*at)
            .bind(excerpt.clone())
            .execute(pool)
            .await
            .expect("insert post");
        }
        for (user, chat, message, emoji, besitos, at) in &self.reactions {
            sqlx::query(
                "INSERT INTO reactions (user_id, chat_id, message_id, emoji, besitos, at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(*user)
            .bind(*chat)
            .bind(*message)
            .bind(emoji.clone())
            .bind(*besitos)
            .bind(*at)
            .execute(pool)
            .await
            .expect("insert reaction");
        }
    }
}

/// A random history of `users` players and about `events` analytics events
/// over `days` days from `first_day`: registrations spread over the days,
/// each player active on a few days with story decisions, reactions,
/// purchases and VIP, and the ledger entries beside them.
pub fn synthetic(users: i64, events: usize, first_day: i64, days: i64, seed: u64) -> History {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut history = History::default();
    let per_user = (events as i64 / users).max(1);
    let fragments = ["a", "b", "c", "d", "e", "f", "g", "h"];
    for user in 1..=users {
        let registered = first_day + rng.i64(0..days);
        history.event(user, "registered", "es", 0, registered);
        history.ledger(user, 100, "system:welcome_bonus", "welcome_bonus", registered);
        let mut balance = 100;
        let mut here = 0usize;
        for _ in 1..per_user {
            let day = (registered + rng.i64(0..=(first_day + days - registered).max(0))).min(first_day + days - 1);
            match rng.u8(0..100) {
                0..=44 => {
                    let next = (here + 1 + rng.usize(0..2)) % fragments.len();
                    let subject = format!("{}/{}", fragments[here], fragments[next]);
                    history.event(user, "decision", &subject, 0, day);
                    history.event(user, "fragment_entered", fragments[next], 0, day);
                    here = next;
                }
                45..=69 => {
                    history.event(user, "reaction_fragment", fragments[here], 5, day);
                    history.ledger(user, 5, "system:reaction", "reaction", day);
                    balance += 5;
                }
                70..=84 => {
                    let step = format!("tour/{}", ["intro", "quiz", "gift"][rng.usize(0..3)]);
                    history.event(user, "experience_step", &step, 0, day);
                }
                85..=92 if balance >= 30 => {
                    history.event(user, "purchase_completed", "rosa", 30, day);
                    history.ledger(user, -30, "system:purchase", "purchase", day);
                    balance -= 30;
                }
                85..=96 => {
                    history.event(user, "stars_paid", "pack", 50, day);
                }
                _ => {
                    history.event(user, "vip_activated", "monthly", 300, day);
                }
            }
        }
        history.balances.push((user, balance));
    }
    history
}

// reports (issue 18): offer histories whose conversion is known.

/// One arm of a generated experiment: `players` players shown an offer
/// under `variant`, each buying it with probability `conversion`.
#[derive(Debug, Clone, Copy)]
pub struct Arm {
    pub variant: &'static str,
    pub players: i64,
    pub conversion: f64,
}

/// What a generated offer history holds in its period, counted as it was
/// generated (not read back from the rows).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct OfferTruth {
    /// (offer, archetype) -> its players per stage.
    pub offers: std::collections::BTreeMap<(String, String), OfferStages>,
    /// (experiment, variant) -> (exposed, converted): players shown an
    /// offer under it in the period, and those of them who bought one.
    pub variants: std::collections::BTreeMap<(String, String), (i64, i64)>,
    /// Rows in the period with a malformed subject.
    pub malformed: i64,
}

/// Players with a row of each kind in the period (each stage on its own),
/// the purchases' amounts and the rows.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct OfferStages {
    pub shown: i64,
    pub opened: i64,
    pub bought: i64,
    pub expired: i64,
    pub revenue: i64,
    pub events: i64,
}

/// The offers a generated history shows, with their prices.
pub const OFFERS: [(&str, i64); 3] = [("vip_door", 300), ("rose_bundle", 45), ("comeback", 20)];
pub const ARCHETYPES: [&str; 6] = ["narrative_lover", "collector", "competitive", "social", "completionist", "none"];

/// One generated row, before it is text.
struct OfferRow {
    user: i64,
    kind: &'static str,
    /// offer, archetype, experiment, variant; `None`: a malformed subject.
    subject: Option<[&'static str; 4]>,
    amount: i64,
    day: i64,
}

/// An offer history over days `first_day .. first_day + days` (the period)
/// and its truth. Players from `first_user` on: for each arm of
/// `experiment` its players, each shown an offer (one in five twice) of a
/// random archetype on a random day of the period, buying it with the
/// arm's probability (having opened it), or else opening it one time in
/// three and letting it expire most of the time; as many players again
/// shown offers outside any experiment (`-`). Around them what the reports
/// must not count: offers shown the day before the period and bought on
/// its first day (a purchase, no exposure), rows the day after it, and a
/// few rows with malformed subjects in it.
pub fn offer_history(
    experiment: &'static str,
    arms: &[Arm],
    first_user: i64,
    first_day: i64,
    days: i64,
    seed: u64,
) -> (History, OfferTruth) {
    use std::collections::{BTreeMap, BTreeSet};
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut rows: Vec<OfferRow> = Vec::new();
    let mut user = first_user;
    let mut player = |rng: &mut fastrand::Rng,
                      rows: &mut Vec<OfferRow>,
                      experiment: &'static str,
                      variant: &'static str,
                      conversion: f64,
                      day: i64| {
        let (offer, price) = OFFERS[rng.usize(0..OFFERS.len())];
        let subject = Some([offer, ARCHETYPES[rng.usize(0..ARCHETYPES.len())], experiment, variant]);
        let row = |kind, amount, day| OfferRow { user, kind, subject, amount, day };
        rows.push(row("offer_shown", 0, day));
        if rng.u8(0..5) == 0 {
            rows.push(row("offer_shown", 0, day));
        }
        if rng.f64() < conversion {
            rows.push(row("offer_opened", 0, day));
            rows.push(row("offer_bought", price, day));
        } else {
            if rng.u8(0..3) == 0 {
                rows.push(row("offer_opened", 0, day));
            }
            if rng.u8(0..4) != 0 {
                rows.push(row("offer_expired", 0, day));
            }
        }
        user += 1;
    };
    for arm in arms {
        for _ in 0..arm.players {
            let day = first_day + rng.i64(0..days);
            player(&mut rng, &mut rows, experiment, arm.variant, arm.conversion, day);
        }
    }
    let outside: i64 = arms.iter().map(|arm| arm.players).sum();
    for _ in 0..outside {
        let day = first_day + rng.i64(0..days);
        player(&mut rng, &mut rows, "-", "-", 0.1, day);
    }
    // Shown before the period, bought in it.
    for _ in 0..3 {
        player(&mut rng, &mut rows, experiment, arms[0].variant, 1.0, first_day - 1);
        rows.last_mut().expect("the purchase, last").day = first_day;
    }
    // After the period: nothing of it counts.
    for _ in 0..5 {
        player(&mut rng, &mut rows, experiment, arms[0].variant, 0.5, first_day + days);
    }
    for day in [first_day, first_day + days - 1] {
        for kind in ["offer_shown", "offer_bought"] {
            rows.push(OfferRow { user: first_user, kind, subject: None, amount: 5, day });
        }
    }

    let mut history = History::default();
    let mut stages: BTreeMap<(String, String), [BTreeSet<i64>; 4]> = BTreeMap::new();
    let mut variants: BTreeMap<(String, String), [BTreeSet<i64>; 2]> = BTreeMap::new();
    let mut truth = OfferTruth::default();
    let malformed = ["vip_door|collector|-", "vip_door|collector|x|a|b", "vip_door||x|a", "|collector|-|-"];
    for (at, row) in rows.iter().enumerate() {
        let text = row.subject.map_or_else(|| malformed[at % malformed.len()].to_owned(), |parts| parts.join("|"));
        history.event(row.user, row.kind, &text, row.amount, row.day);
        if !(first_day..first_day + days).contains(&row.day) {
            continue;
        }
        let Some([offer, archetype, experiment, variant]) = row.subject else {
            truth.malformed += 1;
            continue;
        };
        let stage = ["offer_shown", "offer_opened", "offer_bought", "offer_expired"]
            .iter()
            .position(|kind| *kind == row.kind)
            .expect("an offer kind");
        let offer = (offer.to_owned(), archetype.to_owned());
        stages.entry(offer.clone()).or_default()[stage].insert(row.user);
        let counts = truth.offers.entry(offer).or_default();
        counts.events += 1;
        counts.revenue += row.amount;
        if experiment != "-" && (stage == 0 || stage == 2) {
            variants.entry((experiment.to_owned(), variant.to_owned())).or_default()[stage / 2].insert(row.user);
        }
    }
    for (offer, [shown, opened, bought, expired]) in stages {
        let counts = truth.offers.entry(offer).or_default();
        counts.shown = shown.len() as i64;
        counts.opened = opened.len() as i64;
        counts.bought = bought.len() as i64;
        counts.expired = expired.len() as i64;
    }
    for (variant, [exposed, bought]) in variants {
        truth.variants.insert(variant, (exposed.len() as i64, exposed.intersection(&bought).count() as i64));
    }
    (history, truth)
}
