//! From a Telegram update to what the game understands.

use std::collections::BTreeSet;

use dianabot_actors::{Envelope, PreCheckout};
use dianabot_game::auction::AuctionSpec;
use dianabot_game::content::ReactionTarget;
use dianabot_game::post::Post;
use dianabot_game::{Besitos, Command, ItemId, Language, Malformed, PostRef, RuleError, UpdateId, Usage, UserId};
use teloxide_core::types::{
    MaybeAnonymousUser, PreCheckoutQuery, ReactionType, SuccessfulPayment, Update, UpdateKind, User,
};

use crate::config::AuctionLimits;
use crate::telegram::callback::{Action, CallbackCodec, CallbackError, tag};
use crate::telegram::screens::Screen;

/// What an update asks for.
#[derive(Debug)]
pub enum Translation {
    /// A game command for a user; then `screen` (if any) goes to `reply`.
    Command { envelope: Envelope, screen: Option<Screen>, reply: ReplyTo },
    /// A look at the user's state, nothing changes.
    View { user_id: UserId, screen: Screen, reply: ReplyTo },
    /// REACCIONAR_CONTENIDO: reactions newly set on a channel post (an
    /// exchange with the post's actor); paid silently.
    React { user_id: UserId, update_id: UpdateId, post: PostRef, emojis: Vec<String> },
    /// A post published in one of the bot's channels: players may react to it.
    Publish { post: Post },
    /// An operator asks for the last posts' engagement.
    Posts { chat_id: i64, language: Language },
    /// A player gives besitos to another (a saga across two actors).
    Gift {
        from: UserId,
        to: Recipient,
        amount: Besitos,
        update_id: UpdateId,
        chat_id: i64,
        giver: String,
        language: Language,
    },
    /// A shop item's page; `item` is the tag its button carries.
    ShopItem { user_id: UserId, item: u32, reply: ReplyTo },
    /// COMPRAR_ITEM in besitos: a saga with the item's stock keeper.
    Purchase { user_id: UserId, item: u32, update_id: UpdateId, reply: ReplyTo },
    /// The player chose to pay in Stars: checked, then an invoice is sent.
    RequestInvoice { user_id: UserId, item: u32, update_id: UpdateId, chat_id: i64, reply: ReplyTo },
    /// A `pre_checkout_query`: what its signed payload asks, or why it is
    /// declined before the game is asked.
    PreCheckout { query_id: String, checkout: Result<PreCheckout, RuleError>, language: Language },
    /// A `successful_payment`: the command that grants it, or why the
    /// payment cannot be matched to an invoice of ours.
    StarsPaid {
        user_id: UserId,
        chat_id: i64,
        update_id: UpdateId,
        payment: Result<Command, RuleError>,
        language: Language,
    },
    /// An operator refunds a Stars payment: `/refund <charge id>`.
    RefundStars { charge: String, chat_id: i64, language: Language },
    /// The player's recent ledger entries (read from the store).
    Ledger { user_id: UserId, language: Language, reply: ReplyTo },
    /// The live auctions, or one of them.
    Auctions { user_id: UserId, auction: Option<i64>, reply: ReplyTo },
    /// A bid (a saga between the bidder's actor and the auction's); its id
    /// is the update's.
    Bid { user_id: UserId, auction: i64, amount: Besitos, update_id: UpdateId, reply: ReplyTo },
    /// An operator opens an auction; its id is the update's, so a
    /// re-delivered command opens nothing new.
    CreateAuction { chat_id: i64, language: Language, id: i64, spec: AuctionSpec },
    /// An operator cancels an auction: every bid held is refunded.
    CancelAuction { chat_id: i64, language: Language, auction: i64 },
    /// An operator asks to reload the content files.
    ReloadContent { chat_id: i64, language: Language },
    /// Input refused before reaching the game (an operator's malformed
    /// command): answered with `text`, nothing changes.
    Refuse { chat_id: i64, language: Language, refusal: RuleError },
    /// A button that cannot be honoured: answered with an alert, nothing changes.
    RefuseButton { callback_query_id: String, language: Language, error: CallbackError },
    /// Nothing for the game; acknowledged as is.
    Ignore(&'static str),
}

/// Who a gift is for, as the player wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    Id(UserId),
    /// A Telegram username, without the `@`.
    Username(String),
}

