//! Every report over a small history whose answers are known by hand, on
//! Postgres and SQLite alike; the collection mapping; the partitions
//! created ahead.

use std::collections::BTreeMap;

use dianabot_persistence::reports::{self, DAY, FragmentInfo, Period, Report, Scope, Value};
use dianabot_persistence::{Store, UserWrite};
use dianabot_test_support::history::History;
use dianabot_test_support::{Backend, TestDb, run};

/// A Monday.
const B: i64 = 19_996;

/// Two registration weeks: players 1-10 on day B, 11-14 on B+7. Activity,
/// story, purchases, experiences, ledger and posts as the tests below
/// expect (each figure is worked out beside its assertion).
fn history() -> History {
    let mut h = History::default();
    for user in 1..=10 {
        h.event(user, "registered", "es", 0, B).event(user, "fragment_entered", "a", 0, B);
        h.ledger(user, 100, "system:welcome_bonus", "welcome_bonus", B);
    }
    for user in 11..=14 {
        h.event(user, "registered", "en", 0, B + 7).event(user, "fragment_entered", "a", 0, B + 7);
    }
    // Players 1-6 take three decisions on day 1, to the ending.
    for user in 1..=6 {
        for (from, to) in [("a", "b"), ("b", "d"), ("d", "e")] {
            h.event(user, "decision", &format!("{from}/{to}"), 0, B + 1).event(user, "fragment_entered", to, 0, B + 1);
        }
    }
    // A gift received is no activity: player 9 does not count as back on day 1.
    h.event(9, "gift_received", "1", 20, B + 1);
    // 7: a decision and a reaction (engaged); 8: one decision (not).
    h.event(7, "decision", "a/c", 0, B + 2).event(7, "fragment_entered", "c", 0, B + 2);
    h.event(7, "reaction_fragment", "c", 5, B + 2);
    h.event(8, "decision", "a/b", 0, B + 3).event(8, "fragment_entered", "b", 0, B + 3);
    // Purchases: 1-3 in Stars on day 7 (3 refunded), 4 in besitos on day 0;
    // 1 pays VIP on day 30; 5 is granted VIP (no conversion).
    h.event(1, "stars_paid", "pack", 100, B + 7).event(2, "stars_paid", "pack", 50, B + 7);
    h.event(3, "stars_paid", "pack", 50, B + 7).event(3, "stars_refunded", "pack", 50, B + 7);
    h.event(4, "purchase_completed", "rosa", 30, B);
    h.event(1, "vip_activated", "monthly", 300, B + 30);
    h.event(5, "vip_granted", "7", 0, B + 2);
    // Week 2: 11 and 12 back on day 1, 11 on day 7.
    h.event(11, "fragment_entered", "a", 0, B + 8).event(12, "fragment_entered", "a", 0, B + 8);
    h.event(11, "fragment_entered", "a", 0, B + 14);
    // Experience "tour": 5 start, 4 intro, 2 quiz, 1 completes, 5 abandons, 4 lets it expire.
    for user in 1..=5 {
        h.event(user, "experience_start", "tour", 0, B + 2);
    }
    for user in 1..=4 {
        h.event(user, "experience_step", "tour/intro", 0, B + 2);
    }
    for user in 1..=2 {
        h.event(user, "experience_step", "tour/quiz", 0, B + 3);
    }
    h.event(1, "experience_complete", "tour", 0, B + 3);
    h.event(5, "experience_abandon", "tour", 0, B + 3);
    h.event(4, "experience_expire", "tour", 0, B + 4);
    // Ledger on day 1: a purchase burns 30, a gift moves 20 between players.
    h.ledger(4, -30, "system:purchase", "purchase", B + 1);
    h.ledger(1, -20, "transfer:1", "gift_sent", B + 1);
    h.ledger(2, 20, "transfer:1", "gift_received", B + 1);
    h.balances = (1..=10).map(|user| (user, 100)).collect();
    h.balances[0].1 = 80;
    h.balances[1].1 = 120;
    h.balances[3].1 = 70;
    h.posts.push((-100, 1, "free_post".into(), (B + 1) * DAY, "hola, \"mundo\"".into()));
    h.posts.push((-100, 2, "free_post".into(), (B + 2) * DAY, "otra".into()));
    for (user, emoji) in [(1, "❤"), (1, "🔥"), (2, "❤")] {
        h.reactions.push((user, -100, 1, emoji.into(), 5, (B + 1) * DAY + 60));
    }
    h
}

