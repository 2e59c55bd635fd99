//! A user's durable timer, due: the timer service hands it here
//! ([`Intake::timer_target`]); it reaches the user's actor as
//! `Command::Timer` like any update, and once the decision (which clears
//! it) is durable, what it calls for is said and done on Telegram.
//!
//! A handler runs again if the process dies before the timer's row is
//! removed, so what it does on Telegram must bear repeating (a ban, an
//! approval) or be keyed by the timer (a decision recorded first).

use std::sync::Arc;

use dianabot_actors::{Fired, Outcome, TimerFailure, TimerTarget, fire_user_timer, user_timer};
use dianabot_game::TimerName;
use dianabot_persistence::StoredTimer;
use tracing::Instrument;

use crate::telegram::Intake;
use crate::telegram::outbound::{OutboundRequest, Priority};
use crate::telegram::screens::{self, Rendered};
use dianabot_game::membership::VipFact;

impl Intake {
    /// The target of user timers for the timer service.
    pub fn timer_target(&self) -> Arc<dyn TimerTarget> {
        let intake = self.clone();
        Arc::new(move |stored: StoredTimer| -> Fired {
            let intake = intake.clone();
            Box::pin(async move { intake.timer_fired(stored).await })
        })
    }

    async fn timer_fired(&self, stored: StoredTimer) -> Result<(), TimerFailure> {
        let (user, timer) = user_timer(&stored)?;
        let span = tracing::info_span!("timer_fired", user_id = user.0, timer = %stored.name, due = timer.due);
        async move {
            // The VIP timers' facts say what to tell the player or do in
            // the channels once the decision is durable.
            // An experience's deadline: the notice that its run failed.
            // A referral's milestone: the inviter is settled first, so
            // the timer clears only once that is durable.
            if timer.name == TimerName::ReferralReward {
                self.settle_referral(user).await?;
            }
            let parts = self.ui_parts();
            let (facts, notice) = fire_user_timer(&self.router, &stored, move |state, outcome| match outcome {
                Outcome::Applied(events) => {
                    (VipFact::of(events), screens::experience_notice(state, parts.ui(), events))
                }
                Outcome::Refused(_) | Outcome::Duplicate | Outcome::Viewed => (Vec::new(), None),
            })
            .await?;
            match timer.name {
                TimerName::VipReminder { .. }
                | TimerName::VipExpiry
                | TimerName::VipGraceEnd
                | TimerName::VipChannelSync
                | TimerName::FreeChannelApproval => self.vip_timer_effects(user, &facts).await,
                TimerName::ExperienceDeadline { .. } => {
                    if let Some(Rendered { text, keyboard }) = notice {
                        let priority = Priority::Notification;
                        self.outbound.submit(OutboundRequest::Send { chat_id: user.0, text, keyboard, priority });
                    }
                }
                TimerName::ReferralReward => {}
                // offers: an offer running out says nothing (its button
                // answers that it expired); one short notice per expiry
                // would be noise for an offer the player let go.
                TimerName::OfferExpiry => {}
            }
            Ok(())
        }
        .instrument(span)
        .await
    }
}
