//! `POST /telegram/webhook`: Telegram's push intake.

use std::sync::atomic::Ordering;

use actix_web::{HttpRequest, HttpResponse, web};
use subtle::ConstantTimeEq;
use teloxide_core::types::Update;

use crate::telegram::Intake;

/// The header Telegram sets to the `secret_token` given to setWebhook.
pub const SECRET_HEADER: &str = "X-Telegram-Bot-Api-Secret-Token";

/// How much of an unparseable update the log keeps.
const DEAD_LETTER_LOG_BYTES: usize = 512;

pub struct WebhookState {
    pub intake: Intake,
    pub secret: String,
}

/// Answers 200 only once the update is durable, or when it is a dead letter
/// (unparseable, or its handling crashed); anything else makes Telegram
/// deliver it again.
pub async fn receive(request: HttpRequest, body: web::Bytes, state: web::Data<WebhookState>) -> HttpResponse {
    let presented = request.headers().get(SECRET_HEADER).map(|value| value.as_bytes()).unwrap_or_default();
    if !secret_matches(presented, state.secret.as_bytes()) {
        tracing::warn!(peer = ?request.peer_addr(), "webhook call with a missing or wrong secret token");
        return HttpResponse::Unauthorized().body("wrong secret token");
    }
    let update = match parse_update(&body) {
        Ok(update) => update,
        Err(err) => {
            // Refusing it would make Telegram deliver it again and again
            // until it gives up; nothing can be done with it, so it is
            // acknowledged and kept only in the log.
            state.intake.stats().dead_lettered.fetch_add(1, Ordering::Relaxed);
            let head = String::from_utf8_lossy(&body[..body.len().min(DEAD_LETTER_LOG_BYTES)]);
            tracing::warn!(error = %err, bytes = body.len(), body = %head, "unparseable update dead-lettered");
            return HttpResponse::Ok().finish();
        }
    };
    match state.intake.receive(update, Some(&body)).await {
        Ok(_) => HttpResponse::Ok().finish(),
        Err(err) => {
            tracing::warn!(error = %err, "update not acknowledged");
            HttpResponse::ServiceUnavailable().body(err.to_string())
        }
    }
}

/// Why a body is not an update.
#[derive(Debug, thiserror::Error)]
pub enum Unparseable {
    #[error(transparent)]
    Invalid(#[from] serde_json::Error),
    #[error("the update parser panicked")]
    ParserPanicked,
}

/// Parses a webhook body. teloxide-core's parser panics on some malformed
/// updates (a `message_reaction` with neither `user` nor `actor_chat`
/// unwraps a `None`), which would drop the connection unanswered and have
/// Telegram deliver it forever; such a body is unparseable like any other.
pub fn parse_update(body: &[u8]) -> Result<Update, Unparseable> {
    match std::panic::catch_unwind(|| serde_json::from_slice::<Update>(body)) {
        Ok(parsed) => Ok(parsed?),
        Err(_) => Err(Unparseable::ParserPanicked),
    }
}

/// Compares in constant time, so response time does not reveal how much of
/// a guessed secret was right. (`subtle` returns early only on a length
/// mismatch, which reveals the length alone.)
fn secret_matches(presented: &[u8], expected: &[u8]) -> bool {
    presented.ct_eq(expected).into()
}

#[cfg(test)]
mod tests {
    use super::{Unparseable, parse_update, secret_matches};

    /// Found by `telegram::fuzz`: teloxide-core unwraps the reaction's actor.
    #[test]
    fn a_reaction_without_an_actor_is_unparseable_not_a_panic() {
        let body = br#"{"update_id":1,"message_reaction":{"chat":{"id":-1001,"type":"channel","title":"Diana"},
            "message_id":7,"date":1700000000,"old_reaction":[],"new_reaction":[{"type":"emoji","emoji":"x"}]}}"#;
        assert!(matches!(parse_update(body), Err(Unparseable::ParserPanicked)));
    }

    #[test]
    fn secret_comparison_needs_exact_match() {
        assert!(secret_matches(b"s3cret", b"s3cret"));
        assert!(!secret_matches(b"s3cre", b"s3cret"));
        assert!(!secret_matches(b"s3crett", b"s3cret"));
        assert!(!secret_matches(b"", b"s3cret"));
        assert!(!secret_matches(b"S3cret", b"s3cret"));
    }
}
