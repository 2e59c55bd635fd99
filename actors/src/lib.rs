//! The actor runtime: one actix actor per active user, grouped in shards.
//!
//! - [`Router`] is the front door: it picks a user's shard, takes a permit
//!   from that shard's budget of in-flight updates (backpressure), and hands
//!   the update to the shard's supervisor.
//! - `ShardSupervisor` owns the users of its shard: it activates a user's
//!   actor on first message, forwards in arrival order, passivates idle
//!   actors and counts crashes (bounded restarts).
//! - [`AuctionHouse`] activates one actor per open auction, which
//!   serialises its bids and writes its state through; bids are sagas
//!   between it and the bidder's actor, with the besitos held in escrow.
//! - [`Posts`] knows the channel posts published and starts one actor per
//!   post players react to, owning its engagement counters; a reaction is
//!   an exchange between it and the player's actor.
//! - `UserActor` owns one [`dianabot_game::UserState`]: it decides, applies,
//!   renders the reply and hands the write to the persistence flusher.
//!
//! **Architecture Invariant:** a user's state is only ever touched by that
//! user's actor, one message at a time; everyone else sends messages.

mod auction;
mod config;
mod env;
mod ids;
mod message;
mod placement;
mod post;
mod purchase;
mod reaction;
mod router;
mod saga;
mod shard;
mod stats;
mod stock;
mod timers;
mod user;

pub use auction::{
    AuctionAnswer, AuctionCall, AuctionError, AuctionHouse, AuctionNotice, BidOutcome, Notifier, RemoteAuctions,
};
pub use config::{
    ActorConfig, FaultHook, FaultInjector, FaultPoint, StockFaultHook, StockFaultInjector, StockFaultPoint, StockStep,
};
pub use message::{DispatchError, Envelope, Outcome};
pub use post::{PostAnswer, PostCall, PostError, Posts, RemotePosts, post_shard_name};
pub use purchase::{OfferCheckout, PreCheckout, PurchaseOutcome};
pub use router::{Dispatched, Durable, Router};
pub use saga::{Coordinator, GiftOutcome, RemoteSteps, StepResult};
pub use stats::{ActorStats, Histogram};
pub use stock::{RemoteStock, StockAnswer, StockCall, StockError, StockKeepers, StockRefusal};
pub use timers::{
    Fired, TimerConfig, TimerFailure, TimerPoker, TimerService, TimerStats, TimerTarget, fire_user_timer,
    silent_user_timers, user_timer,
};
