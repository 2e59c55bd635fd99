//! VIP: the membership page with the plans on sale, what a payment bought,
//! the personal invite link, reminders and the end of a membership (each
//! with a way back to the plans), the offer to a non-member turned away
//! from the VIP channel, and the free channel's welcome.

use dianabot_game::content::{PlanKind, VipPlan};
use dianabot_game::membership::{Membership, Phase, SyncAction, Vip};
use dianabot_game::{Event, Language, Reason, UserState};
use teloxide_core::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::{Rendered, Ui, escape, plain, t, tw};
use crate::telegram::callback::Action;
use crate::texts::catalogue::{self as m};

const DAY: i64 = 86_400;

/// A unix second as a date (UTC) the texts show.
fn date(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0).map_or_else(String::new, |at| at.format("%Y-%m-%d").to_string())
}

/// A plan's name in `language`: the content's for plans on sale, the
/// texts' for a trial (or a plan taken off sale).
fn plan_name(language: Language, ui: Ui<'_>, plan: PlanKind) -> String {
    match ui.content.vip().plan(plan) {
        Some(offer) => escape(offer.name.get(language)),
        None => t(language, m::VIP_PLAN_TRIAL),
    }
}

/// `/vip`: the membership (plan, days left, renewal date, grace) and the
/// plans, with buttons to buy, cancel or resume renewal, and get a link.
pub fn status(state: &UserState, ui: Ui<'_>, now: i64) -> Rendered {
    let language = state.language();
    let vip = state.progress.vip.as_deref().filter(|vip| vip.plan.is_some() && vip.phase != Phase::Lapsed);
    let mut text = t(language, m::VIP_TITLE);
    let mut rows = Vec::new();
    match vip {
        Some(vip) => {
            text.push('\n');
            text.push_str(&membership_lines(language, ui, vip, now));
            if let Some(subscription) = &vip.subscription {
                let (label, cancel) =
                    if subscription.canceled { (m::VIP_RESUME_RENEWAL, false) } else { (m::VIP_CANCEL_RENEWAL, true) };
                rows.push(vec![ui.button(state, Action::VipRenewal { cancel }, &t(language, label))]);
            }
            if vip.channel != Membership::Member {
                rows.push(vec![ui.button(state, Action::VipLink, &t(language, m::VIP_GET_LINK))]);
            }
        }
        None => {
            text.push('\n');
            text.push_str(&t(language, m::VIP_STATUS_NONE));
        }
    }
    if vip.is_none_or(|vip| vip.plan != Some(PlanKind::Lifetime)) {
        let (lines, buttons) = plans(state, ui, vip.is_some_and(Vip::renews));
        text.push_str("\n\n");
        text.push_str(&lines);
        rows.extend(buttons);
    }
    rows.push(vec![ui.button(state, Action::Menu, &t(language, m::BACK))]);
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) }
}

fn membership_lines(language: Language, ui: Ui<'_>, vip: &Vip, now: i64) -> String {
    let plan = vip.plan.unwrap_or(PlanKind::Trial);
    let name = plan_name(language, ui, plan);
    if plan == PlanKind::Lifetime {
        return tw(language, m::VIP_STATUS_LIFETIME, &[("plan", name.into())]);
    }
    if vip.phase == Phase::Grace || vip.until <= now {
        return tw(language, m::VIP_STATUS_GRACE, &[("date", date(vip.grace_until).into())]);
    }
    let days = (vip.until - now + DAY - 1) / DAY;
    let args = [("plan", name.into()), ("date", date(vip.until).into()), ("days", days.into())];
    let mut lines = tw(language, m::VIP_STATUS_ACTIVE, &args);
    match &vip.subscription {
        Some(subscription) if subscription.canceled => {
            lines.push('\n');
            lines.push_str(&t(language, m::VIP_STATUS_CANCELED));
        }
        Some(_) => {
            lines.push('\n');
            lines.push_str(&tw(language, m::VIP_STATUS_RENEWS, &[("date", date(vip.until).into())]));
        }
        None => {}
    }
    lines
}

/// The plans on sale, as lines and a buy button each; the monthly plan is
/// not offered to a player whose subscription already renews.
fn plans(state: &UserState, ui: Ui<'_>, subscribed: bool) -> (String, Vec<Vec<InlineKeyboardButton>>) {
    let language = state.language();
    let on_sale: Vec<&VipPlan> =
        ui.content.vip().on_sale().filter(|plan| !(subscribed && plan.kind == PlanKind::Monthly)).collect();
    if on_sale.is_empty() {
        return (t(language, m::VIP_NO_PLANS), Vec::new());
    }
    let mut lines = Vec::new();
    let mut rows = Vec::new();
    for plan in on_sale {
        let name = escape(plan.name.get(language));
        let args = [
            ("kind", plan.kind.key().into()),
            ("name", name.as_str().into()),
            ("stars", plan.stars.into()),
            ("days", plan.days.unwrap_or(0).into()),
            ("description", escape(plan.description.get(language)).into()),
        ];
        lines.push(tw(language, m::VIP_PLAN_LINE, &args));
        let label = tw(language, m::VIP_BUY, &[("name", plan.name.get(language).into()), ("stars", plan.stars.into())]);
        rows.push(vec![ui.button(state, Action::VipBuy(plan.kind), &label)]);
    }
    (lines.join("\n"), rows)
}

