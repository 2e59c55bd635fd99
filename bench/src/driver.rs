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
//! unambiguous reply. Gifts and bids also write to other players (the
//! receiver, the bidder outbid) whenever they happen: those notices are set
//! aside by their text before anything is matched ([`crate::replies`]),
//! so "the next new message in the chat" stays the reply of a typed command.
//!
//! Bids need auctions and besitos: the harness plays an operator too
//! ([`OPERATOR_ID`], given to the server as `ADMIN_IDS`), who opens the
//! auctions and grants every user besitos in set-up and cancels the
//! auctions at the end, through the same intake.
//!
//! Acknowledgement is the webhook's 200 in webhook mode; in polling mode it
//! is the server's next getUpdates whose offset passes the update (the
//! offset only advances past durable updates).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use dianabot_emulator::{BotCall, ControlError, Delivery, EmulatorHandle, Injected};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::sync::{broadcast, oneshot};
use tokio::task::JoinSet;

use crate::record::{Phase, Recorder};
use crate::replies::{self, ReplyTemplates};
use crate::scenario::{self, Answer, Mix, Scenario};
use crate::target::IntakeMode;
use crate::{BenchError, SECRET_HEADER};

/// The Telegram id of the harness's operator: below every simulated user
/// (ids from 10 000 000 000 up) and fixed, so a server started separately
/// can be given it as `ADMIN_IDS` once for every run.
pub const OPERATOR_ID: u64 = 9_999_999_999;

/// Besitos set-up grants each user when the mix bids: more than a long run's
/// auctions climb to, so bids are refused for losing a race, not for funds.
pub const BID_FUNDS: i64 = 1_000_000;

/// The item the operator auctions (any item of the demo content would do).
const AUCTION_ITEM: &str = "reloj_bolsillo";
/// Starting bid and minimum increment of the operator's auctions.
const AUCTION_START: i64 = 1;
const AUCTION_INCREMENT: i64 = 1;

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
    /// Gifts and bids so far (with the seed, who receives, which auction).
    gifts: u64,
    bids: u64,
    waiter: Option<Waiter>,
}

/// A step waiting for the bot's reply.
struct Waiter {
    answer: Answer,
    message_id: Option<i32>,
    reply: oneshot::Sender<Result<Reply, String>>,
}

/// The bot's answer to a step: when it reached Telegram, and what it says.
struct Reply {
    at: Instant,
    text: String,
    buttons: Vec<(String, String)>,
}

/// An auction the operator opened, and the least it takes as far as the
/// users have seen (the highest minimum any reply's bid button showed).
struct AuctionBook {
    id: i64,
    minimum: AtomicI64,
}

/// Replies in the operator's chat that no step waited for: the reports of
/// `/grant`, which set-up sends many at once and counts.
#[derive(Default)]
struct Grants {
    done: u64,
    refused: Vec<String>,
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
    #[error("the bot's reply is not an answer to this step: {0:?}")]
    UnexpectedReply(String),
    #[error("no auction to bid on")]
    NoAuction,
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
            StepError::UnexpectedReply(_) => "unexpected_reply".to_owned(),
            StepError::NoAuction => "no_auction".to_owned(),
        }
    }
}

/// A finished step.
pub struct Done {
    /// Intended send → answer (reply, or acknowledgement when silent).
    pub latency: Duration,
    pub at: Instant,
    /// What the game made of it, where the report tells: a reaction paid
    /// (not a repeat), a gift delivered, a bid accepted — or refused.
    pub verdict: Option<bool>,
}

pub struct DriverConfig {
    pub intake: IntakeMode,
    pub webhook_url: String,
    pub secret: String,
    pub user_id_base: u64,
    pub users: usize,
    pub reply_timeout: Duration,
    pub seed: u64,
    /// The server's texts, to tell notices, replies and verdicts apart.
    pub replies: ReplyTemplates,
    /// Webhook: re-deliver an update the server did not acknowledge (an
    /// answer of 5xx or 429, no answer) for up to this long, as Telegram
    /// does; `None` counts the first failure as the step's error.
    pub redeliver: Option<Duration>,
    /// Keep every acknowledged update ([`Recorder::acked_updates`]), for
    /// callers that check each one's effect.
    pub log_acks: bool,
}

