//! Retrying with exponential backoff: one policy for every loop that waits
//! out a failing store, a crashed actor or an unreachable Bot API.

use std::future::Future;
use std::time::Duration;

/// Exponential backoff: waits `first`, then twice as long each time, never
/// more than `cap`.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
    first: Duration,
    cap: Duration,
}

impl Backoff {
    /// Waits for the store and for actors: short enough that a blip costs
    /// milliseconds, capped so an outage is not hammered.
    pub const STORE: Backoff = Backoff::new(Duration::from_millis(10), Duration::from_secs(2));

    pub const fn new(first: Duration, cap: Duration) -> Backoff {
        Backoff { next: first, first, cap }
    }

    /// The same policy with another cap.
    pub const fn capped(self, cap: Duration) -> Backoff {
        Backoff { cap, ..self }
    }

    /// The wait the next [`Backoff::wait`] sleeps.
    pub fn delay(&self) -> Duration {
        self.next
    }

    /// Sleeps the current delay and doubles the next one.
    pub async fn wait(&mut self) {
        tokio::time::sleep(self.advance()).await;
    }

    /// The current delay, doubling the next one: for callers that wait
    /// some other way (a retry scheduled for later).
    pub fn advance(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(self.cap);
        delay
    }

    /// Back to the first delay, after a success.
    pub fn reset(&mut self) {
        self.next = self.first;
    }
}

/// Runs `attempt` until it succeeds, calling `failed` with each error and
/// the wait before the next try. For work that must not be given up on
/// (a commit, a load): callers wait, nothing is lost.
pub async fn retry_forever<T, E, F, Fut>(mut backoff: Backoff, mut attempt: F, mut failed: impl FnMut(E, Duration)) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    loop {
        match attempt().await {
            Ok(value) => return value,
            Err(err) => failed(err, backoff.delay()),
        }
        backoff.wait().await;
    }
}

/// Runs `attempt` at most `attempts` times while `retryable` says its error
/// is worth another try; returns the first success or the last error.
pub async fn retry_while<T, E, F, Fut>(
    mut backoff: Backoff,
    attempts: u32,
    mut attempt: F,
    mut retryable: impl FnMut(&E) -> bool,
) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(err) if tries < attempts && retryable(&err) => {
                tries += 1;
                backoff.wait().await;
            }
            answer => return answer,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn delays_double_up_to_the_cap_and_reset() {
        let mut backoff = Backoff::new(Duration::from_millis(1), Duration::from_millis(3));
        let mut delays = Vec::new();
        for _ in 0..4 {
            delays.push(backoff.delay().as_millis());
            backoff.wait().await;
        }
        assert_eq!(delays, [1, 2, 3, 3]);
        backoff.reset();
        assert_eq!(backoff.delay(), Duration::from_millis(1));
    }

    #[tokio::test]
    async fn retry_while_stops_at_an_error_not_worth_retrying_or_after_the_attempts() {
        let mut calls = 0;
        let answer: Result<(), &str> = retry_while(
            Backoff::STORE,
            5,
            || {
                calls += 1;
                std::future::ready(Err(if calls == 2 { "final" } else { "transient" }))
            },
            |err| *err == "transient",
        )
        .await;
        assert_eq!((answer, calls), (Err("final"), 2));

        let mut calls = 0;
        let answer: Result<(), &str> = retry_while(
            Backoff::STORE,
            3,
            || {
                calls += 1;
                std::future::ready(Err("transient"))
            },
            |_| true,
        )
        .await;
        assert_eq!((answer, calls), (Err("transient"), 3));
    }

    #[tokio::test]
    async fn retry_forever_reports_each_failure_then_returns_the_success() {
        let mut calls = 0;
        let mut waits = Vec::new();
        let value = retry_forever(
            Backoff::STORE,
            || {
                calls += 1;
                std::future::ready(if calls < 3 { Err(calls) } else { Ok("done") })
            },
            |err, wait| waits.push((err, wait.as_millis())),
        )
        .await;
        assert_eq!(value, "done");
        assert_eq!(waits, [(1, 10), (2, 20)]);
    }
}
