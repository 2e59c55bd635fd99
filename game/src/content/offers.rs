//! Contextual offers as operators write them (`offers.toml`, optional):
//! what moment of play shows an offer (its [`Trigger`]), to whom (its
//! [`OfferAudience`]), what it sells and at what price ([`Deal`]), how
//! long it lasts and how often a player may see it ([`Cap`]), and, for an
//! experiment, the price each variant of a flag pays.
//!
//! The engine that shows them is `offer.rs`; this is only the model.

use std::collections::{BTreeMap, BTreeSet};

use super::ids::{FragmentId, ShopItemId};
use super::model::{Currency, PlanKind, Text};
use crate::archetype::Archetype;
use crate::ids::Language;

/// The moment of play that shows an offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// A free player refused at a VIP level (`VipDenied`).
    VipDoor,
    /// A purchase refused for want of besitos, short by at most `percent`
    /// of the price.
    BalanceShort { percent: u8 },
    /// The player entered `fragment`.
    StoryMilestone { fragment: FragmentId },
    /// A bid of the player's was outbid (its escrow released).
    AuctionLost,
    /// A VIP reminder fired: the membership is about to end.
    VipLapsing,
    /// The player came back after `days` days or more without playing.
    InactiveReturn { days: u32 },
}

impl Trigger {
    pub const NAMES: [&'static str; 6] =
        ["vip_door", "balance_short", "story_milestone", "auction_lost", "vip_lapsing", "inactive_return"];

    /// The name content and analytics use.
    pub fn key(&self) -> &'static str {
        match self {
            Trigger::VipDoor => "vip_door",
            Trigger::BalanceShort { .. } => "balance_short",
            Trigger::StoryMilestone { .. } => "story_milestone",
            Trigger::AuctionLost => "auction_lost",
            Trigger::VipLapsing => "vip_lapsing",
            Trigger::InactiveReturn { .. } => "inactive_return",
        }
    }
}

/// Who an offer is for; an empty criterion admits everyone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OfferAudience {
    /// Players of these styles (`Some`) or with no style yet (`None`,
    /// written `"none"`).
    pub archetypes: BTreeSet<Option<Archetype>>,
    /// Only members (`Some(true)`) or only free players (`Some(false)`).
    pub vip: Option<bool>,
    pub languages: BTreeSet<Language>,
    /// Player levels, both ends included.
    pub levels: Option<(u8, u8)>,
}

impl OfferAudience {
    pub fn admits(&self, archetype: Option<Archetype>, vip: bool, language: Language, level: u8) -> bool {
        (self.archetypes.is_empty() || self.archetypes.contains(&archetype))
            && self.vip.is_none_or(|wanted| wanted == vip)
            && (self.languages.is_empty() || self.languages.contains(&language))
            && self.levels.is_none_or(|(low, high)| (low..=high).contains(&level))
    }
}

/// One price of an offer, in one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfferPrice {
    pub currency: Currency,
    pub amount: u64,
}

/// What an offer sells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deal {
    /// A shop item at `price` (a discount on its listed one, or a bundle
    /// the item's rewards make).
    Item { item: ShopItemId, price: OfferPrice },
    /// A VIP plan's period at `price` (Stars, or besitos where the
    /// content says so), bought once: never a subscription.
    VipPlan { plan: PlanKind, price: OfferPrice },
    /// VIP days for free, once per player (a trial).
    Trial { days: u32 },
    // offers-bundle
    /// Several shop items (two or more, none twice, none of limited stock)
    /// bought in one purchase at `price` (besitos): all of them delivered
    /// in the saga's fulfil step, or the whole price refunded.
    Bundle { items: Vec<ShopItemId>, price: OfferPrice },
}

impl Deal {
    /// The base price; a trial costs nothing.
    pub fn price(&self) -> Option<OfferPrice> {
        match self {
            Deal::Item { price, .. } => Some(*price),
            Deal::VipPlan { price, .. } => Some(*price),
            Deal::Trial { .. } => None,
            // offers-bundle
            Deal::Bundle { price, .. } => Some(*price),
        }
    }

    // offers-bundle
    /// What the purchase saga buys for this deal (its purchase's `item`):
    /// the item, or the bundle's items as one; `None` for a deal not sold
    /// through the saga.
    pub fn purchase_item(&self) -> Option<String> {
        match self {
            Deal::Item { item, .. } => Some(item.to_string()),
            Deal::Bundle { items, .. } => Some(crate::shop::bundle_key(items)),
            Deal::VipPlan { .. } | Deal::Trial { .. } => None,
        }
    }
}

/// At most `shows` shows per `days` days per player.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cap {
    pub shows: u32,
    pub days: u32,
}

impl Cap {
    /// The most shows a cap may allow: a player's show times are kept up
    /// to this many per offer.
    pub const MAX_SHOWS: u32 = 8;
}

/// An experiment on an offer: the flag whose variant a player gets, and
/// the price each listed variant pays (others pay the base price).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferExperiment {
    pub flag: String,
    pub prices: BTreeMap<String, OfferPrice>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub id: String,
    pub name: Text,
    pub text: Text,
    pub trigger: Trigger,
    pub audience: OfferAudience,
    pub deal: Deal,
    pub expires_minutes: u32,
    pub cap: Cap,
    pub experiment: Option<OfferExperiment>,
}

impl Offer {
    /// What `variant` of the offer's experiment pays (the base price for
    /// no variant or one without its own).
    pub fn price(&self, variant: Option<&str>) -> Option<OfferPrice> {
        let own = variant.and_then(|variant| self.experiment.as_ref()?.prices.get(variant).copied());
        own.or_else(|| self.deal.price())
    }
}
