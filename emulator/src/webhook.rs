//! Webhook delivery: POSTs pending updates to the bot's URL until it answers 2xx.
//!
//! An update stays pending until acknowledged, which is what makes durability
//! testable: a bot that answers 200 before its effects are durable and then
//! crashes has lost the update, one that answers 500 gets it again. Like Telegram,
//! up to `max_connections` deliveries run at once; to keep each user's updates in
//! order (the server's actors rely on it), an update is not sent while an earlier
//! one with the same ordering key (the acting user, else the chat) is unacknowledged.
//! Failed attempts back off exponentially from `webhook_retry_base` up to
//! `webhook_retry_max`.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::task::JoinSet;

use crate::world::{Shared, World};

/// One delivery attempt, prepared under the lock and run without it.
struct Job {
    id: u32,
    replay: bool,
    body: Arc<Value>,
    url: String,
    secret: Option<String>,
}

/// Runs until aborted (the handle aborts it on stop).
pub async fn run(shared: Arc<Shared>, client: reqwest::Client) {
    let mut changes = shared.subscribe();
    let mut inflight: JoinSet<(u32, bool, Result<(), String>)> = JoinSet::new();
    loop {
        let (jobs, wake_at) = shared.with(|w| pick(w, inflight.len()));
        for job in jobs {
            inflight.spawn(deliver(client.clone(), job));
        }
        let sleep = async {
            match wake_at {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            Some(done) = inflight.join_next(), if !inflight.is_empty() => {
                if let Ok((id, replay, result)) = done {
                    finish(&shared, id, replay, result);
                }
            }
            changed = changes.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            () = sleep => {}
        }
    }
}

/// Chooses the updates to send now; also says when the next backoff ends.
fn pick(w: &mut World, inflight: usize) -> (Vec<Job>, Option<Instant>) {
    let Some(hook) = &w.webhook else {
        return (Vec::new(), None);
    };
    let (url, secret, max) = (hook.url.clone(), hook.secret_token.clone(), hook.max_connections as usize);
    let now = Instant::now();
    let mut blocked: HashSet<i64> =
        w.replays.iter().chain(w.pending.iter()).filter(|u| u.in_flight).map(|u| u.key).collect();
    let mut jobs = Vec::new();
    let mut wake_at: Option<Instant> = None;
    for u in w.replays.iter_mut().chain(w.pending.iter_mut()) {
        if inflight + jobs.len() >= max {
            break;
        }
        if u.in_flight || !blocked.insert(u.key) {
            continue;
        }
        if let Some(at) = u.next_attempt
            && at > now
        {
            wake_at = Some(wake_at.map_or(at, |w| w.min(at)));
            continue;
        }
        u.in_flight = true;
        u.attempts += 1;
        jobs.push(Job { id: u.id, replay: u.replay, body: u.body.clone(), url: url.clone(), secret: secret.clone() });
    }
    (jobs, wake_at)
}

async fn deliver(client: reqwest::Client, job: Job) -> (u32, bool, Result<(), String>) {
    let body = serde_json::to_vec(&*job.body).unwrap_or_default();
    let mut request = client.post(&job.url).header("content-type", "application/json").body(body);
    if let Some(secret) = &job.secret {
        request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
    }
    let result = match request.send().await {
        Ok(response) if response.status().is_success() => Ok(()),
        Ok(response) => Err(format!("Wrong response from the webhook: {}", response.status())),
        Err(e) if e.is_timeout() => Err("Read timeout expired".to_owned()),
        Err(e) if e.is_connect() => Err("Connection refused".to_owned()),
        Err(e) => Err(format!("Failed to deliver: {e}")),
    };
    (job.id, job.replay, result)
}

fn finish(shared: &Shared, id: u32, replay: bool, result: Result<(), String>) {
    let base = shared.config.webhook_retry_base;
    let max = shared.config.webhook_retry_max;
    shared.with(|w| match result {
        Ok(()) => w.acknowledge(id, replay),
        Err(message) => {
            tracing::debug!(update_id = id, %message, "webhook delivery failed");
            let queue = if replay { &mut w.replays } else { &mut w.pending };
            if let Some(u) = queue.iter_mut().find(|u| u.id == id && u.in_flight) {
                u.in_flight = false;
                let exp = u.attempts.saturating_sub(1).min(16);
                let delay = base.saturating_mul(1 << exp).min(max);
                u.next_attempt = Some(Instant::now() + delay);
            }
            let now = w.now();
            if let Some(hook) = &mut w.webhook {
                hook.last_error_date = Some(now);
                hook.last_error_message = Some(message);
            }
            w.touch(None);
        }
    });
}

/// The default per-attempt timeout, chosen so a slow bot is retried, not lost.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
