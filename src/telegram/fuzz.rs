//! The intake's first steps under hostile input: any body that could be
//! posted to the webhook (`dianabot_test_support::hostile`) is parsed as an
//! [`Update`] and translated without a panic, and what reaches the game is
//! only what was designed to: unsigned buttons and invoices are refused,
//! players act only for themselves, only operators operate.
//!
//! CI runs [`CI_CASES`]; the long run sets `FUZZ_CASES` (and
//! `PROPTEST_RNG_SEED` to replay one):
//! `FUZZ_CASES=1000000 cargo test --release -p dianabot --lib fuzz`.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use dianabot_game::{Command, Language, UserId};
use dianabot_test_support::hostile::{Genuine, hostile_update};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use teloxide_core::types::{Update, UpdateKind};

use crate::config::AuctionLimits;
use crate::telegram::callback::{Action, CallbackCodec, InvoicePayload, tag};
use crate::telegram::flows::{AuctionRequest, ReactionRequest, ShopRequest, VipRequest};
use crate::telegram::translate::{OUT_OF_RANGE, Translation, Translator};
use crate::telegram::webhook::parse_update;

/// Cases per CI run: about five seconds in a debug build.
const CI_CASES: u32 = 10_000;

/// The one operator of the fuzzed translator.
const OPERATOR: u64 = 1;

