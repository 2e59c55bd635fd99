//! The write model: what a user's change means for the tables.

use std::collections::BTreeMap;

use dianabot_game::auction::{Auction, AuctionStatus, TopBid};
use dianabot_game::{
    AppliedUpdates, Currency, Event, ItemId, Language, LedgerEntry, PostRef, Profile, Progress, Reacted, UserId,
    UserState,
};
use serde::{Deserialize, Serialize};

use crate::StoreError;
use crate::analytics::{self, AnalyticsEvent};
use crate::leaderboards::{self, Score};
use dianabot_game::leaderboard::Metric;

mod legacy;

/// The rows one user's change touches. Built from the state after the change
/// and the events that made it; merged with later writes of the same user
/// while waiting for a flush, so a burst of N updates costs one row write per
/// table, plus the N ledger rows.
#[derive(Debug, Clone, PartialEq)]
pub struct UserWrite {
    pub user_id: UserId,
    /// Set when the profile changed (registration, language).
    pub profile: Option<Profile>,
    /// Set when the balance changed.
    pub balance: Option<i64>,
    /// Item -> new quantity; zero means the row goes away.
    pub inventory: BTreeMap<ItemId, u32>,
    pub ledger: Vec<LedgerEntry>,
    /// Events analytics keeps as rows ([`analytics::rows`]).
    pub analytics: Vec<AnalyticsEvent>,
    /// Leaderboard points these events earn ([`leaderboards::scores`]),
    /// whether or not analytics rows are kept.
    pub scores: Vec<Score>,
    /// Paid reactions on posts (rows of `reactions`).
    pub reactions: Vec<PaidReaction>,
    /// Paid reactions on story pages (rows of `fragment_reactions`).
    pub fragment_reactions: Vec<PaidFragmentReaction>,
    /// Gifts this user sent that are now in flight (saga log rows to add).
    pub transfers_opened: Vec<OpenTransfer>,
    /// Transfers of this user that finished (saga log rows to remove).
    pub transfers_closed: Vec<i64>,
    /// Rows of `purchases` to insert or bring to a new status, in order.
    pub purchases: Vec<PurchaseRow>,
    /// Rows of `star_charges` to insert or bring to a new status, in order.
    pub charges: Vec<ChargeRow>,
    /// Bids whose besitos went into escrow (escrow saga log rows to add).
    pub holds_opened: Vec<HeldBid>,
    /// Holds released or consumed (escrow saga log rows to update).
    pub holds_closed: Vec<ClosedHold>,
    /// Timer key ([`TimerName::key`]) -> what happens to its row.
    pub timers: BTreeMap<String, TimerOp>,
    pub snapshot: Snapshot,
}

/// What a write does to one of the user's rows of `timers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimerOp {
    /// Insert the timer, or move it to `due`.
    Set { due: i64 },
    /// Remove the timer if it is due at one of `dues`: a timer moved since
    /// (by a write committed before this one) stays. Several when the
    /// merged writes cleared several due times.
    Clear { dues: Vec<i64> },
    /// Remove the timer whatever its due time: set and cleared within the
    /// writes merged into this one.
    ClearAny,
}

impl TimerOp {
    /// The op that does `self` and then `later`.
    fn then(self, later: TimerOp) -> TimerOp {
        match (self, later) {
            (TimerOp::Set { due }, TimerOp::Clear { dues }) if dues.contains(&due) => TimerOp::ClearAny,
            // Clearing due times this write does not leave: the set stands.
            (TimerOp::Set { due }, TimerOp::Clear { .. }) => TimerOp::Set { due },
            (TimerOp::ClearAny, TimerOp::Clear { .. }) => TimerOp::ClearAny,
            (TimerOp::Clear { mut dues }, TimerOp::Clear { dues: more }) => {
                dues.extend(more);
                TimerOp::Clear { dues }
            }
            (_, later) => later,
        }
    }
}

