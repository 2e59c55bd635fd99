//! Stock keepers: one actor per limited shop item, owning how many of its
//! units are sold and which are reserved for purchases in flight.
//!
//! A keeper is a task with a mailbox, started on first use and handling one
//! request at a time, so a race for the last units is decided by the order
//! requests reach its mailbox — no lock, no `SELECT … FOR UPDATE`. Unlike a
//! user actor it writes through: every change is committed before the
//! keeper answers, because each of its answers is a saga step the
//! coordinator acts on, and stock changes are rare next to game updates.
//!
//! Every request is idempotent by purchase id, so the coordinator may
//! repeat any of them after a crash.
//!
//! Clustering: an item's keeper lives on the node serving the shard of the
//! item's name; requests on other nodes go there ([`RemoteStock`]), and its
//! writes are fenced by the token it started under (`placement`).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use dianabot_game::{RuleError, UserId};
use dianabot_persistence::{Reservation, ReservationStatus, Store, StoreError};
use dianabot_plumbing::Clock;
use dianabot_plumbing::shards::Ownership;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use crate::config::{StockFaultHook, StockFaultPoint, StockStep};
use crate::message::Transient;
use crate::placement::{Fence, Placed};

#[derive(Debug, thiserror::Error)]
pub enum StockError {
    #[error("sold out")]
    SoldOut,
    #[error("the reservation was released")]
    Released,
    #[error("stock store: {0}")]
    Store(#[from] StoreError),
    #[error("injected fault")]
    Injected,
    #[error("the stock keeper stopped")]
    Stopped,
    // cluster-placed
    /// The item's keeper is on a node that did not answer, or was here and
    /// its shard moved: asked again, the request finds the shard's owner.
    #[error("the item's stock keeper is not reachable now")]
    Unavailable,
}

impl Transient for StockError {
    /// The store, an injected fault or an unreachable keeper may pass next
    /// time; an answer (sold out, released) or a stopped keeper will not.
    fn is_transient(&self) -> bool {
        matches!(self, StockError::Store(_) | StockError::Injected | StockError::Unavailable)
    }
}

// cluster-placed
/// A request to an item's keeper on the node serving the item's shard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StockCall {
    Reserve { item: String, stock: u32, purchase: i64, user: UserId, expires_at: Option<i64> },
    Sell { item: String, stock: u32, purchase: i64, user: UserId },
    Release { item: String, purchase: i64 },
    Left { item: String, stock: u32 },
}

impl StockCall {
    fn item(&self) -> &str {
        match self {
            StockCall::Reserve { item, .. }
            | StockCall::Sell { item, .. }
            | StockCall::Release { item, .. }
            | StockCall::Left { item, .. } => item,
        }
    }
}

/// A keeper's answer to a [`StockCall`]: the units left (for `Left`; 0 for
/// the others), or its refusal. A failure is no answer: the call fails.
pub type StockAnswer = Result<u32, StockRefusal>;

/// What a keeper answers no to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StockRefusal {
    SoldOut,
    Released,
}

impl From<StockRefusal> for StockError {
    fn from(refusal: StockRefusal) -> StockError {
        match refusal {
            StockRefusal::SoldOut => StockError::SoldOut,
            StockRefusal::Released => StockError::Released,
        }
    }
}

/// Carries a [`StockCall`] to the node serving `shard`, which answers it
/// with [`StockKeepers::answer`]. No answer is [`StockError::Unavailable`].
/// The binary implements it over the cluster's bus.
pub trait RemoteStock: Send + Sync + 'static {
    fn call(
        &self,
        shard: u32,
        call: StockCall,
    ) -> Pin<Box<dyn Future<Output = Result<StockAnswer, StockError>> + Send + '_>>;
}

impl StockError {
    /// What the buyer is told.
    pub fn refusal(&self) -> RuleError {
        match self {
            StockError::SoldOut | StockError::Released => RuleError::SoldOut,
            _ => RuleError::Malformed(dianabot_game::Malformed::ShopBusy),
        }
    }
}

enum Request {
    Reserve { reservation: Reservation, stock: u32, reply: oneshot::Sender<Result<(), StockError>> },
    Sell { purchase: i64, user: UserId, stock: u32, reply: oneshot::Sender<Result<(), StockError>> },
    Release { purchase: i64, reply: oneshot::Sender<Result<(), StockError>> },
    Left { stock: u32, reply: oneshot::Sender<Result<u32, StockError>> },
}

