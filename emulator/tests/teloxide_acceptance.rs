//! teloxide-core parses everything the emulator sends: the proof that the
//! shapes are the real Bot API's.

mod common;

use common::Emu;
use serde_json::json;
use teloxide_core::prelude::*;
use teloxide_core::types::{
    AllowedUpdate, ChatMemberKind, InlineKeyboardButton, InlineKeyboardMarkup, LabeledPrice, MaybeInaccessibleMessage,
    ReactionType, Seconds, Update, UpdateKind,
};

fn all_updates() -> Vec<AllowedUpdate> {
    vec![
        AllowedUpdate::Message,
        AllowedUpdate::ChannelPost,
        AllowedUpdate::CallbackQuery,
        AllowedUpdate::MessageReaction,
        AllowedUpdate::MessageReactionCount,
        AllowedUpdate::ChatMember,
        AllowedUpdate::ChatJoinRequest,
        AllowedUpdate::PreCheckoutQuery,
    ]
}

/// Polls once (waiting up to 5 s) and confirms what it got.
async fn poll(bot: &Bot, offset: &mut i32) -> Vec<Update> {
    let updates =
        bot.get_updates().offset(*offset).timeout(5).allowed_updates(all_updates()).await.expect("getUpdates");
    if let Some(last) = updates.last() {
        *offset = last.id.0 as i32 + 1;
    }
    for u in &updates {
        assert!(!matches!(u.kind, UpdateKind::Error(_)), "teloxide could not parse {:?}", u.kind);
    }
    updates
}

/// Registers allowed_updates (Telegram filters updates when they are created).
async fn subscribe(bot: &Bot) {
    bot.get_updates().timeout(0).allowed_updates(all_updates()).await.expect("getUpdates");
}

#[tokio::test]
async fn get_me_parses_as_teloxide_me() {
    let emu = Emu::start().await;
    let me = emu.bot().get_me().await.expect("getMe");
    assert_eq!(me.username(), "DianaBot");
    assert_eq!(me.id.0, 123_456);
    assert!(me.is_bot);
    emu.handle.stop().await;
}

#[tokio::test]
async fn a_user_message_arrives_as_a_message_update() {
    let emu = Emu::start().await;
    let bot = emu.bot();
    let user = emu.user("Ana").await;
    let sent = emu.say(user, "/start").await;
    let mut offset = 0;
    let updates = poll(&bot, &mut offset).await;
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].id.0 as u64, sent["update_id"].as_u64().unwrap_or(0));
    let UpdateKind::Message(msg) = &updates[0].kind else {
        panic!("expected a message, got {:?}", updates[0].kind);
    };
    assert_eq!(msg.text(), Some("/start"));
    assert_eq!(msg.chat.id.0, user as i64);
    assert_eq!(msg.from.as_ref().map(|u| u.id.0), Some(user));
    assert_eq!(msg.from.as_ref().and_then(|u| u.language_code.as_deref()), Some("es"));
    emu.handle.stop().await;
}

