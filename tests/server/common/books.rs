//! The store's books after a run with crashes, failover or restarts — the
//! checks the crash test and the multi-node tests share: each
//! acknowledged update's effect exactly once, purchases finished and stock
//! never oversold (conservation is `assert_conserved`).

use std::collections::BTreeMap;

use dianabot_persistence::Store;

/// Ledger rows per update id, for the reasons one update pays at most
/// once: the welcome bonus, a reaction, the daily gift, a purchase's payment.
pub async fn ledger_rows_per_update(store: &Store) -> BTreeMap<i64, i64> {
    let sql = "SELECT update_id, COUNT(*) FROM ledger WHERE update_id IS NOT NULL
               AND reason IN ('welcome_bonus', 'reaction', 'daily_gift', 'purchase') GROUP BY update_id";
    let Store::Postgres(pool) = store else { unreachable!("these tests run on Postgres") };
    sqlx::query_as::<_, (i64, i64)>(sql).fetch_all(pool).await.unwrap().into_iter().collect()
}

/// Purchases in the books: none left in flight and no unit left reserved;
/// a unit of the star map (stock 5) sold exactly for each completed
/// purchase of it, held by its buyers, never more than 5; every rose
/// delivered paid for (and not paid back). Returns (maps, roses) bought.
pub async fn assert_purchases_kept(store: &Store) -> (i64, i64) {
    assert!(store.pending_purchases().await.unwrap().is_empty(), "purchases left in flight");
    assert!(store.stale_reservations().await.unwrap().is_empty(), "units left reserved");
    let Store::Postgres(pool) = store else { unreachable!("these tests run on Postgres") };
    let count = |sql: &'static str| async move {
        let (n,): (i64,) = sqlx::query_as(sql).fetch_one(pool).await.unwrap();
        n
    };
    let sold = count("SELECT COUNT(*) FROM stock_reservations WHERE status = 'sold'").await;
    let maps_bought =
        count("SELECT COUNT(*) FROM purchases WHERE item_id = 'mapa_de_estrellas' AND status = 'completed'").await;
    let maps_held =
        count("SELECT COALESCE(SUM(quantity), 0)::bigint FROM inventory WHERE item_id = 'mapa_estelar'").await;
    assert_eq!((sold, maps_held), (maps_bought, maps_bought), "units sold, maps held, maps paid for");
    assert!(sold <= 5, "{sold} units of a stock of 5 sold");
    let roses_bought =
        count("SELECT COUNT(*) FROM purchases WHERE item_id = 'rosa_negra' AND status = 'completed'").await;
    let roses_paid = count("SELECT COUNT(*) FROM ledger WHERE reason = 'purchase' AND amount = -25").await
        - count("SELECT COUNT(*) FROM ledger WHERE reason = 'purchase_refund' AND amount = 25").await;
    assert_eq!(roses_bought, roses_paid, "roses delivered against roses paid for");
    (maps_bought, roses_bought)
}
