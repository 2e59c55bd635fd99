//! The shop: shelves with a category filter and pages, an item's details,
//! and what a purchase came to.

use dianabot_actors::PurchaseOutcome;
use dianabot_game::content::{Content, Rarity, Reward, ShopItem, evaluate};
use dianabot_game::shop::{self, price_at};
use dianabot_game::{Language, RuleError, UserState};
use dianabot_plumbing::unix_now;
use teloxide_core::types::InlineKeyboardMarkup;

use super::story::describe;
use super::{ALREADY_HANDLED, BACK, REFUSED, Rendered, Text, Ui, escape, plain, reason, t};
use crate::telegram::callback::{Action, tag};

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
        .map_or(t(language, ALL), |c| c.name.get(language));
    let mut text = t(language, SHOP)
        .replace("{balance}", &state.wallet.balance.to_string())
        .replace("{shelf}", &escape(shelf_name))
        .replace("{page}", &(page + 1).to_string())
        .replace("{pages}", &pages.to_string());
    if items.is_empty() {
        text.push_str(t(language, SHELF_EMPTY));
    }
    let mut filters = vec![button(Action::Shop { category: 0, page: 0 }, &marked(t(language, ALL), category == 0))];
    for shelf in content.categories() {
        let selected = tag(shelf.id.as_str()) == category;
        let action = Action::Shop { category: tag(shelf.id.as_str()), page: 0 };
        filters.push(button(action, &marked(shelf.name.get(language), selected)));
    }
    let mut rows = vec![filters];
    let now = unix_now();
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
    rows.push(vec![button(Action::Menu, t(language, BACK))]);
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) }
}

/// An item's page: price (and discount), units left, what it gives,
/// whether the player owns it or what they lack, and the buy buttons.
pub fn item_details(state: &UserState, ui: Ui<'_>, item: &ShopItem, left: Option<u32>) -> Rendered {
    let language = state.language();
    let now = unix_now();
    let button = |action: Action, label: &str| ui.button(state, action, label);
    let mut text = format!(
        "{} <b>{}</b> · {}\n<i>{}</i>\n\n{} {}",
        rarity_icon(item.rarity),
        escape(item.name.get(language)),
        t(language, rarity_name(item.rarity)),
        escape(item.description.get(language)),
        t(language, PRICE),
        price(item, now)
    );
    if let Some(discount) = item.discount.filter(|d| d.until.is_none_or(|until| now < until)) {
        let listed = listed_price(item);
        text.push_str(
            &t(language, DISCOUNT).replace("{percent}", &discount.percent.to_string()).replace("{was}", &listed),
        );
    }
    if let Some(left) = left {
        text.push_str(&t(language, LEFT).replace("{left}", &left.to_string()));
    }
    text.push_str(t(language, INCLUDES));
    text.push_str(&reward_lines(language, ui.content, &item.rewards));
    let bought = state.progress.bought.get(item.id.as_str()).copied().unwrap_or(0);
    if bought > 0 {
        text.push_str(t(language, if item.unique { OWNED_UNIQUE } else { OWNED }));
    }
    let evaluation = evaluate(&item.requires, state, ui.content, now);
    if !evaluation.allowed {
        text.push_str(t(language, LACKS));
        for missing in &evaluation.missing {
            text.push_str(&describe(missing, language, ui.content, 0));
        }
    }
    let item_tag = tag(item.id.as_str());
    let mut rows = Vec::new();
    let buyable = evaluation.allowed && !(item.unique && shop::owns(item, state)) && left != Some(0);
    let current = price_at(item, now);
    if buyable && let Some(besitos) = current.besitos {
        let label = t(language, BUY_BESITOS).replace("{price}", &besitos.to_string());
        rows.push(vec![button(Action::BuyWithBesitos { item: item_tag }, &label)]);
    }
    if buyable && let Some(stars) = current.stars {
        let label = t(language, BUY_STARS).replace("{price}", &stars.to_string());
        rows.push(vec![button(Action::BuyWithStars { item: item_tag }, &label)]);
    }
    let shelf = Action::Shop { category: tag(item.category.as_str()), page: 0 };
    rows.push(vec![button(shelf, t(language, BACK_TO_SHOP))]);
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) }
}