#[tokio::test]
async fn keyboards_callbacks_and_edits_round_trip() {
    let emu = Emu::start().await;
    let bot = emu.bot();
    let user = emu.user("Ana").await;
    let chat = ChatId(user as i64);
    let keyboard = InlineKeyboardMarkup::new(vec![vec![
        InlineKeyboardButton::callback("Sí", "story:yes"),
        InlineKeyboardButton::callback("No", "story:no"),
    ]]);
    let sent = bot
        .send_message(chat, "<b>¿Entras?</b>")
        .parse_mode(teloxide_core::types::ParseMode::Html)
        .reply_markup(keyboard.clone())
        .await
        .expect("sendMessage");
    assert_eq!(sent.text(), Some("¿Entras?"));
    assert_eq!(sent.reply_markup(), Some(&keyboard));
    assert_eq!(sent.from.as_ref().map(|u| u.is_bot), Some(true));

    let pressed = emu
        .post(&format!("/control/users/{user}/callbacks"), json!({"message_id": sent.id.0, "data": "story:yes"}))
        .await;
    let mut offset = 0;
    let updates = poll(&bot, &mut offset).await;
    let UpdateKind::CallbackQuery(query) = &updates[0].kind else {
        panic!("expected a callback query, got {:?}", updates[0].kind);
    };
    assert_eq!(query.data.as_deref(), Some("story:yes"));
    assert_eq!(query.from.id.0, user);
    let Some(MaybeInaccessibleMessage::Regular(message)) = &query.message else {
        panic!("callback without its message");
    };
    assert_eq!(message.id, sent.id);

    bot.answer_callback_query(query.id.clone()).text("¡Bien!").await.expect("answerCallbackQuery");
    let id = pressed["callback_query_id"].as_str().unwrap_or_default();
    let answer = emu.get(&format!("/control/callbacks/{id}")).await;
    assert_eq!(answer["answer"]["text"], "¡Bien!");

    let edited = bot.edit_message_text(chat, sent.id, "Entraste.").await.expect("editMessageText");
    assert_eq!(edited.text(), Some("Entraste."));
    assert!(edited.edit_date().is_some());
    let listing = emu.get(&format!("/control/chats/{user}/messages?from=bot")).await;
    assert_eq!(listing["messages"][0]["text"], "Entraste.");
    assert!(listing["messages"][0].get("reply_markup").is_none());

    let remarked = bot
        .edit_message_reply_markup(chat, sent.id)
        .reply_markup(keyboard.clone())
        .await
        .expect("editMessageReplyMarkup");
    assert_eq!(remarked.reply_markup(), Some(&keyboard));
    bot.delete_message(chat, sent.id).await.expect("deleteMessage");
    let listing = emu.get(&format!("/control/chats/{user}/messages?from=bot")).await;
    assert_eq!(listing["messages"].as_array().map(Vec::len), Some(0));
    emu.handle.stop().await;
}

#[tokio::test]
async fn channel_posts_reactions_and_joins_parse() {
    let emu = Emu::start().await;
    let bot = emu.bot();
    subscribe(&bot).await;
    let user = emu.user("Ana").await;
    let post = emu.post("/control/channels/free/posts", json!({"text": "Nuevo capítulo"})).await;
    let joined = emu.post(&format!("/control/users/{user}/join"), json!({"chat_id": "free"})).await;
    assert!(joined["update_id"].is_u64());
    let reacted = emu
        .post(
            &format!("/control/users/{user}/reactions"),
            json!({"chat_id": "free", "message_id": post["message_id"], "emoji": "❤"}),
        )
        .await;
    assert!(reacted["update_id"].is_u64());

    let mut offset = 0;
    let mut updates = Vec::new();
    while updates.len() < 4 {
        let batch = poll(&bot, &mut offset).await;
        assert!(!batch.is_empty(), "updates stopped after {}", updates.len());
        updates.extend(batch);
    }
    let UpdateKind::ChannelPost(channel_post) = &updates[0].kind else {
        panic!("expected a channel post, got {:?}", updates[0].kind);
    };
    assert_eq!(channel_post.text(), Some("Nuevo capítulo"));
    assert_eq!(channel_post.chat.id.0, -1_001_000_000_001);

    let UpdateKind::ChatMember(member) = &updates[1].kind else {
        panic!("expected chat_member, got {:?}", updates[1].kind);
    };
    assert_eq!(member.new_chat_member.user.id.0, user);
    assert!(member.old_chat_member.kind.is_left());
    assert!(member.new_chat_member.kind.is_member());

    let UpdateKind::MessageReaction(reaction) = &updates[2].kind else {
        panic!("expected message_reaction, got {:?}", updates[2].kind);
    };
    assert_eq!(reaction.user().map(|u| u.id.0), Some(user));
    assert!(reaction.old_reaction.is_empty());
    assert_eq!(reaction.new_reaction, vec![ReactionType::Emoji { emoji: "❤".into() }]);
    let UpdateKind::MessageReactionCount(count) = &updates[3].kind else {
        panic!("expected message_reaction_count, got {:?}", updates[3].kind);
    };
    assert_eq!(count.reactions[0].total_count, 1);
    emu.handle.stop().await;
}

