//! Inline-button payloads: at most 64 bytes, signed, bound to one user.
//!
//! Telegram gives callback data back verbatim, and anyone can craft a
//! callback query with any data for any message they can see. So the data
//! carries the user it was rendered for, when it was issued, and an HMAC of
//! both with the action: a press by another user, an edited payload or a
//! button older than [`CallbackCodec::MAX_AGE_HOURS`] is refused before it
//! reaches the game.

use dianabot_game::content::{Lore, PlanKind};
use dianabot_game::{Language, UserId};
use dianabot_plumbing::unix_now;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// What a button asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Onboarding: the page after the welcome.
    OnboardingNext,
    Menu,
    Story,
    Profile,
    Inventory,
    Help,
    LanguagePicker,
    SetLanguage(Language),
    /// The `choice`-th decision of the fragment tagged `fragment`.
    Decide {
        fragment: u32,
        choice: u8,
    },
    History,
    RestartStory,
    Vip,
    DailyGift,
    Missions,
    Achievements,
    Ledger,
    /// A shelf of the shop: `category` is a [`tag`] of its id (0 for every
    /// shelf), `page` counts from 0.
    Shop {
        category: u32,
        page: u8,
    },
    /// A shop item's details; `item` is a [`tag`] of its id.
    ShopItem {
        item: u32,
    },
    BuyWithBesitos {
        item: u32,
    },
    BuyWithStars {
        item: u32,
    },
    /// The live auctions.
    Auctions,
    /// One auction's page.
    Auction(i64),
    /// Bid `amount` on `auction`. The amount is absolute, not a step: a
    /// button left behind by a newer bid offers too little and is refused
    /// with the new minimum, never turned into a bigger bid than shown.
    Bid {
        auction: i64,
        amount: i64,
    },
    /// Buy a VIP plan (an invoice; the monthly plan's is a subscription).
    VipBuy(PlanKind),
    /// Cancel (`true`) or resume the VIP subscription's renewal.
    VipRenewal {
        cancel: bool,
    },
    /// A new personal invite link to the VIP channel.
    VipLink,
    /// The player's experiences.
    Experiences,
    /// An experience's page; `experience` is a [`tag`] of its id.
    Experience {
        experience: u32,
    },
    StartExperience {
        experience: u32,
    },
    /// Abandon the run: asks first (`confirmed: false`), then does it.
    AbandonExperience {
        experience: u32,
        confirmed: bool,
    },
    /// The backpack, with the pieces of `selected` chosen: bit `i` is the
    /// `i`-th piece of `lore.toml` (`Lore::piece_order`).
    Backpack {
        selected: u64,
    },
    /// Combine the `selected` pieces; `catalogue` is the [`tag`] of the
    /// content's piece order the bits refer to, so a selection made before
    /// a reload that moved them is recognised.
    Combine {
        selected: u64,
        catalogue: u32,
    },
    /// Read the fragment a revealed recipe (its [`tag`]) opened.
    ReadSecret {
        recipe: u32,
    },
    // ----- community games -----
    /// The trivia sets.
    Trivia,
    /// Start the trivia set whose id has this [`tag`].
    TriviaStart {
        set: u32,
    },
    /// Answer question `question` of trivia run `run` with `option`.
    TriviaAnswer {
        run: u32,
        question: u8,
        option: u8,
    },
    /// Back to the trivia question being asked.
    TriviaContinue,
    /// The timed events, running and coming.
    Events,
    /// The player's invite link.
    Invite,
    // Leaderboards.
    /// Show the board whose id has this [`tag`] (any other value: the first).
    Board {
        board: u32,
    },
    // offers
    /// The running offers (`/ofertas`).
    Offers,
    /// Open the card of the offer whose id has this [`tag`].
    OfferOpen {
        offer: u32,
    },
    /// Buy (or take, for a trial) the offer whose id has this [`tag`].
    OfferBuy {
        offer: u32,
    },
}

