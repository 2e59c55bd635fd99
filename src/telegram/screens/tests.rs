//! Every screen, notice and report in both languages, rendered from the
//! shipped Fluent files with the demo content, as reviewed snapshots
//! (`snapshots/`): a change of wording shows up as a diff to read.

use std::sync::{Arc, OnceLock};

use dianabot_actors::{AuctionNotice, BidOutcome, GiftOutcome, Outcome, PurchaseOutcome};
use dianabot_game::auction::{Auction, AuctionStatus, TopBid};
use dianabot_game::content::{Content, PlanKind, ReactionTarget};
use dianabot_game::membership::{ChannelSync, Membership, Phase, Subscription, SyncAction, Vip};
use dianabot_game::post::{Engagement, Post};
use dianabot_game::{
    Account, Currency, Event, ItemId, Language, LedgerEntry, Malformed, PostRef, Profile, Reason, RuleError, Usage,
    UserId, UserState,
};
use teloxide_core::types::InlineKeyboardButton;

use super::*;
use crate::telegram::callback::{CallbackCodec, CallbackError};
use crate::texts::{self, Texts};

const LANGUAGES: [Language; 2] = [Language::Es, Language::En];
/// The game clock of the snapshots: no demo event runs then.
const NOW: i64 = 1_700_000_000;

fn content() -> Arc<Content> {
    static CONTENT: OnceLock<Arc<Content>> = OnceLock::new();
    CONTENT
        .get_or_init(|| {
            let content = Arc::new(crate::content::load_demo().expect("demo content"));
            // The shipped texts, with the demo content for item names.
            texts::install(Texts::shipped(), content.clone());
            content
        })
        .clone()
}

fn codec() -> CallbackCodec {
    CallbackCodec::new(b"snapshot secret")
}

/// A message as a reviewer reads it: the text, then the buttons by row.
fn shown(rendered: &Rendered) -> String {
    let mut shown = rendered.text.clone();
    if let Some(keyboard) = &rendered.keyboard {
        shown.push_str("\n---");
        for row in &keyboard.inline_keyboard {
            let labels: Vec<String> =
                row.iter().map(|button: &InlineKeyboardButton| format!("[{}]", button.text)).collect();
            shown.push_str(&format!("\n{}", labels.join(" ")));
        }
    }
    shown
}

/// `render` in both languages, one after the other.
fn both(render: impl Fn(Language) -> String) -> String {
    LANGUAGES.iter().map(|&language| format!("== {language:?} ==\n{}\n", render(language))).collect()
}

fn player(language: Language) -> UserState {
    let mut state = UserState::new(UserId(7));
    state.profile = Some(Profile {
        first_name: "Ana <3".to_owned(),
        username: Some("ana".to_owned()),
        language,
        registered_at: 1_700_000_000,
        broadcasts_opt_out: false,
    });
    state.wallet.balance = 1;
    state.progress.daily_gift.streak = 1;
    state.progress.counters.insert("reactions".to_owned(), 1);
    state.progress.achievements.insert("primer_paso".to_owned());
    state
}

fn rich_player(language: Language) -> UserState {
    let mut state = player(language);
    state.wallet.balance = 120;
    state.progress.daily_gift.streak = 4;
    state.inventory.insert(ItemId("rosa_negra".to_owned()), 1);
    state.inventory.insert(ItemId("carta_sellada".to_owned()), 2);
    state.progress.story.fragment = Some("l1_umbral".to_owned());
    state.progress.story.path = vec!["l1_umbral".to_owned()];
    state.progress.vip = Some(Box::new(trial_until(NOW + 2 * 86_400 + 3_600)));
    state.progress.bought.insert("rosa_negra".to_owned(), 1);
    state
}

/// On "A night in the library": the letter read, its mission done.
fn journeying_player(language: Language) -> UserState {
    let mut state = rich_player(language);
    let journey = dianabot_game::journeys::Journey {
        started_at: 1_700_000_000,
        done: ["carta", "correspondencia"].map(str::to_owned).into(),
        ..Default::default()
    };
    let mut journeys = dianabot_game::journeys::Journeys::default();
    journeys.running.insert("noche_biblioteca".to_owned(), journey);
    state.progress.experiences = Some(Box::new(journeys));
    state.progress.story.fragment = Some("l2_biblioteca".to_owned());
    state
}

fn ledger_entry(amount: i64, reason: Reason) -> Event {
    Event::Ledger(LedgerEntry {
        seq: 1,
        amount,
        counter_account: Account::System(reason),
        reason,
        update_id: None,
        at: 1_700_000_000,
    })
}

/// A case of a snapshot: renders it in a language.
type Render<'a> = Box<dyn Fn(Language) -> String + 'a>;

fn screen(state: &UserState, screen: Screen, events: &[Event]) -> String {
    let (content, codec) = (content(), codec());
    let outcome = Outcome::Applied(events);
    let rendered =
        reply(Some(screen), state, outcome, Ui { codec: &codec, content: &content, now: NOW }).expect("a reply");
    shown(&rendered)
}

