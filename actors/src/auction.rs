//! Auctions: one actor per open auction, and the house that activates them
//! and runs the bid saga between a bidder's actor and an auction's actor.
//!
//! A bid is three messages, each durable before the next:
//! 1. the bidder's actor *holds* the besitos in the auction's escrow
//!    (ledger debit and escrow saga-log row in one commit);
//! 2. the auction's actor *accepts or refuses* the bid and writes its new
//!    state through to the store before answering — bids of one auction are
//!    serialised by its mailbox;
//! 3. the bidder's actor *releases* the hold if the bid was refused, or the
//!    outbid bidder's actor releases theirs (the outbid refund), at once.
//!
//! At `ends_at` the auction's actor closes it and settles: the winner's hold
//! is consumed and the item granted, in one commit of the winner's actor.
//! Every step is idempotent by (auction, bid id), so steps that crash are
//! retried, and [`AuctionHouse::recover`] finishes at startup whatever a
//! crash left: holds that are not an auction's top bid are released, a
//! closed auction's winning hold is consumed.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix::{
    Actor, ActorContext, ActorFutureExt, Addr, Arbiter, AsyncContext, AtomicResponse, Context, Handler, Message,
    WrapFuture,
};
use dianabot_game::auction::{Accepted, Auction, AuctionSpec, AuctionStatus};
use dianabot_game::{AuctionCommand, Besitos, Command, RuleError, UpdateId, UserId};
use dianabot_persistence::{HeldBid, Store, StoreError};
use dianabot_plumbing::{Backoff, retry_forever};
use tokio::sync::Mutex;
use tracing::Instrument;

use crate::message::{DispatchError, Outcome};
use crate::saga::Coordinator;

/// Something a player should hear about without having asked: sent to the
/// [`Notifier`] once the change is durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuctionNotice {
    /// Someone bid higher; the player's `refunded` besitos are back.
    Outbid { user: UserId, auction: Auction, refunded: i64 },
    /// The player won `auction` (its top bid is theirs) and holds the item.
    Won { user: UserId, auction: Auction },
    /// An operator cancelled the auction; the player's bid came back.
    Refunded { user: UserId, auction: Auction, amount: i64 },
}

/// Where notices go (the Telegram side sends them as messages).
pub type Notifier = Arc<dyn Fn(AuctionNotice) + Send + Sync>;

/// What became of a bid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BidOutcome {
    /// The bid is on top; `auction` is the auction just after it.
    Accepted { auction: Auction, extended: bool },
    /// Nothing is held any more (or nothing ever was): the bidder's own
    /// rules refused the hold, or the auction refused the bid and the hold
    /// was released.
    Refused(RuleError),
}

#[derive(Debug, thiserror::Error)]
pub enum AuctionError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Dispatch(#[from] DispatchError),
}

/// What auction actors share with the house.
struct Deps {
    coordinator: Coordinator,
    store: Store,
    notify: Notifier,
    /// Auction actors live on one arbiter thread; their store queries and
    /// saga steps run on the multi-threaded runtime, like user actors'.
    io: tokio::runtime::Handle,
}

/// The registry of auction actors: activates one per open auction (at
/// startup, on creation, or on the first bid after a restart) and runs bids.
/// Cheap to clone.
#[derive(Clone)]
pub struct AuctionHouse {
    inner: Arc<House>,
}

struct House {
    deps: Arc<Deps>,
    arbiter: Arbiter,
    /// Held while activating, so an auction never gets two actors.
    actors: Mutex<HashMap<i64, Addr<AuctionActor>>>,
}

impl AuctionHouse {
    /// Must be called from within an actix `System` on a tokio runtime.
    pub fn start(coordinator: Coordinator, notify: Notifier) -> AuctionHouse {
        let store = coordinator.store().clone();
        let deps = Arc::new(Deps { coordinator, store, notify, io: tokio::runtime::Handle::current() });
        let house = House { deps, arbiter: Arbiter::new(), actors: Mutex::new(HashMap::new()) };
        AuctionHouse { inner: Arc::new(house) }
    }

