//! The outbound scheduler against the project's Bot API emulator: limits
//! kept, order kept, priorities, 429s, edit coalescing and draining.
//!
//! Timing assertions read the emulator's call log (`at_ms`, stamped while
//! the emulator handled the call): they check what Telegram would have seen. They are
//! correctness checks on recorded timestamps, not performance checks, so
//! they hold on a slow or loaded machine. Waits poll with a deadline.

use std::sync::atomic::Ordering;
use std::time::Duration;

use dianabot::telegram::outbound::{Outbound, OutboundLimits, OutboundRequest, OutboundStats, Priority};
use dianabot_emulator::{EmulatorConfig, EmulatorHandle};
use serde_json::{Value, json};
use teloxide_core::Bot;
use teloxide_core::types::{InlineKeyboardButton, InlineKeyboardMarkup};

/// Slack for comparing the emulator's wall-clock milliseconds with the
/// scheduler's monotonic clock.
const TOLERANCE_MS: u64 = 5;

/// How long any wait in these tests may take before it is a failure.
const DEADLINE: Duration = Duration::from_secs(30);

/// A running emulator and a client for its control API.
struct Telegram {
    emulator: EmulatorHandle,
    http: reqwest::Client,
}

/// One Bot API call from the emulator's log.
#[derive(Debug, Clone)]
struct Call {
    at_ms: u64,
    chat_id: Option<i64>,
    status: u16,
    text: Option<String>,
}

impl Telegram {
    async fn start() -> Telegram {
        let emulator = dianabot_emulator::start(EmulatorConfig::default()).await.expect("start the emulator");
        Telegram { emulator, http: reqwest::Client::new() }
    }

    fn bot(&self) -> Bot {
        let url = self.emulator.api_url().parse().expect("emulator url");
        Bot::new(self.emulator.token()).set_api_url(url)
    }

    fn outbound(&self, per_chat_interval: Duration, global_per_second: u32) -> Outbound {
        Outbound::spawn(self.bot(), OutboundLimits { per_chat_interval, global_per_second })
    }

    async fn get(&self, path: &str) -> Value {
        let response =
            self.http.get(format!("{}{path}", self.emulator.control_url())).send().await.expect("control GET");
        assert!(response.status().is_success(), "GET {path}: {}", response.status());
        response.json().await.expect("control JSON")
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(format!("{}{path}", self.emulator.control_url()))
            .json(&body)
            .send()
            .await
            .expect("control POST");
        assert!(response.status().is_success(), "POST {path}: {}", response.status());
        response.json().await.expect("control JSON")
    }

    /// A user who has started the bot; their private chat has the same id.
    async fn user(&self, name: &str) -> i64 {
        let user = self.post("/users", json!({"first_name": name, "started": true})).await;
        user["id"].as_i64().expect("user id")
    }

    async fn calls(&self, method: &str) -> Vec<Call> {
        let calls = self.get(&format!("/calls?method={method}")).await;
        calls
            .as_array()
            .expect("call list")
            .iter()
            .map(|call| Call {
                at_ms: call["at_ms"].as_u64().expect("at_ms"),
                chat_id: call["chat_id"].as_i64(),
                status: call["status"].as_u64().and_then(|s| u16::try_from(s).ok()).expect("status"),
                text: call["params"]["text"].as_str().map(str::to_owned),
            })
            .collect()
    }

