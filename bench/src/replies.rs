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
//! Texts are matched against the server's own templates, both languages,
//! each `{placeholder}` matching any text: the server hands them over as
//! [`ReplyTemplates`] (this crate does not depend on the server's), so a
//! change of wording there is followed here. A reply to a gift
//! or a bid that reads as none of the known answers is not guessed at: the
//! driver counts it as an `unexpected_reply` error.

use crate::scenario::{Answer, Scenario};

/// A reply text in (Spanish, English), `{placeholder}`s where the server
/// fills in values.
pub type Template = Vec<String>;

/// The server's texts the harness recognises, handed over by the server
/// crate (`dianabot::bench::reply_templates`) so the harness follows its
/// wording without depending on it.
#[derive(Debug, Clone)]
pub struct ReplyTemplates {
    /// The receiver's notice of a gift.
    pub gift_received: Template,
    /// The giver's report of a delivered gift.
    pub gift_delivered: Template,
    /// The giver's report of a gift that came back.
    pub gift_refunded: Template,
    /// The start of any refusal by the game.
    pub refused: Template,
    /// A command naming a user who never started the bot.
    pub not_registered: Template,
    /// The outbid bidder's notice.
    pub outbid: Template,
    /// The winner's notice.
    pub won: Template,
    /// The leader's notice of a cancelled auction.
    pub refunded: Template,
    /// The start of a bid's note: accepted.
    pub bid_accepted: Template,
    /// The start of a bid's note: refused.
    pub bid_refused: Template,
    /// The operator's report of a grant.
    pub operator_report: Template,
    /// The operator's report of an opened auction.
    pub auction_created: Template,
    /// The operator's report of a cancelled auction.
    pub auction_cancelled: Template,
}

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

/// `text` as any reading of `template` (either language, any plural form).
fn either(template: &Template, text: &str, matches: fn(&str, &str) -> bool) -> bool {
    template.iter().any(|template| matches(template, text))
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

impl ReplyTemplates {
    /// The notice a message is, if it is one. Notices are always new messages
    /// (`sendmessage`), never edits.
    pub fn notice(&self, method: &str, text: Option<&str>) -> Option<Notice> {
        let text = text.filter(|_| method == "sendmessage")?;
        [
            (Notice::GiftReceived, &self.gift_received),
            (Notice::Outbid, &self.outbid),
            (Notice::Won, &self.won),
            (Notice::Refunded, &self.refunded),
        ]
        .into_iter()
        .find(|(_, template)| either(template, text, fits))
        .map(|(notice, _)| notice)
    }

    /// The giver's reply to `/regalar`: `Some(true)` delivered, `Some(false)`
    /// refused by the game (a daily limit, funds, a receiver who cannot take
    /// it), `None` not a gift report.
    pub fn gift_verdict(&self, text: &str) -> Option<bool> {
        if either(&self.gift_delivered, text, fits) {
            Some(true)
        } else if either(&self.refused, text, starts_like)
            || either(&self.gift_refunded, text, fits)
            || either(&self.not_registered, text, fits)
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
    pub fn bid_verdict(&self, text: &str) -> Option<bool> {
        let note = text.rsplit("\n\n").next().unwrap_or(text);
        if either(&self.bid_accepted, note, starts_like) {
            Some(true)
        } else if either(&self.bid_refused, note, starts_like) {
            Some(false)
        } else {
            None
        }
    }

    /// An operator's `/grant` done (not refused).
    pub fn granted(&self, text: &str) -> bool {
        either(&self.operator_report, text, fits)
    }

    /// An operator's `/subasta` opened its auction.
    pub fn auction_opened(&self, text: &str) -> bool {
        either(&self.auction_created, text, fits)
    }

    /// An operator's `/cancelarsubasta` cancelled its auction.
    pub fn auction_cancelled(&self, text: &str) -> bool {
        either(&self.auction_cancelled, text, fits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn notices_belong_to_the_scenario_that_causes_them() {
        assert_eq!(Notice::GiftReceived.scenario(), Scenario::Gift);
        for notice in [Notice::Outbid, Notice::Won, Notice::Refunded] {
            assert_eq!(notice.scenario(), Scenario::AuctionBid);
        }
    }
}
