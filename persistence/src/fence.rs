//! Fencing for clustering (`REDIS_URL`): the `shard_epochs` table
//! (migration 0024). Redis leases a virtual shard to a node with a token
//! that grows with every acquisition; the node records it here before
//! serving the shard, and every write batch checks, in its own transaction,
//! that each shard it touches still carries the writer's token. So a node
//! paused past its lease (GC, SIGSTOP) cannot commit once the next owner
//! recorded its token: the two transactions are ordered by the row lock.

use sqlx::{Postgres, Sqlite, Transaction};

use crate::store::on_both;
use crate::{Store, StoreError};

/// A shard's recorded owner: the newest token issued for it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ShardEpoch {
    pub shard: i64,
    pub epoch: i64,
    pub node: String,
    /// Unix seconds of the recording.
    pub since: i64,
}

impl Store {
    /// Records `epoch` as `shard`'s token, held by `node`, unless an equal
    /// or newer one is recorded. `false`: a newer owner won the race (or the
    /// token was issued from a Redis that lost its counters and is not
    /// above the recorded epoch): the caller must not serve the shard.
    pub async fn record_epoch(&self, shard: u32, epoch: i64, node: &str, now: i64) -> Result<bool, StoreError> {
        let sql = "INSERT INTO shard_epochs (shard, epoch, node, since) VALUES ($1, $2, $3, $4)
                   ON CONFLICT (shard) DO UPDATE SET epoch = excluded.epoch, node = excluded.node,
                       since = excluded.since
                   WHERE shard_epochs.epoch < excluded.epoch";
        let rows = on_both!(self, |pool| sqlx::query(sql)
            .bind(i64::from(shard))
            .bind(epoch)
            .bind(node)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(rows == 1)
    }

    /// Every shard's recorded epoch, by shard.
    pub async fn shard_epochs(&self) -> Result<Vec<ShardEpoch>, StoreError> {
        let sql = "SELECT shard, epoch, node, since FROM shard_epochs ORDER BY shard";
        Ok(on_both!(self, |pool| sqlx::query_as(sql).fetch_all(pool).await?))
    }
}

// cluster-placed
/// Runs one write-through query on `$conn`, fenced by `$fence` (an
/// `Option<(shard, token)>`: the shard the writing actor is placed on and
/// the token it was started under). Without a claim (clustering off) the
/// query runs on the pool as it always did; with one, in a transaction
/// that first checks the claim like a fenced batch does, and that writes
/// nothing and returns [`StoreError::Fenced`] from the enclosing function
/// when the shard carries another token.
macro_rules! fenced_write {
    ($store:expr, $fence:expr, |$conn:ident| $write:expr) => {
        match ($store, $fence) {
            (Store::Postgres(pool), None) => {
                let $conn = pool;
                $write
            }
            (Store::Sqlite(pool), None) => {
                let $conn = pool;
                $write
            }
            (Store::Postgres(pool), Some((shard, token))) => {
                let mut tx = pool.begin().await?;
                if !crate::fence::postgres_fenced(&mut tx, &[(shard, token)]).await?.is_empty() {
                    return Err(StoreError::Fenced { shard, token });
                }
                let written = {
                    let $conn = &mut *tx;
                    $write
                };
                tx.commit().await?;
                written
            }
            (Store::Sqlite(pool), Some((shard, token))) => {
                let mut tx = pool.begin().await?;
                if !crate::fence::sqlite_fenced(&mut tx, &[(shard, token)]).await?.is_empty() {
                    return Err(StoreError::Fenced { shard, token });
                }
                let written = {
                    let $conn = &mut *tx;
                    $write
                };
                tx.commit().await?;
                written
            }
        }
    };
}
pub(crate) use fenced_write;

/// The claims of `fence` whose recorded epoch is not the claimed token.
/// `FOR SHARE` holds the rows until the batch commits, so a new owner's
/// `record_epoch` waits for this batch, or this batch sees its epoch.
pub(crate) async fn postgres_fenced(
    tx: &mut Transaction<'_, Postgres>,
    fence: &[(u32, i64)],
) -> Result<Vec<(u32, i64)>, StoreError> {
    let shards: Vec<i64> = fence.iter().map(|(shard, _)| i64::from(*shard)).collect();
    let rows: Vec<(i64, i64)> =
        sqlx::query_as("SELECT shard, epoch FROM shard_epochs WHERE shard = ANY($1) ORDER BY shard FOR SHARE")
            .bind(shards)
            .fetch_all(&mut **tx)
            .await?;
    Ok(mismatched(fence, &rows))
}

/// SQLite serialises writers, so reading inside the batch's transaction is
/// enough (it is single-node in practice, but fences all the same).
pub(crate) async fn sqlite_fenced(
    tx: &mut Transaction<'_, Sqlite>,
    fence: &[(u32, i64)],
) -> Result<Vec<(u32, i64)>, StoreError> {
    let mut rows = Vec::with_capacity(fence.len());
    for (shard, _) in fence {
        let row: Option<(i64, i64)> = sqlx::query_as("SELECT shard, epoch FROM shard_epochs WHERE shard = ?")
            .bind(i64::from(*shard))
            .fetch_optional(&mut **tx)
            .await?;
        rows.extend(row);
    }
    Ok(mismatched(fence, &rows))
}

fn mismatched(fence: &[(u32, i64)], rows: &[(i64, i64)]) -> Vec<(u32, i64)> {
    fence
        .iter()
        .filter(|(shard, token)| !rows.iter().any(|(row, epoch)| *row == i64::from(*shard) && epoch == token))
        .copied()
        .collect()
}