/// What the buyer is told after paying in besitos.
pub fn purchase_report(state: &UserState, ui: Ui<'_>, item: &ShopItem, outcome: &PurchaseOutcome) -> Rendered {
    let language = state.language();
    match outcome {
        PurchaseOutcome::Completed => delivered(state, ui, item, t(language, BOUGHT)),
        PurchaseOutcome::Refused(refusal) | PurchaseOutcome::Compensated(refusal) => {
            refused(state, ui, item, refusal, matches!(outcome, PurchaseOutcome::Compensated(_)))
        }
        PurchaseOutcome::InFlight => plain(t(language, IN_FLIGHT)),
        PurchaseOutcome::Duplicate => plain(t(language, ALREADY_HANDLED)),
    }
}

/// What the buyer is told once a Stars payment is applied.
pub fn stars_paid(state: &UserState, ui: Ui<'_>, item: &ShopItem) -> Rendered {
    delivered(state, ui, item, t(state.language(), STARS_PAID))
}

/// Title and description of an item's Stars invoice.
pub fn invoice_texts(language: Language, item: &ShopItem) -> (String, String) {
    let title: String = item.name.get(language).chars().take(32).collect();
    let description: String = item.description.get(language).chars().take(255).collect();
    (title, description)
}

/// The operator's answer to /refund.
pub fn refund_report(language: Language, result: Result<(i64, String), String>) -> Rendered {
    match result {
        Ok((user, item)) => {
            plain(t(language, REFUNDED).replace("{user}", &user.to_string()).replace("{item}", &escape(&item)))
        }
        Err(why) => plain(t(language, REFUND_FAILED).replace("{why}", &escape(&why))),
    }
}

fn delivered(state: &UserState, ui: Ui<'_>, item: &ShopItem, headline: &str) -> Rendered {
    let language = state.language();
    let button = |action: Action, label: &str| ui.button(state, action, label);
    let mut text = headline.replace("{name}", &escape(item.name.get(language)));
    text.push_str(&reward_lines(language, ui.content, &item.rewards));
    text.push_str(&t(language, BALANCE).replace("{balance}", &state.wallet.balance.to_string()));
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
    rows.push(vec![button(Action::Shop { category: 0, page: 0 }, t(language, BACK_TO_SHOP))]);
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) }
}

fn refused(state: &UserState, ui: Ui<'_>, item: &ShopItem, refusal: &RuleError, refunded: bool) -> Rendered {
    let language = state.language();
    let mut text = format!("{} ({})", t(language, REFUSED), escape(&reason(language, refusal)));
    if refunded {
        text.push_str(t(language, MONEY_BACK));
    }
    let back = ui.button(state, Action::ShopItem { item: tag(item.id.as_str()) }, t(language, BACK));
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new([[back]])) }
}