/// The short, stable tag of a content id that buttons carry (FNV-1a, as
/// for story fragments): a button stays valid across reloads as long as
/// its item exists, and never names another one.
pub fn tag(id: &str) -> u32 {
    dianabot_game::story::fragment_tag(id)
}

/// The [`tag`] of the content's lore piece order, which the bits of a
/// backpack selection refer to.
pub fn pieces_tag(lore: &Lore) -> u32 {
    let order: Vec<&str> = lore.piece_order.iter().map(|id| id.as_str()).collect();
    tag(&order.join(","))
}

impl Action {
    fn encode(self) -> String {
        let fixed = match self {
            Action::Decide { fragment, choice } => return format!("d:{fragment:08x}:{choice}"),
            Action::Shop { category, page } => return format!("sh:{category:08x}:{page}"),
            Action::ShopItem { item } => return format!("si:{item:08x}"),
            Action::BuyWithBesitos { item } => return format!("bb:{item:08x}"),
            Action::BuyWithStars { item } => return format!("bs:{item:08x}"),
            Action::Experience { experience } => return format!("x:{experience:08x}"),
            Action::StartExperience { experience } => return format!("xs:{experience:08x}"),
            Action::AbandonExperience { experience, confirmed: false } => return format!("xa:{experience:08x}"),
            Action::AbandonExperience { experience, confirmed: true } => return format!("xq:{experience:08x}"),
            Action::Experiences => "x",
            Action::Auction(auction) => return format!("a:{}", base36(auction as u64)),
            Action::Bid { auction, amount } => {
                return format!("b:{}:{}", base36(auction as u64), base36(amount as u64));
            }
            Action::Backpack { selected } => return format!("k:{}", base36(selected)),
            Action::Combine { selected, catalogue } => return format!("kc:{}:{catalogue:08x}", base36(selected)),
            Action::ReadSecret { recipe } => return format!("ks:{recipe:08x}"),
            Action::Board { board } => return format!("lb:{board:08x}"),
            Action::OfferOpen { offer } => return format!("of:{offer:08x}"),
            Action::OfferBuy { offer } => return format!("ob:{offer:08x}"),
            Action::Offers => "os",
            Action::Auctions => "a",
            Action::TriviaStart { set } => return format!("ts:{set:08x}"),
            Action::TriviaAnswer { run, question, option } => {
                return format!("tq:{}:{question}:{option}", base36(u64::from(run)));
            }
            Action::Trivia => "t",
            Action::TriviaContinue => "tc",
            Action::Events => "ev",
            Action::Invite => "iv",
            Action::VipBuy(PlanKind::Monthly) => "vb:m",
            Action::VipBuy(PlanKind::Annual) => "vb:a",
            Action::VipBuy(PlanKind::Lifetime) => "vb:l",
            Action::VipBuy(PlanKind::Trial) => "vb:t",
            Action::VipRenewal { cancel: true } => "vr:1",
            Action::VipRenewal { cancel: false } => "vr:0",
            Action::VipLink => "vl",
            Action::OnboardingNext => "o1",
            Action::Menu => "m",
            Action::Story => "s",
            Action::Profile => "p",
            Action::Inventory => "i",
            Action::Help => "h",
            Action::LanguagePicker => "l",
            Action::SetLanguage(Language::Es) => "l:es",
            Action::SetLanguage(Language::En) => "l:en",
            Action::History => "y",
            Action::RestartStory => "r",
            Action::Vip => "v",
            Action::DailyGift => "g",
            Action::Missions => "mi",
            Action::Achievements => "lo",
            Action::Ledger => "$",
        };
        fixed.to_owned()
    }

