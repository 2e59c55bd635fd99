//! What `dianabot bench` needs from the server: the reply texts it
//! recognises. The harness itself is the `dianabot-bench` crate, which does
//! not depend on this one.

use dianabot_bench::ReplyTemplates;

use crate::telegram::screens::{self, auction};

/// The screens' templates the harness tells replies and notices apart by.
pub fn reply_templates() -> ReplyTemplates {
    ReplyTemplates {
        gift_received: screens::templates(screens::GIFT_RECEIVED),
        gift_delivered: screens::templates(screens::GIFT_DELIVERED),
        gift_refunded: screens::templates(screens::GIFT_REFUNDED),
        refused: screens::templates(screens::REFUSED),
        not_registered: screens::templates(screens::NOT_REGISTERED),
        outbid: screens::templates(auction::OUTBID),
        won: screens::templates(auction::WON),
        refunded: screens::templates(auction::REFUNDED),
        bid_accepted: screens::templates(auction::ACCEPTED),
        bid_refused: screens::templates(auction::REFUSED),
        operator_report: screens::templates(screens::OPERATOR_REPORT),
        auction_created: screens::templates(auction::CREATED),
        auction_cancelled: screens::templates(auction::CANCEL_REPORT),
    }
}

/// The harness recognises what the real screens render, in both languages.
#[cfg(test)]
mod tests {
    use dianabot_actors::{AuctionNotice, BidOutcome, GiftOutcome};
    use dianabot_bench::{Notice, bid_minimum};
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
    fn a_gift_received_is_a_notice_and_the_givers_report_is_not() {
        let templates = reply_templates();
        for language in [Language::Es, Language::En] {
            let received = as_sent(&screens::gift_received(language, 1, "Bench 3 <the giver>"));
            assert_eq!(templates.notice("sendmessage", Some(&received)), Some(Notice::GiftReceived), "{received}");
            assert_eq!(templates.gift_verdict(&received), None, "a notice is no gift report");
            assert_eq!(templates.notice("editmessagetext", Some(&received)), None, "notices are new messages");

            let delivered = as_sent(&screens::gift_report(language, &GiftOutcome::Delivered, 1, "10000000007"));
            assert_eq!(templates.notice("sendmessage", Some(&delivered)), None, "{delivered}");
            assert_eq!(templates.gift_verdict(&delivered), Some(true), "{delivered}");
            for refused in [
                GiftOutcome::Refused(RuleError::TooManyGiftsToday { max: 10 }),
                GiftOutcome::Refused(RuleError::InsufficientFunds { balance: 0, needed: 1 }),
                GiftOutcome::Refused(RuleError::UnknownUser),
                GiftOutcome::Refunded(RuleError::UnknownUser),
            ] {
                let report = as_sent(&screens::gift_report(language, &refused, 1, "10000000007"));
                assert_eq!(templates.notice("sendmessage", Some(&report)), None, "{report}");
                assert_eq!(templates.gift_verdict(&report), Some(false), "{report}");
            }
            let in_flight = as_sent(&screens::gift_report(language, &GiftOutcome::InFlight, 1, "10000000007"));
            assert_eq!(templates.gift_verdict(&in_flight), None, "neither delivered nor refused: {in_flight}");
        }
    }

    #[test]
    fn auction_notices_are_notices_and_the_bidders_page_says_what_the_bid_did() {
        let templates = reply_templates();
        let content = crate::content::load_demo().expect("demo content");
        let codec = CallbackCodec::new(b"test secret");
        let ui = Ui { codec: &codec, content: &content, now: dianabot_plumbing::unix_now() };
        let state = UserState::new(UserId(7));
        let user = UserId(7);
        let notices = [
            (AuctionNotice::Outbid { user, auction: auction(Some(9)), refunded: 7 }, Notice::Outbid),
            (AuctionNotice::Won { user, auction: auction(Some(9)) }, Notice::Won),
            (AuctionNotice::Refunded { user, auction: auction(Some(9)), amount: 9 }, Notice::Refunded),
        ];
        for (sent, kind) in notices {
            let text = as_sent(&auction::notice(&sent, &state, ui));
            assert_eq!(templates.notice("sendmessage", Some(&text)), Some(kind), "{text}");
            assert_eq!(templates.bid_verdict(&text), None, "{text}");
        }

        let accepted = BidOutcome::Accepted { auction: auction(Some(9)), extended: true };
        let note = auction::bid_note(Language::Es, &accepted, 9);
        let page = auction::page(&state, &auction(Some(9)), ui, 1_000_100, Some(&note));
        let text = as_sent(&page);
        assert_eq!(templates.notice("sendmessage", Some(&text)), None, "{text}");
        assert_eq!(templates.bid_verdict(&text), Some(true), "{text}");
        assert_eq!(bid_minimum(&buttons(&page), 4242), Some(11), "top 9 + increment 2");
        assert_eq!(bid_minimum(&buttons(&page), 4243), None, "another auction's buttons");

        let refused = BidOutcome::Refused(RuleError::BidTooLow { minimum: 11 });
        for language in [Language::Es, Language::En] {
            let note = auction::bid_note(language, &refused, 5);
            let page = auction::page(&state, &auction(Some(9)), ui, 1_000_100, Some(&note));
            assert_eq!(templates.bid_verdict(&as_sent(&page)), Some(false), "{}", page.text);
            assert_eq!(templates.bid_verdict(&note), Some(false), "the note alone (unknown auction): {note}");
        }
        let fresh = auction::page(&state, &auction(None), ui, 1_000_100, None);
        assert_eq!(bid_minimum(&buttons(&fresh), 4242), Some(1), "no bids: the starting bid");
    }

    #[test]
    fn operator_reports_are_recognised() {
        let templates = reply_templates();
        let report = screens::templates(screens::OPERATOR_REPORT)[1]
            .replace("{user}", "10000000001")
            .replace("{balance}", "1000010");
        assert!(templates.granted(&report));
        assert!(!templates.granted(&as_sent(&screens::refusal(Language::Es, &RuleError::UnknownUser))));
        let content = crate::content::load_demo().expect("demo content");
        let codec = CallbackCodec::new(b"test secret");
        let ui = Ui { codec: &codec, content: &content, now: dianabot_plumbing::unix_now() };
        assert!(templates.auction_opened(&as_sent(&auction::created(Language::Es, &auction(None), ui, 1_000_000))));
        assert!(templates.auction_cancelled(&as_sent(&auction::cancelled(Language::En, 4242, 3))));
        assert!(!templates.auction_opened(&as_sent(&screens::refusal(Language::Es, &RuleError::UnknownAuction))));
    }

    #[test]
    fn the_harness_sends_the_secret_in_the_header_the_webhook_reads() {
        assert_eq!(dianabot_bench::SECRET_HEADER, crate::telegram::webhook::SECRET_HEADER);
    }
}
