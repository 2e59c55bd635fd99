//! Write-behind with group commit.
//!
//! Actors submit a [`UserWrite`] with an acknowledgement and go on serving.
//! One task collects submissions, coalesces them per user, and commits them
//! in one transaction when the batch is full or the linger interval passes;
//! while a batch commits the next one fills, so under load batches grow and
//! the cost per update falls. Only after the commit does it complete the
//! acknowledgements of every submission in the batch: that is the moment an
//! update becomes durable, and the only moment intake may tell Telegram so.
//!
//! A commit that fails for a transient reason (connection, timeout) is
//! retried with backoff: nothing is acknowledged until it is stored. One the
//! store rejects for good (a value it cannot hold) is split in halves until
//! the rejected user's write stands alone; everything else commits, and
//! that write is dead-lettered: its acknowledgements complete with
//! [`FlushError::Rejected`], a log line names the user, a counter counts
//! it. So one bad value never stalls other users. Memory stays bounded
//! because intake holds a permit per in-flight update until its
//! acknowledgement.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use dashmap::DashMap;
use dianabot_game::UserId;
use dianabot_plumbing::shards::Ownership;
use dianabot_plumbing::{Backoff, retry_forever, unix_now_millis};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::Written;
use crate::leaderboards::{Leaderboards, ScoreDelta};
use crate::{Store, StoreError, UserWrite};

#[derive(Debug, Clone)]
pub struct FlushConfig {
    /// How long a batch waits for company after its first write.
    pub linger: Duration,
    /// A batch is committed as soon as it holds this many users.
    pub max_batch_users: usize,
    /// Upper bound of the retry backoff while the store fails.
    pub max_backoff: Duration,
    /// Whether writes carry their analytics rows ([`crate::analytics::rows`]).
    /// Off (for measuring what collection costs, or for operators who want
    /// no analytics): no rows are kept, reports see nothing new; the
    /// leaderboards' points are kept all the same (`UserWrite::scores`).
    pub collect_analytics: bool,
    // cluster
    /// Clustering on: the shards this node serves and their fencing tokens.
    /// Each write is stamped at submission with its shard's token and
    /// committed only if the store still records that token
    /// ([`Store::write_batch_fenced`]); `None` (one node) costs nothing.
    pub ownership: Option<Arc<Ownership>>,
}

impl Default for FlushConfig {
    fn default() -> FlushConfig {
        FlushConfig {
            linger: Duration::from_millis(2),
            max_batch_users: 4096,
            max_backoff: Duration::from_secs(2),
            collect_analytics: true,
            ownership: None,
        }
    }
}

/// Why an acknowledgement completed without the write being durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FlushError {
    #[error("the flusher stopped before the write was committed")]
    Stopped,
    #[error("the store rejected the write for good; it is dead-lettered")]
    Rejected,
    // cluster
    /// The write's shard is owned by another node now (its fencing token
    /// is newer): nothing was committed and this node stops serving it.
    #[error("the write's shard is fenced: another node owns it now")]
    Fenced,
}

/// Completes when the submission's batch is committed.
pub type Ack = oneshot::Sender<Result<(), FlushError>>;