    fn deps(&self) -> &Deps {
        &self.inner.deps
    }

    /// Opens the auction an operator's update asks for, with an id of the
    /// server's own. The auction row remembers the update, so a re-delivered
    /// creation finds the auction it made and changes nothing.
    pub async fn create_for_update(
        &self,
        update: UpdateId,
        spec: AuctionSpec,
    ) -> Result<Result<Auction, RuleError>, AuctionError> {
        if let Some(made) = self.deps().store.auction_created_by(update.fingerprint()).await? {
            return Ok(Ok(made));
        }
        let id = self.deps().coordinator.next_id().await?;
        self.open(id, spec, Some(update)).await
    }

    /// Opens auction `id` (unique; a second creation with the same id finds
    /// the auction it made and changes nothing).
    pub async fn create(&self, id: i64, spec: AuctionSpec) -> Result<Result<Auction, RuleError>, AuctionError> {
        self.open(id, spec, None).await
    }

    async fn open(
        &self,
        id: i64,
        spec: AuctionSpec,
        update: Option<UpdateId>,
    ) -> Result<Result<Auction, RuleError>, AuctionError> {
        let content = self.deps().coordinator.router().content();
        let now = self.deps().coordinator.router().clock().now();
        let auction = match Auction::open(id, spec, &content, now) {
            Ok(auction) => auction,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let store = &self.deps().store;
        if !store.insert_auction_for(&auction, update.map(UpdateId::fingerprint)).await? {
            let made = match update {
                Some(update) => store.auction_created_by(update.fingerprint()).await?,
                None => store.load_auction(id).await?,
            };
            return Ok(made.ok_or(RuleError::UnknownAuction));
        }
        tracing::info!(auction = id, item = %auction.item, ends_at = auction.ends_at, "auction opened");
        Ok(self.activate(id).await?.map(|_| auction))
    }

    /// One auction as it stands (written through, so the store is current).
    pub async fn auction(&self, id: i64) -> Result<Option<Auction>, AuctionError> {
        Ok(self.deps().store.load_auction(id).await?)
    }

    /// The auctions taking bids, oldest first.
    pub async fn open_auctions(&self) -> Result<Vec<Auction>, AuctionError> {
        Ok(self.deps().store.auctions(AuctionStatus::Open).await?)
    }

    /// The bid saga: `bidder` offers `amount` on `auction` as bid `bid`
    /// (unique: [`Coordinator::next_id`]).
    pub async fn bid(
        &self,
        bidder: UserId,
        auction: i64,
        amount: Besitos,
        bid: i64,
        update_id: Option<UpdateId>,
    ) -> Result<BidOutcome, AuctionError> {
        let span = tracing::info_span!("bid", bidder = %bidder, auction, bid, amount = amount.get());
        self.bid_saga(bidder, auction, amount, bid, update_id).instrument(span).await
    }

    async fn bid_saga(
        &self,
        bidder: UserId,
        auction: i64,
        amount: Besitos,
        bid: i64,
        update_id: Option<UpdateId>,
    ) -> Result<BidOutcome, AuctionError> {
        // An auction that cannot take bids refuses before anything is held.
        let actor = match self.activate(auction).await? {
            Ok(actor) => actor,
            Err(refusal) => return Ok(BidOutcome::Refused(refusal)),
        };
        let coordinator = &self.deps().coordinator;
        let hold = Command::Auction(AuctionCommand::HoldBid { auction, bid, amount });
        let held = coordinator
            .retried(|| {
                // Held means held *now*: a re-delivered bid whose hold a
                // recovery already released must not reach the auction. A
                // re-delivery (whose own id holds nothing) goes on with the
                // hold of the same amount its first delivery made.
                coordinator.step_with(bidder, update_id, hold.clone(), move |state, outcome| match outcome {
                    Outcome::Refused(refusal) => Err(refusal.clone()),
                    _ if state.progress.holds.contains_key(&(auction, bid)) => Ok(bid),
                    _ => state
                        .progress
                        .holds
                        .iter()
                        .find(|((on, _), held)| *on == auction && **held == amount.get())
                        .map(|(&(_, held_bid), _)| held_bid)
                        .ok_or(RuleError::NoSuchHold),
                })
            })
            .await?;
        let bid = match held {
            Ok(bid) => bid,
            Err(refusal) => return Ok(BidOutcome::Refused(refusal)),
        };
        let placed = match actor.send(PlaceBid { bidder, bid, amount }).await {
            Ok(placed) => placed,
            // The actor stopped between activation and now: it closed or
            // was cancelled; the store says which.
            Err(_) => Err(self.refusal_of_stopped(auction).await?),
        };
        match placed {
            Ok((accepted, auction)) => {
                if let Some(outbid) = accepted.outbid.filter(|outbid| outbid.bid != bid) {
                    let release =
                        Command::Auction(AuctionCommand::ReleaseHold { auction: auction.id, bid: outbid.bid });
                    match coordinator.step_retried(outbid.bidder, release).await {
                        Ok(_) => (self.deps().notify)(AuctionNotice::Outbid {
                            user: outbid.bidder,
                            auction: auction.clone(),
                            refunded: outbid.amount,
                        }),
                        Err(err) => tracing::error!(error = %err, "outbid hold left held; recovery will release it"),
                    }
                }
                Ok(BidOutcome::Accepted { auction, extended: accepted.extended })
            }
            Err(refusal) => {
                if let Err(err) = coordinator
                    .step_retried(bidder, Command::Auction(AuctionCommand::ReleaseHold { auction, bid }))
                    .await
                {
                    tracing::error!(error = %err, "refused bid left held; recovery will release it");
                }
                Ok(BidOutcome::Refused(refusal))
            }
        }
    }

    /// An operator calls auction `id` off: every bid held comes back.
    /// Returns how many holds were released.
    pub async fn cancel(&self, id: i64) -> Result<Result<usize, RuleError>, AuctionError> {
        let actor = match self.activate(id).await? {
            Ok(actor) => actor,
            Err(refusal) => return Ok(Err(refusal)),
        };
        match actor.send(Cancel).await {
            Ok(released) => Ok(released),
            Err(_) => Ok(Err(self.refusal_of_stopped(id).await?)),
        }
    }

    /// Finishes what a crash left: holds that are not an auction's top bid
    /// are released, a closed auction's winning hold is consumed, and every
    /// open auction gets its actor (which closes it at once if it is due).
    /// Run at startup, before intake. Returns how many holds it settled.
    pub async fn recover(&self) -> Result<usize, AuctionError> {
        let deps = self.deps();
        let mut auctions: HashMap<i64, Option<Auction>> = HashMap::new();
        let mut settled = 0;
        for held in deps.store.held_bids(None).await? {
            let auction = match auctions.get(&held.auction) {
                Some(auction) => auction.clone(),
                None => {
                    let auction = deps.store.load_auction(held.auction).await?;
                    auctions.insert(held.auction, auction.clone());
                    auction
                }
            };
            let top = auction.as_ref().and_then(|auction| auction.top.filter(|top| top.bid == held.bid));
            match auction {
                Some(auction) if top.is_some() && auction.status == AuctionStatus::Open => continue,
                Some(auction) if top.is_some() && auction.status == AuctionStatus::Closed => {
                    deps.settle_winner(&auction).await;
                }
                _ => deps.release(&held).await,
            }
            settled += 1;
        }
        for auction in deps.store.auctions(AuctionStatus::Open).await? {
            // Open in the store, so it activates; a due one closes at once.
            let _actor = self.activate(auction.id).await?;
        }
        Ok(settled)
    }

    /// The actor of an open auction, started if needed; or why it takes no
    /// bids.
    async fn activate(&self, id: i64) -> Result<Result<Addr<AuctionActor>, RuleError>, AuctionError> {
        let mut actors = self.inner.actors.lock().await;
        if let Some(actor) = actors.get(&id).filter(|actor| actor.connected()) {
            return Ok(Ok(actor.clone()));
        }
        actors.remove(&id);
        let auction = match self.deps().store.load_auction(id).await? {
            None => return Ok(Err(RuleError::UnknownAuction)),
            Some(auction) => auction,
        };
        if let Err(refusal) = refusal_of(&auction) {
            return Ok(Err(refusal));
        }
        let deps = self.inner.deps.clone();
        let actor =
            AuctionActor::start_in_arbiter(&self.inner.arbiter.handle(), move |_| AuctionActor { auction, deps });
        actors.insert(id, actor.clone());
        Ok(Ok(actor))
    }

    async fn refusal_of_stopped(&self, id: i64) -> Result<RuleError, AuctionError> {
        let auction = self.deps().store.load_auction(id).await?;
        Ok(auction.map_or(RuleError::UnknownAuction, |auction| {
            refusal_of(&auction).err().unwrap_or(RuleError::AuctionClosed)
        }))
    }
}

/// Why `auction` takes no bids, if it does not.
fn refusal_of(auction: &Auction) -> Result<(), RuleError> {
    match auction.status {
        AuctionStatus::Open => Ok(()),
        AuctionStatus::Closed => Err(RuleError::AuctionClosed),
        AuctionStatus::Cancelled => Err(RuleError::AuctionCancelled),
    }
}

impl Deps {
    /// Writes the auction through, retrying until the store takes it: an
    /// auction never answers with a state that is not durable.
    async fn persist(&self, auction: &Auction) {
        retry_forever(
            Backoff::STORE,
            || self.store.save_auction(auction),
            |err, _| tracing::error!(auction = auction.id, error = %err, "saving the auction failed; retrying"),
        )
        .await;
    }

