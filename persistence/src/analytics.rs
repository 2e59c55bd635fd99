//! Collection: which game events become rows of `analytics_events`.
//!
//! [`rows`] is the one mapping from a decision's events to analytics rows.
//! It runs inside [`crate::UserWrite::from_events`], so the rows travel in
//! the same write, and the same batch commit, as the effect that caused
//! them: no event without its effect, no effect without its event (a refused
//! decision has no events, hence no rows).

use dianabot_game::journeys::RunEnd;
use dianabot_game::membership::VipFact;
use dianabot_game::offers::ActiveOffer;
use dianabot_game::{Event, LedgerEntry, Reacted, Reason, UserState};

/// A domain event kept for analytics: what happened, to what, how much, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyticsEvent {
    /// Stable name, one of [`kinds`], e.g. `vip_denied`.
    pub kind: &'static str,
    /// What it happened to, e.g. the fragment id; empty when nothing.
    pub subject: String,
    /// Besitos or Stars where the kind has an amount (see [`kinds`]), else 0.
    pub amount: i64,
    /// Unix seconds.
    pub at: i64,
}

/// Every kind written, with its subject and amount. Reports match on these
/// names; other modules (experiences, lore) add theirs beside.
pub mod kinds {
    /// Subject: the language code.
    pub const REGISTERED: &str = "registered";
    /// Subject: the fragment id.
    pub const FRAGMENT_ENTERED: &str = "fragment_entered";
    /// Subject: `<from fragment>/<to fragment>`.
    pub const DECISION: &str = "decision";
    /// Subject: `<chat id>:<message id>`; amount: besitos paid.
    pub const REACTION_POST: &str = "reaction_post";
    /// Subject: the fragment id; amount: besitos paid.
    pub const REACTION_FRAGMENT: &str = "reaction_fragment";
    /// Subject: the streak; amount: besitos.
    pub const DAILY_GIFT: &str = "daily_gift";
    /// Subject: the recipient's id; amount: besitos.
    pub const GIFT_SENT: &str = "gift_sent";
    /// Subject: the transfer id; amount: besitos.
    pub const GIFT_RECEIVED: &str = "gift_received";
    /// Subject: the auction id; amount: besitos held.
    pub const AUCTION_BID: &str = "auction_bid";
    /// Subject: the auction id; amount: besitos spent.
    pub const AUCTION_WON: &str = "auction_won";
    /// Subject: the item; amount: besitos.
    pub const PURCHASE_COMPLETED: &str = "purchase_completed";
    /// A besitos purchase compensated by its saga (`AbortPurchase`: the
    /// besitos always come back), apart from the Stars refunds below.
    /// Subject: the item; amount: besitos returned.
    pub const PURCHASE_FAILED: &str = "purchase_failed";
    /// Subject: the item; amount: Stars.
    pub const STARS_PAID: &str = "stars_paid";
    /// Subject: the item; amount: Stars given back.
    pub const STARS_REFUNDED: &str = "stars_refunded";
    /// Subject: the plan; amount: Stars.
    pub const VIP_ACTIVATED: &str = "vip_activated";
    /// Subject: the plan; amount: Stars.
    pub const VIP_RENEWED: &str = "vip_renewed";
    /// Subject: days given.
    pub const VIP_GRANTED: &str = "vip_granted";
    pub const VIP_LAPSED: &str = "vip_lapsed";
    pub const VIP_RENEWAL_CANCELED: &str = "vip_renewal_canceled";
    /// A free player refused a VIP fragment (a conversion opportunity).
    /// Subject: the fragment id.
    pub const VIP_DENIED: &str = "vip_denied";
    /// Subject: the mission id.
    pub const MISSION_COMPLETED: &str = "mission_completed";
    /// Subject: the achievement id.
    pub const ACHIEVEMENT_UNLOCKED: &str = "achievement_unlocked";
    /// Experiences. Subject: the experience id; for a step
    /// `<experience>/<component>`.
    pub const EXPERIENCE_START: &str = "experience_start";
    pub const EXPERIENCE_STEP: &str = "experience_step";
    pub const EXPERIENCE_COMPLETE: &str = "experience_complete";
    pub const EXPERIENCE_ABANDON: &str = "experience_abandon";
    pub const EXPERIENCE_EXPIRE: &str = "experience_expire";
    /// Lore. Subject: the piece, the recipe, the code.
    pub const LORE_FOUND: &str = "lore_found";
    pub const SECRET_REVEALED: &str = "secret_revealed";
    pub const CODE_REDEEMED: &str = "code_redeemed";
    /// Trivia (games). Subject: `<set>/<question number>`; amount: the
    /// points earned (0 when wrong or late).
    pub const TRIVIA_ANSWER: &str = "trivia_answer";
    /// Subject: the set; amount: the score.
    pub const TRIVIA_FINISHED: &str = "trivia_finished";
    /// Referrals (games). Subject: the inviter (claimed, on the invited
    /// player's row) or the invited player (rewarded, on the inviter's row,
    /// amount the besitos paid: 0 past the monthly cap).
    pub const REFERRAL_CLAIMED: &str = "referral_claimed";
    pub const REFERRAL_REWARDED: &str = "referral_rewarded";
    // Leaderboards.
    /// Subject: `<board>/<period start>`; amount: besitos.
    pub const LEADERBOARD_PRIZE: &str = "leaderboard_prize";
    // reports (issue 18): the offers' conversion. Subject:
    // `{offer}|{archetype}|{experiment}|{variant}`
    // ([`crate::reports::offers::OfferSubject`]); amount: for a purchase the
    // price paid, in the offer's own currency (0 for a trial), else 0. The
    // archetype is the one the player had when shown (`none` without a
    // style).
    /// An offer put in front of the player (by whatever triggered it).
    pub const OFFER_SHOWN: &str = "offer_shown";
    pub const OFFER_OPENED: &str = "offer_opened";
    pub const OFFER_BOUGHT: &str = "offer_bought";
    /// The offer's time ran out unbought.
    pub const OFFER_EXPIRED: &str = "offer_expired";
    // hardening
    /// A second Telegram Stars charge for a purchase already granted:
    /// nothing more is granted and the Stars are given back (`star_charges`
    /// says whether Telegram took the refund). Neither revenue nor a refund
    /// of it. Subject: the item; amount: the Stars of the second charge.
    pub const STARS_PAID_TWICE: &str = "stars_paid_twice";

