//! What the bot shows, in Spanish and English. Pure: state in, message out.
//!
//! Every screen is a text (Telegram HTML) and an inline keyboard whose
//! buttons carry signed callback data for the user it was rendered for.
//!
//! The texts a client must tell apart without a button to go by — notices a
//! player gets unasked, and the replies to gifts, bids and operator commands
//! — are `pub(crate)`: the bench harness recognises messages by them
//! (`bench::replies`), so it follows any change made here.

pub mod auction;
mod shop;
mod story;

pub use shop::{invoice_texts, item_details, purchase_report, refund_report, stars_paid};

use dianabot_actors::{GiftOutcome, Outcome};
use dianabot_game::content::{Content, ReactionTarget};
use dianabot_game::post::{Engagement, Post};
use dianabot_game::{Currency, Event, Language, Reason, RuleError, UserId, UserState};
use teloxide_core::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use crate::telegram::callback::{Action, CallbackCodec, CallbackError};

/// What rendering needs besides the state: the key that signs buttons and
/// the content the texts come from.
#[derive(Clone, Copy)]
pub struct Ui<'a> {
    pub codec: &'a CallbackCodec,
    pub content: &'a Content,
}

impl Ui<'_> {
    fn button(&self, state: &UserState, action: Action, label: &str) -> InlineKeyboardButton {
        InlineKeyboardButton::callback(label, self.codec.encode(state.id, action))
    }
}

/// A message ready to send or to edit into place.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub text: String,
    pub keyboard: Option<InlineKeyboardMarkup>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// After /start: the welcome for a new player, the menu for a known one.
    Welcome,
    Onboarding,
    Menu,
    /// The fragment the player stands on, with its decisions.
    Story,
    /// The path taken, secrets and endings found.
    History,
    /// VIP status and what it opens.
    Vip,
    /// The daily gift just claimed.
    DailyGift,
    /// Missions of the current periods and how far they are.
    Missions,
    /// Achievements earned, and how to earn the rest.
    Achievements,
    Profile,
    Inventory,
    /// A shelf of the shop: `category` is the tag of a category id (0 for
    /// all), `page` counts from 0.
    Shop {
        category: u32,
        page: u8,
    },
    Help,
    LanguagePicker,
    NotUnderstood,
    /// The result of an operator's command on a user, in the operator's
    /// language (the state rendered is the target's).
    OperatorReport(Language),
}

/// The answer to a command's outcome, if it deserves one.
pub fn reply(screen: Option<Screen>, state: &UserState, outcome: Outcome<'_>, ui: Ui<'_>) -> Option<Rendered> {
    let screen = screen?;
    let language = match screen {
        Screen::OperatorReport(language) => language,
        _ => state.language(),
    };
    match outcome {
        Outcome::Applied(events) => {
            let mut rendered = render(screen, state, events, ui);
            rendered.text.push_str(&earned(language, events, ui.content));
            Some(rendered)
        }
        // A refused choice is explained on the story page itself.
        Outcome::Refused(refused) if screen == Screen::Story && state.is_registered() => {
            Some(story::page(state, ui, Some(refused)))
        }
        Outcome::Refused(refused) => Some(refusal(language, refused)),
        Outcome::Duplicate | Outcome::Viewed => None,
    }
}

/// The story fragment that [`reply`] shows in full, when it is a story
/// page: a reaction on that message pays for the fragment.
pub fn story_page(
    screen: Option<Screen>,
    state: &UserState,
    outcome: Outcome<'_>,
    content: &Content,
) -> Option<String> {
    if screen != Some(Screen::Story) || !state.is_registered() {
        return None;
    }
    match outcome {
        // The VIP door shows a preview, not the fragment.
        Outcome::Applied(events) if events.iter().any(|event| matches!(event, Event::VipDenied { .. })) => None,
        Outcome::Applied(_) | Outcome::Refused(_) => {
            dianabot_game::story::current(state, content).map(|fragment| fragment.id.as_str().to_owned())
        }
        Outcome::Duplicate | Outcome::Viewed => None,
    }
}

