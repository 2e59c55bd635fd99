//! Per-user, per-action inbound rate limits (MISSION.md C12).
//!
//! Every update is acknowledged before its reply is sent, so a user who
//! sends thousands of messages a second costs the bot thousands of actor
//! messages, writes and replies. Here each user gets, per kind of
//! [`Action`], a budget of updates per fixed window (`RATE_LIMITS`, e.g.
//! `message=20/10s`). An update beyond it is refused before it reaches the
//! game: acknowledged (it is not transient, re-delivering it would not
//! help), changing nothing, and answered with a "slow down" notice at most
//! once per window and action.
//!
//! The defaults are far above what a person does by hand — a reader does
//! not take ten story decisions in ten seconds — and far below a script.
//! What is not a player's own act is never limited: payments Telegram has
//! taken (they must be granted), channel posts, operators' commands.
//!
//! Memory is bounded by the users active within a window: the map is split
//! into shards, each pruned of users whose windows have all ended once it
//! has doubled since the last prune, so the cost per update stays O(1)
//! (amortised). No I/O and no clock here: time comes in as an argument.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use dianabot_actors::Router;
use dianabot_game::{Command, Language, ReactionCommand, StoryCommand, UserId};
use teloxide_core::types::{Update, UpdateKind};
use tokio::time::Instant;

use crate::telegram::flows::{AuctionRequest, ReactionRequest, ShopRequest, VipRequest};
use crate::telegram::outbound::{Outbound, OutboundRequest, Priority};
use crate::telegram::screens::{self, Screen};
use crate::telegram::translate::{ReplyTo, Translation};

/// What a player does, as far as the limits are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// A message or command, or a button press that is not a story decision.
    Message,
    /// A story button press: a decision, opening or restarting the story.
    Decision,
    /// Reactions on a channel post or a story page.
    Reaction,
    /// A purchase in besitos, or asking for a Stars invoice.
    Purchase,
}

impl Action {
    pub const ALL: [Action; 4] = [Action::Message, Action::Decision, Action::Reaction, Action::Purchase];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Message => "message",
            Action::Decision => "decision",
            Action::Reaction => "reaction",
            Action::Purchase => "purchase",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// The action an update asks for, or `None` if it is never limited.
    pub fn of(translation: &Translation) -> Option<Action> {
        match translation {
            Translation::Command { envelope, screen, reply } => match (&envelope.command, screen, reply) {
                // An operator's grant names its target as the envelope's user.
                (_, Some(Screen::OperatorReport(_)), _) => None,
                (Command::Reaction(ReactionCommand::ReactToPage { .. }), _, _) => Some(Action::Reaction),
                (
                    Command::Story(
                        StoryCommand::Decide { .. }
                        | StoryCommand::OpenStory { .. }
                        | StoryCommand::RestartStory { .. },
                    ),
                    _,
                    ReplyTo::Edit { .. },
                ) => Some(Action::Decision),
                _ => Some(Action::Message),
            },
            Translation::Reaction(ReactionRequest::React { .. }) => Some(Action::Reaction),
            Translation::Shop(ShopRequest::Purchase { .. } | ShopRequest::RequestInvoice { .. })
            | Translation::Vip(VipRequest::Buy { .. }) => Some(Action::Purchase),
            // offers
            Translation::Offer(crate::telegram::flows::OfferRequest::Buy { .. }) => Some(Action::Purchase),
            // offers-stars: Telegram holds or has taken the Stars (below).
            Translation::Offer(
                crate::telegram::flows::OfferRequest::PreCheckout { .. }
                | crate::telegram::flows::OfferRequest::Paid { .. },
            ) => None,
            Translation::Offer(_) => Some(Action::Message),
            Translation::Vip(
                VipRequest::Show { .. } | VipRequest::SetRenewal { .. } | VipRequest::RequestLink { .. },
            ) => Some(Action::Message),
            Translation::View { .. }
            | Translation::Gift(_)
            | Translation::Shop(ShopRequest::Item { .. })
            | Translation::Profile(_)
            | Translation::Lore(_)
            | Translation::Trivia(_)
            | Translation::Referral(_)
            | Translation::Board(_)
            | Translation::Auction(AuctionRequest::Show { .. } | AuctionRequest::Bid { .. })
            | Translation::Refuse { .. }
            | Translation::RefuseButton { .. } => Some(Action::Message),
            // Telegram holds or has taken the player's Stars: answered and
            // granted whatever the pace. Channel posts are no player's;
            // operators are trusted; an ignored update costs nothing.
            Translation::Shop(
                ShopRequest::PreCheckout { .. } | ShopRequest::StarsPaid { .. } | ShopRequest::RefundStars { .. },
            )
            | Translation::Reaction(ReactionRequest::Publish { .. } | ReactionRequest::Report { .. })
            | Translation::Auction(AuctionRequest::Create { .. } | AuctionRequest::Cancel { .. })
            | Translation::Operator(_)
            | Translation::Role(_)
            | Translation::Analytics(_)
            | Translation::Operated(_)
            | Translation::Vip(
                VipRequest::PreCheckout { .. }
                | VipRequest::Paid { .. }
                | VipRequest::ChannelMember { .. }
                | VipRequest::JoinRequest { .. },
            )
            | Translation::Channel(_)
            | Translation::Ignore(_) => None,
            // flags: operators' only (players' `/estilo` is a view).
            Translation::Flag(_) => None,
        }
    }
}

