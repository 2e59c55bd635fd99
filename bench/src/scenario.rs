//! What a simulated user does, one step at a time.
//!
//! A scenario turns a user's current view of the bot (the last message the
//! bot sent them and its buttons) into the next update, and says what
//! answers it: the bot's reply (a new or edited message) or only the
//! acknowledgement (webhook 200 / polling offset). New game features add a
//! variant here and a `build` arm; until a feature exists its scenario is
//! listed as unavailable instead of being faked.

use std::fmt;
use std::str::FromStr;

use serde_json::{Value, json};

/// Reaction emojis the harness cycles through (Telegram's standard set).
pub const EMOJIS: [&str; 10] = ["👍", "❤", "🔥", "🥰", "👏", "😁", "🤩", "🎉", "🙏", "👌"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scenario {
    /// `/start`: registration (setup phase only).
    Start,
    /// A reaction on a free-channel post.
    Reaction,
    /// An interactive story step: a decision (or, where none is open, the
    /// navigation to one) pressed, answered by an edit.
    Story,
    /// A story decision on its own (today part of `Story`).
    Decision,
    Purchase,
    /// `/regalar <user> 1`: a gift of one besito to another simulated user.
    Gift,
    /// `/pujar <auction> <amount>` on one of the auctions set-up opened.
    AuctionBid,
    DailyGift,
    /// The harness's operator (set-up and tear-down only): opening and
    /// cancelling auctions, granting besitos to bid with.
    Operator,
}

/// What completes a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Only the acknowledgement: reactions are paid silently.
    Ack,
    /// A new message from the bot in the user's chat.
    NewMessage,
    /// An edit of the pressed message.
    Edit,
}