/// Renders `screen` for `state`; `events` are what the update just did.
pub fn render(screen: Screen, state: &UserState, events: &[Event], ui: Ui<'_>) -> Rendered {
    if let Screen::OperatorReport(language) = screen {
        let report = t(language, OPERATOR_REPORT);
        return plain(
            report.replace("{user}", &state.id.to_string()).replace("{balance}", &state.wallet.balance.to_string()),
        );
    }
    let language = state.language();
    let Some(profile) = &state.profile else { return plain(t(language, NOT_REGISTERED)) };
    let name = escape(&profile.first_name);
    let button = |action: Action, label: &str| ui.button(state, action, label);
    let back = || vec![vec![button(Action::Menu, t(language, BACK))]];
    let balance = state.wallet.balance;
    match screen {
        Screen::Welcome if events.iter().any(|event| matches!(event, Event::Registered { .. })) => Rendered {
            text: t(language, WELCOME).replace("{name}", &name).replace("{balance}", &balance.to_string()),
            keyboard: Some(InlineKeyboardMarkup::new([[button(Action::OnboardingNext, t(language, FOLLOW_LUCIEN))]])),
        },
        Screen::Welcome => menu(language, state, &button, Some(&t(language, WELCOME_BACK).replace("{name}", &name))),
        Screen::Onboarding => Rendered {
            text: t(language, ONBOARDING).to_owned(),
            keyboard: Some(InlineKeyboardMarkup::new([[button(Action::Menu, t(language, OPEN_MENU))]])),
        },
        Screen::Menu => menu(language, state, &button, None),
        Screen::Story => story::after(state, events, ui),
        Screen::History => story::history(state, ui),
        Screen::Vip => story::vip(state, ui),
        Screen::DailyGift => {
            let paid: i64 = events
                .iter()
                .filter_map(|event| match event {
                    Event::Ledger(entry) if entry.reason == Reason::DailyGift => Some(entry.amount),
                    _ => None,
                })
                .sum();
            let text = t(language, DAILY_GIFT)
                .replace("{paid}", &paid.to_string())
                .replace("{streak}", &state.progress.daily_gift.streak.to_string())
                .replace("{balance}", &balance.to_string());
            Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(back())) }
        }
        Screen::Profile => {
            let reactions = state.progress.counters.get("reactions").copied().unwrap_or(0);
            let items: u32 = state.inventory.values().sum();
            let text = t(language, PROFILE)
                .replace("{name}", &name)
                .replace("{language}", t(language, LANGUAGE_NAME))
                .replace("{balance}", &balance.to_string())
                .replace("{reactions}", &reactions.to_string())
                .replace("{items}", &items.to_string());
            let rows = vec![
                vec![
                    button(Action::Missions, t(language, MISSIONS_BUTTON)),
                    button(Action::Achievements, t(language, ACHIEVEMENTS_BUTTON)),
                ],
                vec![button(Action::Ledger, t(language, LEDGER_BUTTON))],
                vec![button(Action::Menu, t(language, BACK))],
            ];
            Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) }
        }
        Screen::Missions => {
            let mut text = t(language, MISSIONS).to_owned();
            for mission in ui.content.missions() {
                let progress = state.progress.missions.get(mission.id.as_str());
                let (count, done) = progress.map_or((0, false), |progress| (progress.count, progress.done));
                let mark = if done { "✅" } else { "▫️" };
                let goal = match &mission.goal {
                    dianabot_game::content::Goal::Counter { target, .. } => {
                        format!(" ({}/{target})", count.min(*target))
                    }
                    dianabot_game::content::Goal::Fragment(_) => String::new(),
                };
                let line = format!(
                    "\n{mark} <b>{}</b>{goal} — {}",
                    escape(mission.name.get(language)),
                    escape(mission.description.get(language))
                );
                text.push_str(&line);
            }
            let rows = vec![vec![button(Action::Profile, t(language, BACK_TO_PROFILE))]];
            Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) }
        }
        Screen::Achievements => {
            let earned = state.progress.achievements.len();
            let total = ui.content.achievements().count();
            let mut text = t(language, ACHIEVEMENTS)
                .replace("{earned}", &earned.to_string())
                .replace("{total}", &total.to_string());
            for achievement in ui.content.achievements() {
                let line = if state.progress.achievements.contains(achievement.id.as_str()) {
                    format!("\n🏆 <b>{}</b>", escape(achievement.name.get(language)))
                } else {
                    format!("\n🔒 {}", escape(achievement.description.get(language)))
                };
                text.push_str(&line);
            }
            let rows = vec![vec![button(Action::Profile, t(language, BACK_TO_PROFILE))]];
            Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) }
        }
        Screen::Inventory => {
            let mut text = t(language, INVENTORY).to_owned();
            if state.inventory.is_empty() {
                text.push_str(t(language, INVENTORY_EMPTY));
            }
            for (item, quantity) in &state.inventory {
                let name = ui.content.item(&item.0).map_or(item.0.as_str(), |item| item.name.get(language));
                text.push_str(&format!("\n• {} × {quantity}", escape(name)));
            }
            Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(back())) }
        }
        Screen::Help => {
            Rendered { text: t(language, HELP).to_owned(), keyboard: Some(InlineKeyboardMarkup::new(back())) }
        }
        Screen::LanguagePicker => {
            let choices = vec![
                button(Action::SetLanguage(Language::Es), "🇪🇸 Español"),
                button(Action::SetLanguage(Language::En), "🇬🇧 English"),
            ];
            let mut rows = vec![choices];
            rows.extend(back());
            Rendered { text: t(language, PICK_LANGUAGE).to_owned(), keyboard: Some(InlineKeyboardMarkup::new(rows)) }
        }
        Screen::Shop { category, page } => shop::shelf(state, ui, category, page),
        Screen::NotUnderstood => plain(t(language, NOT_UNDERSTOOD)),
        Screen::OperatorReport(_) => unreachable!("rendered above"),
    }
}

