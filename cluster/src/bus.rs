//! The bus: calls to whichever node owns a virtual shard, through one
//! Redis Stream per shard (issue 20, phase 2).
//!
//! Keys, under the cluster's prefix:
//! - `{p}:bus:{shard}`: the shard's calls, one consumer group ([`GROUP`]),
//!   each consumer a node. An entry: `kind` (which handler), `payload`
//!   (bytes the handler decodes), `origin` (the calling node), `id` (the
//!   request id its answer is matched by).
//! - `{p}:replies:{node}`: the answers to a node's calls (`id`, `ok`,
//!   `body`), read by one task of that node; it expires when the node is
//!   gone.
//!
//! A call: the origin adds an entry to the shard's stream and waits for
//! the answer with a deadline. The owner's serving loop reads the streams
//! of the shards it owns (`XREADGROUP`), runs the kind's handler, and only
//! once the handler returned — its work durable, or its failure known —
//! answers, acknowledges and deletes the entry in one transaction. An
//! entry its consumer never finished (the node died) stays pending; the
//! next owner of the shard claims it when it acquires the shard
//! (`XAUTOCLAIM`) and handles it. Handlers must therefore be idempotent:
//! an entry may run twice (claimed while a slow old owner still runs it),
//! and the origin may give up before the answer (it then treats the call
//! as failed; the caller's own retry meets the first run's effect).
//!
//! Blocking reads (`XREADGROUP BLOCK`, `XREAD BLOCK`) stall every command
//! behind them on a multiplexed connection, so each of the two reading
//! tasks has a connection of its own; calls, answers and acknowledgements
//! share a third.
//!
//! **API Boundary:** bytes and kind strings only; what a payload means is
//! the handlers' business (the binary's `cluster.rs`).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use dianabot_plumbing::Backoff;
use dianabot_plumbing::shards::Ownership;
use redis::aio::MultiplexedConnection;
use redis::streams::{StreamAutoClaimReply, StreamId, StreamReadReply};
use redis::{FromRedisValue, Value};
use tokio::sync::{Semaphore, oneshot, watch};
use tokio::task::JoinHandle;

use crate::leases::RedisError;
use crate::manager::{ClusterConfig, ClusterStats};

/// The consumer group every node reads the shard streams in.
const GROUP: &str = "serve";

/// Entries claimed per `XAUTOCLAIM` round trip.
const CLAIM_BATCH: usize = 100;

/// A shard stream is capped near this many entries (`MAXLEN ~`): a
/// backstop only, since every handled entry is deleted; entries beyond it
/// belong to calls whose origins gave up long ago.
const STREAM_CAP: usize = 100_000;

/// A node's reply stream is capped near this many answers; its reader
/// consumes them within a round trip.
const REPLIES_CAP: usize = 10_000;

/// A reply stream outlives its last answer by this much, so the streams
/// of nodes that are gone disappear.
const REPLIES_TTL: Duration = Duration::from_secs(300);

/// How often the serving loop measures the lag of its shards' streams.
const LAG_EVERY: Duration = Duration::from_secs(2);

/// The shard stream's key.
pub(crate) fn stream_key(prefix: &str, shard: u32) -> String {
    format!("{prefix}:bus:{shard}")
}

fn replies_key(prefix: &str, node: &str) -> String {
    format!("{prefix}:replies:{node}")
}

/// One call, as its handler receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub shard: u32,
    pub kind: String,
    pub payload: Vec<u8>,
    /// The calling node.
    pub origin: String,
    /// Unique among every call ever made (the origin's incarnation and a counter).
    pub id: String,
}

/// What a handler returns: the answer's bytes once its work is durable,
/// or why it could not do it (the origin gets [`BusError::Failed`]).
pub type HandlerResult = Result<Vec<u8>, String>;

type Handler = Arc<dyn Fn(Call) -> Pin<Box<dyn Future<Output = HandlerResult> + Send>> + Send + Sync>;

