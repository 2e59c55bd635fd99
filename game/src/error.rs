use crate::backpack::CombinationHint;
use crate::content::{Currency, Missing, Permission};
use crate::ids::ItemId;

/// Why a command was refused. A refused command changes nothing.
/// Serializable: a saga step run by another node answers with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum RuleError {
    #[error("user is not registered; send /start first")]
    UnknownUser,
    #[error("amount must be positive, got {0}")]
    NonPositiveAmount(i64),
    #[error("amount {0} exceeds the per-operation limit of {1}")]
    AmountTooLarge(i64, i64),
    #[error("insufficient besitos: balance {balance}, needed {needed}")]
    InsufficientFunds { balance: i64, needed: i64 },
    #[error("not enough of item {item}: have {have}, needed {needed}")]
    InsufficientItems { item: ItemId, have: u32, needed: u32 },
    #[error("cannot hold that many of item {item}")]
    TooManyItems { item: ItemId },
    #[error("malformed request: {0}")]
    Malformed(Malformed),
    #[error("that button belongs to an earlier page of the story")]
    StaleChoice,
    #[error("that choice is not offered here")]
    UnknownChoice,
    #[error("that part of the story is not reached yet")]
    FragmentNotReached,
    #[error("requirements not met")]
    RequirementsNotMet { missing: Vec<Missing> },
    #[error("the daily gift was already claimed today")]
    AlreadyClaimedToday,
    #[error("a gift needs another player")]
    GiftToSelf,
    #[error("gifts are limited to {max} besitos")]
    GiftTooLarge { max: i64 },
    #[error("at most {max} gifts a day")]
    TooManyGiftsToday { max: u32 },
    #[error("at most {limit} paid reactions a day")]
    DailyReactionLimit { limit: u32 },
    #[error("reaction already rewarded")]
    AlreadyRewarded,
    #[error("no such post in a channel of ours")]
    UnknownPost,
    #[error("that message shows no story page")]
    NotAStoryPage,
    #[error("no such item in the shop: {0}")]
    UnknownShopItem(String),
    #[error("this item is not on sale now")]
    NotOnSale,
    #[error("this item is not sold for {0:?}")]
    NotSoldFor(Currency),
    #[error("this item can be bought only once")]
    AlreadyOwned,
    #[error("sold out")]
    SoldOut,
    #[error("the price has changed; it is now {price}")]
    PriceChanged { price: u64 },
    #[error("at most {max} purchase attempts an hour")]
    TooManyPurchaseAttempts { max: u32 },
    #[error("no such payment")]
    UnknownCharge,
    #[error("at most {cap} besitos a day from {reason:?}")]
    DailyCapReached { reason: crate::Reason, cap: i64 },
    #[error("unknown item {0}")]
    UnknownItem(ItemId),
    #[error("no auction with that id")]
    UnknownAuction,
    #[error("the auction runs until {ends_at}")]
    AuctionRunning { ends_at: i64 },
    #[error("the auction has closed")]
    AuctionClosed,
    #[error("the auction was cancelled")]
    AuctionCancelled,
    #[error("the bid is below the minimum of {minimum}")]
    BidTooLow { minimum: i64 },
    #[error("no such bid is held in escrow")]
    NoSuchHold,
    #[error("this operator lacks the {0} permission")]
    NotPermitted(Permission),
    #[error("no role {0} in roles.toml")]
    UnknownRole(String),
    #[error("only an owner may grant or revoke the role {0}")]
    RoleBeyondYours(String),
    #[error("no such VIP plan on sale")]
    UnknownVipPlan,
    #[error("no running VIP subscription")]
    NoSubscription,
    #[error("not a VIP member")]
    NotVip,
    #[error("already a VIP member for life")]
    LifetimeMember,
    #[error("a VIP subscription already renews every month")]
    AlreadySubscribed,
    #[error("no such experience")]
    UnknownExperience,
    #[error("this experience is already under way")]
    ExperienceRunning,
    #[error("this experience cannot be started again")]
    ExperienceNotRepeatable,
    #[error("this experience is not under way")]
    ExperienceNotRunning,
    #[error("lore piece {piece} is not in the backpack")]
    PieceNotHeld { piece: String },
    #[error("a combination needs at least two pieces")]
    TooFewPieces,
    #[error("these pieces reveal nothing")]
    WrongCombination { hint: Option<CombinationHint> },
    #[error("the secret {recipe} is already revealed")]
    AlreadyRevealed { recipe: String },
    #[error("this code was already used")]
    CodeAlreadyUsed,
    #[error("this code has expired")]
    CodeExpired,
    #[error("at most {max} unknown codes a day")]
    TooManyCodeTries { max: u32 },
    // ----- trivia and referrals (games) -----
    #[error("no such trivia set")]
    UnknownTriviaSet,
    #[error("at most {max} trivia sets a day; more from {resets_at}")]
    TriviaQuotaReached { max: u32, resets_at: i64 },
    #[error("that question is no longer asked")]
    TriviaQuestionGone,
    #[error("that question was already answered")]
    TriviaAlreadyAnswered,
    #[error("an invitation counts only for a new player")]
    ReferralNotNew,
    #[error("a player cannot invite themselves")]
    SelfReferral,
    // flags
    #[error("no flag {0} in flags.toml")]
    UnknownFlag(String),
    // offers
    #[error("no such offer for this player")]
    UnknownOffer,
    #[error("this offer has expired")]
    OfferExpired,
    #[error("this offer was already taken")]
    OfferTaken,
    // offers-bundle
    /// A bundle holds a unique shop item the player has already: the
    /// bundle is not sold to them (its price is for every item).
    #[error("the bundle holds {item}, which the player already owns")]
    BundleItemOwned { item: String },
}