fn menu(
    language: Language,
    state: &UserState,
    button: &dyn Fn(Action, &str) -> InlineKeyboardButton,
    greeting: Option<&str>,
) -> Rendered {
    let mut text = greeting.map(|greeting| format!("{greeting}\n\n")).unwrap_or_default();
    text.push_str(&t(language, MENU).replace("{balance}", &state.wallet.balance.to_string()));
    let rows = vec![
        vec![button(Action::Story, t(language, STORY)), button(Action::Profile, t(language, PROFILE_BUTTON))],
        vec![
            button(Action::Inventory, t(language, INVENTORY_BUTTON)),
            button(Action::DailyGift, t(language, DAILY_GIFT_BUTTON)),
        ],
        vec![
            button(Action::Shop { category: 0, page: 0 }, t(language, SHOP_BUTTON)),
            button(Action::Auctions, t(language, AUCTIONS_BUTTON)),
        ],
        vec![button(Action::Vip, t(language, VIP_BUTTON)), button(Action::Help, t(language, HELP_BUTTON))],
        vec![button(Action::LanguagePicker, t(language, LANGUAGE_BUTTON))],
    ];
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) }
}

/// Lines celebrating the achievements and missions a command completed.
fn earned(language: Language, events: &[Event], content: &Content) -> String {
    let mut lines = String::new();
    for event in events {
        let line = match event {
            Event::AchievementUnlocked { achievement } => content
                .achievement(achievement)
                .map(|achievement| t(language, ACHIEVEMENT_UNLOCKED).replace("{name}", achievement.name.get(language))),
            Event::MissionProgressed { mission, done: true, .. } => content
                .mission(mission)
                .map(|mission| t(language, MISSION_DONE).replace("{name}", mission.name.get(language))),
            _ => None,
        };
        if let Some(line) = line {
            lines.push_str(&format!("\n{}", escape(&line)));
        }
    }
    if lines.is_empty() { lines } else { format!("\n{lines}") }
}

/// The refusal of a command, for a user who asked for it by text.
pub fn refusal(language: Language, refusal: &RuleError) -> Rendered {
    if *refusal == RuleError::UnknownUser {
        return plain(t(language, NOT_REGISTERED));
    }
    plain(format!("{} ({})", t(language, REFUSED), escape(&reason(language, refusal))))
}

