//! Everything the bot sends goes through here: one scheduler that keeps the
//! bot inside Telegram's flood limits without reordering what a user sees.
//!
//! Telegram allows about one message per second into one chat (short bursts
//! tolerated) and about thirty per second overall; beyond that it answers
//! `429 Too Many Requests` with a `retry_after`, and that penalty is for the
//! whole bot, not one chat. Sending straight from the intake would hit those
//! limits under load, and independent tasks would reorder one chat's
//! messages. So every request is [submitted](Outbound::submit) to one
//! scheduler task, which applies these rules:
//!
//! 1. **Per-chat FIFO.** A chat's requests go out in submission order, one at
//!    a time: order in a chat is what the user sees, so nothing overtakes an
//!    earlier request to the same chat, not even an interactive one.
//! 2. **Per-chat pacing.** The next request to a chat starts no sooner than
//!    [`OutboundLimits::per_chat_interval`] after the *answer* to the previous
//!    one. Counting from the answer rather than the start costs one round trip
//!    per queued message, and in exchange the spacing holds as Telegram sees
//!    it, whatever the network delays.
//! 3. **Global rate.** At most [`OutboundLimits::global_per_second`] requests
//!    in any one-second window: a request counts from its start until one
//!    second after its answer, for the same reason.
//! 4. **Priority.** Callback answers first (the user's client shows a spinner
//!    until one arrives), then chats with an interactive request queued, then
//!    chats with only notifications or broadcasts ([`Priority::Bulk`]).
//!    Within a class chats take turns in the order they became ready. A
//!    flood of interactive traffic can therefore delay notifications and
//!    broadcasts indefinitely; that is the intended trade-off.
//! 5. **Flood control.** A 429 pauses the whole scheduler for `retry_after`
//!    and the refused request is retried first when it ends.
//! 6. **Edit coalescing.** An edit to a message that already has an edit
//!    queued replaces it: the user only ever sees the latest screen, and the
//!    replacement takes the newer edit's place in the queue so no state the
//!    bot never meant to show appears.
//! 7. **Concurrency.** Up to [`MAX_IN_FLIGHT`] requests are in flight at
//!    once, to different chats, so one slow request does not stall everyone.
//! 8. **Repeats.** A message identical to the one queued last in its chat
//!    (same text, keyboard and priority) is not queued again: the user would
//!    see the same words twice in a row.
//! 9. **Bounds.** At most [`OutboundLimits::max_per_chat`] requests wait in
//!    one chat and [`OutboundLimits::max_total`] overall. What makes room is
//!    decided by the request's kind (see [`OutboundRequest::droppable`]):
//!    the oldest notification first, then the oldest reply — in a chat, a
//!    reply the player has superseded by a newer command, so their latest
//!    command is always answered. A [`Priority::Receipt`] (a payment, a
//!    refund, an invoice) is never dropped; it may exceed a bound, and what
//!    produces receipts is limited upstream (purchases are rate limited).
//!
//! Failures: network errors are retried a bounded number of times (the
//! request may then arrive twice, if only its answer was lost); API errors
//! such as 400 or 403 are logged and dropped at once, since repeating them
//! cannot help; an edit refused as `message is not modified` already shows
//! what we wanted and counts as sent.
//!
//! **Memory:** updates are acknowledged before their replies are sent, so
//! nothing upstream bounds what waits here: one user sending 20,000 messages
//! in 4 s once queued 21,958 replies that would have taken six hours to
//! drain. Hence rule 9: [`Outbound::submit`] never blocks, and a reply that
//! cannot be sent soon enough to matter is dropped and counted
//! ([`OutboundStats::dropped_chat_bound`], [`OutboundStats::dropped_total_bound`]).
//! The game's effects are durable already; a dropped reply only loses the
//! words about them, which the player can ask for again. The submission
//! channel itself is emptied on every turn of the scheduler, so it holds only
//! what arrives between two turns. A chat's record is forgotten once its
//! queue is empty and its pacing interval has passed.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use teloxide_core::payloads::{
    AnswerCallbackQuerySetters, AnswerPreCheckoutQuerySetters, EditMessageTextSetters, SendDocumentSetters,
    SendMessageSetters,
};
use teloxide_core::prelude::Requester;
use teloxide_core::types::{
    CallbackQueryId, ChatId, InlineKeyboardMarkup, InputFile, LabeledPrice, MessageId, ParseMode, PreCheckoutQueryId,
};
use teloxide_core::{ApiError, Bot, RequestError};
use tokio::sync::{mpsc, oneshot};
use tokio::task::{Id as TaskId, JoinError, JoinSet};
use tokio::time::{Instant, sleep_until};
use tracing::Instrument;

/// Most requests in flight at once (each to a different chat, or a callback
/// answer). Enough to hide a slow round trip at 30 requests per second.
pub const MAX_IN_FLIGHT: usize = 8;

/// Attempts a request gets against network errors before it is dropped.
const MAX_ATTEMPTS: u32 = 3;

/// Pause before retrying a chat's request after a network error; doubles
/// with each attempt. Long enough for a blip to pass, short enough that the
/// reply is still relevant.
const RETRY_BACKOFF: Duration = Duration::from_millis(500);

/// The shortest flood-control pause. Telegram's `retry_after` is in whole
/// seconds and never zero; should one be, repeating at once would only
/// provoke it further.
const MIN_RETRY_AFTER: Duration = Duration::from_secs(1);

/// The window [`OutboundLimits::global_per_second`] is counted over.
const GLOBAL_WINDOW: Duration = Duration::from_secs(1);

/// Submissions taken from the channel before the scheduler dispatches again,
/// so a burst is seen whole (and its edits coalesced) without starving the
/// sends.
const RECEIVE_BATCH: usize = 256;

