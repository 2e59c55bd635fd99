//! The store contract, run against Postgres and SQLite alike: what is
//! written comes back equal, balances equal their ledger, coalesced writes
//! store the same as one by one.

use dianabot_game::content::ReactionTarget;
use dianabot_game::{
    AdminCommand, AuctionCommand, Besitos, Command, Ctx, ItemId, Language, PostRef, ProfileCommand, ReactionCommand,
    Rules, UserId, UserState, decide,
};
use dianabot_persistence::{Store, UserWrite};
use dianabot_test_support::{Backend, TestDb, balances_and_ledger_sums, run};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn command() -> impl Strategy<Value = Command> {
    let item = prop::sample::select(vec!["rosa", "llave", "carta"]).prop_map(|id| ItemId(id.to_owned()));
    prop_oneof![
        prop::bool::ANY.prop_map(|en| Command::Profile(ProfileCommand::SetLanguage(if en {
            Language::En
        } else {
            Language::Es
        }))),
        (0..4i32).prop_map(|message_id| Command::Reaction(ReactionCommand::React {
            post: PostRef { chat_id: -100, message_id },
            target: ReactionTarget::FreePost,
            emojis: vec!["❤".to_owned()]
        })),
        (1..500i64).prop_map(|amount| Command::Admin(AdminCommand::AdminGrant(Besitos::new(amount).unwrap()))),
        (1..500i64).prop_map(|amount| Command::Admin(AdminCommand::AdminDeduct(Besitos::new(amount).unwrap()))),
        (item.clone(), 1..5u32).prop_map(|(item, quantity)| Command::Admin(AdminCommand::GrantItem { item, quantity })),
        (item, 1..5u32).prop_map(|(item, quantity)| Command::Admin(AdminCommand::ConsumeItem { item, quantity })),
    ]
}

/// Applies `commands` (after /start) and returns the final state with the
/// write each applied command produced.
fn play(user: UserId, commands: &[Command]) -> (UserState, Vec<UserWrite>) {
    let rules = Rules::default();
    let content = dianabot_test_support::load_demo().expect("demo content");
    let ctx = Ctx { now: 1_700_000_000, rules: &rules, content: &content, update_id: None };
    let mut state = UserState::new(user);
    let mut writes = Vec::new();
    let register = Command::Profile(ProfileCommand::Register {
        first_name: "Ana".into(),
        username: Some("ana".into()),
        language: Language::Es,
    });
    for command in std::iter::once(&register).chain(commands) {
        if let Ok(events) = decide(&state, command, ctx) {
            events.iter().for_each(|event| state.apply(event));
            state.version += 1;
            writes.push(UserWrite::from_events(&state, &events, 1_700_000_000));
        }
    }
    (state, writes)
}

fn coalesced(mut writes: Vec<UserWrite>) -> UserWrite {
    let mut merged = writes.remove(0);
    writes.into_iter().for_each(|write| merged.merge(write));
    merged
}

/// Passivation round trip at the store level: what an actor writes is what
/// the next activation loads, one write per command or all coalesced.
fn round_trip_property(backend: Backend, coalesce: bool) {
    run(async move {
        let db = TestDb::new(backend).await;
        let store = db.store().await;
        let mut runner = TestRunner::new(Config { cases: 24, ..Config::default() });
        // proptest drives a synchronous closure: collect its cases, then
        // run them against the store.
        let cases = std::cell::RefCell::new(Vec::new());
        runner
            .run(&prop::collection::vec(command(), 0..40), |commands| {
                cases.borrow_mut().push(commands);
                Ok(())
            })
            .unwrap();
        for (index, commands) in cases.into_inner().into_iter().enumerate() {
            let user = UserId(index as i64 + 1);
            let (state, writes) = play(user, &commands);
            if coalesce {
                store.write_batch(&[coalesced(writes)]).await.unwrap();
            } else {
                for write in writes {
                    store.write_batch(&[write]).await.unwrap();
                }
            }
            let loaded = store.load_user(user).await.unwrap().expect("user stored");
            assert_eq!(loaded, state, "commands: {commands:?}");
        }
        for (user, balance, ledger_sum) in balances_and_ledger_sums(&store).await {
            assert_eq!(balance, ledger_sum, "user {user}");
        }
        store.close().await;
        db.drop_db().await;
    });
}