/// What a VIP payment bought, with the renewal bonus if one was paid.
pub fn paid(state: &UserState, ui: Ui<'_>, events: &[Event]) -> Rendered {
    let language = state.language();
    let Some(vip) = state.progress.vip.as_deref() else { return status(state, ui, 0) };
    let plan = vip.plan.unwrap_or(PlanKind::Trial);
    let name = plan_name(language, ui, plan);
    let mut text = match plan {
        PlanKind::Lifetime => tw(language, m::VIP_PAID_LIFETIME, &[("plan", name.into())]),
        _ => tw(language, m::VIP_PAID, &[("plan", name.into()), ("date", date(vip.until).into())]),
    };
    if vip.sync.is_some_and(|sync| sync.action == SyncAction::Invite) {
        text.push(' ');
        text.push_str(&t(language, m::VIP_LINK_COMING));
    }
    let bonus: i64 = events
        .iter()
        .filter_map(|event| match event {
            Event::Ledger(entry) if entry.reason == Reason::VipRenewalBonus => Some(entry.amount),
            _ => None,
        })
        .sum();
    if bonus > 0 {
        text.push('\n');
        text.push_str(&tw(language, m::VIP_RENEWAL_BONUS, &[("amount", bonus.into())]));
    }
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new([[vip_button(state, ui)]])) }
}

fn vip_button(state: &UserState, ui: Ui<'_>) -> InlineKeyboardButton {
    ui.button(state, Action::Vip, &t(state.language(), m::BUTTON_VIP))
}

fn renew_button(state: &UserState, ui: Ui<'_>) -> InlineKeyboardButton {
    ui.button(state, Action::Vip, &t(state.language(), m::VIP_RENEW))
}

/// The personal invite link, as a button that opens it.
pub fn invite_link(language: Language, url: &str, hours: u32) -> Rendered {
    let text = tw(language, m::VIP_LINK, &[("hours", hours.into())]);
    let keyboard = match url.parse() {
        Ok(url) => {
            Some(InlineKeyboardMarkup::new([[InlineKeyboardButton::url(t(language, m::VIP_JOIN_CHANNEL), url)]]))
        }
        Err(_) => None,
    };
    Rendered { text, keyboard }
}

/// The answer to "my link" from a player already in the channel.
pub fn already_member(language: Language) -> Rendered {
    plain(t(language, m::VIP_ALREADY_MEMBER))
}

/// A reminder `days_before` the paid period ends, with a renew button.
pub fn reminder(state: &UserState, ui: Ui<'_>, days_before: u16) -> Rendered {
    let language = state.language();
    let vip = state.progress.vip.as_deref().cloned().unwrap_or_default();
    let renews = if vip.renews() { "yes" } else { "no" };
    let args = [("days", days_before.into()), ("date", date(vip.until).into()), ("renews", renews.into())];
    let text = tw(language, m::VIP_REMINDER, &args);
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new([[renew_button(state, ui)]])) }
}

/// The paid period ended: the grace period runs.
pub fn expired(state: &UserState, ui: Ui<'_>) -> Rendered {
    let language = state.language();
    let grace_until = state.progress.vip.as_deref().map_or(0, |vip| vip.grace_until);
    let text = tw(language, m::VIP_EXPIRED, &[("date", date(grace_until).into())]);
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new([[renew_button(state, ui)]])) }
}

/// The grace period ended: out of the channel, progress kept.
pub fn lapsed(state: &UserState, ui: Ui<'_>) -> Rendered {
    let language = state.language();
    let text = t(language, m::VIP_LAPSED);
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new([[renew_button(state, ui)]])) }
}

/// To a non-member turned away from the VIP channel (a declined join
/// request, a removal after a leaked link): the plans, ready to buy.
pub fn members_only(state: &UserState, ui: Ui<'_>) -> Rendered {
    let language = state.language();
    let (lines, mut rows) = plans(state, ui, false);
    rows.push(vec![vip_button(state, ui)]);
    let text = format!("{}\n\n{lines}", t(language, m::VIP_MEMBERS_ONLY));
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) }
}

/// Renewal cancelled or resumed.
pub fn renewal_set(state: &UserState, ui: Ui<'_>, canceled: bool) -> Rendered {
    let language = state.language();
    let until = state.progress.vip.as_deref().map_or(0, |vip| vip.until);
    let args = [("canceled", if canceled { "yes" } else { "no" }.into()), ("date", date(until).into())];
    let text = tw(language, m::VIP_RENEWAL_SET, &args);
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new([[vip_button(state, ui)]])) }
}

/// The free channel's welcome, once a join request is approved.
pub fn free_welcome(language: Language, name: &str) -> Rendered {
    plain(tw(language, m::FREE_WELCOME, &[("name", escape(name).into())]))
}

/// The invoice's title for `plan` (its description is the plan's).
pub fn invoice_texts(language: Language, plan: &VipPlan) -> (String, String) {
    let title = tw(language, m::VIP_INVOICE_TITLE, &[("name", plan.name.get(language).into())]);
    let description: String = plan.description.get(language).chars().take(255).collect();
    (title.chars().take(32).collect(), description)
}

/// The name a personal invite link carries (operators see it in the
/// channel's list of links).
pub fn link_name(user: i64) -> String {
    let name = tw(Language::default(), m::VIP_LINK_NAME, &[("user", user.into())]);
    name.chars().take(32).collect()
}
