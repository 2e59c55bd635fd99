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
//!
//! Clustering: an auction's actor lives on the node serving the shard of
//! the auction's id ([`Ownership::shard_of`]). Creations, placed bids and
//! cancellations on other nodes go there ([`RemoteAuctions`]); a bid's
//! hold and releases are the bidder's steps, routed as any step. Reads
//! (one auction, the open ones) read the store, which the actors write
//! through. The actor's writes are fenced by the token it started under.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use actix::{
    Actor, ActorContext, ActorFutureExt, Addr, Arbiter, AsyncContext, AtomicResponse, Context, Handler, Message,
    WrapFuture,
};
use dianabot_game::auction::{Accepted, Auction, AuctionSpec, AuctionStatus};
use dianabot_game::{AuctionCommand, Besitos, Command, RuleError, UpdateId, UserId};
use dianabot_persistence::{HeldBid, Store, StoreError};
use dianabot_plumbing::shards::Ownership;
use dianabot_plumbing::{Backoff, retry_while};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use tracing::Instrument;

use crate::message::{DispatchError, Outcome};
use crate::placement::{Fence, Placed};
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

// cluster-placed
/// A request to an auction's actor on the node serving its shard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuctionCall {
    Open {
        id: i64,
        spec: AuctionSpec,
        update: Option<UpdateId>,
    },
    /// A bid whose besitos are held already.
    Bid {
        auction: i64,
        bidder: UserId,
        bid: i64,
        amount: Besitos,
    },
    Cancel {
        auction: i64,
    },
}

/// The auction actor's answer to an [`AuctionCall`] of the same name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuctionAnswer {
    Opened(Result<Auction, RuleError>),
    Placed(Result<(Accepted, Auction), RuleError>),
    Cancelled(Result<usize, RuleError>),
}

/// Carries an [`AuctionCall`] to the node serving `shard`, which answers
/// it with [`AuctionHouse::answer`]. No answer is
/// `AuctionError::Dispatch(DispatchError::Unreachable)`: whether the actor
/// acted is unknown, so the update stays unacknowledged. The binary
/// implements it over the cluster's bus.
pub trait RemoteAuctions: Send + Sync + 'static {
    fn call(
        &self,
        shard: u32,
        call: AuctionCall,
    ) -> Pin<Box<dyn Future<Output = Result<AuctionAnswer, AuctionError>> + Send + '_>>;
}

/// An answer of another kind than the call's: only a different build.
fn mismatched(answer: &AuctionAnswer) -> AuctionError {
    tracing::error!(?answer, "an auction call answered with another kind");
    AuctionError::Dispatch(DispatchError::Unreachable)
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
    /// Held while activating, so an auction never gets two actors. With
    /// clustering, each with the fence it writes under.
    actors: Mutex<HashMap<i64, Running>>,
    // cluster-placed
    /// `None` without clustering: every auction's actor is here.
    placed: Option<Placed<dyn RemoteAuctions>>,
}

/// An auction's actor and (clustering) the fence it writes under.
type Running = (Addr<AuctionActor>, Option<Fence>);

impl AuctionHouse {
    /// Must be called from within an actix `System` on a tokio runtime.
    pub fn start(coordinator: Coordinator, notify: Notifier) -> AuctionHouse {
        AuctionHouse::start_placed(coordinator, notify, None)
    }

    // cluster-placed
    /// [`AuctionHouse::start`] with the actors placed by the shard of their
    /// auction's id: those of shards this node does not serve are reached
    /// through the remote.
    pub fn start_placed(
        coordinator: Coordinator,
        notify: Notifier,
        placed: Option<(Arc<Ownership>, Arc<dyn RemoteAuctions>)>,
    ) -> AuctionHouse {
        let store = coordinator.store().clone();
        let deps = Arc::new(Deps { coordinator, store, notify, io: tokio::runtime::Handle::current() });
        let placed = placed.map(|(ownership, remote)| Placed { ownership, remote });
        let house = House { deps, arbiter: Arbiter::new(), actors: Mutex::new(HashMap::new()), placed };
        AuctionHouse { inner: Arc::new(house) }
    }

    // cluster-placed
    /// The shard of auction `id`'s actor when another node serves it.
    fn elsewhere(&self, id: i64) -> Option<u32> {
        let placed = self.inner.placed.as_ref()?;
        placed.elsewhere(placed.ownership.shard_of(id))
    }

    async fn forward(&self, shard: u32, call: AuctionCall) -> Result<AuctionAnswer, AuctionError> {
        let placed = self.inner.placed.as_ref().ok_or(AuctionError::Dispatch(DispatchError::NotOwned))?;
        placed.remote.call(shard, call).await
    }

