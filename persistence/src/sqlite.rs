//! SQLite: the embedded default. One prepared statement per row inside one
//! transaction; SQLite is in-process, so rows cost no round trips.

use dianabot_game::UserState;
use sqlx::SqlitePool;

use crate::Written;
use crate::leaderboards;
use crate::write::{SNAPSHOT_FORMAT, StoredUser};
use crate::write::{TimerChanges, currency_name, open_transfer, timer_changes};
use crate::{OpenTransfer, StoreError, UserWrite};

pub(crate) async fn load_user(pool: &SqlitePool, user_id: i64) -> Result<Option<UserState>, StoreError> {
    let mut conn = pool.acquire().await?;
    let stored: Option<StoredUser> = sqlx::query_as(
        "SELECT s.version, s.format, s.state, b.besitos, u.first_name, u.username, u.language, u.registered_at,
                u.broadcasts_opt_out
         FROM user_snapshots s
         JOIN users u ON u.user_id = s.user_id
         JOIN balances b ON b.user_id = s.user_id
         WHERE s.user_id = ?",
    )
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(stored) = stored else { return Ok(None) };
    let inventory = sqlx::query_as("SELECT item_id, quantity FROM inventory WHERE user_id = ?")
        .bind(user_id)
        .fetch_all(&mut *conn)
        .await?;
    stored.into_state(user_id, inventory).map(Some)
}