/// The stock keepers of the shop, by item. Cheap to clone.
#[derive(Clone)]
pub struct StockKeepers {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    keepers: Mutex<HashMap<String, Keeping>>,
    faults: Option<Arc<StockFaultHook>>,
    clock: Clock,
    // cluster-placed
    /// `None` without clustering: every keeper is here.
    placed: Option<Placed<dyn RemoteStock>>,
}

/// A running keeper: its mailbox and the fence it writes under.
struct Keeping {
    mailbox: mpsc::UnboundedSender<Request>,
    fence: Option<Fence>,
}

impl StockKeepers {
    pub fn new(store: Store, faults: Option<Arc<StockFaultHook>>, clock: Clock) -> StockKeepers {
        StockKeepers { inner: Arc::new(Inner { store, keepers: Mutex::default(), faults, clock, placed: None }) }
    }

    // cluster-placed
    /// Keepers placed by the shard of their item's name: those of other
    /// nodes' shards are reached through `remote`.
    pub(crate) fn placed(self, ownership: Arc<Ownership>, remote: Arc<dyn RemoteStock>) -> StockKeepers {
        let Inner { store, faults, clock, .. } = &*self.inner;
        let inner = Inner {
            store: store.clone(),
            keepers: Mutex::default(),
            faults: faults.clone(),
            clock: clock.clone(),
            placed: Some(Placed { ownership, remote }),
        };
        StockKeepers { inner: Arc::new(inner) }
    }

    /// Holds a unit of `item` (of `stock` in total) for a purchase.
    pub async fn reserve(&self, item: &str, stock: u32, reservation: Reservation) -> Result<(), StockError> {
        if let Some(shard) = self.elsewhere(item) {
            let Reservation { purchase, user, expires_at } = reservation;
            let call = StockCall::Reserve { item: item.to_owned(), stock, purchase, user, expires_at };
            return self.forward(shard, call).await.map(drop);
        }
        self.ask(item, |reply| Request::Reserve { reservation, stock, reply }).await?
    }

    /// The purchase's unit is sold. A reservation that lapsed is taken
    /// again if a unit is left.
    pub async fn sell(&self, item: &str, stock: u32, purchase: i64, user: UserId) -> Result<(), StockError> {
        if let Some(shard) = self.elsewhere(item) {
            let call = StockCall::Sell { item: item.to_owned(), stock, purchase, user };
            return self.forward(shard, call).await.map(drop);
        }
        self.ask(item, |reply| Request::Sell { purchase, user, stock, reply }).await?
    }

    /// The purchase's unit goes back on the shelf (a failed or refunded
    /// purchase).
    pub async fn release(&self, item: &str, purchase: i64) -> Result<(), StockError> {
        if let Some(shard) = self.elsewhere(item) {
            return self.forward(shard, StockCall::Release { item: item.to_owned(), purchase }).await.map(drop);
        }
        self.ask(item, |reply| Request::Release { purchase, reply }).await?
    }

    /// Units neither sold nor reserved.
    pub async fn left(&self, item: &str, stock: u32) -> Result<u32, StockError> {
        if let Some(shard) = self.elsewhere(item) {
            return self.forward(shard, StockCall::Left { item: item.to_owned(), stock }).await;
        }
        self.ask(item, |reply| Request::Left { stock, reply }).await?
    }

    // cluster-placed
    /// The shard of `item`'s keeper when another node serves it.
    fn elsewhere(&self, item: &str) -> Option<u32> {
        let placed = self.inner.placed.as_ref()?;
        placed.elsewhere(placed.ownership.shard_of_name(item))
    }

    /// Whether `item`'s keeper is on this node (always, without clustering).
    pub(crate) fn is_here(&self, item: &str) -> bool {
        self.elsewhere(item).is_none()
    }

    async fn forward(&self, shard: u32, call: StockCall) -> Result<u32, StockError> {
        let placed = self.inner.placed.as_ref().ok_or(StockError::Unavailable)?;
        Ok(placed.remote.call(shard, call).await??)
    }

