//! Operators' changes across nodes: a flag override, a role grant or
//! revocation, a content reload is made durable (or, for content, read) on
//! one node; every other node must decide with it too, without a restart.
//!
//! The node that made a change publishes a notice on the Redis channel
//! `{p}:changes` (`<node> <change>`); every node subscribes on a
//! connection of its own and reads the changed thing again from where it
//! is durable (the store, or its content folder), applying it the way a
//! local change is applied. A notice carries no data: it only says what to
//! read again, so applying one twice, late, or out of order is harmless.
//!
//! Pub/sub rather than a stream: a stream would replay what a node missed,
//! but needs a consumer position per node and trimming, and what a node
//! missed is cheaper to read again whole. Pub/sub loses a notice only
//! while a subscriber is disconnected or the publisher cannot reach Redis;
//! so a node reads everything again each time it (re)subscribes, and the
//! store's flags and grants (two small tables) every [`REREAD_EVERY`] —
//! the healing for a notice its sender could not publish. A content reload
//! is not repeated on that timer: it re-parses the whole folder, and a
//! node's folder changes only when it is deployed, which restarts it.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use dianabot_plumbing::Backoff;
use futures_util::StreamExt;

use crate::bus::Link;
use crate::leases::RedisError;
use crate::manager::{ClusterConfig, ClusterStats};

/// How often a node reads flags and grants again whatever it heard.
pub const REREAD_EVERY: Duration = Duration::from_secs(60);

/// What an operator changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Flag overrides (`flag_overrides`).
    Flags,
    /// Role grants (`role_grants`).
    Roles,
    /// The content folder, reloaded.
    Content,
}

impl Change {
    pub const ALL: [Change; 3] = [Change::Flags, Change::Roles, Change::Content];

    fn name(self) -> &'static str {
        match self {
            Change::Flags => "flags",
            Change::Roles => "roles",
            Change::Content => "content",
        }
    }

    fn parse(name: &str) -> Option<Change> {
        Change::ALL.into_iter().find(|change| change.name() == name)
    }
}

/// A node's side of the notices: publishing its changes, and hearing the
/// others'. Cheap to clone.
#[derive(Clone)]
pub struct ChangeNotices {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ChangeNotices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeNotices").field("channel", &self.inner.channel).finish_non_exhaustive()
    }
}

struct Inner {
    client: redis::Client,
    commands: Link,
    channel: String,
    node: String,
    stats: Arc<ClusterStats>,
}

impl ChangeNotices {
    /// Connects (for publishing; [`ChangeNotices::listen`] subscribes on a
    /// connection of its own). Counts into `stats`.
    pub async fn connect(config: &ClusterConfig, stats: Arc<ClusterStats>) -> Result<ChangeNotices, RedisError> {
        let client = redis::Client::open(config.redis_url.as_str())?;
        let commands = Link::open(&client, Duration::from_secs(2)).await?;
        let inner =
            Inner { client, commands, channel: format!("{}:changes", config.prefix), node: config.node.clone(), stats };
        Ok(ChangeNotices { inner: Arc::new(inner) })
    }

    /// Tells the other nodes that `change` is durable. Best effort: a
    /// notice that cannot be published is logged, and the other nodes'
    /// periodic re-read picks the change up.
    pub async fn publish(&self, change: Change) {
        let inner = &self.inner;
        let notice = format!("{} {}", inner.node, change.name());
        let sent: Result<i64, RedisError> =
            redis::cmd("PUBLISH").arg(&inner.channel).arg(&notice).query_async(&mut inner.commands.get()).await;
        match sent {
            Ok(_) => {
                inner.stats.changes_sent.fetch_add(1, Ordering::Relaxed);
            }
            Err(err) => {
                tracing::warn!(change = change.name(), error = %err, "cannot announce a change; other nodes re-read it later");
                inner.commands.reconnect().await;
            }
        }
    }

    /// Starts hearing the other nodes' changes: `reread` runs with what to
    /// read again — the change of each notice, everything on each
    /// (re)subscription, flags and roles every [`REREAD_EVERY`]. Runs one
    /// at a time, for as long as the process; its failures are its own to
    /// log (and to count with [`ChangeNotices::reread_failed`]).
    pub fn listen<F, Fut>(&self, reread: F)
    where
        F: Fn(Vec<Change>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        tokio::spawn(listen(self.inner.clone(), reread));
    }

    /// Counts a re-read that failed.
    pub fn reread_failed(&self) {
        self.inner.stats.change_rereads_failed.fetch_add(1, Ordering::Relaxed);
    }
}

/// The subscriber: subscribes (again, with backoff, after any loss), reads
/// everything again each time, then follows notices and the timer.
async fn listen<F, Fut>(inner: Arc<Inner>, reread: F)
where
    F: Fn(Vec<Change>) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
    loop {
        let subscribed = async {
            let mut pubsub = inner.client.get_async_pubsub().await?;
            pubsub.subscribe(&inner.channel).await?;
            Ok::<_, RedisError>(pubsub)
        };
        let subscribed = match tokio::time::timeout(Duration::from_secs(5), subscribed).await {
            Ok(Ok(pubsub)) => Ok(pubsub),
            Ok(Err(err)) => Err(err.to_string()),
            Err(_) => Err("timed out".to_owned()),
        };
        let pubsub = match subscribed {
            Ok(pubsub) => pubsub,
            Err(error) => {
                tracing::warn!(%error, "cannot subscribe to change notices; retrying");
                backoff.wait().await;
                continue;
            }
        };
        backoff.reset();
        // Whatever was announced while not subscribed is lost: read it all.
        reread(Change::ALL.to_vec()).await;
        let mut notices = pubsub.into_on_message();
        let mut timer = tokio::time::interval_at(tokio::time::Instant::now() + REREAD_EVERY, REREAD_EVERY);
        loop {
            tokio::select! {
                notice = notices.next() => {
                    let Some(notice) = notice else { break };
                    let text: String = notice.get_payload().unwrap_or_default();
                    let Some((origin, change)) = text.split_once(' ') else { continue };
                    let Some(change) = Change::parse(change) else {
                        tracing::warn!(notice = text, "an unknown change notice; ignored");
                        continue;
                    };
                    if origin == inner.node {
                        continue;
                    }
                    inner.stats.changes_received.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(origin, change = change.name(), "another node changed what operators set");
                    reread(vec![change]).await;
                }
                _ = timer.tick() => reread(vec![Change::Flags, Change::Roles]).await,
            }
        }
        tracing::warn!("the change notices' subscription was lost; subscribing again");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_reads_back_as_itself() {
        for change in Change::ALL {
            assert_eq!(Change::parse(change.name()), Some(change));
        }
        assert_eq!(Change::parse("stock"), None);
    }
}