/// A purchase as the `purchases` table stores it; written again (same id)
/// when its status changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurchaseRow {
    pub purchase: i64,
    pub user: UserId,
    pub item: String,
    pub currency: Currency,
    pub amount: i64,
    pub status: PurchaseStatus,
    pub charge: Option<String>,
    pub at: i64,
}

/// A Telegram Stars charge as `star_charges` stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeRow {
    pub charge: String,
    pub purchase: i64,
    pub user: UserId,
    pub stars: i64,
    pub status: ChargeStatus,
    pub at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargeStatus {
    /// The charge that granted its purchase.
    Granted,
    /// A further charge for a purchase already granted: owed back.
    RefundDue,
    Refunded,
}

impl ChargeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ChargeStatus::Granted => "granted",
            ChargeStatus::RefundDue => "refund_due",
            ChargeStatus::Refunded => "refunded",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurchaseStatus {
    Pending,
    Completed,
    Failed,
    Refunded,
}

impl PurchaseStatus {
    pub fn parse(text: &str) -> Option<PurchaseStatus> {
        [PurchaseStatus::Pending, PurchaseStatus::Completed, PurchaseStatus::Failed, PurchaseStatus::Refunded]
            .into_iter()
            .find(|status| status.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PurchaseStatus::Pending => "pending",
            PurchaseStatus::Completed => "completed",
            PurchaseStatus::Failed => "failed",
            PurchaseStatus::Refunded => "refunded",
        }
    }
}

pub(crate) fn currency_name(currency: Currency) -> &'static str {
    match currency {
        Currency::Besitos => "besitos",
        Currency::Stars => "stars",
    }
}

/// A paid reaction, as the `reactions` table stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidReaction {
    pub post: PostRef,
    pub emoji: String,
    pub besitos: i64,
    pub at: i64,
}

/// A paid reaction on a story page, as `fragment_reactions` stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidFragmentReaction {
    pub fragment: String,
    pub emoji: String,
    pub besitos: i64,
    pub at: i64,
}

/// A gift in flight, as the saga log stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenTransfer {
    pub transfer: i64,
    pub from: UserId,
    pub to: UserId,
    pub amount: i64,
    pub opened_at: i64,
}

/// A bid whose besitos sit in an auction's escrow, as the escrow saga log
/// stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldBid {
    pub auction: i64,
    pub bid: i64,
    pub user: UserId,
    pub amount: i64,
    pub held_at: i64,
}

/// How a hold ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldEnd {
    /// The besitos went back to the bidder.
    Released,
    /// The bid won: the besitos were spent.
    Consumed,
}

impl HoldEnd {
    /// The `auction_holds.status` it leaves.
    pub fn as_str(self) -> &'static str {
        match self {
            HoldEnd::Released => "released",
            HoldEnd::Consumed => "consumed",
        }
    }
}

/// A hold that ended, as an update of its saga-log row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClosedHold {
    pub auction: i64,
    pub bid: i64,
    pub end: HoldEnd,
}

/// The encoded part of the state nobody queries, with its version.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub version: u64,
    pub bytes: Vec<u8>,
}

/// Current encoding of `user_snapshots.state`: bincode (standard config) of
/// [`SnapshotBody`]. Bump when the body changes shape, and keep a decoder
/// for every format still stored ([`legacy`] decodes 2 to 6). Format 7
/// added the last active day (`DailyGiftStreak::last_active_day`); format 6 the
/// boxed offers; format 5 the community games; format 4
/// boxed the experiences' state and added the backpack; format 3 replaced
/// `vip_until` by the boxed VIP membership; format 2
/// added story pages and reactions on fragments; format 1 was never
/// deployed, so it has no decoder and is refused as an unknown format
/// rather than misread.
pub(crate) const SNAPSHOT_FORMAT: i16 = 7;

/// What the snapshot column holds. Balance, profile and inventory live in
/// their own tables and are not repeated here.
#[derive(Serialize, Deserialize)]
pub(crate) struct SnapshotBody<P, A> {
    next_ledger_seq: u64,
    progress: P,
    applied: A,
}

