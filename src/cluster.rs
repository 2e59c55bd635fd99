//! Clustering's wiring (`REDIS_URL`): the lease manager's [`Host`] over
//! the store and the actors, what this binary serves on the bus, and
//! `dianabot cluster status`.
//!
//! Shards are leased, fenced and served only by their owner. An update
//! reaches any node; one for a user of another node's shard (or, with no
//! user, of [`SINGLETON_SHARD`]'s owner) is forwarded as is through the
//! bus ([`UPDATE`] calls): the owner runs the same `Intake::handle` and
//! answers once it is durable there, and only then does the receiving
//! node acknowledge it to Telegram. A saga step for a user of another
//! node goes the same way ([`STEP`] calls). Server-wide work (timers of no
//! user, broadcasts, polling) is done by the node serving
//! [`SINGLETON_SHARD`]. A channel post's actor runs on the owner of its
//! shard, reached the same way ([`POST`] calls); so do stock keepers and
//! auction actors (the item's name's shard, the auction id's: [`STOCK`] and
//! [`AUCTION`] calls). An operator's change (flags, roles, content) is
//! announced to the other nodes, which read it again ([`follow_changes`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context;
use dianabot_actors::{
    AuctionAnswer, AuctionCall, AuctionError, AuctionHouse, Coordinator, DispatchError, PostAnswer, PostCall,
    PostError, Posts, RemoteAuctions, RemotePosts, RemoteSteps, RemoteStock, Router, StepResult, StockAnswer,
    StockCall, StockError,
};
use dianabot_cluster::{
    Bus, BusError, Call, Change, ChangeNotices, ClusterConfig, ClusterStats, HandlerResult, Host, HostError, Leases,
};
use dianabot_game::{Command, UpdateId, UserId, UserState};
use dianabot_persistence::{Flusher, Store};
use dianabot_plumbing::shards::{InFlight, Ownership, SINGLETON_SHARD};
use dianabot_plumbing::unix_now;
use teloxide_core::types::Update;

use crate::content::Reloader;
use crate::operators::Operators;
use crate::telegram::translate::routed_user;
use crate::telegram::webhook::parse_update;
use crate::telegram::{Handled, Intake, IntakeError};

/// The store and actors of this node, as the lease manager needs them.
pub(crate) struct NodeHost {
    pub store: Store,
    pub router: Router,
    pub flusher: Flusher,
    pub node: String,
    // cluster-bus
    /// Set once the sagas can run: shards acquired from then on have the
    /// gifts and purchases their former owner left half-done finished.
    pub recovery: Arc<OnceLock<Coordinator>>,
    pub ownership: Arc<Ownership>,
    // cluster-placed
    /// Set once the auction house runs: auctions placed on shards acquired
    /// from then on are recovered then, those on shards given up dropped.
    pub auctions: Arc<OnceLock<AuctionHouse>>,
}

impl Host for NodeHost {
    fn recorded_epochs(&self) -> impl Future<Output = Result<HashMap<u32, i64>, HostError>> + Send {
        let store = self.store.clone();
        async move {
            let epochs = store.shard_epochs().await?;
            Ok(epochs.into_iter().filter_map(|row| Some((u32::try_from(row.shard).ok()?, row.epoch))).collect())
        }
    }

    fn record_epoch(&self, shard: u32, token: i64) -> impl Future<Output = Result<bool, HostError>> + Send {
        let (store, node) = (self.store.clone(), self.node.clone());
        let posts = self.recovery.get().map(|coordinator| coordinator.posts().clone());
        async move {
            let recorded = store.record_epoch(shard, token, &node, unix_now()).await?;
            // cluster-posts: served from right after this, so before any call
            // for it is answered, the posts its former owner published are
            // read again.
            if recorded && let Some(posts) = posts {
                posts.reread_known();
            }
            Ok(recorded)
        }
    }