    fn decode(text: &str) -> Option<Action> {
        if let Some(rest) = text.strip_prefix("d:") {
            let (fragment, choice) = rest.split_once(':')?;
            if fragment.len() != 8 {
                return None;
            }
            let fragment = u32::from_str_radix(fragment, 16).ok()?;
            return Some(Action::Decide { fragment, choice: choice.parse().ok()? });
        }
        if let Some(rest) = text.strip_prefix("sh:") {
            let (category, page) = rest.split_once(':')?;
            return Some(Action::Shop { category: hex_u32(category)?, page: page.parse().ok()? });
        }
        for (prefix, action) in [
            ("si:", (|item| Action::ShopItem { item }) as fn(u32) -> Action),
            ("bb:", |item| Action::BuyWithBesitos { item }),
            ("bs:", |item| Action::BuyWithStars { item }),
            ("x:", |experience| Action::Experience { experience }),
            ("xs:", |experience| Action::StartExperience { experience }),
            ("xa:", |experience| Action::AbandonExperience { experience, confirmed: false }),
            ("xq:", |experience| Action::AbandonExperience { experience, confirmed: true }),
            ("of:", |offer| Action::OfferOpen { offer }),
            ("ob:", |offer| Action::OfferBuy { offer }),
        ] {
            if let Some(item) = text.strip_prefix(prefix) {
                return Some(action(hex_u32(item)?));
            }
        }
        if let Some(selected) = text.strip_prefix("k:") {
            return Some(Action::Backpack { selected: u64::from_str_radix(selected, 36).ok()? });
        }
        if let Some(rest) = text.strip_prefix("kc:") {
            let (selected, catalogue) = rest.split_once(':')?;
            let selected = u64::from_str_radix(selected, 36).ok()?;
            return Some(Action::Combine { selected, catalogue: hex_u32(catalogue)? });
        }
        if let Some(recipe) = text.strip_prefix("ks:") {
            return Some(Action::ReadSecret { recipe: hex_u32(recipe)? });
        }
        if let Some(set) = text.strip_prefix("ts:") {
            return Some(Action::TriviaStart { set: hex_u32(set)? });
        }
        if let Some(rest) = text.strip_prefix("tq:") {
            let mut parts = rest.split(':');
            let (Some(run), Some(question), Some(option), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return None;
            };
            let run = u32::from_str_radix(run, 36).ok()?;
            return Some(Action::TriviaAnswer { run, question: question.parse().ok()?, option: option.parse().ok()? });
        }
        if let Some(board) = text.strip_prefix("lb:") {
            return Some(Action::Board { board: hex_u32(board)? });
        }
        if let Some(auction) = text.strip_prefix("a:") {
            return Some(Action::Auction(id36(auction)?));
        }
        if let Some(rest) = text.strip_prefix("b:") {
            let (auction, amount) = rest.split_once(':')?;
            return Some(Action::Bid { auction: id36(auction)?, amount: id36(amount)? });
        }
        Some(match text {
            "o1" => Action::OnboardingNext,
            "m" => Action::Menu,
            "s" => Action::Story,
            "p" => Action::Profile,
            "i" => Action::Inventory,
            "h" => Action::Help,
            "l" => Action::LanguagePicker,
            "l:es" => Action::SetLanguage(Language::Es),
            "l:en" => Action::SetLanguage(Language::En),
            "y" => Action::History,
            "r" => Action::RestartStory,
            "v" => Action::Vip,
            "g" => Action::DailyGift,
            "mi" => Action::Missions,
            "lo" => Action::Achievements,
            "$" => Action::Ledger,
            "a" => Action::Auctions,
            "x" => Action::Experiences,
            "vb:m" => Action::VipBuy(PlanKind::Monthly),
            "vb:a" => Action::VipBuy(PlanKind::Annual),
            "vb:l" => Action::VipBuy(PlanKind::Lifetime),
            "vb:t" => Action::VipBuy(PlanKind::Trial),
            "vr:1" => Action::VipRenewal { cancel: true },
            "vr:0" => Action::VipRenewal { cancel: false },
            "vl" => Action::VipLink,
            "t" => Action::Trivia,
            "tc" => Action::TriviaContinue,
            "ev" => Action::Events,
            "iv" => Action::Invite,
            "os" => Action::Offers,
            _ => return None,
        })
    }
}

/// Exactly eight hex digits.
fn hex_u32(text: &str) -> Option<u32> {
    if text.len() != 8 {
        return None;
    }
    u32::from_str_radix(text, 16).ok()
}