dianabot_plumbing::metrics! {
    /// Counters for ops and benchmarks, updated by the flusher task.
    pub struct FlushStats {
        /// Users with changes waiting for the next batch.
        gauge dirty_users => "dianabot_flush_dirty_users",
        /// Committed write batches.
        counter batches => "dianabot_flush_batches_total",
        /// User rows written (after coalescing).
        counter users_written => "dianabot_flush_users_written_total",
        /// Ledger rows written.
        counter ledger_rows_written => "dianabot_flush_ledger_rows_total",
        /// Acknowledgements completed by commits.
        counter acks_completed => "dianabot_flush_acks_total",
        /// Batch commits that failed and were retried.
        counter failed_commits => "dianabot_flush_failed_commits_total",
        /// Users' writes the store rejected for good (dead-lettered; the rest of their batch committed).
        counter rejected_writes => "dianabot_flush_rejected_writes_total",
        /// Users' writes not committed because their shard's token was no longer this node's (clustering).
        counter fenced_writes => "dianabot_flush_fenced_writes_total",
        /// Users in the last committed batch.
        gauge last_batch_users => "dianabot_flush_last_batch_users",
        /// Duration of the last batch commit.
        gauge last_commit_micros => "dianabot_flush_last_commit_seconds" / 1e6,
        /// Age of the oldest write of the last batch when it committed (durability lag).
        gauge last_lag_micros => "dianabot_flush_lag_seconds" / 1e6,
    }
    also {
        /// Committed besitos by ledger reason and direction: `(reason, true)`
        /// for what came in (faucets and credits), `(reason, false)` for what
        /// went out (sinks and debits). Exposed as `dianabot_ledger_besitos_total`.
        pub ledger_totals: DashMap<(&'static str, bool), AtomicI64>,
        /// Unix milliseconds since which a batch has waited to commit; 0
        /// when nothing waits (`/readyz` reads it).
        pub commit_pending_since_ms: std::sync::atomic::AtomicU64,
    }
}

impl FlushStats {
    /// How long writes have waited for a commit that has not happened
    /// (retries of a failing or blocked store); zero when nothing waits.
    pub fn commit_stalled_for(&self) -> Duration {
        match self.commit_pending_since_ms.load(Ordering::Relaxed) {
            0 => Duration::ZERO,
            since => Duration::from_millis(unix_now_millis().saturating_sub(since)),
        }
    }
}

// Nearly every message is a `Submit`; boxing its write would add an
// allocation to each one to save space on the rare `Shutdown`.
#[allow(clippy::large_enum_variant)]
enum Message {
    /// `token`: the write's shard's fencing token when it was submitted
    /// (clustering; 0 otherwise).
    Submit {
        write: Option<UserWrite>,
        ack: Option<Ack>,
        token: i64,
    },
    Shutdown(oneshot::Sender<()>),
}

/// Handle to the flusher task. Cheap to clone.
#[derive(Clone)]
pub struct Flusher {
    sender: mpsc::UnboundedSender<Message>,
    stats: Arc<FlushStats>,
    boards: Leaderboards,
    collect_analytics: bool,
    ownership: Option<Arc<Ownership>>,
}

impl Flusher {
    /// Spawns the flusher task on the current tokio runtime.
    pub fn spawn(store: Store, config: FlushConfig) -> (Flusher, JoinHandle<()>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        let stats = Arc::new(FlushStats::default());
        let boards = Leaderboards::default();
        let collect_analytics = config.collect_analytics;
        let ownership = config.ownership.clone();
        let task = FlushTask {
            store,
            config,
            receiver,
            stats: stats.clone(),
            batch: Batch { fencing: ownership.is_some(), ..Batch::default() },
            boards: boards.clone(),
        };
        let handle = tokio::spawn(task.run());
        (Flusher { sender, stats, boards, collect_analytics, ownership }, handle)
    }

    /// Whether writes are to carry analytics rows ([`FlushConfig::collect_analytics`]).
    pub fn collects_analytics(&self) -> bool {
        self.collect_analytics
    }

    /// Hands a write to the flusher; `ack` completes once it is durable.
    /// Writes of one user must be submitted in the order they happened.
    pub fn submit(&self, write: UserWrite, ack: Option<Ack>) {
        // Stamped now, in the actor's turn: a write made before its shard
        // was lost carries the old token (or 0) and is fenced at commit.
        let token = self.ownership.as_ref().map_or(0, |ownership| ownership.token(ownership.shard_of(write.user_id.0)));
        self.send(Message::Submit { write: Some(write), ack, token });
    }

    /// Completes `ack` once everything submitted before it is durable.
    pub fn barrier(&self, ack: Ack) {
        self.send(Message::Submit { write: None, ack: Some(ack), token: 0 });
    }

    /// Waits until everything submitted so far is durable.
    pub async fn flushed(&self) -> Result<(), FlushError> {
        let (ack, done) = oneshot::channel();
        self.barrier(ack);
        done.await.unwrap_or(Err(FlushError::Stopped))
    }

    /// Commits everything submitted so far and stops the task.
    pub async fn shutdown(&self) {
        let (done, stopped) = oneshot::channel();
        self.send(Message::Shutdown(done));
        let _ = stopped.await;
    }

    pub fn stats(&self) -> &FlushStats {
        &self.stats
    }

    /// The in-memory leaderboards this flusher feeds with every committed
    /// batch's score changes (empty until [`Leaderboards::load`]).
    pub fn leaderboards(&self) -> &Leaderboards {
        &self.boards
    }

    fn send(&self, message: Message) {
        // A send fails only once the task has stopped; the acks inside are
        // dropped, which their receivers see as `FlushError::Stopped`.
        let _ = self.sender.send(message);
    }
}

/// Writes coalesced per user, with the acknowledgements they owe.
#[derive(Default)]
struct Batch {
    writes: HashMap<UserId, UserWrite>,
    /// Users in first-submission order, so rows go out deterministically.
    order: Vec<UserId>,
    /// Each acknowledgement with the user whose write it waits for and
    /// that write's token (`None` for a barrier).
    acks: Vec<(Option<(UserId, i64)>, Ack)>,
    oldest: Option<Instant>,
    /// Clustering: each pending write's token (see [`Message::Submit`]);
    /// empty, and never looked up, when clustering is off (`fencing`).
    tokens: HashMap<UserId, i64>,
    fencing: bool,
}

impl Batch {
    fn add(&mut self, write: Option<UserWrite>, ack: Option<Ack>, token: i64) {
        self.oldest.get_or_insert_with(Instant::now);
        let user = write.as_ref().map(|write| (write.user_id, token));
        if let Some(write) = write {
            let previous = if self.fencing { self.tokens.insert(write.user_id, token) } else { None };
            match self.writes.get_mut(&write.user_id) {
                // Clustering: the pending write was made under an older
                // token (the shard was lost and taken again since); this
                // one was made from a state loaded afresh, so it replaces
                // it, and the older write's acknowledgements fail (fenced).
                Some(pending) if previous.is_some_and(|previous| previous != token) => *pending = write,
                Some(pending) => pending.merge(write),
                None => {
                    self.order.push(write.user_id);
                    self.writes.insert(write.user_id, write);
                }
            }
        }
        self.acks.extend(ack.map(|ack| (user, ack)));
    }

    fn is_empty(&self) -> bool {
        self.oldest.is_none()
    }

    fn take_writes(&mut self) -> Vec<UserWrite> {
        let mut writes = std::mem::take(&mut self.writes);
        self.order.drain(..).filter_map(|user| writes.remove(&user)).collect()
    }
}

/// What a commit did not store.
#[derive(Default)]
struct Stored {
    rejected: HashSet<UserId>,
    fenced: HashSet<UserId>,
}

impl Stored {
    fn fence(&mut self, stats: &FlushStats, users: impl Iterator<Item = UserId>) {
        for user in users {
            stats.fenced_writes.fetch_add(1, Ordering::Relaxed);
            self.fenced.insert(user);
        }
    }
}

struct FlushTask {
    store: Store,
    config: FlushConfig,
    receiver: mpsc::UnboundedReceiver<Message>,
    stats: Arc<FlushStats>,
    batch: Batch,
    boards: Leaderboards,
}

impl FlushTask {
    async fn run(mut self) {
        let mut shutdown = None;
        while shutdown.is_none() {
            // Wait for the first write of a batch, then linger for company.
            match self.receiver.recv().await {
                Some(message) => shutdown = self.absorb(message),
                None => break,
            }
            let deadline = tokio::time::Instant::now() + self.config.linger;
            while shutdown.is_none() && self.batch.writes.len() < self.config.max_batch_users {
                match tokio::time::timeout_at(deadline, self.receiver.recv()).await {
                    Ok(Some(message)) => shutdown = self.absorb(message),
                    Ok(None) | Err(_) => break,
                }
            }
            self.commit().await;
        }
        // Everything sent before the shutdown request is in the batch; commit it.
        self.commit().await;
        if let Some(done) = shutdown {
            let _ = done.send(());
        }
    }

    fn absorb(&mut self, message: Message) -> Option<oneshot::Sender<()>> {
        match message {
            Message::Submit { write, ack, token } => {
                self.batch.add(write, ack, token);
                self.stats.dirty_users.store(self.batch.writes.len() as u64, Ordering::Relaxed);
                None
            }
            Message::Shutdown(done) => Some(done),
        }
    }

    /// Commits the batch: retried until the store takes it, except the
    /// writes it rejects for good, which are dead-lettered.
    async fn commit(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let oldest = self.batch.oldest.take().unwrap_or_else(Instant::now);
        let writes = self.batch.take_writes();
        let acks = std::mem::take(&mut self.batch.acks);
        let tokens = std::mem::take(&mut self.batch.tokens);
        self.stats.commit_pending_since_ms.store(unix_now_millis(), Ordering::Relaxed);
        let Stored { rejected, fenced } = self.store_isolating(writes, &tokens, oldest).await;
        self.stats.commit_pending_since_ms.store(0, Ordering::Relaxed);
        self.stats.acks_completed.fetch_add(acks.len() as u64, Ordering::Relaxed);
        for (user, ack) in acks {
            let result = match user {
                Some((user, _)) if rejected.contains(&user) => Err(FlushError::Rejected),
                // Fenced, or made under a token a later write replaced.
                Some((user, token)) if fenced.contains(&user) || tokens.get(&user).copied().unwrap_or(0) != token => {
                    Err(FlushError::Fenced)
                }
                _ => Ok(()),
            };
            let _ = ack.send(result);
        }
    }

    /// Stores `writes`, bisecting a part the store rejects for good until
    /// the rejected write stands alone, and (clustering) dropping the
    /// writes of shards the store fenced. Returns the users whose write was
    /// rejected or fenced (and not stored).
    async fn store_isolating(&self, writes: Vec<UserWrite>, tokens: &HashMap<UserId, i64>, oldest: Instant) -> Stored {
        let mut stored = Stored::default();
        let ownership = self.config.ownership.as_deref();
        // Parts still to store; the whole to begin with.
        let mut parts: Vec<Vec<UserWrite>> = vec![writes];
        while let Some(mut part) = parts.pop() {
            // Clustering: the shards the part touches, with its tokens.
            let fence = match ownership {
                Some(ownership) => {
                    let token = |write: &UserWrite| tokens.get(&write.user_id).copied().unwrap_or(0);
                    // Made while this node did not serve the shard: never stored.
                    let (unowned, owned): (Vec<_>, Vec<_>) = part.into_iter().partition(|write| token(write) == 0);
                    stored.fence(&self.stats, unowned.iter().map(|write| write.user_id));
                    part = owned;
                    let mut fence: Vec<(u32, i64)> =
                        part.iter().map(|write| (ownership.shard_of(write.user_id.0), token(write))).collect();
                    fence.sort_unstable();
                    fence.dedup();
                    fence
                }
                None => Vec::new(),
            };
            if part.is_empty() {
                continue;
            }
            match self.store_retrying(&part, &fence, oldest).await {
                Ok(fenced) if fenced.is_empty() => {}
                Ok(fenced) => {
                    // Nothing of the part was written: drop the fenced
                    // shards' writes, stop serving them, store the rest.
                    let ownership = ownership.expect("only a fenced batch is refused");
                    for (shard, token) in &fenced {
                        tracing::warn!(shard, token, "writes fenced: another node owns the shard now");
                        ownership.fenced(*shard, *token);
                    }
                    let is_fenced = |write: &UserWrite| {
                        let token = tokens.get(&write.user_id).copied().unwrap_or(0);
                        fenced.contains(&(ownership.shard_of(write.user_id.0), token))
                    };
                    let (dropped, rest): (Vec<_>, Vec<_>) = part.into_iter().partition(is_fenced);
                    stored.fence(&self.stats, dropped.iter().map(|write| write.user_id));
                    parts.push(rest);
                }
                Err(err) if part.len() == 1 => {
                    let user_id = part[0].user_id;
                    self.stats.rejected_writes.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(%user_id, error = %err, "the store rejected a user's write; dead-lettered");
                    stored.rejected.insert(user_id);
                }
                Err(_) => {
                    let second = part.split_off(part.len() / 2);
                    parts.push(second);
                    parts.push(part);
                }
            }
        }
        stored
    }

    /// Commits `writes` in one transaction, retrying while the failure may
    /// pass; returns a failure that will not, or (with a `fence`) the
    /// claims the store fenced, in which case nothing was written.
    async fn store_retrying(
        &self,
        writes: &[UserWrite],
        fence: &[(u32, i64)],
        oldest: Instant,
    ) -> Result<Vec<(u32, i64)>, StoreError> {
        let (store, stats, users) = (&self.store, &self.stats, writes.len());
        let stored = retry_forever(
            Backoff::STORE.capped(self.config.max_backoff),
            || async {
                let started = Instant::now();
                match store.write_batch_fenced(writes, fence).await {
                    Ok(Written::Fenced(fenced)) => Ok(Ok(Err(fenced))),
                    Ok(Written::Committed(scores)) => Ok(Ok(Ok((started, scores)))),
                    // Not worth a retry: the caller isolates the bad write.
                    Err(err) if err.is_permanent() => Ok(Err(err)),
                    Err(err) => Err(err),
                }
            },
            |err, retry_in| {
                stats.failed_commits.fetch_add(1, Ordering::Relaxed);
                tracing::error!(error = %err, users, retry_in = ?retry_in, "batch commit failed");
            },
        )
        .await;
        match stored {
            Ok(Err(fenced)) => Ok(fenced),
            Ok(Ok((started, scores))) => {
                self.record(writes, &scores, started, oldest);
                Ok(Vec::new())
            }
            Err(err) => {
                tracing::warn!(error = %err, users, "batch rejected; isolating the bad write");
                Err(err)
            }
        }
    }

    /// Counts a committed batch; `scores` are the score changes its
    /// transaction stored, summed there once.
    fn record(&self, writes: &[UserWrite], scores: &[ScoreDelta], started: Instant, oldest: Instant) {
        let stats = &self.stats;
        let ledger_rows: usize = writes.iter().map(|w| w.ledger.len()).sum();
        for entry in writes.iter().flat_map(|w| &w.ledger) {
            let key = (entry.reason.as_str(), entry.amount > 0);
            stats.ledger_totals.entry(key).or_default().fetch_add(entry.amount.abs(), Ordering::Relaxed);
        }
        // Durable now: the boards may show it.
        self.boards.apply(scores);
        stats.batches.fetch_add(1, Ordering::Relaxed);
        stats.users_written.fetch_add(writes.len() as u64, Ordering::Relaxed);
        stats.ledger_rows_written.fetch_add(ledger_rows as u64, Ordering::Relaxed);
        stats.last_batch_users.store(writes.len() as u64, Ordering::Relaxed);
        stats.last_commit_micros.store(started.elapsed().as_micros() as u64, Ordering::Relaxed);
        stats.last_lag_micros.store(oldest.elapsed().as_micros() as u64, Ordering::Relaxed);
        stats.dirty_users.store(self.batch.writes.len() as u64, Ordering::Relaxed);
        tracing::debug!(users = writes.len(), ledger_rows, "batch committed");
    }
}
