//! Durable timers a user's state asks for (Orleans "reminders"): a decision
//! sets one with [`Event::TimerSet`](crate::Event::TimerSet), in the same
//! all-or-nothing decision as the change that wants it; the store keeps it
//! in the same commit; the runtime's timer service delivers
//! [`Command::Timer`](crate::Command::Timer) to this user's actor when it is
//! due, and the decision that handles it clears it
//! ([`Event::TimerCleared`](crate::Event::TimerCleared)) in the commit of
//! its effect. So a timer's effect happens once even across a crash: until
//! that commit the timer is still there and fires again.
//!
//! A user has at most one timer of each [`TimerName`]; setting it again
//! moves it. A firing carries the due time it was set for, so a handler
//! recognises a timer that was moved or whose reason went away (renewed
//! before expiry, say) and only clears it.

use serde::{Deserialize, Serialize};

/// Which of a user's timers. The store keys timers by [`TimerName::key`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TimerName {
    /// Remind the player that VIP ends in `days_before` days.
    VipReminder { days_before: u16 },
    /// The paid VIP period ends: the grace period starts.
    VipExpiry,
    /// The grace period ends: VIP lapses and the player leaves the channel.
    VipGraceEnd,
    /// Bring the player's VIP channel membership in line with their VIP
    /// state (a link to join, or removal). Set with the change that calls
    /// for it and cleared once Telegram confirmed it: an outbox that
    /// survives a crash between the decision and the call.
    VipChannelSync,
    /// Approve the player's pending request to join the free channel.
    FreeChannelApproval,
    /// A run of an experience with a time limit fails. `experience` is the
    /// experience id's tag (`story::fragment_tag`): a timer name is small
    /// and `Copy`, and the handler matches the tag and the due time against
    /// the runs in progress.
    ExperienceDeadline { experience: u32 },
    /// An invited player reached the referral milestone: the inviter is to
    /// be paid (an outbox, like `VipChannelSync`: the firing has the
    /// inviter's actor settle it, idempotent by invitee, then clears it).
    ReferralReward,
    // offers
    /// The earliest running offer expires (one timer for all of a
    /// player's offers, moved to the next expiry as each one goes).
    OfferExpiry,
}

impl TimerName {
    /// The stable text the store keys the timer by.
    pub fn key(&self) -> String {
        match self {
            TimerName::VipReminder { days_before } => format!("vip.reminder.{days_before}"),
            TimerName::VipExpiry => "vip.expiry".to_owned(),
            TimerName::VipGraceEnd => "vip.grace_end".to_owned(),
            TimerName::VipChannelSync => "vip.channel_sync".to_owned(),
            TimerName::FreeChannelApproval => "free.approval".to_owned(),
            TimerName::ExperienceDeadline { experience } => format!("experience.deadline.{experience:08x}"),
            TimerName::ReferralReward => "referral.reward".to_owned(),
            TimerName::OfferExpiry => "offer.expiry".to_owned(),
        }
    }

    /// The inverse of [`TimerName::key`]; `None` for a key this build does
    /// not know (a row written by a newer release).
    pub fn parse(key: &str) -> Option<TimerName> {
        match key {
            "vip.expiry" => Some(TimerName::VipExpiry),
            "vip.grace_end" => Some(TimerName::VipGraceEnd),
            "vip.channel_sync" => Some(TimerName::VipChannelSync),
            "free.approval" => Some(TimerName::FreeChannelApproval),
            "referral.reward" => Some(TimerName::ReferralReward),
            "offer.expiry" => Some(TimerName::OfferExpiry),
            other if other.starts_with("experience.deadline.") => {
                let tag = other.strip_prefix("experience.deadline.")?;
                let experience = u32::from_str_radix(tag, 16).ok().filter(|_| tag.len() == 8)?;
                Some(TimerName::ExperienceDeadline { experience })
            }
            other => {
                let days_before = other.strip_prefix("vip.reminder.")?.parse().ok()?;
                Some(TimerName::VipReminder { days_before })
            }
        }
    }
}

/// A timer: which one, and the unix second it is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timer {
    pub name: TimerName,
    pub due: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips_through_its_key() {
        let names = [
            TimerName::VipReminder { days_before: 3 },
            TimerName::VipReminder { days_before: 0 },
            TimerName::VipExpiry,
            TimerName::VipGraceEnd,
            TimerName::VipChannelSync,
            TimerName::FreeChannelApproval,
            TimerName::ExperienceDeadline { experience: 0xdead_beef },
            TimerName::ExperienceDeadline { experience: 7 },
            TimerName::ReferralReward,
            TimerName::OfferExpiry,
        ];
        for name in names {
            assert_eq!(TimerName::parse(&name.key()), Some(name));
        }
        assert_eq!(TimerName::parse("vip.reminder.x"), None);
        assert_eq!(TimerName::parse("unknown"), None);
    }
}
