//! A player's VIP membership and VIP-channel membership, as the state
//! holds it ([`crate::Progress::vip`], boxed: a player who never touched
//! VIP or a channel pays one null pointer for it). The rules that change it
//! are in [`crate::vip`].

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::content::PlanKind;

/// Where the membership stands in its lifecycle. Moved forward by the
/// membership's timers (expiry, grace end) and back to `Active` by a
/// payment or a grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Phase {
    /// Paid (or granted) time is running; for lifetime, for good.
    Active,
    /// The paid period ended; still VIP until `grace_until`, may renew.
    Grace,
    /// Over (or never was): not VIP, removed from the channel.
    #[default]
    Lapsed,
}

/// The player in the VIP channel, as the bot last saw it (its own calls
/// and `chat_member` updates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Membership {
    /// Never joined, or left.
    #[default]
    Outside,
    Member,
    /// Removed (banned and unbanned, or kicked by an admin).
    Removed,
}

/// What the VIP channel needs done about this player: the outbox entry of
/// the `VipChannelSync` timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncAction {
    /// Send a personal invite link.
    Invite,
    /// Ban then unban: out of the channel, free to come back by a new link.
    Remove,
}

/// A pending channel change and when its timer is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelSync {
    pub action: SyncAction,
    pub due: i64,
}

/// A Telegram Stars subscription (the monthly plan).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// The first payment's `telegram_payment_charge_id`, which
    /// `editUserStarSubscription` names the subscription by.
    pub charge: String,
    /// The player cancelled renewal (the paid period stays).
    pub canceled: bool,
}

/// A player's VIP membership and channel state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vip {
    /// The plan that set the current period; `None` if never VIP (the box
    /// exists for a channel matter: a free-channel request, a non-VIP seen
    /// in the VIP channel).
    pub plan: Option<PlanKind>,
    pub phase: Phase,
    /// End of the paid or granted period (unix seconds); meaningless for
    /// lifetime.
    pub until: i64,
    /// End of the grace period: `until` plus the content's `grace_days` at
    /// the time the period was set.
    pub grace_until: i64,
    pub subscription: Option<Subscription>,
    /// A trial from a content reward was given (once per player).
    pub trial_used: bool,
    /// VIP payments applied, by `telegram_payment_charge_id`: a
    /// re-delivered `successful_payment` grants once, and a renewal bonus is
    /// paid once per charge.
    pub charges: BTreeSet<String>,
    /// Reminders still to send, in days before `until`, largest first.
    pub reminders: Vec<u16>,
    pub channel: Membership,
    /// When a personal invite link was last sent for this membership;
    /// `None` once it must be sent (again).
    pub link_sent: Option<i64>,
    /// The channel change the surface must perform (an outbox).
    pub sync: Option<ChannelSync>,
    /// Due time of the pending free-channel join request's approval.
    pub free_approval: Option<i64>,
}

impl Vip {
    /// VIP at `now`: lifetime, or a period running through its grace.
    /// The one definition behind [`crate::content::Content::is_vip`].
    pub fn is_vip(&self, now: i64) -> bool {
        match self.plan {
            None => false,
            Some(PlanKind::Lifetime) => self.phase != Phase::Lapsed,
            Some(_) => self.phase != Phase::Lapsed && now < self.grace_until,
        }
    }

    /// Whether the membership calls for the player in the channel (by the
    /// lifecycle's phase, which the timers move).
    pub fn wants_member(&self) -> bool {
        self.plan.is_some() && self.phase != Phase::Lapsed
    }

    /// The end of the paid period a screen shows; `None` for lifetime or
    /// no membership.
    pub fn ends_at(&self) -> Option<i64> {
        match self.plan {
            None | Some(PlanKind::Lifetime) => None,
            Some(_) => Some(self.until),
        }
    }

    /// Renewal by Telegram is on: a monthly subscription not cancelled.
    pub fn renews(&self) -> bool {
        self.phase != Phase::Lapsed && self.subscription.as_ref().is_some_and(|s| !s.canceled)
    }
}

/// What happened to a membership, beside its new state in
/// [`crate::Event::VipChanged`]: what the surface tells the player or does
/// in the channel, and what analytics count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VipFact {
    /// A Stars payment for `plan`; `renewal` when it continued an earlier
    /// membership (the renewal bonus, if any, is in the same decision).
    Paid {
        plan: PlanKind,
        renewal: bool,
        stars: u32,
    },
    /// Days given: a content reward, a VIP pass from the shop, an operator.
    Granted {
        days: u32,
    },
    /// Days taken back (a refunded VIP pass).
    Shortened,
    RenewalSet {
        canceled: bool,
    },
    /// The player asked for a new invite link.
    LinkRequested,
    Reminded {
        days_before: u16,
    },
    /// The paid period ended; the grace period runs.
    Expired,
    /// The grace period ended: no longer VIP.
    Lapsed,
    MembershipSeen(Membership),
    /// A request to join the VIP channel, approved when VIP.
    JoinAnswered {
        approved: bool,
    },
    Synced(SyncAction),
    /// The channel change's timer fired before the change was confirmed:
    /// the surface does it (again); the timer waits for the next try.
    SyncDue,
    FreeRequested,
    /// The free-channel approval is due (fired); the surface approves.
    FreeApprovalDue,
    FreeApproved,
}

impl VipFact {
    /// The VIP facts among a decision's events, in order.
    pub fn of(events: &[crate::Event]) -> Vec<VipFact> {
        events
            .iter()
            .filter_map(|event| match event {
                crate::Event::VipChanged { fact, .. } => Some(*fact),
                _ => None,
            })
            .collect()
    }
}