/// What a Stars invoice is for. Its payload (at most 128 bytes) carries
/// these fields signed like buttons, so a payload edited or invented by a
/// client is refused at pre-checkout and at payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoicePayload {
    pub purchase: i64,
    pub buyer: UserId,
    pub item: String,
    pub stars: u32,
}

/// Why a press was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error("malformed callback data")]
    Malformed,
    #[error("callback data signed for another user or tampered with")]
    Forged,
    #[error("button expired")]
    Expired,
}

/// Signs and verifies callback data with a server secret.
#[derive(Clone)]
pub struct CallbackCodec {
    key: Vec<u8>,
}

type HmacSha256 = Hmac<Sha256>;

const TAG_BYTES: usize = 8;

impl CallbackCodec {
    /// Buttons older than this (30 days) are refused as stale.
    pub const MAX_AGE_HOURS: u64 = 24 * 30;

    pub fn new(secret: &[u8]) -> CallbackCodec {
        CallbackCodec { key: secret.to_vec() }
    }

    /// `action|user|issued|tag`, with user and issue hour in base 36 and a
    /// 64-bit tag in hex: 56 bytes at most.
    pub fn encode(&self, user: UserId, action: Action) -> String {
        self.encode_at(user, action, current_hour())
    }

    pub fn decode(&self, user: UserId, data: &str) -> Result<Action, CallbackError> {
        self.decode_at(user, data, current_hour())
    }

    fn encode_at(&self, user: UserId, action: Action, hour: u64) -> String {
        let body = format!("{}|{}|{}", action.encode(), base36(user.0 as u64), base36(hour));
        let tag = self.tag(&body);
        let data = format!("{body}|{}", hex(&tag));
        debug_assert!(data.len() <= 64, "callback data over Telegram's 64 bytes: {data}");
        data
    }

    fn decode_at(&self, user: UserId, data: &str, now_hour: u64) -> Result<Action, CallbackError> {
        let (body, tag) = data.rsplit_once('|').ok_or(CallbackError::Malformed)?;
        let mut parts = body.split('|');
        let (Some(action), Some(owner), Some(issued), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(CallbackError::Malformed);
        };
        let tag = unhex(tag).ok_or(CallbackError::Malformed)?;
        let mut mac = HmacSha256::new_from_slice(&self.key).map_err(|_| CallbackError::Malformed)?;
        mac.update(body.as_bytes());
        mac.verify_truncated_left(&tag).map_err(|_| CallbackError::Forged)?;
        // Authentic: now the fields are ours, but still check whose they are.
        let owner = u64::from_str_radix(owner, 36).map_err(|_| CallbackError::Malformed)?;
        if owner as i64 != user.0 {
            return Err(CallbackError::Forged);
        }
        let issued = u64::from_str_radix(issued, 36).map_err(|_| CallbackError::Malformed)?;
        if now_hour.saturating_sub(issued) > Self::MAX_AGE_HOURS {
            return Err(CallbackError::Expired);
        }
        Action::decode(action).ok_or(CallbackError::Malformed)
    }

    /// `i1|purchase|buyer|item|stars|tag`: at most 118 bytes for a 32-byte
    /// item id.
    pub fn sign_invoice(&self, payload: &InvoicePayload) -> String {
        let body = format!(
            "i1|{}|{}|{}|{}",
            base36(payload.purchase as u64),
            base36(payload.buyer.0 as u64),
            payload.item,
            payload.stars
        );
        format!("{body}|{}", hex(&self.tag(&body)))
    }

    pub fn verify_invoice(&self, data: &str) -> Result<InvoicePayload, CallbackError> {
        let (body, tag) = data.rsplit_once('|').ok_or(CallbackError::Malformed)?;
        let tag = unhex(tag).ok_or(CallbackError::Malformed)?;
        let mut mac = HmacSha256::new_from_slice(&self.key).map_err(|_| CallbackError::Malformed)?;
        mac.update(body.as_bytes());
        mac.verify_truncated_left(&tag).map_err(|_| CallbackError::Forged)?;
        let fields: Vec<&str> = body.split('|').collect();
        let ["i1", purchase, buyer, item, stars] = fields[..] else { return Err(CallbackError::Malformed) };
        let number = |text: &str| u64::from_str_radix(text, 36).map_err(|_| CallbackError::Malformed);
        Ok(InvoicePayload {
            purchase: number(purchase)? as i64,
            buyer: UserId(number(buyer)? as i64),
            item: item.to_owned(),
            stars: stars.parse().map_err(|_| CallbackError::Malformed)?,
        })
    }

