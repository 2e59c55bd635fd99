/// A failure of the store. Callers above the flusher never see these for
/// writes (the flusher retries); they see them when loading a user.
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
}