/// Why a call has no answer.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// Nobody answered in time: the shard's owner is dead, slow, or none
    /// serves it. The call may still run later (its entry waits for the
    /// next owner), so the caller must treat it as not done, not as undone.
    #[error("no answer from the owner of shard {shard} to a {kind:?} call within {after:?}")]
    Timeout { shard: u32, kind: String, after: Duration },
    /// The owner ran the call and its handler failed.
    #[error("the owner of shard {shard} could not handle a {kind:?} call: {reason}")]
    Failed { shard: u32, kind: String, reason: String },
    /// The call could not be sent.
    #[error("cannot reach Redis to call the owner of shard {shard}: {source}")]
    Redis { shard: u32, source: RedisError },
    /// This node's bus is stopped.
    #[error("the bus is stopped")]
    Stopped,
}

/// Settings; [`BusConfig::new`] has the defaults.
#[derive(Debug, Clone)]
pub struct BusConfig {
    pub redis_url: String,
    pub prefix: String,
    pub node: String,
    /// How long a blocking read waits before it looks again at what this
    /// node owns (so also how soon a shard it acquired is read).
    pub block: Duration,
    /// Entries pending this long are claimed when a shard is acquired.
    /// Zero by default: whoever they were delivered to no longer serves
    /// the shard, so its run of them cannot commit (fencing), and a run
    /// still going there only meets this one's effect (idempotent handlers).
    pub claim_idle: Duration,
    /// Entries pending this long in a stream served here are claimed again:
    /// no live handler takes that long, so whoever had them is gone.
    pub stale_after: Duration,
    /// Calls handled at once by this node.
    pub max_in_flight: usize,
}

impl BusConfig {
    pub fn new(cluster: &ClusterConfig) -> BusConfig {
        BusConfig {
            redis_url: cluster.redis_url.clone(),
            prefix: cluster.prefix.clone(),
            node: cluster.node.clone(),
            block: Duration::from_millis(500),
            claim_idle: Duration::ZERO,
            stale_after: Duration::from_secs(30),
            max_in_flight: 256,
        }
    }
}

/// One connection and how to make it again: a multiplexed connection
/// does not come back by itself once Redis restarted.
pub(crate) struct Link {
    client: redis::Client,
    config: redis::AsyncConnectionConfig,
    conn: Mutex<MultiplexedConnection>,
}

impl Link {
    pub(crate) async fn open(client: &redis::Client, response: Duration) -> Result<Link, RedisError> {
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Duration::from_secs(2))
            .set_response_timeout(response);
        let conn = client.get_multiplexed_async_connection_with_config(&config).await?;
        Ok(Link { client: client.clone(), config, conn: Mutex::new(conn) })
    }

    pub(crate) fn get(&self) -> MultiplexedConnection {
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    pub(crate) async fn reconnect(&self) {
        match self.client.get_multiplexed_async_connection_with_config(&self.config).await {
            Ok(conn) => *self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = conn,
            Err(err) => tracing::warn!(error = %err, "the bus cannot reconnect to Redis"),
        }
    }
}

/// A node's bus. Cheap to clone. Calls work from [`Bus::connect`] on;
/// entries are served once [`Bus::serve`] started the serving loop.
#[derive(Clone)]
pub struct Bus {
    inner: Arc<Inner>,
}

struct Inner {
    config: BusConfig,
    commands: Link,
    /// This process among every run of this node id: request ids stay
    /// unique across restarts, so a late answer to an earlier run is ignored.
    incarnation: String,
    next: AtomicU64,
    waiting: Mutex<HashMap<String, oneshot::Sender<HandlerResult>>>,
    handlers: RwLock<HashMap<String, Handler>>,
    stats: Arc<ClusterStats>,
    stop: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

/// Forgets a waiting call however it ends (answered, timed out, dropped).
struct Waiting<'a> {
    inner: &'a Inner,
    id: String,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.inner.waiting.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(&self.id);
    }
}

impl Bus {
    /// Connects and starts reading this node's answers. Counts into `stats`
    /// (the lease manager's table, so one `/metrics` block tells of both).
    pub async fn connect(config: BusConfig, stats: Arc<ClusterStats>) -> Result<Bus, RedisError> {
        let client = redis::Client::open(config.redis_url.as_str())?;
        let commands = Link::open(&client, Duration::from_secs(2)).await?;
        let replies = Link::open(&client, config.block + Duration::from_secs(2)).await?;
        // Read from the stream's current end: answers to this run come after it.
        let last: Vec<(String, Value)> = redis::cmd("XREVRANGE")
            .arg(replies_key(&config.prefix, &config.node))
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(1)
            .query_async(&mut commands.get())
            .await?;
        let last = last.into_iter().next().map_or_else(|| "0-0".to_owned(), |(id, _)| id);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        let (stop, _) = watch::channel(false);
        let inner = Arc::new(Inner {
            incarnation: format!("{}:{}:{nanos}", config.node, std::process::id()),
            config,
            commands,
            next: AtomicU64::new(0),
            waiting: Mutex::default(),
            handlers: RwLock::default(),
            stats,
            stop,
            tasks: Mutex::default(),
        });
        let reader = tokio::spawn(read_replies(inner.clone(), replies, last));
        inner.tasks.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(reader);
        Ok(Bus { inner })
    }