/// Which requests a chat is served ahead of, and which the bounds may drop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// A reply to something the user just did.
    Interactive,
    /// Anything the user did not just ask for (reminders, auction results…).
    Notification,
    /// A message about money the player must see: a Stars payment granted
    /// or refused, a refund, an auction won or a bid given back. Served like
    /// an interactive reply; never dropped by the queue bounds.
    Receipt,
    /// A broadcast to every player (`telegram::broadcast`): served after
    /// every chat with an interactive request, like a notification; never
    /// dropped by the bounds (the broadcaster keeps at most one batch
    /// queued) and never retried after a network error, since a lost answer
    /// may hide a delivered message and a broadcast is sent at most once.
    Bulk,
}

/// What became of a request submitted with [`Outbound::submit_with_receipt`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Sent: the id Telegram gave the message.
    Sent(i32),
    /// Refused by Telegram with an API error (403: the user blocked the
    /// bot; 400: …): not delivered, and repeating cannot help.
    Refused,
    /// No outcome known: the answer was lost or unreadable after the
    /// request went out. It may have been delivered.
    Unknown,
}

/// What a request is, for making room under the bounds ([`OutboundRequest::droppable`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Droppable {
    /// Dropped first: the user did not ask for it.
    Notification,
    /// A reply to a command, a screen edit or a press's answer: dropped once
    /// the player has sent a newer command in the chat (its reply supersedes
    /// this one), or, overall, when only replies are left to drop.
    Reply,
}

/// One request to the Bot API.
#[derive(Debug, Clone, PartialEq)]
pub enum OutboundRequest {
    /// sendMessage (parse_mode HTML).
    Send { chat_id: i64, text: String, keyboard: Option<InlineKeyboardMarkup>, priority: Priority },
    /// editMessageText (parse_mode HTML) with the keyboard (None removes it). A burst of edits
    /// to the same (chat_id, message_id) still queued coalesces into the last one. Edits
    /// answer a button press, so they are interactive.
    Edit { chat_id: i64, message_id: i32, text: String, keyboard: Option<InlineKeyboardMarkup> },
    /// answerCallbackQuery: not subject to per-chat pacing (Telegram expects it fast); it still
    /// counts toward the global rate.
    AnswerCallback { callback_query_id: String, text: Option<String>, show_alert: bool },
    /// sendInvoice in Telegram Stars (XTR, one price, no provider): an
    /// answer to the player's "pay with Stars", so interactive.
    SendInvoice { chat_id: i64, title: String, description: String, payload: String, stars: u32 },
    /// answerPreCheckoutQuery: ok when `error` is `None`. Telegram waits at
    /// most 10 s for it, so it shares the callbacks' unpaced lane.
    AnswerPreCheckout { query_id: String, error: Option<String> },
    /// sendDocument: a file uploaded (an operator's export), with an HTML
    /// caption; the answer to an operator's command, so interactive.
    SendDocument { chat_id: i64, file_name: String, bytes: Vec<u8>, caption: String },
}

impl OutboundRequest {
    /// The chat the request writes to; `None` for callback answers.
    pub fn chat_id(&self) -> Option<i64> {
        match self {
            OutboundRequest::Send { chat_id, .. }
            | OutboundRequest::Edit { chat_id, .. }
            | OutboundRequest::SendInvoice { chat_id, .. }
            | OutboundRequest::SendDocument { chat_id, .. } => Some(*chat_id),
            OutboundRequest::AnswerCallback { .. } | OutboundRequest::AnswerPreCheckout { .. } => None,
        }
    }

    /// The Bot API method, for logs.
    pub fn method(&self) -> &'static str {
        match self {
            OutboundRequest::Send { .. } => "sendMessage",
            OutboundRequest::Edit { .. } => "editMessageText",
            OutboundRequest::AnswerCallback { .. } => "answerCallbackQuery",
            OutboundRequest::SendInvoice { .. } => "sendInvoice",
            OutboundRequest::AnswerPreCheckout { .. } => "answerPreCheckoutQuery",
            OutboundRequest::SendDocument { .. } => "sendDocument",
        }
    }

    /// Whether the request is a reply to the user's own action.
    pub fn is_interactive(&self) -> bool {
        match self {
            OutboundRequest::Send { priority, .. } => matches!(priority, Priority::Interactive | Priority::Receipt),
            OutboundRequest::Edit { .. }
            | OutboundRequest::AnswerCallback { .. }
            | OutboundRequest::SendInvoice { .. }
            | OutboundRequest::SendDocument { .. }
            | OutboundRequest::AnswerPreCheckout { .. } => true,
        }
    }

    /// Whether the bounds may drop this request, and in which class; `None`
    /// for what must reach the player however long it waits: invoices and
    /// pre-checkout answers (Telegram holds a payment until answered) and
    /// [`Priority::Receipt`] messages. Everything else is words about
    /// effects already durable, which the player can ask for again.
    pub fn droppable(&self) -> Option<Droppable> {
        match self {
            OutboundRequest::Send { priority: Priority::Notification, .. } => Some(Droppable::Notification),
            OutboundRequest::Send { priority: Priority::Interactive, .. }
            | OutboundRequest::Edit { .. }
            | OutboundRequest::SendDocument { .. }
            | OutboundRequest::AnswerCallback { .. } => Some(Droppable::Reply),
            OutboundRequest::Send { priority: Priority::Receipt | Priority::Bulk, .. }
            | OutboundRequest::SendInvoice { .. }
            | OutboundRequest::AnswerPreCheckout { .. } => None,
        }
    }

    /// Sent at most once: not repeated after a network error.
    fn at_most_once(&self) -> bool {
        matches!(self, OutboundRequest::Send { priority: Priority::Bulk, .. })
    }

    fn edited_message(&self) -> Option<i32> {
        match self {
            OutboundRequest::Edit { message_id, .. } => Some(*message_id),
            _ => None,
        }
    }
}