/// Why a command was refused, in the player's language.
pub(crate) fn reason(language: Language, refusal: &RuleError) -> String {
    let es = language == Language::Es;
    match refusal {
        RuleError::UnknownUser => t(language, NOT_REGISTERED).to_owned(),
        RuleError::NonPositiveAmount(amount) if es => format!("la cantidad debe ser positiva, no {amount}"),
        RuleError::NonPositiveAmount(amount) => format!("the amount must be positive, not {amount}"),
        RuleError::AmountTooLarge(amount, max) if es => format!("{amount} supera el máximo de {max}"),
        RuleError::AmountTooLarge(amount, max) => format!("{amount} is over the maximum of {max}"),
        RuleError::InsufficientFunds { balance, needed } if es => {
            format!("no hay besitos suficientes: saldo {balance}, necesita {needed}")
        }
        RuleError::InsufficientFunds { balance, needed } => {
            format!("not enough besitos: balance {balance}, needed {needed}")
        }
        RuleError::InsufficientItems { item, have, needed } if es => {
            format!("no tiene suficiente {item}: tiene {have}, necesita {needed}")
        }
        RuleError::InsufficientItems { item, have, needed } => {
            format!("not enough {item}: you have {have}, need {needed}")
        }
        RuleError::TooManyItems { item } if es => format!("no puede tener tantos {item}"),
        RuleError::TooManyItems { item } => format!("you cannot hold that many {item}"),
        RuleError::Malformed(usage) => usage.clone(),
        RuleError::StaleChoice if es => "ese botón es de una página anterior de la historia".to_owned(),
        RuleError::StaleChoice => "that button is from an earlier page of the story".to_owned(),
        RuleError::UnknownChoice if es => "esa opción no existe aquí".to_owned(),
        RuleError::UnknownChoice => "that choice is not offered here".to_owned(),
        RuleError::RequirementsNotMet { .. } if es => "aún no cumple lo necesario".to_owned(),
        RuleError::RequirementsNotMet { .. } => "you do not meet the requirements yet".to_owned(),
        RuleError::AlreadyClaimedToday if es => "ya recogió el regalo de hoy; vuelva mañana".to_owned(),
        RuleError::AlreadyClaimedToday => "today's gift was already claimed; come back tomorrow".to_owned(),
        RuleError::GiftToSelf if es => "un regalo es para otra persona".to_owned(),
        RuleError::GiftToSelf => "a gift is for someone else".to_owned(),
        RuleError::GiftTooLarge { max } if es => format!("un regalo no puede pasar de {max} besitos"),
        RuleError::GiftTooLarge { max } => format!("a gift cannot exceed {max} besitos"),
        RuleError::TooManyGiftsToday { max } if es => format!("como mucho {max} regalos al día"),
        RuleError::TooManyGiftsToday { max } => format!("at most {max} gifts a day"),
        RuleError::DailyReactionLimit { limit } if es => format!("hoy ya cobró sus {limit} reacciones"),
        RuleError::DailyReactionLimit { limit } => format!("you were already paid for {limit} reactions today"),
        RuleError::AlreadyRewarded if es => "esa reacción ya fue recompensada".to_owned(),
        RuleError::AlreadyRewarded => "that reaction was already rewarded".to_owned(),
        RuleError::UnknownPost if es => "esa publicación no es de nuestros canales".to_owned(),
        RuleError::UnknownPost => "that post is not one of our channels'".to_owned(),
        RuleError::NotAStoryPage if es => "ese mensaje no muestra una página de la historia".to_owned(),
        RuleError::NotAStoryPage => "that message shows no page of the story".to_owned(),
        RuleError::UnknownShopItem(_) if es => "ese artículo no está en la tienda".to_owned(),
        RuleError::UnknownShopItem(_) => "that item is not in the shop".to_owned(),
        RuleError::NotOnSale if es => "ese artículo no está a la venta ahora".to_owned(),
        RuleError::NotOnSale => "that item is not on sale now".to_owned(),
        RuleError::NotSoldFor(Currency::Besitos) if es => "ese artículo no se vende por besitos".to_owned(),
        RuleError::NotSoldFor(Currency::Besitos) => "that item is not sold for besitos".to_owned(),
        RuleError::NotSoldFor(Currency::Stars) if es => "ese artículo no se vende por Stars".to_owned(),
        RuleError::NotSoldFor(Currency::Stars) => "that item is not sold for Stars".to_owned(),
        RuleError::AlreadyOwned if es => "ya lo tiene; solo se puede comprar una vez".to_owned(),
        RuleError::AlreadyOwned => "you already have it; it can be bought only once".to_owned(),
        RuleError::SoldOut if es => "agotado".to_owned(),
        RuleError::SoldOut => "sold out".to_owned(),
        RuleError::PriceChanged { price } if es => format!("el precio ha cambiado; ahora es {price}"),
        RuleError::PriceChanged { price } => format!("the price has changed; it is now {price}"),
        RuleError::TooManyPurchaseAttempts { max } if es => format!("como mucho {max} intentos de compra por hora"),
        RuleError::TooManyPurchaseAttempts { max } => format!("at most {max} purchase attempts an hour"),
        RuleError::DailyCapReached { reason, cap } if es => {
            format!("hoy ya recibió el máximo de {cap} besitos por {}", reason_name(language, *reason))
        }
        RuleError::DailyCapReached { reason, cap } => {
            format!("you already received today's maximum of {cap} besitos for {}", reason_name(language, *reason))
        }
        RuleError::UnknownCharge if es => "no hay tal pago".to_owned(),
        RuleError::UnknownCharge => "no such payment".to_owned(),
        RuleError::UnknownItem(item) if es => format!("no existe el objeto {item}"),
        RuleError::UnknownItem(item) => format!("there is no item {item}"),
        RuleError::UnknownAuction if es => "esa subasta no existe".to_owned(),
        RuleError::UnknownAuction => "there is no such auction".to_owned(),
        RuleError::AuctionRunning { .. } if es => "la subasta sigue abierta".to_owned(),
        RuleError::AuctionRunning { .. } => "the auction is still running".to_owned(),
        RuleError::AuctionClosed if es => "la subasta ya ha cerrado".to_owned(),
        RuleError::AuctionClosed => "the auction has closed".to_owned(),
        RuleError::AuctionCancelled if es => "la subasta fue cancelada".to_owned(),
        RuleError::AuctionCancelled => "the auction was cancelled".to_owned(),
        RuleError::BidTooLow { minimum } if es => format!("la puja mínima ahora es {minimum} besitos"),
        RuleError::BidTooLow { minimum } => format!("the minimum bid is now {minimum} besitos"),
        RuleError::NoSuchHold if es => "esa puja ya no está en depósito".to_owned(),
        RuleError::NoSuchHold => "that bid is no longer held".to_owned(),
    }
}

