//! The shop: shelves with a category filter and pages, an item's details,
//! and what a purchase came to.

use dianabot_actors::PurchaseOutcome;
use dianabot_game::content::{ComponentKind, Content, Rarity, Reward, ShopItem, evaluate, template};
use dianabot_game::shop::{self, price_at};
use dianabot_game::{Language, RuleError, UserState};
use teloxide_core::types::InlineKeyboardMarkup;

use super::story::describe;
use super::{Rendered, Ui, escape, plain, reason, refusal, t, tw};
use crate::telegram::callback::{Action, tag};
use crate::texts::catalogue::{self as m};
use crate::texts::{self, Message};

/// Items per page of a shelf.
const PAGE_SIZE: usize = 5;

/// A shelf: the items of one category (tag 0: all) the player can see.
pub(super) fn shelf(state: &UserState, ui: Ui<'_>, category: u32, page: u8) -> Rendered {
    let language = state.language();
    let content = ui.content;
    let button = |action: Action, label: &str| ui.button(state, action, label);
    let items: Vec<&ShopItem> = content
        .shop_items()
        .filter(|item| category == 0 || tag(item.category.as_str()) == category)
        .filter(|item| shop::is_visible(item, state))
        .collect();
    let pages = items.len().div_ceil(PAGE_SIZE).max(1);
    let page = usize::from(page).min(pages - 1);
    let shelf_name = content
        .categories()
        .find(|c| tag(c.id.as_str()) == category)
        .map_or_else(|| t(language, m::SHOP_ALL), |c| c.name.get(language).to_owned());
    let args = [
        ("shelf", escape(&shelf_name).into()),
        ("balance", state.wallet.balance.into()),
        ("page", (page + 1).into()),
        ("pages", pages.into()),
    ];
    let mut text = tw(language, m::SHOP_TITLE, &args);
    if items.is_empty() {
        text.push_str(&format!("\n\n{}", t(language, m::SHELF_EMPTY)));
    }
    let all = marked(&t(language, m::SHOP_ALL), category == 0);
    let mut filters = vec![button(Action::Shop { category: 0, page: 0 }, &all)];
    for shelf in content.categories() {
        let selected = tag(shelf.id.as_str()) == category;
        let action = Action::Shop { category: tag(shelf.id.as_str()), page: 0 };
        filters.push(button(action, &marked(shelf.name.get(language), selected)));
    }
    let mut rows = vec![filters];
    let now = ui.now;
    for item in items.iter().skip(page * PAGE_SIZE).take(PAGE_SIZE) {
        let owned = if state.progress.bought.contains_key(item.id.as_str()) { " ✅" } else { "" };
        let label = format!("{} {} · {}{owned}", rarity_icon(item.rarity), item.name.get(language), price(item, now));
        rows.push(vec![button(Action::ShopItem { item: tag(item.id.as_str()) }, &label)]);
    }
    let mut pager = Vec::new();
    if page > 0 {
        pager.push(button(Action::Shop { category, page: (page - 1) as u8 }, "◀"));
    }
    if page + 1 < pages {
        pager.push(button(Action::Shop { category, page: (page + 1) as u8 }, "▶"));
    }
    if !pager.is_empty() {
        rows.push(pager);
    }
    rows.push(vec![button(Action::Menu, &t(language, m::BACK))]);
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) }
}

/// An item's page: price (and discount), units left, what it gives,
/// whether the player owns it or what they lack, and the buy buttons.
pub fn item_details(state: &UserState, ui: Ui<'_>, item: &ShopItem, left: Option<u32>) -> Rendered {
    let language = state.language();
    let now = ui.now;
    let button = |action: Action, label: &str| ui.button(state, action, label);
    let mut text = format!(
        "{} <b>{}</b> · {}\n<i>{}</i>\n\n{}",
        rarity_icon(item.rarity),
        escape(item.name.get(language)),
        tw(language, m::RARITY, &[("rarity", rarity_name(item.rarity).into())]),
        escape(item.description.get(language)),
        tw(language, m::ITEM_PRICE, &[("price", price(item, now).into())]),
    );
    if let Some(discount) = item.discount.filter(|d| d.until.is_none_or(|until| now < until)) {
        let args = [("percent", discount.percent.into()), ("was", listed_price(item).into())];
        text.push_str(&format!(" {}", tw(language, m::ITEM_DISCOUNT, &args)));
    }
    if let Some(left) = left {
        text.push_str(&format!("\n{}", tw(language, m::ITEM_LEFT, &[("left", left.into())])));
    }
    text.push_str(&format!("\n\n{}", t(language, m::ITEM_INCLUDES)));
    text.push_str(&reward_lines(language, ui.content, &item.rewards));
    let bought = state.progress.bought.get(item.id.as_str()).copied().unwrap_or(0);
    if bought > 0 {
        let owned = t(language, if item.unique { m::ITEM_OWNED_UNIQUE } else { m::ITEM_OWNED });
        text.push_str(&format!("\n\n{owned}"));
    }
    let id = item.id.as_str();
    let part_of =
        super::experience::part_of(state, ui, |kind| matches!(kind, ComponentKind::Purchase(it) if it.as_str() == id));
    if !part_of.is_empty() {
        text.push_str(&format!("\n{part_of}"));
    }
    let evaluation = evaluate(&item.requires, state, ui.content, now);
    if !evaluation.allowed {
        text.push_str(&format!("\n\n{}", t(language, m::ITEM_LACKS)));
        for missing in &evaluation.missing {
            text.push_str(&describe(missing, language, ui.content, 0));
        }
    }
    let item_tag = tag(item.id.as_str());
    let mut rows = Vec::new();
    let buyable = evaluation.allowed && !(item.unique && shop::owns(item, state)) && left != Some(0);
    let current = price_at(item, now);
    if buyable && let Some(besitos) = current.besitos {
        let label = tw(language, m::BUY_BESITOS, &[("price", besitos.into())]);
        rows.push(vec![button(Action::BuyWithBesitos { item: item_tag }, &label)]);
    }
    if buyable && let Some(stars) = current.stars {
        let label = tw(language, m::BUY_STARS, &[("price", stars.into())]);
        rows.push(vec![button(Action::BuyWithStars { item: item_tag }, &label)]);
    }
    let shelf = Action::Shop { category: tag(item.category.as_str()), page: 0 };
    rows.push(vec![button(shelf, &t(language, m::BACK_TO_SHOP))]);
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) }
}