/// The pacing the scheduler keeps; see the module docs for how each limit is counted.
#[derive(Debug, Clone)]
pub struct OutboundLimits {
    /// Minimum spacing between two requests to the same chat (from the answer to one to the
    /// start of the next); Duration::ZERO = unlimited. Telegram: about one per second.
    pub per_chat_interval: Duration,
    /// Requests per second across all chats; 0 = unlimited. Telegram: about 30.
    pub global_per_second: u32,
    /// Most requests waiting in one chat; 0 = unbounded. At Telegram's pace
    /// of one a second, the default 30 is half a minute behind: anything
    /// older is stale.
    pub max_per_chat: usize,
    /// Most requests waiting overall; 0 = unbounded. The default 10,000 is
    /// about 30 MB of replies and five and a half minutes at 30 a second.
    pub max_total: usize,
}

impl Default for OutboundLimits {
    fn default() -> Self {
        OutboundLimits {
            per_chat_interval: Duration::from_secs(1),
            global_per_second: 30,
            max_per_chat: 30,
            max_total: 10_000,
        }
    }
}

impl OutboundLimits {
    /// No pacing at all, for benchmarks against the emulator; bounds as by default.
    pub fn unlimited() -> Self {
        OutboundLimits { per_chat_interval: Duration::ZERO, global_per_second: 0, ..OutboundLimits::default() }
    }
}

dianabot_plumbing::metrics! {
    /// What the scheduler has done, for metrics. Every submitted request ends as
    /// exactly one of `sent`, `failed`, `coalesced_edits`, `coalesced_repeats`,
    /// `dropped_chat_bound` or `dropped_total_bound`; until then it counts in
    /// `queued`.
    pub struct OutboundStats {
        /// Bot requests queued or in flight.
        gauge queued => "dianabot_telegram_outbound_queue",
        /// Bot requests on the wire right now.
        gauge in_flight => "dianabot_telegram_requests_in_flight",
        /// Bot API requests delivered.
        counter sent => "dianabot_telegram_requests_total",
        /// Bot API requests given up on.
        counter failed => "dianabot_telegram_errors_total",
        /// Flood-control answers (429) received.
        counter retry_after_429s => "dianabot_telegram_429_total",
        /// Bot API requests retried after network errors.
        counter network_retries => "dianabot_telegram_network_retries_total",
        /// Edits superseded before sending.
        counter coalesced_edits => "dianabot_telegram_coalesced_edits_total",
        /// Bot requests dropped unsent: to keep a chat's or the overall queue within its bound, or as a repeat of the message queued last in the chat.
        counter dropped_chat_bound => "dianabot_telegram_outbound_dropped_total" { reason = "chat_bound" },
        /// Bot requests dropped unsent: to keep a chat's or the overall queue within its bound, or as a repeat of the message queued last in the chat.
        counter dropped_total_bound => "dianabot_telegram_outbound_dropped_total" { reason = "total_bound" },
        /// Bot requests dropped unsent: to keep a chat's or the overall queue within its bound, or as a repeat of the message queued last in the chat.
        counter coalesced_repeats => "dianabot_telegram_outbound_dropped_total" { reason = "repeat" },
        /// Most bot requests ever waiting at once, overall (not counting those in flight).
        gauge peak_waiting => "dianabot_telegram_outbound_peak_waiting",
        /// Most bot requests ever waiting at once in one chat.
        gauge peak_chat_waiting => "dianabot_telegram_outbound_peak_chat_waiting",
        /// Scheduler wait of finished (sent or failed) requests, summed: from submission to their last dispatch or to being given up.
        counter total_wait_micros => "dianabot_telegram_outbound_wait_seconds_total" / 1e6,
        /// Longest scheduler wait.
        gauge max_wait_micros => "dianabot_telegram_outbound_wait_seconds_max" / 1e6,
    }
}

impl OutboundStats {
    /// Mean time a finished request waited in the scheduler.
    pub fn mean_wait(&self) -> Duration {
        let finished = self.sent.load(Ordering::Relaxed) + self.failed.load(Ordering::Relaxed);
        let total = self.total_wait_micros.load(Ordering::Relaxed);
        Duration::from_micros(total.checked_div(finished).unwrap_or(0))
    }

    /// Longest time a finished request waited in the scheduler.
    pub fn max_wait(&self) -> Duration {
        Duration::from_micros(self.max_wait_micros.load(Ordering::Relaxed))
    }

    fn record_wait(&self, wait: Duration) {
        let micros = u64::try_from(wait.as_micros()).unwrap_or(u64::MAX);
        self.total_wait_micros.fetch_add(micros, Ordering::Relaxed);
        self.max_wait_micros.fetch_max(micros, Ordering::Relaxed);
    }

    fn finish(&self, outcome: &AtomicU64, wait: Duration) {
        self.record_wait(wait);
        outcome.fetch_add(1, Ordering::Relaxed);
        self.queued.fetch_sub(1, Ordering::Relaxed);
    }

