//! Reading `offers.toml`: `[[offer]]` entries. The shop items (a bundle's
//! too) and fragments an offer names are recorded as references (checked once every
//! file is read); the VIP plan and the experiment's flag are checked by
//! `validate`. Everything else is checked here, with the line of the key.

use std::collections::{BTreeMap, BTreeSet};

use super::{Cx, Entity, Tbl, Value};
use crate::archetype::Archetype;
use crate::content::ids::{FragmentId, ShopItemId};
use crate::content::model::{Currency, PlanKind};
use crate::content::offers::{Cap, Deal, Offer, OfferAudience, OfferExperiment, OfferPrice, Trigger};
use crate::content::problem::ProblemKind;
use crate::ids::Language;

const INVALID: ProblemKind = ProblemKind::InvalidValue;

impl Cx<'_> {
    /// `offers.toml`: `[[offer]]`, kept in file order (the first offer of
    /// a trigger whose audience admits a player is theirs).
    pub(super) fn offers(&mut self, root: &Tbl<'_, '_>) {
        self.keys(root, &["offer"], ProblemKind::UnknownKey);
        let mut offers: Vec<Offer> = Vec::new();
        for (id, span, tbl) in self.entities(root, "offer") {
            let allowed = [
                "id",
                "name",
                "text",
                "trigger",
                "fragment",
                "short_percent",
                "inactive_days",
                "audience",
                "item",
                "price",
                "vip_plan",
                "trial_days",
                "expires_minutes",
                "cap",
                "experiment",
                "prices",
                // offers-bundle
                "items",
            ];
            self.keys(&tbl, &allowed, ProblemKind::UnknownKey);
            let name = self.text(&tbl, "name");
            let text = self.text(&tbl, "text");
            let trigger = self.trigger(&tbl);
            let audience = match tbl.get("audience") {
                Some(value) => self.offer_audience(value, &tbl.child("audience")),
                None => Some(OfferAudience::default()),
            };
            let deal = self.deal(&tbl);
            let expires = self
                .required(&tbl, "expires_minutes")
                .and_then(|value| self.bounded_at(value, &tbl.child("expires_minutes"), INVALID, 1, 60 * 24 * 30));
            let cap = match tbl.get("cap") {
                Some(value) => self.cap(value, &tbl.child("cap")),
                None => Some(Cap { shows: 1, days: 7 }),
            };
            let experiment = self.experiment(&tbl, deal.as_ref());
            if offers.iter().any(|offer| offer.id == id) {
                let message = format!("duplicate id `{id}`; ids must be unique");
                self.report(ProblemKind::DuplicateId, &tbl.path, &span, message);
                continue;
            }
            if let (Some(trigger), Some(audience), Some(deal), Some(expires), Some(cap), Some(experiment)) =
                (trigger, audience, deal, expires, cap, experiment)
            {
                let expires_minutes = expires as u32;
                offers.push(Offer { id, name, text, trigger, audience, deal, expires_minutes, cap, experiment });
            }
        }
        self.draft.offers = offers;
    }

    fn trigger(&mut self, tbl: &Tbl<'_, '_>) -> Option<Trigger> {
        let value = self.required(tbl, "trigger")?;
        let names = Trigger::NAMES.map(|name| (name, name));
        let kind = self.choice(value, &tbl.child("trigger"), &names)?;
        let own = match kind {
            "story_milestone" => Some("fragment"),
            "balance_short" => Some("short_percent"),
            "inactive_return" => Some("inactive_days"),
            _ => None,
        };
        for key in ["fragment", "short_percent", "inactive_days"] {
            if Some(key) != own && tbl.get(key).is_some() {
                let message = format!("`{key}` belongs to another trigger than `{kind}`");
                self.report_path(ProblemKind::UnknownKey, &tbl.child(key), &tbl.span, message);
            }
        }
        match kind {
            "vip_door" => Some(Trigger::VipDoor),
            "auction_lost" => Some(Trigger::AuctionLost),
            "vip_lapsing" => Some(Trigger::VipLapsing),
            "story_milestone" => {
                let path = tbl.child("fragment");
                let value = self.required(tbl, "fragment")?;
                let fragment = self.id_at(value, &path, ProblemKind::WrongType)?;
                self.reference(Entity::Fragment, &fragment, &path, &value.span());
                Some(Trigger::StoryMilestone { fragment: FragmentId(fragment) })
            }
            "balance_short" => {
                let value = self.required(tbl, "short_percent")?;
                let percent = self.bounded_at(value, &tbl.child("short_percent"), INVALID, 1, 99)?;
                Some(Trigger::BalanceShort { percent: percent as u8 })
            }
            _ => {
                let value = self.required(tbl, "inactive_days")?;
                let days = self.bounded_at(value, &tbl.child("inactive_days"), INVALID, 1, 365)?;
                Some(Trigger::InactiveReturn { days: days as u32 })
            }
        }
    }

    /// `{ archetypes = [..], vip = bool, languages = [..], levels = [low, high] }`.
    fn offer_audience(&mut self, value: &Value<'_>, path: &str) -> Option<OfferAudience> {
        let tbl = self.table_at(value, path, ProblemKind::WrongType)?;
        self.keys(&tbl, &["archetypes", "vip", "languages", "levels"], ProblemKind::UnknownKey);
        let mut audience = OfferAudience::default();
        let mut good = true;
        if let Some(value) = tbl.get("archetypes") {
            let names: Vec<(&str, Option<Archetype>)> =
                std::iter::once(("none", None)).chain(Archetype::ALL.map(|a| (a.key(), Some(a)))).collect();
            let array_path = tbl.child("archetypes");
            let array = self.array_at(value, &array_path, ProblemKind::WrongType)?;
            let mut archetypes = BTreeSet::new();
            for (index, element) in array.iter().enumerate() {
                match self.choice(element, &format!("{array_path}[{index}]"), &names) {
                    Some(archetype) => _ = archetypes.insert(archetype),
                    None => good = false,
                }
            }
            audience.archetypes = archetypes;
        }
        if let Some(value) = tbl.get("vip") {
            audience.vip = Some(self.bool_at(value, &tbl.child("vip"), ProblemKind::WrongType)?);
        }
        if let Some(value) = tbl.get("languages") {
            let array_path = tbl.child("languages");
            let array = self.array_at(value, &array_path, ProblemKind::WrongType)?;
            let names = [("es", Language::Es), ("en", Language::En)];
            for (index, element) in array.iter().enumerate() {
                match self.choice(element, &format!("{array_path}[{index}]"), &names) {
                    Some(language) => _ = audience.languages.insert(language),
                    None => good = false,
                }
            }
        }
        if let Some(value) = tbl.get("levels") {
            let levels_path = tbl.child("levels");
            let array = self.array_at(value, &levels_path, ProblemKind::WrongType)?;
            let bounds: Vec<Option<i64>> = array
                .iter()
                .enumerate()
                .map(|(index, element)| self.bounded_at(element, &format!("{levels_path}[{index}]"), INVALID, 1, 99))
                .collect();
            match bounds[..] {
                [Some(low), Some(high)] if low <= high => audience.levels = Some((low as u8, high as u8)),
                [Some(_), Some(_)] | [_, _] if bounds.iter().all(Option::is_some) => {
                    let message = "`levels` is `[lowest, highest]`, lowest first".to_owned();
                    self.report(INVALID, &levels_path, &value.span(), message);
                    good = false;
                }
                [_, _] => good = false,
                _ => {
                    let message = "`levels` is `[lowest, highest]`".to_owned();
                    self.report(INVALID, &levels_path, &value.span(), message);
                    good = false;
                }
            }
        }
        good.then_some(audience)
    }

    /// Exactly one of `item` (with `price`), `vip_plan` (with `price`) or
    /// `trial_days`. An offer in Stars is paid by its own invoice.
    fn deal(&mut self, tbl: &Tbl<'_, '_>) -> Option<Deal> {
        let given: Vec<&str> =
            ["item", "vip_plan", "trial_days", "items"].into_iter().filter(|key| tbl.get(key).is_some()).collect();
        if given.len() != 1 {
            let message = "an offer sells one thing: `item` (with `price`), `vip_plan` (with `price`), `trial_days` \
                           or a bundle of `items` (with `price`)";
            self.report(ProblemKind::MissingKey, &tbl.child("item"), &tbl.span, message.to_owned());
            return None;
        }
        match given[0] {
            "item" => {
                let path = tbl.child("item");
                let value = tbl.get("item")?;
                let item = self.id_at(value, &path, ProblemKind::WrongType)?;
                self.reference(Entity::ShopItem, &item, &path, &value.span());
                let price = self.required(tbl, "price")?;
                let price_path = tbl.child("price");
                let price = self.offer_price(price, &price_path)?;
                Some(Deal::Item { item: ShopItemId(item), price })
            }
            "vip_plan" => {
                let value = tbl.get("vip_plan")?;
                let plans = PlanKind::SOLD.map(|plan| (plan.key(), plan));
                let plan = self.choice(value, &tbl.child("vip_plan"), &plans)?;
                let price = self.required(tbl, "price")?;
                let price = self.offer_price(price, &tbl.child("price"))?;
                Some(Deal::VipPlan { plan, price })
            }
            // offers-bundle
            "items" => self.bundle(tbl),
            _ => {
                if tbl.get("price").is_some() {
                    let message = "a trial is free: remove `price`".to_owned();
                    self.report_path(INVALID, &tbl.child("price"), &tbl.span, message);
                }
                let value = tbl.get("trial_days")?;
                let days = self.bounded_at(value, &tbl.child("trial_days"), INVALID, 1, 90)?;
                Some(Deal::Trial { days: days as u32 })
            }
        }
    }

    // offers-bundle
    /// `items = ["<shop item>", …]` with `price = { besitos = n }`: two to
    /// [`Self::BUNDLE_MAX`] shop items, none twice, bought as one purchase.
    /// Whether an item is of limited stock (refused: a bundle reserves no
    /// unit) is checked by `validate`, once the shop is read.
    fn bundle(&mut self, tbl: &Tbl<'_, '_>) -> Option<Deal> {
        let path = tbl.child("items");
        let value = tbl.get("items")?;
        let listed = self.id_list(value, &path, ProblemKind::WrongType);
        let mut items: Vec<ShopItemId> = Vec::new();
        let mut good = true;
        for (index, (item, span)) in listed.into_iter().enumerate() {
            let at = format!("{path}[{index}]");
            if items.iter().any(|known| known.as_str() == item) {
                self.report(INVALID, &at, &span, format!("`{item}` is in the bundle twice"));
                good = false;
                continue;
            }
            self.reference(Entity::ShopItem, &item, &at, &span);
            items.push(ShopItemId(item));
        }
        if !(2..=Self::BUNDLE_MAX).contains(&items.len()) {
            let message = format!("a bundle sells 2 to {} different shop items", Self::BUNDLE_MAX);
            self.report(INVALID, &path, &value.span(), message);
            good = false;
        }
        let price_path = tbl.child("price");
        let price = self.required(tbl, "price")?;
        let price = self.offer_price(price, &price_path)?;
        if price.currency != Currency::Besitos {
            let message = "a bundle is sold in besitos: `price = { besitos = … }`".to_owned();
            self.report_path(INVALID, &price_path, &tbl.span, message);
            return None;
        }
        good.then_some(Deal::Bundle { items, price })
    }

    /// The most shop items a bundle holds.
    const BUNDLE_MAX: usize = 8;

    /// `{ besitos = n }` or `{ stars = n }`: exactly one currency.
    fn offer_price(&mut self, value: &Value<'_>, path: &str) -> Option<OfferPrice> {
        let tbl = self.table_at(value, path, ProblemKind::WrongType)?;
        self.keys(&tbl, &["besitos", "stars"], ProblemKind::UnknownKey);
        match (tbl.get("besitos"), tbl.get("stars")) {
            (Some(besitos), None) => {
                let amount = self.bounded_at(besitos, &tbl.child("besitos"), INVALID, 1, 1_000_000_000)?;
                Some(OfferPrice { currency: Currency::Besitos, amount: amount as u64 })
            }
            (None, Some(stars)) => {
                // Telegram's ceiling for one Stars invoice.
                let amount = self.bounded_at(stars, &tbl.child("stars"), INVALID, 1, 10_000)?;
                Some(OfferPrice { currency: Currency::Stars, amount: amount as u64 })
            }
            _ => {
                let message = "an offer's price is in one currency: `besitos` or `stars`".to_owned();
                self.report(INVALID, path, &value.span(), message);
                None
            }
        }
    }

    /// `cap = { shows = n, days = d }`.
    fn cap(&mut self, value: &Value<'_>, path: &str) -> Option<Cap> {
        let tbl = self.table_at(value, path, ProblemKind::WrongType)?;
        self.keys(&tbl, &["shows", "days"], ProblemKind::UnknownKey);
        let shows = self.required(&tbl, "shows");
        let shows = shows.and_then(|v| self.bounded_at(v, &tbl.child("shows"), INVALID, 1, i64::from(Cap::MAX_SHOWS)));
        let days = self.required(&tbl, "days").and_then(|v| self.bounded_at(v, &tbl.child("days"), INVALID, 1, 365));
        Some(Cap { shows: shows? as u32, days: days? as u32 })
    }

    /// `experiment = "<flag>"` and `prices.<variant> = { … }` in the
    /// deal's currency. `Some(None)`: no experiment.
    fn experiment(&mut self, tbl: &Tbl<'_, '_>, deal: Option<&Deal>) -> Option<Option<OfferExperiment>> {
        let Some(value) = tbl.get("experiment") else {
            if tbl.get("prices").is_some() {
                let message = "`prices` per variant need an `experiment` flag".to_owned();
                self.report_path(ProblemKind::MissingKey, &tbl.child("experiment"), &tbl.span, message);
                return None;
            }
            return Some(None);
        };
        let flag_path = tbl.child("experiment");
        let flag = self.id_at(value, &flag_path, ProblemKind::WrongType)?;
        let mut prices = BTreeMap::new();
        if let Some(value) = tbl.get("prices") {
            let prices_path = tbl.child("prices");
            let variants = self.table_at(value, &prices_path, ProblemKind::WrongType)?;
            let currency = deal.and_then(Deal::price).map(|price| price.currency);
            for (variant, price) in variants.t.iter() {
                let name: &str = variant.get_ref();
                let path = variants.child(name);
                let price = self.offer_price(price, &path)?;
                if currency.is_some_and(|currency| currency != price.currency) {
                    let message = "a variant's price is in the offer's own currency".to_owned();
                    self.report(INVALID, &path, &variant.span(), message);
                }
                if currency.is_none() {
                    let message = "a trial is free: its variants cannot have prices".to_owned();
                    self.report(INVALID, &path, &variant.span(), message);
                }
                prices.insert(name.to_owned(), price);
            }
        }
        Some(Some(OfferExperiment { flag, prices }))
    }
}
