//! The simulated players without the report: set-up (users in the
//! emulator, channel posts, registration, funds and auctions for bids) and
//! the closed or open loop, over a server — or a cluster behind one entry
//! point — that the caller runs. `dianabot bench` is built on it, and so
//! are the multi-node tests, which play the same mix and then check the
//! effect of every update the server acknowledged
//! ([`Load::acknowledged`]).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use dianabot_emulator::EmulatorHandle;
use futures_util::StreamExt;
use tokio::task::JoinHandle;

use crate::driver::{Driver, DriverConfig};
use crate::record::{AckedUpdate, Recorder};
use crate::replies::ReplyTemplates;
use crate::scenario::{self, Mix, Scenario};
use crate::target::IntakeMode;
use crate::{BenchError, lock};

/// What the players do and how they reach the server.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    pub intake: IntakeMode,
    /// `…/telegram/webhook` of the server (or of the cluster's entry node).
    pub webhook_url: String,
    pub secret: String,
    pub users: usize,
    /// Telegram id of the first simulated user.
    pub user_id_base: u64,
    /// Scenario weights, `NAME=WEIGHT,...` (as `--mix`).
    pub mix: String,
    pub seed: u64,
    /// Channel posts published for reactions.
    pub posts: usize,
    /// Auctions opened when the mix bids, and how long they stay open.
    pub auctions: usize,
    pub auction_seconds: u64,
    /// Set-up: users registered at once.
    pub concurrency: usize,
    pub reply_timeout: Duration,
    /// Set-up walks every user through onboarding to the menu; without,
    /// only `/start` (a light registration: the first story steps of the
    /// mix walk the onboarding instead).
    pub to_menu: bool,
    /// See [`DriverConfig::redeliver`].
    pub redeliver: Option<Duration>,
    /// See [`DriverConfig::log_acks`].
    pub log_acks: bool,
}

/// Players set up and ready to play the mix.
pub struct Load {
    pub(crate) driver: Arc<Driver>,
    mix: Mix,
    seed: u64,
    stop_observing: Arc<AtomicBool>,
    observer: std::sync::Mutex<Option<JoinHandle<()>>>,
}

impl Load {
    /// Creates the users in `emulator`, publishes the posts, registers
    /// every user through the server and, when the mix bids or buys, funds
    /// them (and opens the auctions for bids). The server must already be polling the
    /// emulator in polling mode.
    pub async fn setup(
        emulator: Arc<EmulatorHandle>,
        client: reqwest::Client,
        config: LoadConfig,
        replies: ReplyTemplates,
    ) -> anyhow::Result<Load> {
        let weights = scenario::parse_mix(&config.mix).map_err(BenchError::Options)?;
        let calls = emulator.subscribe_bot_calls();
        let control = format!("{}/control", emulator.base_url());
        let bids = weights.iter().any(|(scenario, _)| *scenario == Scenario::AuctionBid);
        // Buyers are funded like bidders, so purchases are decided on stock,
        // not refused for besitos the first reactions have not paid yet.
        let funded = bids || weights.iter().any(|(scenario, _)| *scenario == Scenario::Purchase);
        crate::create_users(&client, &control, config.user_id_base, config.users, funded).await?;
        let channel = crate::free_channel(&client, &control).await?;

        let driver_config = DriverConfig {
            intake: config.intake,
            webhook_url: config.webhook_url,
            secret: config.secret,
            user_id_base: config.user_id_base,
            users: config.users,
            reply_timeout: config.reply_timeout,
            seed: config.seed,
            replies,
            redeliver: config.redeliver,
            log_acks: config.log_acks,
        };
        let mut driver = Driver::new(emulator, client, driver_config, Recorder::default());
        driver.set_channel(channel);
        // The server pays reactions only on posts it saw published.
        driver.publish_posts(config.posts.max(1)).await?;
        let driver = Arc::new(driver);
        let stop_observing = Arc::new(AtomicBool::new(false));
        let observer = tokio::spawn(driver.clone().observe_calls(calls, stop_observing.clone()));

        let to_menu = config.to_menu;
        futures_util::stream::iter(0..config.users)
            .for_each_concurrent(config.concurrency.max(1), |index| {
                let driver = driver.clone();
                async move { driver.onboard(index, to_menu).await }
            })
            .await;
        if funded {
            driver.fund_users(config.concurrency).await;
        }
        if bids {
            driver.open_auctions(config.auctions, config.auction_seconds).await.map_err(BenchError::Setup)?;
        }
        Ok(Load {
            driver,
            mix: Mix::new(&weights),
            seed: config.seed,
            stop_observing,
            observer: std::sync::Mutex::new(Some(observer)),
        })
    }

    /// `concurrency` steps in flight until `end` or [`Load::stop`]; steps
    /// sent before `warmup_end` are the warm-up.
    pub async fn closed_loop(&self, concurrency: usize, warmup_end: Instant, end: Instant) {
        self.driver.closed_loop(concurrency, &self.mix, self.seed, warmup_end, end).await;
    }

    /// `rate` steps per second, at most `max_in_flight` at once, until `end`.
    pub async fn open_loop(&self, rate: f64, max_in_flight: usize, warmup_end: Instant, end: Instant) {
        self.driver.open_loop(rate, max_in_flight, &self.mix, self.seed, warmup_end, end).await;
    }

    /// Ends the closed loop early; the steps in flight finish.
    pub fn stop(&self) {
        self.driver.stop();
    }

    /// Tear-down: the operator cancels the auctions set-up opened.
    pub async fn cancel_auctions(&self) {
        self.driver.cancel_auctions().await;
    }

    /// Stops filing the bot's calls once the last replies are in.
    pub async fn stop_observing(&self) {
        self.stop_observing.store(true, std::sync::atomic::Ordering::Relaxed);
        let observer = lock(&self.observer).take();
        if let Some(observer) = observer {
            let _ = observer.await;
        }
    }

    /// Everything recorded so far.
    pub fn recorder(&self) -> std::sync::MutexGuard<'_, Recorder> {
        lock(&self.driver.recorder)
    }

    /// Every update the server acknowledged (with `log_acks`), set-up included.
    pub fn acknowledged(&self) -> Vec<AckedUpdate> {
        self.recorder().acked_updates.clone()
    }

    /// Failed steps of every phase by kind, and the Bot API calls the
    /// emulator refused (`telegram: <method>: <description>`).
    pub fn errors(&self) -> BTreeMap<String, u64> {
        let recorder = self.recorder();
        let mut errors = recorder.errors_all_phases.clone();
        for (kind, n) in &recorder.telegram_errors {
            *errors.entry(format!("telegram: {kind}")).or_default() += n;
        }
        errors
    }

    /// Steps answered, every phase.
    pub fn answered(&self) -> u64 {
        let recorder = self.recorder();
        recorder.setup.done + recorder.warmup.done + recorder.scenarios.values().map(|stats| stats.done).sum::<u64>()
    }

    /// Deliveries repeated because the server left an update unacknowledged.
    pub fn redeliveries(&self) -> u64 {
        self.recorder().redeliveries
    }

    /// How long to keep auctions open for a run of `seconds` with replies
    /// waited up to `reply_timeout`: past its end by a margin (cancelled at the end).
    pub fn auction_seconds(seconds: f64, reply_timeout: Duration) -> u64 {
        (seconds + reply_timeout.as_secs_f64()).ceil() as u64 + 120
    }
}