    /// A request that will never be sent, without counting its wait (it was
    /// not given up on by the network, but superseded or crowded out).
    fn discard(&self, outcome: &AtomicU64) {
        outcome.fetch_add(1, Ordering::Relaxed);
        self.queued.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Handle to the scheduler task. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Outbound {
    commands: mpsc::UnboundedSender<Command>,
    stats: Arc<OutboundStats>,
    /// For an [`Outbound::hold`]: the scheduler that requests with a
    /// receipt go to at once.
    direct: Option<Box<Outbound>>,
}

impl Outbound {
    /// Starts the scheduler on the current tokio runtime.
    pub fn spawn(bot: Bot, limits: OutboundLimits) -> Outbound {
        let (commands, receiver) = mpsc::unbounded_channel();
        let stats = Arc::new(OutboundStats::default());
        tokio::spawn(Scheduler::new(bot, limits, stats.clone()).run(receiver));
        Outbound { commands, stats, direct: None }
    }

    /// Queues a request; never blocks. It may be dropped unsent to keep the
    /// queues within their bounds (rule 9 of the module docs). After
    /// [`Outbound::drain`] has finished the request is dropped (and counted
    /// as failed).
    pub fn submit(&self, request: OutboundRequest) {
        self.enqueue(request, None);
    }

    /// Queues a sendMessage like [`Outbound::submit`]; the receiver gets
    /// what became of it ([`Delivery`]: the id Telegram gave the message
    /// once it is sent), and an error if it is dropped unsent instead.
    pub fn submit_with_receipt(&self, request: OutboundRequest) -> oneshot::Receiver<Delivery> {
        if let Some(direct) = &self.direct {
            return direct.submit_with_receipt(request);
        }
        let (receipt, sent) = oneshot::channel();
        self.enqueue(request, Some(receipt));
        sent
    }

    fn enqueue(&self, request: OutboundRequest, receipt: Option<oneshot::Sender<Delivery>>) {
        self.stats.queued.fetch_add(1, Ordering::Relaxed);
        let queued = Queued { request, submitted: Instant::now(), attempts: 0, receipt, seq: 0 };
        if let Err(mpsc::error::SendError(Command::Submit(queued))) = self.commands.send(Command::Submit(queued)) {
            tracing::warn!(
                chat_id = queued.request.chat_id(),
                method = queued.request.method(),
                "outbound scheduler stopped; request dropped"
            );
            self.stats.finish(&self.stats.failed, Duration::ZERO);
        }
    }

    pub fn stats(&self) -> &OutboundStats {
        &self.stats
    }

    /// An outbound whose requests wait in [`Held`] instead of going to
    /// the scheduler: sent by [`Held::release`], or never if it is dropped.
    /// What an operator is answered is held until its audit row is written.
    /// A request with a receipt goes out at once: the flow waits for its
    /// message id, so it is part of the action (a teaser posted to a
    /// channel), not the answer.
    pub fn hold(&self) -> (Outbound, Held) {
        let (commands, receiver) = mpsc::unbounded_channel();
        (Outbound { commands, stats: Arc::default(), direct: Some(Box::new(self.clone())) }, Held { receiver })
    }

    /// Sends what is queued (respecting limits) and stops; for graceful shutdown, bounded by
    /// `deadline`. Requests still unsent at the deadline are counted as failed and logged.
    /// Requests submitted while draining are still sent if the deadline allows; once a drain
    /// has returned, [`Outbound::submit`] drops requests (counting them as failed).
    pub async fn drain(&self, deadline: Duration) {
        let (done, finished) = oneshot::channel();
        let deadline = later(Instant::now(), deadline);
        if self.commands.send(Command::Drain { deadline, done }).is_ok() {
            // An error means the scheduler already stopped: nothing left to wait for.
            let _ = finished.await;
        }
    }
}

/// Requests submitted to an [`Outbound::hold`], not yet sent.
#[derive(Debug)]
pub struct Held {
    receiver: mpsc::UnboundedReceiver<Command>,
}

impl Held {
    /// Submits everything held to `outbound`, in the order it was submitted.
    pub fn release(mut self, outbound: &Outbound) {
        while let Ok(command) = self.receiver.try_recv() {
            if let Command::Submit(queued) = command {
                outbound.enqueue(queued.request, queued.receipt);
            }
        }
    }
}

enum Command {
    Submit(Queued),
    Drain { deadline: Instant, done: oneshot::Sender<()> },
}

#[derive(Debug)]
struct Queued {
    request: OutboundRequest,
    submitted: Instant,
    /// Attempts that failed with a network error.
    attempts: u32,
    /// Told what became of the request.
    receipt: Option<oneshot::Sender<Delivery>>,
    /// Order of acceptance by the scheduler (kept across retries): lower is older.
    seq: u64,
}

/// Where a request waits: its chat's queue, or the callback answers'.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Lane {
    Chat(i64),
    Callbacks,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChatState {
    /// May be dispatched now; listed in a ready list under this generation.
    /// Generations make stale ready-list entries recognisable.
    Ready(u64),
    /// Its request is on the wire.
    InFlight,
    /// Paced: listed in the timer heap under this instant.
    Cooling(Instant),
}

#[derive(Debug)]
struct Chat {
    queue: VecDeque<Queued>,
    /// Interactive requests in `queue`; decides the chat's ready list.
    interactive: usize,
    state: ChatState,
    /// The head of `queue` was refused and put back: when the chat is ready
    /// again it goes to the front of its ready list, ahead of chats that
    /// were queued while it waited.
    retrying: bool,
}

/// The global window of rule 3, and the pause of rule 5.
#[derive(Debug)]
struct GlobalLimit {
    /// 0 = unlimited.
    per_second: usize,
    /// When answered requests stop counting (answer + 1 s), oldest first.
    releases: VecDeque<Instant>,
    paused_until: Option<Instant>,
}

impl GlobalLimit {
    /// `Ok` if a request may start now; otherwise when to look again
    /// (`None`: when a request in flight is answered).
    fn check(&mut self, now: Instant, in_flight: usize) -> Result<(), Option<Instant>> {
        if let Some(until) = self.paused_until {
            if until > now {
                return Err(Some(until));
            }
            self.paused_until = None;
        }
        if self.per_second == 0 {
            return Ok(());
        }
        while self.releases.front().is_some_and(|&release| release <= now) {
            self.releases.pop_front();
        }
        let counted = in_flight + self.releases.len();
        if counted < self.per_second {
            return Ok(());
        }
        // Requests in flight release later than every answered one, so the
        // window opens when enough of the answered ones have aged out.
        Err(self.releases.get(counted - self.per_second).copied())
    }

    fn answered(&mut self, now: Instant) {
        if self.per_second > 0 {
            self.releases.push_back(now + GLOBAL_WINDOW);
        }
    }

    fn pause(&mut self, until: Instant) {
        self.paused_until = Some(self.paused_until.map_or(until, |current| current.max(until)));
    }
}

/// What a request task returns: the request (to retry it) and Telegram's
/// answer (the id of a message it sent).
type Answer = (OutboundRequest, Result<Option<i32>, RequestError>);

/// A request on the wire.
#[derive(Debug)]
struct Flight {
    lane: Lane,
    submitted: Instant,
    dispatched: Instant,
    attempts: u32,
    receipt: Option<oneshot::Sender<Delivery>>,
    seq: u64,
}

/// What an answer means for the request.
enum Verdict {
    /// With the id of the message sent, if the request sends one.
    Sent(Option<i32>),
    RetryAfter(Duration),
    Transient(RequestError),
    Permanent(RequestError),
}

/// Sorts an answer by what to do next.
fn judge(result: Result<Option<i32>, RequestError>) -> Verdict {
    match result {
        Ok(sent) => Verdict::Sent(sent),
        Err(RequestError::Api(ApiError::MessageNotModified)) => Verdict::Sent(None),
        Err(RequestError::Api(ApiError::Unknown(description))) if description.contains("message is not modified") => {
            Verdict::Sent(None)
        }
        Err(RequestError::RetryAfter(seconds)) => Verdict::RetryAfter(seconds.duration()),
        Err(err @ (RequestError::Network(_) | RequestError::Io(_))) => Verdict::Transient(err),
        // API errors will not change by repeating; an unreadable answer may
        // hide a delivered message, so repeating could duplicate it.
        Err(err @ (RequestError::Api(_) | RequestError::MigrateToChatId(_) | RequestError::InvalidJson { .. })) => {
            Verdict::Permanent(err)
        }
    }
}

struct Scheduler {
    bot: Bot,
    per_chat_interval: Duration,
    global: GlobalLimit,
    stats: Arc<OutboundStats>,
    chats: HashMap<i64, Chat>,
    callbacks: VecDeque<Queued>,
    /// Chats with an interactive request queued, ready now.
    ready_interactive: VecDeque<(i64, u64)>,
    /// Chats with only notifications queued, ready now.
    ready_notifications: VecDeque<(i64, u64)>,
    /// Paced chats by the instant they may send again.
    cooling: BinaryHeap<Reverse<(Instant, i64)>>,
    next_generation: u64,
    /// Requests waiting in lanes (not in flight).
    waiting: usize,
    /// Rule 9's limits; 0 = unbounded.
    max_per_chat: usize,
    max_total: usize,
    /// Every waiting request the bounds may drop, in the order they would:
    /// notifications before replies, oldest first.
    droppable: BTreeSet<(Droppable, u64, Lane)>,
    next_seq: u64,
    in_flight: JoinSet<Answer>,
    flights: HashMap<TaskId, Flight>,
    /// Set by the first drain request: stop once empty, or at the deadline.
    draining: Option<Instant>,
    drained: Vec<oneshot::Sender<()>>,
}

impl Scheduler {
    fn new(bot: Bot, limits: OutboundLimits, stats: Arc<OutboundStats>) -> Scheduler {
        Scheduler {
            bot,
            per_chat_interval: limits.per_chat_interval,
            global: GlobalLimit {
                per_second: usize::try_from(limits.global_per_second).unwrap_or(usize::MAX),
                releases: VecDeque::new(),
                paused_until: None,
            },
            stats,
            chats: HashMap::new(),
            callbacks: VecDeque::new(),
            ready_interactive: VecDeque::new(),
            ready_notifications: VecDeque::new(),
            cooling: BinaryHeap::new(),
            next_generation: 0,
            waiting: 0,
            max_per_chat: limits.max_per_chat,
            max_total: limits.max_total,
            droppable: BTreeSet::new(),
            next_seq: 0,
            in_flight: JoinSet::new(),
            flights: HashMap::new(),
            draining: None,
            drained: Vec::new(),
        }
    }

    /// The scheduler's life: dispatch what may go now, then sleep until a
    /// submission, an answer, or the next instant something may go.
    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let mut open = true;
        loop {
            let wake = self.dispatch(Instant::now());
            let idle = self.waiting == 0 && self.in_flight.is_empty();
            // Every handle gone counts as a drain without deadline.
            if idle && (self.draining.is_some() || !open) {
                // Refuse new submissions from here on, but serve those
                // already in the channel: they were submitted before the end.
                commands.close();
                open = false;
                match commands.try_recv() {
                    Ok(command) => {
                        self.command(command);
                        continue;
                    }
                    Err(_) => break,
                }
            }
            tokio::select! {
                biased;
                Some(answered) = self.in_flight.join_next_with_id(), if !self.in_flight.is_empty() => {
                    self.answered(answered);
                }
                command = commands.recv(), if open => match command {
                    Some(command) => {
                        self.command(command);
                        for _ in 1..RECEIVE_BATCH {
                            match commands.try_recv() {
                                Ok(command) => self.command(command),
                                Err(_) => break,
                            }
                        }
                    }
                    None => open = false,
                },
                () = sleep_until_some(wake) => {}
                () = sleep_until_some(self.draining) => {
                    commands.close();
                    while let Ok(command) = commands.try_recv() {
                        self.command(command);
                    }
                    self.abandon();
                    break;
                }
            }
        }
        for done in self.drained.drain(..) {
            let _ = done.send(());
        }
        tracing::debug!("outbound scheduler stopped");
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Submit(queued) => self.accept(queued),
            Command::Drain { deadline, done } => {
                self.draining = Some(self.draining.map_or(deadline, |current| current.min(deadline)));
                self.drained.push(done);
            }
        }
    }

