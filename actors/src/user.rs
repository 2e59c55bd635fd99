//! The user actor: the only owner of one user's state.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Instant;

use actix::{Actor, ActorContext, ActorFutureExt, AsyncContext, Context, Handler, Message, Recipient, WrapFuture};
use dianabot_game::{Ctx, UserId, UserState, decide};
use dianabot_persistence::UserWrite;
use dianabot_plumbing::{Backoff, retry_forever};

use crate::config::FaultPoint;
use crate::env::Env;
use crate::message::{Crashed, Deliver, Outcome, Passivated, Work};
use crate::stats::ActorStats;

/// Asks an idle actor to make sure its writes are durable, tell its
/// supervisor, and stop.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct Passivate;

/// What every user actor of a shard shares. One allocation per shard
/// instead of a supervisor address per actor: actix allocates twice for
/// each address clone, and at a million actors that is ~100 MB.
pub(crate) struct ShardEnv {
    pub env: Arc<Env>,
    /// The shard's supervisor, as the two notices an actor sends it.
    pub passivated: Recipient<Passivated>,
    pub crashed: Recipient<Crashed>,
}

pub(crate) struct UserActor {
    id: UserId,
    /// `None` while (re)loading; the mailbox is paused meanwhile.
    state: Option<UserState>,
    shard: Arc<ShardEnv>,
    /// Wait for this actor's earlier writes before loading: set on restart,
    /// when writes of the previous incarnation may still be in flight.
    reload_after_flush: bool,
}

impl UserActor {
    pub fn new(id: UserId, shard: Arc<ShardEnv>, restart: bool) -> UserActor {
        UserActor { id, state: None, shard, reload_after_flush: restart }
    }

    /// Loads the durable state, pausing the mailbox until it is here. A
    /// store failure is retried with backoff: updates wait, nothing is lost.
    fn load(&mut self, ctx: &mut Context<Self>) {
        let (id, env, after_flush) = (self.id, self.shard.env.clone(), self.reload_after_flush);
        let loading = async move {
            if after_flush {
                let _ = env.flusher.flushed().await;
            }
            let state = retry_forever(
                Backoff::STORE,
                || {
                    let store = env.store.clone();
                    let loading = env.io.spawn(async move { store.load_user(id).await });
                    async move { loading.await.map_err(|err| err.to_string())?.map_err(|err| err.to_string()) }
                },
                |err, _| tracing::error!(user_id = %id, error = %err, "loading user failed; retrying"),
            )
            .await;
            state.unwrap_or_else(|| UserState::new(id))
        };
        ctx.wait(loading.into_actor(self).map(|state, actor, _| {
            actor.state = Some(state);
            actor.reload_after_flush = false;
        }));
    }

    fn handle_deliver(&mut self, deliver: Deliver) {
        let Deliver { work, respond, ack, .. } = deliver;
        let state = self.state.as_mut().expect("the mailbox is paused until the state is loaded");
        let envelope = match work {
            Work::View => {
                respond(Ok((state, Outcome::Viewed)));
                let _ = ack.send(Ok(()));
                return;
            }
            Work::Apply(envelope) => envelope,
        };
        let _span = tracing::info_span!("update", user_id = %envelope.user_id, update_id = ?envelope.update_id.map(|u| u.id), command = envelope.command.kind()).entered();

        if let Some(update) = envelope.update_id
            && state.applied.contains(update)
        {
            // A re-delivery: answer once the original is durable.
            respond(Ok((state, Outcome::Duplicate)));
            self.shard.env.flusher.barrier(ack);
            return;
        }
        let inject = |point| {
            if let Some(injector) = &self.shard.env.config.fault_injector {
                (injector.0)(point, &envelope);
            }
        };
        inject(FaultPoint::BeforeDecide);
        let content = self.shard.env.content();
        let ctx = Ctx {
            now: self.shard.env.config.clock.now(),
            rules: &self.shard.env.rules,
            content: &content,
            update_id: envelope.update_id,
        };
        match decide(state, &envelope.command, ctx) {
            Err(refusal) => {
                // Nothing changed, so nothing needs to become durable.
                respond(Ok((state, Outcome::Refused(&refusal))));
                let _ = ack.send(Ok(()));
            }
            Ok(events) if events.is_empty() => {
                respond(Ok((state, Outcome::Applied(&events))));
                let _ = ack.send(Ok(()));
            }
            Ok(events) => {
                for (index, event) in events.iter().enumerate() {
                    state.apply(event);
                    if index == 0 && events.len() > 1 {
                        inject(FaultPoint::MidApply);
                    }
                }
                if let Some(update) = envelope.update_id {
                    state.applied.record(update);
                }
                state.version += 1;
                let flusher = &self.shard.env.flusher;
                let mut write = UserWrite::collecting(state, &events, ctx.now, flusher.collects_analytics());
                write.boost_scores(|metric| content.score_multiplier(metric, ctx.now));
                flusher.submit(write, Some(ack));
                respond(Ok((state, Outcome::Applied(&events))));
            }
        }
    }

    /// After a panic the in-memory state may be half-changed: drop it and
    /// reload the durable one, keeping the mailbox.
    fn restart(&mut self, ctx: &mut Context<Self>) {
        tracing::error!(user_id = %self.id, "user actor panicked; restarting from durable state");
        self.state = None;
        self.reload_after_flush = true;
        self.shard.crashed.do_send(Crashed(self.id));
        self.load(ctx);
    }
}

impl Actor for UserActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.load(ctx);
    }
}

impl Handler<Deliver> for UserActor {
    type Result = ();

    fn handle(&mut self, deliver: Deliver, ctx: &mut Context<Self>) {
        let stats = self.shard.env.stats.clone();
        ActorStats::bump(&stats.messages);
        let kind = match &deliver.work {
            Work::View => "view",
            Work::Apply(envelope) => envelope.command.kind(),
        };
        let started = Instant::now();
        // The reply and the acknowledgement of the update that panicked are
        // dropped: its caller sees `ActorCrashed` and nothing is acknowledged.
        if catch_unwind(AssertUnwindSafe(|| self.handle_deliver(deliver))).is_err() {
            self.restart(ctx);
        }
        stats.handled(kind, started.elapsed());
    }
}

impl Handler<Passivate> for UserActor {
    type Result = ();

    fn handle(&mut self, _: Passivate, ctx: &mut Context<Self>) {
        let flusher = self.shard.env.flusher.clone();
        let flushed = async move { flusher.flushed().await };
        ctx.wait(flushed.into_actor(self).map(|_, actor, ctx| {
            actor.shard.passivated.do_send(Passivated(actor.id));
            ctx.stop();
        }));
    }
}