/// The answer to an operator's /reload: how much content is live now, or
/// why the files were refused (the previous content stays).
pub fn reload_report(language: Language, result: Result<usize, String>) -> Rendered {
    match result {
        Ok(fragments) => plain(t(language, RELOADED).replace("{fragments}", &fragments.to_string())),
        Err(problems) => {
            // Telegram caps a message at 4096 characters.
            let problems: String = problems.chars().take(3500).collect();
            plain(format!("{}\n<pre>{}</pre>", t(language, RELOAD_REFUSED), escape(&problems)))
        }
    }
}

/// An operator's `/posts`: the last posts published and what players did
/// with them.
pub fn posts_report(language: Language, posts: &[(Post, Engagement)], fragments: &[(String, Engagement)]) -> Rendered {
    let counts = |engagement: &Engagement| {
        t(language, ENGAGEMENT)
            .replace("{reactions}", &engagement.reactions.to_string())
            .replace("{reactors}", &engagement.unique_reactors.to_string())
            .replace("{besitos}", &engagement.besitos_paid.to_string())
    };
    let mut text = t(language, POSTS).to_owned();
    if posts.is_empty() {
        text.push_str(t(language, POSTS_NONE));
    }
    for (post, engagement) in posts {
        let vip = if post.target == ReactionTarget::VipPost { " 💎" } else { "" };
        let line = t(language, POST_LINE)
            .replace("{id}", &post.post.message_id.to_string())
            .replace("{vip}", vip)
            .replace("{excerpt}", &escape(&post.excerpt));
        text.push_str(&format!("\n{line}\n   {}", counts(engagement)));
    }
    if !fragments.is_empty() {
        text.push_str(t(language, STORY_PAGES));
        for (fragment, engagement) in fragments {
            text.push_str(&format!("\n{} · {}", escape(fragment), counts(engagement)));
        }
    }
    plain(text)
}

/// The player's recent besitos movements, newest first.
pub fn ledger(language: Language, entries: &[(i64, String, i64)], codec: &CallbackCodec, user: UserId) -> Rendered {
    let mut text = t(language, LEDGER).to_owned();
    if entries.is_empty() {
        text.push_str(t(language, LEDGER_EMPTY));
    }
    for (amount, reason, _) in entries {
        let reason = Reason::parse(reason).map_or(reason.as_str(), |reason| reason_name(language, reason));
        text.push_str(&format!("\n{amount:+} · {}", escape(reason)));
    }
    let back = InlineKeyboardButton::callback(t(language, BACK_TO_PROFILE), codec.encode(user, Action::Profile));
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new([[back]])) }
}