    /// Gives a held bid back to its bidder.
    async fn release(&self, held: &HeldBid) {
        let release = Command::Auction(AuctionCommand::ReleaseHold { auction: held.auction, bid: held.bid });
        if let Err(err) = self.coordinator.step_retried(held.user, release).await {
            tracing::error!(auction = held.auction, bid = held.bid, error = %err, "hold not released; recovery will");
        }
    }

    /// Releases every hold of `auction` but the top bid's.
    async fn release_all_but_top(&self, auction: &Auction, notify: bool) -> Result<usize, StoreError> {
        let top = auction.top.map(|top| top.bid);
        let mut released = 0;
        for held in self.store.held_bids(Some(auction.id)).await? {
            if Some(held.bid) == top && auction.status == AuctionStatus::Closed {
                continue;
            }
            self.release(&held).await;
            released += 1;
            if notify {
                let notice = AuctionNotice::Refunded { user: held.user, auction: auction.clone(), amount: held.amount };
                (self.notify)(notice);
            }
        }
        Ok(released)
    }

    /// The winner of closed `auction` pays from escrow and gets the item.
    async fn settle_winner(&self, auction: &Auction) {
        let Some(top) = auction.top else { return };
        let consume = Command::Auction(AuctionCommand::ConsumeHold {
            auction: auction.id,
            bid: top.bid,
            item: auction.item.clone(),
            quantity: auction.quantity,
        });
        match self.coordinator.step_retried(top.bidder, consume).await {
            Ok(Ok(_)) => (self.notify)(AuctionNotice::Won { user: top.bidder, auction: auction.clone() }),
            Ok(Err(refusal)) => {
                tracing::error!(auction = auction.id, %refusal, "the winner's hold could not be consumed")
            }
            Err(err) => tracing::error!(auction = auction.id, error = %err, "winner not settled; recovery will"),
        }
    }
}

/// The actor of one open auction. Its mailbox serialises bids, the close
/// and a cancellation; it answers only once its new state is durable, and
/// stops once the auction is closed and settled, or cancelled.
struct AuctionActor {
    auction: Auction,
    deps: Arc<Deps>,
}

impl AuctionActor {
    /// Wakes at `ends_at` (which bids may have pushed later since).
    fn schedule_close(&self, ctx: &mut Context<Self>) {
        let now_ms = self.deps.coordinator.router().clock().now_millis();
        let ends_ms = u64::try_from(self.auction.ends_at).unwrap_or(0).saturating_mul(1000);
        let delay = Duration::from_millis(ends_ms.saturating_sub(now_ms));
        ctx.run_later(delay, |actor, ctx| actor.close_if_due(ctx));
    }

