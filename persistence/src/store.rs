//! One API over the two backends.

use std::str::FromStr;
use std::time::Duration;

use dianabot_game::{UserId, UserState};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

use crate::{OpenTransfer, StoreError, UserWrite, postgres, sqlite};

/// The database. Cheap to clone (a pool handle).
#[derive(Clone, Debug)]
pub enum Store {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

impl Store {
    /// Connects to `url` (`postgres://…` or `sqlite:…`) and applies pending
    /// migrations.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let store = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            Store::Postgres(pool)
        } else if url.starts_with("sqlite:") {
            // WAL lets loads read while the flusher writes; FULL makes every
            // commit survive power loss, which is what acknowledging after
            // commit promises (group commit keeps the fsyncs few).
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await?;
            Store::Sqlite(pool)
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Store::Postgres(pool) => sqlx::migrate!("../migrations/postgres").run(pool).await?,
            Store::Sqlite(pool) => sqlx::migrate!("../migrations/sqlite").run(pool).await?,
        }
        Ok(())
    }

    /// Loads a user's last durable state; `None` for a user never stored.
    pub async fn load_user(&self, user: UserId) -> Result<Option<UserState>, StoreError> {
        match self {
            Store::Postgres(pool) => postgres::load_user(pool, user.0).await,
            Store::Sqlite(pool) => sqlite::load_user(pool, user.0).await,
        }
    }

    /// Writes a batch of users' changes in one transaction: all or nothing.
    /// At most one write per user (the flusher coalesces before calling).
    pub async fn write_batch(&self, writes: &[UserWrite]) -> Result<(), StoreError> {
        match self {
            Store::Postgres(pool) => postgres::write_batch(pool, writes).await,
            Store::Sqlite(pool) => sqlite::write_batch(pool, writes).await,
        }
    }

    /// Gifts in flight: the sagas a coordinator must finish after a restart.
    pub async fn pending_transfers(&self) -> Result<Vec<OpenTransfer>, StoreError> {
        match self {
            Store::Postgres(pool) => postgres::pending_transfers(pool).await,
            Store::Sqlite(pool) => sqlite::pending_transfers(pool).await,
        }
    }

    /// The id of the registered user with this Telegram username, if any
    /// (case-insensitive, as Telegram usernames are).
    pub async fn find_user_by_username(&self, username: &str) -> Result<Option<UserId>, StoreError> {
        let sql = "SELECT user_id FROM users WHERE lower(username) = lower($1)";
        let found: Option<(i64,)> = match self {
            Store::Postgres(pool) => sqlx::query_as(sql).bind(username).fetch_optional(pool).await?,
            Store::Sqlite(pool) => sqlx::query_as(sql).bind(username).fetch_optional(pool).await?,
        };
        Ok(found.map(|(id,)| UserId(id)))
    }

    /// A user's last `limit` ledger entries, newest first: `(amount, reason,
    /// unix seconds)`. Durable entries only, which trail memory by the
    /// flush lag (milliseconds).
    pub async fn recent_ledger(&self, user: UserId, limit: i64) -> Result<Vec<(i64, String, i64)>, StoreError> {
        let sql = "SELECT amount, reason, created_at FROM ledger WHERE user_id = $1 ORDER BY seq DESC LIMIT $2";
        let rows = match self {
            Store::Postgres(pool) => sqlx::query_as(sql).bind(user.0).bind(limit).fetch_all(pool).await?,
            Store::Sqlite(pool) => sqlx::query_as(sql).bind(user.0).bind(limit).fetch_all(pool).await?,
        };
        Ok(rows)
    }

    /// Whether the database answers; for readiness probes.
    pub async fn ping(&self) -> bool {
        match self {
            Store::Postgres(pool) => sqlx::query("SELECT 1").execute(pool).await.is_ok(),
            Store::Sqlite(pool) => sqlx::query("SELECT 1").execute(pool).await.is_ok(),
        }
    }

    pub async fn close(&self) {
        match self {
            Store::Postgres(pool) => pool.close().await,
            Store::Sqlite(pool) => pool.close().await,
        }
    }
}
