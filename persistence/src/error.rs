/// A failure of the store. Callers above the flusher never see these for
/// writes (the flusher retries or isolates); they see them when loading a
/// user.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("snapshot of user {user} (format {format}) cannot be decoded: {reason}")]
    CorruptSnapshot { user: i64, format: i16, reason: String },
    #[error("unexpected stored value: {0}")]
    Corrupt(String),
    #[error("auction {auction} is stored inconsistently: {reason}")]
    CorruptAuction { auction: i64, reason: String },
    #[error("unsupported database url {0:?}: expected postgres://… or sqlite:…")]
    UnsupportedUrl(String),
    // cluster-placed
    /// A write-through fenced by `(shard, token)`: a newer owner of the
    /// shard recorded its token, so nothing was written.
    #[error("shard {shard} is no longer served under token {token}: nothing written")]
    Fenced { shard: u32, token: i64 },
}

impl StoreError {
    /// The store refused the data itself (an invalid byte sequence, a
    /// value out of range, a violated constraint): trying again cannot
    /// help. Anything else — a lost connection, a timeout, a lock — may
    /// pass, so the flusher retries it.
    pub fn is_permanent(&self) -> bool {
        let StoreError::Database(sqlx::Error::Database(error)) = self else { return false };
        // SQLSTATE class 22 is "data exception", 23 "integrity constraint
        // violation" (Postgres); SQLite reports constraints through `kind`.
        let class = error.code().filter(|code| code.len() == 5).map(|code| code[..2].to_owned());
        matches!(class.as_deref(), Some("22" | "23")) || !matches!(error.kind(), sqlx::error::ErrorKind::Other)
    }
}
