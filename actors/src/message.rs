//! What the router, the shard supervisors and the user actors say to each
//! other: the envelope of an update, the delivery that carries it to a
//! user's actor with the ways to answer, what became of it, and the
//! notices an actor sends its supervisor. Shared by all three, so it
//! depends on none of them.

use actix::Message;
use dianabot_game::{Command, Event, RuleError, UpdateId, UserId, UserState};
use dianabot_persistence::{Ack, FlushError};

/// One update for one user, as the game understands it.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub user_id: UserId,
    /// Idempotency key; `None` for work that does not come from Telegram.
    pub update_id: Option<UpdateId>,
    pub command: Command,
}

/// What became of an envelope, as seen by the renderer of the reply.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    Applied(&'a [Event]),
    Refused(&'a RuleError),
    /// The update was applied before (a re-delivery); nothing changed.
    Duplicate,
    /// Nothing was asked but a look at the state.
    Viewed,
}

/// What a delivery asks of the actor.
pub(crate) enum Work {
    Apply(Envelope),
    View,
}

/// Serializable: a step run by another node answers with it (clustering).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum DispatchError {
    #[error("the server is shutting down")]
    ShuttingDown,
    #[error("the user's actor crashed while handling the update")]
    ActorCrashed,
    #[error("the user is quarantined after repeated crashes")]
    Quarantined,
    #[error("the update was handled but its effects could not be made durable")]
    NotDurable,
    /// The store refused the update's write for good (a value it cannot
    /// hold); the rest of its batch committed. Trying again cannot help.
    #[error("the store rejected the update's write; it is dead-lettered")]
    Rejected,
    // cluster
    /// The user's virtual shard is not served by this node (clustering):
    /// updates and saga steps go to the owner through the bus before they
    /// get here, so this is a shard that moved meanwhile. Not acknowledged.
    #[error("the user's shard is served by another node")]
    NotOwned,
    /// The update's write was fenced: another node took its shard before it
    /// committed. Nothing of it is durable; not acknowledged.
    #[error("the update's shard was taken over by another node before its write committed")]
    Fenced,
    // cluster-bus
    /// The node serving the user's shard did not answer in time, or could
    /// not be reached (clustering). Whether it did the work is unknown: not
    /// acknowledged, and a saga step is retried (steps are idempotent).
    #[error("the node serving the user's shard did not answer")]
    Unreachable,
}

impl From<FlushError> for DispatchError {
    fn from(error: FlushError) -> DispatchError {
        match error {
            FlushError::Stopped => DispatchError::NotDurable,
            FlushError::Rejected => DispatchError::Rejected,
            FlushError::Fenced => DispatchError::Fenced,
        }
    }
}

pub(crate) type Respond = Box<dyn FnOnce(Result<(&UserState, Outcome<'_>), DispatchError>) + Send>;

/// An envelope on its way to a user actor, with the ways to answer it.
pub(crate) struct Deliver {
    pub user_id: UserId,
    pub work: Work,
    pub respond: Respond,
    pub ack: Ack,
}

impl Message for Deliver {
    type Result = ();
}

impl Deliver {
    pub fn refuse(self, error: DispatchError) {
        (self.respond)(Err(error));
    }
}

/// Sent by a user actor once its writes are durable and it is stopping.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct Passivated(pub UserId);

/// Sent by a user actor that caught a panic and is reloading its state.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct Crashed(pub UserId);

/// A failure worth trying again: the step may succeed next time.
pub(crate) trait Transient: std::fmt::Display {
    fn is_transient(&self) -> bool;
}

impl Transient for DispatchError {
    fn is_transient(&self) -> bool {
        !matches!(self, DispatchError::ShuttingDown | DispatchError::Rejected)
    }
}