/// Why besitos moved, as a player reads it.
fn reason_name(language: Language, reason: Reason) -> &'static str {
    let text: Text = match reason {
        Reason::WelcomeBonus => ("bienvenida", "welcome"),
        Reason::Reaction => ("reacción", "reaction"),
        Reason::AdminGrant => ("regalo de la casa", "gift from the house"),
        Reason::AdminDeduction => ("ajuste de la casa", "adjustment by the house"),
        Reason::StoryReward => ("historia", "story"),
        Reason::StoryCost => ("historia (coste)", "story (cost)"),
        Reason::DailyGift => ("regalo diario", "daily gift"),
        Reason::GiftSent => ("regalo enviado", "gift sent"),
        Reason::GiftReceived => ("regalo recibido", "gift received"),
        Reason::GiftRefund => ("regalo devuelto", "gift returned"),
        Reason::AchievementReward => ("logro", "achievement"),
        Reason::MissionReward => ("misión", "mission"),
        Reason::Purchase => ("compra", "purchase"),
        Reason::PurchaseRefund => ("compra devuelta", "purchase refunded"),
        Reason::ShopReward => ("tienda", "shop"),
        Reason::RefundReversal => ("reembolso de Stars", "Stars refund"),
        Reason::AuctionHold => ("puja en depósito", "bid held"),
        Reason::AuctionRelease => ("puja devuelta", "bid returned"),
        Reason::AuctionWon => ("subasta ganada", "auction won"),
    };
    t(language, text)
}

/// What the giver of a gift is told.
pub fn gift_report(language: Language, outcome: &GiftOutcome, amount: i64, to: &str) -> Rendered {
    let to = escape(to);
    match outcome {
        GiftOutcome::Delivered => {
            plain(t(language, GIFT_DELIVERED).replace("{amount}", &amount.to_string()).replace("{to}", &to))
        }
        GiftOutcome::InFlight => {
            plain(t(language, GIFT_IN_FLIGHT).replace("{amount}", &amount.to_string()).replace("{to}", &to))
        }
        GiftOutcome::Refunded(_) => plain(t(language, GIFT_REFUNDED).replace("{to}", &to)),
        GiftOutcome::Refused(refused) => refusal(language, refused),
        GiftOutcome::Duplicate => plain(t(language, ALREADY_HANDLED)),
    }
}

/// What the receiver of a gift is told.
pub fn gift_received(language: Language, amount: i64, from: &str) -> Rendered {
    plain(t(language, GIFT_RECEIVED).replace("{amount}", &amount.to_string()).replace("{from}", &escape(from)))
}

/// An operator or player named someone the bot does not know.
pub fn unknown_recipient(language: Language, name: &str) -> Rendered {
    plain(t(language, UNKNOWN_RECIPIENT).replace("{name}", &escape(name)))
}

/// The alert shown for a button that cannot be honoured.
pub fn button_refusal(language: Language, error: CallbackError) -> String {
    match error {
        CallbackError::Expired => t(language, BUTTON_EXPIRED).to_owned(),
        CallbackError::Malformed | CallbackError::Forged => t(language, BUTTON_FORGED).to_owned(),
    }
}

/// A player over an inbound rate limit (`telegram::ratelimit`): plain text,
/// as it may be a button's alert.
pub fn slow_down(language: Language, reactions: bool, seconds: u64) -> String {
    let text = if reactions { SLOW_DOWN_REACTIONS } else { SLOW_DOWN };
    t(language, text).replace("{seconds}", &seconds.to_string())
}

pub(crate) fn plain(text: impl Into<String>) -> Rendered {
    Rendered { text: text.into(), keyboard: None }
}

/// Telegram HTML needs `<`, `>` and `&` escaped in user-supplied text.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A text in both languages.
pub(crate) type Text = (&'static str, &'static str);

pub(crate) fn t(language: Language, text: Text) -> &'static str {
    match language {
        Language::Es => text.0,
        Language::En => text.1,
    }
}

const SLOW_DOWN: Text = (
    "🎩 Lucien: Despacio, se lo ruego. Son demasiadas peticiones seguidas: las próximas no se atenderán. \
     Vuelva a intentarlo en {seconds} s.",
    "🎩 Lucien: Slowly, I beg you. That is too many requests in a row: the next ones will not be served. \
     Try again in {seconds} s.",
);
const SLOW_DOWN_REACTIONS: Text = (
    "🎩 Lucien: Sus reacciones van demasiado deprisa: las de los próximos {seconds} s no contarán.",
    "🎩 Lucien: Your reactions are coming too fast: those of the next {seconds} s will not count.",
);
const WELCOME: Text = (
    "🎩 <b>Lucien</b>: Bienvenido, {name}. Soy Lucien, mayordomo de esta casa.\n\n\
     Diana le espera… pero antes, permítame un obsequio: <b>{balance} besitos</b> para el camino.",
    "🎩 <b>Lucien</b>: Welcome, {name}. I am Lucien, butler of this house.\n\n\
     Diana is expecting you… but first, allow me a gift: <b>{balance} besitos</b> for the road.",
);
const WELCOME_BACK: Text =
    ("🎩 <b>Lucien</b>: Qué alegría verle de nuevo, {name}.", "🎩 <b>Lucien</b>: How good to see you again, {name}.");