#[test]
fn player_screens() {
    let content = content();
    let registered = Event::Registered { profile: player(Language::Es).profile.expect("a profile") };
    let daily = [ledger_entry(5, Reason::DailyGift), Event::AchievementUnlocked { achievement: "primer_paso".into() }];
    let cases: Vec<(&str, Render)> = vec![
        ("welcome", Box::new(|l| screen(&player(l), Screen::Welcome, std::slice::from_ref(&registered)))),
        ("welcome_back", Box::new(|l| screen(&player(l), Screen::Welcome, &[]))),
        ("onboarding", Box::new(|l| screen(&player(l), Screen::Onboarding, &[]))),
        ("menu", Box::new(|l| screen(&rich_player(l), Screen::Menu, &[]))),
        ("daily_gift_first_day", Box::new(|l| screen(&player(l), Screen::DailyGift, &daily))),
        ("daily_gift_streak", Box::new(|l| screen(&rich_player(l), Screen::DailyGift, &daily[..1]))),
        ("profile", Box::new(|l| screen(&player(l), Screen::Profile, &[]))),
        ("missions", Box::new(|l| screen(&player(l), Screen::Missions, &[]))),
        ("achievements", Box::new(|l| screen(&player(l), Screen::Achievements, &[]))),
        ("inventory_empty", Box::new(|l| screen(&player(l), Screen::Inventory, &[]))),
        ("inventory", Box::new(|l| screen(&rich_player(l), Screen::Inventory, &[]))),
        ("help", Box::new(|l| screen(&player(l), Screen::Help, &[]))),
        ("language_picker", Box::new(|l| screen(&player(l), Screen::LanguagePicker, &[]))),
        ("not_understood", Box::new(|l| screen(&player(l), Screen::NotUnderstood, &[]))),
        ("not_registered", Box::new(|_| screen(&UserState::new(UserId(8)), Screen::Menu, &[]))),
        ("operator_report", Box::new(|l| screen(&player(Language::Es), Screen::OperatorReport(l), &[]))),
        ("shop", Box::new(|l| screen(&rich_player(l), Screen::Shop { category: 0, page: 0 }, &[]))),
        ("story_not_started", Box::new(|l| screen(&player(l), Screen::Story, &[]))),
        ("experiences_none_started", Box::new(|l| screen(&player(l), Screen::Experiences, &[]))),
        ("experiences", Box::new(|l| screen(&journeying_player(l), Screen::Experiences, &[]))),
        ("experience_page", Box::new(|l| screen(&journeying_player(l), library(false), &[]))),
        ("experience_abandon_confirm", Box::new(|l| screen(&journeying_player(l), library(true), &[]))),
        ("experience_vip_only", Box::new(|l| screen(&player(l), cartography(), &[]))),
        ("story_page_in_experience", Box::new(|l| screen(&journeying_player(l), Screen::Story, &[]))),
        (
            "experience_step_and_completion",
            Box::new(|l| {
                let (experience, component) = ("noche_biblioteca".to_owned(), "rosa".to_owned());
                let events = [
                    Event::ComponentDone { experience: experience.clone(), component },
                    Event::ExperienceCompleted { experience },
                    ledger_entry(20, Reason::ExperienceReward),
                ];
                screen(&journeying_player(l), Screen::Story, &events)
            }),
        ),
        ("story_page", Box::new(|l| screen(&rich_player(l), Screen::Story, &[]))),
        (
            "story_vip_door",
            Box::new(|l| {
                screen(&rich_player(l), Screen::Story, &[Event::VipDenied { fragment: "l4_antesala".into() }])
            }),
        ),
        ("history", Box::new(|l| screen(&rich_player(l), Screen::History, &[]))),
        (
            "story_choice_refused",
            Box::new(|l| {
                let (codec, state) = (codec(), rich_player(l));
                let ui = Ui { codec: &codec, content: &content, now: NOW };
                shown(
                    &reply(Some(Screen::Story), &state, Outcome::Refused(&RuleError::StaleChoice), ui).expect("a page"),
                )
            }),
        ),
    ];
    for (name, render) in cases {
        insta::assert_snapshot!(name, both(render));
    }
}

#[test]
fn shop_pages_and_reports() {
    let content = content();
    let codec = codec();
    let ui = Ui { codec: &codec, content: &content, now: NOW };
    let item = |id: &str| content.shop_item(id).expect("a demo shop item").clone();
    let details = |id: &str, left| both(|l| shown(&item_details(&rich_player(l), ui, &item(id), left)));
    insta::assert_snapshot!("item_owned", details("rosa_negra", None));
    insta::assert_snapshot!("item_limited", details("mapa_de_estrellas", Some(1)));
    insta::assert_snapshot!("item_locked", details("pase_vip_prueba", Some(3)));
    let report = |outcome: PurchaseOutcome| {
        both(|l| shown(&purchase_report(&rich_player(l), ui, &item("pase_vip_prueba"), &outcome)))
    };
    insta::assert_snapshot!("purchase_completed", report(PurchaseOutcome::Completed));
    insta::assert_snapshot!(
        "purchase_refused",
        report(PurchaseOutcome::Refused(RuleError::InsufficientFunds { balance: 1, needed: 30 }))
    );
    insta::assert_snapshot!("purchase_compensated", report(PurchaseOutcome::Compensated(RuleError::SoldOut)));
    insta::assert_snapshot!("purchase_in_flight", report(PurchaseOutcome::InFlight));
    insta::assert_snapshot!("purchase_duplicate", report(PurchaseOutcome::Duplicate));
    insta::assert_snapshot!(
        "stars_paid",
        both(|l| shown(&stars_paid(&rich_player(l), ui, &item("mapa_de_estrellas"))))
    );
    let refund =
        |result: Result<(i64, String), RefundFailure>| both(|l| shown(&refund_report(l, &content, result.clone())));
    insta::assert_snapshot!("refund_done", refund(Ok((7, "mapa_estelar".to_owned()))));
    insta::assert_snapshot!("refund_no_payment", refund(Err(RefundFailure::NoPayment("ch_1".to_owned()))));
    insta::assert_snapshot!("refund_already_done", refund(Err(RefundFailure::AlreadyRefunded)));
    insta::assert_snapshot!("refund_telegram", refund(Err(RefundFailure::Telegram("CHARGE_NOT_FOUND".to_owned()))));
}

fn auction(status: AuctionStatus, top: Option<i64>) -> Auction {
    Auction {
        id: 12,
        item: ItemId("reloj_bolsillo".to_owned()),
        quantity: 1,
        starting_bid: 1,
        min_increment: 2,
        extension_secs: 60,
        ends_at: 1_000_000 + 3_725,
        status,
        top: top.map(|amount| TopBid { bidder: UserId(7), bid: 99, amount }),
        created_by: UserId(1),
        created_at: 1_000_000,
    }
}