    fn stop_serving(&self, shards: Vec<u32>) -> impl Future<Output = ()> + Send {
        let (router, flusher) = (self.router.clone(), self.flusher.clone());
        let posts = self.recovery.get().map(|coordinator| coordinator.posts().clone());
        let placed = self.forget_placed(shards.iter().copied().collect());
        async move {
            let shards = Arc::new(shards.into_iter().collect::<HashSet<u32>>());
            // cluster-posts: their posts' actors now run on the next owner.
            if let Some(posts) = posts {
                posts.forget_shards(&shards);
            }
            placed.await;
            router.evict(shards).await;
            // Committed or fenced: either way the next owner loads what is durable.
            let _ = flusher.flushed().await;
        }
    }

    fn started_serving(&self, shards: Vec<u32>) -> impl Future<Output = ()> + Send {
        self.recover_placed(shards.iter().copied().collect());
        if let Some(coordinator) = self.recovery.get().cloned() {
            let ownership = self.ownership.clone();
            // Not awaited: sagas retry with backoff, the lease manager must not wait.
            tokio::spawn(async move {
                let shards: HashSet<u32> = shards.into_iter().collect();
                let mine = |user: UserId| shards.contains(&ownership.shard_of(user.0));
                match coordinator.recover_where(mine).await {
                    Ok(0) => {}
                    Ok(finished) => tracing::info!(finished, "finished sagas of acquired shards"),
                    Err(err) => tracing::error!(error = %err, "cannot read the sagas of acquired shards"),
                }
            });
        }
        async {}
    }
}

// cluster-placed
impl NodeHost {
    /// Drops the stock keepers and auction actors placed on `shards`
    /// (given up): their state goes stale, the next owner loads its own.
    fn forget_placed(&self, shards: HashSet<u32>) -> impl Future<Output = ()> + Send + use<> {
        let (coordinator, auctions) = (self.recovery.get().cloned(), self.auctions.get().cloned());
        async move {
            if let Some(coordinator) = coordinator {
                coordinator.stock().forget(&shards);
            }
            if let Some(auctions) = auctions {
                auctions.forget(&shards).await;
            }
        }
    }

    /// For the auctions and limited items placed on acquired `shards`: what
    /// their former owner left half-done is finished (holds released or
    /// consumed, overdue auctions closed, stale units settled) and the open
    /// auctions get their actors here. Not awaited: steps retry with
    /// backoff, the lease manager must not wait.
    fn recover_placed(&self, shards: HashSet<u32>) {
        let (Some(coordinator), Some(auctions)) = (self.recovery.get().cloned(), self.auctions.get().cloned()) else {
            return;
        };
        let ownership = self.ownership.clone();
        tokio::spawn(async move {
            let shards = &shards;
            let units = coordinator.settle_stale_reservations(|item| shards.contains(&ownership.shard_of_name(item)));
            match units.await {
                Ok(0) => {}
                Ok(settled) => tracing::info!(settled, "settled stale units of acquired shards"),
                Err(err) => tracing::error!(error = %err, "cannot read the stale units of acquired shards"),
            }
            match auctions.recover_where(|auction| shards.contains(&ownership.shard_of(auction))).await {
                Ok(0) => {}
                Ok(settled) => tracing::info!(settled, "settled bids of auctions of acquired shards"),
                Err(err) => tracing::error!(error = %err, "cannot recover the auctions of acquired shards"),
            }
        });
    }
}

// cluster-bus
/// Bus kind: a Telegram update as received (JSON); answered with the
/// owner's [`Handled`] (JSON) once durable there.
pub const UPDATE: &str = "update";
/// Bus kind: a saga step ([`StepCall`], JSON); answered with its
/// [`StepResult`] (JSON).
pub const STEP: &str = "step";

/// Bus kind: a user's state (the user id, JSON); answered with the state
/// (bincode, as snapshots are), for a reply rendered on another node.
pub const STATE: &str = "state";

/// A saga step on the wire.
#[derive(serde::Serialize, serde::Deserialize)]
struct StepCall {
    user_id: UserId,
    update_id: Option<UpdateId>,
    command: Command,
}

/// Decides where an update is handled and carries it there. Cheap to clone.
#[derive(Clone)]
pub struct Forwarding {
    bus: Bus,
    ownership: Arc<Ownership>,
    stats: Arc<ClusterStats>,
    /// How long the receiving node waits for the owner's answer.
    timeout: Duration,
}

