//! Every text the server renders: its id in the Fluent files and the
//! variables the code passes it. `content check` holds the files to this
//! list (a text missing, a variable the code does not pass), and rendering
//! checks in debug builds that the code passes what is listed here.

/// One message of the Fluent files, as the code uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message {
    pub id: &'static str,
    /// The variables the code passes, without `$`.
    pub args: &'static [&'static str],
}

macro_rules! catalogue {
    ($($name:ident = $id:literal $([$($arg:ident),*])?;)*) => {
        $(pub const $name: Message = Message { id: $id, args: &[$($(stringify!($arg)),*)?] };)*
        /// Every message, for `content check`.
        pub const ALL: &[Message] = &[$($name),*];
    };
}

catalogue! {
    // Welcome and menu.
    WELCOME = "welcome" [name, balance];
    WELCOME_BACK = "welcome-back" [name];
    FOLLOW_LUCIEN = "follow-lucien";
    ONBOARDING = "onboarding";
    OPEN_MENU = "open-menu";
    MENU = "menu" [balance];
    BUTTON_STORY = "button-story";
    BUTTON_PROFILE = "button-profile";
    BUTTON_INVENTORY = "button-inventory";
    BUTTON_DAILY_GIFT = "button-daily-gift";
    BUTTON_SHOP = "button-shop";
    BUTTON_AUCTIONS = "button-auctions";
    BUTTON_VIP = "button-vip";
    BUTTON_HELP = "button-help";
    BUTTON_LANGUAGE = "button-language";
    BUTTON_MISSIONS = "button-missions";
    BUTTON_ACHIEVEMENTS = "button-achievements";
    BUTTON_LEDGER = "button-ledger";
    BACK = "back";
    BACK_TO_PROFILE = "back-to-profile";
    // Profile, progress and inventory.
    PROFILE = "profile" [name, language, balance, reactions, items];
    LANGUAGE_NAME = "language-name";
    DAILY_GIFT = "daily-gift" [paid, streak, balance];
    MISSIONS_TITLE = "missions-title";
    ACHIEVEMENTS_TITLE = "achievements-title" [earned, total];
    ACHIEVEMENT_UNLOCKED = "achievement-unlocked" [name];
    MISSION_DONE = "mission-done" [name];
    // Experiences.
    BUTTON_EXPERIENCES = "button-experiences";
    EXPERIENCES_TITLE = "experiences-title";
    EXPERIENCES_NONE = "experiences-none";
    EXPERIENCES_RUNNING = "experiences-running";
    EXPERIENCES_AVAILABLE = "experiences-available";
    EXPERIENCES_COMPLETED = "experiences-completed";
    EXPERIENCE_NEXT = "experience-next" [next];
    EXPERIENCE_TIME_LEFT = "experience-time-left" [hours];
    EXPERIENCE_STEP = "experience-step" [kind, name, count, done];
    EXPERIENCE_START = "experience-start";
    EXPERIENCE_LOCKED = "experience-locked";
    EXPERIENCE_VIP_ONLY = "experience-vip-only";
    EXPERIENCE_ABANDON = "experience-abandon";
    EXPERIENCE_ABANDON_CONFIRM = "experience-abandon-confirm";
    EXPERIENCE_ABANDON_YES = "experience-abandon-yes";
    EXPERIENCE_DONE = "experience-done";
    EXPERIENCE_GIVEN_UP = "experience-given-up";
    BACK_TO_EXPERIENCES = "back-to-experiences";
    EXPERIENCE_STARTED = "experience-started" [name];
    EXPERIENCE_STEP_DONE = "experience-step-done" [name, bar];
    EXPERIENCE_COMPLETED = "experience-completed" [name];
    EXPERIENCE_EXPIRED = "experience-expired" [name];
    EXPERIENCE_PART_OF = "experience-part-of" [name];
    INVENTORY_TITLE = "inventory-title";
    INVENTORY_EMPTY = "inventory-empty";
    LEDGER_TITLE = "ledger-title";
    LEDGER_EMPTY = "ledger-empty";
    LEDGER_REASON = "ledger-reason" [reason];
    HELP = "help";
    PICK_LANGUAGE = "pick-language";
    LANGUAGE_ES = "language-es";
    LANGUAGE_EN = "language-en";
    NOT_UNDERSTOOD = "not-understood";
    NOT_REGISTERED = "not-registered";
    // Gifts between players.
    GIFT_DELIVERED = "gift-delivered" [amount, to];
    GIFT_IN_FLIGHT = "gift-in-flight" [amount, to];
    GIFT_REFUNDED = "gift-refunded" [to];
    GIFT_RECEIVED = "gift-received" [from, amount];
    UNKNOWN_RECIPIENT = "unknown-recipient" [name];
    ALREADY_HANDLED = "already-handled";
    SLOW_DOWN = "slow-down" [seconds];
    SLOW_DOWN_REACTIONS = "slow-down-reactions" [seconds];
    // Refusals.
    REFUSED = "refused" [reason];
    WHY_NON_POSITIVE_AMOUNT = "why-non-positive-amount" [amount];
    WHY_AMOUNT_TOO_LARGE = "why-amount-too-large" [amount, max];
    WHY_INSUFFICIENT_FUNDS = "why-insufficient-funds" [balance, needed];
    WHY_INSUFFICIENT_ITEMS = "why-insufficient-items" [item, have, needed];
    WHY_TOO_MANY_ITEMS = "why-too-many-items" [item];
    WHY_STALE_CHOICE = "why-stale-choice";
    WHY_UNKNOWN_CHOICE = "why-unknown-choice";
    WHY_REQUIREMENTS_NOT_MET = "why-requirements-not-met";
    WHY_ALREADY_CLAIMED_TODAY = "why-already-claimed-today";
    WHY_GIFT_TO_SELF = "why-gift-to-self";
    WHY_GIFT_TOO_LARGE = "why-gift-too-large" [max];
    WHY_TOO_MANY_GIFTS_TODAY = "why-too-many-gifts-today" [max];
    WHY_DAILY_REACTION_LIMIT = "why-daily-reaction-limit" [limit];
    WHY_ALREADY_REWARDED = "why-already-rewarded";
    WHY_UNKNOWN_POST = "why-unknown-post";
    WHY_NOT_A_STORY_PAGE = "why-not-a-story-page";
    WHY_UNKNOWN_SHOP_ITEM = "why-unknown-shop-item";
    WHY_NOT_ON_SALE = "why-not-on-sale";
    WHY_NOT_SOLD_FOR_BESITOS = "why-not-sold-for-besitos";
    WHY_NOT_SOLD_FOR_STARS = "why-not-sold-for-stars";
    WHY_ALREADY_OWNED = "why-already-owned";
    WHY_SOLD_OUT = "why-sold-out";
    WHY_PRICE_CHANGED = "why-price-changed" [price];
    WHY_TOO_MANY_PURCHASE_ATTEMPTS = "why-too-many-purchase-attempts" [max];
    WHY_DAILY_CAP_REACHED = "why-daily-cap-reached" [cap, reason];
    WHY_UNKNOWN_CHARGE = "why-unknown-charge";
    WHY_UNKNOWN_ITEM = "why-unknown-item" [item];
    WHY_UNKNOWN_AUCTION = "why-unknown-auction";
    WHY_AUCTION_RUNNING = "why-auction-running";
    WHY_AUCTION_CLOSED = "why-auction-closed";
    WHY_AUCTION_CANCELLED = "why-auction-cancelled";
    WHY_BID_TOO_LOW = "why-bid-too-low" [minimum];
    WHY_NO_SUCH_HOLD = "why-no-such-hold";
    WHY_USAGE = "why-usage" [command];
    WHY_AUCTION_TOO_SHORT = "why-auction-too-short" [seconds];
    WHY_AUCTION_TOO_LONG = "why-auction-too-long" [days];
    WHY_NOT_STARS = "why-not-stars" [currency];
    WHY_INVALID_INVOICE = "why-invalid-invoice";
    WHY_SHOP_BUSY = "why-shop-busy";
    WHY_NOT_DELIVERED = "why-not-delivered";
    WHY_UNKNOWN_FRAGMENT = "why-unknown-fragment" [fragment];
    WHY_UNAVAILABLE = "why-unavailable" [detail];
    BUTTON_FORGED = "button-forged";
    BUTTON_EXPIRED = "button-expired";
    // Operators.
    OPERATOR_REPORT = "operator-report" [user, balance];
    POSTS_TITLE = "posts-title";
    POSTS_NONE = "posts-none";
    POST_LINE = "post-line" [id, vip, excerpt];
    ENGAGEMENT = "engagement" [reactions, reactors, besitos];
    STORY_PAGES_TITLE = "story-pages-title";
    RELOADED = "reloaded" [fragments];
    RELOAD_REFUSED = "reload-refused";
    // Story.
    OPEN_STORY = "open-story";
    NOT_IN_STORY = "not-in-story";
    STORY_ENDING = "story-ending";
    STORY_RESTART = "story-restart";
    STORY_HISTORY = "story-history";
    BACK_TO_STORY = "back-to-story";
    BECOME_VIP = "become-vip";
    STORY_LOCKED = "story-locked";
    VIP_DOOR = "vip-door" [preview];
    HISTORY = "history" [read, secrets, secrets_total, endings];
    VIP_ACTIVE = "vip-active" [days];
    VIP_INACTIVE = "vip-inactive";
    LACK_FLAG = "lack-flag";
    LACK_FORBIDDEN = "lack-forbidden";
    LACK_VIP = "lack-vip";
    LACK_ITEM = "lack-item" [item, needed, have];
    LACK_ACHIEVEMENT = "lack-achievement" [name];
    LACK_EXPERIENCE = "lack-experience" [name];
    LACK_BESITOS = "lack-besitos" [needed, have];
    LACK_LEVEL = "lack-level" [needed, have];
    LACK_ONE_OF = "lack-one-of";
    OR = "or";
    HINT_SHOP = "hint-shop" [name];
    HINT_MISSION = "hint-mission" [name];
    HINT_ACHIEVEMENT = "hint-achievement" [name];
    HINT_EXPERIENCE = "hint-experience" [name];
    HINT_DECISION = "hint-decision" [name];
    HINT_REACT = "hint-react";
    HINT_VIP = "hint-vip";
    // Shop.
    SHOP_TITLE = "shop-title" [shelf, balance, page, pages];
    SHOP_ALL = "shop-all";
    SHELF_EMPTY = "shelf-empty";
    RARITY = "rarity" [rarity];
    ITEM_PRICE = "item-price" [price];
    ITEM_DISCOUNT = "item-discount" [percent, was];
    ITEM_LEFT = "item-left" [left];
    ITEM_INCLUDES = "item-includes";
    ITEM_OWNED = "item-owned";
    ITEM_OWNED_UNIQUE = "item-owned-unique";
    ITEM_LACKS = "item-lacks";
    BUY_BESITOS = "buy-besitos" [price];
    BUY_STARS = "buy-stars" [price];
    BACK_TO_SHOP = "back-to-shop";
    BOUGHT = "bought" [name];
    STARS_PAID = "stars-paid" [name];
    PAID_TWICE = "paid-twice" [name, stars];
    BALANCE_LINE = "balance-line" [balance];
    PURCHASE_IN_FLIGHT = "purchase-in-flight";
    MONEY_BACK = "money-back";
    REWARD_BESITOS = "reward-besitos" [count];
    REWARD_EXPERIENCE_POINTS = "reward-experience-points" [count];
    REWARD_VIP_DAYS = "reward-vip-days" [count];
    REWARD_FRAGMENT = "reward-fragment" [name];
    REWARD_EXPERIENCE = "reward-experience" [name];
    REWARD_SHOP_ITEM = "reward-shop-item" [name];
    REFUNDED = "refunded" [user, item];
    REFUND_FAILED = "refund-failed" [why];
    REFUND_NO_PAYMENT = "refund-no-payment" [charge];
    REFUND_ALREADY_DONE = "refund-already-done";
    REFUND_TELEGRAM = "refund-telegram" [error];
    // Auctions.
    AUCTIONS_TITLE = "auctions-title";
    AUCTIONS_NONE = "auctions-none";
    AUCTION_TITLE = "auction-title" [id, item, quantity];
    AUCTION_TOP_BID = "auction-top-bid" [amount];
    AUCTION_NO_BIDS = "auction-no-bids" [amount];
    AUCTION_OPEN = "auction-open" [minimum, left, balance];
    AUCTION_LEADING = "auction-leading";
    AUCTION_CLOSED = "auction-closed";
    AUCTION_CLOSED_WON = "auction-closed-won";
    AUCTION_CANCELLED = "auction-cancelled";
    BID_BUTTON = "bid-button" [amount];
    REFRESH = "refresh";
    BACK_TO_AUCTIONS = "back-to-auctions";
    BID_ACCEPTED = "bid-accepted" [amount];
    BID_EXTENDED = "bid-extended" [seconds];
    BID_REFUSED = "bid-refused" [reason];
    OUTBID = "outbid" [id, item, top, refunded];
    WON = "won" [id, item, quantity, amount];
    AUCTION_REFUNDED = "auction-refunded" [id, item, amount];
    BID_AGAIN = "bid-again";
    SEE_INVENTORY = "see-inventory";
    AUCTION_CREATED = "auction-created" [id, item, quantity, starting, increment, left];
    AUCTION_CANCEL_REPORT = "auction-cancel-report" [id, refunded];
    DURATION_SECONDS = "duration-seconds" [seconds];
    DURATION_MINUTES = "duration-minutes" [minutes, seconds];
    DURATION_HOURS = "duration-hours" [hours, minutes];
    // Operator roles and the audit log (roles).
    WHY_NOT_PERMITTED = "why-not-permitted" [permission];
    WHY_UNKNOWN_ROLE = "why-unknown-role" [role];
    WHY_ROLE_BEYOND_YOURS = "why-role-beyond-yours" [role];
    ROLE_GRANTED = "role-granted" [user, role];
    ROLE_GRANTED_UNTIL = "role-granted-until" [user, role, until];
    ROLE_REVOKED = "role-revoked" [user, role];
    ROLE_NOT_HELD = "role-not-held" [user, role];
    ROLES_TITLE = "roles-title";
    ROLES_OWNER = "roles-owner" [user];
    ROLES_NONE = "roles-none";
    ROLES_LINE = "roles-line" [user, role, permissions];
    ROLES_LINE_UNTIL = "roles-line-until" [user, role, permissions, until];
    AUDIT_TITLE = "audit-title" [count];
    AUDIT_NONE = "audit-none";
    AUDIT_LINE = "audit-line" [at, operator, action, target, args, outcome];
    // An operator's numbers (/stats, /export).
    STATS_OVERVIEW = "stats-overview" [day, dau, wau, mau, registered, engaged, purchasers, vip, stars, arppu, supply, net];
    STATS_REPORT_TITLE = "stats-report-title" [title, since, until];
    STATS_REPORT_EMPTY = "stats-report-empty";
    STATS_REPORT_MORE = "stats-report-more" [rows, report];
    EXPORT_CAPTION = "export-caption" [title, rows, since, until];

    // VIP subscriptions and the channels (issue 15).
    VIP_TITLE = "vip-title";
    VIP_STATUS_ACTIVE = "vip-status-active" [plan, date, days];
    VIP_STATUS_RENEWS = "vip-status-renews" [date];
    VIP_STATUS_CANCELED = "vip-status-canceled";
    VIP_STATUS_GRACE = "vip-status-grace" [date];
    VIP_STATUS_LIFETIME = "vip-status-lifetime" [plan];
    VIP_STATUS_NONE = "vip-status-none";
    VIP_PLAN_LINE = "vip-plan-line" [kind, name, stars, days, description];
    VIP_NO_PLANS = "vip-no-plans";
    VIP_BUY = "vip-buy" [name, stars];
    VIP_CANCEL_RENEWAL = "vip-cancel-renewal";
    VIP_RESUME_RENEWAL = "vip-resume-renewal";
    VIP_GET_LINK = "vip-get-link";
    VIP_RENEW = "vip-renew";
    VIP_PLAN_TRIAL = "vip-plan-trial";
    VIP_PAID = "vip-paid" [plan, date];
    VIP_PAID_LIFETIME = "vip-paid-lifetime" [plan];
    VIP_LINK_COMING = "vip-link-coming";
    VIP_RENEWAL_BONUS = "vip-renewal-bonus" [amount];
    VIP_LINK = "vip-link" [hours];
    VIP_JOIN_CHANNEL = "vip-join-channel";
    VIP_ALREADY_MEMBER = "vip-already-member";
    VIP_REMINDER = "vip-reminder" [days, date, renews];
    VIP_EXPIRED = "vip-expired" [date];
    VIP_LAPSED = "vip-lapsed";
    VIP_MEMBERS_ONLY = "vip-members-only";
    VIP_RENEWAL_SET = "vip-renewal-set" [canceled, date];
    VIP_INVOICE_TITLE = "vip-invoice-title" [name];
    VIP_LINK_NAME = "vip-link-name" [user];
    FREE_WELCOME = "free-welcome" [name];
    WHY_UNKNOWN_VIP_PLAN = "why-unknown-vip-plan";
    WHY_NO_SUBSCRIPTION = "why-no-subscription";
    WHY_NOT_VIP = "why-not-vip";
    WHY_LIFETIME_MEMBER = "why-lifetime-member";
    WHY_ALREADY_SUBSCRIBED = "why-already-subscribed";
    WHY_UNKNOWN_EXPERIENCE = "why-unknown-experience";
    WHY_EXPERIENCE_RUNNING = "why-experience-running";
    WHY_EXPERIENCE_NOT_REPEATABLE = "why-experience-not-repeatable";
    WHY_EXPERIENCE_NOT_RUNNING = "why-experience-not-running";
    WHY_TELEGRAM_UNAVAILABLE = "why-telegram-unavailable";
    // Channel content: broadcasts, the opt-out, deep links, teasers.
    BROADCAST_MESSAGE = "broadcast-message" [text];
    BROADCAST_CREATED = "broadcast-created" [id, audience];
    BROADCAST_DONE = "broadcast-done" [id, sent, skipped, failed, unknown];
    BROADCASTS_TITLE = "broadcasts-title";
    BROADCASTS_NONE = "broadcasts-none";
    BROADCASTS_LINE = "broadcasts-line" [id, status, sent, skipped, failed, unknown, excerpt];
    NEWS_OFF = "news-off";
    NEWS_ON = "news-on";
    TEASER_TITLE = "teaser-title" [title];
    TEASER_BUTTON = "teaser-button";
    TEASER_PUBLISHED = "teaser-published" [fragment, message];
    TEASER_FAILED = "teaser-failed" [fragment, reason];
    POST_SCHEDULED = "post-scheduled" [id, when, channel];
    POST_SCHEDULED_NO_CHANNEL = "post-scheduled-no-channel" [channel];
    SCHEDULED_TITLE = "scheduled-title";
    SCHEDULED_NONE = "scheduled-none";
    SCHEDULED_LINE = "scheduled-line" [id, when, status, excerpt];
    CHANNEL_USAGE = "channel-usage" [command];
    WHY_FRAGMENT_NOT_REACHED = "why-fragment-not-reached";
    // Lore: the backpack, secrets and codes.
    BACKPACK_TITLE = "backpack-title" [found, total, revealed, secrets];
    BACKPACK_EMPTY = "backpack-empty";
    BACKPACK_HOW = "backpack-how";
    BACKPACK_PIECE = "backpack-piece" [name, text];
    BACKPACK_REVEALED = "backpack-revealed" [name];
    BUTTON_COMBINE = "button-combine" [count];
    BUTTON_CLEAR = "button-clear";
    BUTTON_READ_SECRET = "button-read-secret" [name];
    BUTTON_BACKPACK = "button-backpack";
    LORE_FOUND = "lore-found" [name];
    SECRET_REVEALED = "secret-revealed" [name];
    WRONG_COMBINATION = "wrong-combination";
    COMBINE_HINT = "combine-hint" [hint];
    COMBINE_MISSING = "combine-missing" [count];
    COMBINE_EXTRA = "combine-extra" [names];
    CODE_REDEEMED = "code-redeemed";
    CODE_UNKNOWN = "code-unknown" [left];
    REWARD_LORE = "reward-lore" [name];
    WHY_PIECE_NOT_HELD = "why-piece-not-held";
    WHY_TOO_FEW_PIECES = "why-too-few-pieces";
    WHY_WRONG_COMBINATION = "why-wrong-combination";
    WHY_ALREADY_REVEALED = "why-already-revealed";
    WHY_CODE_ALREADY_USED = "why-code-already-used";
    WHY_CODE_EXPIRED = "why-code-expired";
    WHY_TOO_MANY_CODE_TRIES = "why-too-many-code-tries" [max];
    WHY_UNKNOWN_LORE_PIECE = "why-unknown-lore-piece";
    // Leaderboards.
    LEADERBOARD_TITLE = "leaderboard-title" [name];
    LEADERBOARD_WEEKLY = "leaderboard-weekly" [days];
    LEADERBOARD_ALL_TIME = "leaderboard-all-time";
    LEADERBOARD_ROW = "leaderboard-row" [rank, name, score];
    LEADERBOARD_SOMEONE = "leaderboard-someone";
    LEADERBOARD_EMPTY = "leaderboard-empty";
    LEADERBOARD_YOU = "leaderboard-you" [rank, players, score];
    LEADERBOARD_YOU_NONE = "leaderboard-you-none";
    LEADERBOARD_PRIZES = "leaderboard-prizes" [prizes];
    LEADERBOARD_TIES = "leaderboard-ties";
    LEADERBOARD_NONE = "leaderboard-none";
    LEADERBOARD_PRIZE_WON = "leaderboard-prize-won" [rank, name, besitos];
    BUTTON_LEADERBOARDS = "button-leaderboards";
}
