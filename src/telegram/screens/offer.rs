//! Contextual offers: the card shown after the reply that triggered it
//! (its text, price, time left on the game clock and a buy button), the
//! list of running offers (`/ofertas`), and what buying one says.

use dianabot_actors::PurchaseOutcome;
use dianabot_game::content::Reward;
use dianabot_game::content::offers::{Deal, Offer, OfferPrice};
use dianabot_game::offers::ActiveOffer;
use dianabot_game::{Currency, Event, Language, RuleError, UserState};
use teloxide_core::types::InlineKeyboardMarkup;

use super::auction::duration;
use super::shop::reward_lines;
use super::{Rendered, Ui, escape, plain, t, tw};
use crate::telegram::callback::{Action, tag};
use crate::texts::catalogue::{self as m};

fn price_text(language: Language, price: Option<OfferPrice>) -> String {
    match price {
        None => t(language, m::OFFER_FREE),
        Some(OfferPrice { currency: Currency::Besitos, amount }) => {
            tw(language, m::OFFER_PRICE_BESITOS, &[("amount", amount.into())])
        }
        Some(OfferPrice { currency: Currency::Stars, amount }) => {
            tw(language, m::OFFER_PRICE_STARS, &[("amount", amount.into())])
        }
    }
}

/// The card of `shown`, if the content still has its offer.
pub fn card(state: &UserState, ui: Ui<'_>, shown: &ActiveOffer) -> Option<Rendered> {
    let offer = ui.content.offer(&shown.offer)?;
    let language = state.language();
    let price = offer.price(shown.variant());
    let left = (shown.expires_at - ui.now).max(0);
    let mut text = escape(offer.text.get(language));
    // offers-bundle: what the bundle holds, above its price.
    if let Deal::Bundle { items, .. } = &offer.deal {
        let mut lines = String::new();
        for id in items {
            let name = ui.content.shop_item(id.as_str()).map_or(id.as_str(), |item| item.name.get(language));
            lines.push('\n');
            lines.push_str(&tw(language, m::OFFER_BUNDLE_ITEM, &[("name", escape(name).into())]));
        }
        text.push_str(&format!("\n\n{}", tw(language, m::OFFER_BUNDLE_CONTENTS, &[("items", lines.into())])));
    }
    let args = [
        ("name", escape(offer.name.get(language)).into()),
        ("text", text.into()),
        ("price", price_text(language, price).into()),
        ("left", duration(language, left).into()),
    ];
    let text = tw(language, m::OFFER_CARD, &args);
    let label = match offer.deal {
        Deal::Trial { .. } => t(language, m::BUTTON_OFFER_ACCEPT),
        _ => t(language, m::BUTTON_OFFER_BUY),
    };
    let rows = vec![vec![ui.button(state, Action::OfferBuy { offer: tag(&offer.id) }, &label)]];
    Some(Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) })
}

/// The cards of the offers a decision showed.
pub fn shown(state: &UserState, ui: Ui<'_>, events: &[Event]) -> Vec<Rendered> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::OfferShown(shown) => card(state, ui, shown),
            _ => None,
        })
        .collect()
}

/// `/ofertas`: the running offers, one button each.
pub fn list(state: &UserState, ui: Ui<'_>) -> Rendered {
    let language = state.language();
    let running: Vec<(&ActiveOffer, &Offer)> = state
        .progress
        .offers
        .as_deref()
        .map(|offers| offers.active.iter().filter(|shown| shown.expires_at > ui.now))
        .into_iter()
        .flatten()
        .filter_map(|shown| Some((shown, ui.content.offer(&shown.offer)?)))
        .collect();
    if running.is_empty() {
        return plain(t(language, m::OFFERS_NONE));
    }
    let rows = running
        .iter()
        .map(|(shown, offer)| {
            let label = tw(
                language,
                m::OFFERS_LINE,
                &[
                    ("name", offer.name.get(language).to_owned().into()),
                    ("left", duration(language, (shown.expires_at - ui.now).max(0)).into()),
                ],
            );
            vec![ui.button(state, Action::OfferOpen { offer: tag(&offer.id) }, &label)]
        })
        .collect::<Vec<_>>();
    Rendered { text: t(language, m::OFFERS_TITLE), keyboard: Some(InlineKeyboardMarkup::new(rows)) }
}

// offers-bundle
/// What the buyer of a bundle is told: every item's rewards and the
/// balance, or why not (and that the besitos came back).
pub fn bundle_bought(state: &UserState, ui: Ui<'_>, offer: &Offer, outcome: &PurchaseOutcome) -> Rendered {
    let language = state.language();
    let Deal::Bundle { items, .. } = &offer.deal else { return refused(language, &RuleError::UnknownOffer) };
    match outcome {
        PurchaseOutcome::Completed => {
            let mut text = tw(language, m::BOUGHT, &[("name", escape(offer.name.get(language)).into())]);
            let shop_items = items.iter().filter_map(|id| ui.content.shop_item(id.as_str()));
            let rewards = shop_items.fold(Reward::default(), |sum, item| sum.plus(&item.rewards));
            text.push_str(&reward_lines(language, ui.content, &rewards));
            let balance = tw(language, m::BALANCE_LINE, &[("balance", state.wallet.balance.into())]);
            plain(format!("{text}\n\n{balance}"))
        }
        PurchaseOutcome::Refused(refusal) => refused(language, refusal),
        PurchaseOutcome::Compensated(refusal) => {
            let mut rendered = refused(language, refusal);
            rendered.text.push_str(&format!("\n{}", t(language, m::MONEY_BACK)));
            rendered
        }
        PurchaseOutcome::InFlight => plain(t(language, m::PURCHASE_IN_FLIGHT)),
        PurchaseOutcome::Duplicate => plain(t(language, m::ALREADY_HANDLED)),
    }
}

/// A trial taken, or why an offer could not be opened or bought.
pub fn taken(state: &UserState, offer: &Offer) -> Rendered {
    let language = state.language();
    let days = match offer.deal {
        Deal::Trial { days } => days,
        _ => 0,
    };
    plain(tw(language, m::OFFER_TRIAL_TAKEN, &[("days", days.into())]))
}

/// The title and description of an offer's Stars invoice.
pub fn invoice_texts(language: Language, offer: &Offer) -> (String, String) {
    super::invoice_fields(offer.name.get(language), offer.text.get(language))
}

/// Why an offer's button cannot be honoured (expired, unknown, taken).
pub fn refused(language: Language, refusal: &RuleError) -> Rendered {
    super::refusal(language, refusal)
}