fn cases() -> u32 {
    std::env::var("FUZZ_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(CI_CASES)
}

/// The translator under test and the strings it signed, made once per run.
static SUBJECT: LazyLock<(Translator, Genuine)> = LazyLock::new(|| {
    let translator = Translator {
        codec: CallbackCodec::new(b"fuzz"),
        operators: std::sync::Arc::new(crate::operators::Roster::new(
            [dianabot_game::UserId(OPERATOR as i64)],
            std::sync::Arc::new(crate::content::load_demo().expect("demo content")),
            dianabot_plumbing::Clock::system(),
        )),
        auctions: AuctionLimits::default(),
        vip_channel: Some(-1001),
        channels: BTreeSet::from([-1001]),
        username: Some("DianaBot".to_owned()),
    };
    let genuine = genuine(&translator.codec);
    (translator, genuine)
});

/// Buttons and invoices the translator itself signed, for a few users.
fn genuine(codec: &CallbackCodec) -> Genuine {
    let users = [OPERATOR, 2, 3, 42];
    let actions = [
        Action::Menu,
        Action::SetLanguage(Language::En),
        Action::Decide { fragment: 5, choice: 1 },
        Action::Shop { category: 0, page: 0 },
        Action::BuyWithBesitos { item: tag("mapa") },
        Action::BuyWithStars { item: tag("mapa") },
        Action::Bid { auction: 1, amount: 60 },
        Action::Ledger,
    ];
    let buttons = users
        .iter()
        .flat_map(|&user| actions.iter().map(move |&action| (user, codec.encode(UserId(user as i64), action))))
        .collect();
    let invoices = users
        .iter()
        .map(|&user| {
            let invoice = InvoicePayload { purchase: 77, buyer: UserId(user as i64), item: "mapa".into(), stars: 12 };
            (user, codec.sign_invoice(&invoice))
        })
        .collect();
    Genuine { buttons, invoices }
}

/// The player a translation acts for, and whether only an operator may ask it.
fn acts_for(translation: &Translation) -> (Option<UserId>, bool) {
    match translation {
        Translation::Command { envelope, .. } => {
            (Some(envelope.user_id), matches!(envelope.command, Command::Admin(_)))
        }
        Translation::View { user_id, .. } => (Some(*user_id), false),
        Translation::Profile(request) => match request {
            crate::telegram::flows::ProfileRequest::Ledger { user_id, .. } => (Some(*user_id), false),
            crate::telegram::flows::ProfileRequest::StartAt { register, .. } => (Some(register.user_id), false),
        },
        Translation::Shop(request) => match request {
            ShopRequest::Item { user_id, .. }
            | ShopRequest::Purchase { user_id, .. }
            | ShopRequest::RequestInvoice { user_id, .. }
            | ShopRequest::StarsPaid { user_id, .. } => (Some(*user_id), false),
            ShopRequest::PreCheckout { checkout, .. } => (checkout.as_ref().ok().map(|checkout| checkout.buyer), false),
            ShopRequest::RefundStars { .. } => (None, true),
        },
        Translation::Auction(request) => match request {
            AuctionRequest::Show { user_id, .. } | AuctionRequest::Bid { user_id, .. } => (Some(*user_id), false),
            AuctionRequest::Create { .. } | AuctionRequest::Cancel { .. } => (None, true),
        },
        Translation::Gift(gift) => (Some(gift.from), false),
        Translation::Reaction(request) => match request {
            ReactionRequest::React { user_id, .. } => (Some(*user_id), false),
            ReactionRequest::Publish { .. } => (None, false),
            ReactionRequest::Report { .. } => (None, true),
        },
        Translation::Operator(_) | Translation::Role(_) | Translation::Analytics(_) => (None, true),
        // Refused or not, only an operator's command carries an audit row.
        Translation::Operated(_) => (None, true),
        Translation::Vip(request) => match request {
            VipRequest::Show { user_id, .. }
            | VipRequest::Buy { user_id, .. }
            | VipRequest::SetRenewal { user_id, .. }
            | VipRequest::RequestLink { user_id, .. }
            | VipRequest::Paid { user_id, .. }
            | VipRequest::JoinRequest { user_id, .. } => (Some(*user_id), false),
            // Telegram's word about a member (the sender is whoever moved
            // them, an admin say), not a player's request.
            VipRequest::ChannelMember { .. } | VipRequest::PreCheckout { .. } => (None, false),
        },
        // A usage hint is anyone's; the rest only an operator's.
        Translation::Channel(crate::telegram::flows::ChannelRequest::Usage { .. }) => (None, false),
        Translation::Channel(_) => (None, true),
        Translation::Lore(
            crate::telegram::flows::LoreRequest::Combine { user_id, .. }
            | crate::telegram::flows::LoreRequest::ReadSecret { user_id, .. },
        ) => (Some(*user_id), false),
        Translation::Trivia(crate::telegram::flows::TriviaRequest::Start { user_id, .. })
        | Translation::Referral(crate::telegram::flows::ReferralRequest::Invite { user_id, .. }) => {
            (Some(*user_id), false)
        }
        Translation::Referral(crate::telegram::flows::ReferralRequest::Join { register, .. }) => {
            (Some(register.user_id), false)
        }
        Translation::Refuse { .. } | Translation::RefuseButton { .. } | Translation::Ignore(_) => (None, false),
        Translation::Board(crate::telegram::flows::BoardRequest::Show { user_id, .. }) => (Some(*user_id), false),
        // flags: operators' only.
        Translation::Flag(_) => (None, true),
        // offers
        Translation::Offer(
            crate::telegram::flows::OfferRequest::List { user_id, .. }
            | crate::telegram::flows::OfferRequest::Open { user_id, .. }
            | crate::telegram::flows::OfferRequest::Buy { user_id, .. }
            | crate::telegram::flows::OfferRequest::Paid { user_id, .. },
        ) => (Some(*user_id), false),
        // offers-stars
        Translation::Offer(crate::telegram::flows::OfferRequest::PreCheckout { checkout, .. }) => {
            (checkout.as_ref().ok().map(|checkout| checkout.buyer), false)
        }
    }
}

/// What the translation of `update` may be, whatever else it holds.
fn check_designed(update: &Update, translation: &Translation, genuine: &Genuine) -> Result<(), TestCaseError> {
    // Every translation is logged with `{:?}`.
    let _ = format!("{translation:?}");
    match &update.kind {
        UpdateKind::CallbackQuery(query)
            if query.message.is_some()
                && !genuine.buttons.contains(&(query.from.id.0, query.data.clone().unwrap_or_default())) =>
        {
            // Refused, or not even looked at: a sender no real user can be.
            prop_assert!(
                matches!(translation, Translation::RefuseButton { .. } | Translation::Ignore(OUT_OF_RANGE)),
                "unsigned button data was not refused: {translation:?}"
            );
        }
        UpdateKind::PreCheckoutQuery(query)
            if !genuine.invoices.contains(&(query.from.id.0, query.invoice_payload.clone())) =>
        {
            prop_assert!(
                matches!(translation, Translation::Shop(ShopRequest::PreCheckout { checkout: Err(_), .. })),
                "a pre-checkout of an unsigned invoice was not declined: {translation:?}"
            );
        }
        UpdateKind::Message(message) => {
            if let (Some(payment), Some(payer)) = (message.successful_payment(), message.from.as_ref())
                && !payer.is_bot
                && !genuine.invoices.contains(&(payer.id.0, payment.invoice_payload.clone()))
            {
                prop_assert!(
                    matches!(
                        translation,
                        Translation::Shop(ShopRequest::StarsPaid { payment: Err(_), .. })
                            | Translation::Ignore(OUT_OF_RANGE)
                    ),
                    "a payment of an unsigned invoice was granted: {translation:?}"
                );
            }
        }
        _ => {}
    }
    let (player, operator_only) = acts_for(translation);
    let sender = update.from();
    let operator = sender.is_some_and(|sender| sender.id.0 == OPERATOR);
    prop_assert!(!operator_only || operator, "an operator's request from {sender:?}: {translation:?}");
    if let (Some(player), Some(sender)) = (player, sender)
        && !operator
    {
        prop_assert_eq!(i128::from(player.0), i128::from(sender.id.0), "a player acted for another: {:?}", translation);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    /// Parse failures are the webhook's dead letters (200, nothing done);
    /// everything that parses translates to a designed answer.
    #[test]
    fn fuzz_hostile_updates_translate_without_panics_as_designed(
        body in hostile_update(SUBJECT.1.clone())
    ) {
        let (translator, genuine) = &*SUBJECT;
        if let Ok(update) = parse_update(&body) {
            check_designed(&update, &translator.translate(&update), genuine)?;
        }
    }
}