const FOLLOW_LUCIEN: Text = ("Seguir a Lucien →", "Follow Lucien →");
const ONBOARDING: Text = (
    "🎩 <b>Lucien</b>: En esta casa cada gesto cuenta. Los <b>besitos</b> son su moneda: se ganan \
     reaccionando a las publicaciones del canal, leyendo la historia y cumpliendo misiones, y se gastan \
     en la tienda.\n\nCuando guste, abra el menú.",
    "🎩 <b>Lucien</b>: In this house every gesture counts. <b>Besitos</b> are its currency: you earn them \
     by reacting to the channel's posts, reading the story and completing missions, and you spend them \
     in the shop.\n\nWhenever you wish, open the menu.",
);
const OPEN_MENU: Text = ("Abrir el menú", "Open the menu");
const MENU: Text =
    ("🏛 <b>Menú principal</b>\nSaldo: {balance} besitos", "🏛 <b>Main menu</b>\nBalance: {balance} besitos");
const STORY: Text = ("📖 Historia", "📖 Story");
const PROFILE_BUTTON: Text = ("👤 Perfil", "👤 Profile");
const INVENTORY_BUTTON: Text = ("🎒 Inventario", "🎒 Inventory");
const HELP_BUTTON: Text = ("❓ Ayuda", "❓ Help");
const LANGUAGE_BUTTON: Text = ("🌐 Idioma", "🌐 Language");
const AUCTIONS_BUTTON: Text = ("🔨 Subastas", "🔨 Auctions");
const VIP_BUTTON: Text = ("💎 VIP", "💎 VIP");
const SHOP_BUTTON: Text = ("🛍️ Tienda", "🛍️ Shop");
const LEDGER_BUTTON: Text = ("💰 Movimientos", "💰 Movements");
const LEDGER: Text = ("💰 <b>Últimos movimientos</b>", "💰 <b>Latest movements</b>");
const LEDGER_EMPTY: Text = ("\nAún no hay movimientos.", "\nNo movements yet.");
const MISSIONS_BUTTON: Text = ("🎯 Misiones", "🎯 Missions");
const ACHIEVEMENTS_BUTTON: Text = ("🏆 Logros", "🏆 Achievements");
const BACK_TO_PROFILE: Text = ("« Perfil", "« Profile");
const MISSIONS: Text = ("🎯 <b>Misiones</b>", "🎯 <b>Missions</b>");
const ACHIEVEMENTS: Text = ("🏆 <b>Logros</b> ({earned} de {total})", "🏆 <b>Achievements</b> ({earned} of {total})");
const ACHIEVEMENT_UNLOCKED: Text = ("🏆 Logro: {name}", "🏆 Achievement: {name}");
const MISSION_DONE: Text = ("🎯 Misión cumplida: {name}", "🎯 Mission complete: {name}");
const DAILY_GIFT_BUTTON: Text = ("🎁 Regalo diario", "🎁 Daily gift");
const DAILY_GIFT: Text = (
    "🎁 <b>Regalo del día</b>\nLucien le entrega {paid} besitos. Racha: {streak} días.\nSaldo: {balance} besitos",
    "🎁 <b>Today's gift</b>\nLucien hands you {paid} besitos. Streak: {streak} days.\nBalance: {balance} besitos",
);
pub(crate) const BACK: Text = ("« Menú", "« Menu");
const PROFILE: Text = (
    "👤 <b>Perfil</b>\nNombre: {name}\nIdioma: {language}\nBesitos: {balance}\nReacciones: {reactions}\nObjetos: {items}",
    "👤 <b>Profile</b>\nName: {name}\nLanguage: {language}\nBesitos: {balance}\nReactions: {reactions}\nItems: {items}",
);
const LANGUAGE_NAME: Text = ("Español", "English");
const INVENTORY: Text = ("🎒 <b>Inventario</b>\n", "🎒 <b>Inventory</b>\n");
const INVENTORY_EMPTY: Text = ("Aún no tiene objetos.", "You have no items yet.");
const HELP: Text = (
    "❓ <b>Ayuda</b>\n/menu — menú principal\n/historia — la historia\n/perfil — su perfil y saldo\n\
     /inventario — sus objetos\n/diario — el regalo del día\n/misiones, /logros, /movimientos — su progreso\n/regalar @usuario 10 — regalar besitos\n\
     /subastas — subastas en curso; /pujar 7 50 — pujar 50 besitos en la subasta 7\n\
     /idioma — cambiar de idioma\n/ayuda — esta ayuda",
    "❓ <b>Help</b>\n/menu — main menu\n/story — the story\n/profile — your profile and balance\n\
     /inventory — your items\n/daily — today's gift\n/missions, /achievements, /ledger — your progress\n/gift @username 10 — give besitos\n\
     /auctions — live auctions; /bid 7 50 — bid 50 besitos in auction 7\n\
     /language — change language\n/help — this help",
);
const PICK_LANGUAGE: Text = ("🌐 Elija su idioma:", "🌐 Choose your language:");
const NOT_UNDERSTOOD: Text = (
    "🎩 Lucien arquea una ceja: no he entendido. Escriba /menu o /ayuda.",
    "🎩 Lucien raises an eyebrow: I did not understand. Type /menu or /help.",
);
pub(crate) const NOT_REGISTERED: Text = (
    "🎩 Lucien aún no le conoce. Escriba /start para comenzar.",
    "🎩 Lucien does not know you yet. Type /start to begin.",
);
pub(crate) const REFUSED: Text =
    ("🎩 Lucien inclina la cabeza: no es posible", "🎩 Lucien bows his head: that is not possible");
