//! Crash safety through the real binary: `kill -9` at a random moment,
//! restart, re-deliver what was not acknowledged (as Telegram does), and
//! check that every acknowledged update's effect is there exactly once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::books::{assert_purchases_kept, ledger_rows_per_update};
use crate::common::server::{ServerProcess, WEBHOOK_SECRET, publish_posts, reaction_update, start_update, text_update};
use crate::common::{TestDb, assert_conserved, balances_and_ledger_sums, run};
use dianabot_game::auction::AuctionStatus;
use dianabot_persistence::Store;
use sqlx::Connection;

const USERS: i64 = 200;
const REACTIONS_PER_USER: i64 = 20;

/// Every update of the run, per user, in the order Telegram would send them.
fn updates_by_user() -> BTreeMap<i64, Vec<(i64, serde_json::Value)>> {
    let mut next_id = 1;
    let mut id = || {
        next_id += 1;
        next_id
    };
    (1..=USERS)
        .map(|user| {
            let start = id();
            let mut updates = vec![(start, start_update(start, user))];
            for post in 1..=REACTIONS_PER_USER {
                let update_id = id();
                updates.push((update_id, reaction_update(update_id, user, post)));
            }
            (user, updates)
        })
        .collect()
}

/// Delivers each user's updates in order, skipping acknowledged ones,
/// until done or the server goes away. Returns nothing: `acked` is the record.
async fn deliver(url: String, updates: BTreeMap<i64, Vec<(i64, serde_json::Value)>>, acked: Arc<Mutex<BTreeSet<i64>>>) {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let tasks: Vec<_> = updates
        .into_values()
        .map(|updates| {
            let (client, url, acked) = (client.clone(), url.clone(), acked.clone());
            tokio::spawn(async move {
                for (update_id, body) in updates {
                    if acked.lock().unwrap().contains(&update_id) {
                        continue;
                    }
                    let response = client
                        .post(&url)
                        .header("X-Telegram-Bot-Api-Secret-Token", WEBHOOK_SECRET)
                        .json(&body)
                        .send()
                        .await;
                    match response {
                        Ok(response) if response.status().is_success() => {
                            acked.lock().unwrap().insert(update_id);
                        }
                        // Not acknowledged: Telegram would deliver it again later,
                        // and the user's later updates queue behind it.
                        _ => return,
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        let _ = task.await;
    }
}

#[test]
fn kill_9_loses_no_acknowledged_update_and_applies_none_twice() {
    run(async {
        let db = TestDb::postgres().await;
        let updates = updates_by_user();
        let total: usize = updates.values().map(Vec::len).sum();
        let acked = Arc::new(Mutex::new(BTreeSet::new()));

        let mut server = ServerProcess::webhook(&db.url).await;
        publish_posts(&server, 1_000_000, REACTIONS_PER_USER).await;
        let delivery = tokio::spawn(deliver(server.webhook_url(), updates.clone(), acked.clone()));
        // Kill at a random point between 10% and 90% of the acknowledgements.
        let kill_at = fastrand::usize(total / 10..total * 9 / 10);
        while acked.lock().unwrap().len() < kill_at {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        server.kill_hard();
        let _ = delivery.await;
        let acked_before_crash = acked.lock().unwrap().clone();
        assert!(acked_before_crash.len() < total, "the kill came too late to test anything");

        // With the server dead: every acknowledged update is durable.
        let store = db.store().await;
        let rows = ledger_rows_per_update(&store).await;
        for update_id in &acked_before_crash {
            assert_eq!(rows.get(update_id), Some(&1), "acknowledged update {update_id} not durable exactly once");
        }

        // Restart and re-deliver everything not acknowledged.
        let server = ServerProcess::webhook(&db.url).await;
        deliver(server.webhook_url(), updates, acked.clone()).await;
        assert_eq!(acked.lock().unwrap().len(), total, "log:\n{}", server.log_text());

        let rows = ledger_rows_per_update(&store).await;
        assert_eq!(rows.len(), total, "every update has its effect");
        assert!(rows.values().all(|&count| count == 1), "no update applied twice");
        let sums = balances_and_ledger_sums(&store).await;
        assert_eq!(sums.len() as i64, USERS);
        // Per-post engagement, from the same transactions as the besitos.
        let Store::Postgres(pool) = &store else { unreachable!() };
        let engagement: Vec<(i32, i64, i64, i64)> = sqlx::query_as(
            "SELECT message_id, reactions, unique_reactors, CAST(besitos_paid AS BIGINT) FROM post_engagement ORDER BY message_id",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        let expected: Vec<(i32, i64, i64, i64)> =
            (1..=REACTIONS_PER_USER as i32).map(|post| (post, USERS, USERS, USERS * 3)).collect();
        assert_eq!(engagement, expected, "reactions, unique reactors and besitos per post");
        for (user, balance, ledger_sum) in sums {
            assert_eq!(balance, ledger_sum, "user {user}");
        }
        drop(server);
        store.close().await;
        db.drop_db().await;
    });
}

#[test]
fn sigterm_drains_flushes_and_exits_zero() {
    run(async {
        let db = TestDb::postgres().await;
        let mut server = ServerProcess::webhook(&db.url).await;
        publish_posts(&server, 1_000_000, REACTIONS_PER_USER).await;
        let updates: BTreeMap<_, _> = updates_by_user().into_iter().take(20).collect();
        let total: usize = updates.values().map(Vec::len).sum();
        let acked = Arc::new(Mutex::new(BTreeSet::new()));
        let delivery = tokio::spawn(deliver(server.webhook_url(), updates, acked.clone()));
        while acked.lock().unwrap().len() < total / 2 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let pid = server.child.id().to_string();
        let killed = std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(killed.success());
        let status = server.child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "log:\n{}", server.log_text());
        let _ = delivery.await;

        let store = db.store().await;
        let rows = ledger_rows_per_update(&store).await;
        for update_id in acked.lock().unwrap().iter() {
            assert_eq!(rows.get(update_id), Some(&1), "acknowledged update {update_id} lost at shutdown");
        }
        store.close().await;
        db.drop_db().await;
    });
}

#[test]
fn sigterm_with_the_database_down_exits_within_the_shutdown_deadline_acknowledging_nothing_more() {
    const DEADLINE_SECS: u64 = 2;
    run(async {
        let db = TestDb::postgres().await;
        let deadline = DEADLINE_SECS.to_string();
        let mut server = ServerProcess::webhook_with(&db.url, &[("SHUTDOWN_TIMEOUT_SECS", &deadline)]).await;
        let client = reqwest::Client::new();
        let post = |update: serde_json::Value| {
            client
                .post(server.webhook_url())
                .header("X-Telegram-Bot-Api-Secret-Token", WEBHOOK_SECRET)
                .json(&update)
                .send()
        };
        assert_eq!(post(start_update(1, 501)).await.unwrap().status(), 200);

        // The database goes away: no new connections, existing ones killed.
        let name = db.url.rsplit_once('/').expect("database url has a path").1.to_owned();
        let mut admin = sqlx::PgConnection::connect(&dianabot_test_support::postgres_admin_url()).await.unwrap();
        for statement in [
            format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"),
            format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut admin).await.unwrap();
        }
        // A write from a resident actor that can never become durable now:
        // the flusher retries it, and the router's drain waits for it.
        let stuck = tokio::spawn(post(text_update(2, 501, "/diario")));
        tokio::time::sleep(Duration::from_millis(300)).await;

        let pid = server.child.id().to_string();
        assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let signalled = std::time::Instant::now();
        let limit = Duration::from_secs(DEADLINE_SECS + 10);
        let status = loop {
            if let Some(status) = server.child.try_wait().unwrap() {
                break status;
            }
            assert!(signalled.elapsed() < limit, "still running {limit:?} after SIGTERM; log:\n{}", server.log_text());
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert!(!status.success(), "a shutdown that gave up must say so");
        let stuck = stuck.await.unwrap();
        assert!(stuck.is_err() || !stuck.unwrap().status().is_success(), "an update not durable was acknowledged");

        sqlx::query(sqlx::AssertSqlSafe(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")))
            .execute(&mut admin)
            .await
            .unwrap();
        db.drop_db().await;
    });
}

#[test]
fn kill_9_in_the_middle_of_gifts_reactions_daily_gifts_bids_and_purchases_conserves_besitos() {
    const PLAYERS: i64 = 60;
    const OPERATOR: i64 = 9_000;
    const AUCTION: i64 = 100_000;
    run(async {
        let db = TestDb::postgres().await;
        let operator = [("ADMIN_IDS", "9000")];
        let mut server = ServerProcess::webhook_with(&db.url, &operator).await;
        publish_posts(&server, 1_000_000, 8).await;
        // An auction open for the whole run, opened by update AUCTION.
        let opening =
            BTreeMap::from([(OPERATOR, vec![(AUCTION, text_update(AUCTION, OPERATOR, "/subasta rosa_negra 2 60 1"))])]);
        let acked = Arc::new(Mutex::new(BTreeSet::new()));
        deliver(server.webhook_url(), opening, acked.clone()).await;
        assert!(acked.lock().unwrap().contains(&AUCTION), "log:\n{}", server.log_text());
        // Its id is the server's own.
        let store = db.store().await;
        let auction = store.auctions(AuctionStatus::Open).await.unwrap()[0].id;
        // Each player: /start, the daily gift, reactions, gifts to others,
        // bids on the auction, and purchases: of the star map (5 units for
        // 60 players) and of roses (unlimited).
        let mut next_id = 100_000;
        let mut id = || {
            next_id += 1;
            next_id
        };
        let updates: BTreeMap<i64, Vec<(i64, serde_json::Value)>> = (1..=PLAYERS)
            .map(|user| {
                let mut updates = vec![];
                let start = id();
                updates.push((start, start_update(start, user)));
                let daily = id();
                updates.push((daily, text_update(daily, user, "/diario")));
                for round in 0..8 {
                    let gift = id();
                    let to = (user + round * 7) % PLAYERS + 1;
                    updates.push((gift, text_update(gift, user, &format!("/regalar {to} {}", round + 1))));
                    let reaction = id();
                    updates.push((reaction, reaction_update(reaction, user, round + 1)));
                    if round % 2 == 0 {
                        let bid = id();
                        let amount = 2 + round * 2 + user % 3;
                        updates.push((bid, text_update(bid, user, &format!("/pujar {auction} {amount}"))));
                    }
                    if round % 4 == 3 {
                        let item = if (user + round) % 2 == 0 { "mapa_de_estrellas" } else { "rosa_negra" };
                        let purchase = id();
                        updates.push((purchase, text_update(purchase, user, &format!("/comprar {item}"))));
                    }
                }
                (user, updates)
            })
            .collect();
        let total: usize = updates.values().map(Vec::len).sum::<usize>() + 1;
        let delivery = tokio::spawn(deliver(server.webhook_url(), updates.clone(), acked.clone()));
        let kill_at = fastrand::usize(total / 5..total * 4 / 5);
        while acked.lock().unwrap().len() < kill_at {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        server.kill_hard();
        let _ = delivery.await;

        // Mid-saga, with the server dead: conserved already (in-flight
        // transfers are in the saga log).
        assert_conserved(&store).await;

        // Restart (which finishes gifts and bids left in flight) and re-deliver.
        let server = ServerProcess::webhook_with(&db.url, &operator).await;
        deliver(server.webhook_url(), updates, acked.clone()).await;
        assert_eq!(acked.lock().unwrap().len(), total, "log:\n{}", server.log_text());
        assert!(store.pending_transfers().await.unwrap().is_empty(), "gifts left in flight");
        assert_conserved(&store).await;
        let Store::Postgres(pool) = &store else { unreachable!() };
        let (gifts,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM ledger WHERE reason = 'gift_received'").fetch_one(pool).await.unwrap();
        assert!(gifts > 0, "no gift was delivered");
        // Every purchase finished; a unit is sold exactly for each completed
        // purchase of the map, and each buyer holds what they paid for.
        let (maps_bought, roses_bought) = assert_purchases_kept(&store).await;
        assert!(maps_bought + roses_bought > 0, "no purchase went through");
        // Only the auction's top bid is still held in escrow.
        let auction = store.load_auction(auction).await.unwrap().expect("the auction");
        let held: Vec<i64> = store.held_bids(None).await.unwrap().iter().map(|held| held.bid).collect();
        assert_eq!(held, auction.top.map(|top| top.bid).into_iter().collect::<Vec<_>>(), "holds besides the top bid");
        assert!(auction.top.is_some(), "no bid was accepted");
        // The operator cancels: every bid comes back.
        let cancel = OPERATOR * 1_000;
        let cancelling = BTreeMap::from([(
            OPERATOR,
            vec![(cancel, text_update(cancel, OPERATOR, &format!("/cancelarsubasta {}", auction.id)))],
        )]);
        deliver(server.webhook_url(), cancelling, acked.clone()).await;
        assert!(acked.lock().unwrap().contains(&cancel), "log:\n{}", server.log_text());
        assert!(store.held_bids(None).await.unwrap().is_empty(), "bids still held after the cancellation");
        assert_conserved(&store).await;
        drop(server);
        store.close().await;
        db.drop_db().await;
    });
}