fn scope() -> Scope {
    let fragment = |level, ending| FragmentInfo { level, ending };
    let fragments = BTreeMap::from([
        ("a".to_owned(), fragment(1, false)),
        ("b".to_owned(), fragment(1, false)),
        ("c".to_owned(), fragment(1, false)),
        ("d".to_owned(), fragment(2, false)),
        ("e".to_owned(), fragment(2, true)),
    ]);
    Scope { period: Period { since: B * DAY, until: (B + 40) * DAY }, fragments }
}

fn int(report: &Report, key: &str, column: &str) -> i64 {
    report.value(key, column).and_then(Value::as_i64).unwrap_or_else(|| panic!("{key}/{column} in {report:?}"))
}

fn real(report: &Report, key: &str, column: &str) -> f64 {
    let value = report.value(key, column).and_then(Value::as_f64);
    (value.unwrap_or_else(|| panic!("{key}/{column} in {report:?}")) * 100.0).round() / 100.0
}

fn every_report_gives_the_known_answers(backend: Backend) {
    run(async {
        let db = TestDb::new(backend).await;
        let store = db.store().await;
        history().insert(&store).await;
        let scope = scope();
        let report = |name: &'static str| {
            let (store, scope) = (&store, &scope);
            async move { reports::run(store, name, scope).await.expect(name) }
        };
        let day = |d: i64| reports::date(B + d);

        let activity = report("activity").await;
        assert_eq!(activity.rows.len(), 40);
        assert_eq!(int(&activity, &day(0), "dau"), 10);
        assert_eq!(int(&activity, &day(1), "dau"), 6, "the gift received is no activity");
        assert_eq!(int(&activity, &day(1), "wau"), 10);
        assert_eq!(int(&activity, &day(8), "wau"), 11, "6, 9 and 10 last seen before day 2");
        assert_eq!(int(&activity, &day(8), "mau"), 14);

        let retention = report("retention").await;
        assert_eq!(retention.rows.len(), 2);
        assert_eq!(int(&retention, &day(0), "players"), 10);
        assert_eq!(real(&retention, &day(0), "d1"), 60.0);
        assert_eq!(real(&retention, &day(0), "d7"), 30.0);
        assert_eq!(real(&retention, &day(0), "d30"), 10.0);
        assert_eq!(int(&retention, &day(7), "players"), 4);
        assert_eq!(real(&retention, &day(7), "d1"), 50.0);
        assert_eq!(real(&retention, &day(7), "d7"), 25.0);
        assert_eq!(real(&retention, &day(7), "d30"), 0.0);

        let funnel = report("funnel").await;
        assert_eq!(int(&funnel, "registered", "players"), 14);
        assert_eq!(int(&funnel, "engaged", "players"), 7);
        assert_eq!(real(&funnel, "engaged", "of_previous"), 50.0);
        assert_eq!(int(&funnel, "purchaser", "players"), 4);
        assert_eq!(real(&funnel, "purchaser", "of_previous"), 57.14);
        assert_eq!(int(&funnel, "vip", "players"), 1);
        assert_eq!(real(&funnel, "vip", "of_previous"), 25.0);
        assert_eq!(real(&funnel, "vip", "of_registered"), 7.14);

        let revenue = report("revenue").await;
        assert_eq!(real(&revenue, "stars_net", "value"), 450.0);
        assert_eq!(real(&revenue, "active_players", "value"), 14.0);
        assert_eq!(real(&revenue, "paying_players", "value"), 3.0);
        assert_eq!(real(&revenue, "arpu", "value"), 32.14);
        assert_eq!(real(&revenue, "arppu", "value"), 150.0);
        assert_eq!(real(&revenue, "ltv", "value"), 32.14);

        let story = report("story").await;
        let order: Vec<String> = story.cells().into_iter().map(|row| row[0].clone()).collect();
        assert_eq!(order, ["a", "b", "c", "d", "e"], "biggest drop-off first, the ending last");
        assert_eq!((int(&story, "a", "reached"), int(&story, "a", "dropped")), (14, 6));
        assert_eq!(real(&story, "a", "drop_rate"), 42.86);
        assert_eq!((int(&story, "b", "reached"), int(&story, "b", "continued")), (7, 6));
        assert_eq!(story.value("e", "dropped"), Some(&Value::Null));

        let decisions = report("decisions").await;
        assert_eq!(decisions.cells()[0], ["a", "b", "7", "7", "87.50"]);
        assert_eq!(decisions.cells()[1], ["a", "c", "1", "1", "12.50"]);

        let levels = report("levels").await;
        assert_eq!(levels.cells(), [["1", "14", "6", "42.86"], ["2", "6", "6", "100.00"]]);

        let experiences = report("experiences").await;
        let stages: Vec<Vec<String>> = experiences.cells().into_iter().map(|row| row[1..].to_vec()).collect();
        assert_eq!(
            stages,
            [
                ["start", "5", "", ""],
                ["intro", "4", "1", "20.00"],
                ["quiz", "2", "2", "50.00"],
                ["complete", "1", "1", "50.00"],
                ["abandoned", "1", "", "20.00"],
                ["expired", "1", "", "20.00"],
            ]
        );

        let economy = report("economy").await;
        assert_eq!(economy.cells()[0][1..], ["1000", "0", "1000", "1000", ""]);
        assert_eq!(economy.cells()[1][1..], ["0", "30", "-30", "970", "-3.00"]);
        assert_eq!(int(&economy, &day(39), "supply"), 970);

        let faucets = report("faucets").await;
        let day1: Vec<Vec<String>> =
            faucets.cells().into_iter().filter(|row| row[0] == day(1)).map(|row| row[1..].to_vec()).collect();
        assert_eq!(day1, [["gift_received", "20", "0"], ["gift_sent", "0", "20"], ["purchase", "0", "30"]]);

        let holders = report("holders").await;
        assert_eq!(holders.cells()[0], ["1", "2", "120", "12.37"]);
        assert_eq!(holders.cells()[9], ["10", "4", "70", "7.22"]);

        let posts = report("posts").await;
        assert_eq!(posts.cells()[1][3..], ["free_post", "hola, \"mundo\"", "3", "2", "15"]);
        assert_eq!(posts.cells()[0][5..], ["0", "0", "0"]);
        assert!(posts.to_csv().contains(",\"hola, \"\"mundo\"\"\",3,2,15\r\n"), "{}", posts.to_csv());

        assert!(matches!(
            reports::run(&store, "nope", &scope).await,
            Err(reports::ReportError::Unknown(name)) if name == "nope"
        ));
        store.close().await;
        db.drop_db().await;
    });
}

