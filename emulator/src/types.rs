//! The Bot API object shapes the emulator sends, as serde structs.
//!
//! Field names and optionality follow <https://core.telegram.org/bots/api>; the
//! acceptance tests parse every one of them with teloxide-core, which is the proof
//! that they are real. Optional fields are omitted rather than sent as `null`,
//! as Telegram does.

use serde::Serialize;
use serde_json::{Value, json};

/// Bot API `User`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    pub id: u64,
    pub is_bot: bool,
    pub first_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language_code: Option<String>,
}

/// Bot API `Chat` (private chats and channels are all the emulator has).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chat {
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
}

/// Bot API `Message`, restricted to the kinds the emulator produces: text,
/// invoices, successful and refunded payments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    pub message_id: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<User>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender_chat: Option<Chat>,
    pub date: i64,
    pub chat: Chat,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edit_date: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_to_message: Option<Box<Message>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entities: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<Document>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub caption_entities: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice: Option<Invoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub successful_payment: Option<Payment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refunded_payment: Option<Payment>,
    /// Only inline keyboards appear here, as in Telegram.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_markup: Option<Value>,
}

/// Bot API `Document`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Document {
    pub file_id: String,
    pub file_unique_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_size: Option<u64>,
}

/// Bot API `Invoice`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Invoice {
    pub title: String,
    pub description: String,
    pub start_parameter: String,
    pub currency: String,
    pub total_amount: u32,
}

/// Bot API `SuccessfulPayment` and `RefundedPayment` (same fields for Stars;
/// the subscription fields only appear on a subscription's payments).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Payment {
    pub currency: String,
    pub total_amount: u32,
    pub invoice_payload: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription_expiration_date: Option<i64>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub is_recurring: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub is_first_recurring: bool,
    pub telegram_payment_charge_id: String,
    pub provider_payment_charge_id: String,
}

/// Bot API `ReactionType` for an emoji.
pub fn emoji_reaction(emoji: &str) -> Value {
    json!({"type": "emoji", "emoji": emoji})
}

/// A chat member's status, as the emulator tracks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    Creator,
    Administrator,
    Member,
    Left,
    /// Banned; `until` 0 means forever.
    Kicked {
        until: i64,
    },
}

impl MemberStatus {
    /// The Bot API `status` string.
    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Creator => "creator",
            MemberStatus::Administrator => "administrator",
            MemberStatus::Member => "member",
            MemberStatus::Left => "left",
            MemberStatus::Kicked { .. } => "kicked",
        }
    }

    /// Whether the user is in the chat.
    pub fn is_present(self) -> bool {
        matches!(self, MemberStatus::Creator | MemberStatus::Administrator | MemberStatus::Member)
    }
}

/// Bot API `ChatMember` for a user with a status.
pub fn chat_member(user: &User, status: MemberStatus, channel: bool) -> Value {
    let mut member = json!({ "user": user, "status": status.as_str() });
    match status {
        MemberStatus::Creator => {
            member["is_anonymous"] = json!(false);
        }
        MemberStatus::Administrator => {
            let rights = [
                ("can_be_edited", false),
                ("is_anonymous", false),
                ("can_manage_chat", true),
                ("can_delete_messages", true),
                ("can_manage_video_chats", true),
                ("can_restrict_members", true),
                ("can_promote_members", false),
                ("can_change_info", true),
                ("can_invite_users", true),
                ("can_post_stories", true),
                ("can_edit_stories", true),
                ("can_delete_stories", true),
            ];
            for (k, v) in rights {
                member[k] = json!(v);
            }
            if channel {
                member["can_post_messages"] = json!(true);
                member["can_edit_messages"] = json!(true);
            }
        }
        MemberStatus::Kicked { until } => {
            member["until_date"] = json!(until);
        }
        MemberStatus::Member | MemberStatus::Left => {}
    }
    member
}

/// Bot API `ChatInviteLink`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatInviteLink {
    pub invite_link: String,
    pub creator: User,
    pub creates_join_request: bool,
    pub is_primary: bool,
    pub is_revoked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expire_date: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_limit: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_join_request_count: Option<u32>,
}