/// At most `max` updates per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

/// The limit of each action (`None`: unlimited). `RATE_LIMITS` in the
/// environment: `off`, or `action=max/window` pairs separated by commas
/// (window in `s`, `m` or `h`; `action=off` lifts one), each overriding its
/// default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimits([Option<Limit>; 4]);

impl Default for RateLimits {
    fn default() -> RateLimits {
        let limit = |max, secs| Some(Limit { max, window: Duration::from_secs(secs) });
        // Indexed by `Action::index`.
        RateLimits([limit(20, 10), limit(10, 10), limit(30, 60), limit(5, 60)])
    }
}

impl RateLimits {
    /// Nothing is limited.
    pub fn off() -> RateLimits {
        RateLimits([None; 4])
    }

    pub fn get(&self, action: Action) -> Option<Limit> {
        self.0[action.index()]
    }

    pub fn set(&mut self, action: Action, limit: Option<Limit>) {
        self.0[action.index()] = limit;
    }
}

/// Why `RATE_LIMITS` could not be read.
#[derive(Debug, thiserror::Error)]
#[error(
    "RATE_LIMITS: {0:?} is not action=max/window (actions: message, decision, reaction, purchase; e.g. message=20/10s) or action=off"
)]
pub struct RateLimitsError(String);

impl FromStr for RateLimits {
    type Err = RateLimitsError;

    fn from_str(text: &str) -> Result<RateLimits, RateLimitsError> {
        if text.trim() == "off" {
            return Ok(RateLimits::off());
        }
        let mut limits = RateLimits::default();
        for pair in text.split(',').map(str::trim).filter(|pair| !pair.is_empty()) {
            let invalid = || RateLimitsError(pair.to_owned());
            let (name, value) = pair.split_once('=').ok_or_else(invalid)?;
            let action = Action::ALL.into_iter().find(|action| action.as_str() == name.trim()).ok_or_else(invalid)?;
            let limit = match value.trim() {
                "off" => None,
                value => Some(parse_limit(value).ok_or_else(invalid)?),
            };
            limits.set(action, limit);
        }
        Ok(limits)
    }
}

impl fmt::Display for RateLimits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pairs: Vec<String> = Action::ALL
            .into_iter()
            .map(|action| match self.get(action) {
                Some(limit) => format!("{}={}/{}s", action.as_str(), limit.max, limit.window.as_secs()),
                None => format!("{}=off", action.as_str()),
            })
            .collect();
        f.write_str(&pairs.join(","))
    }
}