impl Scenario {
    /// Scenarios a `--mix` may name, in help order.
    pub const MIXABLE: [Scenario; 7] = [
        Scenario::Reaction,
        Scenario::Story,
        Scenario::Decision,
        Scenario::Purchase,
        Scenario::Gift,
        Scenario::AuctionBid,
        Scenario::DailyGift,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Start => "start",
            Scenario::Reaction => "reaction",
            Scenario::Story => "story",
            Scenario::Decision => "decision",
            Scenario::Purchase => "purchase",
            Scenario::Gift => "gift",
            Scenario::AuctionBid => "bid",
            Scenario::DailyGift => "daily",
            Scenario::Operator => "operator",
        }
    }

    /// `Err(why)` while the harness cannot play it.
    pub fn availability(self) -> Result<(), &'static str> {
        match self {
            Scenario::Start
            | Scenario::Reaction
            | Scenario::Story
            | Scenario::Purchase
            | Scenario::DailyGift
            | Scenario::Gift
            | Scenario::AuctionBid => Ok(()),
            Scenario::Decision => {
                Err("story decisions are part of `story` (a step takes an open decision when offered)")
            }
            Scenario::Operator => Err("the harness's own set-up and tear-down"),
        }
    }

    /// What the simulated user types, for the scenarios played as fixed
    /// commands (gifts and bids name a receiver or an amount: [`gift_text`],
    /// [`bid_text`]).
    pub fn command_text(self) -> Option<&'static str> {
        match self {
            Scenario::Start => Some("/start"),
            Scenario::DailyGift => Some("/diario"),
            Scenario::Purchase => Some("/comprar rosa_negra"),
            _ => None,
        }
    }

    pub fn answer(self) -> Answer {
        match self {
            Scenario::Reaction => Answer::Ack,
            Scenario::Start
            | Scenario::DailyGift
            | Scenario::Purchase
            | Scenario::Gift
            | Scenario::AuctionBid
            | Scenario::Operator => Answer::NewMessage,
            Scenario::Story | Scenario::Decision => Answer::Edit,
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scenario {
    type Err = String;

    fn from_str(name: &str) -> Result<Scenario, String> {
        Scenario::MIXABLE
            .into_iter()
            .find(|scenario| scenario.name() == name)
            .ok_or_else(|| format!("unknown scenario {name:?}; known: {}", names(&Scenario::MIXABLE)))
    }
}

fn names(scenarios: &[Scenario]) -> String {
    scenarios.iter().map(|scenario| scenario.name()).collect::<Vec<_>>().join(", ")
}

/// `--help` text listing the scenarios.
pub fn help() -> String {
    let mut text = String::from("Scenarios for --mix NAME=WEIGHT,...:\n");
    text.push_str("  reaction  a new reaction on a free-channel post; paid silently, so it is answered by the\n");
    text.push_str("            acknowledgement (webhook 200 / polling offset), given once it is durable\n");
    text.push_str("  story     an interactive story step (callback query, answered by answerCallbackQuery +\n");
    text.push_str("            editMessageText): take an open decision of the page, chosen by the seed; at an\n");
    text.push_str("            ending restart; where none is open (locked, VIP) go back to the menu and reopen\n");
    text.push_str("            the story\n");
    text.push_str("  daily     /diario, the daily gift (answered by a message: the gift, or why not)\n");
    text.push_str("  purchase  /comprar rosa_negra, COMPRAR_ITEM in besitos (answered by a message: the item,\n");
    text.push_str("            or why not: funds, the hourly limit)\n");
    text.push_str("  gift      /regalar <user> 1: one besito to another simulated user, picked by the seed (a\n");
    text.push_str("            saga across two actors; answered by the giver's report; the report counts gifts\n");
    text.push_str("            delivered and refused by the game — past 10 a day per user, or without funds — and\n");
    text.push_str("            the notices the receivers get)\n");
    text.push_str("  bid       /pujar <auction> <amount> on one of --auctions auctions the harness's operator opens\n");
    text.push_str("            in set-up (and cancels at the end), 0-2 increments above the highest minimum the\n");
    text.push_str("            replies have shown (a saga with the auction's actor; answered by the auction page;\n");
    text.push_str("            the report counts bids accepted and refused — mostly races lost to a higher bid —\n");
    text.push_str("            and the outbid notices). Set-up grants every user besitos to bid with (/grant, one\n");
    text.push_str(&format!(
        "            more update per user). The operator is ADMIN_IDS={} on the server\n",
        crate::driver::OPERATOR_ID
    ));
    text.push_str("Gift and bid notices arrive in the other player's chat at any time; the harness tells them\n");
    text.push_str("from that player's own replies by their text, so they never answer a step.\n");
    text.push_str("Not available as scenarios of their own:\n");
    for scenario in Scenario::MIXABLE {
        if let Err(why) = scenario.availability() {
            text.push_str(&format!("  {:<9} {why}\n", scenario.name()));
        }
    }
    text
}

/// `reaction=70,story=30` → weights, checked: known, available, positive.
pub fn parse_mix(text: &str) -> Result<Vec<(Scenario, u32)>, String> {
    let mut mix = Vec::new();
    for part in text.split(',').map(str::trim).filter(|part| !part.is_empty()) {
        let (name, weight) = part.split_once('=').unwrap_or((part, "1"));
        let scenario: Scenario = name.trim().parse()?;
        scenario.availability().map_err(|why| format!("scenario {name} is not available: {why}"))?;
        let weight: u32 = weight.trim().parse().map_err(|_| format!("weight of {name} is not a whole number"))?;
        if mix.iter().any(|(known, _)| *known == scenario) {
            return Err(format!("scenario {name} named twice"));
        }
        if weight > 0 {
            mix.push((scenario, weight));
        }
    }
    if mix.is_empty() {
        return Err("the mix is empty".to_owned());
    }
    Ok(mix)
}

/// `/regalar` of `amount` besitos to Telegram user `to`.
pub fn gift_text(to: u64, amount: i64) -> String {
    format!("/regalar {to} {amount}")
}

/// `/pujar` of `amount` besitos on auction `auction`.
pub fn bid_text(auction: i64, amount: i64) -> String {
    format!("/pujar {auction} {amount}")
}

/// Who user `index` (of `users`) gives their `k`-th gift to: another user,
/// chosen by the seed (themselves only when they are alone, which the game
/// refuses).
pub fn gift_receiver(seed: u64, index: usize, k: u64, users: usize) -> usize {
    if users < 2 {
        return index;
    }
    let mut rng = fastrand::Rng::with_seed(seed ^ (index as u64).rotate_left(29) ^ k.rotate_left(7));
    (index + 1 + rng.usize(..users - 1)) % users
}

/// Which auction user `index`'s `k`-th bid goes to, and how many minimum
/// increments above the minimum they last saw it bids (0–2: bids race, and
/// a spread keeps most of them above one another).
pub fn bid_choice(seed: u64, index: usize, k: u64, auctions: usize) -> (usize, i64) {
    let mut rng = fastrand::Rng::with_seed(seed ^ (index as u64).rotate_left(41) ^ k.rotate_left(13) ^ 0xb1d);
    (rng.usize(..auctions.max(1)), rng.i64(0..3))
}

/// Picks scenarios by weight.
#[derive(Debug, Clone)]
pub struct Mix {
    cumulative: Vec<(u32, Scenario)>,
    total: u32,
}

impl Mix {
    pub fn new(weights: &[(Scenario, u32)]) -> Mix {
        let mut total = 0;
        let cumulative = weights
            .iter()
            .map(|&(scenario, weight)| {
                total += weight;
                (total, scenario)
            })
            .collect();
        Mix { cumulative, total }
    }

    pub fn pick(&self, rng: &mut fastrand::Rng) -> Scenario {
        let roll = rng.u32(0..self.total.max(1));
        self.cumulative.iter().find(|(upto, _)| roll < *upto).map_or(Scenario::Reaction, |(_, scenario)| *scenario)
    }
}

/// Which reaction a user's `k`-th reaction is: post `k % posts`, emoji
/// `k / posts`, replacing the user's previous emoji on that post, so every
/// one pays until `posts × EMOJIS.len()` (then they repeat and the game
/// refuses them as already rewarded; the report counts those).
pub fn reaction_step(k: u64, posts: usize) -> (usize, Option<&'static str>, &'static str, bool) {
    let posts = posts.max(1) as u64;
    let round = k / posts;
    let emoji = EMOJIS[(round % EMOJIS.len() as u64) as usize];
    let old = (round > 0).then(|| EMOJIS[((round - 1) % EMOJIS.len() as u64) as usize]);
    let fresh = round < EMOJIS.len() as u64;
    ((k % posts) as usize, old, emoji, fresh)
}

/// The `message_reaction` payload (the update's body under its kind).
pub fn reaction_payload(channel: &Value, user: &Value, post: i32, old: Option<&str>, new: &str, date: i64) -> Value {
    let emoji = |emoji: &str| json!({"type": "emoji", "emoji": emoji});
    json!({
        "chat": channel,
        "message_id": post,
        "user": user,
        "date": date,
        "old_reaction": old.map(emoji).into_iter().collect::<Vec<_>>(),
        "new_reaction": [emoji(new)],
    })
}

/// The story step's button, read from the bot's own message (button data
/// is signed for the user, so the harness can only press what it was
/// shown): an open decision of the page (one not marked 🔒 locked or 💎 VIP,
/// chosen by `pick`), else restart at an ending, else open the story, else
/// back to the menu, else on through onboarding. It looks at the action
/// code before the first `|` of the data (see `telegram::callback`), and at
/// labels only for the lock markers a player sees.
pub fn story_button(buttons: &[(String, String)], pick: impl FnOnce(usize) -> usize) -> Option<&str> {
    let action = |data: &str| data.split('|').next().unwrap_or_default().to_owned();
    let open: Vec<&str> = buttons
        .iter()
        .filter(|(label, data)| action(data).starts_with("d:") && !label.starts_with('🔒') && !label.starts_with('💎'))
        .map(|(_, data)| data.as_str())
        .collect();
    if !open.is_empty() {
        return open.get(pick(open.len()) % open.len()).copied();
    }
    const NAVIGATION: [&str; 4] = ["r", "s", "m", "o1"];
    NAVIGATION
        .iter()
        .find_map(|code| buttons.iter().find(|(_, data)| action(data) == *code).map(|(_, data)| data.as_str()))
}

/// Whether the user is on the main menu (set-up is done).
pub fn on_menu(buttons: &[(String, String)]) -> bool {
    buttons.iter().any(|(_, data)| data.split('|').next() == Some("s"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix_parses_weights_and_refuses_unbuilt_scenarios() {
        assert_eq!(parse_mix("reaction=70, story=30").unwrap(), vec![(Scenario::Reaction, 70), (Scenario::Story, 30)]);
        assert!(parse_mix("decision=10").unwrap_err().contains("not available"));
        assert!(parse_mix("operator=10").unwrap_err().contains("unknown scenario"), "not mixable");
        assert_eq!(parse_mix("gift=1,bid=2").unwrap(), vec![(Scenario::Gift, 1), (Scenario::AuctionBid, 2)]);
        assert!(parse_mix("dance=1").unwrap_err().contains("unknown scenario"));
        assert!(parse_mix("reaction=1,reaction=2").is_err());
        assert!(parse_mix("reaction=0").is_err());
    }

    #[test]
    fn picks_follow_the_weights() {
        let mix = Mix::new(&[(Scenario::Reaction, 70), (Scenario::Story, 30)]);
        let mut rng = fastrand::Rng::with_seed(7);
        let reactions = (0..10_000).filter(|_| mix.pick(&mut rng) == Scenario::Reaction).count();
        assert!((6_700..7_300).contains(&reactions), "{reactions}");
    }

    #[test]
    fn gifts_go_to_another_user_picked_by_the_seed() {
        for index in 0..5 {
            for k in 0..20 {
                let to = gift_receiver(3, index, k, 5);
                assert!(to < 5 && to != index, "{index} → {to}");
                assert_eq!(to, gift_receiver(3, index, k, 5), "deterministic");
            }
        }
        let receivers: std::collections::BTreeSet<usize> = (0..50).map(|k| gift_receiver(3, 0, k, 5)).collect();
        assert_eq!(receivers.len(), 4, "every other user gets some");
        assert_eq!(gift_receiver(3, 0, 0, 1), 0, "alone: to themselves (the game refuses)");
        assert_eq!(gift_text(10_000_000_004, 1), "/regalar 10000000004 1");
        assert_eq!(bid_text(17, 40), "/pujar 17 40");
        let (auction, above) = bid_choice(1, 2, 3, 4);
        assert!(auction < 4 && (0..3).contains(&above));
    }

    #[test]
    fn reactions_are_fresh_until_every_post_and_emoji_is_used() {
        assert_eq!(reaction_step(0, 3), (0, None, "👍", true));
        assert_eq!(reaction_step(4, 3), (1, Some("👍"), "❤", true));
        assert!(!reaction_step(30, 3).3);
    }

    fn buttons(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(label, data)| ((*label).to_owned(), format!("{data}|a|b|c"))).collect()
    }

    #[test]
    fn story_steps_take_open_decisions_else_navigate() {
        let page = buttons(&[("🔒 Locked", "d:0000002a:0"), ("Go on", "d:0000002a:1"), ("💎 VIP", "d:0000002a:2")]);
        assert_eq!(story_button(&page, |n| n - 1), Some("d:0000002a:1|a|b|c"), "only the open decision");
        let page = buttons(&[("A", "d:0000002a:0"), ("B", "d:0000002a:1"), ("«", "m")]);
        assert_eq!(story_button(&page, |_| 1), Some("d:0000002a:1|a|b|c"), "the picked one");
        let menu = buttons(&[("📖", "s"), ("👤", "p")]);
        assert_eq!(story_button(&menu, |_| 0), Some("s|a|b|c"));
        let gate = buttons(&[("💎 VIP", "d:0000002a:0"), ("History", "y"), ("«", "m")]);
        assert_eq!(story_button(&gate, |_| 0), Some("m|a|b|c"), "nothing open: back to the menu");
        assert_eq!(story_button(&buttons(&[("Again", "r"), ("«", "m")]), |_| 0), Some("r|a|b|c"));
        assert_eq!(story_button(&[], |_| 0), None);
    }
}
