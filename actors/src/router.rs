//! The front door of the actor runtime.

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use actix::{Actor, Addr, Arbiter};
use dianabot_game::content::Content;
use dianabot_game::{Rules, UserId, UserState};
use dianabot_persistence::{FlushError, Flusher, Store};
use dianabot_plumbing::Clock;
use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore, oneshot};

use crate::config::{ActorConfig, StockFaultHook};
use crate::env::Env;
use crate::message::{Deliver, DispatchError, Envelope, Outcome, Work};
use crate::saga::RemoteSteps;
use crate::shard::ShardSupervisor;
use crate::stats::ActorStats;

/// The reply to an update, available as soon as the actor handled it, and
/// the promise that its effects are durable.
pub struct Dispatched<T> {
    pub reply: T,
    pub durable: Durable,
}

/// Resolves once the update's effects are committed. Holds the shard permit
/// until then, so unacknowledged work is what backpressure counts.
pub struct Durable {
    done: oneshot::Receiver<Result<(), FlushError>>,
    /// `None` for a step another node ran: durable there before it answered.
    _permit: Option<OwnedSemaphorePermit>,
}

impl Durable {
    pub async fn wait(self) -> Result<(), DispatchError> {
        match self.done.await {
            Ok(result) => Ok(result?),
            Err(_) => Err(DispatchError::NotDurable),
        }
    }
}

struct Shard {
    supervisor: Addr<ShardSupervisor>,
    in_flight: Arc<Semaphore>,
    /// Held from taking a permit until the envelope is sent. Waiters are
    /// served first come, first served, so envelopes reach the supervisor
    /// in the order they were dispatched — per-user order. (The semaphore
    /// alone is not enough: a permit handed to a waiter that has not run
    /// yet lets a later dispatch that finds spare permits send first.)
    sending: Mutex<()>,
    arbiter: Arbiter,
}

/// Routes envelopes to user actors. Cheap to clone.
#[derive(Clone)]
pub struct Router {
    inner: Arc<Inner>,
}

struct Inner {
    shards: Vec<Shard>,
    closing: AtomicBool,
    stats: Arc<ActorStats>,
    flusher: Flusher,
    max_in_flight: usize,
    env: Arc<Env>,
    /// Users another node serves (clustering), set once the bus is up.
    remote: OnceLock<Arc<dyn RemoteSteps>>,
}

impl Router {
    /// Starts the shards, each on its own arbiter thread. Must be called
    /// from within an actix `System` running on a tokio runtime.
    pub fn start(
        config: ActorConfig,
        store: Store,
        flusher: Flusher,
        rules: Arc<Rules>,
        content: Arc<Content>,
    ) -> Router {
        let stats = Arc::new(ActorStats::default());
        let max_in_flight = config.max_in_flight_per_shard.max(1);
        let env = Arc::new(Env {
            store,
            flusher: flusher.clone(),
            rules,
            content: RwLock::new(content),
            config: config.clone(),
            stats: stats.clone(),
            io: tokio::runtime::Handle::current(),
        });
        let shards = (0..config.shards.max(1))
            .map(|index| {
                let arbiter = Arbiter::new();
                let env = env.clone();
                let supervisor =
                    ShardSupervisor::start_in_arbiter(&arbiter.handle(), move |_| ShardSupervisor::new(index, env));
                let in_flight = Arc::new(Semaphore::new(max_in_flight));
                Shard { supervisor, in_flight, sending: Mutex::new(()), arbiter }
            })
            .collect();
        let inner = Inner {
            shards,
            closing: AtomicBool::new(false),
            stats,
            flusher,
            max_in_flight,
            env,
            remote: OnceLock::new(),
        };
        Router { inner: Arc::new(inner) }
    }