/// `20/10s`, `5/1m`, `100/1h`: a positive count and a positive window.
fn parse_limit(text: &str) -> Option<Limit> {
    let (max, window) = text.split_once('/')?;
    let max: u32 = max.trim().parse().ok().filter(|max| *max > 0)?;
    let window = window.trim();
    let unit = match window.chars().last()? {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        _ => return None,
    };
    let count: u64 = window[..window.len() - 1].parse().ok().filter(|count| *count > 0)?;
    Some(Limit { max, window: Duration::from_secs(count.checked_mul(unit)?) })
}

/// What the limiter says of one update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Allowed,
    /// Over the limit. `notice`: the first refusal of this window, so the
    /// player is told (once); `retry_in`: when the window ends.
    Limited {
        notice: bool,
        retry_in: Duration,
    },
}

/// Limited updates by action, and notices sent, for `/metrics`.
#[derive(Debug, Default)]
pub struct RateLimitStats {
    limited: [AtomicU64; 4],
    pub notices: AtomicU64,
}

impl RateLimitStats {
    pub fn limited(&self, action: Action) -> u64 {
        self.limited[action.index()].load(Ordering::Relaxed)
    }
}

/// Shards of the user map: enough that intake tasks on every core rarely
/// wait for one another.
const SHARDS: usize = 16;

/// A shard is not pruned below this many users: pruning a small map often
/// would cost more than it frees.
const MIN_PRUNE_AT: usize = 1024;

/// One user's current window for one action.
#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    count: u32,
    noticed: bool,
}

#[derive(Debug, Default)]
struct Shard {
    users: HashMap<u64, [Option<Window>; 4]>,
    /// Prune when the map reaches this size.
    prune_at: usize,
}

/// The limits of every user; shared by every intake task.
#[derive(Debug)]
pub struct RateLimiter {
    limits: RateLimits,
    /// The longest window: a user whose windows all started longer ago than
    /// this is forgotten.
    longest: Duration,
    shards: Box<[Mutex<Shard>]>,
    stats: RateLimitStats,
}

impl RateLimiter {
    pub fn new(limits: RateLimits) -> RateLimiter {
        let longest = Action::ALL.into_iter().filter_map(|action| limits.get(action)).map(|limit| limit.window).max();
        let shards = (0..SHARDS).map(|_| Mutex::new(Shard { prune_at: MIN_PRUNE_AT, ..Shard::default() })).collect();
        RateLimiter { limits, longest: longest.unwrap_or_default(), shards, stats: RateLimitStats::default() }
    }

    pub fn stats(&self) -> &RateLimitStats {
        &self.stats
    }

    /// Users remembered now (each with a window that may still be open).
    pub fn tracked_users(&self) -> usize {
        self.shards.iter().map(|shard| lock(shard).users.len()).sum()
    }

    /// Counts one `action` of `user` at `now` against its limit.
    pub fn admit(&self, user: u64, action: Action, now: Instant) -> Admission {
        let Some(limit) = self.limits.get(action) else {
            return Admission::Allowed;
        };
        let shard = &self.shards[(user % SHARDS as u64) as usize];
        let mut shard = lock(shard);
        if !shard.users.contains_key(&user) && shard.users.len() >= shard.prune_at {
            shard.prune(now, self.longest);
        }
        let slot = &mut shard.users.entry(user).or_default()[action.index()];
        if slot.is_some_and(|window| now.saturating_duration_since(window.start) >= limit.window) {
            *slot = None;
        }
        let window = slot.get_or_insert(Window { start: now, count: 0, noticed: false });
        let admission = if window.count < limit.max {
            window.count += 1;
            Admission::Allowed
        } else {
            let notice = !window.noticed;
            window.noticed = true;
            let retry_in = limit.window.saturating_sub(now.saturating_duration_since(window.start));
            Admission::Limited { notice, retry_in }
        };
        if let Admission::Limited { notice, .. } = admission {
            self.stats.limited[action.index()].fetch_add(1, Ordering::Relaxed);
            if notice {
                self.stats.notices.fetch_add(1, Ordering::Relaxed);
            }
        }
        admission
    }

