//! Channel posts an operator scheduled (`scheduled_posts`), and their
//! timers: a post and its timer (owner kind [`SCHEDULED_POSTS`]) are
//! written in one transaction; the timer service publishes it when due.
//!
//! Publishing is at most once: the post goes to `sending` before it is
//! handed to Telegram, and a post found `sending` (a crash during the send)
//! is settled as `unknown`, never sent again — Telegram's sendMessage has
//! no idempotency key, so a send whose answer was lost cannot be told from
//! one never made, and a channel must not show a post twice.

use dianabot_game::UserId;

use crate::StoreError;
use crate::store::{Store, on_both};

/// The owner kind of scheduled posts' timers.
pub const SCHEDULED_POSTS: &str = "post";
/// The name of a scheduled post's one timer.
pub const PUBLISH: &str = "publish";

/// Where a scheduled post stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduledStatus {
    Scheduled,
    /// Handed to Telegram; its answer not yet recorded.
    Sending,
    Published,
    /// Telegram refused it.
    Failed,
    /// A crash cut its send short: maybe in the channel, never sent again.
    Unknown,
}

impl ScheduledStatus {
    const ALL: [ScheduledStatus; 5] = [
        ScheduledStatus::Scheduled,
        ScheduledStatus::Sending,
        ScheduledStatus::Published,
        ScheduledStatus::Failed,
        ScheduledStatus::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ScheduledStatus::Scheduled => "scheduled",
            ScheduledStatus::Sending => "sending",
            ScheduledStatus::Published => "published",
            ScheduledStatus::Failed => "failed",
            ScheduledStatus::Unknown => "unknown",
        }
    }

    fn parse(text: &str) -> Option<ScheduledStatus> {
        ScheduledStatus::ALL.into_iter().find(|status| status.as_str() == text)
    }
}

/// A row of `scheduled_posts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledPost {
    pub id: i64,
    pub chat_id: i64,
    /// Posted in the VIP channel (its reactions pay VIP rates).
    pub vip: bool,
    pub text: String,
    /// Unix seconds.
    pub due: i64,
    pub created_by: UserId,
    pub status: ScheduledStatus,
    /// The channel message, once published.
    pub message_id: Option<i32>,
}

type ScheduledRow = (i64, i64, bool, String, i64, i64, String, Option<i32>);

macro_rules! select_scheduled {
    ($where:literal) => {
        concat!(
            "SELECT post_id, chat_id, vip, text, due_at, created_by, status, message_id FROM scheduled_posts ",
            $where
        )
    };
}

fn scheduled(
    (id, chat_id, vip, text, due, created_by, status, message_id): ScheduledRow,
) -> Result<ScheduledPost, StoreError> {
    let status = ScheduledStatus::parse(&status)
        .ok_or_else(|| StoreError::Corrupt(format!("scheduled post {id} has status {status}")))?;
    Ok(ScheduledPost { id, chat_id, vip, text, due, created_by: UserId(created_by), status, message_id })
}

impl Store {
    /// Schedules `post` (its status is ignored: it starts `scheduled`) with
    /// its timer, in one transaction. A second call for the same operator
    /// update (`created_by_update`, a re-delivery) schedules nothing and
    /// returns the post the first one scheduled.
    pub async fn schedule_post(
        &self,
        post: &ScheduledPost,
        created_by_update: Option<u64>,
        now: i64,
    ) -> Result<ScheduledPost, StoreError> {
        let insert = "INSERT INTO scheduled_posts
                          (post_id, chat_id, vip, text, due_at, created_by, created_by_update, status, updated_at)
                      VALUES ($1, $2, $3, $4, $5, $6, $7, 'scheduled', $8) ON CONFLICT DO NOTHING";
        let timer = "INSERT INTO timers (owner_kind, owner_id, name, due_at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (owner_kind, owner_id, name) DO NOTHING";
        let update = created_by_update.map(|update| update as i64);
        on_both!(self, |pool| {
            let mut tx = pool.begin().await?;
            let inserted = sqlx::query(insert)
                .bind(post.id)
                .bind(post.chat_id)
                .bind(post.vip)
                .bind(&post.text)
                .bind(post.due)
                .bind(post.created_by.0)
                .bind(update)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if inserted == 1 {
                sqlx::query(timer)
                    .bind(SCHEDULED_POSTS)
                    .bind(post.id)
                    .bind(PUBLISH)
                    .bind(post.due)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        let by_update = select_scheduled!("WHERE post_id = $1 OR ($2 IS NOT NULL AND created_by_update = $2)");
        let row: Option<ScheduledRow> =
            on_both!(self, |pool| sqlx::query_as(by_update).bind(post.id).bind(update).fetch_optional(pool).await?);
        row.map(scheduled)
            .transpose()?
            .ok_or_else(|| StoreError::Corrupt(format!("scheduled post {} vanished after insert", post.id)))
    }

    pub async fn scheduled_post(&self, id: i64) -> Result<Option<ScheduledPost>, StoreError> {
        let sql = select_scheduled!("WHERE post_id = $1");
        let row: Option<ScheduledRow> =
            on_both!(self, |pool| sqlx::query_as(sql).bind(id).fetch_optional(pool).await?);
        row.map(scheduled).transpose()
    }

    /// The last `limit` posts scheduled, newest first.
    pub async fn scheduled_posts(&self, limit: u32) -> Result<Vec<ScheduledPost>, StoreError> {
        let sql = select_scheduled!("ORDER BY post_id DESC LIMIT $1");
        let rows: Vec<ScheduledRow> =
            on_both!(self, |pool| sqlx::query_as(sql).bind(i64::from(limit)).fetch_all(pool).await?);
        rows.into_iter().map(scheduled).collect()
    }

    /// Moves a post from `from` to `to` (with its message once published);
    /// `false` if it was not in `from` — someone else moved it.
    pub async fn move_scheduled_post(
        &self,
        id: i64,
        from: ScheduledStatus,
        to: ScheduledStatus,
        message_id: Option<i32>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE scheduled_posts SET status = $1, message_id = $2, updated_at = $3
                   WHERE post_id = $4 AND status = $5";
        let moved = on_both!(self, |pool| sqlx::query(sql)
            .bind(to.as_str())
            .bind(message_id)
            .bind(now)
            .bind(id)
            .bind(from.as_str())
            .execute(pool)
            .await?
            .rows_affected());
        Ok(moved == 1)
    }
}