fn reward_lines(language: Language, content: &Content, reward: &Reward) -> String {
    let mut lines = String::new();
    let mut line = |text: String| lines.push_str(&format!("\n• {text}"));
    for (id, quantity) in &reward.items {
        let name = content.item(&id.0).map_or(id.0.as_str(), |item| item.name.get(language));
        line(format!("{} × {quantity}", escape(name)));
    }
    if reward.besitos > 0 {
        line(t(language, REWARD_BESITOS).replace("{n}", &reward.besitos.to_string()));
    }
    if reward.experience_points > 0 {
        line(t(language, REWARD_XP).replace("{n}", &reward.experience_points.to_string()));
    }
    if reward.vip_trial_days > 0 {
        line(t(language, REWARD_VIP).replace("{n}", &reward.vip_trial_days.to_string()));
    }
    for id in &reward.unlock_fragments {
        let opening = content.fragment(id.as_str()).map(|f| f.text.get(language).chars().take(40).collect::<String>());
        let title = opening.map_or_else(|| id.as_str().to_owned(), |opening| format!("{opening}…"));
        line(t(language, REWARD_FRAGMENT).replace("{name}", &escape(&title)));
    }
    for id in &reward.unlock_experiences {
        let name = content.experience(id.as_str()).map_or(id.as_str(), |e| e.name.get(language));
        line(t(language, REWARD_EXPERIENCE).replace("{name}", &escape(name)));
    }
    for id in &reward.unlock_shop_items {
        let name = content.shop_item(id.as_str()).map_or(id.as_str(), |s| s.name.get(language));
        line(t(language, REWARD_SHOP_ITEM).replace("{name}", &escape(name)));
    }
    for id in &reward.achievements {
        let name = content.achievement(id.as_str()).map_or(id.as_str(), |a| a.name.get(language));
        line(format!("🏆 {}", escape(name)));
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

fn rarity_name(rarity: Rarity) -> Text {
    match rarity {
        Rarity::Common => ("común", "common"),
        Rarity::Rare => ("rara", "rare"),
        Rarity::Epic => ("épica", "epic"),
        Rarity::Legendary => ("legendaria", "legendary"),
    }
}

const SHOP: Text = (
    "🛍️ <b>La tienda de Lucien</b> — {shelf}\nSaldo: {balance} besitos · página {page} de {pages}",
    "🛍️ <b>Lucien's shop</b> — {shelf}\nBalance: {balance} besitos · page {page} of {pages}",
);
const ALL: Text = ("Todo", "All");
const SHELF_EMPTY: Text = ("\n\nNada en este estante, por ahora.", "\n\nNothing on this shelf, for now.");
const PRICE: Text = ("Precio:", "Price:");
const DISCOUNT: Text = (" <i>(−{percent} %, antes {was})</i>", " <i>(−{percent}%, was {was})</i>");
const LEFT: Text = ("\nQuedan: {left}", "\nLeft: {left}");
const INCLUDES: Text = ("\n\nIncluye:", "\n\nIncludes:");
const OWNED: Text = ("\n\n✅ Ya lo ha comprado antes.", "\n\n✅ You have bought it before.");
const OWNED_UNIQUE: Text = ("\n\n✅ Ya es suyo (pieza única).", "\n\n✅ It is yours already (one of a kind).");
const LACKS: Text = ("\n\n🔒 Para comprarlo le falta:", "\n\n🔒 To buy it you still need:");
const BUY_BESITOS: Text = ("Comprar por {price} besitos", "Buy for {price} besitos");
const BUY_STARS: Text = ("Pagar {price} ⭐", "Pay {price} ⭐");
const BACK_TO_SHOP: Text = ("« Tienda", "« Shop");
const BOUGHT: Text = (
    "🛍️ <b>{name}</b> es suyo. Lucien lo envuelve con cuidado.",
    "🛍️ <b>{name}</b> is yours. Lucien wraps it with care.",
);
const STARS_PAID: Text = ("⭐ Pago recibido: <b>{name}</b> es suyo.", "⭐ Payment received: <b>{name}</b> is yours.");
const BALANCE: Text = ("\n\nSaldo: {balance} besitos", "\n\nBalance: {balance} besitos");
const IN_FLIGHT: Text = (
    "⏳ Su pago está hecho; Lucien le entregará el artículo en un momento.",
    "⏳ Your payment is made; Lucien will hand you the item in a moment.",
);
const MONEY_BACK: Text = ("\nSus besitos le han sido devueltos.", "\nYour besitos were returned.");
const REWARD_BESITOS: Text = ("{n} besitos", "{n} besitos");
const REWARD_XP: Text = ("{n} de experiencia", "{n} experience");
const REWARD_VIP: Text = ("{n} días de VIP", "{n} days of VIP");
const REWARD_FRAGMENT: Text = ("un recuerdo: {name}", "a memory: {name}");
const REWARD_EXPERIENCE: Text = ("una experiencia: {name}", "an experience: {name}");
const REWARD_SHOP_ITEM: Text = ("acceso a {name} en la tienda", "access to {name} in the shop");
const REFUNDED: Text = (
    "↩️ Reembolsado: las Stars vuelven al usuario {user}; se retiró lo que {item} había dado.",
    "↩️ Refunded: the Stars go back to user {user}; what {item} gave was taken back.",
);
const REFUND_FAILED: Text = ("↩️ No se pudo reembolsar: {why}", "↩️ Could not refund: {why}");