#[test]
fn every_report_gives_the_known_answers_on_postgres() {
    every_report_gives_the_known_answers(Backend::Postgres);
}

#[test]
fn every_report_gives_the_known_answers_on_sqlite() {
    every_report_gives_the_known_answers(Backend::Sqlite);
}

#[test]
fn partitions_are_created_ahead_once_and_take_the_rows_waiting_in_default() {
    run(async {
        let db = TestDb::postgres().await;
        let store = db.store().await;
        let Store::Postgres(pool) = &store else { unreachable!() };
        // 2026-11-30: November and the three months after.
        let now = 1_796_000_000;
        let mut early = History::default();
        early.event(1, "registered", "es", 0, now / DAY);
        early.insert(&store).await;
        let created = store.ensure_analytics_partitions(now).await.expect("partitions");
        assert_eq!(
            created,
            [
                "analytics_events_202611",
                "analytics_events_202612",
                "analytics_events_202701",
                "analytics_events_202702"
            ]
        );
        assert_eq!(store.ensure_analytics_partitions(now).await.expect("again"), Vec::<String>::new());
        let count = |table: &'static str| {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"))).fetch_one(pool)
        };
        assert_eq!(count("analytics_events_202611").await.expect("count"), 1, "moved out of the default");
        assert_eq!(count("analytics_events_default").await.expect("count"), 0);
        // A write in a month with no partition still lands (in the default).
        let mut late = History::default();
        late.event(2, "registered", "es", 0, now / DAY + 400);
        late.insert(&store).await;
        assert_eq!(count("analytics_events").await.expect("count"), 2);
        store.close().await;
        db.drop_db().await;
    });
}

/// The analytics rows of one player's table, in order.
async fn rows_of(store: &Store, user: i64) -> Vec<(String, String, i64)> {
    let sql = "SELECT kind, subject, amount FROM analytics_events WHERE user_id = $1 ORDER BY at, kind, subject";
    match store {
        Store::Postgres(pool) => sqlx::query_as(sql).bind(user).fetch_all(pool).await,
        Store::Sqlite(pool) => sqlx::query_as(sql).bind(user).fetch_all(pool).await,
    }
    .expect("analytics rows")
}

