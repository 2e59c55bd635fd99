//! The broadcaster: one background task that sends operators' broadcasts
//! (`/difundir`) to every registered player who has not opted out, through
//! the outbound scheduler at [`Priority::Bulk`] — after every player's own
//! replies, inside Telegram's global rate.
//!
//! **At most once.** Telegram's sendMessage has no idempotency key: a send
//! whose answer was lost cannot be told from one never made, so a job that
//! resumed from its last *confirmed* recipient would send some players the
//! message twice. Instead the job's durable cursor is moved past a small
//! batch ([`BATCH`]) *before* the batch is sent (`Store::advance_broadcast`,
//! with the batch's size as `in_flight`); a restart resumes after the
//! cursor, and the sends a crash cut short count as `unknown`
//! (`Store::settle_broadcast_in_flight`). A crash loses at most one batch's
//! messages and never duplicates one. A 403 (the player blocked the bot)
//! counts as `failed` and is not retried; nor is a network error (`unknown`).
//!
//! One job runs at a time, oldest first; every unfinished job is resumed
//! when the server starts. The operator who started a job is told its
//! counts when it is done.

use std::sync::Arc;
use std::time::Duration;

use dianabot_persistence::{Broadcast, Store, StoreError};
use dianabot_plumbing::shards::{Ownership, SINGLETON_SHARD};
use dianabot_plumbing::{Backoff, retry_forever};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::telegram::outbound::{Delivery, Outbound, OutboundRequest, Priority};
use crate::telegram::screens;

/// Players moved past at once: what a crash may leave without a known
/// outcome, and how many sends wait in the scheduler at most.
pub const BATCH: i64 = 50;

/// How long a job left unfinished by the previous process waits before it
/// resumes: the scheduler's global-rate window. A new process does not know
/// what its predecessor sent in its last second, and a broadcast resumed at
/// once after a fast restart would add its sends to those.
const RESUME_AFTER: Duration = Duration::from_secs(1);

/// The handle the intake wakes the task with after creating a job.
#[derive(Clone)]
pub struct Broadcaster {
    wake: Arc<Notify>,
}

/// The running task, for shutdown.
pub struct BroadcasterTask {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Broadcaster {
    /// Starts the task; it resumes every unfinished job at once.
    /// With clustering (`ownership`), jobs are walked only by the node
    /// serving [`SINGLETON_SHARD`]; another node waits until it does.
    pub fn start(
        store: Store,
        outbound: Outbound,
        ownership: Option<Arc<Ownership>>,
    ) -> (Broadcaster, BroadcasterTask) {
        let wake = Arc::new(Notify::new());
        let (stop, stopped) = watch::channel(false);
        let worker = Worker { store, outbound, wake: wake.clone(), stopped, ownership };
        let task = tokio::spawn(worker.run().instrument(tracing::info_span!("broadcaster")));
        (Broadcaster { wake }, BroadcasterTask { stop, task })
    }

    /// A job was created: look for it.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

impl BroadcasterTask {
    /// Stops after the batch in flight is counted. Call before draining the
    /// outbound scheduler, which the batch's sends need.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

struct Worker {
    store: Store,
    outbound: Outbound,
    wake: Arc<Notify>,
    stopped: watch::Receiver<bool>,
    // cluster
    ownership: Option<Arc<Ownership>>,
}

/// What a batch came to.
#[derive(Debug, Default)]
struct Tally {
    sent: i64,
    failed: i64,
    unknown: i64,
}

impl Worker {
    async fn run(mut self) {
        let mut resuming = true;
        loop {
            // cluster: broadcasts are server-wide work, done by the node
            // serving the singleton shard. (On a hand-over both may walk one
            // batch: a player may get a message twice or miss one.)
            if !self.singleton() {
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    _ = self.stopped.changed() => return,
                }
            }
            let jobs = self
                .retried("reading unfinished broadcasts", |store| async move { store.unfinished_broadcasts().await });
            let Some(jobs) = jobs.await else { return };
            if std::mem::take(&mut resuming) && !jobs.is_empty() {
                tracing::info!(jobs = jobs.len(), "resuming unfinished broadcasts");
                tokio::select! {
                    () = tokio::time::sleep(RESUME_AFTER) => {}
                    _ = self.stopped.changed() => return,
                }
            }
            for job in jobs {
                if !self.walk(job).await {
                    return;
                }
            }
            tokio::select! {
                () = self.wake.notified() => {}
                _ = self.stopped.changed() => return,
            }
        }
    }

    fn singleton(&self) -> bool {
        self.ownership.as_ref().is_none_or(|ownership| ownership.owns(SINGLETON_SHARD))
    }

    /// The claim a cursor's move carries: this node's token for the
    /// server-wide shard (none without clustering).
    fn fence(&self) -> Option<(u32, i64)> {
        self.ownership.as_ref().map(|ownership| (SINGLETON_SHARD, ownership.token(SINGLETON_SHARD)))
    }