    /// A player's referral code, `<user id in base 36>-<tag>`: the id
    /// signed with the server's key, so nobody can make a code that names
    /// another inviter (at most 30 characters of the deep-link charset).
    pub fn referral_code(&self, user: UserId) -> String {
        let id = base36(user.0 as u64);
        format!("{id}-{}", hex(&self.tag(&format!("ref|{id}"))))
    }

    /// The inviter a referral code names, if this server signed it.
    pub fn referral_inviter(&self, code: &str) -> Option<UserId> {
        let (id, tag) = code.split_once('-')?;
        let tag = unhex(tag)?;
        let mut mac = HmacSha256::new_from_slice(&self.key).ok()?;
        mac.update(format!("ref|{id}").as_bytes());
        mac.verify_truncated_left(&tag).ok()?;
        let id = u64::from_str_radix(id, 36).ok()?;
        Some(UserId(i64::try_from(id).ok()?))
    }

    fn tag(&self, body: &str) -> [u8; TAG_BYTES] {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(body.as_bytes());
        let full = mac.finalize().into_bytes();
        let mut tag = [0; TAG_BYTES];
        tag.copy_from_slice(&full[..TAG_BYTES]);
        tag
    }
}

fn current_hour() -> u64 {
    unix_now().max(0) as u64 / 3600
}

fn base36(mut value: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(value % 36) as usize]);
        value /= 36;
        if value == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII digits")
}