fn a_decision_writes_its_rows_with_its_effect(backend: Backend) {
    use dianabot_game::{Command, Ctx, Language, ProfileCommand, Rules, StoryCommand, UserId, UserState, decide};
    run(async {
        let db = TestDb::new(backend).await;
        let store = db.store().await;
        let rules = Rules::default();
        let content = dianabot_test_support::load_demo().expect("demo content");
        let now = 1_700_000_000;
        let ctx = Ctx { now, rules: &rules, content: &content, update_id: None };
        let start = content.start().as_str().to_owned();
        let first = content.fragment(&start).expect("start").decisions[0].to.as_str().to_owned();
        let register = Command::Profile(ProfileCommand::Register {
            first_name: "Ana".into(),
            username: None,
            language: Language::Es,
        });
        let commands = [
            register,
            Command::Story(StoryCommand::OpenStory { page: None }),
            Command::Story(StoryCommand::OpenFragment { fragment: first.clone(), page: None }),
            // Not reachable from where she stands: refused, so no row.
            Command::Story(StoryCommand::OpenFragment { fragment: "no_such_fragment".into(), page: None }),
        ];
        let mut state = UserState::new(UserId(7));
        let mut refused = 0;
        for command in &commands {
            let Ok(events) = decide(&state, command, ctx) else {
                refused += 1;
                continue;
            };
            events.iter().for_each(|event| state.apply(event));
            state.version += 1;
            let write = UserWrite::from_events(&state, &events, now);
            store.write_batch(&[write]).await.expect("write");
        }
        assert_eq!(refused, 1);
        // The first step unlocks an achievement (the demo content's).
        assert_eq!(state.progress.achievements.len(), 1);
        let mut expected = vec![
            ("decision".to_owned(), format!("{start}/{first}"), 0),
            ("fragment_entered".to_owned(), first.clone(), 0),
            ("fragment_entered".to_owned(), start.clone(), 0),
            ("registered".to_owned(), "es".to_owned(), 0),
        ];
        expected.extend(state.progress.achievements.iter().map(|a| ("achievement_unlocked".to_owned(), a.clone(), 0)));
        // The clues the demo hides on that way.
        let clues = state.progress.backpack.iter().flat_map(|backpack| &backpack.pieces);
        expected.extend(clues.map(|piece| ("lore_found".to_owned(), piece.clone(), 0)));
        expected.sort();
        let mut rows = rows_of(&store, 7).await;
        rows.sort();
        assert_eq!(rows, expected);
        // With collection off (`ANALYTICS_COLLECT=off`) the same decisions
        // write their effects and no row.
        let mut state = UserState::new(UserId(8));
        for command in &commands[..3] {
            let events = decide(&state, command, ctx).expect("accepted");
            events.iter().for_each(|event| state.apply(event));
            state.version += 1;
            store.write_batch(&[UserWrite::collecting(&state, &events, now, false)]).await.expect("write");
        }
        assert!(rows_of(&store, 8).await.is_empty());
        let loaded = store.load_user(UserId(8)).await.expect("load").expect("registered");
        assert_eq!(loaded.progress.story.path, state.progress.story.path);
        store.close().await;
        db.drop_db().await;
    });
}

#[test]
fn a_decision_writes_its_rows_with_its_effect_on_postgres() {
    a_decision_writes_its_rows_with_its_effect(Backend::Postgres);
}

#[test]
fn a_decision_writes_its_rows_with_its_effect_on_sqlite() {
    a_decision_writes_its_rows_with_its_effect(Backend::Sqlite);
}

// Alerts and daily insights.

