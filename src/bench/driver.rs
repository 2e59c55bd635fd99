//! Plays the simulated users: builds each update, delivers it through the
//! server's real intake, and times the answer.
//!
//! Timing an update → reply needs the bot's reply to *that* user. Every bot
//! call the emulator answers arrives on one broadcast channel
//! ([`dianabot_emulator::BotCall`]); [`Driver::observe`] files it under the
//! user whose private chat it addresses, keeping that user's view (message
//! and buttons, which the next story step presses) and waking the step
//! waiting for it. A user never has two steps in flight, which is both what
//! a person does and what makes "the next edit of this message" an
//! unambiguous reply.
//!
//! Acknowledgement is the webhook's 200 in webhook mode; in polling mode it
//! is the server's next getUpdates whose offset passes the update (the
//! offset only advances past durable updates).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use dianabot_emulator::{BotCall, Delivery, EmulatorHandle, Injected};
use serde_json::{Value, json};
use tokio::sync::{broadcast, oneshot};
use tokio::task::JoinSet;

use crate::bench::BenchError;
use crate::bench::record::{Phase, Recorder};
use crate::bench::scenario::{self, Answer, Mix, Scenario};
use crate::bench::target::IntakeMode;

/// The harness's knowledge of one simulated user.
#[derive(Default)]
struct UserView {
    /// The bot's last message to the user and its buttons `(label, data)`.
    message_id: Option<i32>,
    buttons: Vec<(String, String)>,
    /// Reactions made so far (which post and emoji comes next).
    reactions: u64,
    /// Story steps so far (with the seed, which open decision is taken).
    presses: u64,
    waiter: Option<Waiter>,
}

/// A step waiting for the bot's reply.
struct Waiter {
    answer: Answer,
    message_id: Option<i32>,
    reply: oneshot::Sender<Result<Instant, String>>,
}

/// Polling mode: steps waiting for their update's offset confirmation.
#[derive(Default)]
struct AckBook {
    confirmed_below: u32,
    waiting: BTreeMap<u32, oneshot::Sender<Instant>>,
}

/// Why a step failed; the report counts them by [`StepError::kind`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    #[error("no button to press: the user's view of the bot is lost")]
    NoButton,
    #[error("the emulator refused to create the update: {0}")]
    Inject(String),
    #[error("webhook answered HTTP {0}")]
    Http(u16),
    #[error("webhook request failed: {0}")]
    Transport(&'static str),
    #[error("not acknowledged in time")]
    AckTimeout,
    #[error("no reply in time")]
    ReplyTimeout,
    #[error("the bot's reply failed at Telegram: {0}")]
    ReplyFailed(String),
}

impl StepError {
    pub fn kind(&self) -> String {
        match self {
            StepError::NoButton => "no_button".to_owned(),
            StepError::Inject(_) => "inject_refused".to_owned(),
            StepError::Http(status) => format!("http_{status}"),
            StepError::Transport(kind) => format!("transport_{kind}"),
            StepError::AckTimeout => "ack_timeout".to_owned(),
            StepError::ReplyTimeout => "reply_timeout".to_owned(),
            StepError::ReplyFailed(_) => "reply_failed".to_owned(),
        }
    }
}

/// A finished step.
pub struct Done {
    /// Intended send → answer (reply, or acknowledgement when silent).
    pub latency: Duration,
    pub at: Instant,
    /// Reactions: whether the game will pay it (not a repeat).
    pub fresh: Option<bool>,
}

pub struct DriverConfig {
    pub intake: IntakeMode,
    pub webhook_url: String,
    pub secret: String,
    pub user_id_base: u64,
    pub users: usize,
    pub reply_timeout: Duration,
    pub seed: u64,
}