#[test]
fn postgres_loads_what_was_written_one_by_one() {
    round_trip_property(Backend::Postgres, false);
}

#[test]
fn postgres_loads_what_was_written_coalesced() {
    round_trip_property(Backend::Postgres, true);
}

#[test]
fn sqlite_loads_what_was_written_one_by_one() {
    round_trip_property(Backend::Sqlite, false);
}

#[test]
fn sqlite_loads_what_was_written_coalesced() {
    round_trip_property(Backend::Sqlite, true);
}

#[test]
fn unknown_users_load_as_none() {
    run(async {
        for db in [TestDb::sqlite(), TestDb::postgres().await] {
            let store: Store = db.store().await;
            assert_eq!(store.load_user(UserId(424242)).await.unwrap(), None);
            store.close().await;
            db.drop_db().await;
        }
    });
}

#[test]
fn a_failed_batch_writes_nothing() {
    run(async {
        for db in [TestDb::sqlite(), TestDb::postgres().await] {
            let store = db.store().await;
            let (_, writes) = play(UserId(1), &[Command::Admin(AdminCommand::AdminGrant(Besitos::new(5).unwrap()))]);
            let first = coalesced(writes);
            store.write_batch(std::slice::from_ref(&first)).await.expect("first batch");
            // Re-writing the same ledger rows violates the journal's primary
            // key: the whole batch, including user 2, must be rolled back.
            let (_, second) = play(UserId(2), &[]);
            assert!(store.write_batch(&[first, coalesced(second)]).await.is_err());
            assert_eq!(store.load_user(UserId(2)).await.unwrap(), None);
            store.close().await;
            db.drop_db().await;
        }
    });
}

/// Auctions written through and the escrow saga log, on both backends: an
/// auction comes back as saved, a held bid is listed until its release.
fn auctions_and_holds_round_trip(backend: Backend) {
    use dianabot_game::auction::{Auction, AuctionSpec, AuctionStatus, TopBid};
    run(async move {
        let db = TestDb::new(backend).await;
        let store = db.store().await;
        let content = dianabot_test_support::load_demo().expect("demo content");
        let spec = AuctionSpec {
            item: ItemId("rosa_negra".into()),
            quantity: 2,
            starting_bid: Besitos::new(5).unwrap(),
            min_increment: Besitos::new(1).unwrap(),
            duration_secs: 60,
            extension_secs: 30,
            created_by: UserId(1),
        };
        let mut auction = Auction::open(42, spec, &content, 1_700_000_000).unwrap();
        assert!(store.insert_auction(&auction).await.unwrap());
        assert!(!store.insert_auction(&auction).await.unwrap(), "a second insert is a no-op");
        auction.top = Some(TopBid { bidder: UserId(7), bid: 3, amount: 9 });
        auction.ends_at += 30;
        store.save_auction(&auction, None).await.unwrap();
        assert_eq!(store.load_auction(42).await.unwrap(), Some(auction.clone()));
        assert_eq!(store.auctions(AuctionStatus::Open).await.unwrap(), [auction.clone()]);
        assert!(store.load_auction(43).await.unwrap().is_none());

        let hold = Command::Auction(AuctionCommand::HoldBid { auction: 42, bid: 3, amount: Besitos::new(9).unwrap() });
        let release = Command::Auction(AuctionCommand::ReleaseHold { auction: 42, bid: 3 });
        let (_, writes) = play(UserId(7), &[Command::Admin(AdminCommand::AdminGrant(Besitos::new(20).unwrap())), hold]);
        store.write_batch(&[coalesced(writes)]).await.unwrap();
        let held = store.held_bids(Some(42)).await.unwrap();
        assert_eq!(held.iter().map(|held| (held.user, held.bid, held.amount)).collect::<Vec<_>>(), [(UserId(7), 3, 9)]);
        assert_eq!(store.held_bids(None).await.unwrap(), held);
        assert!(store.held_bids(Some(41)).await.unwrap().is_empty());
        // The same history once more, and only its last write (the
        // release's) stored: the row ends released.
        let (state, writes) = play(
            UserId(7),
            &[
                Command::Admin(AdminCommand::AdminGrant(Besitos::new(20).unwrap())),
                Command::Auction(AuctionCommand::HoldBid { auction: 42, bid: 3, amount: Besitos::new(9).unwrap() }),
                release,
            ],
        );
        store.write_batch(&[writes.into_iter().last().unwrap()]).await.unwrap();
        assert!(store.held_bids(None).await.unwrap().is_empty(), "released");
        assert!(state.progress.holds.is_empty());
        db.drop_db().await;
    });
}