/// The insights of day B+7 over the history above, with a fragment where
/// five players stopped, two VIPs at risk and a day of inflation added.
fn insights_give_the_known_answers(backend: Backend) {
    use dianabot_persistence::insights::{
        self, EconomyWarning, InsightSettings, Insights, Spender, Stop, VipAtRisk, VipRisk,
    };
    use dianabot_persistence::{AlertState, StoredTimer, USER_TIMERS};
    run(async {
        let db = TestDb::new(backend).await;
        let store = db.store().await;
        let mut h = history();
        // Players 20-24 reach "c" on the day and go no further.
        for user in 20..=24 {
            h.event(user, "fragment_entered", "c", 0, B + 7);
        }
        // 100 besitos minted on the day over 970 in circulation: 10.30 %.
        h.ledger(11, 100, "system:daily_gift", "daily_gift", B + 7);
        h.insert(&store).await;
        let timer = |user: i64, name: &str, day: i64| StoredTimer {
            owner_kind: USER_TIMERS.to_owned(),
            owner_id: user,
            name: name.to_owned(),
            due: day * DAY,
        };
        // 5: VIP ending the day after next. 6: VIP, active on day 1. 9: VIP,
        // last active on day 0 (a gift received is no activity of theirs).
        for (user, expiry) in [(5, B + 9), (6, B + 20), (9, B + 30)] {
            store.set_timer(&timer(user, "vip.expiry", expiry)).await.unwrap();
            store.set_timer(&timer(user, "vip.grace_end", expiry + 3)).await.unwrap();
        }
        let settings =
            InsightSettings { top: 2, concentration_top: 3, concentration_pct: 30.0, ..InsightSettings::default() };
        let found = insights::insights(&store, &scope().fragments, B + 7, &settings).await.unwrap();
        let expected = Insights {
            day: B + 7,
            // Over days B+1..=B+7: c reached by 7 and 20-24, none went on;
            // b reached by 1-6 and 8, 1-6 went on.
            stops: vec![
                Stop { fragment: "c".into(), reached: 6, dropped: 6 },
                Stop { fragment: "b".into(), reached: 7, dropped: 1 },
            ],
            // 3 was refunded all they paid; 1's VIP comes on day 30.
            high_value: vec![Spender { user: 1, stars: 100 }, Spender { user: 2, stars: 50 }],
            vips_at_risk: vec![
                VipAtRisk { user: 5, risk: VipRisk::Expiring { until: (B + 9) * DAY } },
                VipAtRisk { user: 9, risk: VipRisk::Inactive { last_seen: B * DAY + DAY / 2 } },
            ],
            // 320 of the 970 besitos held by the richest three (120, 100, 100).
            warnings: vec![
                EconomyWarning::Inflation { basis_points: 1030 },
                EconomyWarning::Concentration { holders: 3, basis_points: 3298 },
            ],
        };
        assert_eq!(found, expected);
        // A quiet economy and few holders warn of nothing.
        let calm = InsightSettings { inflation_pct: 20.0, ..InsightSettings::default() };
        assert!(insights::insights(&store, &scope().fragments, B + 7, &calm).await.unwrap().warnings.is_empty());

        // Stored per day, read back the same, summarised once.
        assert_eq!(store.latest_insights().await.unwrap(), None);
        store.save_insights(&found, (B + 8) * DAY).await.unwrap();
        store.save_insights(&Insights { day: B + 6, ..Insights::default() }, (B + 7) * DAY).await.unwrap();
        assert_eq!(store.insights_of(B + 7).await.unwrap(), expected);
        assert_eq!(store.latest_insights().await.unwrap(), Some(expected.clone()));
        assert!(store.mark_insights_summarised(B + 7, (B + 8) * DAY).await.unwrap());
        assert!(!store.mark_insights_summarised(B + 7, (B + 8) * DAY + 5).await.unwrap(), "once");
        // Computed again (a firing delivered twice): replaced, still summarised.
        store.save_insights(&found, (B + 8) * DAY + 9).await.unwrap();
        assert_eq!(store.insights_of(B + 7).await.unwrap(), expected);
        assert!(!store.mark_insights_summarised(B + 7, (B + 8) * DAY + 10).await.unwrap());

        // The alerts' state and the failed payments they watch.
        let state = AlertState {
            rule: "p95:decide".into(),
            firing_since: Some(10),
            last_notified: Some(10),
            resolved_at: None,
            value: 2500.5,
        };
        store.put_alert_state(&state).await.unwrap();
        let resolved = AlertState { firing_since: None, resolved_at: Some(99), ..state.clone() };
        store.put_alert_state(&resolved).await.unwrap();
        assert_eq!(store.alert_states().await.unwrap(), [resolved]);
        // Player 3's refund on day B+7.
        assert_eq!(store.failed_payments_since((B + 7) * DAY).await.unwrap(), 1);
        assert_eq!(store.failed_payments_since((B + 8) * DAY).await.unwrap(), 0);
    })
}

#[test]
fn insights_give_the_known_answers_on_postgres() {
    insights_give_the_known_answers(Backend::Postgres);
}

#[test]
fn insights_give_the_known_answers_on_sqlite() {
    insights_give_the_known_answers(Backend::Sqlite);
}

