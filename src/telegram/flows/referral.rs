//! Referrals: `/invitar` `/invite` (the player's link), `/start r_<code>`
//! (joining through one), and the inviter's settlement when an invited
//! player's `ReferralReward` timer fires.

use std::sync::atomic::{AtomicU32, Ordering};

use dianabot_actors::{DispatchError, Envelope, Outcome};
use dianabot_game::{Command, ProfileCommand, ReferralCommand, UserId, UserState};

use crate::telegram::callback::Action;
use crate::telegram::deeplink;
use crate::telegram::intake::{Failure, Handled, Intake};
use crate::telegram::outbound::{OutboundRequest, Priority};
use crate::telegram::screens::{self, Rendered, Screen};
use crate::telegram::translate::{Origin, ReplyTo, Translation};

#[derive(Debug)]
pub enum ReferralRequest {
    /// The player's invite page.
    Invite { user_id: UserId, reply: ReplyTo },
    /// `/start r_<code>`: `register` (a `ProfileCommand::Register`) as
    /// invited by the code's owner, if the code is ours.
    Join { register: Envelope, code: String, reply: ReplyTo },
}

pub fn text(origin: &Origin<'_>, name: &str) -> Option<Translation> {
    matches!(name, "invitar" | "invite").then(|| invite(origin))
}

pub fn press(origin: &Origin<'_>, action: Action) -> Option<Translation> {
    (action == Action::Invite).then(|| invite(origin))
}

fn invite(origin: &Origin<'_>) -> Translation {
    Translation::Referral(ReferralRequest::Invite { user_id: origin.user_id, reply: origin.reply.clone() })
}

/// What aborts the process between a referral's two halves (tests only):
/// after this many settlements were durable on the inviter's actor, before
/// the invited player's timer is cleared.
#[derive(Debug)]
pub struct SettleFault {
    pub abort_after: u32,
    pub settled: AtomicU32,
}

impl Intake {
    pub(in crate::telegram) async fn handle_referral(&self, request: ReferralRequest) -> Result<Handled, Failure> {
        match request {
            ReferralRequest::Invite { user_id, reply } => {
                let code = self.translator.codec.referral_code(user_id);
                let link = self
                    .translator
                    .username
                    .as_deref()
                    .map(|bot| format!("https://t.me/{bot}?start={}", deeplink::referral_payload(&code)));
                let parts = self.ui_parts();
                let render = move |state: &UserState| screens::referral::invite(state, parts.ui(), link);
                let rendered = self.router.view(user_id, render).await;
                self.show(reply, rendered)
            }
            ReferralRequest::Join { mut register, code, reply } => {
                // A code this server did not sign is no invitation: a plain /start.
                let inviter = self.translator.codec.referral_inviter(&code);
                if let (Some(inviter), Command::Profile(ProfileCommand::Register { first_name, username, language })) =
                    (inviter, &register.command)
                {
                    let join = ReferralCommand::Join {
                        first_name: first_name.clone(),
                        username: username.clone(),
                        language: *language,
                        inviter,
                    };
                    register.command = Command::Referral(join);
                }
                self.play(register, Some(Screen::Welcome), reply).await
            }
        }
    }

    /// An invited player's `ReferralReward` timer fired: the inviter's
    /// actor settles the referral (once per invited player, whatever the
    /// retries) and, if that changed anything, the inviter is told. The
    /// timer is cleared only after this returns.
    pub(in crate::telegram) async fn settle_referral(&self, invitee: UserId) -> Result<(), DispatchError> {
        let inviter = self
            .router
            .view(invitee, |state: &UserState| state.progress.community.as_deref().and_then(|c| c.invited_by))
            .await?;
        let Some(inviter) = inviter else { return Ok(()) };
        let parts = self.ui_parts();
        let render = move |state: &UserState, outcome: Outcome<'_>| match outcome {
            Outcome::Applied(events) => screens::referral::settled(state, events, parts.ui()),
            Outcome::Refused(_) | Outcome::Duplicate | Outcome::Viewed => None,
        };
        let command = Command::Referral(ReferralCommand::Settle { invitee });
        let dispatched = self.router.dispatch(Envelope { user_id: inviter, update_id: None, command }, render).await?;
        dispatched.durable.wait().await?;
        if let Some(fault) = &self.settle_fault
            && fault.settled.fetch_add(1, Ordering::SeqCst) + 1 == fault.abort_after
        {
            eprintln!("TEST_FAULTS: aborting after {} referral settlements", fault.abort_after);
            std::process::abort();
        }
        if let Some(Rendered { text, keyboard }) = dispatched.reply {
            let priority = Priority::Notification;
            self.outbound.submit(OutboundRequest::Send { chat_id: inviter.0, text, keyboard, priority });
        }
        Ok(())
    }
}