    /// Queues a submission in its lane: coalescing edits and repeats, and
    /// making room under the bounds.
    fn accept(&mut self, mut queued: Queued) {
        queued.seq = self.next_seq;
        self.next_seq += 1;
        let chat_id = match &queued.request {
            OutboundRequest::AnswerCallback { .. } | OutboundRequest::AnswerPreCheckout { .. } => {
                if self.make_room(Lane::Callbacks, &queued) {
                    self.index(&queued, Lane::Callbacks);
                    self.callbacks.push_back(queued);
                    self.waiting += 1;
                    self.record_peaks(0);
                }
                return;
            }
            OutboundRequest::Send { chat_id, .. }
            | OutboundRequest::Edit { chat_id, .. }
            | OutboundRequest::SendInvoice { chat_id, .. }
            | OutboundRequest::SendDocument { chat_id, .. } => *chat_id,
        };
        let lane = Lane::Chat(chat_id);
        if self.repeats_last(chat_id, &queued) {
            self.stats.discard(&self.stats.coalesced_repeats);
            tracing::trace!(chat_id, "repeated message coalesced");
            return;
        }
        if let Some(message_id) = queued.request.edited_message()
            && let Some(chat) = self.chats.get(&chat_id)
            && let Some(older) = chat.queue.iter().find(|q| q.request.edited_message() == Some(message_id))
        {
            let (seq, stats) = (older.seq, self.stats.clone());
            self.remove_waiting(lane, seq, &stats.coalesced_edits);
            tracing::trace!(chat_id, message_id, "edit coalesced");
        }
        if !self.make_room(lane, &queued) {
            return;
        }
        let interactive = queued.request.is_interactive();
        // No record means nothing queued, nothing in flight and no pacing
        // pending: the chat may send at once.
        let fresh = !self.chats.contains_key(&chat_id);
        self.index(&queued, lane);
        let chat = self.chats.entry(chat_id).or_insert_with(|| Chat {
            queue: VecDeque::new(),
            interactive: 0,
            state: ChatState::InFlight, // replaced by make_ready below
            retrying: false,
        });
        chat.queue.push_back(queued);
        self.waiting += 1;
        if interactive {
            chat.interactive += 1;
        }
        let (state, first_interactive, queue_len) =
            (chat.state, interactive && chat.interactive == 1, chat.queue.len());
        self.record_peaks(queue_len);
        if fresh {
            self.make_ready(chat_id);
        } else if let ChatState::Ready(generation) = state
            && first_interactive
        {
            // Now holds an interactive request: list it with those too. The
            // entry it already has becomes stale once either is used.
            self.ready_interactive.push_back((chat_id, generation));
        }
    }