    /// The successful calls of `method`, once there are `count` of them.
    async fn wait_for_sent(&self, method: &str, count: usize) -> Vec<Call> {
        let start = tokio::time::Instant::now();
        loop {
            let sent: Vec<Call> = self.calls(method).await.into_iter().filter(|call| call.status == 200).collect();
            if sent.len() >= count {
                return sent;
            }
            assert!(start.elapsed() < DEADLINE, "only {} of {count} {method} calls succeeded in time", sent.len());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The bot's first message in a chat (waits for it).
    async fn first_bot_message(&self, chat_id: i64) -> Value {
        self.get(&format!("/chats/{chat_id}/messages/next?after=0&timeout_ms=10000")).await
    }

    async fn bot_messages(&self, chat_id: i64) -> Vec<Value> {
        let answer = self.get(&format!("/chats/{chat_id}/messages?from=bot")).await;
        answer["messages"].as_array().cloned().unwrap_or_default()
    }
}

fn send(chat_id: i64, text: impl Into<String>, priority: Priority) -> OutboundRequest {
    OutboundRequest::Send { chat_id, text: text.into(), keyboard: None, priority }
}

/// Polls `condition` until it holds or the deadline passes.
async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let start = tokio::time::Instant::now();
    while !condition() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn idle(stats: &OutboundStats) {
    eventually("the scheduler to finish", || stats.queued.load(Ordering::Relaxed) == 0).await;
}

fn texts(calls: &[Call]) -> Vec<String> {
    calls.iter().map(|call| call.text.clone().unwrap_or_default()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_keeps_each_chats_order_and_never_exceeds_the_limits() {
    let telegram = Telegram::start().await;
    let outbound = telegram.outbound(Duration::from_millis(200), 10);
    let mut chats = Vec::new();
    for i in 0..5 {
        chats.push(telegram.user(&format!("burst{i}")).await);
    }
    for n in 0..6 {
        for &chat in &chats {
            outbound.submit(send(chat, format!("{chat} #{n}"), Priority::Notification));
        }
    }

    let mut calls = telegram.wait_for_sent("sendMessage", 30).await;
    idle(outbound.stats()).await;
    let all = telegram.calls("sendMessage").await;
    assert_eq!(all.len(), 30, "no call was refused or repeated: {all:?}");

    for &chat in &chats {
        let in_chat: Vec<Call> = calls.iter().filter(|call| call.chat_id == Some(chat)).cloned().collect();
        let expected: Vec<String> = (0..6).map(|n| format!("{chat} #{n}")).collect();
        assert_eq!(texts(&in_chat), expected, "chat {chat} got its messages in submission order");
        for pair in in_chat.windows(2) {
            let gap = pair[1].at_ms - pair[0].at_ms;
            assert!(gap + TOLERANCE_MS >= 200, "chat {chat}: two sends {gap} ms apart (limit 200 ms)");
        }
    }
    calls.sort_by_key(|call| call.at_ms);
    for eleven in calls.windows(11) {
        let span = eleven[10].at_ms - eleven[0].at_ms;
        assert!(span + TOLERANCE_MS >= 1000, "11 sends within {span} ms: more than 10 in one second");
    }
    let stats = outbound.stats();
    assert_eq!(stats.sent.load(Ordering::Relaxed), 30);
    assert_eq!(stats.failed.load(Ordering::Relaxed), 0);
    assert!(stats.max_wait() >= stats.mean_wait());
    telegram.emulator.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interactive_reply_goes_before_queued_notifications() {
    let telegram = Telegram::start().await;
    let global_per_second = 4;
    let outbound = telegram.outbound(Duration::ZERO, global_per_second);
    let mut notified = Vec::new();
    for i in 0..12 {
        notified.push(telegram.user(&format!("notified{i}")).await);
    }
    let player = telegram.user("player").await;
    for &chat in &notified {
        outbound.submit(send(chat, "auction ended", Priority::Notification));
    }
    outbound.submit(send(player, "your move", Priority::Interactive));

    let calls = telegram.wait_for_sent("sendMessage", 13).await;
    let position = calls.iter().position(|call| call.chat_id == Some(player)).expect("the reply was sent");
    // At most the first window's worth of notifications may have gone out
    // before the reply was even queued.
    assert!(
        position <= global_per_second as usize,
        "the interactive reply was call #{position}, after {position} of 12 notifications"
    );
    telegram.emulator.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interactive_reply_never_overtakes_earlier_messages_in_its_chat() {
    let telegram = Telegram::start().await;
    let outbound = telegram.outbound(Duration::from_millis(100), 0);
    let chat = telegram.user("reader").await;
    outbound.submit(send(chat, "chapter 1", Priority::Notification));
    outbound.submit(send(chat, "chapter 2", Priority::Notification));
    outbound.submit(send(chat, "your choice?", Priority::Interactive));

    let calls = telegram.wait_for_sent("sendMessage", 3).await;
    assert_eq!(texts(&calls), ["chapter 1", "chapter 2", "your choice?"]);
    telegram.emulator.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_pauses_every_chat_and_the_message_is_delivered_once_after_retry_after() {
    let telegram = Telegram::start().await;
    let outbound = telegram.outbound(Duration::from_secs(1), 30);
    let (first, second) = (telegram.user("first").await, telegram.user("second").await);
    telegram.post("/rate-limits/force", json!({"count": 1, "retry_after": 1})).await;

    outbound.submit(send(first, "refused once", Priority::Interactive));
    let stats = outbound.stats();
    eventually("the 429", || stats.retry_after_429s.load(Ordering::Relaxed) == 1).await;
    // Another chat, queued during the pause: flood control is per bot.
    outbound.submit(send(second, "queued during the pause", Priority::Interactive));

    let sent = telegram.wait_for_sent("sendMessage", 2).await;
    idle(stats).await;
    let all = telegram.calls("sendMessage").await;
    let refused: Vec<&Call> = all.iter().filter(|call| call.status == 429).collect();
    assert_eq!(refused.len(), 1, "exactly one 429: {all:?}");
    assert_eq!(all.len(), 3, "the refused message was retried once, nothing else repeated: {all:?}");
    // Two chats: both go out when the pause ends, concurrently, in either order.
    let mut delivered = texts(&sent);
    delivered.sort();
    assert_eq!(delivered, ["queued during the pause", "refused once"]);
    for call in &sent {
        let after = call.at_ms - refused[0].at_ms;
        assert!(after + TOLERANCE_MS >= 1000, "{:?} went {after} ms after the 429 (retry_after 1 s)", call.text);
    }
    assert_eq!(stats.sent.load(Ordering::Relaxed), 2);
    telegram.emulator.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_edits_to_one_message_is_coalesced_into_the_last() {
    let telegram = Telegram::start().await;
    let outbound = telegram.outbound(Duration::from_secs(1), 30);
    let chat = telegram.user("editor").await;
    outbound.submit(send(chat, "menu v0", Priority::Interactive));
    let message_id = telegram.first_bot_message(chat).await["message_id"].as_i64().expect("message id");
    let message_id = i32::try_from(message_id).expect("small message id");

    // The chat is paced for a second after the send, so all five wait together.
    let keyboard = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("Next", "next")]]);
    for n in 1..=5 {
        let keyboard = (n == 5).then(|| keyboard.clone());
        outbound.submit(OutboundRequest::Edit { chat_id: chat, message_id, text: format!("menu v{n}"), keyboard });
    }

    telegram.wait_for_sent("editMessageText", 1).await;
    idle(outbound.stats()).await;
    let edits = telegram.calls("editMessageText").await;
    assert_eq!(texts(&edits), ["menu v5"], "only the last edit was sent");
    assert_eq!(outbound.stats().coalesced_edits.load(Ordering::Relaxed), 4);
    let messages = telegram.bot_messages(chat).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["text"], "menu v5");
    assert_eq!(messages[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"], "next");
    telegram.emulator.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_answer_is_not_held_back_by_its_chats_pacing() {
    let telegram = Telegram::start().await;
    let outbound = telegram.outbound(Duration::from_secs(2), 30);
    let chat = telegram.user("presser").await;
    let keyboard = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("Gift", "gift")]]);
    outbound.submit(OutboundRequest::Send {
        chat_id: chat,
        text: "menu".into(),
        keyboard: Some(keyboard),
        priority: Priority::Interactive,
    });
    let message_id = telegram.first_bot_message(chat).await["message_id"].clone();
    outbound.submit(send(chat, "paced", Priority::Notification));

    let pressed =
        telegram.post(&format!("/users/{chat}/callbacks"), json!({"message_id": message_id, "data": "gift"})).await;
    let callback_query_id = pressed["callback_query_id"].as_str().expect("callback id").to_owned();
    outbound.submit(OutboundRequest::AnswerCallback {
        callback_query_id: callback_query_id.clone(),
        text: Some("Gift sent".into()),
        show_alert: false,
    });
    let callback = telegram.get(&format!("/callbacks/{callback_query_id}?timeout_ms=10000")).await;
    assert_eq!(callback["answer"]["text"], "Gift sent");

    let sends = telegram.wait_for_sent("sendMessage", 2).await;
    let answer = telegram.wait_for_sent("answerCallbackQuery", 1).await;
    assert!(answer[0].at_ms < sends[1].at_ms, "the answer went before the paced message");
    telegram.emulator.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlimited_mode_delivers_a_long_burst_in_order() {
    let telegram = Telegram::start().await;
    let outbound = telegram.outbound(Duration::ZERO, 0);
    let chat = telegram.user("bench").await;
    for n in 0..200 {
        outbound.submit(send(chat, format!("#{n}"), Priority::Notification));
    }
    let calls = telegram.wait_for_sent("sendMessage", 200).await;
    let expected: Vec<String> = (0..200).map(|n| format!("#{n}")).collect();
    assert_eq!(texts(&calls), expected);
    let texts_seen: Vec<Value> = telegram.bot_messages(chat).await.iter().map(|m| m["text"].clone()).collect();
    assert_eq!(texts_seen, expected.iter().map(|t| json!(t)).collect::<Vec<_>>());
    telegram.emulator.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_sends_everything_queued_then_stops() {
    let telegram = Telegram::start().await;
    let outbound = telegram.outbound(Duration::from_millis(100), 30);
    let chat = telegram.user("leaving").await;
    for n in 0..5 {
        outbound.submit(send(chat, format!("last words {n}"), Priority::Notification));
    }
    outbound.drain(DEADLINE).await;
    let stats = outbound.stats();
    assert_eq!(stats.sent.load(Ordering::Relaxed), 5, "everything queued was sent before drain returned");
    assert_eq!(stats.queued.load(Ordering::Relaxed), 0);

    outbound.submit(send(chat, "too late", Priority::Interactive));
    assert_eq!(stats.failed.load(Ordering::Relaxed), 1, "a request after the drain is refused, not lost silently");
    assert_eq!(telegram.calls("sendMessage").await.len(), 5);
    telegram.emulator.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_gives_up_at_its_deadline() {
    let telegram = Telegram::start().await;
    let outbound = telegram.outbound(Duration::from_secs(1), 30);
    let chat = telegram.user("slow").await;
    for n in 0..10 {
        outbound.submit(send(chat, format!("paced {n}"), Priority::Notification));
    }
    let started = tokio::time::Instant::now();
    outbound.drain(Duration::from_millis(1500)).await;
    assert!(started.elapsed() < Duration::from_secs(5), "drain returned near its deadline");

    let stats = outbound.stats();
    let (sent, failed) = (stats.sent.load(Ordering::Relaxed), stats.failed.load(Ordering::Relaxed));
    assert!((1..=2).contains(&sent), "sent {sent} in 1.5 s at one per second");
    assert_eq!(sent + failed, 10, "every request is accounted for");
    assert_eq!(stats.queued.load(Ordering::Relaxed), 0);
    let delivered = telegram.calls("sendMessage").await;
    assert_eq!(delivered.len() as u64, sent, "nothing was sent after drain returned");
    telegram.emulator.stop().await;
}