    /// Sends job `job` to the players after its cursor; `false` if stopped first.
    async fn walk(&mut self, job: Broadcast) -> bool {
        let id = job.id;
        let span = tracing::info_span!("broadcast", broadcast_id = id);
        async move {
            if job.in_flight > 0 {
                tracing::warn!(in_flight = job.in_flight, "a crash cut a batch short: counted as unknown, not resent");
                if self
                    .retried("settling a cut batch", |store| async move { store.settle_broadcast_in_flight(id).await })
                    .await
                    .is_none()
                {
                    return false;
                }
            }
            let text = job.text.clone();
            let mut cursor = job.cursor;
            loop {
                if *self.stopped.borrow() {
                    return false;
                }
                if !self.singleton() {
                    // Another node resumes the job from its cursor.
                    return true;
                }
                let after = cursor;
                let Some(batch) =
                    self.retried("reading recipients", |store| async move {
                        store.broadcast_recipients(after, BATCH).await
                    })
                    .await
                else {
                    return false;
                };
                let Some(last) = batch.last().map(|recipient| recipient.user.0) else { break };
                let (skipped, recipients): (Vec<_>, Vec<_>) = batch.into_iter().partition(|r| r.opted_out);
                let (skipped, in_flight) = (skipped.len() as i64, recipients.len() as i64);
                // Durable before anything is sent: see the module docs.
                let fence = self.fence();
                let advanced = self
                    .retried("advancing the cursor", |store| async move {
                        match store.advance_broadcast(id, last, skipped, in_flight, fence).await {
                            Err(StoreError::Fenced { .. }) => Ok(false),
                            advanced => advanced.map(|()| true),
                        }
                    })
                    .await;
                match advanced {
                    None => return false,
                    Some(true) => {}
                    // A newer owner of the server-wide shard walks the job.
                    Some(false) => {
                        if let (Some(ownership), Some((shard, token))) = (&self.ownership, fence) {
                            ownership.fenced(shard, token);
                        }
                        return true;
                    }
                }
                cursor = last;
                let receipts: Vec<_> = recipients
                    .iter()
                    .map(|recipient| {
                        self.outbound.submit_with_receipt(OutboundRequest::Send {
                            chat_id: recipient.user.0,
                            text: screens::broadcast_message(recipient.language, &text),
                            keyboard: None,
                            priority: Priority::Bulk,
                        })
                    })
                    .collect();
                let mut tally = Tally::default();
                for receipt in receipts {
                    match receipt.await {
                        Ok(Delivery::Sent(_)) => tally.sent += 1,
                        Ok(Delivery::Refused) => tally.failed += 1,
                        // Dropped unsent at shutdown, or an answer lost.
                        Ok(Delivery::Unknown) | Err(_) => tally.unknown += 1,
                    }
                }
                let Tally { sent, failed, unknown } = tally;
                // Counted even when stopping: the sends are over.
                let counted = retry_forever(
                    Backoff::STORE,
                    || self.store.count_broadcast_batch(id, sent, failed, unknown),
                    |err: StoreError, delay: Duration| {
                        tracing::error!(error = %err, ?delay, "counting a broadcast batch failed; retrying");
                    },
                );
                counted.await;
            }
            if self.retried("finishing", |store| async move { store.finish_broadcast(id).await }).await.is_none() {
                return false;
            }
            self.report(id).await;
            true
        }
        .instrument(span)
        .await
    }

    /// Tells the operator who started job `id` what it came to.
    async fn report(&self, id: i64) {
        let Ok(Some(job)) = self.store.broadcast(id).await else { return };
        let language = self.store.user_language(job.created_by).await.ok().flatten().unwrap_or_default();
        tracing::info!(
            sent = job.sent,
            skipped = job.skipped,
            failed = job.failed,
            unknown = job.unknown,
            "broadcast done"
        );
        self.outbound.submit(OutboundRequest::Send {
            chat_id: job.created_by.0,
            text: screens::broadcast_done(language, &job),
            keyboard: None,
            priority: Priority::Receipt,
        });
    }

    /// `op` on the store, retried with backoff until it succeeds; `None` if
    /// the task is stopped meanwhile.
    async fn retried<T, F, Fut>(&self, what: &str, op: F) -> Option<T>
    where
        F: Fn(Store) -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        let mut backoff = Backoff::STORE;
        let mut stopped = self.stopped.clone();
        loop {
            match op(self.store.clone()).await {
                Ok(value) => return Some(value),
                Err(err) => tracing::error!(error = %err, what, "broadcaster: store failed; retrying"),
            }
            if *stopped.borrow() {
                return None;
            }
            tokio::select! {
                () = backoff.wait() => {}
                _ = stopped.changed() => return None,
            }
        }
    }
}