/// What was wrong with a request that could not be read as asked. Each is
/// data, not a sentence: the bot words it in the player's language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum Malformed {
    #[error("usage of /{0}")]
    Usage(Usage),
    #[error("an auction must last at least {seconds} s")]
    AuctionTooShort { seconds: i64 },
    #[error("an auction lasts at most {days} days")]
    AuctionTooLong { days: i64 },
    #[error("the price is in Telegram Stars (XTR), not {currency}")]
    NotStars { currency: String },
    #[error("the invoice is not valid")]
    InvalidInvoice,
    #[error("the shop could not do it now")]
    ShopBusy,
    #[error("the purchase could not be delivered")]
    NotDelivered,
    #[error("no fragment {0}")]
    UnknownFragment(String),
    #[error("no lore piece {0}")]
    UnknownLorePiece(String),
    /// Something behind the game failed (a store read); the detail is for
    /// an operator.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

/// A command typed without the words it needs, by which command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Usage {
    Buy,
    Gift,
    Bid,
    OpenAuction,
    CancelAuction,
    Refund,
    Grant,
    Deduct,
    GrantVip,
    Role,
    Audit,
    Code,
    Stats,
    Export,
    // Alerts and daily insights.
    Insights,
    // flags
    Flag,
    Player,
}

impl Usage {
    /// The name the texts select on.
    pub fn as_str(self) -> &'static str {
        match self {
            Usage::Buy => "buy",
            Usage::Gift => "gift",
            Usage::Bid => "bid",
            Usage::OpenAuction => "open-auction",
            Usage::CancelAuction => "cancel-auction",
            Usage::Refund => "refund",
            Usage::Grant => "grant",
            Usage::Deduct => "deduct",
            Usage::GrantVip => "grant-vip",
            Usage::Role => "role",
            Usage::Audit => "audit",
            Usage::Code => "code",
            Usage::Stats => "stats",
            Usage::Export => "export",
            Usage::Insights => "insights",
            // flags
            Usage::Flag => "flag",
            Usage::Player => "player",
        }
    }
}

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
