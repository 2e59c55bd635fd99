//! The Redis side: node heartbeats, shard leases and fencing tokens, each
//! change one Lua script (atomic in Redis).
//!
//! Keys, under a prefix (`dianabot` in production, one per test):
//! - `{p}:nodes`: sorted set, member = node id, score = Unix ms its
//!   heartbeat expires (Redis's own clock, `TIME`, so nodes' clocks do not
//!   matter);
//! - `{p}:lease:{shard}`: the owning node's id, with a TTL (`PX`);
//! - `{p}:token:{shard}`: the shard's fencing counter, `INCR`ed by every
//!   acquisition — never below the epoch the store recorded (passed in),
//!   so a Redis that lost its data (it keeps nothing on disk here) goes on
//!   issuing tokens above every one the store has seen.

use std::time::Duration;

use redis::Script;
use redis::aio::MultiplexedConnection;

/// Many shards per script call, so a node's tick is a few round trips
/// whatever the shard count.
const ACQUIRE: &str = r"
local node, ttl = ARGV[1], ARGV[2]
local out = {}
for i = 1, #KEYS / 2 do
  local lease, counter = KEYS[2 * i - 1], KEYS[2 * i]
  local floor = tonumber(ARGV[2 + i])
  if redis.call('SET', lease, node, 'NX', 'PX', ttl) then
    local token = redis.call('INCR', counter)
    if token <= floor then
      token = floor + 1
      redis.call('SET', counter, token)
    end
    out[i] = token
  else
    out[i] = 0
  end
end
return out
";

/// Compare-and-extend: only a lease still held by this node.
const RENEW: &str = r"
local out = {}
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then
    redis.call('PEXPIRE', KEYS[i], ARGV[2])
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
";

/// Compare-and-delete: hand back only what this node holds.
const RELEASE: &str = r"
local n = 0
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then
    redis.call('DEL', KEYS[i])
    n = n + 1
  end
end
return n
";

/// Heartbeat (or leave, with a ttl of -1): returns the live nodes.
const HEARTBEAT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if tonumber(ARGV[2]) < 0 then
  redis.call('ZREM', KEYS[1], ARGV[1])
else
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGE', KEYS[1], 0, -1)
";

/// One node's handle on the lease keys.
pub struct Leases {
    client: redis::Client,
    config: redis::AsyncConnectionConfig,
    conn: MultiplexedConnection,
    prefix: String,
    node: String,
    ttl: Duration,
    acquire: Script,
    renew: Script,
    release: Script,
    heartbeat: Script,
}

/// Connecting or talking to Redis failed.
pub type RedisError = redis::RedisError;

impl Leases {
    /// Connects to `url`; every command gives up after the lease's third,
    /// so a stalled Redis is noticed within a lease.
    pub async fn connect(url: &str, prefix: &str, node: &str, ttl: Duration) -> Result<Leases, RedisError> {
        let client = redis::Client::open(url)?;
        let timeout = (ttl / 3).max(Duration::from_millis(100));
        let config = redis::AsyncConnectionConfig::new().set_connection_timeout(timeout).set_response_timeout(timeout);
        let conn = client.get_multiplexed_async_connection_with_config(&config).await?;
        Ok(Leases {
            client,
            config,
            conn,
            prefix: prefix.to_owned(),
            node: node.to_owned(),
            ttl,
            acquire: Script::new(ACQUIRE),
            renew: Script::new(RENEW),
            release: Script::new(RELEASE),
            heartbeat: Script::new(HEARTBEAT),
        })
    }

    /// A new connection, after a failure (a multiplexed connection does
    /// not come back by itself once Redis restarted).
    pub async fn reconnect(&mut self) -> Result<(), RedisError> {
        self.conn = self.client.get_multiplexed_async_connection_with_config(&self.config).await?;
        Ok(())
    }

    pub fn node(&self) -> &str {
        &self.node
    }

    fn ttl_ms(&self) -> u64 {
        self.ttl.as_millis() as u64
    }

    pub fn lease_key(&self, shard: u32) -> String {
        format!("{}:lease:{shard}", self.prefix)
    }

    pub fn token_key(&self, shard: u32) -> String {
        format!("{}:token:{shard}", self.prefix)
    }