#[test]
fn auction_pages_notices_and_reports() {
    let content = content();
    let codec = codec();
    let ui = Ui { codec: &codec, content: &content, now: NOW };
    let open = auction(AuctionStatus::Open, Some(1));
    insta::assert_snapshot!("auctions_none", both(|l| shown(&auction::list(&player(l), &[], ui))));
    insta::assert_snapshot!("auctions", both(|l| shown(&auction::list(&player(l), std::slice::from_ref(&open), ui))));
    let page = |auction: &Auction, now: i64, note: Option<&dyn Fn(Language) -> String>| {
        both(|l| {
            let note = note.map(|note| note(l));
            shown(&auction::page(&player(l), auction, ui, now, note.as_deref()))
        })
    };
    insta::assert_snapshot!("auction_no_bids", page(&auction(AuctionStatus::Open, None), 1_000_000, None));
    let accepted = |l| {
        let outcome = BidOutcome::Accepted { auction: open.clone(), extended: true };
        auction::bid_note(l, &outcome, 1)
    };
    insta::assert_snapshot!("auction_bid_accepted", page(&open, 1_003_700, Some(&accepted)));
    let refused = |l| auction::bid_note(l, &BidOutcome::Refused(RuleError::BidTooLow { minimum: 3 }), 2);
    insta::assert_snapshot!(
        "auction_bid_refused",
        page(&auction(AuctionStatus::Open, Some(9)), 1_000_100, Some(&refused))
    );
    insta::assert_snapshot!("auction_won_page", page(&auction(AuctionStatus::Closed, Some(9)), 1_004_000, None));
    insta::assert_snapshot!("auction_cancelled_page", page(&auction(AuctionStatus::Cancelled, None), 1_004_000, None));
    let user = UserId(7);
    let notice = |sent: AuctionNotice| both(|l| shown(&auction::notice(&sent, &player(l), ui)));
    insta::assert_snapshot!(
        "outbid",
        notice(AuctionNotice::Outbid { user, auction: auction(AuctionStatus::Open, Some(3)), refunded: 1 })
    );
    insta::assert_snapshot!(
        "outbid_many",
        notice(AuctionNotice::Outbid { user, auction: auction(AuctionStatus::Open, Some(30)), refunded: 25 })
    );
    insta::assert_snapshot!(
        "won",
        notice(AuctionNotice::Won { user, auction: auction(AuctionStatus::Closed, Some(9)) })
    );
    insta::assert_snapshot!(
        "auction_refunded",
        notice(AuctionNotice::Refunded { user, auction: open.clone(), amount: 1 })
    );
    insta::assert_snapshot!("auction_created", both(|l| shown(&auction::created(l, &open, ui, 1_000_000))));
    let cancelled = both(|l| format!("{}\n{}", auction::cancelled(l, 12, 1).text, auction::cancelled(l, 12, 3).text));
    insta::assert_snapshot!("auction_cancel_report", cancelled);
}

#[test]
fn gifts_refusals_and_operator_reports() {
    // Item names come from the content the texts were installed with.
    content();
    let codec = codec();
    let gifts = both(|l| {
        let mut lines = vec![
            gift_report(l, &GiftOutcome::Delivered, 1, "@bea").text,
            gift_report(l, &GiftOutcome::Delivered, 10, "@bea").text,
            gift_report(l, &GiftOutcome::InFlight, 1, "@bea").text,
            gift_report(l, &GiftOutcome::Refunded(RuleError::UnknownUser), 1, "@bea").text,
            gift_report(l, &GiftOutcome::Duplicate, 1, "@bea").text,
            gift_received(l, 1, "Ana").text,
            gift_received(l, 6, "Ana").text,
            unknown_recipient(l, "@nadie").text,
        ];
        lines.extend([CallbackError::Expired, CallbackError::Forged].map(|error| button_refusal(l, error)));
        lines.join("\n")
    });
    insta::assert_snapshot!("gifts_and_buttons", gifts);
    let refusals = [
        RuleError::UnknownUser,
        RuleError::NonPositiveAmount(-5),
        RuleError::AmountTooLarge(2_000_000, 1_000_000),
        RuleError::InsufficientFunds { balance: 1, needed: 30 },
        RuleError::InsufficientItems { item: ItemId("rosa_negra".to_owned()), have: 1, needed: 2 },
        RuleError::TooManyItems { item: ItemId("mapa_estelar".to_owned()) },
        RuleError::StaleChoice,
        RuleError::UnknownChoice,
        RuleError::RequirementsNotMet { missing: Vec::new() },
        RuleError::AlreadyClaimedToday,
        RuleError::GiftToSelf,
        RuleError::GiftTooLarge { max: 500 },
        RuleError::TooManyGiftsToday { max: 1 },
        RuleError::TooManyGiftsToday { max: 10 },
        RuleError::DailyReactionLimit { limit: 1 },
        RuleError::DailyReactionLimit { limit: 20 },
        RuleError::AlreadyRewarded,
        RuleError::UnknownPost,
        RuleError::NotAStoryPage,
        RuleError::UnknownShopItem("x".to_owned()),
        RuleError::NotOnSale,
        RuleError::NotSoldFor(Currency::Besitos),
        RuleError::NotSoldFor(Currency::Stars),
        RuleError::AlreadyOwned,
        RuleError::SoldOut,
        RuleError::PriceChanged { price: 12 },
        RuleError::TooManyPurchaseAttempts { max: 5 },
        RuleError::DailyCapReached { reason: Reason::Reaction, cap: 60 },
        RuleError::UnknownCharge,
        RuleError::UnknownItem(ItemId("unicornio".to_owned())),
        RuleError::UnknownAuction,
        RuleError::AuctionRunning { ends_at: 0 },
        RuleError::AuctionClosed,
        RuleError::AuctionCancelled,
        RuleError::BidTooLow { minimum: 11 },
        RuleError::NoSuchHold,
        RuleError::Malformed(Malformed::AuctionTooShort { seconds: 60 }),
        RuleError::Malformed(Malformed::AuctionTooLong { days: 30 }),
        RuleError::Malformed(Malformed::NotStars { currency: "EUR".to_owned() }),
        RuleError::Malformed(Malformed::InvalidInvoice),
        RuleError::Malformed(Malformed::ShopBusy),
        RuleError::Malformed(Malformed::NotDelivered),
        RuleError::Malformed(Malformed::UnknownFragment("l9_nada".to_owned())),
        RuleError::Malformed(Malformed::Unavailable("pool timed out".to_owned())),
    ];
    let usages = [
        Usage::Buy,
        Usage::Gift,
        Usage::Bid,
        Usage::OpenAuction,
        Usage::CancelAuction,
        Usage::Refund,
        Usage::Grant,
        Usage::Deduct,
        Usage::GrantVip,
    ]
    .map(|usage| RuleError::Malformed(Malformed::Usage(usage)));
    let all =
        both(|l| refusals.iter().chain(&usages).map(|refused| refusal(l, refused).text).collect::<Vec<_>>().join("\n"));
    insta::assert_snapshot!("refusals", all);

    let post = |id: i32, target, text: &str| {
        Post::new(PostRef { chat_id: -1001, message_id: id }, target, 1_700_000_000, text)
    };
    let one = Engagement { reactions: 1, unique_reactors: 1, besitos_paid: 1 };
    let many = Engagement { reactions: 7, unique_reactors: 3, besitos_paid: 12 };
    let posts = [
        (post(41, ReactionTarget::FreePost, "Hoy, en el diván…"), one),
        (post(42, ReactionTarget::VipPost, "<b>VIP</b>"), many),
    ];
    let fragments = [("l1_umbral".to_owned(), many)];
    insta::assert_snapshot!("posts", both(|l| posts_report(l, &posts, &fragments).text));
    insta::assert_snapshot!("posts_none", both(|l| posts_report(l, &[], &[]).text));
    let entries =
        [(5, "daily_gift".to_owned(), 1), (-30, "purchase".to_owned(), 2), (1, "unknown_reason".to_owned(), 3)];
    insta::assert_snapshot!("ledger", both(|l| shown(&ledger(l, &entries, &codec, UserId(7)))));
    insta::assert_snapshot!("ledger_empty", both(|l| shown(&ledger(l, &[], &codec, UserId(7)))));
    let reloads = both(|l| {
        let problems = "content/items.toml:3: item: expected a table".to_owned();
        [reload_report(l, Ok(1)).text, reload_report(l, Ok(41)).text, reload_report(l, Err(problems)).text].join("\n")
    });
    insta::assert_snapshot!("reload_reports", reloads);
}