impl UserWrite {
    /// The write for `state` just after `events` were applied to it at `now`
    /// (unix seconds, stamped on analytics rows).
    pub fn from_events(state: &UserState, events: &[Event], now: i64) -> UserWrite {
        UserWrite::collecting(state, events, now, true)
    }

    /// [`UserWrite::from_events`], with its analytics rows only if
    /// `analytics` ([`crate::FlushConfig::collect_analytics`]).
    pub fn collecting(state: &UserState, events: &[Event], now: i64, analytics: bool) -> UserWrite {
        let rows = analytics::rows(state, events, now);
        let mut write = UserWrite {
            user_id: state.id,
            profile: None,
            balance: None,
            inventory: BTreeMap::new(),
            ledger: Vec::new(),
            scores: leaderboards::scores(&rows),
            analytics: if analytics { rows } else { Vec::new() },
            reactions: Vec::new(),
            fragment_reactions: Vec::new(),
            transfers_opened: Vec::new(),
            transfers_closed: Vec::new(),
            purchases: Vec::new(),
            charges: Vec::new(),
            holds_opened: Vec::new(),
            holds_closed: Vec::new(),
            timers: BTreeMap::new(),
            snapshot: encode_snapshot(state),
        };
        for event in events {
            match event {
                Event::Registered { .. } => {
                    write.profile = state.profile.clone();
                    write.balance = Some(state.wallet.balance);
                }
                Event::LanguageChanged { .. } | Event::BroadcastsOptOut { .. } => write.profile = state.profile.clone(),
                Event::Ledger(entry) => {
                    write.balance = Some(state.wallet.balance);
                    write.ledger.push(entry.clone());
                }
                Event::ItemsGranted { item, .. } | Event::ItemsConsumed { item, .. } => {
                    write.inventory.insert(item.clone(), state.item_count(item));
                }
                Event::ReactionRewarded { on: Reacted::Post(post), emoji, besitos } => {
                    write.reactions.push(PaidReaction { post: *post, emoji: emoji.clone(), besitos: *besitos, at: now })
                }
                Event::ReactionRewarded { on: Reacted::Fragment(fragment), emoji, besitos } => {
                    let (fragment, emoji, besitos) = (fragment.clone(), emoji.clone(), *besitos);
                    write.fragment_reactions.push(PaidFragmentReaction { fragment, emoji, besitos, at: now })
                }
                // Everything else lives in the snapshot, written every time.
                Event::CounterIncremented { .. }
                | Event::FragmentEntered { .. }
                | Event::FlagSet { .. }
                | Event::StoryPageShown { .. }
                | Event::AchievementUnlocked { .. }
                | Event::ExperienceGained { .. }
                | Event::Unlocked(_)
                | Event::DailyGiftClaimed { .. }
                | Event::MissionProgressed { .. }
                | Event::ReactionsPaidToday { .. }
                | Event::PurchaseAttempted { .. }
                | Event::TransferReceived { .. }
                // Community games: the snapshot, and analytics rows.
                | Event::TriviaStarted { .. }
                | Event::TriviaAnswered { .. }
                | Event::TriviaFinished { .. }
                | Event::ReferralClaimed { .. }
                | Event::ReferralReached { .. }
                | Event::ReferralSettled { .. } => {}
                Event::PurchaseOpened { purchase, item, besitos } => write.purchases.push(PurchaseRow {
                    purchase: *purchase,
                    user: state.id,
                    item: item.clone(),
                    currency: Currency::Besitos,
                    amount: *besitos,
                    status: PurchaseStatus::Pending,
                    charge: None,
                    at: now,
                }),
                Event::PurchaseClosed { purchase, item, besitos, completed } => {
                    let status = if *completed { PurchaseStatus::Completed } else { PurchaseStatus::Failed };
                    write.purchases.push(PurchaseRow {
                        purchase: *purchase,
                        user: state.id,
                        item: item.clone(),
                        currency: Currency::Besitos,
                        amount: *besitos,
                        status,
                        charge: None,
                        at: now,
                    });
                }
                Event::StarsPaid { charge, purchase, item, stars } => {
                    write.charges.push(ChargeRow {
                        charge: charge.clone(),
                        purchase: *purchase,
                        user: state.id,
                        stars: i64::from(*stars),
                        status: ChargeStatus::Granted,
                        at: now,
                    });
                    write.purchases.push(PurchaseRow {
                        purchase: *purchase,
                        user: state.id,
                        item: item.clone(),
                        currency: Currency::Stars,
                        amount: i64::from(*stars),
                        status: PurchaseStatus::Completed,
                        charge: Some(charge.clone()),
                        at: now,
                    });
                }
                Event::StarsPaidTwice { charge, purchase, stars } => write.charges.push(ChargeRow {
                    charge: charge.clone(),
                    purchase: *purchase,
                    user: state.id,
                    stars: i64::from(*stars),
                    status: ChargeStatus::RefundDue,
                    at: now,
                }),
                Event::StarsRefunded { charge } => {
                    let paid = state.progress.stars_charges.get(charge);
                    if let Some(paid) = paid {
                        write.charges.push(ChargeRow {
                            charge: charge.clone(),
                            purchase: paid.purchase,
                            user: state.id,
                            stars: i64::from(paid.stars),
                            status: ChargeStatus::Refunded,
                            at: now,
                        });
                    }
                    write.purchases.push(PurchaseRow {
                        purchase: paid.map_or(0, |paid| paid.purchase),
                        user: state.id,
                        item: paid.map(|paid| paid.item.clone()).unwrap_or_default(),
                        currency: Currency::Stars,
                        amount: paid.map_or(0, |paid| i64::from(paid.stars)),
                        status: PurchaseStatus::Refunded,
                        charge: Some(charge.clone()),
                        at: now,
                    });
                }
                Event::TransferOpened { transfer, to, amount, .. } => write.transfers_opened.push(OpenTransfer {
                    transfer: *transfer,
                    from: state.id,
                    to: *to,
                    amount: *amount,
                    opened_at: now,
                }),
                Event::TransferClosed { transfer } => write.transfers_closed.push(*transfer),
                Event::VipChanged { .. } | Event::VipDenied { .. } => {}
                Event::BidHeld { auction, bid, amount } => {
                    let held = HeldBid { auction: *auction, bid: *bid, user: state.id, amount: *amount, held_at: now };
                    write.holds_opened.push(held);
                }
                Event::HoldReleased { auction, bid } => {
                    write.holds_closed.push(ClosedHold { auction: *auction, bid: *bid, end: HoldEnd::Released });
                }
                Event::HoldConsumed { auction, bid, .. } => {
                    write.holds_closed.push(ClosedHold { auction: *auction, bid: *bid, end: HoldEnd::Consumed });
                }
                // Analytics rows only ([`analytics::rows`]); the state they
                // change is in the snapshot.
                Event::DecisionTaken { .. }
                | Event::ComponentCounted { .. }
                | Event::ExperienceStarted { .. }
                | Event::ComponentDone { .. }
                | Event::ExperienceCompleted { .. }
                | Event::ExperienceEnded { .. }
                | Event::LorePieceFound { .. }
                | Event::SecretRevealed { .. }
                | Event::CodeRedeemed { .. }
                | Event::CodeMissed { .. } => {}
                Event::TimerSet(timer) => write.timer(timer.name.key(), TimerOp::Set { due: timer.due }),
                Event::TimerCleared(timer) => write.timer(timer.name.key(), TimerOp::Clear { dues: vec![timer.due] }),
                // The prize's besitos are its ledger entry; its record is in the snapshot.
                Event::PrizeAwarded(_) => {}
                // offers: in the snapshot (`Progress::offers`) and analytics.
                Event::OfferShown(_)
                | Event::OfferOpened { .. }
                | Event::OfferPurchaseStarted { .. }
                | Event::OfferPurchaseReleased { .. }
                | Event::OfferBought { .. }
                | Event::OfferExpired(_) => {}
                // offers2: in the snapshot (`Progress::last_active_day`).
                Event::ActiveOn { .. } => {}
            }
        }
        write
    }

