//! Long polling with an offset that only moves past durable updates.
//!
//! teloxide's own polling confirms updates as soon as it has fetched them,
//! before handlers finish; a crash then loses them. Here a batch is
//! confirmed (by asking for the next offset) only once every update in it
//! is durable, so after a crash Telegram hands out the unconfirmed ones
//! again and idempotency by update_id absorbs what was already applied.

use std::time::Duration;

use dianabot_plumbing::Backoff;
use futures_util::future::join_all;
use teloxide_core::Bot;
use teloxide_core::payloads::GetUpdatesSetters;
use teloxide_core::prelude::Requester;
use teloxide_core::types::{AllowedUpdate, UpdateKind};
use tokio::sync::watch;

use crate::telegram::Intake;

/// `chat_member` and `chat_join_request` are not in Telegram's default
/// set: they must be named (the VIP channel's joins and leaves, the
/// channels' join requests).
pub const ALLOWED_UPDATES: [AllowedUpdate; 8] = [
    AllowedUpdate::Message,
    AllowedUpdate::ChannelPost,
    AllowedUpdate::CallbackQuery,
    AllowedUpdate::MessageReaction,
    AllowedUpdate::MessageReactionCount,
    AllowedUpdate::ChatMember,
    AllowedUpdate::ChatJoinRequest,
    AllowedUpdate::PreCheckoutQuery,
];

/// Polls until `stop` turns true, then confirms what is durable and returns.
pub async fn run(bot: Bot, intake: Intake, mut stop: watch::Receiver<bool>) {
    let mut offset: Option<i32> = None;
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(10));
    while !*stop.borrow() {
        // cluster: one node polls (the server-wide shard's) and forwards.
        // One that stops serving it confirms nothing more; the next starts
        // from what Telegram still holds unconfirmed.
        if !intake.polls() {
            offset = None;
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(500)) => continue,
                _ = stop.changed() => break,
            }
        }
        let mut request = bot.get_updates().timeout(25).limit(100).allowed_updates(ALLOWED_UPDATES);
        if let Some(offset) = offset {
            request = request.offset(offset);
        }
        let updates = tokio::select! {
            updates = request => updates,
            _ = stop.changed() => break,
        };
        let updates = match updates {
            Ok(updates) => {
                backoff.reset();
                updates
            }
            Err(err) => {
                tracing::warn!(error = %err, retry_in = ?backoff.delay(), "getUpdates failed");
                backoff.wait().await;
                continue;
            }
        };
        let Some(last) = updates.iter().map(|update| update.id.0).max() else { continue };
        // Channel posts first: a reaction later in the batch may be on one.
        // Then the rest, dispatched in arrival order (per-user order) and
        // handled concurrently.
        let (posts, rest): (Vec<_>, Vec<_>) =
            updates.into_iter().partition(|update| matches!(update.kind, UpdateKind::ChannelPost(_)));
        let mut results = join_all(posts.into_iter().map(|update| intake.receive(update, None))).await;
        results.extend(join_all(rest.into_iter().map(|update| intake.receive(update, None))).await);
        if let Some(err) = results.into_iter().find_map(Result::err) {
            // Leave the offset where it was: the whole batch comes again and
            // idempotency drops what was already applied.
            tracing::warn!(error = %err, "batch not durable; it will be fetched again");
            tokio::time::sleep(backoff.delay()).await;
            continue;
        }
        offset = Some(last as i32 + 1);
    }
    if let Some(offset) = offset {
        // Confirm the last durable batch; what this returns stays unconfirmed.
        let _ = bot.get_updates().offset(offset).limit(1).timeout(0).await;
    }
}

#[cfg(test)]
mod tests {
    use teloxide_core::types::{Update, UpdateKind};

    /// getUpdates answers with a list; if one malformed update failed the
    /// whole list, the offset could never move past it. teloxide parses an
    /// update whose content it cannot read as `UpdateKind::Error` (intake
    /// ignores it), so the batch parses and the offset moves on.
    #[test]
    fn a_malformed_update_does_not_fail_its_batch() {
        let good = r#"{"update_id": 9, "message": {"message_id": 1, "date": 0,
            "chat": {"id": 5, "type": "private", "first_name": "A"}, "from": {"id": 5, "is_bot": false, "first_name": "A"},
            "text": "/start"}}"#;
        let batch = format!(
            r#"[{{"update_id": 7, "message": {{"message_id": "not a number"}}}}, {{"update_id": 8, "brand_new": 1}}, {good}]"#
        );
        let updates: Vec<Update> = serde_json::from_str(&batch).expect("the batch parses");
        let ids: Vec<u32> = updates.iter().map(|update| update.id.0).collect();
        assert_eq!(ids, [7, 8, 9]);
        assert!(matches!(updates[0].kind, UpdateKind::Error(_)));
        assert!(matches!(updates[1].kind, UpdateKind::Error(_)));
        assert!(matches!(updates[2].kind, UpdateKind::Message(_)));
    }
}