    /// Hands `envelope` to its user's actor and returns the reply `render`
    /// makes from the user's state, with the durability promise.
    ///
    /// Waits (backpressure) while the user's shard has its maximum of
    /// unacknowledged updates. Updates of one user dispatched one after the
    /// other are applied in that order.
    pub async fn dispatch<T, F>(&self, envelope: Envelope, render: F) -> Result<Dispatched<T>, DispatchError>
    where
        T: Send + 'static,
        F: FnOnce(&UserState, Outcome<'_>) -> T + Send + 'static,
    {
        self.dispatch_work(envelope.user_id, Work::Apply(envelope), render, Reach::Anywhere).await
    }

    /// [`Router::dispatch`] to this node's actors only: a user of another
    /// node's shard is refused with [`DispatchError::NotOwned`]. What a
    /// call carried here by the bus runs, so it is never carried on.
    pub async fn dispatch_here<T, F>(&self, envelope: Envelope, render: F) -> Result<Dispatched<T>, DispatchError>
    where
        T: Send + 'static,
        F: FnOnce(&UserState, Outcome<'_>) -> T + Send + 'static,
    {
        self.dispatch_work(envelope.user_id, Work::Apply(envelope), render, Reach::Here).await
    }

    // cluster
    /// Reaches users of other nodes' shards through `remote` from now on.
    pub fn reach_through(&self, remote: Arc<dyn RemoteSteps>) {
        let _ = self.inner.remote.set(remote);
    }

    /// The way to other nodes' users, with clustering.
    pub(crate) fn remote(&self) -> Option<&Arc<dyn RemoteSteps>> {
        self.inner.remote.get()
    }

    async fn dispatch_work<T, F>(
        &self,
        user_id: UserId,
        work: Work,
        render: F,
        reach: Reach,
    ) -> Result<Dispatched<T>, DispatchError>
    where
        T: Send + 'static,
        F: FnOnce(&UserState, Outcome<'_>) -> T + Send + 'static,
    {
        if self.inner.closing.load(Ordering::Acquire) {
            return Err(DispatchError::ShuttingDown);
        }
        // cluster: a user of another node's shard — an operator's grant,
        // a prize, an inviter's reward, a saga step — is reached through
        // the bus (its node answers once durable), and the reply rendered
        // here from the state it answers with. Under `Reach::Here` (a call
        // the bus brought) the shard moved meanwhile: refused, not
        // acknowledged.
        if !self.serves(user_id) {
            return match (reach, self.remote()) {
                (Reach::Anywhere, Some(remote)) => remote_dispatch(remote.as_ref(), user_id, work, render).await,
                _ => Err(DispatchError::NotOwned),
            };
        }
        let shard = &self.inner.shards[shard_of(user_id, self.inner.shards.len())];
        let (reply_sender, reply) = oneshot::channel();
        let (ack, done) = oneshot::channel();
        let respond = Box::new(move |result: Result<(&UserState, Outcome<'_>), DispatchError>| {
            let _ = reply_sender.send(result.map(|(state, outcome)| render(state, outcome)));
        });
        let permit = {
            let _turn = shard.sending.lock().await;
            let permit = shard.in_flight.clone().acquire_owned().await.map_err(|_| DispatchError::ShuttingDown)?;
            shard.supervisor.do_send(Deliver { user_id, work, respond, ack });
            permit
        };
        let reply = reply.await.map_err(|_| DispatchError::ActorCrashed)??;
        Ok(Dispatched { reply, durable: Durable { done, _permit: Some(permit) } })
    }

    /// A copy of `user_id`'s state, from this node's actor only (what a
    /// bus call for another node's render runs).
    pub async fn state_here(&self, user_id: UserId) -> Result<UserState, DispatchError> {
        let copy = |state: &UserState, _: Outcome<'_>| state.clone();
        Ok(self.dispatch_work(user_id, Work::View, copy, Reach::Here).await?.reply)
    }

    /// Renders from a user's current state without changing it (screens
    /// such as the profile). Activates the user like any update.
    pub async fn view<T, F>(&self, user_id: UserId, render: F) -> Result<T, DispatchError>
    where
        T: Send + 'static,
        F: FnOnce(&UserState) -> T + Send + 'static,
    {
        let dispatched =
            self.dispatch_work(user_id, Work::View, move |state, _| render(state), Reach::Anywhere).await?;
        Ok(dispatched.reply)
    }

    /// The economy's tunables.
    pub fn rules(&self) -> Arc<Rules> {
        self.inner.env.rules.clone()
    }

    /// The game clock decisions are made by.
    pub fn clock(&self) -> &Clock {
        &self.inner.env.config.clock
    }

    /// The leaderboards, fed by the flusher with every committed batch.
    pub fn leaderboards(&self) -> &dianabot_persistence::Leaderboards {
        self.inner.env.flusher.leaderboards()
    }

    /// The content actors decide with now.
    pub fn content(&self) -> Arc<Content> {
        self.inner.env.content()
    }

    /// Hot reload: messages handled from now on see `content`; a message
    /// being handled finishes with the content it started with.
    pub fn replace_content(&self, content: Arc<Content>) {
        *self.inner.env.content.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = content;
    }

    /// The stock keepers' fault hook, from the configuration (tests only).
    pub(crate) fn stock_faults(&self) -> Option<Arc<StockFaultHook>> {
        self.inner.env.config.stock_fault_injector.as_ref().map(|injector| injector.0.clone())
    }

    pub fn stats(&self) -> &ActorStats {
        &self.inner.stats
    }

    pub fn shards(&self) -> usize {
        self.inner.shards.len()
    }

    /// The shard a user belongs to.
    pub fn shard_of(&self, user: UserId) -> usize {
        shard_of(user, self.inner.shards.len())
    }

    /// Unacknowledged updates held by one shard; never above
    /// `max_in_flight_per_shard`.
    pub fn in_flight(&self, shard: usize) -> usize {
        self.inner.max_in_flight - self.inner.shards[shard].in_flight.available_permits()
    }

    // cluster-bus
    /// Whether this node serves `user` (always, without clustering).
    pub fn serves(&self, user: UserId) -> bool {
        self.inner.env.config.ownership.as_ref().is_none_or(|ownership| ownership.owns_user(user.0))
    }

    // cluster
    /// Passivates every resident actor of a user of the virtual shards
    /// `lost` (clustering: this node no longer serves them), without
    /// writing: their writes are already with the flusher, which commits or
    /// fences them. Returns once every shard supervisor has marked them;
    /// an update already on its way waits for the passivation and then
    /// reloads from the store.
    pub async fn evict(&self, lost: Arc<std::collections::HashSet<u32>>) {
        let Some(ownership) = self.inner.env.config.ownership.clone() else { return };
        for shard in &self.inner.shards {
            let evict = crate::shard::Evict { lost: lost.clone(), ownership: ownership.clone() };
            let _ = shard.supervisor.send(evict).await;
        }
    }

    /// Stops taking updates, waits until every accepted one is durable,
    /// flushes, and stops the shard threads.
    pub async fn shutdown(&self) {
        self.inner.closing.store(true, Ordering::Release);
        let all = u32::try_from(self.inner.max_in_flight).unwrap_or(u32::MAX);
        for shard in &self.inner.shards {
            // Every permit back means every accepted update is acknowledged.
            if let Ok(permits) = shard.in_flight.acquire_many(all).await {
                permits.forget();
            }
            shard.in_flight.close();
        }
        self.inner.flusher.shutdown().await;
        for shard in &self.inner.shards {
            shard.arbiter.stop();
        }
    }
}

/// A user's shard. Stable for a given shard count, so a user always lands
/// on the same supervisor and thread.
fn shard_of(user: UserId, shards: usize) -> usize {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    user.hash(&mut hasher);
    (hasher.finish() % shards as u64) as usize
}

/// Whether a dispatch may be carried to the node serving its user.
#[derive(Clone, Copy)]
enum Reach {
    Anywhere,
    Here,
}

/// A dispatch run by the node serving `user_id`: the command (if any) is
/// durable there when it answers; the reply is rendered here from the
/// user's state as that node holds it afterwards.
async fn remote_dispatch<T, F>(
    remote: &dyn RemoteSteps,
    user_id: UserId,
    work: Work,
    render: F,
) -> Result<Dispatched<T>, DispatchError>
where
    F: FnOnce(&UserState, Outcome<'_>) -> T,
{
    let answer = match work {
        Work::Apply(envelope) => Some(remote.step(user_id, envelope.update_id, envelope.command).await?),
        Work::View => None,
    };
    let state = remote.state(user_id).await?;
    let reply = match &answer {
        Some(Ok(events)) => render(&state, Outcome::Applied(events)),
        Some(Err(refusal)) => render(&state, Outcome::Refused(refusal)),
        None => render(&state, Outcome::Viewed),
    };
    let (durable, done) = oneshot::channel();
    let _ = durable.send(Ok(()));
    Ok(Dispatched { reply, durable: Durable { done, _permit: None } })
}
