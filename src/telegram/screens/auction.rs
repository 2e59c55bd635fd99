//! The auction pages: the live auctions, one auction with its bid buttons,
//! what a bid did, the notices of being outbid, winning or refunded, and
//! the operator's reports.

use dianabot_actors::{AuctionNotice, BidOutcome};
use dianabot_game::auction::{Auction, AuctionStatus};
use dianabot_game::{Language, RuleError, UserState};
use teloxide_core::types::InlineKeyboardMarkup;

use super::{BACK, Rendered, Text, Ui, escape, plain, reason, t};
use crate::telegram::callback::Action;

/// The live auctions, one button each.
pub fn list(state: &UserState, auctions: &[Auction], ui: Ui<'_>) -> Rendered {
    let language = state.language();
    let mut text = t(language, LIST).to_owned();
    if auctions.is_empty() {
        text.push_str(t(language, NONE_OPEN));
    }
    let mut rows: Vec<Vec<_>> = auctions
        .iter()
        .map(|auction| {
            let price = auction.top.map_or(auction.starting_bid, |top| top.amount);
            let label = format!("#{} {} — {price}", auction.id, item_name(auction, language, ui));
            vec![ui.button(state, Action::Auction(auction.id), &label)]
        })
        .collect();
    rows.push(vec![ui.button(state, Action::Menu, t(language, BACK))]);
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) }
}

/// One auction as `state`'s player sees it at `now`, with `note` (what
/// their last bid did) at the end.
pub fn page(state: &UserState, auction: &Auction, ui: Ui<'_>, now: i64, note: Option<&str>) -> Rendered {
    let language = state.language();
    let mut text = t(language, PAGE)
        .replace("{id}", &auction.id.to_string())
        .replace("{item}", &escape(item_name(auction, language, ui)))
        .replace("{quantity}", &auction.quantity.to_string());
    if let Some(item) = ui.content.item(&auction.item.0) {
        text.push_str(&format!("\n<i>{}</i>", escape(item.description.get(language))));
    }
    let top = match auction.top {
        Some(top) => t(language, TOP_BID).replace("{amount}", &top.amount.to_string()),
        None => t(language, NO_BIDS).replace("{amount}", &auction.starting_bid.to_string()),
    };
    text.push_str(&top);
    let leading = auction.top.is_some_and(|top| top.bidder == state.id);
    let mut rows = Vec::new();
    match auction.status {
        AuctionStatus::Open => {
            let minimum = auction.minimum_bid();
            let bigger = minimum.saturating_add(auction.min_increment.saturating_mul(4));
            text.push_str(
                &t(language, OPEN)
                    .replace("{minimum}", &minimum.to_string())
                    .replace("{left}", &duration(language, auction.seconds_left(now)))
                    .replace("{balance}", &state.wallet.balance.to_string()),
            );
            if leading {
                text.push_str(t(language, LEADING));
            }
            let bid = |amount: i64| {
                let label = t(language, BID_BUTTON).replace("{amount}", &amount.to_string());
                ui.button(state, Action::Bid { auction: auction.id, amount }, &label)
            };
            rows.push(vec![bid(minimum), bid(bigger)]);
            rows.push(vec![ui.button(state, Action::Auction(auction.id), t(language, REFRESH))]);
        }
        AuctionStatus::Closed if leading => text.push_str(t(language, CLOSED_WON)),
        AuctionStatus::Closed => text.push_str(t(language, CLOSED)),
        AuctionStatus::Cancelled => text.push_str(t(language, CANCELLED)),
    }
    if let Some(note) = note {
        text.push_str(&format!("\n\n{note}"));
    }
    rows.push(vec![ui.button(state, Action::Auctions, t(language, BACK_TO_LIST))]);
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) }
}

/// What a bid did, in a line: the note under the page, and the alert of a
/// refused button.
pub fn bid_note(language: Language, outcome: &BidOutcome, amount: i64) -> String {
    match outcome {
        BidOutcome::Accepted { auction, extended } => {
            let mut note = t(language, ACCEPTED).replace("{amount}", &amount.to_string());
            if *extended {
                note.push_str(&t(language, EXTENDED).replace("{secs}", &auction.extension_secs.to_string()));
            }
            note
        }
        BidOutcome::Refused(refusal) => refused(language, refusal),
    }
}

/// A refused bid, with the reason.
pub fn refused(language: Language, refusal: &RuleError) -> String {
    format!("{} {}", t(language, REFUSED), reason(language, refusal))
}

/// A notice for its player, who did not just ask for it.
pub fn notice(notice: &AuctionNotice, state: &UserState, ui: Ui<'_>) -> Rendered {
    let language = state.language();
    let (text, auction) = match notice {
        AuctionNotice::Outbid { auction, refunded, .. } => {
            let top = auction.top.map_or(0, |top| top.amount);
            let text =
                t(language, OUTBID).replace("{top}", &top.to_string()).replace("{refunded}", &refunded.to_string());
            (text, auction)
        }
        AuctionNotice::Won { auction, .. } => {
            let paid = auction.top.map_or(0, |top| top.amount);
            let text = t(language, WON)
                .replace("{quantity}", &auction.quantity.to_string())
                .replace("{amount}", &paid.to_string());
            (text, auction)
        }
        AuctionNotice::Refunded { auction, amount, .. } => {
            (t(language, REFUNDED).replace("{amount}", &amount.to_string()), auction)
        }
    };
    let text =
        text.replace("{id}", &auction.id.to_string()).replace("{item}", &escape(item_name(auction, language, ui)));
    let button = match notice {
        AuctionNotice::Outbid { .. } => ui.button(state, Action::Auction(auction.id), t(language, BID_AGAIN)),
        AuctionNotice::Won { .. } => ui.button(state, Action::Inventory, t(language, SEE_INVENTORY)),
        AuctionNotice::Refunded { .. } => ui.button(state, Action::Auctions, t(language, BACK_TO_LIST)),
    };
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new([[button]])) }
}