    /// Kinds that happen to a player without them doing anything: not
    /// activity. An offer shown is no act of theirs either (what triggered
    /// it, a door refused or a decision, has its own row), nor one expiring.
    pub const PASSIVE: [&str; 8] = [
        GIFT_RECEIVED,
        VIP_LAPSED,
        EXPERIENCE_EXPIRE,
        AUCTION_WON,
        REFERRAL_REWARDED,
        LEADERBOARD_PRIZE,
        // reports (issue 18)
        OFFER_SHOWN,
        OFFER_EXPIRED,
    ];
}

// offers
/// The analytics subject of an offer as shown:
/// `{offer}|{archetype}|{experiment}|{variant}`.
pub fn offer_subject(shown: &ActiveOffer) -> String {
    let archetype = shown.archetype.map_or("none", |archetype| archetype.key());
    let none = crate::reports::offers::NONE;
    let (experiment, variant) = shown.experiment.as_ref().map_or((none, none), |(flag, v)| (flag.as_str(), v.as_str()));
    crate::reports::offers::OfferSubject { offer: &shown.offer, archetype, experiment, variant }.to_string()
}

/// The analytics rows of `events`, just applied to `state` (the state
/// after them) at `now`.
pub fn rows(state: &UserState, events: &[Event], now: i64) -> Vec<AnalyticsEvent> {
    let row = |kind, subject: String, amount| AnalyticsEvent { kind, subject, amount, at: now };
    let path = &state.progress.story.path;
    let entered = events.iter().filter(|event| matches!(event, Event::FragmentEntered { .. })).count();
    let mut entered_before = 0;
    let mut deciding = false;
    let mut rows = Vec::new();
    for event in events {
        let new = match event {
            Event::Registered { profile } => Some(row(kinds::REGISTERED, profile.language.code().to_owned(), 0)),
            Event::CounterIncremented { counter, .. } if counter == "decisions" => {
                deciding = true;
                None
            }
            Event::FragmentEntered { fragment, .. } => {
                // The path ends with this decision's fragments: the one
                // before this one is where the decision was taken.
                let position = (path.len() + entered_before).checked_sub(entered);
                entered_before += 1;
                let from = position.and_then(|at| at.checked_sub(1)).and_then(|at| path.get(at));
                let decision = match from {
                    Some(from) if std::mem::take(&mut deciding) => {
                        Some(row(kinds::DECISION, format!("{from}/{fragment}"), 0))
                    }
                    _ => None,
                };
                rows.extend(decision);
                Some(row(kinds::FRAGMENT_ENTERED, fragment.clone(), 0))
            }
            Event::ReactionRewarded { on: Reacted::Post(post), besitos, .. } => {
                Some(row(kinds::REACTION_POST, format!("{}:{}", post.chat_id, post.message_id), *besitos))
            }
            Event::ReactionRewarded { on: Reacted::Fragment(fragment), besitos, .. } => {
                Some(row(kinds::REACTION_FRAGMENT, fragment.clone(), *besitos))
            }
            Event::DailyGiftClaimed { streak, .. } => {
                Some(row(kinds::DAILY_GIFT, streak.to_string(), credited(events, Reason::DailyGift)))
            }
            Event::TransferOpened { to, amount, .. } => Some(row(kinds::GIFT_SENT, to.0.to_string(), *amount)),
            Event::TransferReceived { transfer } => {
                Some(row(kinds::GIFT_RECEIVED, transfer.to_string(), credited(events, Reason::GiftReceived)))
            }
            Event::BidHeld { auction, amount, .. } => Some(row(kinds::AUCTION_BID, auction.to_string(), *amount)),
            Event::HoldConsumed { auction, amount, .. } => Some(row(kinds::AUCTION_WON, auction.to_string(), *amount)),
            Event::PurchaseClosed { item, besitos, completed: true, .. } => {
                Some(row(kinds::PURCHASE_COMPLETED, item.clone(), *besitos))
            }
            Event::PurchaseClosed { item, besitos, completed: false, .. } => {
                Some(row(kinds::PURCHASE_FAILED, item.clone(), *besitos))
            }
            Event::StarsPaid { item, stars, .. } => Some(row(kinds::STARS_PAID, item.clone(), i64::from(*stars))),
            Event::StarsRefunded { charge } => state
                .progress
                .stars_charges
                .get(charge)
                .map(|paid| row(kinds::STARS_REFUNDED, paid.item.clone(), i64::from(paid.stars))),
            Event::VipChanged { fact, .. } => match fact {
                VipFact::Paid { plan, renewal: false, stars } => {
                    Some(row(kinds::VIP_ACTIVATED, plan.key().to_owned(), i64::from(*stars)))
                }
                VipFact::Paid { plan, renewal: true, stars } => {
                    Some(row(kinds::VIP_RENEWED, plan.key().to_owned(), i64::from(*stars)))
                }
                VipFact::Granted { days } => Some(row(kinds::VIP_GRANTED, days.to_string(), 0)),
                VipFact::Lapsed => Some(row(kinds::VIP_LAPSED, String::new(), 0)),
                VipFact::RenewalSet { canceled: true } => Some(row(kinds::VIP_RENEWAL_CANCELED, String::new(), 0)),
                _ => None,
            },
            Event::VipDenied { fragment } => Some(row(kinds::VIP_DENIED, fragment.clone(), 0)),
            Event::MissionProgressed { mission, done: true, .. } => {
                Some(row(kinds::MISSION_COMPLETED, mission.clone(), 0))
            }
            Event::AchievementUnlocked { achievement } => {
                Some(row(kinds::ACHIEVEMENT_UNLOCKED, achievement.clone(), 0))
            }
            Event::ExperienceStarted { experience, .. } => Some(row(kinds::EXPERIENCE_START, experience.clone(), 0)),
            Event::ComponentDone { experience, component } => {
                Some(row(kinds::EXPERIENCE_STEP, format!("{experience}/{component}"), 0))
            }
            Event::ExperienceCompleted { experience } => Some(row(kinds::EXPERIENCE_COMPLETE, experience.clone(), 0)),
            Event::ExperienceEnded { experience, end: RunEnd::Abandoned } => {
                Some(row(kinds::EXPERIENCE_ABANDON, experience.clone(), 0))
            }
            Event::ExperienceEnded { experience, end: RunEnd::Expired } => {
                Some(row(kinds::EXPERIENCE_EXPIRE, experience.clone(), 0))
            }
            Event::LorePieceFound { piece } => Some(row(kinds::LORE_FOUND, piece.clone(), 0)),
            Event::SecretRevealed { recipe } => Some(row(kinds::SECRET_REVEALED, recipe.clone(), 0)),
            Event::CodeRedeemed { code } => Some(row(kinds::CODE_REDEEMED, code.clone(), 0)),
            // Trivia and referrals (games).
            Event::TriviaAnswered { set, question, points, .. } => {
                Some(row(kinds::TRIVIA_ANSWER, format!("{set}/{}", u32::from(*question) + 1), i64::from(*points)))
            }
            Event::TriviaFinished { set, score, .. } => {
                Some(row(kinds::TRIVIA_FINISHED, set.clone(), i64::from(*score)))
            }
            Event::ReferralClaimed { inviter } => Some(row(kinds::REFERRAL_CLAIMED, inviter.0.to_string(), 0)),
            Event::ReferralSettled { invitee, .. } => {
                Some(row(kinds::REFERRAL_REWARDED, invitee.0.to_string(), credited(events, Reason::ReferralReward)))
            }
            Event::PrizeAwarded(prize) => Some(row(
                kinds::LEADERBOARD_PRIZE,
                format!("{}/{}", prize.board, prize.period),
                credited(events, Reason::LeaderboardPrize),
            )),
            // hardening
            Event::StarsPaidTwice { purchase, stars, .. } => {
                let paid = state.progress.stars_charges.values().find(|paid| paid.purchase == *purchase);
                let item = paid.map_or_else(String::new, |paid| paid.item.clone());
                Some(row(kinds::STARS_PAID_TWICE, item, i64::from(*stars)))
            }
            // offers
            Event::OfferShown(shown) => Some(row(kinds::OFFER_SHOWN, offer_subject(shown), 0)),
            Event::OfferOpened { offer } => {
                let shown = state.progress.offers.as_deref().and_then(|offers| offers.active(offer));
                shown.map(|shown| row(kinds::OFFER_OPENED, offer_subject(shown), 0))
            }
            Event::OfferBought { shown, amount, .. } => {
                Some(row(kinds::OFFER_BOUGHT, offer_subject(shown), i64::try_from(*amount).unwrap_or(i64::MAX)))
            }
            Event::OfferExpired(shown) => Some(row(kinds::OFFER_EXPIRED, offer_subject(shown), 0)),
            _ => None,
        };
        rows.extend(new);
    }
    rows
}

/// Besitos credited for `reason` among `events` (the ledger entry beside
/// the event it pays for).
fn credited(events: &[Event], reason: Reason) -> i64 {
    events
        .iter()
        .filter_map(|event| match event {
            Event::Ledger(LedgerEntry { amount, reason: paid, .. }) if *paid == reason => Some(*amount),
            _ => None,
        })
        .sum()
}