/// Game time of the VIP snapshots: 2027-01-15 00:00 UTC.
const VIP_NOW: i64 = 1_800_000_000 - 1_800_000_000 % 86_400;

fn trial_until(until: i64) -> Vip {
    Vip { plan: Some(PlanKind::Trial), phase: Phase::Active, until, grace_until: until + 3 * 86_400, ..Vip::default() }
}

fn member(language: Language, vip: Vip) -> UserState {
    let mut state = player(language);
    state.progress.vip = Some(Box::new(vip));
    state
}

fn monthly(canceled: bool) -> Vip {
    Vip {
        plan: Some(PlanKind::Monthly),
        subscription: Some(Subscription { charge: "c1".into(), canceled }),
        channel: Membership::Member,
        ..trial_until(VIP_NOW + 12 * 86_400 + 3_600)
    }
}

#[test]
fn vip_screens_and_notices() {
    let content = content();
    let codec = codec();
    let ui = Ui { codec: &codec, content: &content, now: NOW };
    let status = |state: UserState| shown(&vip::status(&state, ui, VIP_NOW));
    let bonus = [ledger_entry(50, Reason::VipRenewalBonus)];
    let cases: Vec<(&str, Render)> = vec![
        ("vip_none", Box::new(|l| status(player(l)))),
        ("vip_trial", Box::new(|l| status(member(l, trial_until(VIP_NOW + 2 * 86_400 + 3_600))))),
        ("vip_monthly_renews", Box::new(|l| status(member(l, monthly(false))))),
        ("vip_monthly_canceled", Box::new(|l| status(member(l, monthly(true))))),
        ("vip_grace", Box::new(|l| status(member(l, Vip { phase: Phase::Grace, ..trial_until(VIP_NOW - 3_600) })))),
        (
            "vip_lifetime",
            Box::new(|l| {
                status(member(l, Vip { plan: Some(PlanKind::Lifetime), channel: Membership::Member, ..Vip::default() }))
            }),
        ),
        (
            "vip_paid",
            Box::new(|l| {
                let sync = Some(ChannelSync { action: SyncAction::Invite, due: VIP_NOW + 60 });
                shown(&vip::paid(&member(l, Vip { channel: Membership::Outside, sync, ..monthly(false) }), ui, &[]))
            }),
        ),
        ("vip_paid_renewal", Box::new(|l| shown(&vip::paid(&member(l, monthly(false)), ui, &bonus)))),
        (
            "vip_paid_lifetime",
            Box::new(|l| {
                let lifetime = Vip { plan: Some(PlanKind::Lifetime), ..Vip::default() };
                shown(&vip::paid(&member(l, lifetime), ui, &[]))
            }),
        ),
        ("vip_link", Box::new(|l| shown(&vip::invite_link(l, "https://t.me/+AbCdEf", 24)))),
        ("vip_already_member", Box::new(|l| shown(&vip::already_member(l)))),
        ("vip_reminder_renews", Box::new(|l| shown(&vip::reminder(&member(l, monthly(false)), ui, 3)))),
        ("vip_reminder_ends", Box::new(|l| shown(&vip::reminder(&member(l, monthly(true)), ui, 1)))),
        ("vip_expired", Box::new(|l| shown(&vip::expired(&member(l, trial_until(VIP_NOW)), ui)))),
        ("vip_lapsed", Box::new(|l| shown(&vip::lapsed(&player(l), ui)))),
        ("vip_members_only", Box::new(|l| shown(&vip::members_only(&player(l), ui)))),
        ("vip_renewal_canceled", Box::new(|l| shown(&vip::renewal_set(&member(l, monthly(true)), ui, true)))),
        ("vip_renewal_resumed", Box::new(|l| shown(&vip::renewal_set(&member(l, monthly(false)), ui, false)))),
        ("free_welcome", Box::new(|l| shown(&vip::free_welcome(l, "Ana <3")))),
        (
            "vip_invoice",
            Box::new(|l| {
                let plan = content.vip().plan(PlanKind::Monthly).expect("the demo sells monthly");
                let (title, description) = vip::invoice_texts(l, plan);
                format!("{title}\n{description}")
            }),
        ),
        (
            "vip_refusals",
            Box::new(|l| {
                [RuleError::UnknownVipPlan, RuleError::NoSubscription, RuleError::NotVip]
                    .iter()
                    .map(|refused| shown(&refusal(l, refused)))
                    .collect::<Vec<_>>()
                    .join("\n")
            }),
        ),
    ];
    for (name, render) in cases {
        insta::assert_snapshot!(name, both(render));
    }
}