pub struct Driver {
    pub emulator: Arc<EmulatorHandle>,
    pub client: reqwest::Client,
    config: DriverConfig,
    users: Vec<Mutex<UserView>>,
    /// The operator's chat ([`OPERATOR_ID`]).
    operator: Mutex<UserView>,
    grants: Mutex<Grants>,
    /// Set once, by [`Driver::open_auctions`].
    auctions: OnceLock<Vec<AuctionBook>>,
    channel: Value,
    posts: Vec<i32>,
    acks: Mutex<AckBook>,
    /// Set by [`Driver::stop`]: the closed loop sends no further step.
    stopped: AtomicBool,
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
            operator: Mutex::default(),
            grants: Mutex::default(),
            auctions: OnceLock::new(),
            channel: Value::Null,
            posts: Vec::new(),
            acks: Mutex::default(),
            stopped: AtomicBool::new(false),
            recorder: Mutex::new(recorder),
        }
    }

    /// Ends the closed loop early: steps in flight finish, no new one starts.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Relaxed);
    }

    fn stopped(&self) -> bool {
        self.stopped.load(Ordering::Relaxed)
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

    /// The chat's view: a simulated user's, or the operator's (`true`).
    fn view_of(&self, chat_id: i64) -> Option<(&Mutex<UserView>, bool)> {
        if chat_id == OPERATOR_ID as i64 {
            return Some((&self.operator, true));
        }
        self.index_of(chat_id).map(|index| (&self.users[index], false))
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
        // An edit to what the message already shows changes nothing the
        // player sees (a press delivered again re-renders its page).
        if let Some(error) = call.error.as_ref().filter(|error| !error.contains("message is not modified")) {
            lock(&self.recorder).telegram_error(&format!("{}: {error}", call.method), 1);
        }
        match call.method.as_str() {
            "getupdates" => {
                if let Some(offset) = call.offset.and_then(|offset| u32::try_from(offset).ok()) {
                    self.confirm_below(offset, call.at);
                }
            }
            "sendmessage" | "editmessagetext" => {
                let Some((view, operator)) = call.chat_id.and_then(|chat| self.view_of(chat)) else { return };
                // Someone else's gift or bid: counted, and never a reply.
                let notice = self.config.replies.notice(&call.method, call.text.as_deref());
                if let Some(notice) = notice
                    && call.status != 429
                {
                    lock(&self.recorder).notice(notice);
                }
                let mut view = lock(view);
                let mut buttons: Vec<(String, String)> = call
                    .buttons
                    .iter()
                    .filter_map(|button| Some((button.text.clone(), button.callback_data.clone()?)))
                    .collect();
                let expected = view.waiter.as_ref().is_some_and(|waiter| {
                    replies::answers(waiter.answer, waiter.message_id, &call.method, call.message_id, notice.is_some())
                });
                // The page story steps press on: a message that leads on in
                // the story (not a refusal, not a shop receipt, not a notice).
                if call.error.is_none() && notice.is_none() && scenario::story_button(&buttons, |_| 0).is_some() {
                    view.message_id = call.message_id;
                    view.buttons = if expected { buttons.clone() } else { std::mem::take(&mut buttons) };
                }
                // A 429 is retried by the bot: the reply is late, not lost.
                if call.status == 429 {
                    return;
                }
                if expected && let Some(waiter) = view.waiter.take() {
                    let reply = Reply { at: call.at, text: call.text.unwrap_or_default(), buttons };
                    let _ = waiter.reply.send(call.error.map_or(Ok(reply), Err));
                } else if operator && call.method == "sendmessage" {
                    // Nothing waits in the operator's chat while set-up
                    // grants besitos: this is a grant's report.
                    let text = call.text.unwrap_or_default();
                    let mut grants = lock(&self.grants);
                    if call.error.is_none() && self.config.replies.granted(&text) {
                        grants.done += 1;
                    } else {
                        grants.refused.push(call.error.unwrap_or(text));
                    }
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
        let delivery = self.delivery();
        let user_id = self.user_id(index);
        let slot = &self.users[index];
        let answer = scenario.answer();
        let mut verdict = None;
        let mut bid_on = None;
        let (reply, injected) = match scenario {
            Scenario::Reaction => {
                let k = {
                    let mut view = lock(slot);
                    view.reactions += 1;
                    view.reactions - 1
                };
                let (post, old, new, fresh) = scenario::reaction_step(k, self.posts.len());
                verdict = Some(fresh);
                let post = self.posts.get(post).copied().unwrap_or(1);
                let date = chrono_now();
                let payload = scenario::reaction_payload(&self.channel, &self.user_json(index), post, old, new, date);
                (None, self.emulator.inject_update("message_reaction", payload, delivery))
            }
            Scenario::Start | Scenario::DailyGift | Scenario::Purchase | Scenario::Gift | Scenario::AuctionBid => {
                let text = match scenario {
                    Scenario::Gift => {
                        let k = {
                            let mut view = lock(slot);
                            view.gifts += 1;
                            view.gifts - 1
                        };
                        let to = scenario::gift_receiver(self.config.seed, index, k, self.users.len());
                        scenario::gift_text(self.user_id(to), 1)
                    }
                    Scenario::AuctionBid => {
                        let k = {
                            let mut view = lock(slot);
                            view.bids += 1;
                            view.bids - 1
                        };
                        let books = self.auctions.get().map_or(&[][..], Vec::as_slice);
                        let (pick, above) = scenario::bid_choice(self.config.seed, index, k, books.len());
                        let book = books.get(pick).ok_or(StepError::NoAuction)?;
                        bid_on = Some(book);
                        let amount = book.minimum.load(Ordering::Relaxed) + above * AUCTION_INCREMENT;
                        scenario::bid_text(book.id, amount)
                    }
                    _ => scenario.command_text().unwrap_or("/start").to_owned(),
                };
                let reply = self.wait_reply(slot, answer, None);
                (Some(reply), self.emulator.inject_user_message(user_id, &text, delivery))
            }
            _ => {
                let (message_id, data) = {
                    let mut view = lock(slot);
                    view.presses += 1;
                    let seed = self.config.seed ^ user_id.rotate_left(17) ^ view.presses;
                    let pick = |open: usize| fastrand::Rng::with_seed(seed).usize(..open.max(1));
                    let data = scenario::story_button(&view.buttons, pick).map(str::to_owned);
                    (view.message_id, data)
                };
                let (Some(message_id), Some(data)) = (message_id, data) else { return Err(StepError::NoButton) };
                let reply = self.wait_reply(slot, answer, Some(message_id));
                let chat_id = user_id as i64;
                (Some(reply), self.emulator.inject_button_press(user_id, chat_id, message_id, &data, delivery))
            }
        };
        let (acked_at, reply) = self.exchange(slot, scenario, injected, reply).await?;
        let Some(reply) = reply else { return Ok(Done { latency: Duration::ZERO, at: acked_at, verdict }) };
        let unexpected = || StepError::UnexpectedReply(reply.text.clone());
        match scenario {
            Scenario::Gift => verdict = Some(self.config.replies.gift_verdict(&reply.text).ok_or_else(unexpected)?),
            Scenario::AuctionBid => {
                if let Some(book) = bid_on
                    && let Some(minimum) = replies::bid_minimum(&reply.buttons, book.id)
                {
                    book.minimum.fetch_max(minimum, Ordering::Relaxed);
                }
                verdict = Some(self.config.replies.bid_verdict(&reply.text).ok_or_else(unexpected)?);
            }
            _ => {}
        }
        Ok(Done { latency: Duration::ZERO, at: reply.at, verdict })
    }

    fn delivery(&self) -> Delivery {
        match self.config.intake {
            IntakeMode::Webhook => Delivery::Return,
            IntakeMode::Polling => Delivery::Queue,
        }
    }

    /// Delivers an update made for the chat of `slot` and waits for its
    /// acknowledgement and, if `reply` is given, the bot's reply (which may
    /// even come first; either way its time is what the user sees).
    async fn exchange(
        &self,
        slot: &Mutex<UserView>,
        scenario: Scenario,
        injected: Result<Injected, ControlError>,
        reply: Option<oneshot::Receiver<Result<Reply, String>>>,
    ) -> Result<(Instant, Option<Reply>), StepError> {
        let injected = injected.map_err(|err| {
            lock(slot).waiter = None;
            StepError::Inject(err.to_string())
        })?;
        let acked_at = self.deliver(&injected).await.inspect_err(|_| lock(slot).waiter = None)?;
        let logged = self.config.log_acks.then(|| {
            let user = injected.update.as_object().and_then(|update| update.values().find_map(sender));
            (injected.update_id, user.unwrap_or(0))
        });
        lock(&self.recorder).acked(scenario, logged);
        let Some(reply) = reply else { return Ok((acked_at, None)) };
        match tokio::time::timeout(self.config.reply_timeout, reply).await {
            Ok(Ok(Ok(reply))) => Ok((acked_at, Some(reply))),
            Ok(Ok(Err(description))) => Err(StepError::ReplyFailed(description)),
            Ok(Err(_)) | Err(_) => {
                lock(slot).waiter = None;
                Err(StepError::ReplyTimeout)
            }
        }
    }

    /// Registers for the chat's next reply (before the update can reach the server).
    fn wait_reply(
        &self,
        slot: &Mutex<UserView>,
        answer: Answer,
        message_id: Option<i32>,
    ) -> oneshot::Receiver<Result<Reply, String>> {
        let (reply, receiver) = oneshot::channel();
        lock(slot).waiter = Some(Waiter { answer, message_id, reply });
        receiver
    }

    /// One command typed by the operator, recorded as a set-up step; with
    /// `reply`, waits for the answer in the operator's chat and returns its
    /// text (when it `fits`, else the step fails with it).
    async fn operate(
        &self,
        text: &str,
        reply: bool,
        fits: fn(&ReplyTemplates, &str) -> bool,
    ) -> Result<String, StepError> {
        let slot = &self.operator;
        let waiting = reply.then(|| self.wait_reply(slot, Answer::NewMessage, None));
        let injected = self.emulator.inject_user_message(OPERATOR_ID, text, self.delivery());
        let outcome =
            self.exchange(slot, Scenario::Operator, injected, waiting).await.and_then(|(at, reply)| match reply {
                Some(reply) if !fits(&self.config.replies, &reply.text) => Err(StepError::UnexpectedReply(reply.text)),
                reply => Ok((at, reply.map(|reply| reply.text).unwrap_or_default())),
            });
        let mut recorder = lock(&self.recorder);
        match outcome {
            // Grants (no reply awaited) are counted done when their report arrives.
            Ok((at, text)) => {
                if reply {
                    recorder.done(
                        Phase::Setup,
                        Scenario::Operator,
                        &Done { latency: Duration::ZERO, at, verdict: None },
                    );
                }
                Ok(text)
            }
            Err(error) => {
                recorder.failed(Phase::Setup, Scenario::Operator, &error, Instant::now());
                Err(error)
            }
        }
    }

    /// Set-up for bids, first part: the operator grants every user
    /// [`BID_FUNDS`] besitos, `concurrency` at a time; grants refused are
    /// set-up errors.
    pub async fn fund_users(&self, concurrency: usize) {
        let sent = AtomicU64::new(0);
        futures_util::stream::iter(0..self.users.len())
            .for_each_concurrent(concurrency.max(1), |index| {
                let command = format!("/grant {} {BID_FUNDS}", self.user_id(index));
                let sent = &sent;
                async move {
                    if self.operate(&command, false, |_, _| true).await.is_ok() {
                        sent.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
            .await;
        // Every acknowledged grant is durable and its report on its way.
        let sent = sent.into_inner();
        let deadline = Instant::now() + self.config.reply_timeout;
        loop {
            let reported = {
                let grants = lock(&self.grants);
                grants.done + grants.refused.len() as u64
            };
            if reported >= sent || Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // A grant acknowledged is durable: done unless its report says it
        // was refused. A report may never come — the server drops replies
        // a flooded chat (the operator's, 64 grants at a time) cannot take
        // in time (`dianabot_telegram_outbound_dropped_total`).
        let grants = std::mem::take(&mut *lock(&self.grants));
        let mut recorder = lock(&self.recorder);
        let done = Done { latency: Duration::ZERO, at: Instant::now(), verdict: None };
        for _ in 0..sent.saturating_sub(grants.refused.len() as u64) {
            recorder.done(Phase::Setup, Scenario::Operator, &done);
        }
        for text in grants.refused {
            recorder.failed(Phase::Setup, Scenario::Operator, &StepError::UnexpectedReply(text), Instant::now());
        }
    }

    /// Set-up for bids, second part: the operator opens `count` auctions
    /// lasting `seconds` (past the end of the run), one at a time. One that
    /// does not open fails the set-up: most likely the server does not have
    /// [`OPERATOR_ID`] in `ADMIN_IDS`.
    pub async fn open_auctions(&self, count: usize, seconds: u64) -> Result<(), String> {
        let mut books = Vec::with_capacity(count);
        for _ in 0..count {
            let command = format!("/subasta {AUCTION_ITEM} {AUCTION_START} {seconds}s {AUCTION_INCREMENT}");
            let report = self.operate(&command, true, ReplyTemplates::auction_opened).await.map_err(|error| {
                format!("the operator's {command:?} failed ({error}); is ADMIN_IDS={OPERATOR_ID} set on the server?")
            })?;
            // The auction's id is the server's own; the report names it.
            let id = auction_id(&report).ok_or_else(|| format!("no auction id in the report {report:?}"))?;
            books.push(AuctionBook { id, minimum: AtomicI64::new(AUCTION_START) });
        }
        let _ = self.auctions.set(books);
        Ok(())
    }

    /// Tear-down: the operator cancels the auctions, so none is left open
    /// (with its top bids held) to close later under a server that no
    /// longer knows these users. Failures are set-up errors.
    pub async fn cancel_auctions(&self) {
        for book in self.auctions.get().map_or(&[][..], Vec::as_slice) {
            let _ =
                self.operate(&format!("/cancelarsubasta {}", book.id), true, ReplyTemplates::auction_cancelled).await;
        }
    }

    /// Hands the update to the server; `Ok(when it was acknowledged)`.
    async fn deliver(&self, injected: &Injected) -> Result<Instant, StepError> {
        match self.config.intake {
            IntakeMode::Webhook => {
                let body = serde_json::to_vec(&*injected.update).map_err(|_| StepError::Transport("encode"))?;
                let give_up = self.config.redeliver.map(|window| Instant::now() + window);
                let mut backoff = Duration::from_millis(50);
                loop {
                    let error = match self.post_webhook(body.clone()).await {
                        Ok(at) => return Ok(at),
                        Err(error) => error,
                    };
                    // Telegram tries again after a server error or no answer;
                    // any other refusal would be refused again.
                    let transient = matches!(error, StepError::Transport(_) | StepError::Http(429 | 500..=599));
                    match give_up {
                        Some(deadline) if transient && Instant::now() + backoff < deadline => {
                            lock(&self.recorder).redeliveries += 1;
                            tokio::time::sleep(backoff).await;
                            backoff = (backoff * 2).min(Duration::from_secs(1));
                        }
                        _ => return Err(error),
                    }
                }
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

    /// One POST of an update to the webhook; `Ok` when answered 2xx.
    async fn post_webhook(&self, body: Vec<u8>) -> Result<Instant, StepError> {
        let response = self
            .client
            .post(&self.config.webhook_url)
            .header("content-type", "application/json")
            .header(SECRET_HEADER, &self.config.secret)
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

    /// Set-up of one user: /start, then (`to_menu`) through onboarding to
    /// the menu; without, the first story steps walk the onboarding.
    pub async fn onboard(&self, index: usize, to_menu: bool) {
        self.step(index, Scenario::Start, Phase::Setup, Instant::now()).await;
        for _ in 0..if to_menu { 4 } else { 0 } {
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
                    if now >= end || driver.stopped() {
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
            let due = (now.min(end).duration_since(start).as_secs_f64() * rate) as u64;
            while issued < due {
                let intended = start + Duration::from_secs_f64(issued as f64 / rate);
                if intended >= end {
                    break 'schedule;
                }
                let (slot, index) = if Instant::now() < end {
                    let Ok(slot) = slots.clone().acquire_owned().await else { return };
                    let Some(index) = idle_rx.recv().await else { return };
                    (slot, index)
                } else {
                    // The window closed while this loop slept: a step due
                    // inside it still goes (its latency counts from
                    // `intended`) if a slot and a user are free at once;
                    // waiting for one would be falling behind — `not_sent`.
                    let Ok(slot) = slots.clone().try_acquire_owned() else { break 'schedule };
                    let Ok(index) = idle_rx.try_recv() else { break 'schedule };
                    (slot, index)
                };
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
            if now >= end {
                break;
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

/// The Telegram user an update's payload comes from (`from`, or `user`
/// for a reaction).
fn sender(payload: &Value) -> Option<u64> {
    payload.get("from").or_else(|| payload.get("user"))?.get("id")?.as_u64()
}

/// The id in an auction's opening report (`… #<id> …`).
fn auction_id(report: &str) -> Option<i64> {
    let digits = report.split_once('#')?.1;
    let end = digits.find(|c: char| !c.is_ascii_digit()).unwrap_or(digits.len());
    digits[..end].parse().ok()
}

/// Unix seconds, for the `date` of a built update.
fn chrono_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