impl Forwarding {
    pub fn new(bus: Bus, ownership: Arc<Ownership>, stats: Arc<ClusterStats>, timeout: Duration) -> Forwarding {
        Forwarding { bus, ownership, stats, timeout }
    }

    /// The shard of `update` when another node serves it (or this one drains
    /// it); `None` when this one takes it.
    pub fn owner_elsewhere(&self, update: &Update) -> Option<u32> {
        let shard = routed_user(update).map_or(SINGLETON_SHARD, |user| self.ownership.shard_of(user.0));
        (!self.ownership.accepts(shard)).then_some(shard)
    }

    /// Counts `update` as in flight on its shard while the guard lives, so
    /// a hand-over of the shard waits for it.
    pub fn enter(&self, update: &Update) -> InFlight<'_> {
        let shard = routed_user(update).map_or(SINGLETON_SHARD, |user| self.ownership.shard_of(user.0));
        self.ownership.enter(shard)
    }

    /// Whether this node serves the server-wide shard (so polls).
    pub fn polls(&self) -> bool {
        self.ownership.owns(SINGLETON_SHARD)
    }

    /// Has the owner of `shard` handle `update`; its answer once durable there.
    pub async fn forward(&self, shard: u32, update: &Update, raw: Option<&[u8]>) -> Result<Handled, IntakeError> {
        let encoded;
        let payload = match raw {
            Some(raw) => raw,
            None => {
                encoded = serde_json::to_vec(update).map_err(IntakeError::Unforwardable)?;
                &encoded
            }
        };
        self.stats.forwarded_out.fetch_add(1, Ordering::Relaxed);
        let answer = self.bus.call(shard, UPDATE, payload, self.timeout).await;
        let answer = answer.and_then(|answer| {
            serde_json::from_slice::<Handled>(&answer).map_err(|err| BusError::Failed {
                shard,
                kind: UPDATE.to_owned(),
                reason: format!("unreadable answer: {err}"),
            })
        });
        if let Err(err) = &answer {
            let counter = match err {
                BusError::Timeout { .. } => &self.stats.forward_timeouts,
                _ => &self.stats.forward_failures,
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
        Ok(answer?)
    }
}

/// A [`STATE`] answer: `0` and the state (bincode), or `1` and why not (JSON).
fn encode_state(state: Result<UserState, DispatchError>) -> Vec<u8> {
    let encoded = state.and_then(|state| {
        bincode::serde::encode_to_vec(&state, bincode::config::standard()).map_err(|_| DispatchError::NotDurable)
    });
    match encoded {
        Ok(state) => [&[0][..], &state].concat(),
        Err(err) => [&[1][..], &serde_json::to_vec(&err).unwrap_or_default()].concat(),
    }
}

fn decode_state(answer: &[u8]) -> Result<UserState, DispatchError> {
    let unreadable = |why: String| {
        tracing::error!(why, "unreadable user state from another node");
        DispatchError::Unreachable
    };
    match answer.split_first() {
        Some((0, state)) => bincode::serde::decode_from_slice(state, bincode::config::standard())
            .map(|(state, _)| state)
            .map_err(|err| unreadable(err.to_string())),
        Some((1, err)) => Err(serde_json::from_slice(err).map_err(|err| unreadable(err.to_string()))?),
        _ => Err(unreadable("empty or unknown answer".to_owned())),
    }
}

/// Serves the bus's calls with this node's intake, sagas and actors.
pub fn serve_calls(bus: &Bus, intake: Intake, coordinator: Coordinator, stats: Arc<ClusterStats>) {
    let router = coordinator.router().clone();
    bus.handle(STATE, move |call| {
        let router = router.clone();
        async move {
            let user: UserId =
                serde_json::from_slice(&call.payload).map_err(|err| format!("unreadable user: {err}"))?;
            Ok(encode_state(router.state_here(user).await))
        }
    });
    bus.handle(UPDATE, move |call| {
        let (intake, stats) = (intake.clone(), stats.clone());
        async move { handle_update(&intake, &stats, call).await }
    });
    let posts = coordinator.posts().clone();
    bus.handle(POST, move |call| {
        let posts = posts.clone();
        async move { handle_post(&posts, call).await }
    });
    bus.handle(STEP, move |call| {
        let coordinator = coordinator.clone();
        async move {
            let step: StepCall =
                serde_json::from_slice(&call.payload).map_err(|err| format!("unreadable step: {err}"))?;
            let result = coordinator.step_here(step.user_id, step.update_id, step.command).await;
            serde_json::to_vec(&result).map_err(|err| err.to_string())
        }
    });
}

/// A forwarded update, handled here as if received here. A dead letter
/// stays one (answered, so the receiving node acknowledges it).
async fn handle_update(intake: &Intake, stats: &ClusterStats, call: Call) -> HandlerResult {
    stats.forwarded_in.fetch_add(1, Ordering::Relaxed);
    let handled = match parse_update(&call.payload) {
        Ok(update) => intake.handle(update).await,
        Err(err) => {
            // The receiving node parsed it: only a different build gets here.
            tracing::warn!(error = %err, "unparseable forwarded update dead-lettered");
            intake.stats().dead_lettered.fetch_add(1, Ordering::Relaxed);
            Ok(Handled::DeadLettered)
        }
    };
    match handled {
        Ok(handled) => serde_json::to_vec(&handled).map_err(|err| err.to_string()),
        Err(err) => Err(err.to_string()),
    }
}

// cluster-posts
/// Bus kind: a request for a post's actor ([`PostCall`], JSON); answered
/// with its [`PostAnswer`] (JSON).
pub const POST: &str = "post";

/// A post's request, run on this node's posts.
async fn handle_post(posts: &Posts, call: Call) -> HandlerResult {
    let request: PostCall =
        serde_json::from_slice(&call.payload).map_err(|err| format!("unreadable post call: {err}"))?;
    let answer = posts.serve(request).await.map_err(|err| err.to_string())?;
    serde_json::to_vec(&answer).map_err(|err| err.to_string())
}

/// Requests for the actors of posts placed on other nodes' shards, through the bus.
pub struct BusPosts {
    pub bus: Bus,
    pub timeout: Duration,
}

impl RemotePosts for BusPosts {
    fn call(
        &self,
        shard: u32,
        call: PostCall,
    ) -> Pin<Box<dyn Future<Output = Result<PostAnswer, PostError>> + Send + '_>> {
        Box::pin(async move {
            let payload = serde_json::to_vec(&call).map_err(|err| PostError::Unreachable(err.to_string()))?;
            let answer = self.bus.call(shard, POST, &payload, self.timeout).await.map_err(|err| {
                tracing::warn!(shard, error = %err, "a post's node did not answer");
                PostError::Unreachable(err.to_string())
            })?;
            serde_json::from_slice(&answer).map_err(|err| PostError::Unreachable(format!("unreadable answer: {err}")))
        })
    }
}