/// Where the answer goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyTo {
    Nothing,
    NewMessage {
        chat_id: i64,
    },
    /// A button was pressed: edit its message in place (no new message
    /// spam) and answer the callback query.
    Edit {
        chat_id: i64,
        message_id: i32,
        callback_query_id: String,
    },
}

/// Translates updates; knows the button key and who the operators are.
#[derive(Clone)]
pub struct Translator {
    pub codec: CallbackCodec,
    /// Telegram user ids allowed to run operator commands.
    pub admins: BTreeSet<i64>,
    /// What an operator's `/subasta` may ask for.
    pub auctions: AuctionLimits,
    /// Reactions on this channel's posts pay the VIP rates.
    pub vip_channel: Option<i64>,
}

impl Translator {
    pub fn translate(&self, update: &Update) -> Translation {
        translate(update, self)
    }
}

fn translate(update: &Update, translator: &Translator) -> Translation {
    let codec = &translator.codec;
    let update_id = Some(UpdateId(i64::from(update.id.0)));
    match &update.kind {
        UpdateKind::Message(message) => {
            let Some(user) = message.from.as_ref() else { return Translation::Ignore("message without sender") };
            if user.is_bot {
                return Translation::Ignore("message from a bot");
            }
            if let Some(payment) = message.successful_payment() {
                return Translation::StarsPaid {
                    user_id: user_id(user),
                    chat_id: message.chat.id.0,
                    update_id: UpdateId(i64::from(update.id.0)),
                    payment: paid(codec, user_id(user), payment),
                    language: Language::from_code(user.language_code.as_deref()),
                };
            }
            let Some(text) = message.text() else { return Translation::Ignore("message without text") };
            let (user_id, reply) = (user_id(user), ReplyTo::NewMessage { chat_id: message.chat.id.0 });
            let view = |screen| Translation::View { user_id, screen, reply: reply.clone() };
            match command_name(text).as_deref() {
                Some("start") => Translation::Command {
                    envelope: Envelope {
                        user_id,
                        update_id,
                        command: Command::Register {
                            first_name: user.first_name.clone(),
                            username: user.username.clone(),
                            language: Language::from_code(user.language_code.as_deref()),
                        },
                    },
                    screen: Some(Screen::Welcome),
                    reply,
                },
                Some("menu") => view(Screen::Menu),
                Some("help" | "ayuda") => view(Screen::Help),
                Some("profile" | "perfil" | "balance" | "saldo") => view(Screen::Profile),
                Some("inventory" | "inventario") => view(Screen::Inventory),
                Some("language" | "idioma") => view(Screen::LanguagePicker),
                Some("story" | "historia") => Translation::Command {
                    envelope: Envelope { user_id, update_id, command: Command::OpenStory { page: None } },
                    screen: Some(Screen::Story),
                    reply,
                },
                Some("vip") => view(Screen::Vip),
                // The shop's buttons, typed: `/comprar <item id>` pays in besitos.
                Some("buy" | "comprar") => match text.split_whitespace().nth(1) {
                    Some(item) => Translation::Purchase {
                        user_id,
                        item: tag(item),
                        update_id: UpdateId(i64::from(update.id.0)),
                        reply,
                    },
                    None => Translation::Refuse {
                        chat_id: message.chat.id.0,
                        language: Language::from_code(user.language_code.as_deref()),
                        refusal: RuleError::Malformed(Malformed::Usage(Usage::Buy)),
                    },
                },
                Some("shop" | "tienda") => view(Screen::Shop { category: 0, page: 0 }),
                Some("missions" | "misiones") => view(Screen::Missions),
                Some("ledger" | "movimientos") => {
                    Translation::Ledger { user_id, language: Language::from_code(user.language_code.as_deref()), reply }
                }
                Some("achievements" | "logros") => view(Screen::Achievements),
                Some("daily" | "diario") => Translation::Command {
                    envelope: Envelope { user_id, update_id, command: Command::ClaimDailyGift },
                    screen: Some(Screen::DailyGift),
                    reply,
                },
                Some("gift" | "regalar") => {
                    let language = Language::from_code(user.language_code.as_deref());
                    let chat_id = message.chat.id.0;
                    match parse_gift(text) {
                        Ok((to, amount)) => Translation::Gift {
                            from: user_id,
                            to,
                            amount,
                            update_id: UpdateId(i64::from(update.id.0)),
                            chat_id,
                            giver: user.first_name.clone(),
                            language,
                        },
                        Err(refusal) => Translation::Refuse { chat_id, language, refusal },
                    }
                }
                Some("auctions" | "subastas") => Translation::Auctions { user_id, auction: None, reply },
                Some("bid" | "pujar") => {
                    let language = Language::from_code(user.language_code.as_deref());
                    let chat_id = message.chat.id.0;
                    match parse_bid(text) {
                        Ok((auction, amount)) => Translation::Bid {
                            user_id,
                            auction,
                            amount,
                            update_id: UpdateId(i64::from(update.id.0)),
                            reply,
                        },
                        Err(refusal) => Translation::Refuse { chat_id, language, refusal },
                    }
                }
                Some(command @ ("subasta" | "auction" | "cancelarsubasta" | "cancelauction"))
                    if translator.admins.contains(&user_id.0) =>
                {
                    let language = Language::from_code(user.language_code.as_deref());
                    let chat_id = message.chat.id.0;
                    let id = i64::from(update.id.0);
                    let parsed = match command {
                        "subasta" | "auction" => parse_auction(text, user_id, translator.auctions)
                            .map(|spec| Translation::CreateAuction { chat_id, language, id, spec }),
                        _ => parse_auction_id(text).map(|auction| Translation::CancelAuction {
                            chat_id,
                            language,
                            auction,
                        }),
                    };
                    parsed.unwrap_or_else(|refusal| Translation::Refuse { chat_id, language, refusal })
                }
                Some("posts" | "publicaciones") if translator.admins.contains(&user_id.0) => Translation::Posts {
                    chat_id: message.chat.id.0,
                    language: Language::from_code(user.language_code.as_deref()),
                },
                Some("reload") if translator.admins.contains(&user_id.0) => Translation::ReloadContent {
                    chat_id: message.chat.id.0,
                    language: Language::from_code(user.language_code.as_deref()),
                },
                Some("refund") if translator.admins.contains(&user_id.0) => {
                    let language = Language::from_code(user.language_code.as_deref());
                    let chat_id = message.chat.id.0;
                    let mut words = text.split_whitespace().skip(1);
                    match (words.next(), words.next()) {
                        (Some(charge), None) => {
                            Translation::RefundStars { charge: charge.to_owned(), chat_id, language }
                        }
                        _ => Translation::Refuse {
                            chat_id,
                            language,
                            refusal: RuleError::Malformed(Malformed::Usage(Usage::Refund)),
                        },
                    }
                }
                Some(command @ ("grant" | "deduct" | "grantvip")) if translator.admins.contains(&user_id.0) => {
                    let language = Language::from_code(user.language_code.as_deref());
                    let chat_id = message.chat.id.0;
                    match parse_operator_command(command, text) {
                        Ok((target, command)) => Translation::Command {
                            envelope: Envelope { user_id: target, update_id, command },
                            screen: Some(Screen::OperatorReport(language)),
                            reply,
                        },
                        Err(refusal) => Translation::Refuse { chat_id, language, refusal },
                    }
                }
                _ => view(Screen::NotUnderstood),
            }
        }
        UpdateKind::CallbackQuery(query) => {
            let Some(message) = query.message.as_ref() else {
                return Translation::Ignore("button on an inline message");
            };
            let user_id = user_id(&query.from);
            let data = query.data.as_deref().unwrap_or_default();
            let action = match codec.decode(user_id, data) {
                Ok(action) => action,
                Err(error) => {
                    tracing::warn!(user_id = %user_id, %error, data, "button refused");
                    return Translation::RefuseButton {
                        callback_query_id: query.id.0.clone(),
                        language: Language::from_code(query.from.language_code.as_deref()),
                        error,
                    };
                }
            };
            let reply = ReplyTo::Edit {
                chat_id: message.chat().id.0,
                message_id: message.id().0,
                callback_query_id: query.id.0.clone(),
            };
            // A story command answering a press turns its message into the
            // story page, if the message is in the player's private chat.
            let page = (message.chat().id.0 == user_id.0).then_some(message.id().0);
            let command = |command, screen| Translation::Command {
                envelope: Envelope { user_id, update_id, command },
                screen: Some(screen),
                reply: reply.clone(),
            };
            let screen = match action {
                Action::SetLanguage(language) => return command(Command::SetLanguage(language), Screen::Menu),
                Action::Story => return command(Command::OpenStory { page }, Screen::Story),
                Action::Decide { fragment, choice } => {
                    return command(Command::Decide { fragment, choice, page }, Screen::Story);
                }
                Action::RestartStory => return command(Command::RestartStory { page }, Screen::Story),
                Action::DailyGift => return command(Command::ClaimDailyGift, Screen::DailyGift),
                Action::History => Screen::History,
                Action::Missions => Screen::Missions,
                Action::Ledger => {
                    let language = Language::from_code(query.from.language_code.as_deref());
                    return Translation::Ledger { user_id, language, reply };
                }
                Action::Achievements => Screen::Achievements,
                Action::Shop { category, page } => Screen::Shop { category, page },
                Action::ShopItem { item } => return Translation::ShopItem { user_id, item, reply },
                Action::BuyWithBesitos { item } => {
                    let update_id = UpdateId(i64::from(update.id.0));
                    return Translation::Purchase { user_id, item, update_id, reply };
                }
                Action::BuyWithStars { item } => {
                    let update_id = UpdateId(i64::from(update.id.0));
                    let chat_id = message.chat().id.0;
                    return Translation::RequestInvoice { user_id, item, update_id, chat_id, reply };
                }
                Action::Auctions => return Translation::Auctions { user_id, auction: None, reply },
                Action::Auction(auction) => return Translation::Auctions { user_id, auction: Some(auction), reply },
                Action::Bid { auction, amount } => {
                    return match Besitos::new(amount) {
                        Ok(amount) => Translation::Bid {
                            user_id,
                            auction,
                            amount,
                            update_id: UpdateId(i64::from(update.id.0)),
                            reply,
                        },
                        // Signed by us, so never; refused like a forgery if so.
                        Err(_) => Translation::RefuseButton {
                            callback_query_id: query.id.0.clone(),
                            language: Language::from_code(query.from.language_code.as_deref()),
                            error: CallbackError::Malformed,
                        },
                    };
                }
                Action::Vip => Screen::Vip,
                Action::OnboardingNext => Screen::Onboarding,
                Action::Menu => Screen::Menu,
                Action::Profile => Screen::Profile,
                Action::Inventory => Screen::Inventory,
                Action::Help => Screen::Help,
                Action::LanguagePicker => Screen::LanguagePicker,
            };
            Translation::View { user_id, screen, reply }
        }
        UpdateKind::MessageReaction(reaction) => {
            let MaybeAnonymousUser::User(user) = &reaction.actor else {
                return Translation::Ignore("anonymous reaction");
            };
            let emojis: Vec<String> = reaction
                .new_reaction
                .iter()
                .filter(|added| !reaction.old_reaction.contains(added))
                .filter_map(|added| match added {
                    ReactionType::Emoji { emoji } => Some(emoji.clone()),
                    _ => None,
                })
                .collect();
            if emojis.is_empty() {
                return Translation::Ignore("reaction removed or not an emoji");
            }
            let (user_id, message_id) = (user_id(user), reaction.message_id.0);
            if reaction.chat.id.0 == user_id.0 {
                // In the player's private chat with the bot: a story page,
                // if the player's state knows the message as one.
                let envelope =
                    Envelope { user_id, update_id, command: Command::ReactToPage { page: message_id, emojis } };
                return Translation::Command { envelope, screen: None, reply: ReplyTo::Nothing };
            }
            let post = PostRef { chat_id: reaction.chat.id.0, message_id };
            Translation::React { user_id, update_id: UpdateId(i64::from(update.id.0)), post, emojis }
        }
        UpdateKind::ChannelPost(message) => {
            let post = PostRef { chat_id: message.chat.id.0, message_id: message.id.0 };
            let target = if translator.vip_channel == Some(post.chat_id) {
                ReactionTarget::VipPost
            } else {
                ReactionTarget::FreePost
            };
            let text = message.text().or(message.caption()).unwrap_or_default();
            Translation::Publish { post: Post::new(post, target, message.date.timestamp(), text) }
        }
        UpdateKind::PreCheckoutQuery(query) => Translation::PreCheckout {
            query_id: query.id.0.clone(),
            checkout: pre_checkout(codec, query),
            language: Language::from_code(query.from.language_code.as_deref()),
        },
        UpdateKind::Error(_) => Translation::Ignore("update of a kind this server does not know"),
        _ => Translation::Ignore("update kind not handled"),
    }
}

