//! Coordinator operations that span several users: sagas of messages
//! between user actors — each step durable before the next, compensation
//! when a step is refused, and recovery from the saga log after a crash.
//!
//! There is no global lock: each step is an ordinary message to one user's
//! actor, interleaved with everything else that user does. What makes the
//! whole safe is that every step is idempotent by transfer id and that the
//! giver's first step writes the saga log row in the same transaction as its
//! debit, so a crash at any point leaves either nothing or a row to finish.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use dianabot_game::{Besitos, Command, EconomyCommand, Event, RuleError, UpdateId, UserId, UserState};
use dianabot_persistence::{Store, StoreError};
use dianabot_plumbing::shards::Ownership;
use dianabot_plumbing::{Backoff, retry_while};
use tracing::Instrument;

use crate::ids::IdAllocator;
use crate::message::{DispatchError, Envelope, Outcome, Transient};
use crate::post::Posts;
use crate::router::Router;
use crate::stock::{RemoteStock, StockKeepers};

/// How often a step is retried before the saga is left to recovery (gifts,
/// bids) or compensated (purchases).
pub(crate) const ATTEMPTS: u32 = 5;

/// What became of a gift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GiftOutcome {
    /// The receiver has it, the giver's transfer is closed.
    Delivered,
    /// The giver could not send it (funds, limits, …); nothing moved.
    Refused(RuleError),
    /// The receiver refused it; the giver got it back.
    Refunded(RuleError),
    /// Sent and durable, but not yet delivered (the receiver's actor keeps
    /// failing); the saga log holds it and recovery will finish it.
    InFlight,
    /// The same command was handled before (a re-delivered update) and its
    /// transfer is over; nothing happened now.
    Duplicate,
}

// cluster-bus
/// A step's answer: the game's (events applied, or the refusal), or why
/// there is none.
pub type StepResult = Result<Result<Vec<Event>, RuleError>, DispatchError>;

/// Reaches a user of another node's shard (clustering): that node runs a
/// step with [`Coordinator::step_here`], or reads the user's state, and
/// answers. The binary implements it over the cluster's bus; the router
/// uses it for every dispatch and view of such a user.
pub trait RemoteSteps: Send + Sync + 'static {
    fn step(
        &self,
        user_id: UserId,
        update_id: Option<UpdateId>,
        command: Command,
    ) -> Pin<Box<dyn Future<Output = StepResult> + Send + '_>>;

    /// The user's state as its node holds it now.
    fn state(&self, user_id: UserId) -> Pin<Box<dyn Future<Output = Result<UserState, DispatchError>> + Send + '_>>;
}

/// Runs sagas over the router, the shop's stock keepers and the channel
/// posts' actors. Cheap to clone.
#[derive(Clone)]
pub struct Coordinator {
    pub(crate) router: Router,
    pub(crate) store: Store,
    pub(crate) stock: StockKeepers,
    pub(crate) posts: Posts,
    ids: Arc<IdAllocator>,
}

impl Coordinator {
    pub fn new(router: Router, store: Store) -> Coordinator {
        let stock = StockKeepers::new(store.clone(), router.stock_faults(), router.clock().clone());
        let posts = Posts::new(store.clone());
        let ids = Arc::new(IdAllocator::new(store.clone()));
        Coordinator { router, store, stock, posts, ids }
    }

    // cluster-placed
    /// Stock keepers placed by the shard of their item: those of shards
    /// this node does not serve are reached through `remote`.
    pub fn with_placed_stock(mut self, ownership: Arc<Ownership>, remote: Arc<dyn RemoteStock>) -> Coordinator {
        self.stock = self.stock.placed(ownership, remote);
        self
    }

    /// The shop's stock keepers (what stock calls from other nodes run on).
    pub fn stock(&self) -> &StockKeepers {
        &self.stock
    }

    // cluster-posts
    /// Posts' actors run on the node serving their shard; requests for the
    /// others go through `remote`. Call before cloning.
    pub fn with_remote_posts(
        mut self,
        ownership: Arc<dianabot_plumbing::shards::Ownership>,
        remote: Arc<dyn crate::post::RemotePosts>,
    ) -> Coordinator {
        self.posts = Posts::placed(self.store.clone(), ownership, remote);
        self
    }

    /// An id of the server's own for a purchase, transfer, auction or bid,
    /// never handed out before (Telegram's update ids start again).
    pub async fn next_id(&self) -> Result<i64, DispatchError> {
        self.ids.next().await.map_err(|err| {
            tracing::error!(error = %err, "allocating ids failed");
            DispatchError::NotDurable
        })
    }