#[test]
fn channel_content_screens() {
    use dianabot_persistence::{Broadcast, BroadcastStatus};
    let content = content();
    let news = both(|l| {
        let mut out = player(l);
        let on = shown(&render(Screen::News, &out, &[], Ui { codec: &codec(), content: &content, now: NOW }));
        if let Some(profile) = &mut out.profile {
            profile.broadcasts_opt_out = true;
        }
        let off = shown(&render(Screen::News, &out, &[], Ui { codec: &codec(), content: &content, now: NOW }));
        [on, off].join("\n")
    });
    insta::assert_snapshot!("news_on_and_off", news);
    let job = |status, sent| Broadcast {
        id: 4_294_968_296,
        text: "¡Nuevo capítulo <esta noche>!".to_owned(),
        created_by: UserId(1),
        created_at: 1_700_000_000,
        status,
        cursor: 12,
        sent,
        skipped: 2,
        failed: 1,
        unknown: 0,
        in_flight: 0,
    };
    let broadcasts = both(|l| {
        [
            broadcast_message(l, "¡Nuevo capítulo <esta noche>!"),
            broadcast_created(l, 4_294_968_296, 1).text,
            broadcast_created(l, 4_294_968_296, 9_997).text,
            broadcast_done(l, &job(BroadcastStatus::Done, 9_994)),
            broadcasts_report(l, &[]).text,
            broadcasts_report(l, &[job(BroadcastStatus::Running, 10), job(BroadcastStatus::Done, 9_994)]).text,
            channel_usage(l, "teaser").text,
        ]
        .join("\n")
    });
    insta::assert_snapshot!("broadcasts", broadcasts);
    let post = |status| dianabot_persistence::ScheduledPost {
        id: 4_294_968_297,
        chat_id: -100,
        vip: false,
        text: "Esta noche, <Diana> lee en voz alta".to_owned(),
        due: 1_700_001_800,
        created_by: UserId(1),
        status,
        message_id: None,
    };
    let scheduled = both(|l| {
        use dianabot_persistence::ScheduledStatus as S;
        let statuses = [S::Scheduled, S::Sending, S::Published, S::Failed, S::Unknown];
        [
            post_scheduled(l, Some(&post(S::Scheduled)), false).text,
            post_scheduled(l, Some(&post(S::Scheduled)), true).text,
            post_scheduled(l, None, true).text,
            scheduled_report(l, &[]).text,
            scheduled_report(l, &statuses.map(post)).text,
            channel_usage(l, "schedule").text,
        ]
        .join("\n")
    });
    insta::assert_snapshot!("scheduled_posts", scheduled);
    let fragment = content.fragments().next().expect("a fragment");
    let teasers = both(|l| {
        let link = format!("https://t.me/DianaBot?start=f_{}", fragment.id);
        let teaser = shown(&teaser(l, &content, fragment, link).expect("a teaser"));
        let reports = [
            teaser_report(l, "inicio", Ok(42)).text,
            teaser_report(l, "inicio", Err(TeaserFailure::NoChannel)).text,
            teaser_report(l, "inicio", Err(TeaserFailure::NoUsername)).text,
            teaser_report(l, "inicio", Err(TeaserFailure::NotSent)).text,
        ];
        format!("{teaser}\n{}", reports.join("\n"))
    });
    insta::assert_snapshot!("teasers", teasers);
}

#[test]
fn operator_roles_and_the_audit_log() {
    use dianabot_game::content::{Permission, RoleId};
    use dianabot_game::roles::{AuditEntry, AuditOutcome, OperatorAction, RoleGrant};
    let content = content();
    let grant = |user, role: &str, expires_at| RoleGrant {
        user: UserId(user),
        role: RoleId::new(role),
        granted_by: UserId(900),
        granted_at: 1_700_000_000,
        expires_at,
    };
    let grants = [grant(901, "support", Some(1_700_086_400)), grant(902, "analyst", None), grant(903, "retired", None)];
    let role = |id: &str| content.role(id).cloned();
    insta::assert_snapshot!(
        "operator_roles",
        both(|l| {
            let granted = operators::role_granted(l, &grants[0], "Soporte").text;
            let for_good = operators::role_granted(l, &grants[1], "Analyst").text;
            let revoked = operators::role_revoked(l, UserId(901), "support", true).text;
            let not_held = operators::role_revoked(l, UserId(901), "support", false).text;
            let list = operators::roles_list(l, &[UserId(900)], &grants, role).text;
            let nobody = operators::roles_list(l, &[UserId(900)], &[], role).text;
            [granted, for_good, revoked, not_held, list, nobody].join("\n")
        })
    );
    let entry = |at, action, outcome, target: Option<&str>, args: &str, detail: Option<&str>| AuditEntry {
        at,
        operator: UserId(901),
        action,
        target: target.map(str::to_owned),
        args: args.to_owned(),
        outcome,
        detail: detail.map(str::to_owned),
    };
    let log = [
        entry(1_700_090_000, OperatorAction::Refund, AuditOutcome::Refused, None, "ch_1", Some("lacks refunds")),
        entry(1_700_000_100, OperatorAction::Refund, AuditOutcome::Done, Some("charge:ch_1"), "ch_1", None),
        entry(1_700_000_000, OperatorAction::GrantRole, AuditOutcome::Failed, None, "dar 5 <b>", Some("no role <b>")),
    ];
    insta::assert_snapshot!(
        "operator_audit_log",
        both(|l| [operators::audit_report(l, &log).text, operators::audit_report(l, &[]).text].join("\n"))
    );
    let refusals = both(|l| {
        [
            RuleError::NotPermitted(Permission::Refunds),
            RuleError::UnknownRole("jefe".to_owned()),
            RuleError::RoleBeyondYours("support".to_owned()),
            RuleError::Malformed(Malformed::Usage(Usage::Role)),
            RuleError::Malformed(Malformed::Usage(Usage::Audit)),
        ]
        .iter()
        .map(|refusal| refusal_text(l, refusal))
        .collect::<Vec<_>>()
        .join("\n")
    });
    insta::assert_snapshot!("operator_role_refusals", refusals);
}

/// A player holding every demo clue but one, with a secret revealed and
/// a name that is markup.
fn collector(language: Language) -> UserState {
    let mut state = rich_player(language);
    if let Some(profile) = &mut state.profile {
        profile.first_name = "<b>&".to_owned();
    }
    let mut backpack = dianabot_game::backpack::Backpack::default();
    for piece in ["guante_blanco", "velo_terciopelo", "tinta_violeta", "lacre_negro"] {
        backpack.pieces.insert(piece.to_owned());
    }
    backpack.revealed.insert("retrato_velado".to_owned());
    state.progress.backpack = Some(Box::new(backpack));
    state
}

