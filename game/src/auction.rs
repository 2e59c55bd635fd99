//! Auctions with escrow, as pure rules.
//!
//! An auction is run by its own actor, which serialises its bids, while the
//! besitos behind a bid belong to the bidder's actor. So a bid is a saga
//! across two actors, and each half lives here:
//! - the bidder's half ([`decide`]): *hold* the bid's besitos in the
//!   auction's escrow account, *release* them (outbid, refused, cancelled)
//!   or *consume* them (won: escrow → sink, and the item into the
//!   inventory). Every step is idempotent by (auction, bid id), so a
//!   coordinator may repeat any of them after a crash.
//! - the auction's half ([`Auction`]): accept or refuse a bid against the
//!   minimum, the minimum increment and the clock, with the anti-sniping
//!   extension; close when due; cancel.

use serde::{Deserialize, Serialize};

use crate::besitos::Besitos;
use crate::content::Content;
use crate::ctx::{Ctx, Journal};
use crate::error::RuleError;
use crate::event::Event;
use crate::ids::{ItemId, UserId};
use crate::ledger::{Account, Reason};
use crate::state::UserState;

/// Where an auction stands. Only `Open` takes bids; the other two are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuctionStatus {
    Open,
    Closed,
    Cancelled,
}

impl AuctionStatus {
    /// Stable name stored in the `auctions` table.
    pub fn as_str(self) -> &'static str {
        match self {
            AuctionStatus::Open => "open",
            AuctionStatus::Closed => "closed",
            AuctionStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(name: &str) -> Option<AuctionStatus> {
        [AuctionStatus::Open, AuctionStatus::Closed, AuctionStatus::Cancelled]
            .into_iter()
            .find(|status| status.as_str() == name)
    }
}

/// The bid currently winning an auction. Its besitos are held in escrow
/// by the bidder's actor under `bid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopBid {
    pub bidder: UserId,
    pub bid: i64,
    pub amount: i64,
}

/// What an operator asks for when opening an auction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuctionSpec {
    pub item: ItemId,
    pub quantity: u32,
    pub starting_bid: Besitos,
    pub min_increment: Besitos,
    pub duration_secs: i64,
    /// Anti-sniping window and extension, in seconds.
    pub extension_secs: i64,
    pub created_by: UserId,
}

/// One auction: an item for the highest bidder when the time runs out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Auction {
    pub id: i64,
    pub item: ItemId,
    pub quantity: u32,
    pub starting_bid: i64,
    pub min_increment: i64,
    /// A bid accepted in the last `extension_secs` before `ends_at` pushes
    /// `ends_at` this much later, so nobody wins by bidding at the last
    /// instant when no one can answer.
    pub extension_secs: i64,
    /// Unix seconds.
    pub ends_at: i64,
    pub status: AuctionStatus,
    pub top: Option<TopBid>,
    pub created_by: UserId,
    pub created_at: i64,
}

/// What accepting a bid changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    /// The bid it displaced, whose hold must now be released.
    pub outbid: Option<TopBid>,
    /// Whether the anti-sniping rule pushed the end later.
    pub extended: bool,
}

impl Auction {
    /// A new open auction with id `id`, or why the spec is not acceptable.
    pub fn open(id: i64, spec: AuctionSpec, content: &Content, now: i64) -> Result<Auction, RuleError> {
        if content.item(&spec.item.0).is_none() {
            return Err(RuleError::UnknownItem(spec.item));
        }
        if spec.quantity == 0 {
            return Err(RuleError::NonPositiveAmount(0));
        }
        if spec.duration_secs <= 0 {
            return Err(RuleError::NonPositiveAmount(spec.duration_secs));
        }
        if spec.extension_secs < 0 {
            return Err(RuleError::NonPositiveAmount(spec.extension_secs));
        }
        Ok(Auction {
            id,
            item: spec.item,
            quantity: spec.quantity,
            starting_bid: spec.starting_bid.get(),
            min_increment: spec.min_increment.get(),
            extension_secs: spec.extension_secs,
            ends_at: now.saturating_add(spec.duration_secs),
            status: AuctionStatus::Open,
            top: None,
            created_by: spec.created_by,
            created_at: now,
        })
    }

    /// The least a new bid must offer: the starting bid, or the top bid
    /// plus the minimum increment.
    pub fn minimum_bid(&self) -> i64 {
        self.top.map_or(self.starting_bid, |top| top.amount.saturating_add(self.min_increment))
    }

    /// Whether the auction should close at `now`.
    pub fn is_due(&self, now: i64) -> bool {
        self.status == AuctionStatus::Open && now >= self.ends_at
    }

    fn check_open(&self, now: i64) -> Result<(), RuleError> {
        match self.status {
            AuctionStatus::Closed => Err(RuleError::AuctionClosed),
            AuctionStatus::Cancelled => Err(RuleError::AuctionCancelled),
            AuctionStatus::Open if now >= self.ends_at => Err(RuleError::AuctionClosed),
            AuctionStatus::Open => Ok(()),
        }
    }