    fn close_if_due(&mut self, ctx: &mut Context<Self>) {
        let mut closed = self.auction.clone();
        match closed.close(self.deps.coordinator.router().clock().now()) {
            Ok(_) => {}
            Err(RuleError::AuctionRunning { .. }) => return self.schedule_close(ctx),
            Err(_) => return,
        }
        let deps = self.deps.clone();
        let settle = async move {
            deps.persist(&closed).await;
            tracing::info!(auction = closed.id, winner = ?closed.top.map(|top| top.bidder), "auction closed");
            deps.settle_winner(&closed).await;
            if let Err(err) = deps.release_all_but_top(&closed, false).await {
                tracing::error!(auction = closed.id, error = %err, "listing holds failed; recovery will release them");
            }
            closed
        };
        let settling = self.deps.io.spawn(settle);
        ctx.wait(settling.into_actor(self).map(|closed, actor, ctx| {
            if let Ok(closed) = closed {
                actor.auction = closed;
            }
            ctx.stop();
        }));
    }
}

impl Actor for AuctionActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.schedule_close(ctx);
    }
}

/// A bid whose besitos are already held in escrow.
struct PlaceBid {
    bidder: UserId,
    bid: i64,
    amount: Besitos,
}

impl Message for PlaceBid {
    type Result = Result<(Accepted, Auction), RuleError>;
}

