//! Stock keepers placed by shard (clustering), two nodes in one process
//! over one store: node `a` does not serve the star map's shard, so its
//! requests go to node `b`'s keeper through a remote (in place of the
//! bus). A race from both nodes sells exactly the stock; a keeper whose
//! shard a newer owner recorded writes nothing and gives the shard up.
//! The same for an auction placed on `b`.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use dianabot_actors::{
    ActorConfig, AuctionAnswer, AuctionCall, AuctionError, AuctionHouse, BidOutcome, Coordinator, Notifier,
    PurchaseOutcome, RemoteAuctions, RemoteStock, StockAnswer, StockCall, StockError,
};
use dianabot_game::auction::AuctionSpec;
use dianabot_game::{AdminCommand, Command, ItemId, RuleError, UserId};
use dianabot_persistence::{ReservationStatus, StoreError};
use dianabot_plumbing::shards::Ownership;
use dianabot_test_support::{
    TestDb, apply, assert_conserved, balance, besitos, register, run, sold_and_held, start_runtime,
};

const STAR_MAP: &str = "mapa_de_estrellas";
const STAR_MAP_ITEM: &str = "mapa_estelar";
const SHARDS: u32 = 8;

/// Carries stock calls to the other node's keepers, as the bus would;
/// loses the next `lost_answers` answers (the call ran, its answer never
/// came back).
#[derive(Default)]
struct InProcess {
    owner: OnceLock<Coordinator>,
    calls: AtomicUsize,
    lost_answers: AtomicUsize,
}

impl RemoteStock for InProcess {
    fn call(
        &self,
        _shard: u32,
        call: StockCall,
    ) -> Pin<Box<dyn Future<Output = Result<StockAnswer, StockError>> + Send + '_>> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        Box::pin(async move {
            let answer = self.owner.get().ok_or(StockError::Unavailable)?.stock().answer(call).await;
            let lost = self.lost_answers.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
            if lost.is_ok() {
                return Err(StockError::Unavailable);
            }
            answer
        })
    }
}

#[test]
fn a_limited_item_sold_from_two_nodes_is_kept_by_its_shards_owner_only() {
    const BUYERS: i64 = 20;
    run(async {
        let db = TestDb::postgres().await;
        let runtime = start_runtime(db.store().await, ActorConfig::default()).await;
        let (a, b) = (Arc::new(Ownership::new("a", SHARDS)), Arc::new(Ownership::new("b", SHARDS)));
        let shard = b.shard_of_name(STAR_MAP);
        for other in (0..SHARDS).filter(|other| *other != shard) {
            a.serve(other, 1);
        }
        assert!(runtime.store.record_epoch(shard, 1, "b", 1).await.unwrap());
        b.serve(shard, 1);
        let (to_b, to_a) = (Arc::new(InProcess::default()), Arc::new(InProcess::default()));
        let on_a = Coordinator::new(runtime.router.clone(), runtime.store.clone()).with_placed_stock(a, to_b.clone());
        let on_b =
            Coordinator::new(runtime.router.clone(), runtime.store.clone()).with_placed_stock(b.clone(), to_a.clone());
        let _ = to_b.owner.set(on_b.clone());
        let _ = to_a.owner.set(on_a.clone());
        for user in 1..=BUYERS {
            register(&runtime.router, user).await;
            apply(&runtime.router, user, Command::Admin(AdminCommand::AdminGrant(besitos(100)))).await.unwrap();
        }

        // The answer to a's first reservation is lost: asked again, not refunded.
        to_b.lost_answers.store(1, Ordering::Relaxed);
        let first = on_a.purchase(UserId(BUYERS), STAR_MAP, 100 + BUYERS, None).await.unwrap();
        assert_eq!(first, PurchaseOutcome::Completed);
        assert_eq!(to_b.lost_answers.load(Ordering::Relaxed), 0, "an answer was lost");

        let races: Vec<_> = (1..BUYERS)
            .map(|user| {
                let node = if user % 2 == 0 { on_a.clone() } else { on_b.clone() };
                tokio::spawn(async move { node.purchase(UserId(user), STAR_MAP, 100 + user, None).await })
            })
            .collect();
        let mut completed = 1;
        for race in races {
            match race.await.unwrap().unwrap() {
                PurchaseOutcome::Completed => completed += 1,
                PurchaseOutcome::Compensated(RuleError::SoldOut) => {}
                other => panic!("unexpected outcome {other:?}"),
            }
        }
        assert_eq!(completed, 5, "exactly the stock was sold");
        assert!(to_b.calls.load(Ordering::Relaxed) >= (BUYERS / 2) as usize, "a's requests went to b");
        assert_eq!(to_a.calls.load(Ordering::Relaxed), 0, "b keeps the item itself");
        assert_eq!(on_a.stock_left(STAR_MAP).await, Some(0));

        // Node c records a newer token for the shard: b's keeper writes
        // nothing more, answers no (not "sold out") and b gives the shard up.
        assert!(runtime.store.record_epoch(shard, 2, "c", 2).await.unwrap());
        let stock = runtime.store.load_stock(STAR_MAP).await.unwrap();
        let (sold, _) = stock.iter().find(|(_, status)| *status == ReservationStatus::Sold).unwrap();
        let released = on_b.stock().release(STAR_MAP, sold.purchase).await;
        assert!(matches!(released, Err(StockError::Store(_))), "{released:?}");
        assert!(!b.owns(shard), "b stopped serving the fenced shard");
        runtime.flusher.flushed().await.unwrap();
        assert_eq!(sold_and_held(&runtime.store, STAR_MAP, STAR_MAP_ITEM).await, (5, 5), "the release wrote nothing");
        let charged = futures_util::future::join_all((1..=BUYERS).map(|user| balance(&runtime.router, user))).await;
        assert_eq!(charged.iter().filter(|paid| **paid < 110).count(), 5, "five buyers paid");
        assert_conserved(&runtime.store).await;
        runtime.router.shutdown().await;
        db.drop_db().await;
    });
}