#[tokio::test]
async fn stars_payment_pre_checkout_success_and_refund() {
    let emu = Emu::start().await;
    let bot = emu.bot();
    let user = emu.user("Ana").await;
    let invoice = bot
        .send_invoice(
            ChatId(user as i64),
            "Llave VIP",
            "Acceso al diván",
            "vip:monthly",
            "XTR",
            vec![LabeledPrice::new("VIP", 50)],
        )
        .await
        .expect("sendInvoice");
    assert_eq!(invoice.invoice().map(|i| i.total_amount), Some(50));

    let pay = {
        let http = emu.http.clone();
        let url = emu.url(&format!("/control/users/{user}/pay"));
        let body = json!({"message_id": invoice.id.0});
        tokio::spawn(async move {
            http.post(url).json(&body).send().await.expect("pay").json::<serde_json::Value>().await.expect("pay json")
        })
    };
    let mut offset = 0;
    let updates = poll(&bot, &mut offset).await;
    let UpdateKind::PreCheckoutQuery(query) = &updates[0].kind else {
        panic!("expected pre_checkout_query, got {:?}", updates[0].kind);
    };
    assert_eq!(query.currency, "XTR");
    assert_eq!(query.total_amount, 50);
    assert_eq!(query.invoice_payload, "vip:monthly");
    bot.answer_pre_checkout_query(query.id.clone(), true).await.expect("answerPreCheckoutQuery");
    let paid = pay.await.expect("pay task");
    assert_eq!(paid["status"], "paid", "{paid}");
    let charge = paid["telegram_payment_charge_id"].as_str().unwrap_or_default().to_owned();

    let updates = poll(&bot, &mut offset).await;
    let UpdateKind::Message(msg) = &updates[0].kind else {
        panic!("expected the payment message, got {:?}", updates[0].kind);
    };
    let payment = msg.successful_payment().expect("successful_payment");
    assert_eq!(payment.telegram_payment_charge_id.0, charge);
    assert_eq!(payment.invoice_payload, "vip:monthly");

    bot.refund_star_payment(UserId(user), charge.clone().into()).await.expect("refundStarPayment");
    let again = bot.refund_star_payment(UserId(user), charge.into()).await;
    let err = again.expect_err("second refund refused");
    assert!(err.to_string().contains("CHARGE_ALREADY_REFUNDED"), "{err}");
    let unknown = bot.refund_star_payment(UserId(user), "stxnope".to_owned().into()).await;
    assert!(unknown.is_err());
    let updates = poll(&bot, &mut offset).await;
    let UpdateKind::Message(refund) = &updates[0].kind else {
        panic!("expected the refund message, got {:?}", updates[0].kind);
    };
    assert!(matches!(&refund.kind, teloxide_core::types::MessageKind::RefundedPayment(_)), "{refund:?}");
    emu.handle.stop().await;
}

#[tokio::test]
async fn a_rejected_pre_checkout_fails_the_payment_with_the_reason() {
    let emu = Emu::start().await;
    let bot = emu.bot();
    let user = emu.user("Ana").await;
    let link = bot
        .create_invoice_link("Rosa", "Una rosa", "item:rose", "XTR", vec![LabeledPrice::new("Rosa", 5)])
        .await
        .expect("createInvoiceLink");
    assert!(link.starts_with("https://t.me/$"));
    let pay = {
        let http = emu.http.clone();
        let url = emu.url(&format!("/control/users/{user}/pay"));
        tokio::spawn(async move {
            http.post(url)
                .json(&json!({"invoice_link": link}))
                .send()
                .await
                .expect("pay")
                .json::<serde_json::Value>()
                .await
                .expect("pay json")
        })
    };
    let mut offset = 0;
    let updates = poll(&bot, &mut offset).await;
    let UpdateKind::PreCheckoutQuery(query) = &updates[0].kind else {
        panic!("expected pre_checkout_query, got {:?}", updates[0].kind);
    };
    bot.answer_pre_checkout_query(query.id.clone(), false)
        .error_message("Agotado")
        .await
        .expect("answerPreCheckoutQuery");
    let result = pay.await.expect("pay task");
    assert_eq!(result["paid"], false);
    assert_eq!(result["status"], "rejected");
    assert_eq!(result["reason"], "Agotado");
    emu.handle.stop().await;
}

