//! What a message the bot sends a simulated user is: a notice the user got
//! without asking (someone's gift, being outbid), or the reply to the
//! user's own step — and, for gifts, bids and the operator's commands,
//! what that reply says.
//!
//! A user has at most one step in flight, so "the next message in the
//! user's chat" used to be the reply. Gifts and bids also write to *another*
//! player, at any moment: the receiver of a gift, the bidder who was
//! outbid. The server sends those notices as plain new messages, with no
//! `reply_to` and in no fixed order against that player's own reply, so
//! neither can tell them apart; their text can. The driver first sets
//! notices aside (counting them) and only then takes the next message as
//! the reply, so a notice never completes a step and never consumes the
//! reply of the step it lands in.
//!
//! Texts are matched against the server's own templates
//! (`telegram::screens`, both languages, each `{placeholder}` matching any
//! text), so a change of wording there is followed here. A reply to a gift
//! or a bid that reads as none of the known answers is not guessed at: the
//! driver counts it as an `unexpected_reply` error.

use crate::bench::scenario::{Answer, Scenario};
use crate::telegram::screens::{self, auction};

/// Something a player is told without having asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Notice {
    /// Another player gave them besitos.
    GiftReceived,
    /// Someone bid higher; their bid came back.
    Outbid,
    /// An auction closed with their bid on top.
    Won,
    /// An auction they led was cancelled; their bid came back.
    Refunded,
}

impl Notice {
    /// The scenario whose steps cause it.
    pub fn scenario(self) -> Scenario {
        match self {
            Notice::GiftReceived => Scenario::Gift,
            Notice::Outbid | Notice::Won | Notice::Refunded => Scenario::AuctionBid,
        }
    }
}

/// Whether `text` is `template` with every `{placeholder}` replaced by some
/// text (possibly empty).
pub fn fits(template: &str, text: &str) -> bool {
    let literals = literals(template);
    let [first, middle @ .., last] = literals.as_slice() else {
        return literals.first().is_some_and(|only| *only == text);
    };
    let Some(rest) = text.strip_prefix(first).and_then(|rest| rest.strip_suffix(last)) else { return false };
    // Leftmost matches leave the most room for the literals after them.
    let mut rest = rest;
    for literal in middle {
        match rest.find(literal) {
            Some(at) => rest = &rest[at + literal.len()..],
            None => return false,
        }
    }
    true
}

/// `template`'s fixed text: what lies between its `{placeholders}`.
fn literals(template: &str) -> Vec<&str> {
    let mut literals = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else { break };
        literals.push(&rest[..open]);
        rest = &rest[open + close + 1..];
    }
    literals.push(rest);
    literals
}

/// Whether `text` begins as `template` does (and may go on).
fn starts_like(template: &str, text: &str) -> bool {
    fits(&format!("{template}{{more}}"), text)
}

/// `text` in either language (and any plural form) of `template`.
fn either(template: screens::Message, text: &str, matches: fn(&str, &str) -> bool) -> bool {
    screens::templates(template).iter().any(|template| matches(template, text))
}

/// The notice a message is, if it is one. Notices are always new messages
/// (`sendmessage`), never edits.
pub fn notice(method: &str, text: Option<&str>) -> Option<Notice> {
    let text = text.filter(|_| method == "sendmessage")?;
    [
        (Notice::GiftReceived, screens::GIFT_RECEIVED),
        (Notice::Outbid, auction::OUTBID),
        (Notice::Won, auction::WON),
        (Notice::Refunded, auction::REFUNDED),
    ]
    .into_iter()
    .find(|(_, template)| either(*template, text, fits))
    .map(|(notice, _)| notice)
}

/// Whether a bot call in the user's chat is the answer of the step waiting
/// there (`pressed`: the message whose button it pressed). A notice never
/// is.
pub fn answers(expected: Answer, pressed: Option<i32>, method: &str, message_id: Option<i32>, notice: bool) -> bool {
    match expected {
        _ if notice => false,
        Answer::NewMessage => method == "sendmessage",
        Answer::Edit => method == "editmessagetext" && pressed == message_id,
        Answer::Ack => false,
    }
}

/// The giver's reply to `/regalar`: `Some(true)` delivered, `Some(false)`
/// refused by the game (a daily limit, funds, a receiver who cannot take
/// it), `None` not a gift report.
pub fn gift_verdict(text: &str) -> Option<bool> {
    if either(screens::GIFT_DELIVERED, text, fits) {
        Some(true)
    } else if either(screens::REFUSED, text, starts_like)
        || either(screens::GIFT_REFUNDED, text, fits)
        || either(screens::NOT_REGISTERED, text, fits)
    {
        Some(false)
    } else {
        None
    }
}