/// What a pre-checkout asks for, if it matches the signed invoice it pays:
/// same buyer, Stars, the invoice's amount.
fn pre_checkout(codec: &CallbackCodec, query: &PreCheckoutQuery) -> Result<PreCheckout, RuleError> {
    let invoice = codec.verify_invoice(&query.invoice_payload).map_err(|_| invalid_invoice())?;
    if invoice.buyer != user_id(&query.from) {
        return Err(invalid_invoice());
    }
    if query.currency != "XTR" {
        return Err(RuleError::Malformed(Malformed::NotStars { currency: query.currency.clone() }));
    }
    if query.total_amount != invoice.stars {
        return Err(RuleError::PriceChanged { price: u64::from(invoice.stars) });
    }
    Ok(PreCheckout { buyer: invoice.buyer, purchase: invoice.purchase, item: invoice.item, stars: invoice.stars })
}

/// The grant a `successful_payment` is owed, if it pays an invoice of ours.
fn paid(codec: &CallbackCodec, payer: UserId, payment: &SuccessfulPayment) -> Result<Command, RuleError> {
    let invoice = codec.verify_invoice(&payment.invoice_payload).map_err(|_| invalid_invoice())?;
    if invoice.buyer != payer || payment.currency != "XTR" || payment.total_amount != invoice.stars {
        return Err(invalid_invoice());
    }
    Ok(Command::PayWithStars {
        charge: payment.telegram_payment_charge_id.0.clone(),
        purchase: invoice.purchase,
        item: invoice.item,
        stars: invoice.stars,
    })
}