    /// Runs `handler` for every call of `kind` to a shard this node owns.
    /// Register every kind before [`Bus::serve`]: a call of a kind with no
    /// handler is answered with a failure.
    pub fn handle<F, Fut>(&self, kind: &str, handler: F)
    where
        F: Fn(Call) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |call| Box::pin(handler(call)));
        self.inner.handlers.write().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(kind.to_owned(), handler);
    }

    /// Starts serving the streams of the shards `ownership` says this node
    /// owns, following it as shards come and go.
    pub async fn serve(&self, ownership: Arc<Ownership>) -> Result<(), RedisError> {
        let client = redis::Client::open(self.inner.config.redis_url.as_str())?;
        let reads = Link::open(&client, self.inner.config.block + Duration::from_secs(2)).await?;
        let server = Server {
            inner: self.inner.clone(),
            ownership,
            reads,
            known: HashMap::new(),
            slots: Arc::new(Semaphore::new(self.inner.config.max_in_flight.max(1))),
        };
        let task = tokio::spawn(server.run());
        self.inner.tasks.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(task);
        Ok(())
    }

    /// Calls `kind` on the owner of `shard` with `payload`; its answer, or
    /// an error once `timeout` passed without one.
    pub async fn call(&self, shard: u32, kind: &str, payload: &[u8], timeout: Duration) -> Result<Vec<u8>, BusError> {
        let inner = &self.inner;
        let id = format!("{}:{}", inner.incarnation, inner.next.fetch_add(1, Ordering::Relaxed));
        let (answer, answered) = oneshot::channel();
        inner.waiting.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(id.clone(), answer);
        let _waiting = Waiting { inner, id: id.clone() };
        let sent: Result<(), RedisError> = redis::cmd("XADD")
            .arg(stream_key(&inner.config.prefix, shard))
            .arg("MAXLEN")
            .arg("~")
            .arg(STREAM_CAP)
            .arg("*")
            .arg("kind")
            .arg(kind)
            .arg("payload")
            .arg(payload)
            .arg("origin")
            .arg(&inner.config.node)
            .arg("id")
            .arg(&id)
            .query_async::<String>(&mut inner.commands.get())
            .await
            .map(drop);
        if let Err(source) = sent {
            inner.stats.bus_calls_failed.fetch_add(1, Ordering::Relaxed);
            inner.commands.reconnect().await;
            return Err(BusError::Redis { shard, source });
        }
        let outcome = match tokio::time::timeout(timeout, answered).await {
            Ok(Ok(Ok(body))) => Ok(body),
            Ok(Ok(Err(reason))) => Err(BusError::Failed { shard, kind: kind.to_owned(), reason }),
            Ok(Err(_)) => Err(BusError::Stopped),
            Err(_) => Err(BusError::Timeout { shard, kind: kind.to_owned(), after: timeout }),
        };
        let counter = match &outcome {
            Ok(_) => &inner.stats.bus_calls_answered,
            Err(BusError::Timeout { .. }) => &inner.stats.bus_calls_timed_out,
            Err(_) => &inner.stats.bus_calls_failed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        outcome
    }

    /// Stops reading answers and serving; returns once every call being
    /// handled here is answered (or abandoned to the next owner).
    pub async fn stop(&self) {
        let _ = self.inner.stop.send(true);
        let tasks = std::mem::take(&mut *self.inner.tasks.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
        for task in tasks {
            let _ = task.await;
        }
    }

    /// Stops as if the process died (tests): nothing is answered or
    /// acknowledged, what was being handled stays pending.
    pub fn abandon(&self) {
        for task in self.inner.tasks.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).drain(..) {
            task.abort();
        }
    }
}

