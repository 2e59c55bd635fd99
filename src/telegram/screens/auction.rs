//! The auction pages: the live auctions, one auction with its bid buttons,
//! what a bid did, the notices of being outbid, winning or refunded, and
//! the operator's reports.

use dianabot_actors::{AuctionNotice, BidOutcome};
use dianabot_game::auction::{Auction, AuctionStatus};
use dianabot_game::{Language, RuleError, UserState};
use teloxide_core::types::InlineKeyboardMarkup;

use super::{Rendered, Ui, escape, plain, reason, t, tw};
use crate::telegram::callback::Action;
use crate::texts::catalogue::{self as m};
pub use crate::texts::catalogue::{
    AUCTION_CANCEL_REPORT as CANCEL_REPORT, AUCTION_CREATED as CREATED, AUCTION_REFUNDED as REFUNDED,
    BID_ACCEPTED as ACCEPTED, BID_REFUSED as REFUSED, OUTBID, WON,
};

/// The live auctions, one button each.
pub fn list(state: &UserState, auctions: &[Auction], ui: Ui<'_>) -> Rendered {
    let language = state.language();
    let mut text = t(language, m::AUCTIONS_TITLE);
    if auctions.is_empty() {
        text.push_str(&format!("\n{}", t(language, m::AUCTIONS_NONE)));
    }
    let mut rows: Vec<Vec<_>> = auctions
        .iter()
        .map(|auction| {
            let price = auction.top.map_or(auction.starting_bid, |top| top.amount);
            let label = format!("#{} {} — {price}", auction.id, item_name(auction, language, ui));
            vec![ui.button(state, Action::Auction(auction.id), &label)]
        })
        .collect();
    rows.push(vec![ui.button(state, Action::Menu, &t(language, m::BACK))]);
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) }
}

/// One auction as `state`'s player sees it at `now`, with `note` (what
/// their last bid did) at the end.
pub fn page(state: &UserState, auction: &Auction, ui: Ui<'_>, now: i64, note: Option<&str>) -> Rendered {
    let language = state.language();
    let args = [
        ("id", auction.id.into()),
        ("item", escape(item_name(auction, language, ui)).into()),
        ("quantity", auction.quantity.into()),
    ];
    let mut text = tw(language, m::AUCTION_TITLE, &args);
    if let Some(item) = ui.content.item(&auction.item.0) {
        text.push_str(&format!("\n<i>{}</i>", escape(item.description.get(language))));
    }
    let top = match auction.top {
        Some(top) => tw(language, m::AUCTION_TOP_BID, &[("amount", top.amount.into())]),
        None => tw(language, m::AUCTION_NO_BIDS, &[("amount", auction.starting_bid.into())]),
    };
    text.push_str(&format!("\n\n{top}"));
    let leading = auction.top.is_some_and(|top| top.bidder == state.id);
    let mut rows = Vec::new();
    match auction.status {
        AuctionStatus::Open => {
            let minimum = auction.minimum_bid();
            let bigger = minimum.saturating_add(auction.min_increment.saturating_mul(4));
            let args = [
                ("minimum", minimum.into()),
                ("left", duration(language, auction.seconds_left(now)).into()),
                ("balance", state.wallet.balance.into()),
            ];
            text.push_str(&format!("\n{}", tw(language, m::AUCTION_OPEN, &args)));
            if leading {
                text.push_str(&format!("\n{}", t(language, m::AUCTION_LEADING)));
            }
            let bid = |amount: i64| {
                let label = tw(language, m::BID_BUTTON, &[("amount", amount.into())]);
                ui.button(state, Action::Bid { auction: auction.id, amount }, &label)
            };
            rows.push(vec![bid(minimum), bid(bigger)]);
            rows.push(vec![ui.button(state, Action::Auction(auction.id), &t(language, m::REFRESH))]);
        }
        AuctionStatus::Closed if leading => text.push_str(&format!("\n{}", t(language, m::AUCTION_CLOSED_WON))),
        AuctionStatus::Closed => text.push_str(&format!("\n{}", t(language, m::AUCTION_CLOSED))),
        AuctionStatus::Cancelled => text.push_str(&format!("\n{}", t(language, m::AUCTION_CANCELLED))),
    }
    if let Some(note) = note {
        text.push_str(&format!("\n\n{note}"));
    }
    rows.push(vec![ui.button(state, Action::Auctions, &t(language, m::BACK_TO_AUCTIONS))]);
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) }
}