    /// Rule 8: the same message as the one queued last in the chat, with no
    /// one waiting for its id and nothing at stake if it were dropped.
    fn repeats_last(&self, chat_id: i64, queued: &Queued) -> bool {
        let plain = matches!(queued.request, OutboundRequest::Send { .. })
            && queued.receipt.is_none()
            && queued.request.droppable().is_some();
        plain
            && self
                .chats
                .get(&chat_id)
                .and_then(|chat| chat.queue.back())
                .is_some_and(|last| last.request == queued.request)
    }

    /// Rule 9: makes room for `incoming` in `lane` by dropping what the
    /// bounds say goes first — which may be `incoming` itself (a
    /// notification when only replies wait; a reply when only receipts do):
    /// then returns false and counts it dropped.
    fn make_room(&mut self, lane: Lane, incoming: &Queued) -> bool {
        let stats = self.stats.clone();
        let incoming_rank = incoming.request.droppable().map(|class| (class, incoming.seq));
        if let Lane::Chat(chat_id) = lane
            && self.max_per_chat > 0
            && let Some(chat) = self.chats.get(&chat_id)
            && chat.queue.len() >= self.max_per_chat
        {
            let oldest = chat.queue.iter().filter_map(|q| q.request.droppable().map(|class| (class, q.seq))).min();
            match (oldest, incoming_rank) {
                (Some(oldest), Some(incoming)) if incoming < oldest => {
                    stats.discard(&stats.dropped_chat_bound);
                    return false;
                }
                (Some((_, seq)), _) => self.remove_waiting(lane, seq, &stats.dropped_chat_bound),
                (None, Some(_)) => {
                    stats.discard(&stats.dropped_chat_bound);
                    return false;
                }
                // Only receipts wait and one more comes: it is kept.
                (None, None) => {}
            }
        }
        if self.max_total > 0 && self.waiting >= self.max_total {
            let oldest = self.droppable.first().copied();
            match (oldest, incoming_rank) {
                (Some((class, seq, _)), Some(incoming)) if incoming < (class, seq) => {
                    stats.discard(&stats.dropped_total_bound);
                    return false;
                }
                (Some((_, seq, lane)), _) => self.remove_waiting(lane, seq, &stats.dropped_total_bound),
                (None, Some(_)) => {
                    stats.discard(&stats.dropped_total_bound);
                    return false;
                }
                (None, None) => {}
            }
        }
        true
    }

    /// Takes the waiting request `seq` out of `lane` unsent, counting it in `outcome`.
    fn remove_waiting(&mut self, lane: Lane, seq: u64, outcome: &AtomicU64) {
        let removed = match lane {
            Lane::Callbacks => {
                let position = self.callbacks.iter().position(|q| q.seq == seq);
                position.and_then(|position| self.callbacks.remove(position))
            }
            Lane::Chat(chat_id) => self.chats.get_mut(&chat_id).and_then(|chat| {
                let position = chat.queue.iter().position(|q| q.seq == seq)?;
                let removed = chat.queue.remove(position)?;
                if removed.request.is_interactive() {
                    chat.interactive -= 1;
                }
                Some(removed)
            }),
        };
        let Some(removed) = removed else { return };
        self.unindex(&removed, lane);
        self.waiting -= 1;
        self.stats.discard(outcome);
        tracing::debug!(lane = ?lane, method = removed.request.method(), "outbound request dropped unsent");
    }

    fn index(&mut self, queued: &Queued, lane: Lane) {
        if let Some(class) = queued.request.droppable() {
            self.droppable.insert((class, queued.seq, lane));
        }
    }

    fn unindex(&mut self, queued: &Queued, lane: Lane) {
        if let Some(class) = queued.request.droppable() {
            self.droppable.remove(&(class, queued.seq, lane));
        }
    }

    fn record_peaks(&self, chat_waiting: usize) {
        self.stats.peak_waiting.fetch_max(self.waiting as u64, Ordering::Relaxed);
        self.stats.peak_chat_waiting.fetch_max(chat_waiting as u64, Ordering::Relaxed);
    }

    fn make_ready(&mut self, chat_id: i64) {
        let Some(chat) = self.chats.get_mut(&chat_id) else {
            return;
        };
        let generation = self.next_generation;
        self.next_generation += 1;
        chat.state = ChatState::Ready(generation);
        let list = if chat.interactive > 0 { &mut self.ready_interactive } else { &mut self.ready_notifications };
        if std::mem::take(&mut chat.retrying) {
            list.push_front((chat_id, generation));
        } else {
            list.push_back((chat_id, generation));
        }
    }