    /// Runs a call another node carried here on this node's actor (never
    /// forwarded again; an auction of a shard not served here is
    /// `NotOwned`). An error is no answer.
    pub async fn answer(&self, call: AuctionCall) -> Result<AuctionAnswer, AuctionError> {
        Ok(match call {
            AuctionCall::Open { id, spec, update } => AuctionAnswer::Opened(self.open_here(id, spec, update).await?),
            AuctionCall::Bid { auction, bidder, bid, amount } => {
                AuctionAnswer::Placed(self.place_here(auction, bidder, bid, amount).await?)
            }
            AuctionCall::Cancel { auction } => AuctionAnswer::Cancelled(self.cancel_here(auction).await?),
        })
    }

    /// Stops the actors placed on `shards` (this node stopped serving
    /// them) once they finish what they are doing: the next owner starts
    /// its own from the store.
    pub async fn forget(&self, shards: &HashSet<u32>) {
        let Some(placed) = &self.inner.placed else { return };
        let mut actors = self.inner.actors.lock().await;
        actors.retain(|id, (actor, _)| {
            let keep = !shards.contains(&placed.ownership.shard_of(*id));
            if !keep {
                actor.do_send(Retire);
            }
            keep
        });
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
        if let Some(shard) = self.elsewhere(id) {
            return match self.forward(shard, AuctionCall::Open { id, spec, update }).await? {
                AuctionAnswer::Opened(opened) => Ok(opened),
                answer => Err(mismatched(&answer)),
            };
        }
        self.open_here(id, spec, update).await
    }

