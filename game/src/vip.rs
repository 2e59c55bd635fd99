//! VIP: subscriptions and plans paid with Stars, trials, and the VIP
//! channel's membership, on durable timers.
//!
//! Every decision here computes the membership's next state whole and
//! returns it as one [`Event::VipChanged`], beside the timer changes that
//! state calls for: [`timers`] is a function of the state, and each
//! decision sets the timers its new state wants and clears those it no
//! longer does ([`Event::TimerSet`] / [`Event::TimerCleared`], same
//! commit). So the stored timers always match the state, and a firing
//! whose timer the state no longer wants at that due time (renewed before
//! expiry, say) is stale: it only clears itself.
//!
//! The lifecycle: a payment or grant makes the membership `Active` until
//! `until`, with reminders at `until − N days` (`vip.toml`), `VipExpiry` at
//! `until` (→ `Grace`), `VipGraceEnd` at `grace_until` (→ `Lapsed`). The
//! player is VIP through the grace period ([`Vip::is_vip`]): still in the
//! channel, still reading VIP fragments, still paid VIP rates — it is the
//! time a failed renewal has to be put right. Lifetime has no timers.
//!
//! The channel follows the phase through an outbox: whenever the player's
//! membership in the channel must change (a link to send on activation, a
//! removal after grace or when a non-VIP got in) the state records a
//! [`ChannelSync`] and the `VipChannelSync` timer. The surface performs the
//! Telegram calls right after the decision is durable and reports
//! [`VipCommand::ChannelSynced`], which clears it. If the process dies in
//! between, the timer fires (due [`SYNC_RETRY_SECS`] after it was set, so
//! it does not race the surface's own first attempt), the firing moves it
//! another interval on, and the surface repeats the calls — ban and unban
//! are idempotent, and a second link is harmless. The free channel's join
//! approvals use the same pattern.

use serde::{Deserialize, Serialize};

use crate::content::{PlanKind, SUBSCRIPTION_PERIOD_SECS};
use crate::ctx::{Ctx, Journal};
use crate::error::RuleError;
use crate::event::Event;
use crate::ledger::Reason;
use crate::membership::{ChannelSync, Membership, Phase, Subscription, SyncAction, Vip, VipFact};
use crate::state::UserState;
use crate::timer::{Timer, TimerName};

const DAY: i64 = 24 * 60 * 60;

/// How long a channel change or a free-channel approval waits for the
/// surface's confirmation before its timer has it done again.
pub const SYNC_RETRY_SECS: i64 = 60;

/// The recurring fields of a `successful_payment` of a Stars subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recurring {
    /// `is_first_recurring`: the payment that started the subscription.
    pub first: bool,
    /// `subscription_expiration_date`, trusted as the new end.
    pub expires: i64,
}

/// What a player, Telegram or the surface asks of a membership.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum VipCommand {
    /// A `successful_payment` for a VIP plan (its invoice payload verified
    /// by the surface). Idempotent by `charge`.
    Paid { plan: PlanKind, charge: String, stars: u32, recurring: Option<Recurring> },
    /// The player cancelled (or resumed) the subscription's renewal; the
    /// surface has told Telegram (`editUserStarSubscription`).
    SetRenewal { canceled: bool },
    /// A VIP player asks for a (new) personal invite link.
    RequestLink,
    /// A `chat_member` update about this player in the VIP channel.
    MembershipSeen(Membership),
    /// A `chat_join_request` for the VIP channel: approved if VIP.
    JoinRequested,
    /// The surface performed the channel change (its Telegram calls
    /// succeeded).
    ChannelSynced(SyncAction),
    /// A `chat_join_request` for the free channel: approved after the
    /// content's wait.
    FreeJoinRequested,
    /// The surface approved the free-channel request.
    FreeApproved,
}

impl VipCommand {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            VipCommand::Paid { .. } => "vip_paid",
            VipCommand::SetRenewal { .. } => "vip_set_renewal",
            VipCommand::RequestLink => "vip_request_link",
            VipCommand::MembershipSeen(_) => "vip_membership_seen",
            VipCommand::JoinRequested => "vip_join_requested",
            VipCommand::ChannelSynced(_) => "vip_channel_synced",
            VipCommand::FreeJoinRequested => "free_join_requested",
            VipCommand::FreeApproved => "free_approved",
        }
    }
}

/// Where VIP days come from, for [`grant_days`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GrantKind {
    /// A trial from a content reward (story, mission, achievement): once
    /// per player; a second one gives nothing.
    Trial,
    /// Days bought as a shop item, or given by an operator: always.
    Days,
}