    /// The update's verdict: `None` lets it through; otherwise it is
    /// refused, and the returned [`Limited`] says whom to tell.
    pub fn check(&self, update: &Update, translation: &Translation) -> Option<Limited> {
        let action = Action::of(translation)?;
        let user = update.from()?;
        let Admission::Limited { notice, retry_in } = self.admit(user.id.0, action, Instant::now()) else {
            return None;
        };
        tracing::debug!(user_id = user.id.0, action = action.as_str(), notice, "update over its rate limit");
        if !notice {
            return Some(Limited { action, notice: None });
        }
        let private_chat = i64::try_from(user.id.0).ok();
        let to = match &update.kind {
            UpdateKind::CallbackQuery(query) => Some(NoticeTo::Callback(query.id.0.clone())),
            UpdateKind::Message(message) => Some(NoticeTo::Chat(message.chat.id.0)),
            // A reaction's chat is a channel: the player's private chat with the bot.
            _ => private_chat.map(NoticeTo::Chat),
        };
        let notice = to.map(|to| Notice {
            to,
            user: private_chat.map(UserId),
            language: Language::from_code(user.language_code.as_deref()),
            retry_in,
        });
        Some(Limited { action, notice })
    }
}

impl Shard {
    /// Forgets users whose windows have all ended, and sets the next prune
    /// at twice what is left, so each user pays O(1) for the sweeps.
    fn prune(&mut self, now: Instant, longest: Duration) {
        self.users.retain(|_, windows| {
            windows.iter().flatten().any(|window| now.saturating_duration_since(window.start) < longest)
        });
        self.prune_at = (self.users.len() * 2).max(MIN_PRUNE_AT);
    }
}

fn lock(shard: &Mutex<Shard>) -> std::sync::MutexGuard<'_, Shard> {
    // A panic while holding the lock leaves counts, not broken invariants.
    shard.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// An update refused by the limiter.
#[derive(Debug)]
pub struct Limited {
    pub action: Action,
    /// Present for the first refusal of a window.
    pub notice: Option<Notice>,
}

/// The "slow down" a refused player is told.
#[derive(Debug)]
pub struct Notice {
    pub to: NoticeTo,
    /// The player, to read the language they chose; `None` if the id is out of range.
    pub user: Option<UserId>,
    /// Telegram's language for them, if they have no state.
    pub language: Language,
    pub retry_in: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeTo {
    Chat(i64),
    /// A pressed button: the notice is its alert.
    Callback(String),
}

impl Limited {
    /// Tells the player to slow down, if this refusal is the window's first,
    /// in the language their state has (read, never changed).
    pub async fn tell(self, router: &Router, outbound: &Outbound) {
        let Some(Notice { to, user, language, retry_in }) = self.notice else {
            return;
        };
        let language = match user {
            Some(user) => router.view(user, |state| state.language()).await.unwrap_or(language),
            None => language,
        };
        // Whole seconds, rounded up: "0 s" would invite an immediate retry.
        let seconds = retry_in.as_secs() + u64::from(retry_in.subsec_nanos() > 0);
        let text = screens::slow_down(language, self.action == Action::Reaction, seconds);
        outbound.submit(match to {
            NoticeTo::Chat(chat_id) => {
                OutboundRequest::Send { chat_id, text, keyboard: None, priority: Priority::Interactive }
            }
            NoticeTo::Callback(callback_query_id) => {
                OutboundRequest::AnswerCallback { callback_query_id, text: Some(text), show_alert: true }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::config::AuctionLimits;
    use crate::telegram::callback::{Action as Button, CallbackCodec};
    use crate::telegram::translate::Translator;

    fn translator() -> Translator {
        let codec = CallbackCodec::new(b"secret");
        Translator {
            codec,
            operators: std::sync::Arc::new(crate::operators::Roster::new(
                [dianabot_game::UserId(1)],
                std::sync::Arc::new(crate::content::load_demo().expect("demo content")),
                dianabot_plumbing::Clock::system(),
            )),
            auctions: AuctionLimits::default(),
            vip_channel: None,
            channels: BTreeSet::new(),
            username: Some("DianaBot".to_owned()),
        }
    }

    fn update(json: String) -> Update {
        serde_json::from_str(&json).expect("valid update")
    }

    fn text_from(user: i64, text: &str) -> Update {
        update(format!(
            r#"{{"update_id":1,"message":{{"message_id":1,"date":1700000000,
                "chat":{{"id":{user},"type":"private","first_name":"U"}},
                "from":{{"id":{user},"is_bot":false,"first_name":"U","language_code":"en"}},"text":"{text}"}}}}"#
        ))
    }