/// The purchase saga's compensation (`AbortPurchase`) gives the besitos
/// back: its row is `purchase_failed` with the besitos returned, apart from
/// the Stars refunds (`stars_refunded`), beside the ledger's refund.
fn a_compensated_purchase_writes_its_besitos_refund(backend: Backend) {
    use dianabot_game::{AdminCommand, Besitos, Command, Ctx, Language, ProfileCommand, Rules, ShopCommand};
    use dianabot_game::{UserId, UserState, decide};
    run(async {
        let db = TestDb::new(backend).await;
        let store = db.store().await;
        let rules = Rules::default();
        let content = dianabot_test_support::load_demo().expect("demo content");
        let now = 1_700_000_000;
        let ctx = Ctx { now, rules: &rules, content: &content, update_id: None };
        let price = 25;
        let commands = [
            Command::Profile(ProfileCommand::Register {
                first_name: "Ana".into(),
                username: None,
                language: Language::Es,
            }),
            Command::Admin(AdminCommand::AdminGrant(Besitos::new(100).expect("amount"))),
            Command::Shop(ShopCommand::StartPurchase { purchase: 1, item: "rosa_negra".into() }),
            Command::Shop(ShopCommand::AbortPurchase { purchase: 1 }),
        ];
        let mut state = UserState::new(UserId(9));
        let mut balances = Vec::new();
        for command in &commands {
            let events = decide(&state, command, ctx).expect("accepted");
            events.iter().for_each(|event| state.apply(event));
            state.version += 1;
            store.write_batch(&[UserWrite::from_events(&state, &events, now)]).await.expect("write");
            balances.push(state.wallet.balance);
        }
        assert_eq!((balances[2], balances[3]), (balances[1] - price, balances[1]), "paid, then given back");
        let rows = rows_of(&store, 9).await;
        assert_eq!(
            rows,
            [
                ("purchase_failed".to_owned(), "rosa_negra".to_owned(), price),
                ("registered".to_owned(), "es".to_owned(), 0)
            ]
        );
        let scope = Scope { period: Period::last_days(now, 1), fragments: BTreeMap::new() };
        let faucets = reports::run(&store, "faucets", &scope).await.expect("faucets");
        let refund = faucets.rows.iter().find(|row| row[1] == Value::Text("purchase_refund".into()));
        assert_eq!(refund.map(|row| row[2].clone()), Some(Value::Int(price)), "{:?}", faucets.rows);
        store.close().await;
        db.drop_db().await;
    });
}

#[test]
fn a_compensated_purchase_writes_its_besitos_refund_on_postgres() {
    a_compensated_purchase_writes_its_besitos_refund(Backend::Postgres);
}

#[test]
fn a_compensated_purchase_writes_its_besitos_refund_on_sqlite() {
    a_compensated_purchase_writes_its_besitos_refund(Backend::Sqlite);
}

// reports (issue 18): offers and experiments.

/// The line of `report` whose first two cells are `a` and `b`, as text.
fn line(report: &Report, a: &str, b: &str) -> Vec<String> {
    let cells = report.cells();
    let found = cells.into_iter().find(|row| row[0] == a && row[1] == b);
    found.unwrap_or_else(|| panic!("{a}/{b} in {:?}", report.cells()))
}

/// The value of `column` in the line of `a` and `b`, as a number.
fn number(report: &Report, a: &str, b: &str, column: &str) -> Option<f64> {
    let at = report.columns.iter().position(|c| c.name == column).expect("column");
    let first = |v: &Value| v.display(report.columns[0].kind);
    let row = report.rows.iter().find(|row| first(&row[0]) == a && row[1] == Value::Text(b.to_owned()));
    row.unwrap_or_else(|| panic!("{a}/{b} in {:?}", report.cells()))[at].as_f64()
}

