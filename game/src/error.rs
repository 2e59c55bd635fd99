use crate::content::{Currency, Missing};
use crate::ids::ItemId;

/// Why a command was refused. A refused command changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
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
    Malformed(String),
    #[error("that button belongs to an earlier page of the story")]
    StaleChoice,
    #[error("that choice is not offered here")]
    UnknownChoice,
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
}
