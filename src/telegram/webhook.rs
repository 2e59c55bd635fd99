//! `POST /telegram/webhook`: Telegram's push intake.

use actix_web::{HttpRequest, HttpResponse, web};
use teloxide_core::types::Update;

use crate::telegram::Intake;

/// The header Telegram sets to the `secret_token` given to setWebhook.
pub const SECRET_HEADER: &str = "X-Telegram-Bot-Api-Secret-Token";

pub struct WebhookState {
    pub intake: Intake,
    pub secret: String,
}

/// Answers 200 only once the update is durable; anything else makes
/// Telegram deliver it again.
pub async fn receive(request: HttpRequest, body: web::Bytes, state: web::Data<WebhookState>) -> HttpResponse {
    let presented = request.headers().get(SECRET_HEADER).map(|value| value.as_bytes()).unwrap_or_default();
    if !constant_time_eq(presented, state.secret.as_bytes()) {
        tracing::warn!(peer = ?request.peer_addr(), "webhook call with a missing or wrong secret token");
        return HttpResponse::Unauthorized().body("wrong secret token");
    }
    let update: Update = match serde_json::from_slice(&body) {
        Ok(update) => update,
        Err(err) => {
            tracing::warn!(error = %err, "malformed update refused");
            return HttpResponse::BadRequest().body(format!("malformed update: {err}"));
        }
    };
    match state.intake.handle(update).await {
        Ok(_) => HttpResponse::Ok().finish(),
        Err(err) => {
            tracing::warn!(error = %err, "update not acknowledged");
            HttpResponse::ServiceUnavailable().body(err.to_string())
        }
    }
}

/// Compares without returning early, so response time does not reveal how
/// much of a guessed secret was right.
fn constant_time_eq(presented: &[u8], expected: &[u8]) -> bool {
    let mut difference = presented.len() ^ expected.len();
    for (index, byte) in expected.iter().enumerate() {
        difference |= usize::from(byte ^ presented.get(index).copied().unwrap_or(0));
    }
    difference == 0
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn secret_comparison_needs_exact_match() {
        assert!(constant_time_eq(b"s3cret", b"s3cret"));
        assert!(!constant_time_eq(b"s3cre", b"s3cret"));
        assert!(!constant_time_eq(b"s3crett", b"s3cret"));
        assert!(!constant_time_eq(b"", b"s3cret"));
        assert!(!constant_time_eq(b"S3cret", b"s3cret"));
    }
}
