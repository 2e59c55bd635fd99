//! One update in: translate, dispatch to the user's actor, wait until
//! durable, then reply.

use dianabot_actors::{DispatchError, Router};
use teloxide_core::types::Update;
use tracing::Instrument;

use crate::telegram::outbound::{Outbound, OutboundMessage};
use crate::telegram::texts;
use crate::telegram::translate::{Translation, translate};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// Applied (or refused, or a re-delivery) and durable.
    Durable,
    /// Nothing for the game to do.
    Ignored,
    /// The update crashed its user's actor. It is acknowledged anyway so
    /// that one poisonous update cannot stall the bot by being re-delivered
    /// forever; it is logged for an operator.
    DeadLettered,
}

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// Not acknowledged: Telegram must deliver it again.
    #[error("update not durable: {0}")]
    NotDurable(#[from] DispatchError),
}

/// Cheap to clone; shared by the webhook handlers and the polling loop.
#[derive(Clone)]
pub struct Intake {
    router: Router,
    outbound: Outbound,
}

impl Intake {
    pub fn new(router: Router, outbound: Outbound) -> Intake {
        Intake { router, outbound }
    }

    pub fn router(&self) -> &Router {
        &self.router
    }

    /// Returns once the update may be acknowledged to Telegram.
    pub async fn handle(&self, update: Update) -> Result<Handled, IntakeError> {
        let update_id = update.id.0;
        let user_id = update.from().map(|user| user.id.0);
        let span = tracing::info_span!("intake", update_id, user_id);
        self.handle_translated(translate(&update)).instrument(span).await
    }

    async fn handle_translated(&self, translation: Translation) -> Result<Handled, IntakeError> {
        let (envelope, reply_to, screen) = match translation {
            Translation::Ignore(reason) => {
                tracing::debug!(reason, "update ignored");
                return Ok(Handled::Ignored);
            }
            Translation::Command { envelope, reply_to, screen } => (envelope, reply_to, screen),
        };
        let dispatched = match self.router.dispatch(envelope, move |state, outcome| texts::reply(screen, state, outcome)).await {
            Ok(dispatched) => dispatched,
            Err(DispatchError::ActorCrashed) => {
                tracing::error!("update crashed its actor; dead-lettered");
                return Ok(Handled::DeadLettered);
            }
            Err(err) => return Err(err.into()),
        };
        dispatched.durable.wait().await?;
        if let (Some(chat_id), Some(text)) = (reply_to, dispatched.reply) {
            self.outbound.send(OutboundMessage { chat_id, text });
        }
        Ok(Handled::Durable)
    }
}