/// The single reader of this node's answers: completes the waiting calls.
async fn read_replies(inner: Arc<Inner>, link: Link, mut last: String) {
    let key = replies_key(&inner.config.prefix, &inner.config.node);
    let mut stop = inner.stop.subscribe();
    let mut backoff = Backoff::new(Duration::from_millis(50), Duration::from_secs(2));
    while !*stop.borrow() {
        let mut command = redis::cmd("XREAD");
        command.arg("COUNT").arg(256).arg("BLOCK").arg(inner.config.block.as_millis() as u64);
        command.arg("STREAMS").arg(&key).arg(&last);
        let mut conn = link.get();
        let read = command.query_async::<Option<StreamReadReply>>(&mut conn);
        let read = tokio::select! {
            read = read => read,
            _ = stop.changed() => break,
        };
        let entries = match read {
            Ok(reply) => reply.map(|reply| reply.keys.into_iter().flat_map(|key| key.ids)).into_iter().flatten(),
            Err(err) => {
                tracing::warn!(error = %err, "the bus cannot read its answers; retrying");
                backoff.wait().await;
                link.reconnect().await;
                continue;
            }
        };
        backoff.reset();
        for entry in entries {
            last.clone_from(&entry.id);
            let (Some(id), Some(ok), Some(body)) = (text(&entry, "id"), text(&entry, "ok"), bytes(&entry, "body"))
            else {
                tracing::warn!(entry = entry.id, "a malformed answer on the bus; ignored");
                continue;
            };
            let answer = if ok == "1" { Ok(body) } else { Err(String::from_utf8_lossy(&body).into_owned()) };
            // None waiting: the call gave up already, or it was another run's.
            let waiter = inner.waiting.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(&id);
            if let Some(waiter) = waiter {
                let _ = waiter.send(answer);
            }
        }
    }
}

/// The serving loop of one node.
struct Server {
    inner: Arc<Inner>,
    ownership: Arc<Ownership>,
    reads: Link,
    /// Shards whose group exists and whose pending entries were claimed,
    /// with the token they were acquired under.
    known: HashMap<u32, i64>,
    /// One per call being handled.
    slots: Arc<Semaphore>,
}

impl Server {
    async fn run(mut self) {
        let mut stop = self.inner.stop.subscribe();
        let mut backoff = Backoff::new(Duration::from_millis(50), Duration::from_secs(2));
        let mut lag_at = tokio::time::Instant::now();
        while !*stop.borrow() {
            let step = tokio::select! {
                step = self.step(&mut lag_at) => step,
                _ = stop.changed() => break,
            };
            match step {
                Ok(()) => backoff.reset(),
                Err(err) => {
                    tracing::warn!(error = %err, "the bus cannot read its shards' streams; retrying");
                    // The groups may be gone with Redis's data: make them again.
                    self.known.clear();
                    backoff.wait().await;
                    self.reads.reconnect().await;
                }
            }
        }
        // Every call being handled answers before the bus stops.
        let all = u32::try_from(self.inner.config.max_in_flight.max(1)).unwrap_or(u32::MAX);
        let _ = self.slots.acquire_many(all).await;
    }

    /// Follows ownership (claiming what a newly acquired shard left
    /// pending), then reads and dispatches one batch of new entries.
    async fn step(&mut self, lag_at: &mut tokio::time::Instant) -> Result<(), RedisError> {
        let owned: HashMap<u32, i64> = (0..self.ownership.shards())
            .filter_map(|shard| Some((shard, self.ownership.accepting_token(shard))).filter(|(_, token)| *token != 0))
            .collect();
        self.known.retain(|shard, token| owned.get(shard) == Some(token));
        for (&shard, &token) in &owned {
            if !self.known.contains_key(&shard) {
                self.acquired(shard).await?;
                self.known.insert(shard, token);
            }
        }
        if lag_at.elapsed() >= LAG_EVERY {
            self.measure_lag().await?;
            *lag_at = tokio::time::Instant::now();
        }
        if self.known.is_empty() {
            self.inner.stats.bus_lag.store(0, Ordering::Relaxed);
            tokio::time::sleep(self.inner.config.block).await;
            return Ok(());
        }
        // Backpressure: read no more than can be handled now.
        let free = self.slots.clone().acquire_owned().await.map_err(|_| closed())?;
        let count = self.slots.available_permits() + 1;
        drop(free);
        let shards: Vec<u32> = self.known.keys().copied().collect();
        let mut read = redis::cmd("XREADGROUP");
        read.arg("GROUP")
            .arg(GROUP)
            .arg(&self.inner.config.node)
            .arg("COUNT")
            .arg(count.min(CLAIM_BATCH))
            .arg("BLOCK")
            .arg(self.inner.config.block.as_millis() as u64)
            .arg("STREAMS");
        for shard in &shards {
            read.arg(stream_key(&self.inner.config.prefix, *shard));
        }
        for _ in &shards {
            read.arg(">");
        }
        let reply: Option<StreamReadReply> = read.query_async(&mut self.reads.get()).await?;
        for stream in reply.map(|reply| reply.keys).unwrap_or_default() {
            let Some(shard) = shard_of_key(&self.inner.config.prefix, &stream.key) else { continue };
            for entry in stream.ids {
                self.dispatch(shard, entry).await?;
            }
        }
        Ok(())
    }