    async fn open_here(
        &self,
        id: i64,
        spec: AuctionSpec,
        update: Option<UpdateId>,
    ) -> Result<Result<Auction, RuleError>, AuctionError> {
        let fence = self.fence(id)?;
        let content = self.deps().coordinator.router().content();
        let now = self.deps().coordinator.router().clock().now();
        let auction = match Auction::open(id, spec, &content, now) {
            Ok(auction) => auction,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let store = &self.deps().store;
        let claim = fence.as_ref().map(Fence::claim);
        let inserted = store.insert_auction_for(&auction, update.map(UpdateId::fingerprint), claim).await;
        if let (Err(StoreError::Fenced { .. }), Some(fence)) = (&inserted, &fence) {
            fence.fenced();
        }
        if !inserted? {
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
        // An auction that cannot take bids refuses before anything is held
        // (one placed elsewhere: as the store says, written through).
        let actor = match self.elsewhere(auction) {
            None => match self.activate(auction).await? {
                Ok(actor) => Some(actor),
                Err(refusal) => return Ok(BidOutcome::Refused(refusal)),
            },
            Some(_) => match self.deps().store.load_auction(auction).await?.as_ref().map(refusal_of) {
                None => return Ok(BidOutcome::Refused(RuleError::UnknownAuction)),
                Some(Err(refusal)) => return Ok(BidOutcome::Refused(refusal)),
                Some(Ok(())) => None,
            },
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
        // No answer from the auction's node leaves the hold: the update is
        // delivered again and goes on with it (accepting the same bid again
        // changes nothing), or recovery releases it.
        let placed = match (actor, self.elsewhere(auction)) {
            (Some(actor), _) => self.place_on(&actor, auction, bidder, bid, amount).await?,
            (None, Some(shard)) => {
                match self.forward(shard, AuctionCall::Bid { auction, bidder, bid, amount }).await? {
                    AuctionAnswer::Placed(placed) => placed,
                    answer => return Err(mismatched(&answer)),
                }
            }
            // The shard came here since: its actor runs here now.
            (None, None) => self.place_here(auction, bidder, bid, amount).await?,
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

    /// Places a held bid on auction `auction`'s actor here.
    async fn place_here(
        &self,
        auction: i64,
        bidder: UserId,
        bid: i64,
        amount: Besitos,
    ) -> Result<Result<(Accepted, Auction), RuleError>, AuctionError> {
        match self.activate(auction).await? {
            Ok(actor) => self.place_on(&actor, auction, bidder, bid, amount).await,
            Err(refusal) => Ok(Err(refusal)),
        }
    }

    async fn place_on(
        &self,
        actor: &Addr<AuctionActor>,
        auction: i64,
        bidder: UserId,
        bid: i64,
        amount: Besitos,
    ) -> Result<Result<(Accepted, Auction), RuleError>, AuctionError> {
        match actor.send(PlaceBid { bidder, bid, amount }).await {
            Ok(placed) => Ok(placed?),
            // The actor stopped between activation and now: it closed or
            // was cancelled (the store says which), or its shard moved.
            Err(_) => Ok(Err(self.refusal_of_stopped(auction).await?)),
        }
    }

    /// An operator calls auction `id` off: every bid held comes back.
    /// Returns how many holds were released.
    pub async fn cancel(&self, id: i64) -> Result<Result<usize, RuleError>, AuctionError> {
        if let Some(shard) = self.elsewhere(id) {
            return match self.forward(shard, AuctionCall::Cancel { auction: id }).await? {
                AuctionAnswer::Cancelled(cancelled) => Ok(cancelled),
                answer => Err(mismatched(&answer)),
            };
        }
        self.cancel_here(id).await
    }

    async fn cancel_here(&self, id: i64) -> Result<Result<usize, RuleError>, AuctionError> {
        let actor = match self.activate(id).await? {
            Ok(actor) => actor,
            Err(refusal) => return Ok(Err(refusal)),
        };
        match actor.send(Cancel).await {
            Ok(released) => Ok(released?),
            Err(_) => Ok(Err(self.refusal_of_stopped(id).await?)),
        }
    }

    /// Finishes what a crash left: holds that are not an auction's top bid
    /// are released, a closed auction's winning hold is consumed, and every
    /// open auction gets its actor (which closes it at once if it is due).
    /// Run at startup, before intake (clustering: of the auctions placed
    /// on the shards served here). Returns how many holds it settled.
    pub async fn recover(&self) -> Result<usize, AuctionError> {
        self.recover_where(|auction| self.elsewhere(auction).is_none()).await
    }

    // cluster-placed
    /// [`AuctionHouse::recover`] for the auctions `mine` selects by id (a
    /// node that acquired shards: those placed on them, which their former
    /// owner may have left half-done or overdue).
    pub async fn recover_where(&self, mine: impl Fn(i64) -> bool) -> Result<usize, AuctionError> {
        let deps = self.deps();
        let mut auctions: HashMap<i64, Option<Auction>> = HashMap::new();
        let mut settled = 0;
        for held in deps.store.held_bids(None).await?.into_iter().filter(|held| mine(held.auction)) {
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
        for auction in deps.store.auctions(AuctionStatus::Open).await?.into_iter().filter(|open| mine(open.id)) {
            // Open in the store, so it activates; a due one closes at once.
            // A shard given up meanwhile: its next owner recovers it.
            match self.activate(auction.id).await {
                Ok(_) | Err(AuctionError::Dispatch(DispatchError::NotOwned)) => {}
                Err(err) => return Err(err),
            }
        }
        Ok(settled)
    }

    /// The fence of an actor of auction `id` started here now: `None`
    /// without clustering; `NotOwned` when this node does not serve its shard.
    fn fence(&self, id: i64) -> Result<Option<Fence>, AuctionError> {
        let Some(placed) = &self.inner.placed else { return Ok(None) };
        let fence = placed.fence(placed.ownership.shard_of(id));
        fence.map(Some).ok_or(AuctionError::Dispatch(DispatchError::NotOwned))
    }

    /// The actor of an open auction, started if needed; or why it takes no
    /// bids.
    /// Clustering: only on the node serving its shard, and started again
    /// under a new token (the old actor's view may be stale).
    async fn activate(&self, id: i64) -> Result<Result<Addr<AuctionActor>, RuleError>, AuctionError> {
        let fence = self.fence(id)?;
        let mut actors = self.inner.actors.lock().await;
        let running = actors.get(&id).filter(|(actor, started)| {
            actor.connected() && started.as_ref().map(Fence::claim) == fence.as_ref().map(Fence::claim)
        });
        if let Some((actor, _)) = running {
            return Ok(Ok(actor.clone()));
        }
        if let Some((stale, _)) = actors.remove(&id) {
            stale.do_send(Retire);
        }
        let auction = match self.deps().store.load_auction(id).await? {
            None => return Ok(Err(RuleError::UnknownAuction)),
            Some(auction) => auction,
        };
        if let Err(refusal) = refusal_of(&auction) {
            return Ok(Err(refusal));
        }
        let deps = self.inner.deps.clone();
        let actor_fence = fence.clone();
        let actor = AuctionActor::start_in_arbiter(&self.inner.arbiter.handle(), move |_| AuctionActor {
            auction,
            deps,
            fence: actor_fence,
        });
        actors.insert(id, (actor.clone(), fence));
        Ok(Ok(actor))
    }

    /// Why a stopped actor's auction takes no bids. Still open in the
    /// store, the actor stopped without ending it (clustering: its shard
    /// moved, or its write was fenced): no answer, asked again it reaches
    /// the shard's owner.
    async fn refusal_of_stopped(&self, id: i64) -> Result<RuleError, AuctionError> {
        match self.deps().store.load_auction(id).await? {
            None => Ok(RuleError::UnknownAuction),
            Some(auction) => refusal_of(&auction).err().ok_or(AuctionError::Dispatch(DispatchError::NotOwned)),
        }
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
    /// auction never answers with a state that is not durable. Only a
    /// fenced write (clustering: another node serves the shard now) gives
    /// up, and this node stops serving the shard.
    async fn persist(&self, auction: &Auction, fence: Option<&Fence>) -> Result<(), StoreError> {
        let saved = retry_while(
            Backoff::STORE,
            u32::MAX,
            || self.store.save_auction(auction, fence.map(Fence::claim)),
            |err: &StoreError| {
                let fenced = matches!(err, StoreError::Fenced { .. });
                if !fenced {
                    tracing::error!(auction = auction.id, error = %err, "saving the auction failed; retrying");
                }
                !fenced
            },
        )
        .await;
        if let (Err(_), Some(fence)) = (&saved, fence) {
            fence.fenced();
        }
        saved
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
    /// Clustering: the shard and token this actor writes under.
    fence: Option<Fence>,
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
        let (deps, fence) = (self.deps.clone(), self.fence.clone());
        let settle = async move {
            // Fenced: the shard's new owner closes and settles it.
            deps.persist(&closed, fence.as_ref()).await.ok()?;
            tracing::info!(auction = closed.id, winner = ?closed.top.map(|top| top.bidder), "auction closed");
            deps.settle_winner(&closed).await;
            if let Err(err) = deps.release_all_but_top(&closed, false).await {
                tracing::error!(auction = closed.id, error = %err, "listing holds failed; recovery will release them");
            }
            Some(closed)
        };
        let settling = self.deps.io.spawn(settle);
        ctx.wait(settling.into_actor(self).map(|closed, actor, ctx| {
            if let Ok(Some(closed)) = closed {
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

/// What the actor answers a bid or a cancellation: the game's answer, or
/// (clustering) the fenced write that made it stop, which is no answer.
type Answer<T> = Result<Result<T, RuleError>, StoreError>;

impl Message for PlaceBid {
    type Result = Answer<(Accepted, Auction)>;
}

impl Handler<PlaceBid> for AuctionActor {
    type Result = AtomicResponse<Self, Answer<(Accepted, Auction)>>;

    fn handle(&mut self, bid: PlaceBid, _: &mut Context<Self>) -> Self::Result {
        let mut next = self.auction.clone();
        let accepted = match next.accept(bid.bidder, bid.bid, bid.amount, self.deps.coordinator.router().clock().now())
        {
            Ok(accepted) => accepted,
            Err(refusal) => return AtomicResponse::new(Box::pin(actix::fut::ready(Ok(Err(refusal))))),
        };
        let (deps, saved, fence) = (self.deps.clone(), next.clone(), self.fence.clone());
        let persisting = self.deps.io.spawn(async move { deps.persist(&saved, fence.as_ref()).await });
        AtomicResponse::new(Box::pin(persisting.into_actor(self).map(move |persisted, actor, ctx| {
            match persisted {
                Ok(Ok(())) => {}
                Ok(Err(fenced)) => {
                    ctx.stop();
                    return Err(fenced);
                }
                // A join error is the runtime shutting down, and then
                // nothing was accepted.
                Err(_) => return Ok(Err(RuleError::AuctionClosed)),
            }
            actor.auction = next.clone();
            Ok(Ok((accepted, next)))
        })))
    }
}

/// An operator calls the auction off.
struct Cancel;

impl Message for Cancel {
    type Result = Answer<usize>;
}

impl Handler<Cancel> for AuctionActor {
    type Result = AtomicResponse<Self, Answer<usize>>;

    fn handle(&mut self, _: Cancel, _: &mut Context<Self>) -> Self::Result {
        let mut cancelled = self.auction.clone();
        if let Err(refusal) = cancelled.cancel() {
            return AtomicResponse::new(Box::pin(actix::fut::ready(Ok(Err(refusal)))));
        }
        let (deps, fence) = (self.deps.clone(), self.fence.clone());
        let refunding = self.deps.io.spawn(async move {
            deps.persist(&cancelled, fence.as_ref()).await?;
            tracing::info!(auction = cancelled.id, "auction cancelled");
            let released = deps.release_all_but_top(&cancelled, true).await;
            Ok::<_, StoreError>((cancelled, released))
        });
        AtomicResponse::new(Box::pin(refunding.into_actor(self).map(|done, actor, ctx| {
            ctx.stop();
            // The task only fails to join when the runtime shuts down; the
            // store then still says open or cancelled, and recovery acts.
            let Ok(done) = done else { return Ok(Err(RuleError::AuctionCancelled)) };
            let (cancelled, released) = done?;
            actor.auction = cancelled;
            Ok(Ok(released.unwrap_or_else(|err| {
                tracing::error!(error = %err, "listing holds failed; recovery will release them");
                0
            })))
        })))
    }
}

// cluster-placed
/// This node stopped serving the auction's shard: the actor stops once
/// what it is doing is done, and the next owner's takes over.
struct Retire;

impl Message for Retire {
    type Result = ();
}

impl Handler<Retire> for AuctionActor {
    type Result = ();

    fn handle(&mut self, _: Retire, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}
