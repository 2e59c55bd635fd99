//! The outbound scheduler against the project's Bot API emulator: limits
//! kept, order kept, priorities, 429s, edit coalescing, queue bounds under
//! a flood, and draining.
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

    /// A scheduler with these rate limits and no queue bounds.
    fn outbound(&self, per_chat_interval: Duration, global_per_second: u32) -> Outbound {
        let limits = OutboundLimits { per_chat_interval, global_per_second, max_per_chat: 0, max_total: 0 };
        Outbound::spawn(self.bot(), limits)
    }

    /// A scheduler pacing each chat at `per_chat_interval` with these queue bounds.
    fn bounded(&self, per_chat_interval: Duration, max_per_chat: usize, max_total: usize) -> Outbound {
        let limits = OutboundLimits { per_chat_interval, global_per_second: 0, max_per_chat, max_total };
        Outbound::spawn(self.bot(), limits)
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_in_one_chat_stays_within_its_bound_and_the_last_command_is_answered() {
    let telegram = Telegram::start().await;
    let max_per_chat = 10;
    let outbound = telegram.bounded(Duration::from_millis(100), max_per_chat, 1000);
    let chat = telegram.user("flooder").await;
    let flood = 5_000;
    for n in 0..flood {
        outbound.submit(send(chat, format!("#{n}"), Priority::Interactive));
        if n % 1000 == 999 {
            outbound.submit(send(chat, format!("receipt {n}"), Priority::Receipt));
        }
    }
    outbound.submit(send(chat, "the last command's answer", Priority::Interactive));

    idle(outbound.stats()).await;
    let stats = outbound.stats();
    let delivered = texts(&telegram.calls("sendMessage").await);
    assert_eq!(delivered.last().map(String::as_str), Some("the last command's answer"));
    let receipts: Vec<&String> = delivered.iter().filter(|text| text.starts_with("receipt")).collect();
    assert_eq!(receipts, ["receipt 999", "receipt 1999", "receipt 2999", "receipt 3999", "receipt 4999"]);
    let peak = stats.peak_chat_waiting.load(Ordering::Relaxed);
    assert!(peak <= max_per_chat as u64, "{peak} requests waited in the chat (bound {max_per_chat})");
    let (sent, dropped) = (stats.sent.load(Ordering::Relaxed), stats.dropped_chat_bound.load(Ordering::Relaxed));
    assert_eq!(sent, delivered.len() as u64);
    assert_eq!(sent + dropped, flood + 6, "every request was sent or counted dropped");
    assert!(dropped >= flood - 100, "only {dropped} of {flood} dropped");
    assert_eq!(stats.dropped_total_bound.load(Ordering::Relaxed), 0);
    // What was sent kept its order: dropping never reorders a chat.
    let numbered: Vec<u64> = delivered.iter().filter_map(|text| text.strip_prefix('#')?.parse().ok()).collect();
    assert!(numbered.windows(2).all(|pair| pair[0] < pair[1]), "out of order: {numbered:?}");
    telegram.emulator.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overall_bound_drops_notifications_before_replies() {
    let telegram = Telegram::start().await;
    let max_total = 20;
    let outbound = telegram.bounded(Duration::from_millis(100), 0, max_total);
    let (first, watcher, player) =
        (telegram.user("first").await, telegram.user("watcher").await, telegram.user("player").await);
    // A 429 pauses the scheduler for a second: everything below waits at once.
    telegram.post("/rate-limits/force", json!({"count": 1, "retry_after": 1})).await;
    outbound.submit(send(first, "refused once", Priority::Interactive));
    let stats = outbound.stats();
    eventually("the 429", || stats.retry_after_429s.load(Ordering::Relaxed) == 1).await;
    for n in 0..15 {
        outbound.submit(send(watcher, format!("news {n}"), Priority::Notification));
    }
    for n in 0..15 {
        outbound.submit(send(player, format!("reply {n}"), Priority::Interactive));
    }

    idle(stats).await;
    let calls: Vec<Call> = telegram.calls("sendMessage").await.into_iter().filter(|call| call.status == 200).collect();
    let in_chat =
        |chat: i64| texts(&calls.iter().filter(|call| call.chat_id == Some(chat)).cloned().collect::<Vec<_>>());
    let replies: Vec<String> = (0..15).map(|n| format!("reply {n}")).collect();
    assert_eq!(in_chat(player), replies, "every reply was sent, in order");
    assert_eq!(in_chat(first), ["refused once"]);
    // 31 waiting during the pause, 20 allowed: the 11 oldest notifications went.
    assert_eq!(stats.dropped_total_bound.load(Ordering::Relaxed), 11);
    let news: Vec<String> = (11..15).map(|n| format!("news {n}")).collect();
    assert_eq!(in_chat(watcher), news);
    let peak = stats.peak_waiting.load(Ordering::Relaxed);
    assert_eq!(peak, max_total as u64, "never more than the bound waited");
    telegram.emulator.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_repeating_the_one_queued_last_is_sent_once() {
    let telegram = Telegram::start().await;
    let outbound = telegram.bounded(Duration::from_millis(200), 30, 1000);
    let chat = telegram.user("repeater").await;
    for _ in 0..5 {
        outbound.submit(send(chat, "no le he entendido", Priority::Interactive));
    }
    for text in ["a", "b", "a"] {
        outbound.submit(send(chat, text, Priority::Interactive));
    }

    idle(outbound.stats()).await;
    let delivered = texts(&telegram.calls("sendMessage").await);
    let repeats = delivered.iter().filter(|text| *text == "no le he entendido").count();
    // The first may be on the wire before the second arrives; then one more waits.
    assert!((1..=2).contains(&repeats), "{delivered:?}");
    assert_eq!(outbound.stats().coalesced_repeats.load(Ordering::Relaxed), 5 - repeats as u64);
    assert_eq!(delivered[repeats..], ["a", "b", "a"], "only a repeat of the last queued is coalesced");
    telegram.emulator.stop().await;
}