pub struct Driver {
    pub emulator: Arc<EmulatorHandle>,
    pub client: reqwest::Client,
    config: DriverConfig,
    users: Vec<Mutex<UserView>>,
    channel: Value,
    posts: Vec<i32>,
    acks: Mutex<AckBook>,
    pub recorder: Mutex<Recorder>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Driver {
    pub fn new(
        emulator: Arc<EmulatorHandle>,
        client: reqwest::Client,
        config: DriverConfig,
        recorder: Recorder,
    ) -> Self {
        let users = (0..config.users).map(|_| Mutex::new(UserView::default())).collect();
        Driver {
            emulator,
            client,
            config,
            users,
            channel: Value::Null,
            posts: Vec::new(),
            acks: Mutex::default(),
            recorder: Mutex::new(recorder),
        }
    }

    /// Where reactions go: the channel's Bot API `Chat`.
    pub fn set_channel(&mut self, channel: Value) {
        self.channel = channel;
    }

    /// Publishes `count` posts in the channel, each delivered to the server
    /// and acknowledged (set-up: counted, not timed).
    pub async fn publish_posts(&mut self, count: usize) -> Result<(), BenchError> {
        let delivery = match self.config.intake {
            IntakeMode::Webhook => Delivery::Return,
            IntakeMode::Polling => Delivery::Queue,
        };
        let chat_id = self.channel["id"].as_i64().ok_or_else(|| BenchError::Emulator("a channel without id".into()))?;
        let fail = |what: String| BenchError::Emulator(format!("publishing a post: {what}"));
        for post in 0..count {
            let text = format!("Diana, post {post}");
            let injected =
                self.emulator.inject_channel_post(chat_id, &text, delivery).map_err(|err| fail(err.to_string()))?;
            if self.config.intake == IntakeMode::Webhook {
                self.deliver(&injected).await.map_err(|err| fail(err.to_string()))?;
            }
            self.posts.push(injected.message_id.ok_or_else(|| fail("no message id".into()))?);
        }
        // Long polling: the server confirms them by asking for the next offset.
        let deadline = Instant::now() + self.config.reply_timeout;
        while self.emulator.pending_updates() > 0 {
            if Instant::now() > deadline {
                return Err(fail("the server did not fetch the channel posts in time".into()));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        lock(&self.recorder).published += count as u64;
        Ok(())
    }

    pub fn user_id(&self, index: usize) -> u64 {
        self.config.user_id_base + index as u64
    }

    fn index_of(&self, chat_id: i64) -> Option<usize> {
        let offset = u64::try_from(chat_id).ok()?.checked_sub(self.config.user_id_base)?;
        usize::try_from(offset).ok().filter(|index| *index < self.users.len())
    }

    fn user_json(&self, index: usize) -> Value {
        json!({"id": self.user_id(index), "is_bot": false, "first_name": format!("Bench {index}"), "language_code": "es"})
    }

    /// Files every bot call until the emulator stops or `stop` is set.
    pub async fn observe_calls(self: Arc<Self>, mut calls: broadcast::Receiver<BotCall>, stop: Arc<AtomicBool>) {
        loop {
            let call = tokio::select! {
                call = calls.recv() => call,
                () = tokio::time::sleep(Duration::from_millis(200)) => {
                    if stop.load(Ordering::Relaxed) { return } else { continue }
                }
            };
            match call {
                Ok(call) => self.observe(call),
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    lock(&self.recorder).telegram_error("observations_lost", missed);
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }

    fn observe(&self, call: BotCall) {
        if let Some(error) = &call.error {
            lock(&self.recorder).telegram_error(&format!("{}: {error}", call.method), 1);
        }
        match call.method.as_str() {
            "getupdates" => {
                if let Some(offset) = call.offset.and_then(|offset| u32::try_from(offset).ok()) {
                    self.confirm_below(offset, call.at);
                }
            }
            "sendmessage" | "editmessagetext" => {
                let Some(index) = call.chat_id.and_then(|chat| self.index_of(chat)) else { return };
                let mut view = lock(&self.users[index]);
                let buttons: Vec<(String, String)> = call
                    .buttons
                    .iter()
                    .filter_map(|button| Some((button.text.clone(), button.callback_data.clone()?)))
                    .collect();
                // The page story steps press on: a message that leads on in
                // the story (not a refusal, not a shop receipt).
                if call.error.is_none() && scenario::story_button(&buttons, |_| 0).is_some() {
                    view.message_id = call.message_id;
                    view.buttons = buttons;
                }
                let expected = match view.waiter.as_ref().map(|waiter| waiter.answer) {
                    Some(Answer::NewMessage) => call.method == "sendmessage",
                    Some(Answer::Edit) => {
                        call.method == "editmessagetext"
                            && view.waiter.as_ref().is_some_and(|waiter| waiter.message_id == call.message_id)
                    }
                    Some(Answer::Ack) | None => false,
                };
                // A 429 is retried by the bot: the reply is late, not lost.
                if expected
                    && call.status != 429
                    && let Some(waiter) = view.waiter.take()
                {
                    let _ = waiter.reply.send(call.error.map_or(Ok(call.at), Err));
                }
            }
            _ => {}
        }
    }

    fn confirm_below(&self, offset: u32, at: Instant) {
        let confirmed = {
            let mut book = lock(&self.acks);
            if offset <= book.confirmed_below {
                return;
            }
            book.confirmed_below = offset;
            let later = book.waiting.split_off(&offset);
            std::mem::replace(&mut book.waiting, later)
        };
        for (_, ack) in confirmed {
            let _ = ack.send(at);
        }
    }

    /// Polling: a receiver for the confirmation of `update_id`, or the
    /// confirmation itself if it already happened.
    fn expect_ack(&self, update_id: u32) -> Result<Instant, oneshot::Receiver<Instant>> {
        let mut book = lock(&self.acks);
        if update_id < book.confirmed_below {
            return Ok(Instant::now());
        }
        let (tx, rx) = oneshot::channel();
        book.waiting.insert(update_id, tx);
        Err(rx)
    }

    /// One step of user `index`: build, deliver, wait for the answer, record.
    pub async fn step(&self, index: usize, scenario: Scenario, phase: Phase, intended: Instant) {
        let outcome = self.run_step(index, scenario).await;
        let mut recorder = lock(&self.recorder);
        match outcome {
            Ok(mut done) => {
                done.latency = done.at.saturating_duration_since(intended);
                recorder.done(phase, scenario, &done);
            }
            Err(error) => recorder.failed(phase, scenario, &error, Instant::now()),
        }
    }

    async fn run_step(&self, index: usize, scenario: Scenario) -> Result<Done, StepError> {
        let delivery = match self.config.intake {
            IntakeMode::Webhook => Delivery::Return,
            IntakeMode::Polling => Delivery::Queue,
        };
        let user_id = self.user_id(index);
        let answer = scenario.answer();
        let mut fresh = None;
        let (reply, injected) = match scenario {
            Scenario::Reaction => {
                let k = {
                    let mut view = lock(&self.users[index]);
                    view.reactions += 1;
                    view.reactions - 1
                };
                let (post, old, new, is_fresh) = scenario::reaction_step(k, self.posts.len());
                fresh = Some(is_fresh);
                let post = self.posts.get(post).copied().unwrap_or(1);
                let date = chrono_now();
                let payload = scenario::reaction_payload(&self.channel, &self.user_json(index), post, old, new, date);
                (None, self.emulator.inject_update("message_reaction", payload, delivery))
            }
            Scenario::Start | Scenario::DailyGift | Scenario::Purchase => {
                let text = scenario.command_text().unwrap_or("/start");
                let reply = self.wait_reply(index, answer, None);
                (Some(reply), self.emulator.inject_user_message(user_id, text, delivery))
            }
            _ => {
                let (message_id, data) = {
                    let mut view = lock(&self.users[index]);
                    view.presses += 1;
                    let seed = self.config.seed ^ user_id.rotate_left(17) ^ view.presses;
                    let pick = |open: usize| fastrand::Rng::with_seed(seed).usize(..open.max(1));
                    let data = scenario::story_button(&view.buttons, pick).map(str::to_owned);
                    (view.message_id, data)
                };
                let (Some(message_id), Some(data)) = (message_id, data) else { return Err(StepError::NoButton) };
                let reply = self.wait_reply(index, answer, Some(message_id));
                let chat_id = user_id as i64;
                (Some(reply), self.emulator.inject_button_press(user_id, chat_id, message_id, &data, delivery))
            }
        };
        let injected = match injected {
            Ok(injected) => injected,
            Err(err) => {
                lock(&self.users[index]).waiter = None;
                return Err(StepError::Inject(err.to_string()));
            }
        };
        let acked_at = match self.deliver(&injected).await {
            Ok(at) => at,
            Err(error) => {
                lock(&self.users[index]).waiter = None;
                return Err(error);
            }
        };
        lock(&self.recorder).acked(scenario);
        let at = match reply {
            None => acked_at,
            // The reply may even come before the acknowledgement; either
            // way, its time is what the user sees.
            Some(reply) => match tokio::time::timeout(self.config.reply_timeout, reply).await {
                Ok(Ok(Ok(at))) => at,
                Ok(Ok(Err(description))) => return Err(StepError::ReplyFailed(description)),
                Ok(Err(_)) | Err(_) => {
                    lock(&self.users[index]).waiter = None;
                    return Err(StepError::ReplyTimeout);
                }
            },
        };
        Ok(Done { latency: Duration::ZERO, at, fresh })
    }

    /// Registers for the user's next reply (before the update can reach the server).
    fn wait_reply(
        &self,
        index: usize,
        answer: Answer,
        message_id: Option<i32>,
    ) -> oneshot::Receiver<Result<Instant, String>> {
        let (reply, receiver) = oneshot::channel();
        lock(&self.users[index]).waiter = Some(Waiter { answer, message_id, reply });
        receiver
    }

    /// Hands the update to the server; `Ok(when it was acknowledged)`.
    async fn deliver(&self, injected: &Injected) -> Result<Instant, StepError> {
        match self.config.intake {
            IntakeMode::Webhook => {
                let body = serde_json::to_vec(&*injected.update).map_err(|_| StepError::Transport("encode"))?;
                let response = self
                    .client
                    .post(&self.config.webhook_url)
                    .header("content-type", "application/json")
                    .header(crate::telegram::webhook::SECRET_HEADER, &self.config.secret)
                    .body(body)
                    .send()
                    .await
                    .map_err(|err| {
                        StepError::Transport(if err.is_timeout() {
                            "timeout"
                        } else if err.is_connect() {
                            "connect"
                        } else {
                            "other"
                        })
                    })?;
                let status = response.status();
                // Read the (empty) body so the connection goes back to the pool.
                let _ = response.bytes().await;
                if status.is_success() { Ok(Instant::now()) } else { Err(StepError::Http(status.as_u16())) }
            }
            IntakeMode::Polling => match self.expect_ack(injected.update_id) {
                Ok(at) => Ok(at),
                Err(ack) => match tokio::time::timeout(self.config.reply_timeout, ack).await {
                    Ok(Ok(at)) => Ok(at),
                    Ok(Err(_)) | Err(_) => Err(StepError::AckTimeout),
                },
            },
        }
    }

    /// Set-up of one user: /start, then through onboarding to the menu.
    pub async fn onboard(&self, index: usize) {
        self.step(index, Scenario::Start, Phase::Setup, Instant::now()).await;
        for _ in 0..4 {
            if scenario::on_menu(&lock(&self.users[index]).buttons) {
                return;
            }
            self.step(index, Scenario::Story, Phase::Setup, Instant::now()).await;
        }
    }

    /// Closed loop: `workers` workers, each owning every `workers`-th user,
    /// each sending its next step as soon as the previous one is answered.
    pub async fn closed_loop(
        self: &Arc<Self>,
        workers: usize,
        mix: &Mix,
        seed: u64,
        warmup_end: Instant,
        end: Instant,
    ) {
        let workers = workers.clamp(1, self.users.len().max(1));
        let mut tasks = JoinSet::new();
        for worker in 0..workers {
            let driver = self.clone();
            let mix = mix.clone();
            tasks.spawn(async move {
                let mut rng = fastrand::Rng::with_seed(seed.wrapping_add(worker as u64));
                let mut index = worker;
                loop {
                    let now = Instant::now();
                    if now >= end {
                        return;
                    }
                    let phase = if now < warmup_end { Phase::Warmup } else { Phase::Measure };
                    driver.step(index, mix.pick(&mut rng), phase, now).await;
                    index += workers;
                    if index >= driver.users.len() {
                        index = worker;
                    }
                }
            });
        }
        while tasks.join_next().await.is_some() {}
    }

    /// Open loop at `rate` updates/s: step k is due at start + k/rate and its
    /// latency counts from then, even when the harness or a busy user makes
    /// it late (no coordinated omission). A user has one step in flight at
    /// most, and at most `max_in_flight` steps are in flight, as Telegram
    /// caps concurrent webhook deliveries (`max_connections`); a step waits
    /// for both, and the wait is part of its latency.
    pub async fn open_loop(
        self: &Arc<Self>,
        rate: f64,
        max_in_flight: usize,
        mix: &Mix,
        seed: u64,
        warmup_end: Instant,
        end: Instant,
    ) {
        let slots = Arc::new(tokio::sync::Semaphore::new(max_in_flight.max(1)));
        let start = Instant::now();
        let mut rng = fastrand::Rng::with_seed(seed);
        let (idle_tx, mut idle_rx) = tokio::sync::mpsc::unbounded_channel();
        let mut order: Vec<usize> = (0..self.users.len()).collect();
        rng.shuffle(&mut order);
        for index in order {
            let _ = idle_tx.send(index);
        }
        let mut tasks = JoinSet::new();
        let mut issued: u64 = 0;
        'schedule: loop {
            let now = Instant::now();
            if now >= end {
                break;
            }
            let due = (now.duration_since(start).as_secs_f64() * rate) as u64;
            while issued < due {
                let intended = start + Duration::from_secs_f64(issued as f64 / rate);
                if intended >= end || Instant::now() >= end {
                    break 'schedule;
                }
                let Ok(slot) = slots.clone().acquire_owned().await else { return };
                let Some(index) = idle_rx.recv().await else { return };
                let phase = if intended < warmup_end { Phase::Warmup } else { Phase::Measure };
                let scenario = mix.pick(&mut rng);
                let driver = self.clone();
                let idle = idle_tx.clone();
                tasks.spawn(async move {
                    driver.step(index, scenario, phase, intended).await;
                    drop(slot);
                    let _ = idle.send(index);
                });
                issued += 1;
            }
            while tasks.try_join_next().is_some() {}
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // Steps due before the end that the harness could not send in time
        // (no free slot or user): the schedule was not kept, which the
        // report must show rather than run on past the window.
        let scheduled = (end.duration_since(start).as_secs_f64() * rate) as u64;
        let missed = scheduled.saturating_sub(issued);
        if missed > 0 {
            let warmup_due = (warmup_end.saturating_duration_since(start).as_secs_f64() * rate) as u64;
            let phase = if issued < warmup_due { Phase::Warmup } else { Phase::Measure };
            lock(&self.recorder).not_sent(phase, missed, end);
        }
        while tasks.join_next().await.is_some() {}
    }
}

/// Unix seconds, for the `date` of a built update.
fn chrono_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