    /// Gives `amount` besitos from `from` to `to` as transfer `transfer`
    /// (unique: [`Coordinator::next_id`]). A re-delivered `update_id` opens
    /// nothing; it finishes the gift its first delivery left in flight.
    pub async fn gift(
        &self,
        from: UserId,
        to: UserId,
        amount: Besitos,
        transfer: i64,
        update_id: Option<UpdateId>,
    ) -> Result<GiftOutcome, DispatchError> {
        let span = tracing::info_span!("gift", from = %from, to = %to, transfer);
        self.gift_saga(from, to, amount, transfer, update_id).instrument(span).await
    }

    async fn gift_saga(
        &self,
        from: UserId,
        to: UserId,
        amount: Besitos,
        transfer: i64,
        update_id: Option<UpdateId>,
    ) -> Result<GiftOutcome, DispatchError> {
        // The giver's state binds the update to its transfer: the one this
        // delivery opened, or (a re-delivery, whose own id opens nothing) the
        // transfer to the same receiver and amount the first delivery left
        // in flight. Finished gifts leave `transfers_out`, so one that is
        // over is a duplicate; paying a receiver for a transfer never opened
        // would mint besitos.
        let send = Command::Economy(EconomyCommand::SendGift { to, amount, transfer });
        let in_flight = move |state: &UserState, outcome: Outcome<'_>| match outcome {
            Outcome::Refused(refusal) => Err(refusal.clone()),
            _ if state.progress.transfers_out.contains_key(&transfer) => Ok(Some(transfer)),
            _ => Ok(state
                .progress
                .transfers_out
                .iter()
                .find(|(_, pending)| pending.to == to && pending.amount == amount.get())
                .map(|(&open, _)| open)),
        };
        let transfer = match self.step_with(from, update_id, send, in_flight).await? {
            Err(refusal) => return Ok(GiftOutcome::Refused(refusal)),
            Ok(None) => return self.repeated_gift(from, to, update_id).await,
            Ok(Some(transfer)) => transfer,
        };
        Ok(self.finish(from, to, amount, transfer).await)
    }

    /// The answer to a gift update delivered again once its transfer is
    /// over — its node died unacknowledged and the next owner's recovery
    /// finished it: what the gift came to, as the first delivery would have
    /// answered.
    ///
    /// A store that cannot say is a transient failure: the update stays
    /// unacknowledged and comes again.
    async fn repeated_gift(
        &self,
        from: UserId,
        to: UserId,
        update: Option<UpdateId>,
    ) -> Result<GiftOutcome, DispatchError> {
        let Some(update) = update else { return Ok(GiftOutcome::Duplicate) };
        let outcome = match self.store.gift_sent_by(from, to, update).await {
            Ok(Some((true, _))) => GiftOutcome::Delivered,
            Ok(Some((false, true))) => {
                GiftOutcome::Refunded(RuleError::Malformed(dianabot_game::Malformed::NotDelivered))
            }
            Ok(Some((false, false))) => GiftOutcome::InFlight,
            Ok(None) => GiftOutcome::Duplicate,
            Err(err) => {
                tracing::warn!(error = %err, "reading what a repeated gift came to failed");
                return Err(DispatchError::NotDurable);
            }
        };
        Ok(outcome)
    }

    /// Steps 2 and 3, or the compensation. A step that crashed or is not
    /// known durable is retried: the receiver may or may not have applied
    /// it, and step 2 is idempotent, so only an explicit refusal refunds.
    async fn finish(&self, from: UserId, to: UserId, amount: Besitos, transfer: i64) -> GiftOutcome {
        let receive = Command::Economy(EconomyCommand::ReceiveGift { from, amount, transfer });
        let Ok(received) = self.step_retried(to, receive).await else {
            tracing::error!(transfer, "gift left in flight; recovery will finish it");
            return GiftOutcome::InFlight;
        };
        let closing = match received {
            Ok(_) => Command::Economy(EconomyCommand::SettleTransfer { transfer }),
            Err(_) => Command::Economy(EconomyCommand::RefundTransfer { transfer }),
        };
        if self.step_retried(from, closing).await.is_err() {
            tracing::error!(transfer, "gift left in flight; recovery will finish it");
            return GiftOutcome::InFlight;
        }
        match received {
            Ok(_) => GiftOutcome::Delivered,
            Err(refusal) => GiftOutcome::Refunded(refusal),
        }
    }

    /// A step that is idempotent, retried with backoff while its actor
    /// crashes or its effects are not known durable, giving up with the last
    /// failure after [`ATTEMPTS`] tries. Only the game's answer (applied or
    /// refused) ends it early, so callers compensate only on a refusal.
    pub(crate) async fn step_retried(
        &self,
        user_id: UserId,
        command: Command,
    ) -> Result<Result<Vec<Event>, RuleError>, DispatchError> {
        self.retried(|| self.step(user_id, None, command.clone())).await
    }

    /// Runs `attempt` until it answers, with backoff, at most [`ATTEMPTS`]
    /// times; an error that is not [`Transient`] (a shutdown, an answer) is
    /// not retried.
    pub(crate) async fn retried<T, E, F, Fut>(&self, attempt: F) -> Result<T, E>
    where
        E: Transient,
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, E>>,
    {
        retry_while(Backoff::STORE, ATTEMPTS, attempt, |err: &E| {
            let transient = err.is_transient();
            if transient {
                tracing::warn!(error = %err, "saga step failed; retrying");
            }
            transient
        })
        .await
    }

    /// One step: a command to one user, waited on until durable — here,
    /// or by the node serving the user. The inner result is the game's
    /// answer: the events it applied (none for a repeated step), or the
    /// refusal.
    pub(crate) async fn step(&self, user_id: UserId, update_id: Option<UpdateId>, command: Command) -> StepResult {
        match self.router.remote() {
            Some(remote) if !self.router.serves(user_id) => remote.step(user_id, update_id, command).await,
            _ => self.step_here(user_id, update_id, command).await,
        }
    }

    /// [`Coordinator::step`] on this node's actors only (a user of another
    /// node's shard is refused): what a step carried here by the bus runs.
    pub async fn step_here(&self, user_id: UserId, update_id: Option<UpdateId>, command: Command) -> StepResult {
        let answer = |_: &UserState, outcome: Outcome<'_>| match outcome {
            Outcome::Refused(refusal) => Err(refusal.clone()),
            Outcome::Applied(events) => Ok(events.to_vec()),
            Outcome::Duplicate | Outcome::Viewed => Ok(Vec::new()),
        };
        let dispatched = self.router.dispatch_here(Envelope { user_id, update_id, command }, answer).await?;
        dispatched.durable.wait().await?;
        Ok(dispatched.reply)
    }

    /// One step whose answer `render` reads from the user's state as the
    /// command left it, waited on until durable.
    pub(crate) async fn step_with<T, F>(
        &self,
        user_id: UserId,
        update_id: Option<UpdateId>,
        command: Command,
        render: F,
    ) -> Result<T, DispatchError>
    where
        T: Send + 'static,
        F: FnOnce(&UserState, Outcome<'_>) -> T + Send + 'static,
    {
        let envelope = Envelope { user_id, update_id, command };
        let dispatched = self.router.dispatch(envelope, render).await?;
        dispatched.durable.wait().await?;
        Ok(dispatched.reply)
    }

    /// Finishes every gift and purchase a crash left in flight whose giver
    /// or buyer this node serves (everyone's, without clustering); returns
    /// how many.
    pub async fn recover(&self) -> Result<usize, StoreError> {
        let finished = self.recover_where(|user| self.router.serves(user)).await?;
        let units = self.settle_stale_reservations(|item| self.stock.is_here(item)).await?;
        Ok(finished + units)
    }

    // cluster-bus
    /// Finishes the gifts and purchases in flight of the givers and buyers
    /// `mine` selects (a node that acquired shards: those of their users,
    /// which their former owner may have left half-done); returns how many.
    pub async fn recover_where(&self, mine: impl Fn(UserId) -> bool) -> Result<usize, StoreError> {
        let pending = self.store.pending_transfers().await?;
        let mut finished = 0;
        for transfer in pending.iter().filter(|transfer| mine(transfer.from)) {
            let Ok(amount) = Besitos::new(transfer.amount) else { continue };
            let outcome = self.finish(transfer.from, transfer.to, amount, transfer.transfer).await;
            tracing::info!(transfer = transfer.transfer, ?outcome, "recovered gift");
            finished += 1;
        }
        let purchases = self.store.pending_purchases().await?;
        for (purchase, user, item) in purchases.iter().filter(|(_, user, _)| mine(*user)) {
            let outcome = self.finish_purchase(*user, *purchase, item).await;
            tracing::info!(purchase, ?outcome, "recovered purchase");
            finished += 1;
        }
        Ok(finished)
    }

    /// The router steps go through, for the content actors decide with.
    pub fn router(&self) -> &Router {
        &self.router
    }

    /// The store the sagas log to, for read-only screens.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// A registered user by Telegram username (without `@`).
    pub async fn find_user(&self, username: &str) -> Result<Option<UserId>, StoreError> {
        self.store.find_user_by_username(username).await
    }
}