// cluster-changes
/// Follows the other nodes' operator changes: each is read again from
/// where it is durable and installed the way a local change is.
pub fn follow_changes(notices: &ChangeNotices, reloader: Reloader, operators: Operators) {
    let counted = notices.clone();
    notices.listen(move |changes| {
        let (reloader, operators, notices) = (reloader.clone(), operators.clone(), counted.clone());
        async move {
            for change in changes {
                let reread = match change {
                    Change::Flags => reloader.reread_flags().await.map_err(anyhow::Error::from),
                    Change::Roles => operators.reread().await.map_err(anyhow::Error::from),
                    Change::Content => reloader.reload_files().await.map(drop),
                };
                if let Err(err) = reread {
                    notices.reread_failed();
                    tracing::error!(?change, error = %err, "cannot apply another node's change; read again later");
                }
            }
        }
    });
}

/// Saga steps for users of other nodes' shards, through the bus.
pub struct BusSteps {
    pub bus: Bus,
    pub ownership: Arc<Ownership>,
    pub timeout: Duration,
}

impl RemoteSteps for BusSteps {
    fn step(
        &self,
        user_id: UserId,
        update_id: Option<UpdateId>,
        command: Command,
    ) -> Pin<Box<dyn Future<Output = StepResult> + Send + '_>> {
        Box::pin(async move {
            let shard = self.ownership.shard_of(user_id.0);
            let payload = serde_json::to_vec(&StepCall { user_id, update_id, command }).map_err(|err| {
                tracing::error!(error = %err, "cannot encode a saga step");
                DispatchError::NotDurable
            })?;
            let answer = self.bus.call(shard, STEP, &payload, self.timeout).await.map_err(|err| {
                tracing::warn!(user_id = %user_id, error = %err, "saga step on another node not answered");
                DispatchError::Unreachable
            })?;
            serde_json::from_slice::<StepResult>(&answer).map_err(|err| {
                tracing::error!(error = %err, "unreadable answer to a saga step");
                DispatchError::Unreachable
            })?
        })
    }

    fn state(&self, user_id: UserId) -> Pin<Box<dyn Future<Output = Result<UserState, DispatchError>> + Send + '_>> {
        Box::pin(async move {
            let shard = self.ownership.shard_of(user_id.0);
            let payload = serde_json::to_vec(&user_id).map_err(|_| DispatchError::NotDurable)?;
            let answer = self.bus.call(shard, STATE, &payload, self.timeout).await.map_err(|err| {
                tracing::warn!(user_id = %user_id, error = %err, "a user's state on another node not answered");
                DispatchError::Unreachable
            })?;
            decode_state(&answer)
        })
    }
}

