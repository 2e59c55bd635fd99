//! A gift of besitos from one player to another: a saga across the two
//! players' actors; the receiver hears of it in their own language.

use dianabot_actors::{DispatchError, GiftOutcome};
use dianabot_game::{Besitos, Language, Malformed, RuleError, UpdateId, Usage, UserId};

use crate::telegram::clean::{NAME_CHARS, clean};
use crate::telegram::intake::{Failure, Handled, Intake};
use crate::telegram::outbound::{OutboundRequest, Priority};
use crate::telegram::screens;
use crate::telegram::translate::{Origin, ReplyTo, Translation};

/// `/regalar`: a player gives besitos to another.
#[derive(Debug)]
pub struct GiftRequest {
    pub from: UserId,
    pub to: Recipient,
    pub amount: Besitos,
    pub update_id: UpdateId,
    pub chat_id: i64,
    pub giver: String,
    pub language: Language,
}

/// Who a gift is for, as the player wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    Id(UserId),
    /// A Telegram username, without the `@`.
    Username(String),
}

pub fn text(origin: &Origin<'_>, name: &str, text: &str) -> Option<Translation> {
    if !matches!(name, "gift" | "regalar") {
        return None;
    }
    Some(match parse_gift(text) {
        Ok((to, amount)) => Translation::Gift(GiftRequest {
            from: origin.user_id,
            to,
            amount,
            update_id: origin.update_id,
            chat_id: origin.chat_id,
            giver: clean(&origin.user.first_name, NAME_CHARS).into_owned(),
            language: origin.language,
        }),
        Err(refusal) => origin.refuse(refusal),
    })
}

/// `/regalar @usuario 10` or `/regalar 12345 10`.
fn parse_gift(text: &str) -> Result<(Recipient, Besitos), RuleError> {
    let mut words = text.split_whitespace().skip(1);
    let usage = || RuleError::Malformed(Malformed::Usage(Usage::Gift));
    let to = words.next().ok_or_else(usage)?;
    let amount: i64 = words.next().and_then(|word| word.parse().ok()).ok_or_else(usage)?;
    if words.next().is_some() {
        return Err(usage());
    }
    let to = match to.strip_prefix('@') {
        Some(username) if !username.is_empty() => Recipient::Username(username.to_owned()),
        _ => Recipient::Id(UserId(to.parse().map_err(|_| usage())?)),
    };
    Ok((to, Besitos::new(amount)?))
}

impl Intake {
    pub(in crate::telegram) async fn handle_gift(&self, request: GiftRequest) -> Result<Handled, Failure> {
        let GiftRequest { from, to, amount, update_id, chat_id, giver, language } = request;
        let (to, name) = match to {
            Recipient::Id(id) => (Some(id), id.to_string()),
            Recipient::Username(username) => {
                // A lookup that failed says nothing about the user: not
                // acknowledged, so Telegram delivers the gift again.
                let found = self.coordinator.find_user(&username).await.map_err(|err| {
                    tracing::error!(error = %err, "looking up a username failed");
                    Failure::NotDurable(DispatchError::NotDurable)
                })?;
                (found, format!("@{username}"))
            }
        };
        let Some(to) = to else {
            self.answer(ReplyTo::NewMessage { chat_id }, Some(screens::unknown_recipient(language, &name)));
            return Ok(Handled::Ignored);
        };
        let transfer = self.coordinator.next_id().await?;
        let outcome = self.coordinator.gift(from, to, amount, transfer, Some(update_id)).await?;
        let report = screens::gift_report(language, &outcome, amount.get(), &name);
        self.answer(ReplyTo::NewMessage { chat_id }, Some(report));
        if outcome == GiftOutcome::Delivered {
            // The receiver hears of it in their own language; their
            // private chat with the bot has their user id.
            if let Ok(notice) =
                self.router.view(to, move |state| screens::gift_received(state.language(), amount.get(), &giver)).await
            {
                self.outbound.submit(OutboundRequest::Send {
                    chat_id: to.0,
                    text: notice.text,
                    keyboard: None,
                    priority: Priority::Notification,
                });
            }
        }
        Ok(Handled::Durable)
    }
}
