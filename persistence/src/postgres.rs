//! Postgres: each table of a batch is written by one statement over arrays
//! (`UNNEST`), so a batch of thousands of users costs a handful of round trips.

use dianabot_game::UserState;
use sqlx::{FromRow, PgPool, Row};

use crate::Written;
use crate::leaderboards;
use crate::write::{SNAPSHOT_FORMAT, StoredUser};
use crate::write::{TimerChanges, currency_name, open_transfer, timer_changes};
use crate::{OpenTransfer, StoreError, UserWrite};

pub(crate) async fn load_user(pool: &PgPool, user_id: i64) -> Result<Option<UserState>, StoreError> {
    // One round trip: the row and the inventory aggregated into two arrays.
    let row = sqlx::query(
        "SELECT s.version, s.format, s.state, b.besitos, u.first_name, u.username, u.language, u.registered_at,
                u.broadcasts_opt_out,
                COALESCE((SELECT array_agg(i.item_id) FROM inventory i WHERE i.user_id = s.user_id), '{}') AS items,
                COALESCE((SELECT array_agg(i.quantity) FROM inventory i WHERE i.user_id = s.user_id), '{}') AS quantities
         FROM user_snapshots s
         JOIN users u ON u.user_id = s.user_id
         JOIN balances b ON b.user_id = s.user_id
         WHERE s.user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let items: Vec<String> = row.try_get("items")?;
    let quantities: Vec<i32> = row.try_get("quantities")?;
    let stored = StoredUser::from_row(&row)?;
    stored.into_state(user_id, items.into_iter().zip(quantities).collect()).map(Some)
}

/// Writes `writes` in one transaction. With `fence` (clustering: each
/// shard the writes touch and this node's token for it), first checks in
/// the same transaction that every shard still carries that token; if some
/// do not, writes nothing and returns them (the caller drops their writes
/// and commits the rest). Committed, it returns the leaderboard score
/// changes it stored.
pub(crate) async fn write_batch(
    pool: &PgPool,
    writes: &[UserWrite],
    fence: &[(u32, i64)],
) -> Result<Written, StoreError> {
    let mut tx = pool.begin().await?;
    if !fence.is_empty() {
        let fenced = crate::fence::postgres_fenced(&mut tx, fence).await?;
        if !fenced.is_empty() {
            return Ok(Written::Fenced(fenced));
        }
    }

    let profiles: Vec<_> = writes.iter().filter_map(|w| w.profile.as_ref().map(|p| (w.user_id.0, p))).collect();
    if !profiles.is_empty() {
        sqlx::query(
            "INSERT INTO users (user_id, first_name, username, language, registered_at, broadcasts_opt_out)
             SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::boolean[])
             ON CONFLICT (user_id) DO UPDATE SET first_name = EXCLUDED.first_name,
                 username = EXCLUDED.username, language = EXCLUDED.language,
                 broadcasts_opt_out = EXCLUDED.broadcasts_opt_out",
        )
        .bind(profiles.iter().map(|(id, _)| *id).collect::<Vec<_>>())
        .bind(profiles.iter().map(|(_, p)| p.first_name.as_str()).collect::<Vec<_>>())
        .bind(profiles.iter().map(|(_, p)| p.username.as_deref()).collect::<Vec<_>>())
        .bind(profiles.iter().map(|(_, p)| p.language.code()).collect::<Vec<_>>())
        .bind(profiles.iter().map(|(_, p)| p.registered_at).collect::<Vec<_>>())
        .bind(profiles.iter().map(|(_, p)| p.broadcasts_opt_out).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }

    let balances: Vec<_> = writes.iter().filter_map(|w| w.balance.map(|b| (w.user_id.0, b))).collect();
    if !balances.is_empty() {
        sqlx::query(
            "INSERT INTO balances (user_id, besitos) SELECT * FROM UNNEST($1::bigint[], $2::bigint[])
             ON CONFLICT (user_id) DO UPDATE SET besitos = EXCLUDED.besitos",
        )
        .bind(balances.iter().map(|(id, _)| *id).collect::<Vec<_>>())
        .bind(balances.iter().map(|(_, b)| *b).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }

    let entries: Vec<_> = writes.iter().flat_map(|w| w.ledger.iter().map(move |e| (w.user_id.0, e))).collect();
    if !entries.is_empty() {
        sqlx::query(
            "INSERT INTO ledger (user_id, seq, amount, counter_account, reason, update_id, created_at)
             SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::bigint[])",
        )
        .bind(entries.iter().map(|(id, _)| *id).collect::<Vec<_>>())
        .bind(entries.iter().map(|(_, e)| e.seq as i64).collect::<Vec<_>>())
        .bind(entries.iter().map(|(_, e)| e.amount).collect::<Vec<_>>())
        .bind(entries.iter().map(|(_, e)| e.counter_account.to_db()).collect::<Vec<_>>())
        .bind(entries.iter().map(|(_, e)| e.reason.as_str()).collect::<Vec<_>>())
        .bind(entries.iter().map(|(_, e)| e.update_id.map(|u| u.id)).collect::<Vec<_>>())
        .bind(entries.iter().map(|(_, e)| e.at).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }

    let items: Vec<_> = writes
        .iter()
        .flat_map(|w| w.inventory.iter().map(move |(item, qty)| (w.user_id.0, item.0.as_str(), *qty)))
        .collect();
    let (held, gone): (Vec<_>, Vec<_>) = items.into_iter().partition(|(_, _, qty)| *qty > 0);
    if !gone.is_empty() {
        sqlx::query(
            "DELETE FROM inventory i USING UNNEST($1::bigint[], $2::text[]) AS g(user_id, item_id)
             WHERE i.user_id = g.user_id AND i.item_id = g.item_id",
        )
        .bind(gone.iter().map(|(id, _, _)| *id).collect::<Vec<_>>())
        .bind(gone.iter().map(|(_, item, _)| *item).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    if !held.is_empty() {
        sqlx::query(
            "INSERT INTO inventory (user_id, item_id, quantity)
             SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::int[])
             ON CONFLICT (user_id, item_id) DO UPDATE SET quantity = EXCLUDED.quantity",
        )
        .bind(held.iter().map(|(id, _, _)| *id).collect::<Vec<_>>())
        .bind(held.iter().map(|(_, item, _)| *item).collect::<Vec<_>>())
        .bind(held.iter().map(|(_, _, qty)| *qty as i32).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }

    // Opened before closed: a transfer opened and finished within one batch
    // leaves no row.
    let opened: Vec<_> = writes.iter().flat_map(|w| w.transfers_opened.iter()).collect();
    if !opened.is_empty() {
        sqlx::query(
            "INSERT INTO pending_transfers (transfer_id, from_user, to_user, amount, opened_at)
             SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[])",
        )
        .bind(opened.iter().map(|t| t.transfer).collect::<Vec<_>>())
        .bind(opened.iter().map(|t| t.from.0).collect::<Vec<_>>())
        .bind(opened.iter().map(|t| t.to.0).collect::<Vec<_>>())
        .bind(opened.iter().map(|t| t.amount).collect::<Vec<_>>())
        .bind(opened.iter().map(|t| t.opened_at).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    let closed: Vec<i64> = writes.iter().flat_map(|w| w.transfers_closed.iter().copied()).collect();
    if !closed.is_empty() {
        sqlx::query("DELETE FROM pending_transfers WHERE transfer_id = ANY($1)").bind(closed).execute(&mut *tx).await?;
    }

    // Postgres refuses to touch a row twice in one statement: the last
    // status of each purchase in the batch is the one to write.
    let mut purchases = std::collections::BTreeMap::new();
    for row in writes.iter().flat_map(|w| w.purchases.iter()) {
        purchases.insert(row.purchase, row);
    }
    if !purchases.is_empty() {
        let rows: Vec<_> = purchases.into_values().collect();
        sqlx::query(
            "INSERT INTO purchases
                 (purchase_id, user_id, item_id, currency, amount, status, charge_id, created_at, updated_at)
             SELECT p.*, p.at FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[],
                 $6::text[], $7::text[], $8::bigint[]) AS p(id, user_id, item, currency, amount, status, charge, at)
             ON CONFLICT (purchase_id) DO UPDATE SET status = EXCLUDED.status,
                 charge_id = COALESCE(EXCLUDED.charge_id, purchases.charge_id), updated_at = EXCLUDED.updated_at",
        )
        .bind(rows.iter().map(|p| p.purchase).collect::<Vec<_>>())
        .bind(rows.iter().map(|p| p.user.0).collect::<Vec<_>>())
        .bind(rows.iter().map(|p| p.item.as_str()).collect::<Vec<_>>())
        .bind(rows.iter().map(|p| currency_name(p.currency)).collect::<Vec<_>>())
        .bind(rows.iter().map(|p| p.amount).collect::<Vec<_>>())
        .bind(rows.iter().map(|p| p.status.as_str()).collect::<Vec<_>>())
        .bind(rows.iter().map(|p| p.charge.as_deref()).collect::<Vec<_>>())
        .bind(rows.iter().map(|p| p.at).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }

    let mut charges = std::collections::BTreeMap::new();
    for row in writes.iter().flat_map(|w| w.charges.iter()) {
        charges.insert(row.charge.as_str(), row);
    }
    if !charges.is_empty() {
        let rows: Vec<_> = charges.into_values().collect();
        sqlx::query(
            "INSERT INTO star_charges (charge_id, purchase_id, user_id, stars, status, created_at, updated_at)
             SELECT c.*, c.at FROM UNNEST($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[],
                 $6::bigint[]) AS c(charge, purchase, user_id, stars, status, at)
             ON CONFLICT (charge_id) DO UPDATE SET status = EXCLUDED.status, updated_at = EXCLUDED.updated_at",
        )
        .bind(rows.iter().map(|c| c.charge.as_str()).collect::<Vec<_>>())
        .bind(rows.iter().map(|c| c.purchase).collect::<Vec<_>>())
        .bind(rows.iter().map(|c| c.user.0).collect::<Vec<_>>())
        .bind(rows.iter().map(|c| c.stars).collect::<Vec<_>>())
        .bind(rows.iter().map(|c| c.status.as_str()).collect::<Vec<_>>())
        .bind(rows.iter().map(|c| c.at).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }

    // Held before ended: a hold placed and released within one batch ends
    // up 'released'.
    let held: Vec<_> = writes.iter().flat_map(|w| w.holds_opened.iter()).collect();
    if !held.is_empty() {
        sqlx::query(
            "INSERT INTO auction_holds (auction_id, bid_id, user_id, amount, status, held_at)
             SELECT a, b, u, m, 'held', t FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[])
                 AS h(a, b, u, m, t)",
        )
        .bind(held.iter().map(|h| h.auction).collect::<Vec<_>>())
        .bind(held.iter().map(|h| h.bid).collect::<Vec<_>>())
        .bind(held.iter().map(|h| h.user.0).collect::<Vec<_>>())
        .bind(held.iter().map(|h| h.amount).collect::<Vec<_>>())
        .bind(held.iter().map(|h| h.held_at).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    let ended: Vec<_> = writes.iter().flat_map(|w| w.holds_closed.iter()).collect();
    if !ended.is_empty() {
        sqlx::query(
            "UPDATE auction_holds h SET status = e.status
             FROM UNNEST($1::bigint[], $2::bigint[], $3::text[]) AS e(auction_id, bid_id, status)
             WHERE h.auction_id = e.auction_id AND h.bid_id = e.bid_id",
        )
        .bind(ended.iter().map(|h| h.auction).collect::<Vec<_>>())
        .bind(ended.iter().map(|h| h.bid).collect::<Vec<_>>())
        .bind(ended.iter().map(|h| h.end.as_str()).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }

    let reactions: Vec<_> = writes.iter().flat_map(|w| w.reactions.iter().map(move |r| (w.user_id.0, r))).collect();
    if !reactions.is_empty() {
        sqlx::query(
            "INSERT INTO reactions (user_id, chat_id, message_id, emoji, besitos, at)
             SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::int[], $4::text[], $5::bigint[], $6::bigint[])",
        )
        .bind(reactions.iter().map(|(id, _)| *id).collect::<Vec<_>>())
        .bind(reactions.iter().map(|(_, r)| r.post.chat_id).collect::<Vec<_>>())
        .bind(reactions.iter().map(|(_, r)| r.post.message_id).collect::<Vec<_>>())
        .bind(reactions.iter().map(|(_, r)| r.emoji.as_str()).collect::<Vec<_>>())
        .bind(reactions.iter().map(|(_, r)| r.besitos).collect::<Vec<_>>())
        .bind(reactions.iter().map(|(_, r)| r.at).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }

    let on_pages: Vec<_> =
        writes.iter().flat_map(|w| w.fragment_reactions.iter().map(move |r| (w.user_id.0, r))).collect();
    if !on_pages.is_empty() {
        sqlx::query(
            "INSERT INTO fragment_reactions (user_id, fragment_id, emoji, besitos, at)
             SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[])",
        )
        .bind(on_pages.iter().map(|(id, _)| *id).collect::<Vec<_>>())
        .bind(on_pages.iter().map(|(_, r)| r.fragment.as_str()).collect::<Vec<_>>())
        .bind(on_pages.iter().map(|(_, r)| r.emoji.as_str()).collect::<Vec<_>>())
        .bind(on_pages.iter().map(|(_, r)| r.besitos).collect::<Vec<_>>())
        .bind(on_pages.iter().map(|(_, r)| r.at).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }

    let TimerChanges { set, cleared } = timer_changes(writes);
    if !cleared.is_empty() {
        sqlx::query(
            "DELETE FROM timers t USING UNNEST($1::bigint[], $2::text[], $3::bigint[]) AS c(owner_id, name, due_at)
             WHERE t.owner_kind = 'user' AND t.owner_id = c.owner_id AND t.name = c.name
               AND (c.due_at IS NULL OR t.due_at = c.due_at)",
        )
        .bind(cleared.iter().map(|(id, _, _)| *id).collect::<Vec<_>>())
        .bind(cleared.iter().map(|(_, name, _)| *name).collect::<Vec<_>>())
        .bind(cleared.iter().map(|(_, _, due)| *due).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    if !set.is_empty() {
        sqlx::query(
            "INSERT INTO timers (owner_kind, owner_id, name, due_at)
             SELECT 'user', * FROM UNNEST($1::bigint[], $2::text[], $3::bigint[])
             ON CONFLICT (owner_kind, owner_id, name) DO UPDATE SET due_at = EXCLUDED.due_at",
        )
        .bind(set.iter().map(|(id, _, _)| *id).collect::<Vec<_>>())
        .bind(set.iter().map(|(_, name, _)| *name).collect::<Vec<_>>())
        .bind(set.iter().map(|(_, _, due)| *due).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }

    let events: Vec<_> = writes.iter().flat_map(|w| w.analytics.iter().map(move |e| (w.user_id.0, e))).collect();
    if !events.is_empty() {
        sqlx::query(
            "INSERT INTO analytics_events (user_id, kind, subject, amount, at)
             SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[])",
        )
        .bind(events.iter().map(|(id, _)| *id).collect::<Vec<_>>())
        .bind(events.iter().map(|(_, e)| e.kind).collect::<Vec<_>>())
        .bind(events.iter().map(|(_, e)| e.subject.as_str()).collect::<Vec<_>>())
        .bind(events.iter().map(|(_, e)| e.amount).collect::<Vec<_>>())
        .bind(events.iter().map(|(_, e)| e.at).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }

    let scores = leaderboards::deltas(writes);
    if !scores.is_empty() {
        sqlx::query(
            "INSERT INTO leaderboard_scores (metric, period, user_id, score, reached_at)
             SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[])
             ON CONFLICT (metric, period, user_id) DO UPDATE
                 SET score = leaderboard_scores.score + EXCLUDED.score, reached_at = EXCLUDED.reached_at",
        )
        .bind(scores.iter().map(|s| s.metric.key()).collect::<Vec<_>>())
        .bind(scores.iter().map(|s| s.period).collect::<Vec<_>>())
        .bind(scores.iter().map(|s| s.user).collect::<Vec<_>>())
        .bind(scores.iter().map(|s| s.delta).collect::<Vec<_>>())
        .bind(scores.iter().map(|s| s.at).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }

    if !writes.is_empty() {
        sqlx::query(
            "INSERT INTO user_snapshots (user_id, version, format, state)
             SELECT u.user_id, u.version, $3, u.state FROM UNNEST($1::bigint[], $2::bigint[], $4::bytea[]) AS u(user_id, version, state)
             ON CONFLICT (user_id) DO UPDATE SET version = EXCLUDED.version, format = EXCLUDED.format, state = EXCLUDED.state
             WHERE user_snapshots.version <= EXCLUDED.version",
        )
        .bind(writes.iter().map(|w| w.user_id.0).collect::<Vec<_>>())
        .bind(writes.iter().map(|w| w.snapshot.version as i64).collect::<Vec<_>>())
        .bind(SNAPSHOT_FORMAT)
        .bind(writes.iter().map(|w| w.snapshot.bytes.as_slice()).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }

    tx.commit().await?;
    Ok(Written::Committed(scores))
}

pub(crate) async fn pending_transfers(pool: &PgPool) -> Result<Vec<OpenTransfer>, StoreError> {
    let rows: Vec<(i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT transfer_id, from_user, to_user, amount, opened_at FROM pending_transfers ORDER BY transfer_id",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(open_transfer).collect())
}