    /// A shard newly served here: its group exists, and what its former
    /// owner (dead, or this node in an earlier run) left pending is claimed
    /// and handled.
    async fn acquired(&self, shard: u32) -> Result<(), RedisError> {
        let key = stream_key(&self.inner.config.prefix, shard);
        let created: Result<(), RedisError> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(&key)
            .arg(GROUP)
            .arg("0")
            .arg("MKSTREAM")
            .query_async(&mut self.inner.commands.get())
            .await;
        match created {
            Err(err) if err.code() != Some("BUSYGROUP") => return Err(err),
            _ => {}
        }
        self.claim(shard, self.inner.config.claim_idle).await
    }

    /// Claims and handles the entries of `shard`'s stream pending longer
    /// than `idle` with whichever consumer.
    async fn claim(&self, shard: u32, idle: Duration) -> Result<(), RedisError> {
        let key = stream_key(&self.inner.config.prefix, shard);
        let mut cursor = "0-0".to_owned();
        loop {
            let claimed: StreamAutoClaimReply = redis::cmd("XAUTOCLAIM")
                .arg(&key)
                .arg(GROUP)
                .arg(&self.inner.config.node)
                .arg(idle.as_millis() as u64)
                .arg(&cursor)
                .arg("COUNT")
                .arg(CLAIM_BATCH)
                .query_async(&mut self.inner.commands.get())
                .await?;
            if !claimed.claimed.is_empty() {
                tracing::info!(shard, entries = claimed.claimed.len(), "claimed calls left pending");
            }
            self.inner.stats.bus_claimed.fetch_add(claimed.claimed.len() as u64, Ordering::Relaxed);
            for entry in claimed.claimed {
                self.dispatch(shard, entry).await?;
            }
            if claimed.next_stream_id == "0-0" {
                return Ok(());
            }
            cursor = claimed.next_stream_id;
        }
    }

    /// Hands one entry to its handler in a task of its own (a handler
    /// waits for durability; others run meanwhile).
    async fn dispatch(&self, shard: u32, entry: StreamId) -> Result<(), RedisError> {
        let slot = self.slots.clone().acquire_owned().await.map_err(|_| closed())?;
        let inner = self.inner.clone();
        tokio::spawn(async move {
            serve_one(&inner, shard, entry).await;
            drop(slot);
        });
        Ok(())
    }

    /// Measures the lag (handled entries are deleted, so a stream's
    /// length is what waits in it), and claims what waits longer than
    /// `stale_after` in a stream served here: a handler that crashed, or
    /// an owner that held the shard only briefly, left it pending.
    async fn measure_lag(&self) -> Result<(), RedisError> {
        let shards: Vec<u32> = self.known.keys().copied().collect();
        let mut pipe = redis::pipe();
        for shard in &shards {
            pipe.cmd("XLEN").arg(stream_key(&self.inner.config.prefix, *shard));
        }
        let lengths: Vec<u64> = pipe.query_async(&mut self.inner.commands.get()).await?;
        self.inner.stats.bus_lag.store(lengths.iter().sum(), Ordering::Relaxed);
        for (shard, _) in shards.into_iter().zip(lengths).filter(|(_, length)| *length > 0) {
            self.claim(shard, self.inner.config.stale_after).await?;
        }
        Ok(())
    }
}