/// A handful of players whose every count is worked out by hand.
fn offers_give_the_known_answers(backend: Backend) {
    run(async {
        let db = TestDb::new(backend).await;
        let store = db.store().await;
        let mut h = History::default();
        let door =
            |archetype: &str, experiment: &str, variant: &str| format!("vip_door|{archetype}|{experiment}|{variant}");
        let collector = door("collector", "vip_price", "a");
        // 1: shown twice, opened, bought: one player shown, one bought.
        h.event(1, "offer_shown", &collector, 0, B).event(1, "offer_shown", &collector, 0, B + 1);
        h.event(1, "offer_opened", &collector, 0, B + 1).event(1, "offer_bought", &collector, 300, B + 1);
        // 2: opened but not bought, then it expired.
        h.event(2, "offer_shown", &collector, 0, B).event(2, "offer_opened", &collector, 0, B);
        h.event(2, "offer_expired", &collector, 0, B + 2);
        // 3: shown under variant b, then (the flag moved) under a, bought
        // there: one player of the offer, exposed in both variants.
        h.event(3, "offer_shown", &door("collector", "vip_price", "b"), 0, B + 1);
        h.event(3, "offer_shown", &collector, 0, B + 3).event(3, "offer_bought", &collector, 300, B + 3);
        // 4: shown as a social player outside the experiment, bought.
        h.event(4, "offer_shown", &door("social", "-", "-"), 0, B + 1);
        h.event(4, "offer_bought", &door("social", "-", "-"), 250, B + 1);
        // 5: outside the period: the day before, and at its very end (excluded).
        h.event(5, "offer_shown", &collector, 0, B - 1);
        h.events.push((5, "offer_bought".into(), collector.clone(), 300, (B + 10) * DAY));
        // 6: shown before the period, bought in it: a purchase, no exposure.
        h.event(6, "offer_shown", &door("collector", "vip_price", "b"), 0, B - 1);
        h.event(6, "offer_bought", &door("collector", "vip_price", "b"), 300, B + 2);
        // Malformed: too few parts, too many, an empty one: skipped, counted.
        h.event(7, "offer_shown", "vip_door|collector", 0, B);
        h.event(7, "offer_bought", "vip_door|collector|vip_price|a|x", 300, B);
        h.event(7, "offer_opened", "vip_door||vip_price|a", 0, B);
        // Another kind with the same subject is no offer row.
        h.event(8, "fragment_entered", &collector, 0, B);
        h.insert(&store).await;
        let scope = Scope { period: Period { since: B * DAY, until: (B + 10) * DAY }, fragments: BTreeMap::new() };

        let offers = reports::run(&store, "offers", &scope).await.expect("offers");
        let names: Vec<&str> = offers.columns.iter().map(|c| c.name).collect();
        assert_eq!(
            names,
            [
                "offer",
                "archetype",
                "shown",
                "opened",
                "bought",
                "expired",
                "open_rate",
                "conversion",
                "revenue",
                "events"
            ]
        );
        // Shown: 1, 2, 3; opened: 1, 2; bought: 1, 3, 6 (6 was shown before
        // the period); expired: 2. 300 × 3 paid; 11 rows.
        assert_eq!(
            offers.cells(),
            [
                vec!["vip_door", "collector", "3", "2", "3", "1", "66.67", "100.00", "900", "11"],
                vec!["vip_door", "social", "1", "0", "1", "0", "0.00", "100.00", "250", "2"],
                vec!["(malformed)", "", "", "", "", "", "", "", "", "3"],
            ]
        );

        let experiments = reports::run(&store, "experiments", &scope).await.expect("experiments");
        // a: 1, 2, 3 exposed, 1 and 3 bought. b: 3 exposed (6 was shown
        // before the period), none bought under b. Outside it (4): not here.
        assert_eq!(experiments.rows.len(), 3, "{:?}", experiments.cells());
        assert_eq!(line(&experiments, "vip_price", "a")[2..5], ["3", "2", "66.67"]);
        assert_eq!(line(&experiments, "vip_price", "b")[2..5], ["1", "0", "0.00"]);
        assert_eq!(line(&experiments, "(malformed)", "")[10], "3");
        // The intervals, to the hundredth of a percent (computed apart).
        assert_eq!(line(&experiments, "vip_price", "a")[5..8], ["20.77", "93.85", ""], "the control has no difference");
        let b = line(&experiments, "vip_price", "b");
        assert_eq!(b[5..10], ["0.00", "79.35", "-66.67", "-93.85", "25.00"]);
        store.close().await;
        db.drop_db().await;
    });
}

#[test]
fn offers_give_the_known_answers_on_postgres() {
    offers_give_the_known_answers(Backend::Postgres);
}

#[test]
fn offers_give_the_known_answers_on_sqlite() {
    offers_give_the_known_answers(Backend::Sqlite);
}