    fn nodes_key(&self) -> String {
        format!("{}:nodes", self.prefix)
    }

    /// Tries to lease each of `shards` (with the epoch the store recorded
    /// for it): the token of each acquired, 0 for one held by someone.
    pub async fn acquire(&self, shards: &[(u32, i64)]) -> Result<Vec<i64>, RedisError> {
        if shards.is_empty() {
            return Ok(Vec::new());
        }
        let mut invocation = self.acquire.prepare_invoke();
        for (shard, _) in shards {
            invocation.key(self.lease_key(*shard)).key(self.token_key(*shard));
        }
        invocation.arg(&self.node).arg(self.ttl_ms());
        for (_, floor) in shards {
            invocation.arg(*floor);
        }
        invocation.invoke_async(&mut self.conn.clone()).await
    }

    /// Extends each lease of `shards` still held by this node; `true` where extended.
    pub async fn renew(&self, shards: &[u32]) -> Result<Vec<bool>, RedisError> {
        if shards.is_empty() {
            return Ok(Vec::new());
        }
        let mut invocation = self.renew.prepare_invoke();
        for shard in shards {
            invocation.key(self.lease_key(*shard));
        }
        invocation.arg(&self.node).arg(self.ttl_ms());
        let renewed: Vec<i64> = invocation.invoke_async(&mut self.conn.clone()).await?;
        Ok(renewed.into_iter().map(|one| one == 1).collect())
    }

    /// Hands back the leases of `shards` this node holds.
    pub async fn release(&self, shards: &[u32]) -> Result<u64, RedisError> {
        if shards.is_empty() {
            return Ok(0);
        }
        let mut invocation = self.release.prepare_invoke();
        for shard in shards {
            invocation.key(self.lease_key(*shard));
        }
        invocation.arg(&self.node).invoke_async(&mut self.conn.clone()).await
    }

    /// Says this node is alive for another lease; returns the live nodes.
    pub async fn heartbeat(&self) -> Result<Vec<String>, RedisError> {
        self.heartbeat
            .key(self.nodes_key())
            .arg(&self.node)
            .arg(self.ttl_ms())
            .invoke_async(&mut self.conn.clone())
            .await
    }

    /// Leaves the live set at once (graceful drain).
    pub async fn leave(&self) -> Result<Vec<String>, RedisError> {
        self.heartbeat.key(self.nodes_key()).arg(&self.node).arg(-1).invoke_async(&mut self.conn.clone()).await
    }

    /// The holder of every shard's lease (`None`: free) and its current
    /// token counter, `0..shards` in order: one round trip.
    pub async fn shard_map(&self, shards: u32) -> Result<Vec<(Option<String>, i64)>, RedisError> {
        let mut pipe = redis::pipe();
        let leases: Vec<String> = (0..shards).map(|shard| self.lease_key(shard)).collect();
        let tokens: Vec<String> = (0..shards).map(|shard| self.token_key(shard)).collect();
        // `MGET` by hand: the typed `mget` sends `GET` for a single key.
        pipe.cmd("MGET").arg(leases).cmd("MGET").arg(tokens);
        let (holders, counters): (Vec<Option<String>>, Vec<Option<i64>>) =
            pipe.query_async(&mut self.conn.clone()).await?;
        Ok(holders.into_iter().zip(counters.into_iter().map(Option::unwrap_or_default)).collect())
    }

    /// Deletes every key of this prefix for `shards` shards (tests; a
    /// cluster taken down for good). Never touches other prefixes.
    pub async fn clear(&self, shards: u32) -> Result<(), RedisError> {
        let mut keys: Vec<String> =
            (0..shards).flat_map(|shard| [self.lease_key(shard), self.token_key(shard)]).collect();
        keys.push(self.nodes_key());
        keys.extend(crate::bus::stream_keys(&self.prefix, shards));
        redis::cmd("DEL").arg(keys).query_async(&mut self.conn.clone()).await
    }

    /// The live nodes without heartbeating (for `dianabot cluster status`).
    pub async fn live_nodes(&self) -> Result<Vec<(String, i64)>, RedisError> {
        redis::cmd("ZRANGE")
            .arg(self.nodes_key())
            .arg(0)
            .arg(-1)
            .arg("WITHSCORES")
            .query_async(&mut self.conn.clone())
            .await
    }
}