fn closed() -> RedisError {
    RedisError::from((redis::ErrorKind::ClientError, "the bus's handler slots are closed"))
}

fn shard_of_key(prefix: &str, key: &str) -> Option<u32> {
    key.strip_prefix(prefix)?.strip_prefix(":bus:")?.parse().ok()
}

/// Runs one entry's handler, then answers its origin, acknowledges and
/// deletes it in one transaction. An entry that cannot be answered stays
/// pending for the shard's next owner.
async fn serve_one(inner: &Inner, shard: u32, entry: StreamId) {
    let call = match (text(&entry, "kind"), bytes(&entry, "payload"), text(&entry, "origin"), text(&entry, "id")) {
        (Some(kind), Some(payload), Some(origin), Some(id)) => Call { shard, kind, payload, origin, id },
        // Not one of ours: nobody waits for it.
        _ => {
            tracing::warn!(shard, entry = entry.id, "a malformed call on the bus; dropped");
            return finish(inner, shard, &entry.id, None).await;
        }
    };
    let handler = inner.handlers.read().unwrap_or_else(|poisoned| poisoned.into_inner()).get(&call.kind).cloned();
    let (origin, id) = (call.origin.clone(), call.id.clone());
    let answer = match handler {
        Some(handler) => handler(call).await,
        None => Err(format!("this node has no handler for {:?} calls", call.kind)),
    };
    inner.stats.bus_served.fetch_add(1, Ordering::Relaxed);
    finish(inner, shard, &entry.id, Some((&origin, &id, answer))).await;
}

/// Answers (if anybody waits), acknowledges and deletes an entry, retried
/// a few times while Redis does not answer.
async fn finish(inner: &Inner, shard: u32, entry: &str, answer: Option<(&str, &str, HandlerResult)>) {
    let mut pipe = redis::pipe();
    pipe.atomic();
    if let Some((origin, id, answer)) = &answer {
        let key = replies_key(&inner.config.prefix, origin);
        let (ok, body) = match answer {
            Ok(body) => ("1", body.as_slice()),
            Err(reason) => ("0", reason.as_bytes()),
        };
        pipe.cmd("XADD")
            .arg(&key)
            .arg("MAXLEN")
            .arg("~")
            .arg(REPLIES_CAP)
            .arg("*")
            .arg("id")
            .arg(*id)
            .arg("ok")
            .arg(ok)
            .arg("body")
            .arg(body)
            .ignore();
        pipe.cmd("PEXPIRE").arg(&key).arg(REPLIES_TTL.as_millis() as u64).ignore();
    }
    let key = stream_key(&inner.config.prefix, shard);
    pipe.cmd("XACK").arg(&key).arg(GROUP).arg(entry).ignore();
    pipe.cmd("XDEL").arg(&key).arg(entry).ignore();
    let mut backoff = Backoff::STORE;
    for attempt in 1..=5 {
        match pipe.query_async::<()>(&mut inner.commands.get()).await {
            Ok(()) => return,
            Err(err) if attempt == 5 => {
                tracing::error!(shard, entry, error = %err, "cannot answer a call; it stays pending for the next owner");
            }
            Err(err) => {
                tracing::warn!(shard, entry, error = %err, "cannot answer a call yet; retrying");
                backoff.wait().await;
                inner.commands.reconnect().await;
            }
        }
    }
}

fn bytes(entry: &StreamId, field: &str) -> Option<Vec<u8>> {
    entry.map.get(field).and_then(|value| Vec::<u8>::from_redis_value(value).ok())
}

fn text(entry: &StreamId, field: &str) -> Option<String> {
    bytes(entry, field).and_then(|bytes| String::from_utf8(bytes).ok())
}

/// Shards `0..shards`' stream keys (for clearing a test's keys).
pub(crate) fn stream_keys(prefix: &str, shards: u32) -> impl Iterator<Item = String> + '_ {
    (0..shards).map(move |shard| stream_key(prefix, shard))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_key_names_its_shard() {
        assert_eq!(shard_of_key("p:x", &stream_key("p:x", 17)), Some(17));
        assert_eq!(shard_of_key("p:x", "p:x:replies:a"), None);
        assert_eq!(shard_of_key("p", "q:bus:1"), None);
    }
}