#[test]
fn lore_screens() {
    let content = content();
    let ui_reply = |state: &UserState, screen: Screen, outcome: Outcome<'_>| {
        let codec = codec();
        shown(&reply(Some(screen), state, outcome, Ui { codec: &codec, content: &content, now: NOW }).expect("a reply"))
    };
    // Bits over lore.toml's piece order: guante 0, velo 1, tinta 2, lacre 3.
    let wrong = RuleError::WrongCombination {
        hint: Some(dianabot_game::backpack::CombinationHint {
            recipe: "iniciales".into(),
            missing: 1,
            extra: vec!["lacre_negro".into()],
        }),
    };
    let revealed = [
        Event::SecretRevealed { recipe: "iniciales".into() },
        ledger_entry(15, Reason::LoreReward),
        Event::ItemsGranted { item: ItemId("rosa_negra".into()), quantity: 1 },
    ];
    let cases: Vec<(&str, Render)> = vec![
        ("backpack_empty", Box::new(|l| screen(&player(l), Screen::Backpack { selected: 0 }, &[]))),
        ("backpack", Box::new(|l| screen(&collector(l), Screen::Backpack { selected: 0b1001 }, &[]))),
        (
            "backpack_wrong_combination",
            Box::new(|l| ui_reply(&collector(l), Screen::Backpack { selected: 0b1001 }, Outcome::Refused(&wrong))),
        ),
        ("secret_revealed", Box::new(|l| screen(&collector(l), Screen::Backpack { selected: 0b1001 }, &revealed))),
        (
            "code_redeemed",
            Box::new(|l| {
                let events = [Event::CodeRedeemed { code: "lucien".into() }, ledger_entry(20, Reason::LoreReward)];
                screen(&player(l), Screen::Code, &events)
            }),
        ),
        ("code_unknown", Box::new(|l| screen(&player(l), Screen::Code, &[Event::CodeMissed { day: 1, count: 2 }]))),
        (
            "story_page_with_variables_and_a_clue",
            Box::new(|l| {
                let mut state = collector(l);
                state.progress.story.fragment = Some("l1_cajon".into());
                screen(&state, Screen::Story, &[Event::LorePieceFound { piece: "tinta_violeta".into() }])
            }),
        ),
    ];
    for (name, render) in cases {
        insta::assert_snapshot!(name, both(render));
    }
    let refusals = both(|l| {
        [
            RuleError::PieceNotHeld { piece: "lacre_negro".into() },
            RuleError::TooFewPieces,
            RuleError::AlreadyRevealed { recipe: "iniciales".into() },
            RuleError::CodeAlreadyUsed,
            RuleError::CodeExpired,
            RuleError::TooManyCodeTries { max: 5 },
            RuleError::Malformed(Malformed::Usage(Usage::Code)),
            RuleError::Malformed(Malformed::UnknownLorePiece("x".into())),
        ]
        .iter()
        .map(|why| refusal_text(l, why))
        .collect::<Vec<_>>()
        .join("\n")
    });
    insta::assert_snapshot!("lore_refusals", refusals);
}

fn refusal_text(language: Language, why: &RuleError) -> String {
    refusal(language, why).text
}

fn library(confirm_abandon: bool) -> Screen {
    Screen::Experience { experience: crate::telegram::callback::tag("noche_biblioteca"), confirm_abandon }
}

fn cartography() -> Screen {
    Screen::Experience { experience: crate::telegram::callback::tag("cartografia_celeste"), confirm_abandon: false }
}

// Alerts and daily insights.
#[test]
fn alert_messages_rules_and_insights() {
    use crate::alerts::rules::Notice;
    use crate::alerts::{AlertSettings, Rule, RuleStatus};
    use dianabot_persistence::insights::{EconomyWarning, Insights, Spender, Stop, VipAtRisk, VipRisk};
    // 2026-11-30 12:00 UTC.
    let noon = 1_796_040_000;
    let notices = [
        Notice::Fired { rule: "p95:story_decide".into(), value: 2_512.25, threshold: 2_000.0 },
        Notice::Resolved { rule: "failed_payments".into(), since: noon },
        Notice::Suppressed { count: 3 },
    ];
    insta::assert_snapshot!(
        "alert_notices",
        both(|l| notices.iter().map(|notice| alerts::notice(l, notice)).collect::<Vec<_>>().join("\n"))
    );
    let firing = [RuleStatus { rule: Rule::FlusherLag, threshold: 30.0, value: Some(45.0), firing_since: Some(noon) }];
    insta::assert_snapshot!("alert_rules", both(|l| shown(&alerts::list(l, &AlertSettings::default(), &firing))));
    insta::assert_snapshot!("alert_rules_quiet", both(|l| shown(&alerts::list(l, &AlertSettings::default(), &[]))));
    let day = noon / 86_400;
    let found = Insights {
        day,
        stops: vec![Stop { fragment: "l1_umbral".into(), reached: 12, dropped: 7 }],
        high_value: vec![Spender { user: 42, stars: 350 }],
        vips_at_risk: vec![
            VipAtRisk { user: 7, risk: VipRisk::Expiring { until: noon + 2 * 86_400 } },
            VipAtRisk { user: 8, risk: VipRisk::Inactive { last_seen: noon - 9 * 86_400 } },
        ],
        warnings: vec![
            EconomyWarning::Inflation { basis_points: 1_030 },
            EconomyWarning::Concentration { holders: 10, basis_points: 6_250 },
        ],
    };
    insta::assert_snapshot!("insights", both(|l| shown(&alerts::insights(l, &found))));
    insta::assert_snapshot!(
        "insights_empty",
        both(|l| shown(&alerts::insights(l, &Insights { day, ..Insights::default() })))
    );
    insta::assert_snapshot!("insights_summary", both(|l| alerts::summary(l, &found)));
}

/// `player` with `events` applied (trivia, referrals).
fn playing(language: Language, events: &[Event]) -> UserState {
    let mut state = player(language);
    events.iter().for_each(|event| state.apply(event));
    state
}

fn trivia_started() -> Event {
    Event::TriviaStarted { set: "mansion".into(), run: 1, day: NOW / 86_400, sets_today: 2, deadline: NOW + 30 }
}

fn trivia_answered(question: u8, correct: bool, late: bool, last: bool) -> Event {
    Event::TriviaAnswered {
        set: "mansion".into(),
        question,
        correct,
        late,
        points: if correct { 10 } else { 0 },
        streak: u32::from(correct),
        next_deadline: (!last).then_some(NOW + 30),
    }
}