/// The operator's report of an auction opened.
pub fn created(language: Language, auction: &Auction, ui: Ui<'_>, now: i64) -> Rendered {
    plain(
        t(language, CREATED)
            .replace("{id}", &auction.id.to_string())
            .replace("{item}", &escape(item_name(auction, language, ui)))
            .replace("{quantity}", &auction.quantity.to_string())
            .replace("{starting}", &auction.starting_bid.to_string())
            .replace("{increment}", &auction.min_increment.to_string())
            .replace("{left}", &duration(language, auction.seconds_left(now))),
    )
}

/// The operator's report of an auction cancelled.
pub fn cancelled(language: Language, auction: i64, refunded: usize) -> Rendered {
    plain(t(language, CANCEL_REPORT).replace("{id}", &auction.to_string()).replace("{refunded}", &refunded.to_string()))
}

fn item_name<'a>(auction: &'a Auction, language: Language, ui: Ui<'a>) -> &'a str {
    ui.content.item(&auction.item.0).map_or(auction.item.0.as_str(), |item| item.name.get(language))
}

/// `1 h 5 min`, `3 min 20 s`, `45 s`.
fn duration(language: Language, seconds: i64) -> String {
    let (hours, minutes, seconds) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    let hour = t(language, ("h", "h"));
    match (hours, minutes) {
        (0, 0) => format!("{seconds} s"),
        (0, _) => format!("{minutes} min {seconds} s"),
        _ => format!("{hours} {hour} {minutes} min"),
    }
}

const LIST: Text = ("🔨 <b>Subastas en curso</b>", "🔨 <b>Live auctions</b>");
const NONE_OPEN: Text = ("\nNo hay subastas abiertas ahora mismo.", "\nThere are no open auctions right now.");
const PAGE: Text = ("🔨 <b>Subasta #{id}</b>\n{item} × {quantity}", "🔨 <b>Auction #{id}</b>\n{item} × {quantity}");
const TOP_BID: Text = ("\n\nPuja actual: {amount} besitos", "\n\nTop bid: {amount} besitos");
const NO_BIDS: Text = ("\n\nSin pujas; salida: {amount} besitos", "\n\nNo bids yet; starting at {amount} besitos");
const OPEN: Text = (
    "\nPuja mínima: {minimum} besitos\nCierra en: {left}\nSu saldo: {balance} besitos",
    "\nMinimum bid: {minimum} besitos\nCloses in: {left}\nYour balance: {balance} besitos",
);
const LEADING: Text = ("\n✅ Usted va ganando.", "\n✅ You are winning.");
const CLOSED: Text = ("\nLa subasta ha cerrado.", "\nThe auction has closed.");
const CLOSED_WON: Text = ("\n🏆 La subasta ha cerrado: es suya.", "\n🏆 The auction has closed: it is yours.");
const CANCELLED: Text = ("\nLa subasta fue cancelada.", "\nThe auction was cancelled.");
const BID_BUTTON: Text = ("🔨 Pujar {amount}", "🔨 Bid {amount}");
const REFRESH: Text = ("🔄 Actualizar", "🔄 Refresh");
const BACK_TO_LIST: Text = ("« Subastas", "« Auctions");
pub(crate) const ACCEPTED: Text = ("✅ Puja aceptada: {amount} besitos.", "✅ Bid accepted: {amount} besitos.");
const EXTENDED: Text = (" La subasta se alarga {secs} s.", " The auction is extended by {secs} s.");
pub(crate) const REFUSED: Text = ("❌ Puja rechazada:", "❌ Bid refused:");
pub(crate) const OUTBID: Text = (
    "🔨 Le han superado en la subasta #{id} ({item}): la puja va por {top} besitos. \
     Sus {refunded} besitos han vuelto a su saldo.",
    "🔨 You were outbid in auction #{id} ({item}): the top bid is now {top} besitos. \
     Your {refunded} besitos are back in your balance.",
);
pub(crate) const WON: Text = (
    "🏆 ¡Ha ganado la subasta #{id}! {item} × {quantity} ya está en su inventario, por {amount} besitos.",
    "🏆 You won auction #{id}! {item} × {quantity} is in your inventory, for {amount} besitos.",
);
pub(crate) const REFUNDED: Text = (
    "🔨 La subasta #{id} ({item}) ha sido cancelada. Sus {amount} besitos han vuelto a su saldo.",
    "🔨 Auction #{id} ({item}) was cancelled. Your {amount} besitos are back in your balance.",
);
const BID_AGAIN: Text = ("🔨 Volver a pujar", "🔨 Bid again");
const SEE_INVENTORY: Text = ("🎒 Ver inventario", "🎒 See inventory");
pub(crate) const CREATED: Text = (
    "✅ Subasta #{id} abierta: {item} × {quantity}, salida {starting} besitos, incremento {increment}, cierra en {left}.",
    "✅ Auction #{id} open: {item} × {quantity}, starting at {starting} besitos, increment {increment}, closes in {left}.",
);
pub(crate) const CANCEL_REPORT: Text = (
    "✅ Subasta #{id} cancelada; pujas devueltas: {refunded}.",
    "✅ Auction #{id} cancelled; bids refunded: {refunded}.",
);