    /// Starts every request that may start now; returns when to look again
    /// (`None`: on the next submission or answer). The instant returned is
    /// always in the future, so the loop never spins.
    fn dispatch(&mut self, now: Instant) -> Option<Instant> {
        self.promote_cooled(now);
        loop {
            if self.in_flight.len() >= MAX_IN_FLIGHT {
                return None;
            }
            let Some(lane) = self.peek_ready() else {
                return self.cooling.peek().map(|Reverse((at, _))| *at);
            };
            if let Err(wake) = self.global.check(now, self.in_flight.len()) {
                return wake;
            }
            let queued = match lane {
                Lane::Callbacks => self.callbacks.pop_front(),
                Lane::Chat(chat_id) => self.take_from_chat(chat_id),
            };
            let Some(queued) = queued else { continue };
            self.unindex(&queued, lane);
            self.waiting -= 1;
            self.launch(lane, queued, now);
        }
    }

    /// Moves chats whose pacing interval has passed to a ready list, and
    /// forgets those with nothing queued.
    fn promote_cooled(&mut self, now: Instant) {
        while let Some(&Reverse((at, chat_id))) = self.cooling.peek() {
            if at > now {
                break;
            }
            self.cooling.pop();
            let Some(chat) = self.chats.get(&chat_id) else {
                continue;
            };
            if chat.state != ChatState::Cooling(at) {
                continue;
            }
            if chat.queue.is_empty() {
                self.chats.remove(&chat_id);
            } else {
                self.make_ready(chat_id);
            }
        }
    }

    /// The lane to serve next, by priority; drops stale ready-list entries.
    fn peek_ready(&mut self) -> Option<Lane> {
        if !self.callbacks.is_empty() {
            return Some(Lane::Callbacks);
        }
        for list in [&mut self.ready_interactive, &mut self.ready_notifications] {
            while let Some(&(chat_id, generation)) = list.front() {
                let current = self.chats.get(&chat_id).is_some_and(|chat| chat.state == ChatState::Ready(generation));
                if current {
                    return Some(Lane::Chat(chat_id));
                }
                list.pop_front();
            }
        }
        None
    }

    fn take_from_chat(&mut self, chat_id: i64) -> Option<Queued> {
        let chat = self.chats.get_mut(&chat_id)?;
        let Some(queued) = chat.queue.pop_front() else {
            // Unreachable (a ready chat has a request queued); forgetting the
            // chat keeps it from being stuck if that ever changes.
            self.chats.remove(&chat_id);
            return None;
        };
        // The ready-list entry that named this chat is now stale, so it needs
        // no removal.
        chat.state = ChatState::InFlight;
        if queued.request.is_interactive() {
            chat.interactive -= 1;
        }
        Some(queued)
    }