    fn press(user: i64, button: Button) -> Update {
        let data = translator().codec.encode(UserId(user), button);
        update(format!(
            r#"{{"update_id":2,"callback_query":{{"id":"cb","chat_instance":"x","data":"{data}",
                "from":{{"id":{user},"is_bot":false,"first_name":"U"}},
                "message":{{"message_id":3,"date":1700000000,"chat":{{"id":{user},"type":"private","first_name":"U"}},
                "text":"story"}}}}}}"#
        ))
    }

    fn reaction(user: i64) -> Update {
        update(format!(
            r#"{{"update_id":3,"message_reaction":{{"chat":{{"id":-1001,"type":"channel","title":"Diana"}},
                "message_id":7,"user":{{"id":{user},"is_bot":false,"first_name":"U"}},"date":1700000000,
                "old_reaction":[],"new_reaction":[{{"type":"emoji","emoji":"❤"}}]}}}}"#
        ))
    }

    #[test]
    fn updates_are_classified_by_what_the_player_does() {
        let action = |update: Update| Action::of(&translator().translate(&update));
        assert_eq!(action(text_from(5, "/historia")), Some(Action::Message));
        assert_eq!(action(text_from(5, "gibberish")), Some(Action::Message));
        assert_eq!(action(press(5, Button::Decide { fragment: 1, choice: 0 })), Some(Action::Decision));
        assert_eq!(action(press(5, Button::Menu)), Some(Action::Message));
        assert_eq!(action(reaction(5)), Some(Action::Reaction));
        assert_eq!(action(text_from(5, "/comprar rosa_negra")), Some(Action::Purchase));
        assert_eq!(action(text_from(1, "/grant 42 5")), None, "operators are not limited");
    }

    #[test]
    fn the_notice_goes_where_the_player_acted() {
        let limiter = limiter("message=1/60s,decision=1/60s,reaction=1/60s");
        let check = |update: Update| {
            let translation = translator().translate(&update);
            limiter.check(&update, &translation).map(|limited| limited.notice.map(|notice| notice.to))
        };
        for (update, to) in [
            (text_from(5, "/perfil"), NoticeTo::Chat(5)),
            (press(5, Button::Decide { fragment: 1, choice: 0 }), NoticeTo::Callback("cb".into())),
            // On a channel post: told in the player's private chat.
            (reaction(5), NoticeTo::Chat(5)),
        ] {
            assert_eq!(check(update.clone()), None, "the first is allowed");
            assert_eq!(check(update.clone()), Some(Some(to)), "the second is refused, with the notice");
            assert_eq!(check(update), Some(None), "the third is refused silently");
        }
    }

    fn limiter(spec: &str) -> RateLimiter {
        RateLimiter::new(spec.parse().expect("limits"))
    }

    #[test]
    fn limits_read_overrides_of_the_defaults_and_refuse_nonsense() {
        let limits: RateLimits = "message=3/2s, purchase=off,reaction=100/1m".parse().unwrap();
        assert_eq!(limits.get(Action::Message), Some(Limit { max: 3, window: Duration::from_secs(2) }));
        assert_eq!(limits.get(Action::Purchase), None);
        assert_eq!(limits.get(Action::Reaction), Some(Limit { max: 100, window: Duration::from_secs(60) }));
        assert_eq!(limits.get(Action::Decision), RateLimits::default().get(Action::Decision));
        assert_eq!("off".parse::<RateLimits>().unwrap(), RateLimits::off());
        assert_eq!(RateLimits::default().to_string().parse::<RateLimits>().unwrap(), RateLimits::default());
        let huge: RateLimits = "message=1/5000000000000h".parse().unwrap();
        let limiter = RateLimiter::new(huge);
        let now = Instant::now();
        limiter.admit(1, Action::Message, now);
        assert!(matches!(limiter.admit(1, Action::Message, now), Admission::Limited { .. }), "no overflow");
        for bad in ["message", "messages=1/1s", "message=0/1s", "message=1/0s", "message=1/1d", "message=-1/1s"] {
            assert!(bad.parse::<RateLimits>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_window_admits_its_budget_then_refuses_until_it_ends() {
        let limiter = limiter("message=3/10s");
        let start = Instant::now();
        for n in 0..3 {
            let now = start + Duration::from_secs(n);
            assert_eq!(limiter.admit(7, Action::Message, now), Admission::Allowed, "update {n}");
        }
        let at = start + Duration::from_secs(4);
        assert_eq!(
            limiter.admit(7, Action::Message, at),
            Admission::Limited { notice: true, retry_in: Duration::from_secs(6) }
        );
        // The window counts from its first update, not its last.
        assert_eq!(limiter.admit(7, Action::Message, start + Duration::from_secs(10)), Admission::Allowed);
        assert_eq!(limiter.stats().limited(Action::Message), 1);
    }

    #[test]
    fn the_notice_comes_once_per_window_and_action() {
        let limiter = limiter("message=1/10s,decision=1/10s");
        let start = Instant::now();
        let notices = |from: Instant| {
            (0..50)
                .filter(|n| {
                    let now = from + Duration::from_millis(*n);
                    matches!(limiter.admit(7, Action::Message, now), Admission::Limited { notice: true, .. })
                })
                .count()
        };
        assert_eq!(notices(start), 1);
        assert_eq!(notices(start + Duration::from_secs(10)), 1, "a new window, a new notice");
        assert_eq!(limiter.admit(7, Action::Decision, start), Admission::Allowed, "each action has its own budget");
        assert_eq!(limiter.stats().notices.load(Ordering::Relaxed), 2);
        assert_eq!(limiter.stats().limited(Action::Message), 98);
    }

    #[test]
    fn users_are_limited_apart_and_unlimited_actions_are_not_counted() {
        let limiter = limiter("message=1/10s,reaction=off");
        let now = Instant::now();
        assert_eq!(limiter.admit(1, Action::Message, now), Admission::Allowed);
        assert!(matches!(limiter.admit(1, Action::Message, now), Admission::Limited { .. }));
        assert_eq!(limiter.admit(2, Action::Message, now), Admission::Allowed);
        for _ in 0..100 {
            assert_eq!(limiter.admit(3, Action::Reaction, now), Admission::Allowed);
        }
        assert_eq!(limiter.tracked_users(), 2);
    }

    #[test]
    fn users_whose_windows_ended_are_forgotten() {
        let limiter = limiter("message=5/10s,decision=5/10s,reaction=5/10s,purchase=5/10s");
        let start = Instant::now();
        let many = (SHARDS * MIN_PRUNE_AT * 4) as u64;
        for user in 0..many {
            limiter.admit(user, Action::Message, start);
        }
        assert_eq!(limiter.tracked_users() as u64, many, "all within one window: all remembered");
        // A window later, as many new users arrive: the old ones are swept.
        let later = start + Duration::from_secs(10);
        for user in many..2 * many {
            limiter.admit(user, Action::Message, later);
        }
        let tracked = limiter.tracked_users() as u64;
        assert!(tracked <= many + (SHARDS * MIN_PRUNE_AT) as u64 * 2, "{tracked} users remembered");
        assert!(tracked >= many, "the users of the open window stay");
    }
}