/// What the buyer is told after paying in besitos.
pub fn purchase_report(state: &UserState, ui: Ui<'_>, item: &ShopItem, outcome: &PurchaseOutcome) -> Rendered {
    let language = state.language();
    match outcome {
        PurchaseOutcome::Completed => delivered(state, ui, item, m::BOUGHT),
        PurchaseOutcome::Refused(refusal) | PurchaseOutcome::Compensated(refusal) => {
            refused(state, ui, item, refusal, matches!(outcome, PurchaseOutcome::Compensated(_)))
        }
        PurchaseOutcome::InFlight => plain(t(language, m::PURCHASE_IN_FLIGHT)),
        PurchaseOutcome::Duplicate => plain(t(language, m::ALREADY_HANDLED)),
    }
}

/// What the buyer is told once a Stars payment is applied.
pub fn stars_paid(state: &UserState, ui: Ui<'_>, item: &ShopItem) -> Rendered {
    delivered(state, ui, item, m::STARS_PAID)
}

/// What the buyer is told when a second payment for one purchase was
/// given back: the item was granted once, by the first.
pub fn paid_twice(language: Language, item: &str, stars: u32) -> Rendered {
    plain(tw(language, m::PAID_TWICE, &[("name", escape(item).into()), ("stars", stars.into())]))
}

/// Title and description of an item's Stars invoice.
pub fn invoice_texts(language: Language, item: &ShopItem) -> (String, String) {
    invoice_fields(item.name.get(language), item.description.get(language))
}

/// A Stars invoice's title and description, cut to Telegram's 32 and 255
/// characters.
pub fn invoice_fields(title: &str, description: &str) -> (String, String) {
    (title.chars().take(32).collect(), description.chars().take(255).collect())
}

/// Why an operator's /refund did not go through.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefundFailure {
    #[error("no payment with charge id {0}")]
    NoPayment(String),
    #[error("already refunded")]
    AlreadyRefunded,
    /// Telegram refused to give the Stars back; its words.
    #[error("Telegram refused: {0}")]
    Telegram(String),
    #[error("refused: {0}")]
    Refused(RuleError),
    /// The store or an actor failed; the detail is for the operator.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

/// The operator's answer to /refund: the buyer and the item (its id;
/// the report shows its name from `content`), or why not.
pub fn refund_report(language: Language, content: &Content, result: Result<(i64, String), RefundFailure>) -> Rendered {
    match result {
        Ok((user, item)) => {
            let name = content.item(&item).map_or(item.as_str(), |found| found.name.get(language));
            plain(tw(language, m::REFUNDED, &[("user", user.to_string().into()), ("item", escape(name).into())]))
        }
        Err(failure) => {
            let why = match &failure {
                RefundFailure::NoPayment(charge) => {
                    tw(language, m::REFUND_NO_PAYMENT, &[("charge", charge.as_str().into())])
                }
                RefundFailure::AlreadyRefunded => t(language, m::REFUND_ALREADY_DONE),
                RefundFailure::Telegram(error) => tw(language, m::REFUND_TELEGRAM, &[("error", error.as_str().into())]),
                RefundFailure::Refused(refusal) => reason(language, refusal),
                RefundFailure::Unavailable(detail) => {
                    reason(language, &RuleError::Malformed(dianabot_game::Malformed::Unavailable(detail.clone())))
                }
            };
            plain(tw(language, m::REFUND_FAILED, &[("why", escape(&why).into())]))
        }
    }
}