    /// Runs a call another node carried here on this node's keeper (never
    /// forwarded again): the keeper's answer, or the failure, which the
    /// caller must treat as no answer.
    pub async fn answer(&self, call: StockCall) -> Result<StockAnswer, StockError> {
        let item = call.item().to_owned();
        let done = match call {
            StockCall::Reserve { stock, purchase, user, expires_at, .. } => {
                let reservation = Reservation { purchase, user, expires_at };
                self.ask(&item, |reply| Request::Reserve { reservation, stock, reply }).await?.map(|()| 0)
            }
            StockCall::Sell { stock, purchase, user, .. } => {
                self.ask(&item, |reply| Request::Sell { purchase, user, stock, reply }).await?.map(|()| 0)
            }
            StockCall::Release { purchase, .. } => {
                self.ask(&item, |reply| Request::Release { purchase, reply }).await?.map(|()| 0)
            }
            StockCall::Left { stock, .. } => self.ask(&item, |reply| Request::Left { stock, reply }).await?,
        };
        match done {
            Ok(left) => Ok(Ok(left)),
            Err(StockError::SoldOut) => Ok(Err(StockRefusal::SoldOut)),
            Err(StockError::Released) => Ok(Err(StockRefusal::Released)),
            Err(err) => Err(err),
        }
    }

    /// Drops the keepers placed on `shards` (this node stopped serving
    /// them): their state goes stale, the next owner loads its own.
    pub fn forget(&self, shards: &HashSet<u32>) {
        let Some(placed) = &self.inner.placed else { return };
        let mut keepers = self.inner.keepers.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        keepers.retain(|item, _| !shards.contains(&placed.ownership.shard_of_name(item)));
    }

    async fn ask<T>(&self, item: &str, request: impl FnOnce(oneshot::Sender<T>) -> Request) -> Result<T, StockError> {
        let (reply, answer) = oneshot::channel();
        self.mailbox(item)?.send(request(reply)).map_err(|_| StockError::Stopped)?;
        answer.await.map_err(|_| StockError::Stopped)
    }

    /// The keeper of `item`, started on first use — and, clustering, again
    /// when this node serves the item's shard under a new token (the old
    /// keeper's view may be stale); none when it does not serve it.
    fn mailbox(&self, item: &str) -> Result<mpsc::UnboundedSender<Request>, StockError> {
        let fence = match &self.inner.placed {
            None => None,
            Some(placed) => Some(placed.fence(placed.ownership.shard_of_name(item)).ok_or(StockError::Unavailable)?),
        };
        let mut keepers = self.inner.keepers.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let running = keepers.get(item).filter(|keeping| {
            !keeping.mailbox.is_closed() && keeping.fence.as_ref().map(Fence::claim) == fence.as_ref().map(Fence::claim)
        });
        if let Some(keeping) = running {
            return Ok(keeping.mailbox.clone());
        }
        let (mailbox, requests) = mpsc::unbounded_channel();
        let inner = &self.inner;
        let keeper =
            Keeper::new(item.to_owned(), inner.store.clone(), inner.faults.clone(), inner.clock.clone(), fence.clone());
        tokio::spawn(keeper.run(requests));
        keepers.insert(item.to_owned(), Keeping { mailbox: mailbox.clone(), fence });
        Ok(mailbox)
    }
}

/// One item's stock. Loaded from the store when the keeper starts.
struct Keeper {
    item: String,
    store: Store,
    faults: Option<Arc<StockFaultHook>>,
    clock: Clock,
    /// Clustering: the item's shard and the token the keeper started under.
    fence: Option<Fence>,
    loaded: bool,
    /// Purchase -> buyer of each unit sold.
    sold: BTreeMap<i64, UserId>,
    held: BTreeMap<i64, Reservation>,
    released: BTreeSet<i64>,
}

impl Keeper {
    fn new(
        item: String,
        store: Store,
        faults: Option<Arc<StockFaultHook>>,
        clock: Clock,
        fence: Option<Fence>,
    ) -> Keeper {
        Keeper {
            item,
            store,
            faults,
            clock,
            fence,
            loaded: false,
            sold: BTreeMap::new(),
            held: BTreeMap::new(),
            released: BTreeSet::new(),
        }
    }

    async fn run(mut self, mut requests: mpsc::UnboundedReceiver<Request>) {
        while let Some(request) = requests.recv().await {
            // A keeper whose shard moved (or was fenced) holds a view that
            // may be stale: the request goes to the shard's owner instead.
            if self.fence.as_ref().is_some_and(|fence| !fence.current()) {
                answer_error(request, StockError::Unavailable);
                continue;
            }
            // A keeper that cannot load answers every request with the
            // error, and tries again with the next one.
            if let Err(err) = self.load().await {
                tracing::error!(item = %self.item, error = %err, "loading stock failed");
                answer_error(request, err);
                continue;
            }
            match request {
                Request::Reserve { reservation, stock, reply } => {
                    let _ = reply.send(self.reserve(reservation, stock).await);
                }
                Request::Sell { purchase, user, stock, reply } => {
                    let _ = reply.send(self.sell(purchase, user, stock).await);
                }
                Request::Release { purchase, reply } => {
                    let _ = reply.send(self.release(purchase).await);
                }
                Request::Left { stock, reply } => {
                    let _ = reply.send(Ok(self.left(stock, self.clock.now())));
                }
            }
        }
    }