#[test]
fn postgres_stores_auctions_and_holds() {
    auctions_and_holds_round_trip(Backend::Postgres);
}

#[test]
fn sqlite_stores_auctions_and_holds() {
    auctions_and_holds_round_trip(Backend::Sqlite);
}

/// A broadcast job on both backends: created once per update, the cursor
/// moved past a batch before it is sent, outcomes counted, a batch a crash
/// cut short counted as unknown; recipients walked in user-id order with
/// the opted-out flagged; a player's opt-out written through the profile.
fn broadcast_job_and_cursor(backend: Backend) {
    use dianabot_persistence::BroadcastStatus;
    run(async move {
        let db = TestDb::new(backend).await;
        let store = db.store().await;
        dianabot_test_support::register_in_store(&store, [(30, false), (10, true), (20, false), (40, false)]).await;
        assert_eq!(store.broadcast_audience().await.unwrap(), 3);
        // An opt-out through the game's own write, and back in.
        let (state, writes) = play(UserId(50), &[Command::Profile(ProfileCommand::SetBroadcastsOptOut(true))]);
        store.write_batch(&[coalesced(writes)]).await.unwrap();
        assert!(store.load_user(UserId(50)).await.unwrap().unwrap().profile.unwrap().broadcasts_opt_out);
        assert_eq!(store.load_user(UserId(50)).await.unwrap(), Some(state));
        assert_eq!(store.broadcast_audience().await.unwrap(), 3);

        let job = store.create_broadcast(5_000_000_001, "hola <b>", UserId(1), 1_700_000_000, Some(77)).await.unwrap();
        assert_eq!((job.id, job.status, job.cursor, job.sent), (5_000_000_001, BroadcastStatus::Running, 0, 0));
        let again =
            store.create_broadcast(5_000_000_002, "hola <b>", UserId(1), 1_700_000_001, Some(77)).await.unwrap();
        assert_eq!(again, job, "a re-delivered command finds its job");
        assert_eq!(store.broadcasts(10).await.unwrap().len(), 1);

        let first = store.broadcast_recipients(0, 2).await.unwrap();
        let ids: Vec<_> = first.iter().map(|r| (r.user.0, r.opted_out)).collect();
        assert_eq!(ids, [(10, true), (20, false)]);
        store.advance_broadcast(job.id, 20, 1, 1, None).await.unwrap();
        store.count_broadcast_batch(job.id, 1, 0, 0).await.unwrap();
        let next = store.broadcast_recipients(20, 2).await.unwrap();
        assert_eq!(next.iter().map(|r| r.user.0).collect::<Vec<_>>(), [30, 40]);
        // Moved past, then a crash before the outcomes were counted.
        store.advance_broadcast(job.id, 40, 0, 2, None).await.unwrap();
        let cut = store.unfinished_broadcasts().await.unwrap();
        assert_eq!((cut[0].cursor, cut[0].in_flight, cut[0].skipped, cut[0].sent), (40, 2, 1, 1));
        store.settle_broadcast_in_flight(job.id).await.unwrap();
        let settled = store.broadcast(job.id).await.unwrap().unwrap();
        assert_eq!((settled.unknown, settled.in_flight), (2, 0));
        assert_eq!(store.broadcast_recipients(40, 2).await.unwrap().iter().map(|r| r.user.0).collect::<Vec<_>>(), [50]);
        store.finish_broadcast(job.id).await.unwrap();
        assert!(store.unfinished_broadcasts().await.unwrap().is_empty());
        assert_eq!(store.broadcast(job.id).await.unwrap().unwrap().status, BroadcastStatus::Done);
        assert_eq!(store.user_language(UserId(30)).await.unwrap(), Some(Language::Es));
        store.close().await;
        db.drop_db().await;
    });
}

#[test]
fn broadcast_job_and_cursor_on_sqlite() {
    broadcast_job_and_cursor(Backend::Sqlite);
}

#[test]
fn broadcast_job_and_cursor_on_postgres() {
    broadcast_job_and_cursor(Backend::Postgres);
}

