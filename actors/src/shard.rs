//! The shard supervisor: activation, routing, passivation, restarts.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::{Actor, Addr, AsyncContext, Context, Handler};
use dianabot_game::UserId;

use crate::env::Env;
use crate::message::{Crashed, Deliver, DispatchError, Passivated};
use crate::stats::ActorStats;
use crate::user::{Passivate, ShardEnv, UserActor};

enum Slot {
    Active {
        actor: Addr<UserActor>,
        last_seen: Tick,
    },
    /// Told to passivate; updates wait here until it confirms, so the next
    /// activation loads a state that includes everything before them.
    Passivating {
        waiting: Vec<Deliver>,
    },
    Quarantined {
        until: Instant,
    },
}

/// Seconds since the shard started; 4 bytes per user instead of an Instant's 16.
type Tick = u32;

struct CrashRecord {
    count: u32,
    since: Instant,
}

pub(crate) struct ShardSupervisor {
    index: usize,
    env: Arc<Env>,
    /// Made on first activation, once the supervisor has an address.
    shared: Option<Arc<ShardEnv>>,
    users: HashMap<UserId, Slot>,
    crashes: HashMap<UserId, CrashRecord>,
    started: Instant,
}

impl ShardSupervisor {
    pub fn new(index: usize, env: Arc<Env>) -> ShardSupervisor {
        ShardSupervisor {
            index,
            env,
            shared: None,
            users: HashMap::new(),
            crashes: HashMap::new(),
            started: Instant::now(),
        }
    }

    fn now(&self) -> Tick {
        Tick::try_from(self.started.elapsed().as_secs()).unwrap_or(Tick::MAX)
    }

    fn activate(&mut self, user: UserId, ctx: &mut Context<Self>, restart: bool) -> Addr<UserActor> {
        let env = &self.env;
        let shared = self.shared.get_or_insert_with(|| {
            let supervisor = ctx.address();
            Arc::new(ShardEnv {
                env: env.clone(),
                passivated: supervisor.clone().recipient(),
                crashed: supervisor.recipient(),
            })
        });
        let actor = UserActor::new(user, shared.clone(), restart).start();
        ActorStats::bump(&self.env.stats.activated);
        self.env.stats.live.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.users.insert(user, Slot::Active { actor: actor.clone(), last_seen: self.now() });
        actor
    }

    /// Passivates actors idle longer than the configured timeout.
    fn sweep(&mut self) {
        let idle = Tick::try_from(self.env.config.idle_timeout.as_secs()).unwrap_or(Tick::MAX);
        let now = self.now();
        let instant = Instant::now();
        for slot in self.users.values_mut() {
            match slot {
                Slot::Active { actor, last_seen } if now.saturating_sub(*last_seen) >= idle => {
                    actor.do_send(Passivate);
                    *slot = Slot::Passivating { waiting: Vec::new() };
                }
                _ => {}
            }
        }
        self.users.retain(|_, slot| !matches!(slot, Slot::Quarantined { until } if *until <= instant));
        let window = self.env.config.restart_window;
        self.crashes.retain(|_, record| record.since.elapsed() < window);
    }
}

impl Actor for ShardSupervisor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // Ticks are whole seconds, so sweeping more often than every half
        // second buys nothing; tests use a zero timeout and sweep quickly.
        let period = (self.env.config.idle_timeout / 2).clamp(Duration::from_millis(50), Duration::from_secs(30));
        ctx.run_interval(period, |shard, _| shard.sweep());
        tracing::debug!(shard = self.index, "shard supervisor started");
    }
}

impl Handler<Deliver> for ShardSupervisor {
    type Result = ();

    fn handle(&mut self, deliver: Deliver, ctx: &mut Context<Self>) {
        let user = deliver.user_id;
        let now = self.now();
        match self.users.get_mut(&user) {
            Some(Slot::Active { actor, last_seen }) if actor.connected() => {
                *last_seen = now;
                actor.do_send(deliver);
            }
            Some(Slot::Passivating { waiting }) => waiting.push(deliver),
            Some(Slot::Quarantined { until }) if *until > Instant::now() => deliver.refuse(DispatchError::Quarantined),
            Some(Slot::Active { .. }) => {
                // The actor's task died outside a handler; start over from
                // its durable state.
                ActorStats::bump(&self.env.stats.restarted);
                self.env.stats.live.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
                self.activate(user, ctx, true).do_send(deliver);
            }
            Some(Slot::Quarantined { .. }) | None => self.activate(user, ctx, false).do_send(deliver),
        }
    }
}

// cluster
/// Passivate the actors of users of the virtual shards `lost`.
#[derive(actix::Message)]
#[rtype(result = "()")]
pub(crate) struct Evict {
    pub lost: Arc<std::collections::HashSet<u32>>,
    pub ownership: Arc<dianabot_plumbing::shards::Ownership>,
}

impl Handler<Evict> for ShardSupervisor {
    type Result = ();

    fn handle(&mut self, evict: Evict, _: &mut Context<Self>) {
        for (user, slot) in self.users.iter_mut() {
            if let Slot::Active { actor, .. } = slot
                && evict.lost.contains(&evict.ownership.shard_of(user.0))
            {
                actor.do_send(Passivate);
                *slot = Slot::Passivating { waiting: Vec::new() };
            }
        }
    }
}

impl Handler<Passivated> for ShardSupervisor {
    type Result = ();

    fn handle(&mut self, Passivated(user): Passivated, ctx: &mut Context<Self>) {
        ActorStats::bump(&self.env.stats.passivated);
        self.env.stats.live.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        if let Some(Slot::Passivating { waiting }) = self.users.remove(&user)
            && !waiting.is_empty()
        {
            let actor = self.activate(user, ctx, false);
            for deliver in waiting {
                actor.do_send(deliver);
            }
        }
    }
}

impl Handler<Crashed> for ShardSupervisor {
    type Result = ();

    fn handle(&mut self, Crashed(user): Crashed, _: &mut Context<Self>) {
        ActorStats::bump(&self.env.stats.restarted);
        let config = &self.env.config;
        let record = self.crashes.entry(user).or_insert(CrashRecord { count: 0, since: Instant::now() });
        if record.since.elapsed() >= config.restart_window {
            *record = CrashRecord { count: 0, since: Instant::now() };
        }
        record.count += 1;
        if record.count > config.max_restarts {
            tracing::error!(user_id = %user, crashes = record.count, "user quarantined after repeated crashes");
            self.crashes.remove(&user);
            // Dropping the last address stops the actor once it has drained
            // what is already queued; new updates are refused until `until`.
            if self.users.insert(user, Slot::Quarantined { until: Instant::now() + config.quarantine }).is_some() {
                self.env.stats.live.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }
}