    async fn load(&mut self) -> Result<(), StockError> {
        if self.loaded {
            return Ok(());
        }
        for (reservation, status) in self.store.load_stock(&self.item).await? {
            match status {
                ReservationStatus::Reserved => {
                    self.held.insert(reservation.purchase, reservation);
                }
                ReservationStatus::Sold => {
                    self.sold.insert(reservation.purchase, reservation.user);
                }
                ReservationStatus::Released => {
                    self.released.insert(reservation.purchase);
                }
            }
        }
        self.loaded = true;
        Ok(())
    }

    /// Units neither sold nor held by a live reservation.
    fn left(&self, stock: u32, now: i64) -> u32 {
        let live = self.held.values().filter(|held| held.expires_at.is_none_or(|at| at > now)).count();
        (u64::from(stock)).saturating_sub(self.sold.len() as u64 + live as u64) as u32
    }

    async fn reserve(&mut self, reservation: Reservation, stock: u32) -> Result<(), StockError> {
        let purchase = reservation.purchase;
        if self.held.contains_key(&purchase) || self.sold.contains_key(&purchase) {
            return Ok(());
        }
        if self.released.contains(&purchase) {
            return Err(StockError::Released);
        }
        let now = self.clock.now();
        if self.left(stock, now) == 0 {
            return Err(StockError::SoldOut);
        }
        self.write(StockStep::Reserve, &reservation, ReservationStatus::Reserved).await?;
        self.held.insert(purchase, reservation);
        self.fault(StockStep::Reserve, StockFaultPoint::AfterWrite, purchase)
    }

    async fn sell(&mut self, purchase: i64, user: UserId, stock: u32) -> Result<(), StockError> {
        if self.sold.contains_key(&purchase) {
            return Ok(());
        }
        let reservation = match self.held.get(&purchase) {
            Some(held) => *held,
            // Lapsed or never made: sell only from what is left.
            None if self.left(stock, self.clock.now()) > 0 => Reservation { purchase, user, expires_at: None },
            None => return Err(StockError::SoldOut),
        };
        self.write(StockStep::Sell, &reservation, ReservationStatus::Sold).await?;
        self.held.remove(&purchase);
        self.released.remove(&purchase);
        self.sold.insert(purchase, user);
        self.fault(StockStep::Sell, StockFaultPoint::AfterWrite, purchase)
    }

    async fn release(&mut self, purchase: i64) -> Result<(), StockError> {
        let reservation = match self.held.get(&purchase) {
            Some(held) => *held,
            // A sold unit comes back when its purchase is refunded.
            None => match self.sold.get(&purchase) {
                Some(&user) => Reservation { purchase, user, expires_at: None },
                None => return Ok(()),
            },
        };
        self.write(StockStep::Release, &reservation, ReservationStatus::Released).await?;
        self.held.remove(&purchase);
        self.sold.remove(&purchase);
        self.released.insert(purchase);
        self.fault(StockStep::Release, StockFaultPoint::AfterWrite, purchase)
    }

    async fn write(
        &self,
        step: StockStep,
        reservation: &Reservation,
        status: ReservationStatus,
    ) -> Result<(), StockError> {
        self.fault(step, StockFaultPoint::BeforeWrite, reservation.purchase)?;
        let claim = self.fence.as_ref().map(Fence::claim);
        let written = self.store.put_reservation(&self.item, reservation, status, self.clock.now(), claim).await;
        if let (Err(StoreError::Fenced { .. }), Some(fence)) = (&written, &self.fence) {
            fence.fenced();
        }
        Ok(written?)
    }

    fn fault(&self, step: StockStep, point: StockFaultPoint, purchase: i64) -> Result<(), StockError> {
        match &self.faults {
            Some(hook) if hook(step, point, purchase) => Err(StockError::Injected),
            _ => Ok(()),
        }
    }
}

fn answer_error(request: Request, err: StockError) {
    match request {
        Request::Reserve { reply, .. } | Request::Sell { reply, .. } | Request::Release { reply, .. } => {
            let _ = reply.send(Err(err));
        }
        Request::Left { reply, .. } => {
            let _ = reply.send(Err(err));
        }
    }
}
