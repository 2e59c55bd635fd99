//! Referrals: the player's invite link and what it earns, the line an
//! invited player reads on joining and on reaching the milestone, and the
//! inviter's notice when a referral is settled.

use dianabot_game::{Event, Language, Reason, UserState};
use teloxide_core::types::InlineKeyboardMarkup;

use super::{Rendered, Ui, plain, t, tw};
use crate::telegram::callback::Action;
use crate::texts::catalogue::{self as m};

/// `/invitar`: the link (`None` when the bot's username is unknown or the
/// content has no referral programme) and what it pays.
pub fn invite(state: &UserState, ui: Ui<'_>, link: Option<String>) -> Rendered {
    let language = state.language();
    let (Some(link), Some(settings)) = (link, ui.content.referrals()) else {
        return plain(t(language, m::INVITE_UNAVAILABLE));
    };
    let community = state.progress.community.as_deref();
    let paid = community.map_or(0, |community| community.invitees_settled.len());
    let args = [
        ("link", link.into()),
        ("decisions", settings.milestone_decisions.into()),
        ("inviter", settings.inviter_reward.into()),
        ("invitee", settings.invitee_reward.into()),
        ("cap", settings.monthly_cap.into()),
        ("settled", paid.into()),
    ];
    let text = tw(language, m::INVITE, &args);
    let rows = vec![vec![ui.button(state, Action::Profile, &t(language, m::BACK_TO_PROFILE))]];
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) }
}

/// Lines for what a decision did to the player's referral: joined through
/// a link, or the milestone reached and paid.
pub(super) fn lines(language: Language, events: &[Event], ui: Ui<'_>) -> Vec<String> {
    let Some(settings) = ui.content.referrals() else { return Vec::new() };
    let paid = events
        .iter()
        .filter_map(|event| match event {
            Event::Ledger(entry) if entry.reason == Reason::ReferralReward => Some(entry.amount),
            _ => None,
        })
        .sum::<i64>();
    events
        .iter()
        .filter_map(|event| match event {
            Event::ReferralClaimed { .. } => Some(tw(
                language,
                m::REFERRAL_JOINED,
                &[("decisions", settings.milestone_decisions.into()), ("reward", settings.invitee_reward.into())],
            )),
            Event::ReferralReached { .. } => Some(tw(language, m::REFERRAL_REACHED, &[("reward", paid.into())])),
            _ => None,
        })
        .collect()
}

/// The inviter's notice of a settled referral: paid, or past the cap.
pub fn settled(state: &UserState, events: &[Event], ui: Ui<'_>) -> Option<Rendered> {
    let language = state.language();
    events.iter().find_map(|event| match event {
        Event::ReferralSettled { paid: true, .. } => {
            let reward = ui.content.referrals().map_or(0, |settings| settings.inviter_reward);
            let args = [("reward", reward.into()), ("balance", state.wallet.balance.into())];
            Some(plain(tw(language, m::REFERRAL_PAID, &args)))
        }
        Event::ReferralSettled { paid: false, .. } => {
            let cap = ui.content.referrals().map_or(0, |settings| settings.monthly_cap);
            Some(plain(tw(language, m::REFERRAL_CAPPED, &[("cap", cap.into())])))
        }
        _ => None,
    })
}