/// The bidder's reply to `/pujar` (the auction's page, or only the note when
/// the auction is unknown), whose last paragraph says what the bid did:
/// `Some(true)` accepted, `Some(false)` refused (below the minimum, funds,
/// closed), `None` not a bid report.
pub fn bid_verdict(text: &str) -> Option<bool> {
    let note = text.rsplit("\n\n").next().unwrap_or(text);
    if either(auction::ACCEPTED, note, starts_like) {
        Some(true)
    } else if either(auction::REFUSED, note, starts_like) {
        Some(false)
    } else {
        None
    }
}

/// The auction's minimum bid as the page shows it: the amount of its first
/// bid button (`b:<auction>:<amount>`, base 36, before the signature).
pub fn bid_minimum(buttons: &[(String, String)], auction: i64) -> Option<i64> {
    buttons.iter().find_map(|(_, data)| {
        let action = data.split('|').next()?;
        let mut parts = action.strip_prefix("b:")?.split(':');
        let (id, amount) = (parts.next()?, parts.next()?);
        let id = i64::try_from(u64::from_str_radix(id, 36).ok()?).ok()?;
        (id == auction).then(|| i64::try_from(u64::from_str_radix(amount, 36).ok()?).ok()).flatten()
    })
}

/// An operator's `/grant` done (not refused).
pub fn granted(text: &str) -> bool {
    either(screens::OPERATOR_REPORT, text, fits)
}

/// An operator's `/subasta` opened its auction.
pub fn auction_opened(text: &str) -> bool {
    either(auction::CREATED, text, fits)
}

/// An operator's `/cancelarsubasta` cancelled its auction.
pub fn auction_cancelled(text: &str) -> bool {
    either(auction::CANCEL_REPORT, text, fits)
}

#[cfg(test)]
mod tests {
    use dianabot_actors::{AuctionNotice, BidOutcome, GiftOutcome};
    use dianabot_game::auction::{Auction, AuctionStatus, TopBid};
    use dianabot_game::{ItemId, Language, RuleError, UserId, UserState};
    use teloxide_core::types::InlineKeyboardButtonKind;

    use super::*;
    use crate::telegram::callback::CallbackCodec;
    use crate::telegram::screens::{Rendered, Ui};

