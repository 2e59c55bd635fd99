//! Events: the facts a decision produces and [`crate::UserState::apply`] folds in.

use serde::{Deserialize, Serialize};

use crate::community::PrizeAwarded;
use crate::content::Currency;
use crate::offers::ActiveOffer;

use crate::ids::{ItemId, Language, PostRef, UserId};
use crate::journeys::RunEnd;
use crate::ledger::LedgerEntry;
use crate::membership::{Vip, VipFact};
use crate::profile::Profile;
use crate::timer::Timer;

/// What a paid reaction was on: each emoji pays once per player and
/// `Reacted`, ever.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Reacted {
    Post(PostRef),
    /// A story fragment, by id: two pages showing the same fragment are one
    /// thing to react to.
    Fragment(String),
}

/// A fact that happened to a user's state. Events are what persistence writes
/// (ledger rows, inventory rows) and what analytics will collect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    Registered {
        profile: Profile,
    },
    LanguageChanged {
        language: Language,
    },
    /// The player opted out of broadcasts (`true`) or back in.
    BroadcastsOptOut {
        opt_out: bool,
    },
    Ledger(LedgerEntry),
    ItemsGranted {
        item: ItemId,
        quantity: u32,
    },
    ItemsConsumed {
        item: ItemId,
        quantity: u32,
    },
    /// A reaction paid `besitos` (0 when its emoji pays nothing).
    ReactionRewarded {
        on: Reacted,
        emoji: String,
        besitos: i64,
    },
    CounterIncremented {
        counter: String,
        by: u64,
    },
    FragmentEntered {
        fragment: String,
        secret: bool,
    },
    FlagSet {
        flag: String,
    },
    /// Message `page` of the player's chat now shows `fragment`.
    StoryPageShown {
        page: i32,
        fragment: String,
    },
    AchievementUnlocked {
        achievement: String,
    },
    ExperienceGained {
        points: u64,
    },
    Unlocked(Unlock),
    /// The VIP membership's new state, and what happened to it.
    VipChanged {
        vip: Box<Vip>,
        fact: VipFact,
    },
    /// ACCEDER_NARRATIVA_VIP refused a free player: a conversion
    /// opportunity, recorded for analytics; the bot shows a preview.
    VipDenied {
        fragment: String,
    },
    /// `day` is days since the Unix epoch (UTC).
    /// Reactions paid on UTC `day` so far, for the daily limit.
    ReactionsPaidToday {
        day: i64,
        count: u32,
    },
    /// A mission counted towards its goal in `period`; `done` once reached.
    MissionProgressed {
        mission: String,
        period: i64,
        count: u32,
        done: bool,
    },
    DailyGiftClaimed {
        day: i64,
        streak: u32,
    },
    TransferOpened {
        transfer: i64,
        to: UserId,
        amount: i64,
        day: i64,
    },
    TransferReceived {
        transfer: i64,
    },
    TransferClosed {
        transfer: i64,
    },
    /// A purchase was attempted at this unix second (for the rate limit).
    PurchaseAttempted {
        at: i64,
    },
    /// The buyer paid `besitos` for `item`; the purchase is open.
    PurchaseOpened {
        purchase: i64,
        item: String,
        besitos: i64,
    },
    /// The purchase ended: the item delivered, or the besitos returned.
    PurchaseClosed {
        purchase: i64,
        item: String,
        besitos: i64,
        completed: bool,
    },
    StarsPaid {
        charge: String,
        purchase: i64,
        item: String,
        stars: u32,
    },
    StarsRefunded {
        charge: String,
    },
    /// A second charge for a purchase already paid: nothing granted; the
    /// Stars are owed back (refunded by the caller through Telegram).
    StarsPaidTwice {
        charge: String,
        purchase: i64,
        stars: u32,
    },
    /// A bid's besitos went into escrow (the ledger entry is beside it).
    BidHeld {
        auction: i64,
        bid: i64,
        amount: i64,
    },
    HoldReleased {
        auction: i64,
        bid: i64,
    },
    /// A winning bid's besitos left escrow for good.
    HoldConsumed {
        auction: i64,
        bid: i64,
        amount: i64,
    },
    /// TOMAR_DECISION: the player took decision `decision` of `fragment`
    /// (experiences count it; analytics, the decision's popularity).
    DecisionTaken {
        fragment: String,
        decision: String,
    },
    /// A run of `experience` started at `at`; `deadline` when it has a
    /// time limit.
    ExperienceStarted {
        experience: String,
        at: i64,
        deadline: Option<i64>,
    },
    /// A counting component (reactions, besitos spent) of a running
    /// experience counted `count` so far.
    ComponentCounted {
        experience: String,
        component: String,
        count: u64,
    },
    /// A component of a running experience is done (its rewards beside it).
    ComponentDone {
        experience: String,
        component: String,
    },
    /// Every component of the run is done: the experience is complete (its
    /// rewards beside it).
    ExperienceCompleted {
        experience: String,
    },
    /// A run ended without completing.
    ExperienceEnded {
        experience: String,
        end: RunEnd,
    },
    /// A lore piece went into the player's backpack.
    LorePieceFound {
        piece: String,
    },
    /// A recipe's pieces were combined: its secret is revealed (once).
    SecretRevealed {
        recipe: String,
    },
    /// A secret code was redeemed (once per player).
    CodeRedeemed {
        code: String,
    },
    /// An unknown code was typed: `count` so far on UTC `day`, for the
    /// brute-force limit.
    CodeMissed {
        day: i64,
        count: u32,
    },
    /// A durable timer was set, or moved to a new due time.
    TimerSet(Timer),
    /// The timer set for this due time is done with; one moved to another
    /// due time since stays.
    TimerCleared(Timer),
    // ----- trivia and referrals (games) -----
    /// Run `run` of trivia set `set` started: its first question is asked
    /// until `deadline`; `sets_today` sets started on UTC `day` so far.
    TriviaStarted {
        set: String,
        run: u32,
        day: i64,
        sets_today: u32,
        deadline: i64,
    },
    /// Question `question` (its index) of the set was answered — right,
    /// wrong, or after its deadline (`late`, which counts as wrong) —
    /// earning `points`; `streak` is the run of right answers now; the
    /// next question, if any, is asked until `next_deadline`.
    TriviaAnswered {
        set: String,
        question: u8,
        correct: bool,
        late: bool,
        points: u32,
        streak: u32,
        next_deadline: Option<i64>,
    },
    /// The set's last question was answered: the score (its reward is
    /// beside it).
    TriviaFinished {
        set: String,
        score: u32,
        correct: u8,
        questions: u8,
    },
    /// This new player registered through `inviter`'s link.
    ReferralClaimed {
        inviter: UserId,
    },
    /// This invited player reached the milestone: paid (the ledger entry
    /// beside it), and `inviter` is owed theirs (a `ReferralReward` timer).
    ReferralReached {
        inviter: UserId,
    },
    /// As an inviter: `invitee`'s referral is settled — paid, or not
    /// (`paid: false`) past the monthly cap; `paid_this_month` so far in
    /// `month`.
    ReferralSettled {
        invitee: UserId,
        paid: bool,
        month: i64,
        paid_this_month: u32,
    },
    // Leaderboards.
    /// A leaderboard prize was paid (with its ledger entry beside it).
    PrizeAwarded(PrizeAwarded),
    // offers: contextual offers (`offer.rs`).
    /// An offer was shown, running until its `expires_at`.
    OfferShown(Box<ActiveOffer>),
    /// The player opened the offer's card (first time only).
    OfferOpened {
        offer: String,
    },
    /// A purchase in besitos of the offer was paid and is in flight.
    OfferPurchaseStarted {
        offer: String,
        purchase: i64,
    },
    /// The offer's purchase was refunded: the offer runs again.
    OfferPurchaseReleased {
        offer: String,
    },
    /// The offer was bought for `amount` in `currency` (0 for a trial).
    OfferBought {
        shown: Box<ActiveOffer>,
        currency: Currency,
        amount: u64,
    },
    /// The offer ran out unbought.
    OfferExpired(Box<ActiveOffer>),
    // offers2
    /// The player's first command of UTC day `day` (days since the epoch):
    /// when they were last active, for the `inactive_return` offers.
    ActiveOn {
        day: u32,
    },
}

/// Something a reward makes available to one player.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unlock {
    Fragment(String),
    Experience(String),
    ShopItem(String),
}