// cluster-placed
/// Bus kind: a request to a stock keeper ([`StockCall`], JSON); answered
/// with its [`StockAnswer`] (JSON) once durable.
pub const STOCK: &str = "stock";
/// Bus kind: a request to an auction's actor ([`AuctionCall`], JSON);
/// answered with its [`AuctionAnswer`] (JSON) once durable.
pub const AUCTION: &str = "auction";

/// Serves the bus's calls to the stock keepers and auction actors placed here.
pub fn serve_placed_calls(bus: &Bus, coordinator: Coordinator, auctions: AuctionHouse, stats: Arc<ClusterStats>) {
    let stock_stats = stats.clone();
    bus.handle(STOCK, move |call| {
        let (coordinator, stats) = (coordinator.clone(), stock_stats.clone());
        async move {
            stats.placed_in.fetch_add(1, Ordering::Relaxed);
            let call: StockCall =
                serde_json::from_slice(&call.payload).map_err(|err| format!("unreadable stock call: {err}"))?;
            let answer = coordinator.stock().answer(call).await.map_err(|err| err.to_string())?;
            serde_json::to_vec(&answer).map_err(|err| err.to_string())
        }
    });
    bus.handle(AUCTION, move |call| {
        let (auctions, stats) = (auctions.clone(), stats.clone());
        async move {
            stats.placed_in.fetch_add(1, Ordering::Relaxed);
            let call: AuctionCall =
                serde_json::from_slice(&call.payload).map_err(|err| format!("unreadable auction call: {err}"))?;
            let answer = auctions.answer(call).await.map_err(|err| err.to_string())?;
            serde_json::to_vec(&answer).map_err(|err| err.to_string())
        }
    });
}

/// Requests to stock keepers and auction actors of other nodes' shards,
/// through the bus. No answer (a timeout, the owner or Redis failing, an
/// unreadable answer) is never an answer: the request is retried or its
/// update left unacknowledged.
pub struct BusPlaced {
    pub bus: Bus,
    pub stats: Arc<ClusterStats>,
    pub timeout: Duration,
}

impl BusPlaced {
    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        shard: u32,
        kind: &str,
        call: &impl serde::Serialize,
    ) -> Option<T> {
        self.stats.placed_out.fetch_add(1, Ordering::Relaxed);
        let answer = match serde_json::to_vec(call) {
            Ok(payload) => self.bus.call(shard, kind, &payload, self.timeout).await.map_err(|err| err.to_string()),
            Err(err) => Err(format!("cannot encode the call: {err}")),
        };
        let answer = answer
            .and_then(|answer| serde_json::from_slice::<T>(&answer).map_err(|err| format!("unreadable answer: {err}")));
        match answer {
            Ok(answer) => Some(answer),
            Err(err) => {
                self.stats.placed_failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(shard, kind, error = %err, "call to a placed actor on another node not answered");
                None
            }
        }
    }
}