    /// What the emulator stores and reports: Telegram HTML without its tags
    /// and entities.
    fn as_sent(rendered: &Rendered) -> String {
        let mut text = String::new();
        let mut in_tag = false;
        for c in rendered.text.chars() {
            match c {
                '<' => in_tag = true,
                '>' if in_tag => in_tag = false,
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    }

    fn buttons(rendered: &Rendered) -> Vec<(String, String)> {
        let rows = rendered.keyboard.as_ref().map(|keyboard| keyboard.inline_keyboard.clone()).unwrap_or_default();
        rows.into_iter()
            .flatten()
            .filter_map(|button| match button.kind {
                InlineKeyboardButtonKind::CallbackData(data) => Some((button.text, data)),
                _ => None,
            })
            .collect()
    }

    fn auction(top: Option<i64>) -> Auction {
        Auction {
            id: 4242,
            item: ItemId("reloj_bolsillo".to_owned()),
            quantity: 1,
            starting_bid: 1,
            min_increment: 2,
            extension_secs: 60,
            ends_at: 1_000_600,
            status: AuctionStatus::Open,
            top: top.map(|amount| TopBid { bidder: UserId(7), bid: 99, amount }),
            created_by: UserId(1),
            created_at: 1_000_000,
        }
    }

    #[test]
    fn templates_match_with_any_text_in_their_placeholders() {
        assert!(fits("🎁 {from} le ha regalado {amount} besitos.", "🎁 Bench 3 le ha regalado 1 besitos."));
        assert!(fits("a{x}b{y}c", "abc"), "placeholders may be empty");
        assert!(fits("a{x}b{y}c", "a-b-b-c"), "a literal found again later");
        assert!(!fits("a{x}b{y}c", "ab"), "prefix and suffix may not overlap");
        assert!(!fits("a{x}b{y}c", "a-c"), "a literal missing");
        assert!(!fits("{x} le ha regalado", "Ha regalado"));
        assert!(fits("exact", "exact") && !fits("exact", "exact!"));
        assert!(starts_like(
            "✅ Puja aceptada: {amount} besitos.",
            "✅ Puja aceptada: 5 besitos. La subasta se alarga 60 s."
        ));
    }

    #[test]
    fn a_gift_received_is_a_notice_and_the_givers_report_is_not() {
        for language in [Language::Es, Language::En] {
            let received = as_sent(&screens::gift_received(language, 1, "Bench 3 <the giver>"));
            assert_eq!(notice("sendmessage", Some(&received)), Some(Notice::GiftReceived), "{received}");
            assert_eq!(gift_verdict(&received), None, "a notice is no gift report");
            assert_eq!(notice("editmessagetext", Some(&received)), None, "notices are new messages");

            let delivered = as_sent(&screens::gift_report(language, &GiftOutcome::Delivered, 1, "10000000007"));
            assert_eq!(notice("sendmessage", Some(&delivered)), None, "{delivered}");
            assert_eq!(gift_verdict(&delivered), Some(true), "{delivered}");
            for refused in [
                GiftOutcome::Refused(RuleError::TooManyGiftsToday { max: 10 }),
                GiftOutcome::Refused(RuleError::InsufficientFunds { balance: 0, needed: 1 }),
                GiftOutcome::Refused(RuleError::UnknownUser),
                GiftOutcome::Refunded(RuleError::UnknownUser),
            ] {
                let report = as_sent(&screens::gift_report(language, &refused, 1, "10000000007"));
                assert_eq!(notice("sendmessage", Some(&report)), None, "{report}");
                assert_eq!(gift_verdict(&report), Some(false), "{report}");
            }
            let in_flight = as_sent(&screens::gift_report(language, &GiftOutcome::InFlight, 1, "10000000007"));
            assert_eq!(gift_verdict(&in_flight), None, "neither delivered nor refused: {in_flight}");
        }
    }

    #[test]
    fn auction_notices_are_notices_and_the_bidders_page_says_what_the_bid_did() {
        let content = crate::content::load_demo().expect("demo content");
        let codec = CallbackCodec::new(b"test secret");
        let ui = Ui { codec: &codec, content: &content };
        let state = UserState::new(UserId(7));
        let user = UserId(7);
        let notices = [
            (AuctionNotice::Outbid { user, auction: auction(Some(9)), refunded: 7 }, Notice::Outbid),
            (AuctionNotice::Won { user, auction: auction(Some(9)) }, Notice::Won),
            (AuctionNotice::Refunded { user, auction: auction(Some(9)), amount: 9 }, Notice::Refunded),
        ];
        for (sent, kind) in notices {
            let text = as_sent(&auction::notice(&sent, &state, ui));
            assert_eq!(notice("sendmessage", Some(&text)), Some(kind), "{text}");
            assert_eq!(bid_verdict(&text), None, "{text}");
            assert_eq!(kind.scenario(), Scenario::AuctionBid);
        }

        let accepted = BidOutcome::Accepted { auction: auction(Some(9)), extended: true };
        let note = auction::bid_note(Language::Es, &accepted, 9);
        let page = auction::page(&state, &auction(Some(9)), ui, 1_000_100, Some(&note));
        let text = as_sent(&page);
        assert_eq!(notice("sendmessage", Some(&text)), None, "{text}");
        assert_eq!(bid_verdict(&text), Some(true), "{text}");
        assert_eq!(bid_minimum(&buttons(&page), 4242), Some(11), "top 9 + increment 2");
        assert_eq!(bid_minimum(&buttons(&page), 4243), None, "another auction's buttons");

        let refused = BidOutcome::Refused(RuleError::BidTooLow { minimum: 11 });
        for language in [Language::Es, Language::En] {
            let note = auction::bid_note(language, &refused, 5);
            let page = auction::page(&state, &auction(Some(9)), ui, 1_000_100, Some(&note));
            assert_eq!(bid_verdict(&as_sent(&page)), Some(false), "{}", page.text);
            assert_eq!(bid_verdict(&note), Some(false), "the note alone (unknown auction): {note}");
        }
        let fresh = auction::page(&state, &auction(None), ui, 1_000_100, None);
        assert_eq!(bid_minimum(&buttons(&fresh), 4242), Some(1), "no bids: the starting bid");
    }

    #[test]
    fn a_notice_never_answers_a_step_and_an_edit_answers_only_its_press() {
        use Answer::{Ack, Edit, NewMessage};
        assert!(answers(NewMessage, None, "sendmessage", Some(5), false));
        assert!(!answers(NewMessage, None, "sendmessage", Some(5), true), "a notice");
        assert!(!answers(NewMessage, None, "editmessagetext", Some(5), false));
        assert!(answers(Edit, Some(5), "editmessagetext", Some(5), false));
        assert!(!answers(Edit, Some(5), "editmessagetext", Some(6), false), "another message's edit");
        assert!(!answers(Edit, Some(5), "sendmessage", Some(5), false));
        assert!(!answers(Ack, None, "sendmessage", Some(5), false), "acknowledged steps take no message");
    }

    #[test]
    fn operator_reports_are_recognised() {
        let report = screens::templates(screens::OPERATOR_REPORT)[1]
            .replace("{user}", "10000000001")
            .replace("{balance}", "1000010");
        assert!(granted(&report));
        assert!(!granted(&as_sent(&screens::refusal(Language::Es, &RuleError::UnknownUser))));
        let content = crate::content::load_demo().expect("demo content");
        let codec = CallbackCodec::new(b"test secret");
        let ui = Ui { codec: &codec, content: &content };
        assert!(auction_opened(&as_sent(&auction::created(Language::Es, &auction(None), ui, 1_000_000))));
        assert!(auction_cancelled(&as_sent(&auction::cancelled(Language::En, 4242, 3))));
        assert!(!auction_opened(&as_sent(&screens::refusal(Language::Es, &RuleError::UnknownAuction))));
    }
}
