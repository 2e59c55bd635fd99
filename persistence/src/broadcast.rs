//! Broadcast jobs (`broadcasts`) and the recipients they walk (`users`).
//!
//! A job walks the registered players in user-id order. Its `cursor` is
//! the last user id it has moved past, and it is moved past a batch
//! *before* the batch is sent, with the batch's size in `in_flight`: a
//! restart resumes after the cursor, so nobody is sent the message twice
//! (Telegram's sendMessage has no idempotency key, so a send whose answer
//! was lost cannot be told from one never made). What a crash cut short is
//! counted in `unknown` ([`Store::settle_broadcast_in_flight`]).

use dianabot_game::{Language, UserId};

use crate::fence::fenced_write;
use crate::{Store, StoreError};

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BroadcastStatus {
    /// Still walking the players.
    Running,
    /// Every player walked.
    Done,
}

impl BroadcastStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BroadcastStatus::Running => "running",
            BroadcastStatus::Done => "done",
        }
    }

    fn parse(text: &str) -> Option<BroadcastStatus> {
        [BroadcastStatus::Running, BroadcastStatus::Done].into_iter().find(|status| status.as_str() == text)
    }
}

/// A broadcast job as `broadcasts` stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broadcast {
    pub id: i64,
    pub text: String,
    pub created_by: UserId,
    pub created_at: i64,
    pub status: BroadcastStatus,
    /// The last user id moved past (0 before the first batch).
    pub cursor: i64,
    pub sent: i64,
    /// Players who opted out.
    pub skipped: i64,
    /// Refused by Telegram (a player who blocked the bot: 403), not retried.
    pub failed: i64,
    /// Sends a crash (or a lost answer) left without an outcome; never repeated.
    pub unknown: i64,
    /// Size of the batch being sent, until its results are counted.
    pub in_flight: i64,
}

/// One player a job walks past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recipient {
    pub user: UserId,
    pub language: Language,
    pub opted_out: bool,
}

type BroadcastRow = (i64, String, i64, i64, String, i64, i64, i64, i64, i64, i64);

/// Selects every column of `broadcasts` (what [`BroadcastRow`] reads).
macro_rules! select_broadcasts {
    ($where:literal) => {
        concat!(
            "SELECT broadcast_id, text, created_by, created_at, status, cursor, sent, skipped, failed, unknown,
                    in_flight FROM broadcasts ",
            $where
        )
    };
}

fn broadcast(row: BroadcastRow) -> Result<Broadcast, StoreError> {
    let (id, text, created_by, created_at, status, cursor, sent, skipped, failed, unknown, in_flight) = row;
    let status = BroadcastStatus::parse(&status)
        .ok_or_else(|| StoreError::Corrupt(format!("broadcast {id} has status {status}")))?;
    Ok(Broadcast {
        id,
        text,
        created_by: UserId(created_by),
        created_at,
        status,
        cursor,
        sent,
        skipped,
        failed,
        unknown,
        in_flight,
    })
}

/// Runs one query text on whichever backend (both accept `$n` parameters).
macro_rules! on_both {
    ($store:expr, |$pool:ident| $body:expr) => {
        match $store {
            Store::Postgres($pool) => $body,
            Store::Sqlite($pool) => $body,
        }
    };
}

impl Store {
    /// Stores a new running job; if the update of fingerprint
    /// `created_by_update` created one already (a re-delivered command),
    /// that one is returned instead and nothing is stored.
    pub async fn create_broadcast(
        &self,
        id: i64,
        text: &str,
        created_by: UserId,
        created_at: i64,
        created_by_update: Option<u64>,
    ) -> Result<Broadcast, StoreError> {
        let sql = "INSERT INTO broadcasts (broadcast_id, text, created_by, created_at, created_by_update, status)
                   VALUES ($1, $2, $3, $4, $5, 'running') ON CONFLICT DO NOTHING";
        let update = created_by_update.map(|update| update as i64);
        on_both!(self, |pool| sqlx::query(sql)
            .bind(id)
            .bind(text)
            .bind(created_by.0)
            .bind(created_at)
            .bind(update)
            .execute(pool)
            .await
            .map(|_| ())?);
        let by_update = select_broadcasts!("WHERE broadcast_id = $1 OR ($2 IS NOT NULL AND created_by_update = $2)");
        let row: Option<BroadcastRow> =
            on_both!(self, |pool| sqlx::query_as(by_update).bind(id).bind(update).fetch_optional(pool).await?);
        row.map(broadcast)
            .transpose()?
            .ok_or_else(|| StoreError::Corrupt(format!("broadcast {id} vanished after insert")))
    }

    pub async fn broadcast(&self, id: i64) -> Result<Option<Broadcast>, StoreError> {
        let sql = select_broadcasts!("WHERE broadcast_id = $1");
        let row: Option<BroadcastRow> =
            on_both!(self, |pool| sqlx::query_as(sql).bind(id).fetch_optional(pool).await?);
        row.map(broadcast).transpose()
    }