/// Operator roles and the audit log on both backends: a grant comes back
/// as written, granting again replaces its terms, revoking removes it; the
/// audit log lists rows newest first, each as written.
fn roles_and_audit_round_trip(backend: Backend) {
    use dianabot_game::content::RoleId;
    use dianabot_game::roles::{AuditEntry, AuditOutcome, OperatorAction, RoleGrant};
    run(async move {
        let db = TestDb::new(backend).await;
        let store = db.store().await;
        assert!(store.role_grants().await.unwrap().is_empty());
        let support = RoleGrant {
            user: UserId(7),
            role: RoleId::new("support"),
            granted_by: UserId(1),
            granted_at: 1_700_000_000,
            expires_at: Some(1_700_086_400),
        };
        let analyst = RoleGrant { role: RoleId::new("analyst"), expires_at: None, ..support.clone() };
        store.put_role_grant(&support).await.unwrap();
        store.put_role_grant(&analyst).await.unwrap();
        assert_eq!(store.role_grants().await.unwrap(), [analyst.clone(), support.clone()]);
        let for_good = RoleGrant { expires_at: None, granted_at: 1_700_000_500, ..support.clone() };
        store.put_role_grant(&for_good).await.unwrap();
        assert_eq!(store.role_grants().await.unwrap(), [analyst.clone(), for_good]);
        assert!(store.delete_role_grant(UserId(7), "support").await.unwrap());
        assert!(!store.delete_role_grant(UserId(7), "support").await.unwrap(), "held no more");
        assert_eq!(store.role_grants().await.unwrap(), [analyst]);

        let entry = |at: i64, action, outcome, target: Option<&str>, detail: Option<&str>| AuditEntry {
            at,
            operator: UserId(7),
            action,
            target: target.map(str::to_owned),
            args: format!("args {at}"),
            outcome,
            detail: detail.map(str::to_owned),
        };
        let written = [
            entry(1, OperatorAction::Refund, AuditOutcome::Refused, None, Some("refunds")),
            entry(2, OperatorAction::GrantRole, AuditOutcome::Done, Some("7"), None),
            entry(3, OperatorAction::Refund, AuditOutcome::Failed, Some("charge:x"), Some("no such payment")),
        ];
        for row in &written {
            store.insert_audit(row).await.unwrap();
        }
        let newest_first: Vec<AuditEntry> = written.iter().rev().cloned().collect();
        assert_eq!(store.audit_log(10).await.unwrap(), newest_first);
        assert_eq!(store.audit_log(2).await.unwrap(), newest_first[..2]);
        db.drop_db().await;
    });
}

#[test]
fn postgres_stores_roles_and_the_audit_log() {
    roles_and_audit_round_trip(Backend::Postgres);
}

#[test]
fn sqlite_stores_roles_and_the_audit_log() {
    roles_and_audit_round_trip(Backend::Sqlite);
}

/// Dashboard login links on both backends: a link is consumed once, not
/// after its expiry, not with another token's hash; of many concurrent
/// consumptions of one link exactly one succeeds.
fn panel_links_are_single_use(backend: Backend) {
    use dianabot_persistence::PanelLogin;
    run(async move {
        let db = TestDb::new(backend).await;
        let store = db.store().await;
        let login = PanelLogin { operator: UserId(900), language: Language::En };
        store.insert_panel_link("aa", login, 1_000, 1_600).await.unwrap();
        store.insert_panel_link("bb", login, 1_000, 1_600).await.unwrap();
        assert_eq!(store.consume_panel_link("zz", 1_001).await.unwrap(), None, "no such link");
        assert_eq!(store.consume_panel_link("aa", 1_001).await.unwrap(), Some(login));
        assert_eq!(store.consume_panel_link("aa", 1_002).await.unwrap(), None, "used already");
        assert_eq!(store.consume_panel_link("bb", 1_600).await.unwrap(), None, "expired");

        store.insert_panel_link("cc", login, 2_000, 2_600).await.unwrap();
        let clicks: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { store.consume_panel_link("cc", 2_001).await.unwrap() })
            })
            .collect();
        let mut won = Vec::new();
        for click in clicks {
            won.extend(click.await.unwrap());
        }
        assert_eq!(won, [login], "one click of many opens a session");
        store.close().await;
        db.drop_db().await;
    });
}