fn invalid_invoice() -> RuleError {
    RuleError::Malformed(Malformed::InvalidInvoice)
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

/// `/pujar <auction id> <amount>`.
fn parse_bid(text: &str) -> Result<(i64, Besitos), RuleError> {
    let mut words = text.split_whitespace().skip(1);
    let usage = || RuleError::Malformed(Malformed::Usage(Usage::Bid));
    let auction = words.next().and_then(|word| word.parse().ok()).ok_or_else(usage)?;
    let amount: i64 = words.next().and_then(|word| word.parse().ok()).ok_or_else(usage)?;
    if words.next().is_some() {
        return Err(usage());
    }
    Ok((auction, Besitos::new(amount)?))
}

/// The longest auction an operator may open: 30 days.
const MAX_AUCTION_SECS: i64 = 30 * 24 * 60 * 60;

/// `/subasta <item id> <starting bid> <duration> [min increment]`, the
/// duration in minutes (`30`) or seconds (`90s`), at least
/// `limits.min_duration_secs`; the increment defaults to a tenth of the
/// starting bid (at least 1).
fn parse_auction(text: &str, operator: UserId, limits: AuctionLimits) -> Result<AuctionSpec, RuleError> {
    let words: Vec<&str> = text.split_whitespace().skip(1).collect();
    let usage = || RuleError::Malformed(Malformed::Usage(Usage::OpenAuction));
    let (item, starting, duration, increment) = match words.as_slice() {
        [item, starting, duration] => (item, starting, duration, None),
        [item, starting, duration, increment] => (item, starting, duration, Some(increment)),
        _ => return Err(usage()),
    };
    let number = |word: &str| word.parse::<i64>().map_err(|_| usage());
    let starting_bid = Besitos::new(number(starting)?)?;
    let min_increment = match increment {
        Some(increment) => Besitos::new(number(increment)?)?,
        None => Besitos::new((starting_bid.get() / 10).max(1))?,
    };
    let duration_secs = match duration.strip_suffix('s') {
        Some(seconds) => number(seconds)?,
        None => number(duration)?.checked_mul(60).ok_or_else(usage)?,
    };
    if duration_secs < limits.min_duration_secs {
        return Err(RuleError::Malformed(Malformed::AuctionTooShort { seconds: limits.min_duration_secs }));
    }
    if duration_secs > MAX_AUCTION_SECS {
        return Err(RuleError::Malformed(Malformed::AuctionTooLong { days: MAX_AUCTION_SECS / 86_400 }));
    }
    Ok(AuctionSpec {
        item: ItemId((*item).to_owned()),
        quantity: 1,
        starting_bid,
        min_increment,
        duration_secs,
        extension_secs: limits.extension_secs,
        created_by: operator,
    })
}

/// `/cancelarsubasta <auction id>`.
fn parse_auction_id(text: &str) -> Result<i64, RuleError> {
    let mut words = text.split_whitespace().skip(1);
    let usage = || RuleError::Malformed(Malformed::Usage(Usage::CancelAuction));
    let auction = words.next().and_then(|word| word.parse().ok()).ok_or_else(usage)?;
    if words.next().is_some() {
        return Err(usage());
    }
    Ok(auction)
}

/// `/grant <user id> <amount>`, `/deduct <user id> <amount>`,
/// `/grantvip <user id> <days>`: the target and the command, or why not.
fn parse_operator_command(name: &str, text: &str) -> Result<(UserId, Command), RuleError> {
    let mut words = text.split_whitespace().skip(1);
    let usage = || {
        let usage = match name {
            "grant" => Usage::Grant,
            "deduct" => Usage::Deduct,
            _ => Usage::GrantVip,
        };
        RuleError::Malformed(Malformed::Usage(usage))
    };
    let target = words.next().and_then(|word| word.parse().ok()).ok_or_else(usage)?;
    let number: i64 = words.next().and_then(|word| word.parse().ok()).ok_or_else(usage)?;
    if words.next().is_some() {
        return Err(usage());
    }
    let command = match name {
        "grant" => Command::AdminGrant(Besitos::new(number)?),
        "deduct" => Command::AdminDeduct(Besitos::new(number)?),
        _ => Command::GrantVip { days: u32::try_from(number).map_err(|_| RuleError::NonPositiveAmount(number))? },
    };
    Ok((UserId(target), command))
}

fn user_id(user: &User) -> UserId {
    UserId(user.id.0 as i64)
}

/// `/Start`, `/start payload` and `/start@BotName` all name `start`.
fn command_name(text: &str) -> Option<String> {
    let rest = text.trim().strip_prefix('/')?;
    let word = rest.split_whitespace().next().unwrap_or("");
    let name = word.split('@').next().unwrap_or("");
    Some(name.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telegram::callback::InvoicePayload;

    fn codec() -> CallbackCodec {
        CallbackCodec::new(b"secret")
    }

    fn translate(update: &Update, codec: &CallbackCodec) -> Translation {
        Translator {
            codec: codec.clone(),
            admins: BTreeSet::from([1]),
            auctions: AuctionLimits::default(),
            vip_channel: Some(-2002),
        }
        .translate(update)
    }

    fn admin_text(text: &str) -> Update {
        parse(&format!(
            r#"{{"update_id":20,"message":{{"message_id":1,"date":1700000000,
                "chat":{{"id":1,"type":"private","first_name":"Op"}},
                "from":{{"id":1,"is_bot":false,"first_name":"Op","language_code":"en"}},"text":"{text}"}}}}"#
        ))
    }

    #[test]
    fn operators_grant_besitos_with_a_valid_amount_only() {
        let Translation::Command { envelope, .. } = translate(&admin_text("/grant 42 15"), &codec()) else {
            panic!("not a command")
        };
        assert_eq!((envelope.user_id, envelope.command), (UserId(42), Command::AdminGrant(Besitos::new(15).unwrap())));
        for bad in ["/grant 42 -5", "/grant 42 0", "/deduct x 5", "/grant 42", "/grant 42 5 6", "/grant 42 99999999999"]
        {
            assert!(matches!(translate(&admin_text(bad), &codec()), Translation::Refuse { .. }), "{bad}");
        }
    }

    #[test]
    fn operators_open_auctions_with_sane_terms_only() {
        let Translation::CreateAuction { id, spec, .. } =
            translate(&admin_text("/subasta rosa_negra 50 90s"), &codec())
        else {
            panic!("not an auction")
        };
        assert_eq!((id, spec.starting_bid.get(), spec.min_increment.get(), spec.duration_secs), (20, 50, 5, 90));
        let Translation::CreateAuction { spec, .. } = translate(&admin_text("/subasta rosa_negra 50 2 7"), &codec())
        else {
            panic!("not an auction")
        };
        assert_eq!((spec.min_increment.get(), spec.duration_secs), (7, 120));
        for bad in [
            "/subasta rosa_negra 50 30s",
            "/subasta rosa_negra -5 10",
            "/subasta rosa_negra 50 10 0",
            "/subasta rosa_negra 50",
            "/subasta rosa_negra 9999999999 10",
            "/subasta rosa_negra 50 99999999999999999",
            "/cancelarsubasta",
            "/cancelarsubasta x",
        ] {
            assert!(matches!(translate(&admin_text(bad), &codec()), Translation::Refuse { .. }), "{bad}");
        }
    }

    #[test]
    fn non_operators_cannot_grant() {
        let update = parse(
            r#"{"update_id":21,"message":{"message_id":1,"date":1700000000,
                "chat":{"id":5,"type":"private","first_name":"Eve"},
                "from":{"id":5,"is_bot":false,"first_name":"Eve"},"text":"/grant 5 1000"}}"#,
        );
        assert!(matches!(translate(&update, &codec()), Translation::View { screen: Screen::NotUnderstood, .. }));
    }

    fn parse(json: &str) -> Update {
        serde_json::from_str(json).expect("valid update")
    }

    #[test]
    fn start_registers_with_the_users_language() {
        let update = parse(
            r#"{"update_id":10,"message":{"message_id":1,"date":1700000000,
                "chat":{"id":42,"type":"private","first_name":"Ana"},
                "from":{"id":42,"is_bot":false,"first_name":"Ana","language_code":"en-GB"},
                "text":"/start@DianaBot ref"}}"#,
        );
        let Translation::Command { envelope, reply, screen } = translate(&update, &codec()) else {
            panic!("not a command")
        };
        assert_eq!(envelope.user_id, UserId(42));
        assert_eq!(envelope.update_id, Some(UpdateId(10)));
        assert_eq!(
            envelope.command,
            Command::Register { first_name: "Ana".into(), username: None, language: Language::En }
        );
        assert_eq!((reply, screen), (ReplyTo::NewMessage { chat_id: 42 }, Some(Screen::Welcome)));
    }

    #[test]
    fn only_newly_added_emojis_count() {
        let update = parse(
            r#"{"update_id":11,"message_reaction":{"chat":{"id":-1001,"type":"channel","title":"Diana"},
                "message_id":7,"user":{"id":42,"is_bot":false,"first_name":"Ana"},"date":1700000000,
                "old_reaction":[{"type":"emoji","emoji":"👍"}],
                "new_reaction":[{"type":"emoji","emoji":"👍"},{"type":"emoji","emoji":"🔥"}]}}"#,
        );
        let Translation::React { user_id, post, emojis, .. } = translate(&update, &codec()) else {
            panic!("not a reaction")
        };
        assert_eq!((user_id, post), (UserId(42), PostRef { chat_id: -1001, message_id: 7 }));
        assert_eq!(emojis, vec!["🔥".to_owned()]);
    }

    #[test]
    fn a_reaction_in_the_players_own_chat_is_on_a_story_page() {
        let update = parse(
            r#"{"update_id":15,"message_reaction":{"chat":{"id":42,"type":"private","first_name":"Ana"},
                "message_id":8,"user":{"id":42,"is_bot":false,"first_name":"Ana"},"date":1700000000,
                "old_reaction":[],"new_reaction":[{"type":"emoji","emoji":"❤"}]}}"#,
        );
        let Translation::Command { envelope, screen: None, reply: ReplyTo::Nothing } = translate(&update, &codec())
        else {
            panic!("not a silent command")
        };
        assert_eq!(envelope.user_id, UserId(42));
        assert_eq!(envelope.command, Command::ReactToPage { page: 8, emojis: vec!["❤".to_owned()] });
    }

    #[test]
    fn channel_posts_are_published_with_their_channels_rates() {
        let post = |chat: i64| {
            parse(&format!(
                r#"{{"update_id":14,"channel_post":{{"message_id":9,"date":1700000000,
                    "chat":{{"id":{chat},"type":"channel","title":"Diana"}},"text":"Hoy, en el diván…"}}}}"#
            ))
        };
        let Translation::Publish { post: free } = translate(&post(-1001), &codec()) else { panic!("not published") };
        assert_eq!((free.post, free.target), (PostRef { chat_id: -1001, message_id: 9 }, ReactionTarget::FreePost));
        assert_eq!((free.published_at, free.excerpt.as_str()), (1_700_000_000, "Hoy, en el diván…"));
        let Translation::Publish { post: vip } = translate(&post(-2002), &codec()) else { panic!("not published") };
        assert_eq!(vip.target, ReactionTarget::VipPost);
    }

    #[test]
    fn removed_reactions_and_unknown_kinds_are_ignored() {
        let removed = parse(
            r#"{"update_id":12,"message_reaction":{"chat":{"id":-1001,"type":"channel","title":"Diana"},
                "message_id":7,"user":{"id":42,"is_bot":false,"first_name":"Ana"},"date":1700000000,
                "old_reaction":[{"type":"emoji","emoji":"👍"}],"new_reaction":[]}}"#,
        );
        assert!(matches!(translate(&removed, &codec()), Translation::Ignore(_)));
        let unknown = parse(r#"{"update_id":13,"brand_new_kind":{"x":1}}"#);
        assert!(matches!(translate(&unknown, &codec()), Translation::Ignore(_)));
    }

    fn pre_checkout_update(payload: &str, from: i64, currency: &str, amount: u32) -> Update {
        parse(&format!(
            r#"{{"update_id":30,"pre_checkout_query":{{"id":"q1","currency":"{currency}","total_amount":{amount},
                "invoice_payload":"{payload}","from":{{"id":{from},"is_bot":false,"first_name":"Ana"}}}}}}"#
        ))
    }

    #[test]
    fn pre_checkouts_that_do_not_match_their_signed_invoice_are_declined() {
        let invoice = InvoicePayload { purchase: 77, buyer: UserId(42), item: "mapa".into(), stars: 12 };
        let signed = codec().sign_invoice(&invoice);
        let checkout = |update: Update| match translate(&update, &codec()) {
            Translation::PreCheckout { query_id, checkout, .. } => {
                assert_eq!(query_id, "q1");
                checkout
            }
            other => panic!("not a pre-checkout: {other:?}"),
        };
        let expected = PreCheckout { buyer: UserId(42), purchase: 77, item: "mapa".into(), stars: 12 };
        assert_eq!(checkout(pre_checkout_update(&signed, 42, "XTR", 12)), Ok(expected));
        let tampered = signed.replacen("|12|", "|1|", 1);
        assert_eq!(checkout(pre_checkout_update(&tampered, 42, "XTR", 1)), Err(invalid_invoice()));
        assert_eq!(checkout(pre_checkout_update(&signed, 43, "XTR", 12)), Err(invalid_invoice()));
        assert!(matches!(checkout(pre_checkout_update(&signed, 42, "EUR", 12)), Err(RuleError::Malformed(_))));
        assert_eq!(checkout(pre_checkout_update(&signed, 42, "XTR", 11)), Err(RuleError::PriceChanged { price: 12 }));
        assert_eq!(checkout(pre_checkout_update("garbage", 42, "XTR", 12)), Err(invalid_invoice()));
    }

    #[test]
    fn a_story_press_in_the_players_chat_names_its_message_as_the_page() {
        let press = |chat: i64| {
            let data = codec().encode(UserId(42), Action::Decide { fragment: 5, choice: 1 });
            parse(&format!(
                r#"{{"update_id":16,"callback_query":{{"id":"cb2","chat_instance":"x","data":"{data}",
                    "from":{{"id":42,"is_bot":false,"first_name":"Ana"}},
                    "message":{{"message_id":3,"date":1700000000,"chat":{{"id":{chat},"type":"private","first_name":"Ana"}},
                    "text":"story"}}}}}}"#
            ))
        };
        let page = |update: Update| match translate(&update, &codec()) {
            Translation::Command { envelope, .. } => match envelope.command {
                Command::Decide { fragment: 5, choice: 1, page } => page,
                other => panic!("not the decision: {other:?}"),
            },
            other => panic!("not a command: {other:?}"),
        };
        assert_eq!(page(press(42)), Some(3));
        // A message elsewhere is not a page of this player's chat.
        assert_eq!(page(press(77)), None);
    }

    #[test]
    fn a_button_of_another_user_is_refused_before_the_game() {
        let data = codec().encode(UserId(7), Action::SetLanguage(Language::En));
        let update = parse(&format!(
            r#"{{"update_id":14,"callback_query":{{"id":"cb1","chat_instance":"x","data":"{data}",
                "from":{{"id":42,"is_bot":false,"first_name":"Eve","language_code":"en"}},
                "message":{{"message_id":3,"date":1700000000,"chat":{{"id":42,"type":"private","first_name":"Eve"}},
                "text":"menu"}}}}}}"#
        ));
        match translate(&update, &codec()) {
            Translation::RefuseButton { callback_query_id, language, error } => {
                assert_eq!((callback_query_id.as_str(), language, error), ("cb1", Language::En, CallbackError::Forged));
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
}