    /// The last `limit` jobs, newest first.
    pub async fn broadcasts(&self, limit: i64) -> Result<Vec<Broadcast>, StoreError> {
        let sql = select_broadcasts!("ORDER BY broadcast_id DESC LIMIT $1");
        let rows: Vec<BroadcastRow> = on_both!(self, |pool| sqlx::query_as(sql).bind(limit).fetch_all(pool).await?);
        rows.into_iter().map(broadcast).collect()
    }

    /// Jobs still running, oldest first: what the broadcaster resumes.
    pub async fn unfinished_broadcasts(&self) -> Result<Vec<Broadcast>, StoreError> {
        let sql = select_broadcasts!("WHERE status = 'running' ORDER BY broadcast_id");
        let rows: Vec<BroadcastRow> = on_both!(self, |pool| sqlx::query_as(sql).fetch_all(pool).await?);
        rows.into_iter().map(broadcast).collect()
    }

    /// Registered players who have not opted out.
    pub async fn broadcast_audience(&self) -> Result<i64, StoreError> {
        let sql = "SELECT COUNT(*) FROM users WHERE broadcasts_opt_out = FALSE";
        Ok(on_both!(self, |pool| sqlx::query_scalar(sql).fetch_one(pool).await?))
    }

    /// The language a registered user chose; `None` for one never registered.
    pub async fn user_language(&self, user: UserId) -> Result<Option<Language>, StoreError> {
        let sql = "SELECT language FROM users WHERE user_id = $1";
        let row: Option<(String,)> =
            on_both!(self, |pool| sqlx::query_as(sql).bind(user.0).fetch_optional(pool).await?);
        Ok(row.map(|(code,)| Language::from_code(Some(&code))))
    }

    /// The next `limit` registered players after user id `after`, in user-id order.
    pub async fn broadcast_recipients(&self, after: i64, limit: i64) -> Result<Vec<Recipient>, StoreError> {
        let sql = "SELECT user_id, language, broadcasts_opt_out FROM users WHERE user_id > $1
                   ORDER BY user_id LIMIT $2";
        let rows: Vec<(i64, String, bool)> =
            on_both!(self, |pool| sqlx::query_as(sql).bind(after).bind(limit).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(user, language, opted_out)| Recipient {
                user: UserId(user),
                language: Language::from_code(Some(&language)),
                opted_out,
            })
            .collect())
    }

    /// Moves job `id` past a batch before it is sent: the cursor to
    /// `cursor`, `skipped` more players skipped, `in_flight` sends starting.
    /// With clustering, `fence` is the server-wide shard's claim: a node
    /// paused past its lease moves nothing, so sends nothing twice.
    pub async fn advance_broadcast(
        &self,
        id: i64,
        cursor: i64,
        skipped: i64,
        in_flight: i64,
        fence: Option<(u32, i64)>,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE broadcasts SET cursor = $2, skipped = skipped + $3, in_flight = $4
                   WHERE broadcast_id = $1 AND status = 'running'";
        fenced_write!(self, fence, |conn| sqlx::query(sql)
            .bind(id)
            .bind(cursor)
            .bind(skipped)
            .bind(in_flight)
            .execute(conn)
            .await
            .map(|_| ())?);
        Ok(())
    }

    /// Counts the outcomes of the batch in flight.
    pub async fn count_broadcast_batch(&self, id: i64, sent: i64, failed: i64, unknown: i64) -> Result<(), StoreError> {
        let sql = "UPDATE broadcasts SET sent = sent + $2, failed = failed + $3, unknown = unknown + $4, in_flight = 0
                   WHERE broadcast_id = $1";
        on_both!(self, |pool| sqlx::query(sql)
            .bind(id)
            .bind(sent)
            .bind(failed)
            .bind(unknown)
            .execute(pool)
            .await
            .map(|_| ())?);
        Ok(())
    }

    /// After a crash: the batch that was in flight has no known outcome;
    /// its sends count as `unknown` and are never made again.
    pub async fn settle_broadcast_in_flight(&self, id: i64) -> Result<(), StoreError> {
        let sql = "UPDATE broadcasts SET unknown = unknown + in_flight, in_flight = 0 WHERE broadcast_id = $1";
        on_both!(self, |pool| sqlx::query(sql).bind(id).execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// Every player walked: the job is done.
    pub async fn finish_broadcast(&self, id: i64) -> Result<(), StoreError> {
        let sql = "UPDATE broadcasts SET status = 'done' WHERE broadcast_id = $1";
        on_both!(self, |pool| sqlx::query(sql).bind(id).execute(pool).await.map(|_| ())?);
        Ok(())
    }
}
