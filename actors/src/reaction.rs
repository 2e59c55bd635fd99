//! REACCIONAR_CONTENIDO on the [`Coordinator`]: the exchange between a
//! post's actor ([`Posts`]) and the reacting player's actor.

use dianabot_game::post::rewarded;
use dianabot_game::{Command, PostRef, ReactionCommand, RuleError, UpdateId, UserId};

use crate::message::DispatchError;
use crate::post::{PostError, Posts};
use crate::saga::Coordinator;

impl Coordinator {
    /// REACCIONAR_CONTENIDO: `user` set `emojis` on `post`. The post's
    /// actor admits it, the player's actor pays it (durable when this
    /// returns), the post's actor counts it. Returns the besitos paid, or
    /// the refusal; a post the bot never saw published is refused
    /// ([`RuleError::UnknownPost`]) and nothing changes.
    pub async fn react(
        &self,
        user: UserId,
        update_id: Option<UpdateId>,
        post: PostRef,
        emojis: Vec<String>,
    ) -> Result<Result<i64, RuleError>, DispatchError> {
        let target = match self.posts.admit(post).await {
            Ok(target) => target,
            Err(PostError::Unknown) => return Ok(Err(RuleError::UnknownPost)),
            Err(err) => {
                tracing::error!(error = %err, "admitting a reaction failed");
                return Err(DispatchError::NotDurable);
            }
        };
        let events =
            match self.step(user, update_id, Command::Reaction(ReactionCommand::React { post, target, emojis })).await?
            {
                Ok(events) => events,
                Err(refusal) => return Ok(Err(refusal)),
            };
        let paid = rewarded(&events).map(|(_, besitos)| besitos).sum();
        if !events.is_empty()
            && let Err(err) = self.posts.count(post, user, events).await
        {
            // The payment is durable; the actor's next start counts it.
            tracing::warn!(error = %err, "a post's actor missed a reaction");
        }
        Ok(Ok(paid))
    }

    /// The channel posts players react to.
    pub fn posts(&self) -> &Posts {
        &self.posts
    }
}
