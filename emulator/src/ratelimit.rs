//! Telegram-like flood control: token buckets per chat and for the whole bot,
//! plus "force the next K calls to fail with 429" for scheduler tests.
//!
//! Telegram does not publish exact limits; its guidance is about one message per
//! second per chat (short bursts tolerated) and about 30 per second overall. Token
//! buckets model exactly that: a bucket refills at the rate and holds a burst. The
//! limits are off by default so functional tests are not slowed down; the load
//! harness and scheduler tests switch them on.

use std::collections::HashMap;
use std::time::Instant;

use serde::{Deserialize, Serialize};

/// Rate-limit settings, changeable at run time through the control API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RateLimitConfig {
    /// Whether the per-chat and global buckets apply at all.
    pub enabled: bool,
    /// Sustained sends per second into one chat.
    pub per_chat_per_sec: f64,
    /// How many sends into one chat may come back to back.
    pub per_chat_burst: f64,
    /// Sustained sends per second overall.
    pub global_per_sec: f64,
    /// How many sends overall may come back to back.
    pub global_burst: f64,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            enabled: false,
            per_chat_per_sec: 1.0,
            per_chat_burst: 3.0,
            global_per_sec: 30.0,
            global_burst: 30.0,
        }
    }
}

/// A request to fail the next `count` matching calls with 429.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forced429 {
    /// How many calls to refuse.
    pub count: u32,
    /// The `retry_after` to answer, in seconds.
    #[serde(default = "one")]
    pub retry_after: u32,
    /// Only these methods (case-insensitive); empty means every method except
    /// getUpdates and the webhook/getMe bookkeeping methods.
    #[serde(default)]
    pub methods: Vec<String>,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    /// Takes a token, or says how long until one is available.
    fn take(&mut self, now: Instant, rate: f64, burst: f64) -> Result<(), f64> {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate).min(burst);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err((1.0 - self.tokens) / rate.max(f64::MIN_POSITIVE))
        }
    }
}

/// The flood-control state.
#[derive(Debug, Default)]
pub struct RateLimiter {
    pub config: RateLimitConfig,
    pub forced: Option<Forced429>,
    chats: HashMap<i64, Bucket>,
    global: Option<Bucket>,
}

/// Methods that never count against limits nor get forced 429s unless named.
const BOOKKEEPING: &[&str] = &["getupdates", "getme", "setwebhook", "deletewebhook", "getwebhookinfo"];

/// Methods that send or change messages: the ones Telegram's limits are about.
fn is_send(method: &str) -> bool {
    (method.starts_with("send") && method != "sendchataction")
        || method.starts_with("edit")
        || method == "copymessage"
        || method == "forwardmessage"
}

impl RateLimiter {
    pub fn new(config: RateLimitConfig) -> Self {
        RateLimiter { config, ..RateLimiter::default() }
    }

    /// Decides whether a call may go ahead; `Err(retry_after)` if not.
    /// `method` is lower-case.
    pub fn check(&mut self, method: &str, chat_id: Option<i64>) -> Result<(), u32> {
        if let Some(forced) = &mut self.forced {
            let applies = if forced.methods.is_empty() {
                !BOOKKEEPING.contains(&method)
            } else {
                forced.methods.iter().any(|m| m.eq_ignore_ascii_case(method))
            };
            if applies && forced.count > 0 {
                forced.count -= 1;
                let retry_after = forced.retry_after;
                if forced.count == 0 {
                    self.forced = None;
                }
                return Err(retry_after);
            }
        }
        if !self.config.enabled || !is_send(method) {
            return Ok(());
        }
        let now = Instant::now();
        let cfg = &self.config;
        let fresh = |burst: f64| Bucket { tokens: burst, at: now };
        // Check both buckets before taking from either, so a refused call costs nothing.
        let mut global = self.global.unwrap_or_else(|| fresh(cfg.global_burst));
        let mut chat = chat_id.map(|id| self.chats.get(&id).copied().unwrap_or_else(|| fresh(cfg.per_chat_burst)));
        let global_wait = global.take(now, cfg.global_per_sec, cfg.global_burst).err();
        let chat_wait = chat.as_mut().and_then(|b| b.take(now, cfg.per_chat_per_sec, cfg.per_chat_burst).err());
        let wait = global_wait.into_iter().chain(chat_wait).fold(0.0, f64::max);
        if wait > 0.0 {
            return Err((wait.ceil() as u32).max(1));
        }
        self.global = Some(global);
        if let (Some(id), Some(bucket)) = (chat_id, chat) {
            self.chats.insert(id, bucket);
        }
        Ok(())
    }

    /// Forgets all buckets (the config stays).
    pub fn reset(&mut self) {
        self.chats.clear();
        self.global = None;
        self.forced = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forced_429s_apply_to_the_next_k_calls_only() {
        let mut rl = RateLimiter {
            forced: Some(Forced429 { count: 2, retry_after: 3, methods: vec![] }),
            ..RateLimiter::default()
        };
        assert_eq!(rl.check("getupdates", None), Ok(()));
        assert_eq!(rl.check("sendmessage", Some(1)), Err(3));
        assert_eq!(rl.check("sendmessage", Some(1)), Err(3));
        assert_eq!(rl.check("sendmessage", Some(1)), Ok(()));
    }

    #[test]
    fn a_chat_gets_its_burst_then_is_limited() {
        let mut rl = RateLimiter::new(RateLimitConfig { enabled: true, ..RateLimitConfig::default() });
        for _ in 0..3 {
            assert_eq!(rl.check("sendmessage", Some(7)), Ok(()));
        }
        assert_eq!(rl.check("sendmessage", Some(7)), Err(1));
        assert_eq!(rl.check("sendmessage", Some(8)), Ok(()));
        assert_eq!(rl.check("answercallbackquery", Some(7)), Ok(()));
    }
}