/// Carries auction calls to the other node's house, as the bus would.
#[derive(Default)]
struct InProcessAuctions {
    owner: OnceLock<AuctionHouse>,
    calls: AtomicUsize,
}

impl RemoteAuctions for InProcessAuctions {
    fn call(
        &self,
        _shard: u32,
        call: AuctionCall,
    ) -> Pin<Box<dyn Future<Output = Result<AuctionAnswer, AuctionError>> + Send + '_>> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        Box::pin(async move { self.owner.get().expect("the other node").answer(call).await })
    }
}

#[test]
fn an_auction_is_decided_by_its_shards_owner_only() {
    const AUCTION: i64 = 700;
    run(async {
        let db = TestDb::postgres().await;
        let runtime = start_runtime(db.store().await, ActorConfig::default()).await;
        let (a, b) = (Arc::new(Ownership::new("a", SHARDS)), Arc::new(Ownership::new("b", SHARDS)));
        let shard = b.shard_of(AUCTION);
        for other in (0..SHARDS).filter(|other| *other != shard) {
            a.serve(other, 1);
        }
        assert!(runtime.store.record_epoch(shard, 1, "b", 1).await.unwrap());
        b.serve(shard, 1);
        let (to_b, to_a) = (Arc::new(InProcessAuctions::default()), Arc::new(InProcessAuctions::default()));
        let coordinator = Coordinator::new(runtime.router.clone(), runtime.store.clone());
        let quiet: Notifier = Arc::new(|_| {});
        let placed = |ownership: &Arc<Ownership>, remote: Arc<InProcessAuctions>| {
            Some((ownership.clone(), remote as Arc<dyn RemoteAuctions>))
        };
        let on_a = AuctionHouse::start_placed(coordinator.clone(), quiet.clone(), placed(&a, to_b.clone()));
        let on_b = AuctionHouse::start_placed(coordinator, quiet, placed(&b, to_a.clone()));
        let _ = to_b.owner.set(on_b.clone());
        let _ = to_a.owner.set(on_a.clone());
        for user in [2, 3] {
            register(&runtime.router, user).await;
            apply(&runtime.router, user, Command::Admin(AdminCommand::AdminGrant(besitos(90)))).await.unwrap();
        }

        let spec = AuctionSpec {
            item: ItemId("rosa_negra".into()),
            quantity: 1,
            starting_bid: besitos(10),
            min_increment: besitos(5),
            duration_secs: 600,
            extension_secs: 0,
            created_by: UserId(1),
        };
        on_a.create(AUCTION, spec).await.unwrap().unwrap();
        // Bids from both nodes, each against the one actor on b.
        for (house, bidder, bid, amount) in [(&on_a, 2, 1, 10), (&on_b, 3, 2, 15), (&on_a, 2, 3, 20)] {
            let outcome = house.bid(UserId(bidder), AUCTION, besitos(amount), bid, None).await.unwrap();
            assert!(matches!(outcome, BidOutcome::Accepted { .. }), "bid {bid}: {outcome:?}");
        }
        // A's stale view would take 15; b's actor knows the top is 20.
        let low = on_a.bid(UserId(3), AUCTION, besitos(15), 4, None).await.unwrap();
        assert_eq!(low, BidOutcome::Refused(RuleError::BidTooLow { minimum: 25 }));
        assert_eq!((balance(&runtime.router, 2).await, balance(&runtime.router, 3).await), (80, 100));
        assert_eq!(to_b.calls.load(Ordering::Relaxed), 4, "a's creation and bids went to b");
        assert_eq!(to_a.calls.load(Ordering::Relaxed), 0, "b runs the auction itself");

        // Node c records a newer token: b's actor writes nothing more and
        // the bid gets no answer (not a refusal); b gives the shard up.
        assert!(runtime.store.record_epoch(shard, 2, "c", 2).await.unwrap());
        let fenced = on_a.bid(UserId(3), AUCTION, besitos(30), 5, None).await;
        assert!(matches!(fenced, Err(AuctionError::Store(StoreError::Fenced { .. }))), "{fenced:?}");
        assert!(!b.owns(shard));
        let stored = runtime.store.load_auction(AUCTION).await.unwrap().unwrap();
        assert_eq!(stored.top.map(|top| top.amount), Some(20), "the fenced bid was not written");
        runtime.flusher.flushed().await.unwrap();
        assert_conserved(&runtime.store).await;
        runtime.router.shutdown().await;
        db.drop_db().await;
    });
}