    /// Multiplies the leaderboard points by what `multiplier` says for
    /// their metric (a leaderboard sprint running).
    pub fn boost_scores(&mut self, multiplier: impl Fn(Metric) -> i64) {
        for score in &mut self.scores {
            score.points = score.points.saturating_mul(multiplier(score.metric));
        }
    }

    /// The write of a state whose only change is bookkeeping (an update
    /// recorded as seen, say): just the snapshot.
    pub fn snapshot_only(state: &UserState) -> UserWrite {
        UserWrite::from_events(state, &[], 0)
    }

    fn timer(&mut self, key: String, op: TimerOp) {
        let merged = match self.timers.remove(&key) {
            Some(earlier) => earlier.then(op),
            None => op,
        };
        self.timers.insert(key, merged);
    }

    /// Folds a later write of the same user into this one.
    pub fn merge(&mut self, later: UserWrite) {
        debug_assert_eq!(self.user_id, later.user_id);
        if later.profile.is_some() {
            self.profile = later.profile;
        }
        if later.balance.is_some() {
            self.balance = later.balance;
        }
        self.inventory.extend(later.inventory);
        self.ledger.extend(later.ledger);
        self.analytics.extend(later.analytics);
        self.scores.extend(later.scores);
        self.reactions.extend(later.reactions);
        self.fragment_reactions.extend(later.fragment_reactions);
        self.transfers_opened.extend(later.transfers_opened);
        self.transfers_closed.extend(later.transfers_closed);
        self.purchases.extend(later.purchases);
        self.charges.extend(later.charges);
        self.holds_opened.extend(later.holds_opened);
        self.holds_closed.extend(later.holds_closed);
        for (key, op) in later.timers {
            self.timer(key, op);
        }
        if later.snapshot.version >= self.snapshot.version {
            self.snapshot = later.snapshot;
        }
    }
}