#[tokio::test]
async fn an_unanswered_pre_checkout_times_out() {
    let emu = Emu::start().await;
    let bot = emu.bot();
    let user = emu.user("Ana").await;
    let invoice = bot
        .send_invoice(ChatId(user as i64), "Rosa", "Una rosa", "item:rose", "XTR", vec![LabeledPrice::new("Rosa", 5)])
        .await
        .expect("sendInvoice");
    let result =
        emu.post(&format!("/control/users/{user}/pay"), json!({"message_id": invoice.id.0, "timeout_ms": 200})).await;
    assert_eq!(result["status"], "timeout");
    let id = result["pre_checkout_query_id"].as_str().unwrap_or_default().to_owned();
    let late = bot.answer_pre_checkout_query(id.into(), true).await;
    assert!(late.is_err(), "a late answer is refused");
    emu.handle.stop().await;
}

#[tokio::test]
async fn invite_links_bans_and_chat_members() {
    let emu = Emu::start().await;
    let bot = emu.bot();
    subscribe(&bot).await;
    let user = emu.user("Ana").await;
    let vip = ChatId(-1_001_000_000_002);
    let link = bot.create_chat_invite_link(vip).member_limit(1).name("VIP Ana").await.expect("createChatInviteLink");
    assert!(link.invite_link.starts_with("https://t.me/+"));
    assert_eq!(link.member_limit, Some(1));

    let (status, _) = emu.post_raw(&format!("/control/users/{user}/join"), json!({"chat_id": "vip"})).await;
    assert_eq!(status, 403, "private channels need an invite link");
    emu.post(&format!("/control/users/{user}/join"), json!({"invite_link": link.invite_link})).await;
    let member = bot.get_chat_member(vip, UserId(user)).await.expect("getChatMember");
    assert!(member.kind.is_member());
    let bot_member = bot.get_chat_member(vip, UserId(123_456)).await.expect("getChatMember");
    assert!(bot_member.kind.is_administrator());
    let owner = bot.get_chat_member(vip, UserId(1_000_000)).await.expect("getChatMember");
    assert!(owner.kind.is_owner());

    bot.ban_chat_member(vip, UserId(user)).await.expect("banChatMember");
    let member = bot.get_chat_member(vip, UserId(user)).await.expect("getChatMember");
    assert!(matches!(member.kind, ChatMemberKind::Banned(_)), "{member:?}");
    bot.unban_chat_member(vip, UserId(user)).await.expect("unbanChatMember");
    let member = bot.get_chat_member(vip, UserId(user)).await.expect("getChatMember");
    assert!(member.kind.is_left());

    let mut offset = 0;
    let updates = poll(&bot, &mut offset).await;
    let kinds: Vec<_> = updates
        .iter()
        .map(|u| match &u.kind {
            UpdateKind::ChatMember(m) => (m.old_chat_member.kind.status(), m.new_chat_member.kind.status()),
            other => panic!("expected chat_member, got {other:?}"),
        })
        .collect();
    assert_eq!(kinds.len(), 3, "join, ban, unban");
    let UpdateKind::ChatMember(joined) = &updates[0].kind else { unreachable!() };
    assert_eq!(joined.invite_link.as_ref().map(|l| l.invite_link.as_str()), Some(link.invite_link.as_str()));
    emu.handle.stop().await;
}

#[tokio::test]
async fn webhook_set_and_info_through_teloxide_multipart() {
    let emu = Emu::start().await;
    let bot = emu.bot();
    let url: reqwest::Url = "http://127.0.0.1:9/hook".parse().expect("url");
    bot.set_webhook(url.clone()).secret_token("s3cr3t").max_connections(5).await.expect("setWebhook");
    let info = bot.get_webhook_info().await.expect("getWebhookInfo");
    assert_eq!(info.url, Some(url));
    assert_eq!(info.max_connections, Some(5));
    let conflict = bot.get_updates().await;
    assert!(conflict.is_err(), "getUpdates conflicts with a webhook");
    bot.delete_webhook().await.expect("deleteWebhook");
    let info = bot.get_webhook_info().await.expect("getWebhookInfo");
    assert_eq!(info.url, None);
    emu.handle.stop().await;
}