/// Three arms of 500 to 700 players, converting at 8, 15 and 8 %, beside
/// as many players outside the experiment and the rows no report may
/// count: the counts are the generated ones exactly, and each arm's
/// observed rate and, for this seed, its true rate lie in its interval.
fn an_experiment_report_matches_the_generated_truth(backend: Backend) {
    use dianabot_test_support::history::{Arm, offer_history};
    run(async {
        let db = TestDb::new(backend).await;
        let store = db.store().await;
        let arms = [
            Arm { variant: "control", players: 700, conversion: 0.08 },
            Arm { variant: "discount", players: 600, conversion: 0.15 },
            Arm { variant: "trial", players: 500, conversion: 0.08 },
        ];
        let days = 28;
        let (history, truth) = offer_history("vip_offer_test", &arms, 1_000, B, days, 18);
        history.insert(&store).await;
        let scope = Scope { period: Period { since: B * DAY, until: (B + days) * DAY }, fragments: BTreeMap::new() };

        let offers = reports::run(&store, "offers", &scope).await.expect("offers");
        assert_eq!(offers.rows.len(), truth.offers.len() + 1, "every offer and archetype, then the malformed line");
        for ((offer, archetype), stages) in &truth.offers {
            let found = &line(&offers, offer, archetype)[2..];
            let expected = [stages.shown, stages.opened, stages.bought, stages.expired];
            let counts: Vec<i64> = found[..4].iter().map(|cell| cell.parse().expect("count")).collect();
            assert_eq!(counts, expected, "{offer}/{archetype}");
            assert_eq!(found[6..], [stages.revenue.to_string(), stages.events.to_string()], "{offer}/{archetype}");
        }
        assert_eq!(line(&offers, "(malformed)", "")[9], truth.malformed.to_string());

        let experiments = reports::run(&store, "experiments", &scope).await.expect("experiments");
        assert_eq!(experiments.rows.len(), arms.len() + 1, "{:?}", experiments.cells());
        for arm in arms {
            let (exposed, converted) = truth.variants[&("vip_offer_test".to_owned(), arm.variant.to_owned())];
            let at = |column| number(&experiments, "vip_offer_test", arm.variant, column);
            assert_eq!((at("exposed"), at("converted")), (Some(exposed as f64), Some(converted as f64)));
            let (rate, low, high) = (at("conversion").unwrap(), at("ci_low").unwrap(), at("ci_high").unwrap());
            assert!(low <= rate && rate <= high, "{} {low} {rate} {high}", arm.variant);
            assert!(low <= arm.conversion * 100.0 && arm.conversion * 100.0 <= high, "{} {low} {high}", arm.variant);
        }
        // The discount's lift over the control: its interval excludes 0
        // (7 points of difference over 600 and 700 players); the trial's,
        // no lift at all, includes it.
        let at = |variant, column| number(&experiments, "vip_offer_test", variant, column).unwrap();
        assert!(at("discount", "vs_control_low") > 0.0, "{:?}", experiments.cells());
        assert!(at("trial", "vs_control_low") < 0.0 && at("trial", "vs_control_high") > 0.0);
        let exposed: i64 = arms.iter().map(|arm| arm.players).sum();
        let counted: f64 =
            arms.iter().map(|arm| number(&experiments, "vip_offer_test", arm.variant, "exposed").unwrap()).sum();
        assert_eq!(counted, exposed as f64, "every arm's players, once: none from before or after the period");
        store.close().await;
        db.drop_db().await;
    });
}

#[test]
fn an_experiment_report_matches_the_generated_truth_on_postgres() {
    an_experiment_report_matches_the_generated_truth(Backend::Postgres);
}

#[test]
fn an_experiment_report_matches_the_generated_truth_on_sqlite() {
    an_experiment_report_matches_the_generated_truth(Backend::Sqlite);
}

/// The SQL's test of a subject and [`OfferSubject::parse`] agree: every
/// subject the parser refuses is on the malformed line, every other one
/// counted under its own offer and archetype.
fn the_sql_and_the_parser_agree_on_malformed_subjects(backend: Backend) {
    use dianabot_persistence::reports::offers::{MALFORMED, OfferSubject};
    run(async {
        let db = TestDb::new(backend).await;
        let store = db.store().await;
        let subjects = [
            "a|b|c|d",
            "a|b|c",
            "a|b|c|d|",
            "a|b|c|d|e",
            "|b|c|d",
            "a||c|d",
            "a|b|c|",
            "|||",
            "||||",
            "",
            "abcd",
            "ñ|é|x|y",
            "a b|c d|-|-",
            "%|_|%|_",
            "_|%|_|%|x",
            "A|B|-|-",
            "a|b|c|d|e|f",
        ];
        let mut h = History::default();
        for (user, subject) in subjects.iter().enumerate() {
            h.event(user as i64 + 1, "offer_shown", subject, 0, B);
        }
        h.insert(&store).await;
        let scope = Scope { period: Period { since: B * DAY, until: (B + 1) * DAY }, fragments: BTreeMap::new() };
        let offers = reports::run(&store, "offers", &scope).await.expect("offers");
        let parsed: Vec<OfferSubject> = subjects.iter().filter_map(|subject| OfferSubject::parse(subject)).collect();
        let refused = subjects.len() - parsed.len();
        assert_eq!(refused, 12);
        assert_eq!(line(&offers, MALFORMED, "")[9], refused.to_string());
        assert_eq!(offers.rows.len(), parsed.len() + 1, "{:?}", offers.cells());
        for subject in parsed {
            assert_eq!(line(&offers, subject.offer, subject.archetype)[2], "1", "{subject}");
        }
        let experiments = reports::run(&store, "experiments", &scope).await.expect("experiments");
        assert_eq!(line(&experiments, MALFORMED, "")[10], refused.to_string());
        store.close().await;
        db.drop_db().await;
    });
}

#[test]
fn the_sql_and_the_parser_agree_on_malformed_subjects_on_postgres() {
    the_sql_and_the_parser_agree_on_malformed_subjects(Backend::Postgres);
}

#[test]
fn the_sql_and_the_parser_agree_on_malformed_subjects_on_sqlite() {
    the_sql_and_the_parser_agree_on_malformed_subjects(Backend::Sqlite);
}
