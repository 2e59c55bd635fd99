//! Everything the bot sends goes through here.

use teloxide_core::Bot;
use teloxide_core::prelude::Requester;
use teloxide_core::types::ChatId;
use tokio::sync::mpsc;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundMessage {
    pub chat_id: i64,
    pub text: String,
}

/// Handle to the sending task. Cheap to clone.
#[derive(Clone)]
pub struct Outbound {
    sender: mpsc::UnboundedSender<OutboundMessage>,
}

impl Outbound {
    pub fn spawn(bot: Bot) -> Outbound {
        let (sender, mut receiver) = mpsc::unbounded_channel::<OutboundMessage>();
        tokio::spawn(async move {
            while let Some(message) = receiver.recv().await {
                if let Err(err) = bot.send_message(ChatId(message.chat_id), message.text).await {
                    tracing::warn!(chat_id = message.chat_id, error = %err, "sendMessage failed");
                }
            }
        });
        Outbound { sender }
    }

    pub fn send(&self, message: OutboundMessage) {
        let _ = self.sender.send(message);
    }
}