fn delivered(state: &UserState, ui: Ui<'_>, item: &ShopItem, headline: Message) -> Rendered {
    let language = state.language();
    let button = |action: Action, label: &str| ui.button(state, action, label);
    let mut text = tw(language, headline, &[("name", escape(item.name.get(language)).into())]);
    text.push_str(&reward_lines(language, ui.content, &item.rewards));
    let balance = tw(language, m::BALANCE_LINE, &[("balance", state.wallet.balance.into())]);
    text.push_str(&format!("\n\n{balance}"));
    text.push_str(&super::experience::after_purchase(state, ui, item.id.as_str()));
    let mut rows = Vec::new();
    // The contextual offer, when the content has one the player may take.
    if let Some(follow_up) = &item.follow_up
        && let Some(offer) = ui.content.shop_item(follow_up.item.as_str())
        && shop::is_visible(offer, state)
        && !(offer.unique && shop::owns(offer, state))
    {
        text.push_str(&format!("\n\n{}", escape(follow_up.text.get(language))));
        let label = format!("{} {}", rarity_icon(offer.rarity), offer.name.get(language));
        rows.push(vec![button(Action::ShopItem { item: tag(offer.id.as_str()) }, &label)]);
    }
    rows.push(vec![button(Action::Shop { category: 0, page: 0 }, &t(language, m::BACK_TO_SHOP))]);
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) }
}

fn refused(state: &UserState, ui: Ui<'_>, item: &ShopItem, refused: &RuleError, refunded: bool) -> Rendered {
    let language = state.language();
    let mut text = refusal(language, refused).text;
    if refunded {
        text.push_str(&format!("\n{}", t(language, m::MONEY_BACK)));
    }
    let back = ui.button(state, Action::ShopItem { item: tag(item.id.as_str()) }, &t(language, m::BACK));
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new([[back]])) }
}

pub(super) fn reward_lines(language: Language, content: &Content, reward: &Reward) -> String {
    let mut lines = String::new();
    let mut line = |text: String| lines.push_str(&format!("\n• {text}"));
    for (id, quantity) in &reward.items {
        let name = content.item(&id.0).map_or(id.0.as_str(), |item| item.name.get(language));
        line(format!("{} × {quantity}", escape(name)));
    }
    let count = |message: Message, count: texts::Arg<'static>| tw(language, message, &[("count", count)]);
    if reward.besitos > 0 {
        line(count(m::REWARD_BESITOS, reward.besitos.into()));
    }
    if reward.experience_points > 0 {
        line(count(m::REWARD_EXPERIENCE_POINTS, reward.experience_points.into()));
    }
    if reward.vip_trial_days > 0 {
        line(count(m::REWARD_VIP_DAYS, reward.vip_trial_days.into()));
    }
    let named = |message: Message, name: &str| tw(language, message, &[("name", escape(name).into())]);
    for id in &reward.unlock_fragments {
        let opening = content
            .fragment(id.as_str())
            .map(|f| template::render(f.text.get(language), None, str::to_owned).chars().take(40).collect::<String>());
        let title = opening.map_or_else(|| id.as_str().to_owned(), |opening| format!("{opening}…"));
        line(named(m::REWARD_FRAGMENT, &title));
    }
    for id in &reward.unlock_experiences {
        let name = content.experience(id.as_str()).map_or(id.as_str(), |e| e.name.get(language));
        line(named(m::REWARD_EXPERIENCE, name));
    }
    for id in &reward.unlock_shop_items {
        let name = content.shop_item(id.as_str()).map_or(id.as_str(), |s| s.name.get(language));
        line(named(m::REWARD_SHOP_ITEM, name));
    }
    for id in &reward.achievements {
        let name = content.achievement(id.as_str()).map_or(id.as_str(), |a| a.name.get(language));
        line(format!("🏆 {}", escape(name)));
    }
    for id in &reward.lore {
        let name = content.lore().pieces.get(id).map_or(id.as_str(), |piece| piece.name.get(language));
        line(named(m::REWARD_LORE, name));
    }
    lines
}

/// The price now, e.g. `24 💋 / 12 ⭐`.
fn price(item: &ShopItem, now: i64) -> String {
    let price = price_at(item, now);
    format_price(price.besitos, price.stars)
}

fn listed_price(item: &ShopItem) -> String {
    format_price(item.price.besitos, item.price.stars)
}

fn format_price(besitos: Option<u64>, stars: Option<u32>) -> String {
    let besitos = besitos.map(|b| format!("{b} 💋"));
    let stars = stars.map(|s| format!("{s} ⭐"));
    besitos.into_iter().chain(stars).collect::<Vec<_>>().join(" / ")
}

fn marked(label: &str, selected: bool) -> String {
    if selected { format!("• {label}") } else { label.to_owned() }
}

fn rarity_icon(rarity: Rarity) -> &'static str {
    match rarity {
        Rarity::Common => "⚪",
        Rarity::Rare => "🔵",
        Rarity::Epic => "🟣",
        Rarity::Legendary => "🟡",
    }
}

/// The rarity the texts select on.
fn rarity_name(rarity: Rarity) -> &'static str {
    match rarity {
        Rarity::Common => "common",
        Rarity::Rare => "rare",
        Rarity::Epic => "epic",
        Rarity::Legendary => "legendary",
    }
}