impl RemoteStock for BusPlaced {
    fn call(
        &self,
        shard: u32,
        call: StockCall,
    ) -> Pin<Box<dyn Future<Output = Result<StockAnswer, StockError>> + Send + '_>> {
        Box::pin(async move { BusPlaced::call(self, shard, STOCK, &call).await.ok_or(StockError::Unavailable) })
    }
}

impl RemoteAuctions for BusPlaced {
    fn call(
        &self,
        shard: u32,
        call: AuctionCall,
    ) -> Pin<Box<dyn Future<Output = Result<AuctionAnswer, AuctionError>> + Send + '_>> {
        Box::pin(async move {
            BusPlaced::call(self, shard, AUCTION, &call).await.ok_or(AuctionError::Dispatch(DispatchError::Unreachable))
        })
    }
}

/// `dianabot cluster status`: the live nodes and the shard map, from Redis
/// and the store's `shard_epochs`.
pub async fn status(config: &ClusterConfig, database_url: &str, every_shard: bool) -> anyhow::Result<String> {
    let leases = Leases::connect(&config.redis_url, &config.prefix, "status", config.lease)
        .await
        .with_context(|| format!("connecting to Redis at {}", config.redis_url))?;
    let nodes = leases.live_nodes().await.context("reading the live nodes")?;
    let map = leases.shard_map(config.shards).await.context("reading the shard leases")?;
    let store = Store::open(database_url).await.context("opening the store")?;
    let epochs = store.shard_epochs().await;
    store.close().await;
    let epochs: HashMap<i64, (i64, String)> =
        epochs?.into_iter().map(|row| (row.shard, (row.epoch, row.node))).collect();

    let mut out = String::new();
    let _ =
        writeln!(out, "cluster {:?}: {} shards, lease {} ms", config.prefix, config.shards, config.lease.as_millis());
    let mut owned: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for (shard, (holder, _)) in map.iter().enumerate() {
        owned.entry(holder.as_deref().unwrap_or("(free)")).or_default().push(shard as u32);
    }
    let _ = writeln!(out, "live nodes: {}", nodes.len());
    for (node, _) in &nodes {
        let shards = owned.get(node.as_str()).map_or(&[][..], Vec::as_slice);
        let _ = writeln!(out, "  {node:<24} {:>4} shards  {}", shards.len(), ranges(shards));
    }
    for (holder, shards) in &owned {
        if !nodes.iter().any(|(node, _)| node == holder) {
            let _ = writeln!(out, "  {holder:<24} {:>4} shards  {}", shards.len(), ranges(shards));
        }
    }
    // A lease whose Redis token differs from the recorded epoch is being
    // taken over (or Redis lost its counters): worth a look.
    let mut unsettled = 0;
    for (shard, (holder, token)) in map.iter().enumerate() {
        let recorded = epochs.get(&(shard as i64));
        let settled =
            holder.is_some() && recorded.is_some_and(|(epoch, node)| epoch == token && Some(node) == holder.as_ref());
        unsettled += usize::from(!settled);
        if every_shard || (!settled && holder.is_some()) {
            let (epoch, node) = recorded.map_or((0, "-"), |(epoch, node)| (*epoch, node.as_str()));
            let holder = holder.as_deref().unwrap_or("(free)");
            let _ =
                writeln!(out, "  shard {shard:>4}  lease {holder:<24} token {token:>6}  recorded {epoch:>6} by {node}");
        }
    }
    let _ = writeln!(out, "shards not served under their recorded epoch: {unsettled}");
    Ok(out)
}

/// `0-41 43 45-50`.
fn ranges(shards: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < shards.len() {
        let start = shards[i];
        while i + 1 < shards.len() && shards[i + 1] == shards[i] + 1 {
            i += 1;
        }
        let sep = if out.is_empty() { "" } else { " " };
        let _ = match shards[i] {
            end if end == start => write!(out, "{sep}{start}"),
            end => write!(out, "{sep}{start}-{end}"),
        };
        i += 1;
    }
    out
}
