//! Crash safety through long polling: the emulator (a separate process,
//! like Telegram) keeps every update until the server confirms it with the
//! next getUpdates offset; the server is `kill -9`ed mid-stream, restarted,
//! and must have applied every confirmed update exactly once — and, in the
//! end, every update exactly once.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use crate::common::control::Control;
use crate::common::server::{EmulatorProcess, ServerProcess};
use crate::common::{TestDb, balances_and_ledger_sums, run};
use dianabot_persistence::Store;

const USERS: usize = 30;
const POSTS: usize = 20;

async fn ledger_rows_per_update(store: &Store) -> BTreeMap<i64, i64> {
    let sql = "SELECT update_id, COUNT(*) FROM ledger
               WHERE update_id IS NOT NULL AND reason IN ('welcome_bonus', 'reaction') GROUP BY update_id";
    let Store::Postgres(pool) = store else { unreachable!("runs on Postgres") };
    sqlx::query_as::<_, (i64, i64)>(sql).fetch_all(pool).await.unwrap().into_iter().collect()
}

async fn pending_ids(emulator: &str) -> BTreeSet<i64> {
    let pending: serde_json::Value =
        reqwest::get(format!("{emulator}/control/updates")).await.unwrap().json().await.unwrap();
    pending["updates"].as_array().unwrap().iter().filter_map(|u| u["update_id"].as_i64()).collect()
}

#[test]
fn kill_9_while_polling_loses_no_confirmed_update_and_applies_none_twice() {
    run(async {
        let db = TestDb::postgres().await;
        let emulator = EmulatorProcess::start().await;
        let control = Control::new(&emulator.url());
        let mut server = ServerProcess::polling(&db.url, &emulator.url()).await;

        let mut all_updates = BTreeSet::new();
        let mut users = Vec::new();
        for index in 0..USERS {
            let user = control.create_user(&format!("u{index}"), "es").await;
            all_updates.insert(control.send_text(user, "/start").await);
            users.push(user);
        }
        // The welcomes prove the server polls, with reactions allowed.
        for &user in &users {
            control.wait_for(user, "welcome", |m| !m.is_empty()).await;
        }
        let mut posts = Vec::new();
        for index in 0..POSTS {
            posts.push(control.channel_post(&format!("post {index}")).await);
        }
        let kill_after = fastrand::usize(USERS * POSTS / 10..USERS * POSTS * 9 / 10);
        let mut reactions = 0;
        for &post in &posts {
            for &user in &users {
                let reacted = control.react(user, post, Some("❤")).await;
                all_updates.insert(reacted["update_id"].as_i64().expect("reaction update"));
                reactions += 1;
                if reactions == kill_after {
                    server.kill_hard();
                }
            }
        }

        // Server dead: what the emulator no longer holds was confirmed, and
        // must be durable exactly once.
        let store = db.store().await;
        let pending = pending_ids(&emulator.url()).await;
        let confirmed: Vec<_> = all_updates.difference(&pending).copied().collect();
        let rows = ledger_rows_per_update(&store).await;
        for update_id in &confirmed {
            assert_eq!(rows.get(update_id), Some(&1), "confirmed update {update_id} not durable exactly once");
        }
        assert!(!pending.is_empty(), "the kill came too late to test anything");

        let server = ServerProcess::polling(&db.url, &emulator.url()).await;
        let deadline = Instant::now() + Duration::from_secs(60);
        while control.pending_updates().await > 0 {
            assert!(Instant::now() < deadline, "updates still pending; log:\n{}", server.log_text());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // The last batch is confirmed by the next getUpdates; wait for its effects.
        let deadline = Instant::now() + Duration::from_secs(30);
        let rows = loop {
            let rows = ledger_rows_per_update(&store).await;
            if rows.len() == all_updates.len() || Instant::now() > deadline {
                break rows;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(rows.keys().copied().collect::<BTreeSet<_>>(), all_updates, "every update has its effect");
        assert!(rows.values().all(|&count| count == 1), "no update applied twice");
        for (user, balance, ledger_sum) in balances_and_ledger_sums(&store).await {
            assert_eq!(balance, ledger_sum, "user {user}");
        }
        drop(server);
        store.close().await;
        db.drop_db().await;
    });
}
