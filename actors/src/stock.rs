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

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use dianabot_game::{RuleError, UserId};
use dianabot_persistence::{Reservation, ReservationStatus, Store, StoreError};
use dianabot_plumbing::Clock;
use tokio::sync::{mpsc, oneshot};

use crate::config::{StockFaultHook, StockFaultPoint, StockStep};
use crate::message::Transient;

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
}

impl Transient for StockError {
    /// The store or an injected fault may pass next time; an answer (sold
    /// out, released) or a stopped keeper will not.
    fn is_transient(&self) -> bool {
        matches!(self, StockError::Store(_) | StockError::Injected)
    }
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
    keepers: Mutex<HashMap<String, mpsc::UnboundedSender<Request>>>,
    faults: Option<Arc<StockFaultHook>>,
    clock: Clock,
}

impl StockKeepers {
    pub fn new(store: Store, faults: Option<Arc<StockFaultHook>>, clock: Clock) -> StockKeepers {
        StockKeepers { inner: Arc::new(Inner { store, keepers: Mutex::default(), faults, clock }) }
    }

    /// Holds a unit of `item` (of `stock` in total) for a purchase.
    pub async fn reserve(&self, item: &str, stock: u32, reservation: Reservation) -> Result<(), StockError> {
        self.ask(item, |reply| Request::Reserve { reservation, stock, reply }).await?
    }

    /// The purchase's unit is sold. A reservation that lapsed is taken
    /// again if a unit is left.
    pub async fn sell(&self, item: &str, stock: u32, purchase: i64, user: UserId) -> Result<(), StockError> {
        self.ask(item, |reply| Request::Sell { purchase, user, stock, reply }).await?
    }

    /// The purchase's unit goes back on the shelf (a failed or refunded
    /// purchase).
    pub async fn release(&self, item: &str, purchase: i64) -> Result<(), StockError> {
        self.ask(item, |reply| Request::Release { purchase, reply }).await?
    }

    /// Units neither sold nor reserved.
    pub async fn left(&self, item: &str, stock: u32) -> Result<u32, StockError> {
        self.ask(item, |reply| Request::Left { stock, reply }).await?
    }

    async fn ask<T>(&self, item: &str, request: impl FnOnce(oneshot::Sender<T>) -> Request) -> Result<T, StockError> {
        let (reply, answer) = oneshot::channel();
        self.mailbox(item).send(request(reply)).map_err(|_| StockError::Stopped)?;
        answer.await.map_err(|_| StockError::Stopped)
    }

    /// The keeper of `item`, started on first use.
    fn mailbox(&self, item: &str) -> mpsc::UnboundedSender<Request> {
        let mut keepers = self.inner.keepers.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(mailbox) = keepers.get(item).filter(|mailbox| !mailbox.is_closed()) {
            return mailbox.clone();
        }
        let (mailbox, requests) = mpsc::unbounded_channel();
        let inner = &self.inner;
        let keeper = Keeper::new(item.to_owned(), inner.store.clone(), inner.faults.clone(), inner.clock.clone());
        tokio::spawn(keeper.run(requests));
        keepers.insert(item.to_owned(), mailbox.clone());
        mailbox
    }
}

/// One item's stock. Loaded from the store when the keeper starts.
struct Keeper {
    item: String,
    store: Store,
    faults: Option<Arc<StockFaultHook>>,
    clock: Clock,
    loaded: bool,
    /// Purchase -> buyer of each unit sold.
    sold: BTreeMap<i64, UserId>,
    held: BTreeMap<i64, Reservation>,
    released: BTreeSet<i64>,
}

impl Keeper {
    fn new(item: String, store: Store, faults: Option<Arc<StockFaultHook>>, clock: Clock) -> Keeper {
        Keeper {
            item,
            store,
            faults,
            clock,
            loaded: false,
            sold: BTreeMap::new(),
            held: BTreeMap::new(),
            released: BTreeSet::new(),
        }
    }

    async fn run(mut self, mut requests: mpsc::UnboundedReceiver<Request>) {
        while let Some(request) = requests.recv().await {
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
        self.store.put_reservation(&self.item, reservation, status, self.clock.now()).await?;
        Ok(())
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