/// One purchase row in, or its new status.
const UPSERT_PURCHASE: &str = "INSERT INTO purchases
        (purchase_id, user_id, item_id, currency, amount, status, charge_id, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
    ON CONFLICT (purchase_id) DO UPDATE SET status = excluded.status,
        charge_id = COALESCE(excluded.charge_id, purchases.charge_id), updated_at = excluded.updated_at";

const UPSERT_CHARGE: &str = "INSERT INTO star_charges
        (charge_id, purchase_id, user_id, stars, status, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $6)
    ON CONFLICT (charge_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at";

/// Writes `writes` in one transaction. With `fence` (clustering: each
/// shard the writes touch and this node's token for it), first checks in
/// the same transaction that every shard still carries that token; if some
/// do not, writes nothing and returns them (the caller drops their writes
/// and commits the rest). Committed, it returns the leaderboard score
/// changes it stored.
pub(crate) async fn write_batch(
    pool: &SqlitePool,
    writes: &[UserWrite],
    fence: &[(u32, i64)],
) -> Result<Written, StoreError> {
    let mut tx = pool.begin().await?;
    if !fence.is_empty() {
        let fenced = crate::fence::sqlite_fenced(&mut tx, fence).await?;
        if !fenced.is_empty() {
            return Ok(Written::Fenced(fenced));
        }
    }
    for write in writes {
        let user_id = write.user_id.0;
        if let Some(profile) = &write.profile {
            sqlx::query(
                "INSERT INTO users (user_id, first_name, username, language, registered_at, broadcasts_opt_out)
                 VALUES (?, ?, ?, ?, ?, ?)
                 ON CONFLICT (user_id) DO UPDATE SET first_name = excluded.first_name,
                     username = excluded.username, language = excluded.language,
                     broadcasts_opt_out = excluded.broadcasts_opt_out",
            )
            .bind(user_id)
            .bind(&profile.first_name)
            .bind(&profile.username)
            .bind(profile.language.code())
            .bind(profile.registered_at)
            .bind(profile.broadcasts_opt_out)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(balance) = write.balance {
            sqlx::query(
                "INSERT INTO balances (user_id, besitos) VALUES (?, ?)
                 ON CONFLICT (user_id) DO UPDATE SET besitos = excluded.besitos",
            )
            .bind(user_id)
            .bind(balance)
            .execute(&mut *tx)
            .await?;
        }
        for entry in &write.ledger {
            sqlx::query(
                "INSERT INTO ledger (user_id, seq, amount, counter_account, reason, update_id, created_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(user_id)
            .bind(entry.seq as i64)
            .bind(entry.amount)
            .bind(entry.counter_account.to_db())
            .bind(entry.reason.as_str())
            .bind(entry.update_id.map(|u| u.id))
            .bind(entry.at)
            .execute(&mut *tx)
            .await?;
        }
        for (item, quantity) in &write.inventory {
            let statement = if *quantity == 0 {
                sqlx::query("DELETE FROM inventory WHERE user_id = ? AND item_id = ?").bind(user_id).bind(&item.0)
            } else {
                sqlx::query(
                    "INSERT INTO inventory (user_id, item_id, quantity) VALUES (?, ?, ?)
                     ON CONFLICT (user_id, item_id) DO UPDATE SET quantity = excluded.quantity",
                )
                .bind(user_id)
                .bind(&item.0)
                .bind(*quantity as i32)
            };
            statement.execute(&mut *tx).await?;
        }
        for transfer in &write.transfers_opened {
            sqlx::query(
                "INSERT INTO pending_transfers (transfer_id, from_user, to_user, amount, opened_at) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(transfer.transfer)
            .bind(transfer.from.0)
            .bind(transfer.to.0)
            .bind(transfer.amount)
            .bind(transfer.opened_at)
            .execute(&mut *tx)
            .await?;
        }
        for transfer in &write.transfers_closed {
            sqlx::query("DELETE FROM pending_transfers WHERE transfer_id = ?").bind(transfer).execute(&mut *tx).await?;
        }
        for row in &write.charges {
            sqlx::query(UPSERT_CHARGE)
                .bind(&row.charge)
                .bind(row.purchase)
                .bind(row.user.0)
                .bind(row.stars)
                .bind(row.status.as_str())
                .bind(row.at)
                .execute(&mut *tx)
                .await?;
        }
        for row in &write.purchases {
            sqlx::query(UPSERT_PURCHASE)
                .bind(row.purchase)
                .bind(row.user.0)
                .bind(&row.item)
                .bind(currency_name(row.currency))
                .bind(row.amount)
                .bind(row.status.as_str())
                .bind(&row.charge)
                .bind(row.at)
                .execute(&mut *tx)
                .await?;
        }
        for held in &write.holds_opened {
            sqlx::query(
                "INSERT INTO auction_holds (auction_id, bid_id, user_id, amount, status, held_at)
                 VALUES (?, ?, ?, ?, 'held', ?)",
            )
            .bind(held.auction)
            .bind(held.bid)
            .bind(held.user.0)
            .bind(held.amount)
            .bind(held.held_at)
            .execute(&mut *tx)
            .await?;
        }
        for ended in &write.holds_closed {
            sqlx::query("UPDATE auction_holds SET status = ? WHERE auction_id = ? AND bid_id = ?")
                .bind(ended.end.as_str())
                .bind(ended.auction)
                .bind(ended.bid)
                .execute(&mut *tx)
                .await?;
        }
        for reaction in &write.reactions {
            sqlx::query(
                "INSERT INTO reactions (user_id, chat_id, message_id, emoji, besitos, at) VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(user_id)
            .bind(reaction.post.chat_id)
            .bind(reaction.post.message_id)
            .bind(&reaction.emoji)
            .bind(reaction.besitos)
            .bind(reaction.at)
            .execute(&mut *tx)
            .await?;
        }
        for reaction in &write.fragment_reactions {
            sqlx::query(
                "INSERT INTO fragment_reactions (user_id, fragment_id, emoji, besitos, at) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(user_id)
            .bind(&reaction.fragment)
            .bind(&reaction.emoji)
            .bind(reaction.besitos)
            .bind(reaction.at)
            .execute(&mut *tx)
            .await?;
        }
        let TimerChanges { set, cleared } = timer_changes(std::slice::from_ref(write));
        for (user, key, due) in cleared {
            sqlx::query(
                "DELETE FROM timers WHERE owner_kind = 'user' AND owner_id = ? AND name = ?
                 AND (? IS NULL OR due_at = ?)",
            )
            .bind(user)
            .bind(key)
            .bind(due)
            .bind(due)
            .execute(&mut *tx)
            .await?;
        }
        for (user, key, due) in set {
            sqlx::query(
                "INSERT INTO timers (owner_kind, owner_id, name, due_at) VALUES ('user', ?, ?, ?)
                 ON CONFLICT (owner_kind, owner_id, name) DO UPDATE SET due_at = excluded.due_at",
            )
            .bind(user)
            .bind(key)
            .bind(due)
            .execute(&mut *tx)
            .await?;
        }
        for event in &write.analytics {
            sqlx::query("INSERT INTO analytics_events (user_id, kind, subject, amount, at) VALUES (?, ?, ?, ?, ?)")
                .bind(user_id)
                .bind(event.kind)
                .bind(&event.subject)
                .bind(event.amount)
                .bind(event.at)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO user_snapshots (user_id, version, format, state) VALUES (?, ?, ?, ?)
             ON CONFLICT (user_id) DO UPDATE SET version = excluded.version, format = excluded.format,
                 state = excluded.state
             WHERE user_snapshots.version <= excluded.version",
        )
        .bind(user_id)
        .bind(write.snapshot.version as i64)
        .bind(SNAPSHOT_FORMAT)
        .bind(&write.snapshot.bytes)
        .execute(&mut *tx)
        .await?;
    }
    let scores = leaderboards::deltas(writes);
    for score in &scores {
        sqlx::query(
            "INSERT INTO leaderboard_scores (metric, period, user_id, score, reached_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (metric, period, user_id) DO UPDATE
                 SET score = leaderboard_scores.score + excluded.score, reached_at = excluded.reached_at",
        )
        .bind(score.metric.key())
        .bind(score.period)
        .bind(score.user)
        .bind(score.delta)
        .bind(score.at)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Written::Committed(scores))
}

pub(crate) async fn pending_transfers(pool: &SqlitePool) -> Result<Vec<OpenTransfer>, StoreError> {
    let rows: Vec<(i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT transfer_id, from_user, to_user, amount, opened_at FROM pending_transfers ORDER BY transfer_id",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(open_transfer).collect())
}
