//! Auctions with escrow across actors, against real Postgres: bids hold
//! besitos, an outbid bidder is refunded at once, the winner pays from
//! escrow and gets the item, anti-sniping extends, a cancellation refunds
//! everyone, bad bids change nothing — and besitos are conserved exactly
//! when saga steps crash under many concurrent bids.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use dianabot_actors::{
    ActorConfig, AuctionHouse, AuctionNotice, BidOutcome, Coordinator, Envelope, FaultInjector, FaultPoint, Router,
};
use dianabot_game::auction::{AuctionSpec, AuctionStatus};
use dianabot_game::{AdminCommand, AuctionCommand, Command, ItemId, RuleError, UserId, UserState};
use dianabot_persistence::Store;
use dianabot_test_support::{
    Runtime, TestDb, apply, assert_conserved, balance, besitos, register, run, settled, start_runtime,
};

/// Registers `user` with `besitos` on top of the welcome bonus of 10.
async fn player(router: &Router, user: i64, amount: i64) {
    register(router, user).await;
    apply(router, user, Command::Admin(AdminCommand::AdminGrant(besitos(amount)))).await.unwrap();
}

async fn items(router: &Router, user: i64) -> u32 {
    router.view(UserId(user), |state: &UserState| state.item_count(&ItemId("rosa_negra".into()))).await.unwrap()
}

fn spec(starting: i64, increment: i64, duration_secs: i64, extension_secs: i64) -> AuctionSpec {
    AuctionSpec {
        item: ItemId("rosa_negra".into()),
        quantity: 1,
        starting_bid: besitos(starting),
        min_increment: besitos(increment),
        duration_secs,
        extension_secs,
        created_by: UserId(1),
    }
}

type Notices = Arc<Mutex<Vec<AuctionNotice>>>;

fn start_house(runtime: &Runtime) -> (AuctionHouse, Notices) {
    let notices: Notices = Arc::default();
    let sink = notices.clone();
    let coordinator = Coordinator::new(runtime.router.clone(), runtime.store.clone());
    let house = AuctionHouse::start(coordinator, Arc::new(move |notice| sink.lock().unwrap().push(notice)));
    (house, notices)
}

/// A runtime on `db` with its auction house, and players 2 and 3 holding
/// 90 besitos each to bid with.
async fn two_bidders(db: &TestDb) -> (Runtime, AuctionHouse, Notices) {
    let runtime = start_runtime(db.store().await, ActorConfig::default()).await;
    let (house, notices) = start_house(&runtime);
    for user in [2, 3] {
        player(&runtime.router, user, 90).await;
    }
    (runtime, house, notices)
}

