//! A player's offers (vocabulary): the ones shown and still running, and
//! when each offer was shown lately (for its frequency cap). Boxed in
//! `Progress::offers`, `None` for a player never offered anything.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::archetype::Archetype;
use crate::content::offers::Cap;
use crate::event::Event;

/// An offer shown to the player, until it is bought or expires. It keeps
/// who the player was when it was shown (style, experiment variant), so
/// conversion is counted against what decided the showing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveOffer {
    pub offer: String,
    pub archetype: Option<Archetype>,
    /// The experiment's flag and the variant it gave, if any.
    pub experiment: Option<(String, String)>,
    pub shown_at: i64,
    pub expires_at: i64,
    pub opened: bool,
    /// A purchase in besitos of this offer in flight: the offer is taken
    /// until the purchase closes (bought, or back on offer if refunded).
    pub purchase: Option<i64>,
}

impl ActiveOffer {
    pub fn variant(&self) -> Option<&str> {
        self.experiment.as_ref().map(|(_, variant)| variant.as_str())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offers {
    /// Offers shown and still running, in the order shown.
    pub active: Vec<ActiveOffer>,
    /// Offer id -> the latest times it was shown (at most
    /// [`Cap::MAX_SHOWS`], oldest first).
    pub shows: BTreeMap<String, Vec<i64>>,
}

impl Offers {
    pub fn active(&self, offer: &str) -> Option<&ActiveOffer> {
        self.active.iter().find(|shown| shown.offer == offer)
    }

    /// Times `offer` was shown after `since`.
    pub fn shown_since(&self, offer: &str, since: i64) -> usize {
        self.shows.get(offer).map_or(0, |times| times.iter().filter(|&&at| at > since).count())
    }

    /// When the next offer expires: the due time of the `OfferExpiry`
    /// timer (an offer being bought does not expire while its purchase
    /// is in flight).
    pub fn next_expiry(&self) -> Option<i64> {
        self.active.iter().filter(|shown| shown.purchase.is_none()).map(|shown| shown.expires_at).min()
    }

    /// Folds in an offer event; other events change nothing here.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::OfferShown(shown) => {
                let times = self.shows.entry(shown.offer.clone()).or_default();
                times.push(shown.shown_at);
                let excess = times.len().saturating_sub(Cap::MAX_SHOWS as usize);
                times.drain(..excess);
                self.active.retain(|active| active.offer != shown.offer);
                self.active.push((**shown).clone());
            }
            Event::OfferOpened { offer } => {
                if let Some(active) = self.active.iter_mut().find(|active| &active.offer == offer) {
                    active.opened = true;
                }
            }
            Event::OfferPurchaseStarted { offer, purchase } => {
                if let Some(active) = self.active.iter_mut().find(|active| &active.offer == offer) {
                    active.purchase = Some(*purchase);
                }
            }
            Event::OfferPurchaseReleased { offer } => {
                if let Some(active) = self.active.iter_mut().find(|active| &active.offer == offer) {
                    active.purchase = None;
                }
            }
            Event::OfferBought { shown, .. } | Event::OfferExpired(shown) => {
                self.active.retain(|active| active.offer != shown.offer);
            }
            _ => {}
        }
    }
}