#[test]
fn community_screens() {
    let content = content();
    let codec = codec();
    let ui = Ui { codec: &codec, content: &content, now: NOW };
    // 2027-02-14T21:00:00Z: the demo's double night runs.
    let during = Ui { now: 1_802_638_800, ..ui };
    let started = [trivia_started()];
    let right = [trivia_answered(0, true, false, false)];
    let late = [trivia_answered(0, false, true, false)];
    let finished = [
        trivia_answered(2, true, false, true),
        Event::TriviaFinished { set: "mansion".into(), score: 40, correct: 2, questions: 3 },
        ledger_entry(8, Reason::TriviaReward),
    ];
    let at = |state: &UserState, screen, events: &[Event], ui| {
        shown(&reply(Some(screen), state, Outcome::Applied(events), ui).expect("a reply"))
    };
    let quota = RuleError::TriviaQuotaReached { max: 2, resets_at: NOW - NOW % 86_400 + 86_400 };
    let claimed = [
        Event::Registered { profile: player(Language::Es).profile.expect("a profile") },
        Event::ReferralClaimed { inviter: UserId(7) },
    ];
    let reached = [Event::ReferralReached { inviter: UserId(7) }, ledger_entry(20, Reason::ReferralReward)];
    let settled = [
        Event::ReferralSettled { invitee: UserId(8), paid: true, month: 0, paid_this_month: 1 },
        ledger_entry(50, Reason::ReferralReward),
    ];
    let capped = [Event::ReferralSettled { invitee: UserId(9), paid: false, month: 0, paid_this_month: 10 }];
    let link = || Some("https://t.me/DianaBot?start=r_7-0011223344556677".to_owned());
    let cases: Vec<(&str, Render)> = vec![
        ("trivia_sets", Box::new(|l| at(&player(l), Screen::Trivia, &[], ui))),
        ("trivia_question", Box::new(|l| at(&playing(l, &started), Screen::TriviaPlay, &started, ui))),
        (
            "trivia_right_then_next",
            Box::new(|l| at(&playing(l, &[trivia_started(), right[0].clone()]), Screen::TriviaPlay, &right, ui)),
        ),
        (
            "trivia_late",
            Box::new(|l| at(&playing(l, &[trivia_started(), late[0].clone()]), Screen::TriviaPlay, &late, ui)),
        ),
        ("trivia_finished", Box::new(|l| at(&playing(l, &finished), Screen::TriviaPlay, &finished, ui))),
        (
            "trivia_quota_refused",
            Box::new(|l| {
                let done = Event::TriviaFinished { set: "mansion".into(), score: 0, correct: 0, questions: 3 };
                let state = playing(l, &[trivia_started(), done]);
                shown(&reply(Some(Screen::TriviaPlay), &state, Outcome::Refused(&quota), ui).expect("a reply"))
            }),
        ),
        (
            "trivia_sets_in_a_marathon",
            Box::new(|l| at(&playing(l, &started), Screen::Trivia, &[], Ui { now: 1_803_902_400, ..ui })),
        ),
        ("events_coming", Box::new(|l| at(&player(l), Screen::Events, &[], ui))),
        ("events_running", Box::new(|l| at(&player(l), Screen::Events, &[], during))),
        ("menu_with_event_banner", Box::new(|l| at(&player(l), Screen::Menu, &[], during))),
        ("invite", Box::new(|l| shown(&referral::invite(&player(l), ui, link())))),
        ("invite_unavailable", Box::new(|l| shown(&referral::invite(&player(l), ui, None)))),
        ("referral_joined", Box::new(|l| at(&player(l), Screen::Welcome, &claimed, ui))),
        ("referral_reached", Box::new(|l| at(&rich_player(l), Screen::Story, &reached, ui))),
        ("referral_paid", Box::new(|l| shown(&referral::settled(&player(l), &settled, ui).expect("a notice")))),
        ("referral_capped", Box::new(|l| shown(&referral::settled(&player(l), &capped, ui).expect("a notice")))),
        ("why_self_referral", Box::new(|l| refusal_text(l, &RuleError::SelfReferral))),
        ("why_referral_not_new", Box::new(|l| refusal_text(l, &RuleError::ReferralNotNew))),
        ("why_trivia_already_answered", Box::new(|l| refusal_text(l, &RuleError::TriviaAlreadyAnswered))),
        ("why_trivia_question_gone", Box::new(|l| refusal_text(l, &RuleError::TriviaQuestionGone))),
    ];
    for (name, render) in cases {
        insta::assert_snapshot!(name, both(render));
    }
}

// Leaderboards.
#[test]
fn leaderboard_screens() {
    use dianabot_persistence::Standing;
    let content = content();
    let codec = codec();
    let ui = Ui { codec: &codec, content: &content, now: NOW };
    let board = |id: &str| content.board(id).expect("a demo board");
    let standing = |user, rank, score| Standing { user, rank, score };
    let top = vec![
        (standing(1, 1, 320), Some("Dani <b>".to_owned())),
        (standing(2, 2, 150), Some("Ana".to_owned())),
        (standing(3, 3, 150), None),
    ];
    let weekly = |mine| leaderboard::BoardView {
        board: board("besitos_week"),
        top: top.clone(),
        mine,
        players: 1_204,
        days_left: 1,
    };
    let cases: Vec<(&str, Render)> = vec![
        (
            "leaderboard_outside_the_top",
            Box::new(|l| shown(&leaderboard::leaderboard(l, ui, UserId(7), &weekly(Some(standing(7, 415, 12)))))),
        ),
        ("leaderboard_not_ranked", Box::new(|l| shown(&leaderboard::leaderboard(l, ui, UserId(7), &weekly(None))))),
        (
            "leaderboard_all_time_empty",
            Box::new(|l| {
                let view = leaderboard::BoardView {
                    board: board("auctions_all"),
                    top: vec![],
                    mine: None,
                    players: 0,
                    days_left: 0,
                };
                shown(&leaderboard::leaderboard(l, ui, UserId(7), &view))
            }),
        ),
        ("leaderboard_prize_won", Box::new(|l| shown(&leaderboard::prize_won(l, board("story_week"), 2, 100)))),
        ("leaderboard_none", Box::new(|l| shown(&leaderboard::no_leaderboards(l)))),
    ];
    for (name, render) in cases {
        insta::assert_snapshot!(name, both(render));
    }
}

// hardening
/// A screen weighs time by the game clock it is handed (`Ui::now`), as the
/// decision it shows did, never by the wall clock.
#[test]
fn screens_count_time_by_the_game_clock_they_are_handed() {
    let content = content();
    let codec = codec();
    let vip = member(Language::En, trial_until(NOW + 7 * 86_400));
    let at = |now: i64, screen: Screen, state: &UserState| {
        shown(&render(screen, state, &[], Ui { codec: &codec, content: &content, now }))
    };
    assert!(at(NOW, Screen::Vip, &vip).contains("(7 days left)"), "{}", at(NOW, Screen::Vip, &vip));
    let later = at(NOW + 30 * 3_600, Screen::Vip, &vip);
    assert!(later.contains("(6 days left)"), "{later}");
}