#[test]
fn outbid_bidder_is_refunded_at_once_and_the_winner_pays_and_gets_the_item() {
    run(async {
        let db = TestDb::postgres().await;
        let (runtime, house, notices) = two_bidders(&db).await;
        let router = &runtime.router;
        let auction = house.create(500, spec(10, 5, 3, 0)).await.unwrap().unwrap();
        assert_eq!(auction.minimum_bid(), 10);
        // Re-delivered creation: the same auction, unchanged.
        assert_eq!(house.create(500, spec(99, 9, 900, 0)).await.unwrap().unwrap(), auction);

        let outcome = house.bid(UserId(2), 500, besitos(10), 1, None).await.unwrap();
        assert!(matches!(outcome, BidOutcome::Accepted { .. }), "{outcome:?}");
        assert_eq!(balance(router, 2).await, 90);
        // Below the top plus the increment: refused, the hold released.
        let outcome = house.bid(UserId(3), 500, besitos(14), 2, None).await.unwrap();
        assert_eq!(outcome, BidOutcome::Refused(RuleError::BidTooLow { minimum: 15 }));
        assert_eq!(balance(router, 3).await, 100);
        let outcome = house.bid(UserId(3), 500, besitos(15), 3, None).await.unwrap();
        assert!(matches!(outcome, BidOutcome::Accepted { .. }), "{outcome:?}");
        // Outbid: refunded at once and told.
        assert_eq!((balance(router, 2).await, balance(router, 3).await), (100, 85));
        assert!(matches!(
            notices.lock().unwrap().as_slice(),
            [AuctionNotice::Outbid { user: UserId(2), refunded: 10, .. }]
        ));

        // Bad bids change nothing.
        for (bidder, auction, amount, refusal) in [
            (2, 500, 101, RuleError::InsufficientFunds { balance: 100, needed: 101 }),
            (2, 999, 50, RuleError::UnknownAuction),
            (77, 500, 50, RuleError::UnknownUser),
        ] {
            let outcome = house.bid(UserId(bidder), auction, besitos(amount), 10 + bidder, None).await.unwrap();
            assert_eq!(outcome, BidOutcome::Refused(refusal));
        }
        assert_eq!((balance(router, 2).await, balance(router, 3).await), (100, 85));

        let closed = settled(&house, &runtime.store, 500).await;
        assert_eq!((closed.status, closed.top.map(|top| top.bidder)), (AuctionStatus::Closed, Some(UserId(3))));
        assert_eq!((items(router, 3).await, items(router, 2).await), (1, 0));
        assert_eq!(balance(router, 3).await, 85, "the winning bid was spent from escrow");
        assert!(notices.lock().unwrap().iter().any(|n| matches!(n, AuctionNotice::Won { user: UserId(3), .. })));
        // Closed: no more bids, nothing held.
        let late = house.bid(UserId(2), 500, besitos(50), 20, None).await.unwrap();
        assert_eq!(late, BidOutcome::Refused(RuleError::AuctionClosed));
        assert_eq!(balance(router, 2).await, 100);
        runtime.flusher.flushed().await.unwrap();
        assert_conserved(&runtime.store).await;
        analytics_recorded(&runtime.store).await;
        runtime.router.shutdown().await;
        db.drop_db().await;
    });
}