pub(crate) fn decide(
    state: &UserState,
    command: &VipCommand,
    ctx: Ctx<'_>,
    mut journal: Journal<'_>,
) -> Result<Vec<Event>, RuleError> {
    let before = state.progress.vip.as_deref();
    let mut vip = before.cloned().unwrap_or_default();
    let mut events = Vec::new();
    let fact = match command {
        VipCommand::Paid { plan, charge, stars, recurring } => {
            if vip.charges.contains(charge) {
                // A re-delivered payment: granted the first time.
                return Ok(Vec::new());
            }
            if *plan == PlanKind::Trial {
                return Err(RuleError::UnknownVipPlan);
            }
            let renewal = !vip.charges.is_empty();
            vip.charges.insert(charge.clone());
            paid(&mut vip, *plan, charge, *recurring, ctx);
            // Telegram took the Stars: a plan taken off sale since still
            // grants, only without a bonus.
            let bonus = ctx.content.vip().plan(*plan).map_or(0, |offer| offer.renewal_bonus);
            if renewal && bonus > 0 {
                let bonus = i64::try_from(bonus).unwrap_or(i64::MAX);
                if state.wallet.balance.checked_add(bonus).is_none() {
                    return Err(RuleError::AmountTooLarge(bonus, i64::MAX - state.wallet.balance));
                }
                events.push(journal.credit(bonus, Reason::VipRenewalBonus));
            }
            VipFact::Paid { plan: *plan, renewal, stars: *stars }
        }
        VipCommand::SetRenewal { canceled } => {
            let running = vip.phase != Phase::Lapsed;
            match &mut vip.subscription {
                Some(subscription) if running => subscription.canceled = *canceled,
                _ => return Err(RuleError::NoSubscription),
            }
            VipFact::RenewalSet { canceled: *canceled }
        }
        VipCommand::RequestLink => {
            if !vip.wants_member() {
                return Err(RuleError::NotVip);
            }
            vip.link_sent = None;
            VipFact::LinkRequested
        }
        VipCommand::MembershipSeen(membership) => {
            vip.channel = *membership;
            if *membership == Membership::Member {
                // In: whatever link was sent has been used.
                vip.link_sent.get_or_insert(ctx.now);
            }
            VipFact::MembershipSeen(*membership)
        }
        VipCommand::JoinRequested => VipFact::JoinAnswered { approved: vip.is_vip(ctx.now) },
        VipCommand::ChannelSynced(action) => {
            // Recorded even when the change is no longer wanted (the player
            // renewed while a removal was on its way): it happened.
            match action {
                SyncAction::Invite => vip.link_sent = Some(ctx.now),
                SyncAction::Remove => {
                    vip.channel = Membership::Removed;
                    vip.link_sent = None;
                }
            }
            VipFact::Synced(*action)
        }
        VipCommand::FreeJoinRequested => {
            let wait = i64::from(ctx.content.vip().free_channel_wait_minutes) * 60;
            vip.free_approval.get_or_insert(ctx.now + wait);
            VipFact::FreeRequested
        }
        VipCommand::FreeApproved => {
            vip.free_approval = None;
            VipFact::FreeApproved
        }
    };
    events.extend(changed(before, vip, fact, ctx.now));
    Ok(events)
}

/// Whether the player may buy `plan` now: not a lifetime member (a
/// payment would buy nothing), and not a second monthly subscription while
/// one renews (Telegram would charge both every month). Asked when the
/// invoice is made and again at pre-checkout; a payment that arrives
/// anyway is still applied, since Telegram took the Stars.
pub fn may_buy(state: &UserState, plan: PlanKind) -> Result<(), RuleError> {
    let Some(vip) = state.progress.vip.as_deref() else { return Ok(()) };
    if vip.plan == Some(PlanKind::Lifetime) && vip.wants_member() {
        return Err(RuleError::LifetimeMember);
    }
    if plan == PlanKind::Monthly && vip.renews() {
        return Err(RuleError::AlreadySubscribed);
    }
    Ok(())
}