/// The timer rows a batch changes.
#[derive(Default)]
pub(crate) struct TimerChanges<'a> {
    /// `(user, key, due)` to insert or move.
    pub set: Vec<(i64, &'a str, i64)>,
    /// `(user, key, due)` to remove; any due time when `None`.
    pub cleared: Vec<(i64, &'a str, Option<i64>)>,
}

pub(crate) fn timer_changes(writes: &[UserWrite]) -> TimerChanges<'_> {
    let mut changes = TimerChanges::default();
    for write in writes {
        for (key, op) in &write.timers {
            let (user, key) = (write.user_id.0, key.as_str());
            match op {
                TimerOp::Set { due } => changes.set.push((user, key, *due)),
                TimerOp::Clear { dues } => changes.cleared.extend(dues.iter().map(|&due| (user, key, Some(due)))),
                TimerOp::ClearAny => changes.cleared.push((user, key, None)),
            }
        }
    }
    changes
}

fn encode_snapshot(state: &UserState) -> Snapshot {
    let body =
        SnapshotBody { next_ledger_seq: state.wallet.next_seq, progress: &state.progress, applied: &state.applied };
    let bytes = bincode::serde::encode_to_vec(&body, bincode::config::standard())
        .expect("encoding plain data into a Vec cannot fail");
    Snapshot { version: state.version, bytes }
}

/// The columns of one stored user (snapshot, balance, profile), as both
/// backends load them.
#[derive(sqlx::FromRow)]
pub(crate) struct StoredUser {
    pub version: i64,
    pub format: i16,
    pub state: Vec<u8>,
    pub besitos: i64,
    pub first_name: String,
    pub username: Option<String>,
    pub language: String,
    pub registered_at: i64,
    pub broadcasts_opt_out: bool,
}