#[tokio::test]
async fn commands_and_chat_actions_are_accepted() {
    let emu = Emu::start().await;
    let bot = emu.bot();
    let user = emu.user("Ana").await;
    bot.set_my_commands(vec![teloxide_core::types::BotCommand::new("start", "Empezar")]).await.expect("setMyCommands");
    let commands = bot.get_my_commands().await.expect("getMyCommands");
    assert_eq!(commands[0].command, "start");
    bot.send_chat_action(ChatId(user as i64), teloxide_core::types::ChatAction::Typing).await.expect("sendChatAction");
    emu.handle.stop().await;
}

/// Pays an invoice link in the background; answers the control API's result.
fn pay_in_background(emu: &Emu, user: u64, link: &str) -> tokio::task::JoinHandle<serde_json::Value> {
    let http = emu.http.clone();
    let url = emu.url(&format!("/control/users/{user}/pay"));
    let body = json!({"invoice_link": link});
    tokio::spawn(async move {
        http.post(url).json(&body).send().await.expect("pay").json::<serde_json::Value>().await.expect("pay json")
    })
}

#[tokio::test]
async fn a_stars_subscription_and_its_renewal_parse_as_recurring_payments() {
    let emu = Emu::start_adjustable().await;
    let bot = emu.bot();
    let user = emu.user("Ana").await;
    let refused = bot
        .create_invoice_link("VIP", "Mensual", "vip:monthly", "XTR", vec![LabeledPrice::new("VIP", 250)])
        .subscription_period(Seconds::from_seconds(604_800))
        .await;
    assert!(refused.expect_err("only 30 days").to_string().contains("SUBSCRIPTION_PERIOD_INVALID"));
    let link = bot
        .create_invoice_link("VIP", "Mensual", "vip:monthly", "XTR", vec![LabeledPrice::new("VIP", 250)])
        .subscription_period(Seconds::from_seconds(2_592_000))
        .await
        .expect("createInvoiceLink with subscription_period");
    let pay = pay_in_background(&emu, user, &link);
    let mut offset = 0;
    let updates = poll(&bot, &mut offset).await;
    let UpdateKind::PreCheckoutQuery(query) = &updates[0].kind else {
        panic!("expected pre_checkout_query, got {:?}", updates[0].kind);
    };
    bot.answer_pre_checkout_query(query.id.clone(), true).await.expect("answerPreCheckoutQuery");
    assert_eq!(pay.await.expect("pay task")["status"], "paid");
    let updates = poll(&bot, &mut offset).await;
    let UpdateKind::Message(msg) = &updates[0].kind else {
        panic!("expected the payment message, got {:?}", updates[0].kind);
    };
    let first = msg.successful_payment().expect("successful_payment").clone();
    assert!(first.is_recurring && first.is_first_recurring, "{first:?}");
    let expiration = first.subscription_expiration_date.expect("subscription_expiration_date");
    assert_eq!((expiration - msg.date).num_seconds(), 2_592_000);

    emu.advance(2_592_000).await;
    let charge = first.telegram_payment_charge_id.0.clone();
    emu.post(&format!("/control/subscriptions/{charge}/renew"), json!({})).await;
    let updates = poll(&bot, &mut offset).await;
    assert_eq!(updates.len(), 1, "a renewal has no pre-checkout");
    let UpdateKind::Message(msg) = &updates[0].kind else {
        panic!("expected the renewal, got {:?}", updates[0].kind);
    };
    let renewal = msg.successful_payment().expect("successful_payment");
    assert!(renewal.is_recurring && !renewal.is_first_recurring, "{renewal:?}");
    assert_ne!(renewal.telegram_payment_charge_id, first.telegram_payment_charge_id);
    assert_eq!(renewal.subscription_expiration_date.map(|d| (d - expiration).num_seconds()), Some(2_592_000));

    bot.edit_user_star_subscription(UserId(user), first.telegram_payment_charge_id.clone(), true)
        .await
        .expect("editUserStarSubscription");
    let (status, _) = emu.post_raw(&format!("/control/subscriptions/{charge}/renew"), json!({})).await;
    assert_eq!(status, 409, "a canceled subscription does not renew");
    let wrong =
        bot.edit_user_star_subscription(UserId(user + 1), first.telegram_payment_charge_id.clone(), false).await;
    assert!(wrong.is_err());
    bot.refund_star_payment(UserId(user), renewal.telegram_payment_charge_id.clone())
        .await
        .expect("refundStarPayment of a renewal");
    emu.handle.stop().await;
}

