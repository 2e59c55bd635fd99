//! Telegram's update ids start again (a new bot token, the emulator
//! restarted against a kept database): the same play in two runs against
//! one database, each run's ids counting from 1, with the players' roles
//! swapped so each run's purchase, gift, auction and bid arrive under the
//! update ids the other run used. Every acknowledged update has its
//! effect, no purchase row is overwritten, stock is not oversold and
//! besitos are conserved.

use crate::common::control::{Control, text};
use crate::common::server::ServerProcess;
use crate::common::{TestDb, assert_conserved, run, sold_and_held};
use sqlx::PgPool;

const OPERATOR: i64 = 900;
const ANA: i64 = 901;
const BOB: i64 = 902;

/// Sends `command` as `user` and waits for the answer, which it returns.
async fn say(control: &Control, user: i64, command: &str) -> String {
    let before = control.bot_messages(user).await.len();
    control.send_text(user, command).await;
    let messages = control.wait_for(user, command, |m| m.len() > before).await;
    text(&messages[before]).to_owned()
}

/// One run: `buyer` buys a limited item and gives `other` 10 besitos; the
/// operator opens an auction and `other` bids on it.
async fn play(control: &Control, pool: &PgPool, buyer: i64, other: i64) {
    for (user, name) in [(OPERATOR, "Op"), (ANA, "Ana"), (BOB, "Bob")] {
        control.create_user_with_id(user, name, "es").await;
        say(control, user, "/start").await;
    }
    for user in [ANA, BOB] {
        say(control, OPERATOR, &format!("/grant {user} 100")).await;
    }
    let bought = say(control, buyer, "/comprar mapa_de_estrellas").await;
    assert!(bought.contains("Ahora tiene"), "{bought}");
    let gift = say(control, buyer, &format!("/regalar {other} 10")).await;
    assert!(gift.contains("10"), "{gift}");
    let opened = say(control, OPERATOR, "/subasta rosa_negra 50 600s").await;
    let (auction,): (i64,) =
        sqlx::query_as("SELECT auction_id FROM auctions ORDER BY created_at DESC, auction_id DESC")
            .fetch_one(pool)
            .await
            .unwrap();
    assert!(opened.contains(&auction.to_string()), "{opened}");
    say(control, other, &format!("/pujar {auction} 50")).await;
}

/// Waits for the wall clock's next second. A restarted emulator numbers
/// messages from 1 again, which Telegram never does within a chat: only the
/// date (in seconds) tells its updates from the first run's, as it would
/// after any real restart.
async fn next_second() {
    let now = || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let second = now();
    while now() == second {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[test]
fn a_restarted_update_id_sequence_is_new_work() {
    run(async {
        let db = TestDb::postgres().await;
        let store = db.store().await;
        let dianabot_persistence::Store::Postgres(pool) = &store else { unreachable!() };
        for (buyer, other) in [(ANA, BOB), (BOB, ANA)] {
            let (server, emulator) = ServerProcess::embedded(&db.url, &[("ADMIN_IDS", "900")]).await;
            play(&Control::new(&emulator), pool, buyer, other).await;
            drop(server);
            next_second().await;
        }

        let purchases: Vec<(i64, String)> = sqlx::query_as(
            "SELECT user_id, status FROM purchases WHERE item_id = 'mapa_de_estrellas' ORDER BY user_id",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        let completed = vec![(ANA, "completed".to_owned()), (BOB, "completed".to_owned())];
        assert_eq!(purchases, completed, "each run's purchase has its own row");
        assert_eq!(sold_and_held(&store, "mapa_de_estrellas", "mapa_estelar").await, (2, 2));
        let (auctions,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM auctions").fetch_one(pool).await.unwrap();
        assert_eq!(auctions, 2, "each run opened its own auction");
        let bids: Vec<(i64, String)> =
            sqlx::query_as("SELECT user_id, status FROM auction_holds ORDER BY user_id").fetch_all(pool).await.unwrap();
        assert_eq!(bids, vec![(ANA, "held".to_owned()), (BOB, "held".to_owned())], "each run's bid is held");
        let (gifts,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM ledger WHERE reason = 'gift_received'").fetch_one(pool).await.unwrap();
        assert_eq!(gifts, 2, "each run's gift arrived");
        assert_conserved(&store).await;
        drop(store);
        db.drop_db().await;
    });
}