impl Handler<PlaceBid> for AuctionActor {
    type Result = AtomicResponse<Self, Result<(Accepted, Auction), RuleError>>;

    fn handle(&mut self, bid: PlaceBid, _: &mut Context<Self>) -> Self::Result {
        let mut next = self.auction.clone();
        let accepted = match next.accept(bid.bidder, bid.bid, bid.amount, self.deps.coordinator.router().clock().now())
        {
            Ok(accepted) => accepted,
            Err(refusal) => return AtomicResponse::new(Box::pin(actix::fut::ready(Err(refusal)))),
        };
        let (deps, saved) = (self.deps.clone(), next.clone());
        let persisting = self.deps.io.spawn(async move { deps.persist(&saved).await });
        AtomicResponse::new(Box::pin(persisting.into_actor(self).map(move |persisted, actor, _| {
            // The persisting task only ends by succeeding; a join error is
            // the runtime shutting down, and then nothing was accepted.
            persisted.map_err(|_| RuleError::AuctionClosed)?;
            actor.auction = next.clone();
            Ok((accepted, next))
        })))
    }
}

/// An operator calls the auction off.
struct Cancel;

impl Message for Cancel {
    type Result = Result<usize, RuleError>;
}

impl Handler<Cancel> for AuctionActor {
    type Result = AtomicResponse<Self, Result<usize, RuleError>>;

    fn handle(&mut self, _: Cancel, _: &mut Context<Self>) -> Self::Result {
        let mut cancelled = self.auction.clone();
        if let Err(refusal) = cancelled.cancel() {
            return AtomicResponse::new(Box::pin(actix::fut::ready(Err(refusal))));
        }
        let deps = self.deps.clone();
        let refunding = self.deps.io.spawn(async move {
            deps.persist(&cancelled).await;
            tracing::info!(auction = cancelled.id, "auction cancelled");
            let released = deps.release_all_but_top(&cancelled, true).await;
            (cancelled, released)
        });
        AtomicResponse::new(Box::pin(refunding.into_actor(self).map(|done, actor, ctx| {
            ctx.stop();
            // The task only fails to join when the runtime shuts down; the
            // store then still says open or cancelled, and recovery acts.
            let (cancelled, released) = done.map_err(|_| RuleError::AuctionCancelled)?;
            actor.auction = cancelled;
            Ok(released.unwrap_or_else(|err| {
                tracing::error!(error = %err, "listing holds failed; recovery will release them");
                0
            }))
        })))
    }
}