#[tokio::test]
async fn join_requests_and_link_edits_round_trip_through_teloxide() {
    let emu = Emu::start_adjustable().await;
    let bot = emu.bot();
    subscribe(&bot).await;
    let (ana, bea) = (emu.user("Ana").await, emu.user("Bea").await);
    let vip = ChatId(-1_001_000_000_002);
    let link = bot
        .create_chat_invite_link(vip)
        .creates_join_request(true)
        .name("Puerta VIP")
        .await
        .expect("createChatInviteLink");
    assert!(link.creates_join_request);
    let expire = chrono::DateTime::from_timestamp(emu.now().await + 86_400, 0).expect("date");
    let edited = bot
        .edit_chat_invite_link(vip, link.invite_link.clone())
        .name("Puerta VIP 2")
        .expire_date(expire)
        .await
        .expect("editChatInviteLink");
    assert_eq!(edited.name.as_deref(), Some("Puerta VIP 2"));
    assert_eq!(edited.expire_date, Some(expire));

    for user in [ana, bea] {
        let asked = emu.post(&format!("/control/users/{user}/join"), json!({"invite_link": link.invite_link})).await;
        assert_eq!(asked["status"], "pending");
    }
    let mut offset = 0;
    let updates = poll(&bot, &mut offset).await;
    assert_eq!(updates.len(), 2);
    let UpdateKind::ChatJoinRequest(request) = &updates[0].kind else {
        panic!("expected chat_join_request, got {:?}", updates[0].kind);
    };
    assert_eq!(request.from.id.0, ana);
    assert_eq!(request.user_chat_id.0, ana as i64);
    assert_eq!(request.chat.id, vip);
    assert_eq!(request.invite_link.as_ref().map(|l| l.invite_link.as_str()), Some(link.invite_link.as_str()));
    assert_eq!(request.invite_link.as_ref().and_then(|l| l.pending_join_request_count), Some(1));

    bot.approve_chat_join_request(vip, UserId(ana)).await.expect("approveChatJoinRequest");
    bot.decline_chat_join_request(vip, UserId(bea)).await.expect("declineChatJoinRequest");
    let missing = bot.approve_chat_join_request(vip, UserId(bea)).await;
    assert!(missing.expect_err("no request left").to_string().contains("HIDE_REQUESTER_MISSING"));
    let updates = poll(&bot, &mut offset).await;
    assert_eq!(updates.len(), 1, "only the approval changes a membership");
    let UpdateKind::ChatMember(member) = &updates[0].kind else {
        panic!("expected chat_member, got {:?}", updates[0].kind);
    };
    assert_eq!(member.new_chat_member.user.id.0, ana);
    assert!(member.new_chat_member.kind.is_member());
    assert!(member.from.is_bot);
    assert_eq!(member.invite_link.as_ref().map(|l| l.invite_link.as_str()), Some(link.invite_link.as_str()));

    let until = chrono::DateTime::from_timestamp(emu.now().await + 3_600, 0).expect("date");
    bot.ban_chat_member(vip, UserId(ana)).until_date(until).revoke_messages(true).await.expect("banChatMember");
    let banned = bot.get_chat_member(vip, UserId(ana)).await.expect("getChatMember");
    assert_eq!(banned.kind.until_date(), Some(teloxide_core::types::UntilDate::Date(until)));
    bot.unban_chat_member(vip, UserId(ana)).only_if_banned(true).await.expect("unbanChatMember");
    assert!(bot.get_chat_member(vip, UserId(ana)).await.expect("getChatMember").kind.is_left());
    let updates = poll(&bot, &mut offset).await;
    let UpdateKind::ChatMember(kicked) = &updates[0].kind else {
        panic!("expected chat_member, got {:?}", updates[0].kind);
    };
    assert!(matches!(kicked.new_chat_member.kind, ChatMemberKind::Banned(_)));

    let revoked = bot.revoke_chat_invite_link(vip, link.invite_link.clone()).await.expect("revokeChatInviteLink");
    assert!(revoked.is_revoked);
    emu.handle.stop().await;
}