async fn analytics_recorded(store: &Store) {
    let Store::Postgres(pool) = store else { unreachable!() };
    let kinds: Vec<(String, i64)> = sqlx::query_as(
        "SELECT kind, COUNT(*) FROM analytics_events WHERE kind LIKE 'auction_%' GROUP BY kind ORDER BY kind",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    // Bids held (accepted or refused by the auction) and the one win;
    // bids refused before anything was held leave no row.
    assert_eq!(kinds, [("auction_bid".to_owned(), 3), ("auction_won".to_owned(), 1)]);
}

#[test]
fn a_late_bid_extends_the_auction_and_a_cancellation_refunds_everyone() {
    run(async {
        let db = TestDb::postgres().await;
        let (runtime, house, notices) = two_bidders(&db).await;
        let router = &runtime.router;
        let created = house.create(600, spec(5, 1, 20, 60)).await.unwrap().unwrap();
        let BidOutcome::Accepted { auction, extended } = house.bid(UserId(2), 600, besitos(5), 1, None).await.unwrap()
        else {
            panic!("bid refused")
        };
        assert!(extended, "a bid in the last 60 s extends");
        assert_eq!(auction.ends_at, created.ends_at + 60);
        assert_eq!(house.auction(600).await.unwrap().unwrap().ends_at, created.ends_at + 60, "written through");

        // A second auction the same players hold bids on stays untouched.
        house.create(601, spec(5, 1, 600, 0)).await.unwrap().unwrap();
        assert!(matches!(house.bid(UserId(2), 601, besitos(7), 2, None).await.unwrap(), BidOutcome::Accepted { .. }));
        // Ana raises her own bid on 600; Bob outbids; Ana's raise is refunded.
        assert!(matches!(house.bid(UserId(2), 600, besitos(6), 3, None).await.unwrap(), BidOutcome::Accepted { .. }));
        assert!(matches!(house.bid(UserId(3), 600, besitos(8), 4, None).await.unwrap(), BidOutcome::Accepted { .. }));
        assert_eq!((balance(router, 2).await, balance(router, 3).await), (93, 92));

        assert_eq!(house.cancel(600).await.unwrap(), Ok(1));
        settled(&house, &runtime.store, 600).await;
        assert_eq!((balance(router, 2).await, balance(router, 3).await), (93, 100));
        assert!(
            notices
                .lock()
                .unwrap()
                .iter()
                .any(|n| matches!(n, AuctionNotice::Refunded { user: UserId(3), amount: 8, .. }))
        );
        assert_eq!(house.cancel(600).await.unwrap(), Err(RuleError::AuctionCancelled));
        assert_eq!(house.cancel(999).await.unwrap(), Err(RuleError::UnknownAuction));
        let after = house.bid(UserId(3), 600, besitos(50), 5, None).await.unwrap();
        assert_eq!(after, BidOutcome::Refused(RuleError::AuctionCancelled));
        assert_eq!((items(router, 2).await, items(router, 3).await), (0, 0), "a cancelled auction grants nothing");
        assert_eq!(runtime.store.held_bids(Some(601)).await.unwrap().len(), 1, "the other auction keeps its top bid");
        runtime.flusher.flushed().await.unwrap();
        assert_conserved(&runtime.store).await;
        runtime.router.shutdown().await;
        db.drop_db().await;
    });
}

#[test]
fn recovery_releases_stray_holds_and_settles_a_closed_auctions_winner() {
    run(async {
        let db = TestDb::postgres().await;
        let (runtime, house, _) = two_bidders(&db).await;
        let router = &runtime.router;
        house.create(700, spec(5, 1, 600, 0)).await.unwrap().unwrap();
        assert!(matches!(house.bid(UserId(2), 700, besitos(20), 1, None).await.unwrap(), BidOutcome::Accepted { .. }));
        // A crash between a hold and its bid: held, but not the top bid.
        apply(router, 3, Command::Auction(AuctionCommand::HoldBid { auction: 700, bid: 2, amount: besitos(30) }))
            .await
            .unwrap();
        // A crash between the close and the winner's settlement.
        house.create(701, spec(5, 1, 600, 0)).await.unwrap().unwrap();
        assert!(matches!(house.bid(UserId(3), 701, besitos(9), 3, None).await.unwrap(), BidOutcome::Accepted { .. }));
        let Store::Postgres(pool) = &runtime.store else { unreachable!() };
        sqlx::query("UPDATE auctions SET status = 'closed' WHERE auction_id = 701").execute(pool).await.unwrap();
        runtime.flusher.flushed().await.unwrap();

        // A restarted server's house over the same store.
        let (restarted, notices) = start_house(&runtime);
        assert_eq!(restarted.recover().await.unwrap(), 2);
        assert_eq!((balance(router, 2).await, balance(router, 3).await), (80, 91));
        assert_eq!(items(router, 3).await, 1);
        assert!(matches!(notices.lock().unwrap().as_slice(), [AuctionNotice::Won { user: UserId(3), .. }]));
        let held = runtime.store.held_bids(None).await.unwrap();
        assert_eq!(held.iter().map(|held| (held.auction, held.bid)).collect::<Vec<_>>(), [(700, 1)]);
        // Recovery twice changes nothing.
        assert_eq!(restarted.recover().await.unwrap(), 0);
        runtime.flusher.flushed().await.unwrap();
        assert_conserved(&runtime.store).await;
        runtime.router.shutdown().await;
        db.drop_db().await;
    });
}

#[test]
fn besitos_are_conserved_when_bid_steps_crash_under_concurrent_bidding() {
    const USERS: i64 = 40;
    const BIDS: i64 = 800;
    const AUCTIONS: i64 = 3;
    run(async {
        let db = TestDb::postgres().await;
        // Holds, releases and settlements of some bids crash on their first
        // attempt — before deciding or with the state half-changed — and
        // retries get through.
        let crashed: Arc<Mutex<HashSet<(&'static str, i64)>>> = Arc::default();
        let seen = crashed.clone();
        let fault = move |point: FaultPoint, envelope: &Envelope| {
            let (unlucky, at) = match envelope.command {
                Command::Auction(AuctionCommand::HoldBid { bid, .. }) => {
                    (bid % 5 == 0, if bid % 10 == 0 { FaultPoint::MidApply } else { FaultPoint::BeforeDecide })
                }
                Command::Auction(AuctionCommand::ReleaseHold { bid, .. }) => (bid % 3 == 0, FaultPoint::MidApply),
                Command::Auction(AuctionCommand::ConsumeHold { .. }) => (true, FaultPoint::BeforeDecide),
                _ => (false, FaultPoint::BeforeDecide),
            };
            let key = match envelope.command {
                Command::Auction(AuctionCommand::HoldBid { bid, .. })
                | Command::Auction(AuctionCommand::ReleaseHold { bid, .. })
                | Command::Auction(AuctionCommand::ConsumeHold { bid, .. }) => (envelope.command.kind(), bid),
                _ => ("", 0),
            };
            if unlucky && point == at && seen.lock().unwrap().insert(key) {
                panic!("injected bid saga fault");
            }
        };
        let config = ActorConfig {
            fault_injector: Some(FaultInjector(Arc::new(fault))),
            max_restarts: 100_000,
            ..ActorConfig::default()
        };
        let runtime = start_runtime(db.store().await, config).await;
        let (house, notices) = start_house(&runtime);
        for user in 1..=USERS {
            player(&runtime.router, user, 1_000).await;
        }
        for auction in 0..AUCTIONS {
            house.create(auction, spec(5, 2, 6, 1)).await.unwrap().unwrap();
        }
        let started = Instant::now();
        let bids: Vec<_> = (0..BIDS)
            .map(|bid| {
                let house = house.clone();
                let bidder = UserId(bid % USERS + 1);
                // Rising on the whole, jittered, so bids race and many lose.
                let amount = besitos(5 + bid / 3 + (bid * 7) % 25);
                tokio::spawn(async move { house.bid(bidder, bid % AUCTIONS, amount, 1_000 + bid, None).await })
            })
            .collect();
        let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
        for bid in bids {
            let outcome = bid.await.unwrap().unwrap();
            let kind = match outcome {
                BidOutcome::Accepted { .. } => "accepted".to_owned(),
                BidOutcome::Refused(refusal) => {
                    format!("{refusal:?}").split([' ', '(', '{']).next().unwrap().to_owned()
                }
            };
            *outcomes.entry(kind).or_default() += 1;
        }
        let bidding = started.elapsed();
        assert!(!crashed.lock().unwrap().is_empty(), "no fault was injected");
        assert!(outcomes.contains_key("accepted") && outcomes.contains_key("BidTooLow"), "{outcomes:?}");

        let mut winners = 0;
        for auction in 0..AUCTIONS {
            let closed = settled(&house, &runtime.store, auction).await;
            winners += usize::from(closed.top.is_some());
        }
        runtime.flusher.flushed().await.unwrap();
        let mut granted = 0;
        for user in 1..=USERS {
            granted += items(&runtime.router, user).await as usize;
        }
        assert_eq!(granted, winners, "exactly one item per closed auction with a winner");
        let won = notices.lock().unwrap().iter().filter(|n| matches!(n, AuctionNotice::Won { .. })).count();
        assert_eq!(won, winners);
        assert!(runtime.store.held_bids(None).await.unwrap().is_empty(), "every hold released or consumed");
        assert_conserved(&runtime.store).await;
        println!("{BIDS} bids on {AUCTIONS} auctions in {bidding:?}: {outcomes:?}");
        runtime.router.shutdown().await;
        db.drop_db().await;
    });
}