/// What a bid did, in a line: the note under the page, and the alert of a
/// refused button.
pub fn bid_note(language: Language, outcome: &BidOutcome, amount: i64) -> String {
    match outcome {
        BidOutcome::Accepted { auction, extended } => {
            let mut note = tw(language, m::BID_ACCEPTED, &[("amount", amount.into())]);
            if *extended {
                let extended = tw(language, m::BID_EXTENDED, &[("seconds", auction.extension_secs.into())]);
                note.push_str(&format!(" {extended}"));
            }
            note
        }
        BidOutcome::Refused(refusal) => refused(language, refusal),
    }
}

/// A refused bid, with the reason.
pub fn refused(language: Language, refusal: &RuleError) -> String {
    tw(language, m::BID_REFUSED, &[("reason", reason(language, refusal).into())])
}

/// A notice for its player, who did not just ask for it.
pub fn notice(notice: &AuctionNotice, state: &UserState, ui: Ui<'_>) -> Rendered {
    let language = state.language();
    let (AuctionNotice::Outbid { auction, .. }
    | AuctionNotice::Won { auction, .. }
    | AuctionNotice::Refunded { auction, .. }) = notice;
    let id = ("id", auction.id.into());
    let item = ("item", escape(item_name(auction, language, ui)).into());
    let text = match notice {
        AuctionNotice::Outbid { refunded, .. } => {
            let top = auction.top.map_or(0, |top| top.amount);
            tw(language, m::OUTBID, &[id, item, ("top", top.into()), ("refunded", (*refunded).into())])
        }
        AuctionNotice::Won { .. } => {
            let paid = auction.top.map_or(0, |top| top.amount);
            tw(language, m::WON, &[id, item, ("quantity", auction.quantity.into()), ("amount", paid.into())])
        }
        AuctionNotice::Refunded { amount, .. } => {
            tw(language, m::AUCTION_REFUNDED, &[id, item, ("amount", (*amount).into())])
        }
    };
    let button = match notice {
        AuctionNotice::Outbid { .. } => ui.button(state, Action::Auction(auction.id), &t(language, m::BID_AGAIN)),
        AuctionNotice::Won { .. } => ui.button(state, Action::Inventory, &t(language, m::SEE_INVENTORY)),
        AuctionNotice::Refunded { .. } => ui.button(state, Action::Auctions, &t(language, m::BACK_TO_AUCTIONS)),
    };
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new([[button]])) }
}

/// The operator's report of an auction opened.
pub fn created(language: Language, auction: &Auction, ui: Ui<'_>, now: i64) -> Rendered {
    let args = [
        ("id", auction.id.into()),
        ("item", escape(item_name(auction, language, ui)).into()),
        ("quantity", auction.quantity.into()),
        ("starting", auction.starting_bid.into()),
        ("increment", auction.min_increment.into()),
        ("left", duration(language, auction.seconds_left(now)).into()),
    ];
    plain(tw(language, m::AUCTION_CREATED, &args))
}

/// The operator's report of an auction cancelled.
pub fn cancelled(language: Language, auction: i64, refunded: usize) -> Rendered {
    plain(tw(language, m::AUCTION_CANCEL_REPORT, &[("id", auction.into()), ("refunded", refunded.into())]))
}

fn item_name<'a>(auction: &'a Auction, language: Language, ui: Ui<'a>) -> &'a str {
    ui.content.item(&auction.item.0).map_or(auction.item.0.as_str(), |item| item.name.get(language))
}

/// `1 h 5 min`, `3 min 20 s`, `45 s`.
pub(super) fn duration(language: Language, seconds: i64) -> String {
    let (hours, minutes, seconds) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    match (hours, minutes) {
        (0, 0) => tw(language, m::DURATION_SECONDS, &[("seconds", seconds.into())]),
        (0, _) => tw(language, m::DURATION_MINUTES, &[("minutes", minutes.into()), ("seconds", seconds.into())]),
        _ => tw(language, m::DURATION_HOURS, &[("hours", hours.into()), ("minutes", minutes.into())]),
    }
}