/// Applies a payment for `plan` to the membership.
fn paid(vip: &mut Vip, plan: PlanKind, charge: &str, recurring: Option<Recurring>, ctx: Ctx<'_>) {
    let lifetime = vip.plan == Some(PlanKind::Lifetime) && vip.wants_member();
    match plan {
        PlanKind::Monthly => {
            let first = recurring.is_none_or(|recurring| recurring.first);
            match &mut vip.subscription {
                // A renewal charge: Telegram renewed, so renewal is on.
                Some(subscription) if !first => subscription.canceled = false,
                _ => vip.subscription = Some(Subscription { charge: charge.to_owned(), canceled: false }),
            }
            if !lifetime {
                let expires = recurring.map_or(ctx.now + SUBSCRIPTION_PERIOD_SECS, |recurring| recurring.expires);
                let until = expires.max(running_end(vip, ctx.now));
                start_period(vip, PlanKind::Monthly, until, ctx);
            }
        }
        PlanKind::Annual => {
            if !lifetime {
                let days = ctx.content.vip().plan(PlanKind::Annual).and_then(|offer| offer.days).unwrap_or(365);
                let until = running_end(vip, ctx.now) + i64::from(days) * DAY;
                start_period(vip, PlanKind::Annual, until, ctx);
            }
        }
        PlanKind::Lifetime | PlanKind::Trial => {
            let newly = !vip.wants_member();
            vip.plan = Some(PlanKind::Lifetime);
            vip.phase = Phase::Active;
            vip.reminders.clear();
            if newly {
                vip.link_sent = None;
            }
        }
    }
}

/// Where a new period starts: the end of the running one, or now.
fn running_end(vip: &Vip, now: i64) -> i64 {
    if vip.phase == Phase::Active && vip.plan.is_some() { vip.until.max(now) } else { now }
}

/// A period of `plan` running until `until`.
fn start_period(vip: &mut Vip, plan: PlanKind, until: i64, ctx: Ctx<'_>) {
    if !vip.wants_member() {
        // Coming (back) in: a new personal link.
        vip.link_sent = None;
    }
    let settings = ctx.content.vip();
    vip.plan = Some(plan);
    vip.phase = Phase::Active;
    vip.until = until;
    vip.grace_until = until + settings.grace_secs();
    vip.reminders =
        settings.reminder_days.iter().copied().filter(|&days| until - i64::from(days) * DAY > ctx.now).collect();
}

/// VIP days given rather than bought: a content reward's trial (once per
/// player), a VIP pass bought in the shop, an operator's `/grantvip`.
/// Nothing for a lifetime member, or for a second trial.
pub(crate) fn grant_days(state: &UserState, ctx: Ctx<'_>, days: u32, kind: GrantKind) -> Vec<Event> {
    let before = state.progress.vip.as_deref();
    let mut vip = before.cloned().unwrap_or_default();
    if days == 0 || (kind == GrantKind::Trial && vip.trial_used) {
        return Vec::new();
    }
    if kind == GrantKind::Trial {
        vip.trial_used = true;
    }
    if vip.plan != Some(PlanKind::Lifetime) || !vip.wants_member() {
        // Days given extend a paid plan as that plan; otherwise a trial.
        let plan = match vip.plan {
            Some(plan @ (PlanKind::Monthly | PlanKind::Annual)) if vip.phase == Phase::Active => plan,
            _ => PlanKind::Trial,
        };
        let until = running_end(&vip, ctx.now) + i64::from(days) * DAY;
        start_period(&mut vip, plan, until, ctx);
    }
    changed(before, vip, VipFact::Granted { days }, ctx.now)
}

/// A plan bought once rather than by subscription (an offer's): its
/// period on top of the running one, as that plan — the monthly plan's 30
/// days with no subscription to renew them, the annual plan's days, the
/// lifetime plan for life. Once per Stars `charge` (`None`: paid in
/// besitos, in this same decision); a lifetime member gains nothing.
pub(crate) fn grant_plan(
    state: &UserState,
    ctx: Ctx<'_>,
    plan: PlanKind,
    charge: Option<&str>,
    stars: u32,
) -> Vec<Event> {
    let before = state.progress.vip.as_deref();
    let mut vip = before.cloned().unwrap_or_default();
    let renewal = !vip.charges.is_empty();
    if let Some(charge) = charge
        && !vip.charges.insert(charge.to_owned())
    {
        return Vec::new();
    }
    let lifetime = vip.plan == Some(PlanKind::Lifetime) && vip.wants_member();
    match plan {
        PlanKind::Monthly if !lifetime => {
            let until = running_end(&vip, ctx.now) + SUBSCRIPTION_PERIOD_SECS;
            start_period(&mut vip, PlanKind::Monthly, until, ctx);
        }
        PlanKind::Monthly => {}
        _ => paid(&mut vip, plan, charge.unwrap_or_default(), None, ctx),
    }
    changed(before, vip, VipFact::Paid { plan, renewal, stars }, ctx.now)
}

/// Takes back `days` not yet lived (a refunded VIP pass): the period ends
/// that much sooner, but not before now.
pub(crate) fn shorten(state: &UserState, ctx: Ctx<'_>, days: u32) -> Vec<Event> {
    let before = state.progress.vip.as_deref();
    let Some(mut vip) = before.cloned() else {
        return Vec::new();
    };
    if vip.plan.is_none() || vip.plan == Some(PlanKind::Lifetime) || vip.phase != Phase::Active {
        return Vec::new();
    }
    let until = (vip.until - i64::from(days) * DAY).max(ctx.now.min(vip.until));
    let plan = vip.plan.unwrap_or(PlanKind::Trial);
    start_period(&mut vip, plan, until, ctx);
    changed(before, vip, VipFact::Shortened, ctx.now)
}