pub(crate) const OPERATOR_REPORT: Text =
    ("✅ Hecho. Usuario {user}: saldo {balance} besitos.", "✅ Done. User {user}: balance {balance} besitos.");
pub(crate) const GIFT_DELIVERED: Text =
    ("🎁 Ha regalado {amount} besitos a {to}.", "🎁 You gave {amount} besitos to {to}.");
const GIFT_IN_FLIGHT: Text = (
    "🎁 Su regalo de {amount} besitos a {to} está en camino.",
    "🎁 Your gift of {amount} besitos to {to} is on its way.",
);
pub(crate) const GIFT_REFUNDED: Text = (
    "🎁 {to} no puede recibir regalos todavía; sus besitos han vuelto a usted.",
    "🎁 {to} cannot receive gifts yet; your besitos came back to you.",
);
const ALREADY_HANDLED: Text =
    ("🎩 Lucien ya se ocupó de esto hace un momento.", "🎩 Lucien already took care of this a moment ago.");
pub(crate) const GIFT_RECEIVED: Text =
    ("🎁 {from} le ha regalado {amount} besitos.", "🎁 {from} gave you {amount} besitos.");
const UNKNOWN_RECIPIENT: Text = (
    "🎩 Lucien no conoce a {name}. Use /regalar @usuario cantidad.",
    "🎩 Lucien does not know {name}. Use /gift @username amount.",
);
const POSTS: Text = ("📊 Últimas publicaciones", "📊 Latest posts");
const POSTS_NONE: Text = ("\nTodavía no hay publicaciones en los canales.", "\nNo posts in the channels yet.");
const POST_LINE: Text = ("#{id}{vip} «{excerpt}»", "#{id}{vip} “{excerpt}”");
const ENGAGEMENT: Text = (
    "{reactions} reacciones · {reactors} personas · {besitos} besitos",
    "{reactions} reactions · {reactors} people · {besitos} besitos",
);
const STORY_PAGES: Text = ("\n\n📖 Páginas de la historia más reaccionadas", "\n\n📖 Story pages most reacted to");
const RELOADED: Text =
    ("✅ Contenido recargado: {fragments} fragmentos en vigor.", "✅ Content reloaded: {fragments} fragments live.");
const RELOAD_REFUSED: Text =
    ("❌ Contenido rechazado; sigue en vigor el anterior.", "❌ Content refused; the previous content stays live.");
const BUTTON_FORGED: Text = (
    "Lucien examina el botón y frunce el ceño: no es válido.",
    "Lucien examines the button and frowns: it is not valid.",
);
const BUTTON_EXPIRED: Text = (
    "Este botón ha caducado. Escriba /menu para abrir uno nuevo.",
    "This button has expired. Type /menu to open a fresh one.",
);