    /// Puts the request on the wire as a task of its own, so a slow answer
    /// holds up only its own chat.
    fn launch(&mut self, lane: Lane, queued: Queued, now: Instant) {
        let Queued { request, submitted, attempts, receipt, seq } = queued;
        let span = tracing::debug_span!("outbound", chat_id = request.chat_id(), method = request.method());
        let bot = self.bot.clone();
        let handle = self.in_flight.spawn(
            async move {
                let result = perform(&bot, &request).await;
                (request, result)
            }
            .instrument(span),
        );
        self.flights.insert(handle.id(), Flight { lane, submitted, dispatched: now, attempts, receipt, seq });
        self.stats.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    /// Telegram answered (or the task died): count it, retry or give up, and
    /// pace the chat.
    fn answered(&mut self, answered: Result<(TaskId, Answer), JoinError>) {
        let now = Instant::now();
        self.global.answered(now);
        self.stats.in_flight.fetch_sub(1, Ordering::Relaxed);
        let (id, outcome) = match answered {
            Ok((id, outcome)) => (id, Ok(outcome)),
            Err(err) => (err.id(), Err(err)),
        };
        let Some(flight) = self.flights.remove(&id) else {
            return;
        };
        let wait = flight.dispatched.saturating_duration_since(flight.submitted);
        let mut pace = self.per_chat_interval;
        match outcome {
            Err(err) => {
                tracing::error!(lane = ?flight.lane, error = %err, "outbound request task failed; request dropped");
                self.stats.finish(&self.stats.failed, wait);
            }
            Ok((request, result)) => match judge(result) {
                Verdict::Sent(sent) => {
                    self.stats.finish(&self.stats.sent, wait);
                    if let (Some(receipt), Some(message_id)) = (flight.receipt, sent) {
                        let _ = receipt.send(Delivery::Sent(message_id));
                    }
                }
                Verdict::RetryAfter(retry_after) => {
                    self.stats.retry_after_429s.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(
                        chat_id = request.chat_id(),
                        method = request.method(),
                        retry_after_secs = retry_after.as_secs(),
                        "Telegram flood control: pausing all sends"
                    );
                    self.global.pause(later(now, retry_after.max(MIN_RETRY_AFTER)));
                    self.requeue(
                        flight.lane,
                        Queued {
                            request,
                            submitted: flight.submitted,
                            attempts: flight.attempts,
                            receipt: flight.receipt,
                            seq: flight.seq,
                        },
                    );
                }
                Verdict::Transient(err) if flight.attempts + 1 < MAX_ATTEMPTS && !request.at_most_once() => {
                    let attempts = flight.attempts + 1;
                    tracing::warn!(
                        chat_id = request.chat_id(),
                        method = request.method(),
                        attempts,
                        error = %err,
                        "outbound request failed; will retry"
                    );
                    self.stats.network_retries.fetch_add(1, Ordering::Relaxed);
                    pace = pace.max(RETRY_BACKOFF * 2u32.pow(flight.attempts));
                    let (receipt, seq) = (flight.receipt, flight.seq);
                    let queued = Queued { request, submitted: flight.submitted, attempts, receipt, seq };
                    self.requeue(flight.lane, queued);
                }
                Verdict::Transient(err) | Verdict::Permanent(err) => {
                    if let Some(receipt) = flight.receipt {
                        let refused = matches!(err, RequestError::Api(_) | RequestError::MigrateToChatId(_));
                        let _ = receipt.send(if refused { Delivery::Refused } else { Delivery::Unknown });
                    }
                    tracing::warn!(
                        chat_id = request.chat_id(),
                        method = request.method(),
                        attempts = flight.attempts + 1,
                        error = %err,
                        "outbound request dropped"
                    );
                    self.stats.finish(&self.stats.failed, wait);
                }
            },
        }
        if let Lane::Chat(chat_id) = flight.lane {
            self.pace(chat_id, now, pace);
        }
    }

    /// Puts a refused request back at the head of its lane, unless a newer
    /// edit of the same message has been queued meanwhile or the bounds
    /// leave it no room.
    fn requeue(&mut self, lane: Lane, queued: Queued) {
        if let Lane::Chat(chat_id) = lane
            && let Some(message_id) = queued.request.edited_message()
            && self
                .chats
                .get(&chat_id)
                .is_some_and(|chat| chat.queue.iter().any(|q| q.request.edited_message() == Some(message_id)))
        {
            self.stats.discard(&self.stats.coalesced_edits);
            return;
        }
        if !self.make_room(lane, &queued) {
            return;
        }
        match lane {
            Lane::Callbacks => {
                self.index(&queued, lane);
                self.callbacks.push_front(queued);
            }
            Lane::Chat(chat_id) => {
                if !self.chats.contains_key(&chat_id) {
                    return;
                }
                self.index(&queued, lane);
                let Some(chat) = self.chats.get_mut(&chat_id) else {
                    return;
                };
                if queued.request.is_interactive() {
                    chat.interactive += 1;
                }
                chat.queue.push_front(queued);
                chat.retrying = true;
            }
        }
        self.waiting += 1;
    }

    /// After an answer to `chat_id`: its next request may start `pace` from now.
    fn pace(&mut self, chat_id: i64, now: Instant, pace: Duration) {
        let Some(chat) = self.chats.get_mut(&chat_id) else {
            return;
        };
        if pace.is_zero() {
            if chat.queue.is_empty() {
                self.chats.remove(&chat_id);
            } else {
                self.make_ready(chat_id);
            }
        } else {
            let at = later(now, pace);
            chat.state = ChatState::Cooling(at);
            self.cooling.push(Reverse((at, chat_id)));
        }
    }

    /// The drain deadline passed: what is still queued or in flight is given up.
    fn abandon(&mut self) {
        let now = Instant::now();
        let mut unsent = 0u64;
        for queued in self.callbacks.drain(..).chain(self.chats.drain().flat_map(|(_, chat)| chat.queue)) {
            self.stats.finish(&self.stats.failed, now.saturating_duration_since(queued.submitted));
            unsent += 1;
        }
        let unconfirmed = self.flights.len() as u64;
        for (_, flight) in self.flights.drain() {
            self.stats.finish(&self.stats.failed, flight.dispatched.saturating_duration_since(flight.submitted));
        }
        self.in_flight.abort_all();
        self.stats.in_flight.store(0, Ordering::Relaxed);
        self.waiting = 0;
        self.droppable.clear();
        if unsent + unconfirmed > 0 {
            tracing::warn!(unsent, unconfirmed, "outbound drain deadline reached; requests dropped");
        }
    }
}

/// `now + by`, saturating: a limit configured absurdly large must not
/// panic the scheduler.
fn later(now: Instant, by: Duration) -> Instant {
    const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    now.checked_add(by.min(CENTURY)).unwrap_or(now)
}

/// Sleeps until `at`, or forever when there is nothing to wake for.
async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// One Bot API call.
async fn perform(bot: &Bot, request: &OutboundRequest) -> Result<Option<i32>, RequestError> {
    match request {
        OutboundRequest::Send { chat_id, text, keyboard, .. } => {
            let mut call = bot.send_message(ChatId(*chat_id), text.as_str()).parse_mode(ParseMode::Html);
            if let Some(keyboard) = keyboard {
                call = call.reply_markup(keyboard.clone());
            }
            call.await.map(|sent| Some(sent.id.0))
        }
        OutboundRequest::Edit { chat_id, message_id, text, keyboard } => {
            let mut call = bot
                .edit_message_text(ChatId(*chat_id), MessageId(*message_id), text.as_str())
                .parse_mode(ParseMode::Html);
            if let Some(keyboard) = keyboard {
                call = call.reply_markup(keyboard.clone());
            }
            call.await.map(|_| None)
        }
        OutboundRequest::AnswerCallback { callback_query_id, text, show_alert } => {
            let mut call =
                bot.answer_callback_query(CallbackQueryId(callback_query_id.clone())).show_alert(*show_alert);
            if let Some(text) = text {
                call = call.text(text.as_str());
            }
            call.await.map(|_| None)
        }
        OutboundRequest::SendInvoice { chat_id, title, description, payload, stars } => {
            let price = LabeledPrice { label: title.clone(), amount: *stars };
            bot.send_invoice(ChatId(*chat_id), title.as_str(), description.as_str(), payload.as_str(), "XTR", [price])
                .await
                .map(|_| None)
        }
        OutboundRequest::SendDocument { chat_id, file_name, bytes, caption } => {
            let file = InputFile::memory(bytes.clone()).file_name(file_name.clone());
            bot.send_document(ChatId(*chat_id), file)
                .caption(caption.as_str())
                .parse_mode(ParseMode::Html)
                .await
                .map(|sent| Some(sent.id.0))
        }
        OutboundRequest::AnswerPreCheckout { query_id, error } => {
            let mut call = bot.answer_pre_checkout_query(PreCheckoutQueryId(query_id.clone()), error.is_none());
            if let Some(error) = error {
                call = call.error_message(error.as_str());
            }
            call.await.map(|_| None)
        }
    }
}