/// A non-negative id or amount written in base 36.
fn id36(text: &str) -> Option<i64> {
    i64::try_from(u64::from_str_radix(text, 36).ok()?).ok()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() != TAG_BYTES * 2 || !text.is_ascii() {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codec() -> CallbackCodec {
        CallbackCodec::new(b"test secret")
    }

    #[test]
    fn round_trips_every_action_within_64_bytes() {
        let user = UserId(i64::MAX);
        for action in [
            Action::OnboardingNext,
            Action::Menu,
            Action::Story,
            Action::Profile,
            Action::Inventory,
            Action::Help,
            Action::LanguagePicker,
            Action::SetLanguage(Language::Es),
            Action::SetLanguage(Language::En),
            Action::VipBuy(PlanKind::Monthly),
            Action::VipBuy(PlanKind::Annual),
            Action::VipBuy(PlanKind::Lifetime),
            Action::VipRenewal { cancel: true },
            Action::VipRenewal { cancel: false },
            Action::VipLink,
            Action::Decide { fragment: u32::MAX, choice: u8::MAX },
            Action::Decide { fragment: 0, choice: 0 },
            Action::History,
            Action::RestartStory,
            Action::Vip,
            Action::DailyGift,
            Action::Missions,
            Action::Achievements,
            Action::Ledger,
            Action::Shop { category: u32::MAX, page: u8::MAX },
            Action::ShopItem { item: u32::MAX },
            Action::BuyWithBesitos { item: 0 },
            Action::BuyWithStars { item: 7 },
            Action::Auctions,
            Action::Auction(i64::MAX),
            Action::Bid { auction: i64::MAX, amount: 1_000_000_000 },
            Action::Experiences,
            Action::Experience { experience: u32::MAX },
            Action::StartExperience { experience: 0 },
            Action::AbandonExperience { experience: 7, confirmed: false },
            Action::AbandonExperience { experience: u32::MAX, confirmed: true },
            Action::Backpack { selected: u64::MAX },
            Action::Backpack { selected: 0 },
            Action::Combine { selected: u64::MAX, catalogue: u32::MAX },
            Action::ReadSecret { recipe: u32::MAX },
            Action::Trivia,
            Action::TriviaContinue,
            Action::TriviaStart { set: u32::MAX },
            Action::TriviaAnswer { run: u32::MAX, question: u8::MAX, option: u8::MAX },
            Action::TriviaAnswer { run: 0, question: 0, option: 0 },
            Action::Events,
            Action::Invite,
            Action::Board { board: u32::MAX },
            Action::Offers,
            Action::OfferOpen { offer: u32::MAX },
            Action::OfferBuy { offer: 0 },
        ] {
            let data = codec().encode(user, action);
            assert!(data.len() <= 64, "{data}");
            assert_eq!(codec().decode(user, &data), Ok(action));
        }
    }

    #[test]
    fn a_referral_code_names_its_inviter_and_cannot_be_forged() {
        let code = codec().referral_code(UserId(4_503_599_627_370_495));
        assert!(crate::telegram::deeplink::is_valid_payload(&format!("r_{code}")), "{code}");
        assert!(code.len() + 2 <= 32, "{code}");
        assert_eq!(codec().referral_inviter(&code), Some(UserId(4_503_599_627_370_495)));
        // Another id with this tag, or a code of another server.
        let (_, tag) = code.split_once('-').expect("a dash");
        assert_eq!(codec().referral_inviter(&format!("{}-{tag}", base36(42))), None);
        assert_eq!(CallbackCodec::new(b"another").referral_inviter(&code), None);
        for junk in ["", "-", "abc", "1-zz", "1-", "💥-00"] {
            assert_eq!(codec().referral_inviter(junk), None, "{junk:?}");
        }
    }

    #[test]
    fn another_users_button_is_forged() {
        let data = codec().encode(UserId(1), Action::Menu);
        assert_eq!(codec().decode(UserId(2), &data), Err(CallbackError::Forged));
    }

    #[test]
    fn tampered_or_foreign_data_is_refused() {
        let data = codec().encode(UserId(1), Action::SetLanguage(Language::Es));
        let tampered = data.replacen("l:es", "l:en", 1);
        assert_eq!(codec().decode(UserId(1), &tampered), Err(CallbackError::Forged));
        let other_secret = CallbackCodec::new(b"another").encode(UserId(1), Action::Menu);
        assert_eq!(codec().decode(UserId(1), &other_secret), Err(CallbackError::Forged));
        for junk in ["", "m", "m|1|2", "m|1|2|zz", "m|1|2|3|0000000000000000", "💥|💥|💥|💥"] {
            assert!(codec().decode(UserId(1), junk).is_err(), "{junk:?}");
        }
    }

    #[test]
    fn invoice_payloads_fit_and_refuse_tampering() {
        let payload =
            InvoicePayload { purchase: i64::MAX, buyer: UserId(i64::MAX), item: "x".repeat(32), stars: 10_000 };
        let signed = codec().sign_invoice(&payload);
        assert!(signed.len() <= 128, "{signed}");
        assert_eq!(codec().verify_invoice(&signed), Ok(payload));
        let cheaper =
            codec().sign_invoice(&InvoicePayload { purchase: 1, buyer: UserId(2), item: "rosa".into(), stars: 50 });
        let tampered = cheaper.replacen("|50|", "|5|", 1);
        assert_eq!(codec().verify_invoice(&tampered), Err(CallbackError::Forged));
        assert!(codec().verify_invoice("i1|1|2|rosa|50").is_err());
        assert!(CallbackCodec::new(b"another").verify_invoice(&cheaper).is_err());
    }

    #[test]
    fn old_buttons_expire() {
        let data = codec().encode_at(UserId(1), Action::Menu, 1000);
        assert_eq!(codec().decode_at(UserId(1), &data, 1000 + CallbackCodec::MAX_AGE_HOURS), Ok(Action::Menu));
        let later = 1001 + CallbackCodec::MAX_AGE_HOURS;
        assert_eq!(codec().decode_at(UserId(1), &data, later), Err(CallbackError::Expired));
    }
}