    /// Takes bid `bid` of `amount` by `bidder`, whose besitos are already
    /// held in escrow. Checks everything before changing anything.
    /// Accepting the bid that is already on top again is a no-op, so the
    /// step is idempotent; a bidder raising their own top bid is a new bid.
    pub fn accept(&mut self, bidder: UserId, bid: i64, amount: Besitos, now: i64) -> Result<Accepted, RuleError> {
        if self.top.is_some_and(|top| top.bid == bid && top.bidder == bidder) {
            return Ok(Accepted { outbid: None, extended: false });
        }
        self.check_open(now)?;
        let minimum = self.minimum_bid();
        if amount.get() < minimum {
            return Err(RuleError::BidTooLow { minimum });
        }
        let extended = self.ends_at - now <= self.extension_secs;
        if extended {
            self.ends_at = self.ends_at.saturating_add(self.extension_secs);
        }
        let outbid = self.top.replace(TopBid { bidder, bid, amount: amount.get() });
        Ok(Accepted { outbid, extended })
    }

    /// Closes a due auction; returns the winning bid, if anyone bid.
    pub fn close(&mut self, now: i64) -> Result<Option<TopBid>, RuleError> {
        if !self.is_due(now) {
            self.check_open(now)?;
            return Err(RuleError::AuctionRunning { ends_at: self.ends_at });
        }
        self.status = AuctionStatus::Closed;
        Ok(self.top)
    }

    /// An operator calls the auction off: every hold is to be released.
    pub fn cancel(&mut self) -> Result<(), RuleError> {
        match self.status {
            AuctionStatus::Open => {
                self.status = AuctionStatus::Cancelled;
                Ok(())
            }
            AuctionStatus::Closed => Err(RuleError::AuctionClosed),
            AuctionStatus::Cancelled => Err(RuleError::AuctionCancelled),
        }
    }

    /// Seconds until the end (zero once due).
    pub fn seconds_left(&self, now: i64) -> i64 {
        (self.ends_at - now).max(0)
    }
}

/// The bidder's half of a bid, on the bidder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuctionCommand {
    /// Bid step 1 (bidder): `amount` goes into auction `auction`'s escrow
    /// under bid id `bid`; idempotent.
    HoldBid { auction: i64, bid: i64, amount: Besitos },
    /// The bid was outbid or refused, or the auction cancelled: the held
    /// besitos come back; idempotent.
    ReleaseHold { auction: i64, bid: i64 },
    /// The bid won: the held besitos are spent and the item arrives;
    /// idempotent.
    ConsumeHold { auction: i64, bid: i64, item: ItemId, quantity: u32 },
}

impl AuctionCommand {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            AuctionCommand::HoldBid { .. } => "hold_bid",
            AuctionCommand::ReleaseHold { .. } => "release_hold",
            AuctionCommand::ConsumeHold { .. } => "consume_hold",
        }
    }
}

/// The bidder's half of a bid: hold, release, consume.
pub(crate) fn decide(
    state: &UserState,
    command: &AuctionCommand,
    _ctx: Ctx<'_>,
    mut journal: Journal<'_>,
) -> Result<Vec<Event>, RuleError> {
    let holds = &state.progress.holds;
    match command {
        AuctionCommand::HoldBid { auction, bid, amount } => {
            if holds.contains_key(&(*auction, *bid)) {
                return Ok(Vec::new());
            }
            let amount = amount.get();
            if state.wallet.balance < amount {
                return Err(RuleError::InsufficientFunds { balance: state.wallet.balance, needed: amount });
            }
            Ok(vec![
                journal.post(-amount, Reason::AuctionHold, Account::Escrow(*auction)),
                Event::BidHeld { auction: *auction, bid: *bid, amount },
                Event::CounterIncremented { counter: "auction_bids".to_owned(), by: 1 },
            ])
        }
        AuctionCommand::ReleaseHold { auction, bid } => match holds.get(&(*auction, *bid)) {
            Some(&amount) => Ok(vec![
                journal.post(amount, Reason::AuctionRelease, Account::Escrow(*auction)),
                Event::HoldReleased { auction: *auction, bid: *bid },
            ]),
            None => Ok(Vec::new()),
        },
        AuctionCommand::ConsumeHold { auction, bid, item, quantity } => {
            if state.progress.auctions_won.contains(auction) {
                return Ok(Vec::new());
            }
            let Some(&amount) = holds.get(&(*auction, *bid)) else {
                return Err(RuleError::NoSuchHold);
            };
            if *quantity == 0 {
                return Err(RuleError::NonPositiveAmount(0));
            }
            if state.item_count(item).checked_add(*quantity).is_none() {
                return Err(RuleError::TooManyItems { item: item.clone() });
            }
            // Escrow → wallet → sink in one decision: the escrow account
            // nets to zero for this bid and the sink takes the price, while
            // the balance never moves (it was debited when the bid was held).
            Ok(vec![
                journal.post(amount, Reason::AuctionWon, Account::Escrow(*auction)),
                journal.post(-amount, Reason::AuctionWon, Account::System(Reason::AuctionWon)),
                Event::HoldConsumed { auction: *auction, bid: *bid, amount },
                Event::ItemsGranted { item: item.clone(), quantity: *quantity },
                Event::CounterIncremented { counter: "auctions_won".to_owned(), by: 1 },
            ])
        }
    }
}