/// A due timer of this module's names: its effect if the state still
/// wants that timer at that due time, and the timer cleared or moved in
/// the same decision; a stale firing only clears.
pub(crate) fn fired(state: &UserState, timer: Timer, ctx: Ctx<'_>) -> Vec<Event> {
    let before = state.progress.vip.as_deref();
    let Some(current) = before.filter(|vip| timers(Some(vip)).contains(&timer)) else {
        return vec![Event::TimerCleared(timer)];
    };
    let mut vip = current.clone();
    let fact = match timer.name {
        TimerName::VipReminder { days_before } => {
            vip.reminders.retain(|&days| days != days_before);
            VipFact::Reminded { days_before }
        }
        TimerName::VipExpiry => {
            vip.phase = Phase::Grace;
            VipFact::Expired
        }
        TimerName::VipGraceEnd => {
            vip.phase = Phase::Lapsed;
            vip.subscription = None;
            vip.reminders.clear();
            VipFact::Lapsed
        }
        TimerName::VipChannelSync => {
            if let Some(sync) = &mut vip.sync {
                sync.due = ctx.now + SYNC_RETRY_SECS;
            }
            VipFact::SyncDue
        }
        TimerName::FreeChannelApproval => {
            vip.free_approval = Some(ctx.now + SYNC_RETRY_SECS);
            VipFact::FreeApprovalDue
        }
        // Not a VIP timer: `timers` never holds one, so it returned above.
        TimerName::ExperienceDeadline { .. } | TimerName::ReferralReward | TimerName::OfferExpiry => {
            return vec![Event::TimerCleared(timer)];
        }
    };
    changed(before, vip, fact, ctx.now)
}

/// The timers a membership wants, each at most once per name.
pub fn timers(vip: Option<&Vip>) -> Vec<Timer> {
    let Some(vip) = vip else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let timed = matches!(vip.plan, Some(PlanKind::Monthly | PlanKind::Annual | PlanKind::Trial));
    if timed && vip.phase == Phase::Active {
        for &days_before in &vip.reminders {
            let due = vip.until - i64::from(days_before) * DAY;
            out.push(Timer { name: TimerName::VipReminder { days_before }, due });
        }
        out.push(Timer { name: TimerName::VipExpiry, due: vip.until });
    }
    if timed && vip.phase != Phase::Lapsed {
        out.push(Timer { name: TimerName::VipGraceEnd, due: vip.grace_until });
    }
    if let Some(sync) = vip.sync {
        out.push(Timer { name: TimerName::VipChannelSync, due: sync.due });
    }
    if let Some(due) = vip.free_approval {
        out.push(Timer { name: TimerName::FreeChannelApproval, due });
    }
    out
}

/// The channel change the membership calls for now, if any.
pub fn needed_sync(vip: &Vip) -> Option<SyncAction> {
    if !vip.wants_member() && vip.channel == Membership::Member {
        Some(SyncAction::Remove)
    } else if vip.wants_member() && vip.channel != Membership::Member && vip.link_sent.is_none() {
        Some(SyncAction::Invite)
    } else {
        None
    }
}

/// The events of a membership moving from `before` to `vip`: its channel
/// outbox brought in line, the timers it no longer wants cleared, the new
/// ones set (or moved), and the new state.
fn changed(before: Option<&Vip>, mut vip: Vip, fact: VipFact, now: i64) -> Vec<Event> {
    vip.sync = match (needed_sync(&vip), vip.sync) {
        (None, _) => None,
        (Some(action), Some(sync)) if sync.action == action => Some(sync),
        (Some(action), _) => Some(ChannelSync { action, due: now + SYNC_RETRY_SECS }),
    };
    let old = timers(before);
    let new = timers(Some(&vip));
    let mut events = Vec::new();
    for timer in &old {
        if !new.iter().any(|wanted| wanted.name == timer.name) {
            events.push(Event::TimerCleared(*timer));
        }
    }
    for timer in &new {
        if !old.contains(timer) {
            events.push(Event::TimerSet(*timer));
        }
    }
    events.push(Event::VipChanged { vip: Box::new(vip), fact });
    events
}

/// Whether a request to join the VIP channel is approved.
pub fn admits(state: &UserState, now: i64) -> bool {
    state.progress.vip.as_ref().is_some_and(|vip| vip.is_vip(now))
}