// flags
/// A reader: six decisions and four fragments read make a narrative lover.
fn styled_player(language: Language) -> UserState {
    let mut state = player(language);
    state.progress.counters.insert("decisions".to_owned(), 6);
    state.progress.counters.insert("fragments_read".to_owned(), 4);
    state
}

#[test]
fn style_and_flag_screens() {
    use crate::flags::FlagChange;
    use dianabot_game::flags::FlagOverride;
    let content = content();
    let changed = content.with_flag_rollout("style", Some(3_050)).expect("style is a demo flag");
    let overrides = [
        FlagOverride { flag: "style".into(), rollout: 3_050, set_by: UserId(900), set_at: NOW },
        FlagOverride { flag: "retired".into(), rollout: 25, set_by: UserId(900), set_at: NOW },
    ];
    let set = FlagChange { flag: "style".into(), before: 10_000, after: 3_050, content: 10_000, reset: false };
    let reset = FlagChange { reset: true, after: 10_000, before: 3_050, ..set.clone() };
    let hidden = content.with_flag_rollout("style", Some(0)).expect("style is a demo flag");
    let codec = codec();
    let cases: Vec<(&str, Render)> = vec![
        ("profile_with_style", Box::new(|l| screen(&styled_player(l), Screen::Profile, &[]))),
        ("style", Box::new(|l| screen(&styled_player(l), Screen::Style, &[]))),
        ("style_not_yet", Box::new(|l| screen(&player(l), Screen::Style, &[]))),
        (
            "style_flag_off",
            Box::new(|l| {
                let ui = Ui { codec: &codec, content: &hidden, now: NOW };
                let profile = shown(&render(Screen::Profile, &styled_player(l), &[], ui));
                format!("{profile}\n~~\n{}", shown(&render(Screen::Style, &styled_player(l), &[], ui)))
            }),
        ),
        ("flags_list", Box::new(|l| shown(&flags::flags_list(l, &changed, &overrides)))),
        (
            "flag_set",
            Box::new(|l| {
                format!("{}\n{}", shown(&flags::flag_changed(l, &set)), shown(&flags::flag_changed(l, &reset)))
            }),
        ),
        ("player_record", Box::new(|l| shown(&flags::player(l, &styled_player(Language::Es), &content, NOW)))),
        ("player_unknown", Box::new(|l| shown(&flags::player(l, &UserState::new(UserId(8)), &content, NOW)))),
    ];
    for (name, render) in cases {
        insta::assert_snapshot!(name, both(render));
    }
}

// offers
#[test]
fn offer_screens() {
    use dianabot_game::offers::{ActiveOffer, Offers};
    let content = content();
    let codec = codec();
    let ui = Ui { codec: &codec, content: &content, now: NOW };
    let active = |offer: &str, experiment: Option<(&str, &str)>| ActiveOffer {
        offer: offer.to_owned(),
        archetype: None,
        experiment: experiment.map(|(flag, variant)| (flag.to_owned(), variant.to_owned())),
        shown_at: NOW - 600,
        expires_at: NOW + 3_000,
        opened: false,
        purchase: None,
    };
    let offered = |l, shown: Vec<ActiveOffer>| {
        let mut state = player(l);
        state.progress.offers = Some(Box::new(Offers { active: shown, ..Offers::default() }));
        state
    };
    let card = |l, running: ActiveOffer| shown(&offer::card(&player(l), ui, &running).expect("a card"));
    let cases: Vec<(&str, Render)> = vec![
        ("offer_card_item", Box::new(|l| card(l, active("puerta_coleccionista", None)))),
        (
            "offer_card_item_discount_variant",
            Box::new(|l| card(l, active("puerta_coleccionista", Some(("offer_price_test", "discount"))))),
        ),
        ("offer_card_trial", Box::new(|l| card(l, active("puerta_lectora", None)))),
        (
            "offers_list",
            Box::new(|l| {
                let state = offered(l, vec![active("puerta_coleccionista", None), active("puerta_invitacion", None)]);
                shown(&offer::list(&state, ui))
            }),
        ),
        ("offers_none", Box::new(|l| shown(&offer::list(&player(l), ui)))),
        (
            "offer_trial_taken",
            Box::new(|l| shown(&offer::taken(&player(l), content.offer("puerta_lectora").expect("demo offer")))),
        ),
        ("why_offer_expired", Box::new(|l| refusal_text(l, &RuleError::OfferExpired))),
        ("why_unknown_offer", Box::new(|l| refusal_text(l, &RuleError::UnknownOffer))),
        ("why_offer_taken", Box::new(|l| refusal_text(l, &RuleError::OfferTaken))),
    ];
    for (name, render) in cases {
        insta::assert_snapshot!(name, both(render));
    }
}

// offers-bundle
#[test]
fn offer_bundle_screens() {
    use dianabot_game::offers::ActiveOffer;
    let content = content();
    let codec = codec();
    let ui = Ui { codec: &codec, content: &content, now: NOW };
    let running = ActiveOffer {
        offer: "jardin_recuerdo".to_owned(),
        archetype: None,
        experiment: None,
        shown_at: NOW - 600,
        expires_at: NOW + 6_600,
        opened: false,
        purchase: None,
    };
    let bundle = content.offer("jardin_recuerdo").expect("the demo's bundle");
    let bought = |l, outcome: PurchaseOutcome| shown(&offer::bundle_bought(&player(l), ui, bundle, &outcome));
    let cases: Vec<(&str, Render)> = vec![
        ("offer_card_bundle", Box::new(|l| shown(&offer::card(&player(l), ui, &running).expect("a card")))),
        ("offer_bundle_bought", Box::new(|l| bought(l, PurchaseOutcome::Completed))),
        (
            "offer_bundle_compensated",
            Box::new(|l| bought(l, PurchaseOutcome::Compensated(RuleError::Malformed(Malformed::NotDelivered)))),
        ),
        (
            "why_bundle_item_owned",
            Box::new(|l| refusal_text(l, &RuleError::BundleItemOwned { item: "rosa_negra".to_owned() })),
        ),
    ];
    for (name, render) in cases {
        insta::assert_snapshot!(name, both(render));
    }
}