// Leaderboards.
/// Scores on both backends: summed from the analytics rows of each batch
/// (per metric, for the week and all time), ties ordered by who reached
/// the score first; a week's prizes written once, the same rows read back
/// however often a reset settles them; the boards rebuilt from the rows.
fn leaderboard_scores_and_prizes(backend: Backend) {
    use dianabot_game::leaderboard::Metric;
    use dianabot_persistence::{AnalyticsEvent, Leaderboards, leaderboards};
    const WEEK: i64 = 1_795_996_800;
    run(async move {
        let db = TestDb::new(backend).await;
        let store = db.store().await;
        let write = |user: i64, rows: &[(&'static str, i64, i64)]| {
            let (_, writes) = play(UserId(user), &[]);
            let mut write = coalesced(writes);
            write.analytics = rows
                .iter()
                .map(|&(kind, amount, at)| AnalyticsEvent { kind, subject: String::new(), amount, at })
                .collect();
            write.scores = leaderboards::scores(&write.analytics);
            write
        };
        let ana = write(7, &[("decision", 0, WEEK + 10), ("decision", 0, WEEK + 20), ("reaction_post", 5, WEEK + 20)]);
        let bea = write(8, &[("decision", 0, WEEK + 30), ("decision", 0, WEEK + 15), ("registered", 0, WEEK)]);
        // A sprint on auctions won: the points of that metric count three times.
        let mut sprinting = write(10, &[("auction_won", 0, WEEK + 5)]);
        sprinting.boost_scores(|metric| if metric == Metric::AuctionsWon { 3 } else { 1 });
        store.write_batch(&[ana, bea]).await.unwrap();
        // hardening: the batch hands back the score changes it committed.
        let committed = store.write_batch(&[sprinting]).await.unwrap();
        let changes: Vec<(Metric, i64, i64, i64)> =
            committed.iter().map(|d| (d.metric, d.period, d.user, d.delta)).collect();
        assert_eq!(changes, [(Metric::AuctionsWon, 0, 10, 3), (Metric::AuctionsWon, WEEK, 10, 3)]);
        let auctions = store.leaderboard_scores(Metric::AuctionsWon, WEEK).await.unwrap();
        assert_eq!(auctions.iter().map(|e| (e.user, e.score)).collect::<Vec<_>>(), [(10, 3)], "sprint ×3");
        let mut story = store.leaderboard_scores(Metric::Story, WEEK).await.unwrap();
        story.sort_unstable();
        let ranked: Vec<(i64, i64, i64)> = story.iter().map(|e| (e.user, e.score, e.reached_at)).collect();
        assert_eq!(ranked, [(7, 2, WEEK + 20), (8, 2, WEEK + 30)], "a tie goes to who reached it first");
        assert_eq!(store.leaderboard_scores(Metric::Story, 0).await.unwrap().len(), 2, "all time too");
        let besitos = store.leaderboard_scores(Metric::BesitosEarned, WEEK).await.unwrap();
        assert_eq!(besitos.iter().map(|e| (e.user, e.score)).collect::<Vec<_>>(), [(7, 5)]);
        // Another batch adds to the stored score.
        let mut later = write(8, &[("decision", 0, WEEK + 40)]);
        later.ledger.clear(); // registered already: only the new rows
        store.write_batch(&[later]).await.unwrap();

        let prizes = store.settle_prizes("story_week", Metric::Story, WEEK, &[150, 100, 50]).await.unwrap();
        let winners: Vec<(u32, i64, i64, bool)> = prizes.iter().map(|p| (p.place, p.user, p.besitos, p.paid)).collect();
        assert_eq!(winners, [(1, 8, 150, false), (2, 7, 100, false)], "only who scored");
        // Scores that change later do not move prizes already settled.
        store.write_batch(&[write(9, &[("decision", 0, WEEK + 50); 5])]).await.unwrap();
        store.mark_prize_paid(&prizes[0]).await.unwrap();
        let again = store.settle_prizes("story_week", Metric::Story, WEEK, &[150, 100, 50]).await.unwrap();
        let winners: Vec<(u32, i64, bool)> = again.iter().map(|p| (p.place, p.user, p.paid)).collect();
        assert_eq!(winners, [(1, 8, true), (2, 7, false)]);

        let boards = Leaderboards::default();
        boards.load(&store, WEEK + 100).await.unwrap();
        let standing = |user| boards.standing(Metric::Story, WEEK, user).map(|s| (s.rank, s.score));
        assert_eq!(
            (standing(9), standing(8), standing(7), standing(1)),
            (Some((1, 5)), Some((2, 3)), Some((3, 2)), None)
        );
        assert_eq!(boards.players(Metric::Story, 0), 3);

        // hardening: a board's names, read in one query; unknown ids absent.
        let names = store.first_names(&[7, 8, 10, 404]).await.unwrap();
        let mut named: Vec<(i64, &str)> = names.iter().map(|(&user, name)| (user, name.as_str())).collect();
        named.sort_unstable();
        assert_eq!(named, [(7, "Ana"), (8, "Ana"), (10, "Ana")]);
        assert!(store.first_names(&[]).await.unwrap().is_empty());
        db.drop_db().await;
    });
}

#[test]
fn postgres_panel_links_are_single_use() {
    panel_links_are_single_use(Backend::Postgres);
}

#[test]
fn sqlite_panel_links_are_single_use() {
    panel_links_are_single_use(Backend::Sqlite);
}

#[test]
fn postgres_keeps_leaderboard_scores_and_prizes() {
    leaderboard_scores_and_prizes(Backend::Postgres);
}

#[test]
fn sqlite_keeps_leaderboard_scores_and_prizes() {
    leaderboard_scores_and_prizes(Backend::Sqlite);
}

// flags
/// Flag overrides on both backends: set, replaced, listed by name, deleted
/// once; a rollout out of 0..=10000 is refused by the table itself.
fn flag_overrides_round_trip(backend: Backend) {
    use dianabot_game::flags::FlagOverride;
    run(async move {
        let db = TestDb::new(backend).await;
        let store = db.store().await;
        assert!(store.flag_overrides().await.unwrap().is_empty());
        let style = FlagOverride { flag: "style".into(), rollout: 3_000, set_by: UserId(1), set_at: 1_700_000_000 };
        let offers = FlagOverride { flag: "offers".into(), rollout: 25, ..style.clone() };
        store.put_flag_override(&style).await.unwrap();
        store.put_flag_override(&offers).await.unwrap();
        assert_eq!(store.flag_overrides().await.unwrap(), [offers.clone(), style.clone()]);
        let raised = FlagOverride { rollout: 10_000, set_by: UserId(2), set_at: 1_700_000_500, ..style.clone() };
        store.put_flag_override(&raised).await.unwrap();
        assert_eq!(store.flag_overrides().await.unwrap(), [offers.clone(), raised]);
        assert!(store.delete_flag_override("style").await.unwrap());
        assert!(!store.delete_flag_override("style").await.unwrap(), "gone already");
        assert_eq!(store.flag_overrides().await.unwrap(), std::slice::from_ref(&offers));
        let too_much = FlagOverride { rollout: 10_001, ..offers.clone() };
        assert!(store.put_flag_override(&too_much).await.is_err());
        assert_eq!(store.flag_overrides().await.unwrap(), [offers]);
        db.drop_db().await;
    });
}

// cluster
/// Fencing (migration 0024): a batch commits only if every shard it claims
/// still carries the claimed token; a fenced batch writes nothing.
fn fenced_batches(backend: Backend) {
    use dianabot_persistence::{ShardEpoch, Written};
    run(async {
        let db = TestDb::new(backend).await;
        let store = db.store().await;
        assert!(store.record_epoch(3, 5, "a", 1).await.unwrap());
        assert!(!store.record_epoch(3, 5, "b", 2).await.unwrap(), "an equal token loses the race");
        assert!(!store.record_epoch(3, 4, "b", 2).await.unwrap(), "an older one too");
        let (_, one) = play(UserId(1), &[]);
        assert_eq!(store.write_batch_fenced(&[coalesced(one)], &[(3, 5)]).await.unwrap(), Written::Committed(vec![]));
        assert!(store.load_user(UserId(1)).await.unwrap().is_some());

        // Node b takes shard 3 over: a's next batch is refused whole.
        assert!(store.record_epoch(3, 6, "b", 3).await.unwrap());
        let (_, two) = play(UserId(2), &[]);
        let two = coalesced(two);
        let fenced = store.write_batch_fenced(std::slice::from_ref(&two), &[(3, 5)]).await.unwrap();
        assert_eq!(fenced, Written::Fenced(vec![(3, 5)]));
        assert_eq!(store.load_user(UserId(2)).await.unwrap(), None, "a fenced batch writes nothing");
        let never = store.write_batch_fenced(&[two], &[(9, 1)]).await.unwrap();
        assert_eq!(never, Written::Fenced(vec![(9, 1)]), "a shard with no recorded epoch is fenced");

        let epochs = store.shard_epochs().await.unwrap();
        assert_eq!(epochs, vec![ShardEpoch { shard: 3, epoch: 6, node: "b".into(), since: 3 }]);
        store.close().await;
        db.drop_db().await;
    });
}

/// The flusher with clustering: in one batch, the writes of a shard a
/// newer owner recorded are not stored and their acknowledgements fail
/// with `Fenced` (the node stops serving the shard); the other shard's
/// commit. A write made while its shard was not served is never stored.
fn flusher_fences_per_shard(backend: Backend) {
    use std::sync::Arc;
    use std::time::Duration;

    use dianabot_persistence::{FlushConfig, FlushError, Flusher};
    use dianabot_plumbing::shards::Ownership;
    run(async {
        let db = TestDb::new(backend).await;
        let store = db.store().await;
        let ownership = Arc::new(Ownership::new("a", 8));
        let kept = UserId(1);
        let taken = (2..).map(UserId).find(|user| ownership.shard_of(user.0) != ownership.shard_of(kept.0)).unwrap();
        let (kept_shard, taken_shard) = (ownership.shard_of(kept.0), ownership.shard_of(taken.0));
        for shard in [kept_shard, taken_shard] {
            assert!(store.record_epoch(shard, 1, "a", 1).await.unwrap());
            ownership.serve(shard, 1);
        }
        let config = FlushConfig {
            linger: Duration::from_millis(200),
            ownership: Some(ownership.clone()),
            ..FlushConfig::default()
        };
        let (flusher, task) = Flusher::spawn(store.clone(), config);
        // Node b records its token for `taken_shard` while a's writes wait.
        assert!(store.record_epoch(taken_shard, 2, "b", 2).await.unwrap());
        let mut acks = Vec::new();
        for user in [kept, taken] {
            let (ack, done) = tokio::sync::oneshot::channel();
            flusher.submit(coalesced(play(user, &[]).1), Some(ack));
            acks.push(done);
        }
        let [kept_ack, taken_ack] = <[_; 2]>::try_from(acks).ok().unwrap();
        assert_eq!(kept_ack.await.unwrap(), Ok(()));
        assert_eq!(taken_ack.await.unwrap(), Err(FlushError::Fenced));
        assert!(store.load_user(kept).await.unwrap().is_some());
        assert_eq!(store.load_user(taken).await.unwrap(), None);
        assert!(!ownership.owns(taken_shard), "the node stops serving the fenced shard");
        assert!(ownership.owns(kept_shard));

        // Not served here now: a write made meanwhile is never stored.
        ownership.stop(kept_shard);
        let (ack, done) = tokio::sync::oneshot::channel();
        let later = (play(kept, &[]).1).pop().unwrap();
        flusher.submit(later, Some(ack));
        assert_eq!(done.await.unwrap(), Err(FlushError::Fenced));
        assert_eq!(flusher.stats().fenced_writes.load(std::sync::atomic::Ordering::Relaxed), 2);
        flusher.shutdown().await;
        task.await.unwrap();
        store.close().await;
        db.drop_db().await;
    });
}

#[test]
fn postgres_stores_flag_overrides() {
    flag_overrides_round_trip(Backend::Postgres);
}

#[test]
fn sqlite_stores_flag_overrides() {
    flag_overrides_round_trip(Backend::Sqlite);
}

#[test]
fn postgres_fences_batches_by_shard_epoch() {
    fenced_batches(Backend::Postgres);
    flusher_fences_per_shard(Backend::Postgres);
}

#[test]
fn sqlite_fences_batches_by_shard_epoch() {
    fenced_batches(Backend::Sqlite);
    flusher_fences_per_shard(Backend::Sqlite);
}

// cluster-placed
/// The write-throughs of placed actors (stock reservations, auctions)
/// fenced by their shard's token: written while the shard carries it,
/// refused with `Fenced` and nothing written once a newer owner recorded
/// its own (or none was ever recorded); unfenced, written as always.
fn fenced_write_throughs(backend: Backend) {
    use dianabot_game::auction::{Auction, AuctionSpec, AuctionStatus};
    use dianabot_persistence::{Reservation, ReservationStatus, StoreError};
    run(async move {
        let db = TestDb::new(backend).await;
        let store = db.store().await;
        let content = dianabot_test_support::load_demo().expect("demo content");
        assert!(store.record_epoch(2, 5, "a", 1).await.unwrap());
        fn fenced<T>(written: Result<T, StoreError>) -> bool {
            matches!(written, Err(StoreError::Fenced { shard: 2, token: 5 }))
        }

        let unit = |purchase| Reservation { purchase, user: UserId(7), expires_at: None };
        store.put_reservation("mapa", &unit(1), ReservationStatus::Reserved, 10, Some((2, 5))).await.unwrap();
        store.put_reservation("mapa", &unit(2), ReservationStatus::Sold, 10, None).await.unwrap();
        let spec = AuctionSpec {
            item: ItemId("rosa_negra".into()),
            quantity: 1,
            starting_bid: Besitos::new(5).unwrap(),
            min_increment: Besitos::new(1).unwrap(),
            duration_secs: 60,
            extension_secs: 0,
            created_by: UserId(1),
        };
        let mut auction = Auction::open(42, spec.clone(), &content, 1_700_000_000).unwrap();
        assert!(store.insert_auction_for(&auction, Some(99), Some((2, 5))).await.unwrap());
        auction.ends_at += 1;
        store.save_auction(&auction, Some((2, 5))).await.unwrap();
        assert_eq!(store.load_auction(42).await.unwrap(), Some(auction.clone()));

        // Node b takes shard 2 over: a's writes under token 5 change nothing.
        assert!(store.record_epoch(2, 6, "b", 2).await.unwrap());
        let sold = store.put_reservation("mapa", &unit(1), ReservationStatus::Sold, 11, Some((2, 5))).await;
        assert!(fenced(sold));
        assert!(fenced(store.put_reservation("mapa", &unit(3), ReservationStatus::Reserved, 11, Some((2, 5))).await));
        let mut stock = store.load_stock("mapa").await.unwrap();
        stock.sort_by_key(|(unit, _)| unit.purchase);
        assert_eq!(stock, [(unit(1), ReservationStatus::Reserved), (unit(2), ReservationStatus::Sold)]);
        let mut closed = auction.clone();
        closed.status = AuctionStatus::Closed;
        assert!(fenced(store.save_auction(&closed, Some((2, 5))).await));
        assert_eq!(store.load_auction(42).await.unwrap(), Some(auction.clone()), "a fenced save writes nothing");
        let other = Auction::open(43, spec, &content, 1_700_000_000).unwrap();
        assert!(fenced(store.insert_auction_for(&other, None, Some((2, 5))).await));
        assert_eq!(store.load_auction(43).await.unwrap(), None, "a fenced insert writes nothing");
        let never = store.put_reservation("mapa", &unit(4), ReservationStatus::Reserved, 11, Some((3, 1))).await;
        assert!(matches!(never, Err(StoreError::Fenced { shard: 3, token: 1 })), "no epoch recorded: fenced");
        // A broadcast's cursor moved under the server-wide shard's old token.
        assert!(store.record_epoch(0, 3, "a", 1).await.unwrap());
        let job = store.create_broadcast(77, "hola", UserId(1), 5, None).await.unwrap().id;
        store.advance_broadcast(job, 10, 0, 1, Some((0, 3))).await.unwrap();
        assert!(store.record_epoch(0, 4, "b", 2).await.unwrap());
        let stale = store.advance_broadcast(job, 20, 0, 1, Some((0, 3))).await;
        assert!(matches!(stale, Err(StoreError::Fenced { shard: 0, token: 3 })), "{stale:?}");
        assert_eq!(store.broadcast(job).await.unwrap().map(|job| job.cursor), Some(10), "a fenced move writes nothing");
        // The new owner's token writes.
        store.save_auction(&closed, Some((2, 6))).await.unwrap();
        assert_eq!(store.load_auction(42).await.unwrap(), Some(closed));
        store.close().await;
        db.drop_db().await;
    });
}

#[test]
fn postgres_fences_write_throughs() {
    fenced_write_throughs(Backend::Postgres);
}

#[test]
fn sqlite_fences_write_throughs() {
    fenced_write_throughs(Backend::Sqlite);
}