impl StoredUser {
    /// The state of `user_id` from its stored columns and inventory rows.
    pub fn into_state(self, user_id: i64, inventory: Vec<(String, i32)>) -> Result<UserState, StoreError> {
        let corrupt = |reason: String| StoreError::CorruptSnapshot { user: user_id, format: self.format, reason };
        let body: SnapshotBody<Progress, AppliedUpdates> = match self.format {
            SNAPSHOT_FORMAT => {
                bincode::serde::decode_from_slice(&self.state, bincode::config::standard())
                    .map_err(|err| corrupt(err.to_string()))?
                    .0
            }
            6 => legacy::decode::<legacy::ProgressV6>(&self.state).map_err(corrupt)?,
            5 => legacy::decode::<legacy::ProgressV5>(&self.state).map_err(corrupt)?,
            4 => legacy::decode::<legacy::ProgressV4>(&self.state).map_err(corrupt)?,
            3 => legacy::decode::<legacy::ProgressV3>(&self.state).map_err(corrupt)?,
            2 => legacy::decode::<legacy::ProgressV2>(&self.state).map_err(corrupt)?,
            _ => return Err(corrupt("unknown format".to_owned())),
        };
        let mut state = UserState::new(UserId(user_id));
        state.profile = Some(Profile {
            first_name: self.first_name,
            username: self.username,
            language: Language::from_code(Some(&self.language)),
            registered_at: self.registered_at,
            broadcasts_opt_out: self.broadcasts_opt_out,
        });
        state.wallet.balance = self.besitos;
        state.wallet.next_seq = body.next_ledger_seq;
        state.progress = body.progress;
        state.applied = body.applied;
        state.version = u64::try_from(self.version).map_err(|_| corrupt("negative version".to_owned()))?;
        for (item, quantity) in inventory {
            let quantity = u32::try_from(quantity).map_err(|_| corrupt(format!("negative quantity of {item}")))?;
            state.inventory.insert(ItemId(item), quantity);
        }
        Ok(state)
    }
}

/// An `auctions` row, as both backends load it.
#[derive(sqlx::FromRow)]
pub(crate) struct StoredAuction {
    pub auction_id: i64,
    pub item_id: String,
    pub quantity: i32,
    pub starting_bid: i64,
    pub min_increment: i64,
    pub extension_secs: i64,
    pub ends_at: i64,
    pub status: String,
    pub top_bidder: Option<i64>,
    pub top_bid: Option<i64>,
    pub top_amount: Option<i64>,
    pub created_by: i64,
    pub created_at: i64,
}

impl StoredAuction {
    pub fn into_auction(self) -> Result<Auction, StoreError> {
        let corrupt = |reason: &str| StoreError::CorruptAuction { auction: self.auction_id, reason: reason.to_owned() };
        let status = AuctionStatus::parse(&self.status).ok_or_else(|| corrupt("unknown status"))?;
        let quantity = u32::try_from(self.quantity).map_err(|_| corrupt("negative quantity"))?;
        let top = match (self.top_bidder, self.top_bid, self.top_amount) {
            (Some(bidder), Some(bid), Some(amount)) => Some(TopBid { bidder: UserId(bidder), bid, amount }),
            (None, None, None) => None,
            _ => return Err(corrupt("partial top bid")),
        };
        Ok(Auction {
            id: self.auction_id,
            item: ItemId(self.item_id),
            quantity,
            starting_bid: self.starting_bid,
            min_increment: self.min_increment,
            extension_secs: self.extension_secs,
            ends_at: self.ends_at,
            status,
            top,
            created_by: UserId(self.created_by),
            created_at: self.created_at,
        })
    }
}

/// An escrow saga log row `(auction_id, bid_id, user_id, amount, held_at)`.
pub(crate) fn held_bid((auction, bid, user, amount, held_at): (i64, i64, i64, i64, i64)) -> HeldBid {
    HeldBid { auction, bid, user: UserId(user), amount, held_at }
}

/// A saga log row `(transfer_id, from_user, to_user, amount, opened_at)`.
pub(crate) fn open_transfer((transfer, from, to, amount, opened_at): (i64, i64, i64, i64, i64)) -> OpenTransfer {
    OpenTransfer { transfer, from: UserId(from), to: UserId(to), amount, opened_at }
}
