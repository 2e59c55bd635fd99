//! Decoders of snapshot formats still stored but no longer written.

use std::collections::{BTreeMap, BTreeSet};

use dianabot_game::backpack::Backpack;
use dianabot_game::community::Community;
use dianabot_game::content::PlanKind;
use dianabot_game::journeys::Journeys;
use dianabot_game::membership::{Phase, Vip};
use dianabot_game::offers::Offers;
use dianabot_game::{
    AppliedUpdates, DailyGiftStreak, MissionProgress, OpenPurchase, PendingTransfer, Progress, Reacted, Reason,
    StarsCharge, StoryProgress,
};
use serde::Deserialize;

use super::SnapshotBody;

/// The snapshot body of an older format, brought up to today's `Progress`
/// through each format after it.
pub(crate) fn decode<P>(bytes: &[u8]) -> Result<SnapshotBody<Progress, AppliedUpdates>, String>
where
    P: for<'de> Deserialize<'de> + Into<Progress>,
{
    let (body, _): (SnapshotBody<P, AppliedUpdates>, usize) =
        bincode::serde::decode_from_slice(bytes, bincode::config::standard()).map_err(|err| err.to_string())?;
    Ok(SnapshotBody { next_ledger_seq: body.next_ledger_seq, progress: body.progress.into(), applied: body.applied })
}

/// `Progress` as format 2 stored it: VIP was a bare `vip_until`. Field
/// order is the encoding (bincode is positional): never reorder.
#[derive(Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
pub(crate) struct ProgressV2 {
    story: StoryProgress,
    missions: BTreeMap<String, MissionProgress>,
    achievements: BTreeSet<String>,
    experiences: BTreeMap<String, u32>,
    vip_until: Option<i64>,
    counters: BTreeMap<String, u64>,
    rewarded_reactions: BTreeSet<(Reacted, String)>,
    experience_points: u64,
    unlocked_experiences: BTreeSet<String>,
    daily_gift: DailyGiftStreakV6,
    transfers_out: BTreeMap<i64, PendingTransfer>,
    transfers_in: BTreeSet<i64>,
    gifts_sent_today: (i64, u32),
    reactions_paid_today: (i64, u32),
    earned_today: (i64, BTreeMap<Reason, i64>),
    unlocked_shop_items: BTreeSet<String>,
    purchases_open: BTreeMap<i64, OpenPurchase>,
    purchase_attempts: Vec<i64>,
    bought: BTreeMap<String, u32>,
    stars_charges: BTreeMap<String, StarsCharge>,
    holds: BTreeMap<(i64, i64), i64>,
    auctions_won: BTreeSet<i64>,
}

impl From<ProgressV2> for ProgressV3 {
    /// A `vip_until` becomes a trial running until then, with no grace
    /// (grants were all it could hold). Its timers were never stored: the
    /// membership's next decision sets them; until then it simply stops
    /// being VIP at `vip_until`.
    fn from(old: ProgressV2) -> ProgressV3 {
        let vip = old.vip_until.map(|until| {
            Box::new(Vip {
                plan: Some(PlanKind::Trial),
                phase: Phase::Active,
                until,
                grace_until: until,
                ..Vip::default()
            })
        });
        ProgressV3 {
            story: old.story,
            missions: old.missions,
            achievements: old.achievements,
            _experience_counts: old.experiences,
            vip,
            counters: old.counters,
            rewarded_reactions: old.rewarded_reactions,
            experience_points: old.experience_points,
            unlocked_experiences: old.unlocked_experiences,
            daily_gift: old.daily_gift,
            transfers_out: old.transfers_out,
            transfers_in: old.transfers_in,
            gifts_sent_today: old.gifts_sent_today,
            reactions_paid_today: old.reactions_paid_today,
            earned_today: old.earned_today,
            unlocked_shop_items: old.unlocked_shop_items,
            purchases_open: old.purchases_open,
            purchase_attempts: old.purchase_attempts,
            bought: old.bought,
            stars_charges: old.stars_charges,
            holds: old.holds,
            auctions_won: old.auctions_won,
        }
    }
}

/// `Progress` as format 3 stored it: experiences were a count of components
/// per experience that nothing ever advanced, and there was no backpack.
#[derive(Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
pub(crate) struct ProgressV3 {
    story: StoryProgress,
    missions: BTreeMap<String, MissionProgress>,
    achievements: BTreeSet<String>,
    /// Never advanced by anything; read past, not carried over.
    _experience_counts: BTreeMap<String, u32>,
    vip: Option<Box<Vip>>,
    counters: BTreeMap<String, u64>,
    rewarded_reactions: BTreeSet<(Reacted, String)>,
    experience_points: u64,
    unlocked_experiences: BTreeSet<String>,
    daily_gift: DailyGiftStreakV6,
    transfers_out: BTreeMap<i64, PendingTransfer>,
    transfers_in: BTreeSet<i64>,
    gifts_sent_today: (i64, u32),
    reactions_paid_today: (i64, u32),
    earned_today: (i64, BTreeMap<Reason, i64>),
    unlocked_shop_items: BTreeSet<String>,
    purchases_open: BTreeMap<i64, OpenPurchase>,
    purchase_attempts: Vec<i64>,
    bought: BTreeMap<String, u32>,
    stars_charges: BTreeMap<String, StarsCharge>,
    holds: BTreeMap<(i64, i64), i64>,
    auctions_won: BTreeSet<i64>,
}

/// `Progress` as format 4 stored it: no community games.
#[derive(Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
pub(crate) struct ProgressV4 {
    story: StoryProgress,
    missions: BTreeMap<String, MissionProgress>,
    achievements: BTreeSet<String>,
    experiences: Option<Box<Journeys>>,
    backpack: Option<Box<Backpack>>,
    vip: Option<Box<Vip>>,
    counters: BTreeMap<String, u64>,
    rewarded_reactions: BTreeSet<(Reacted, String)>,
    experience_points: u64,
    unlocked_experiences: BTreeSet<String>,
    daily_gift: DailyGiftStreakV6,
    transfers_out: BTreeMap<i64, PendingTransfer>,
    transfers_in: BTreeSet<i64>,
    gifts_sent_today: (i64, u32),
    reactions_paid_today: (i64, u32),
    earned_today: (i64, BTreeMap<Reason, i64>),
    unlocked_shop_items: BTreeSet<String>,
    purchases_open: BTreeMap<i64, OpenPurchase>,
    purchase_attempts: Vec<i64>,
    bought: BTreeMap<String, u32>,
    stars_charges: BTreeMap<String, StarsCharge>,
    holds: BTreeMap<(i64, i64), i64>,
    auctions_won: BTreeSet<i64>,
}

impl From<ProgressV2> for Progress {
    fn from(old: ProgressV2) -> Progress {
        ProgressV4::from(ProgressV3::from(old)).into()
    }
}

impl From<ProgressV3> for Progress {
    fn from(old: ProgressV3) -> Progress {
        ProgressV4::from(old).into()
    }
}

impl From<ProgressV3> for ProgressV4 {
    /// No experience engine wrote format 3, so its experience counts are
    /// all zero and nothing is carried over.
    fn from(old: ProgressV3) -> ProgressV4 {
        ProgressV4 {
            experiences: None,
            backpack: None,
            story: old.story,
            missions: old.missions,
            achievements: old.achievements,
            vip: old.vip,
            counters: old.counters,
            rewarded_reactions: old.rewarded_reactions,
            experience_points: old.experience_points,
            unlocked_experiences: old.unlocked_experiences,
            daily_gift: old.daily_gift,
            transfers_out: old.transfers_out,
            transfers_in: old.transfers_in,
            gifts_sent_today: old.gifts_sent_today,
            reactions_paid_today: old.reactions_paid_today,
            earned_today: old.earned_today,
            unlocked_shop_items: old.unlocked_shop_items,
            purchases_open: old.purchases_open,
            purchase_attempts: old.purchase_attempts,
            bought: old.bought,
            stars_charges: old.stars_charges,
            holds: old.holds,
            auctions_won: old.auctions_won,
        }
    }
}

impl From<ProgressV4> for Progress {
    fn from(old: ProgressV4) -> Progress {
        ProgressV5::from(old).into()
    }
}

impl From<ProgressV4> for ProgressV5 {
    fn from(old: ProgressV4) -> ProgressV5 {
        ProgressV5 {
            story: old.story,
            missions: old.missions,
            achievements: old.achievements,
            experiences: old.experiences,
            backpack: old.backpack,
            vip: old.vip,
            counters: old.counters,
            rewarded_reactions: old.rewarded_reactions,
            experience_points: old.experience_points,
            unlocked_experiences: old.unlocked_experiences,
            daily_gift: old.daily_gift,
            transfers_out: old.transfers_out,
            transfers_in: old.transfers_in,
            gifts_sent_today: old.gifts_sent_today,
            reactions_paid_today: old.reactions_paid_today,
            earned_today: old.earned_today,
            unlocked_shop_items: old.unlocked_shop_items,
            purchases_open: old.purchases_open,
            purchase_attempts: old.purchase_attempts,
            bought: old.bought,
            stars_charges: old.stars_charges,
            holds: old.holds,
            auctions_won: old.auctions_won,
            community: None,
        }
    }
}

/// `Progress` as format 5 stored it: no offers.
#[derive(Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
pub(crate) struct ProgressV5 {
    story: StoryProgress,
    missions: BTreeMap<String, MissionProgress>,
    achievements: BTreeSet<String>,
    experiences: Option<Box<Journeys>>,
    backpack: Option<Box<Backpack>>,
    vip: Option<Box<Vip>>,
    counters: BTreeMap<String, u64>,
    rewarded_reactions: BTreeSet<(Reacted, String)>,
    experience_points: u64,
    unlocked_experiences: BTreeSet<String>,
    daily_gift: DailyGiftStreakV6,
    transfers_out: BTreeMap<i64, PendingTransfer>,
    transfers_in: BTreeSet<i64>,
    gifts_sent_today: (i64, u32),
    reactions_paid_today: (i64, u32),
    earned_today: (i64, BTreeMap<Reason, i64>),
    unlocked_shop_items: BTreeSet<String>,
    purchases_open: BTreeMap<i64, OpenPurchase>,
    purchase_attempts: Vec<i64>,
    bought: BTreeMap<String, u32>,
    stars_charges: BTreeMap<String, StarsCharge>,
    holds: BTreeMap<(i64, i64), i64>,
    auctions_won: BTreeSet<i64>,
    community: Option<Box<Community>>,
}

impl From<ProgressV5> for Progress {
    fn from(old: ProgressV5) -> Progress {
        Progress {
            story: old.story,
            missions: old.missions,
            achievements: old.achievements,
            experiences: old.experiences,
            backpack: old.backpack,
            vip: old.vip,
            counters: old.counters,
            rewarded_reactions: old.rewarded_reactions,
            experience_points: old.experience_points,
            unlocked_experiences: old.unlocked_experiences,
            daily_gift: old.daily_gift.into(),
            transfers_out: old.transfers_out,
            transfers_in: old.transfers_in,
            gifts_sent_today: old.gifts_sent_today,
            reactions_paid_today: old.reactions_paid_today,
            earned_today: old.earned_today,
            unlocked_shop_items: old.unlocked_shop_items,
            purchases_open: old.purchases_open,
            purchase_attempts: old.purchase_attempts,
            bought: old.bought,
            stars_charges: old.stars_charges,
            holds: old.holds,
            auctions_won: old.auctions_won,
            community: old.community,
            offers: None,
        }
    }
}

// offers2
impl From<ProgressV5> for ProgressV6 {
    fn from(old: ProgressV5) -> ProgressV6 {
        ProgressV6 {
            story: old.story,
            missions: old.missions,
            achievements: old.achievements,
            experiences: old.experiences,
            backpack: old.backpack,
            vip: old.vip,
            counters: old.counters,
            rewarded_reactions: old.rewarded_reactions,
            experience_points: old.experience_points,
            unlocked_experiences: old.unlocked_experiences,
            daily_gift: old.daily_gift,
            transfers_out: old.transfers_out,
            transfers_in: old.transfers_in,
            gifts_sent_today: old.gifts_sent_today,
            reactions_paid_today: old.reactions_paid_today,
            earned_today: old.earned_today,
            unlocked_shop_items: old.unlocked_shop_items,
            purchases_open: old.purchases_open,
            purchase_attempts: old.purchase_attempts,
            bought: old.bought,
            stars_charges: old.stars_charges,
            holds: old.holds,
            auctions_won: old.auctions_won,
            community: old.community,
            offers: None,
        }
    }
}

/// `DailyGiftStreak` as formats 2 to 6 stored it: no last active day (a
/// player read from one has 0, "never", until their next command).
#[derive(Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
pub(crate) struct DailyGiftStreakV6 {
    last_day: Option<i64>,
    streak: u32,
}

impl From<DailyGiftStreakV6> for DailyGiftStreak {
    fn from(old: DailyGiftStreakV6) -> DailyGiftStreak {
        DailyGiftStreak { last_day: old.last_day, streak: old.streak, last_active_day: 0 }
    }
}

/// `Progress` as format 6 stored it: its `DailyGiftStreak` had no last
/// active day.
#[derive(Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
pub(crate) struct ProgressV6 {
    story: StoryProgress,
    missions: BTreeMap<String, MissionProgress>,
    achievements: BTreeSet<String>,
    experiences: Option<Box<Journeys>>,
    backpack: Option<Box<Backpack>>,
    vip: Option<Box<Vip>>,
    counters: BTreeMap<String, u64>,
    rewarded_reactions: BTreeSet<(Reacted, String)>,
    experience_points: u64,
    unlocked_experiences: BTreeSet<String>,
    daily_gift: DailyGiftStreakV6,
    transfers_out: BTreeMap<i64, PendingTransfer>,
    transfers_in: BTreeSet<i64>,
    gifts_sent_today: (i64, u32),
    reactions_paid_today: (i64, u32),
    earned_today: (i64, BTreeMap<Reason, i64>),
    unlocked_shop_items: BTreeSet<String>,
    purchases_open: BTreeMap<i64, OpenPurchase>,
    purchase_attempts: Vec<i64>,
    bought: BTreeMap<String, u32>,
    stars_charges: BTreeMap<String, StarsCharge>,
    holds: BTreeMap<(i64, i64), i64>,
    auctions_won: BTreeSet<i64>,
    community: Option<Box<Community>>,
    offers: Option<Box<Offers>>,
}

impl From<ProgressV6> for Progress {
    fn from(old: ProgressV6) -> Progress {
        Progress {
            story: old.story,
            missions: old.missions,
            achievements: old.achievements,
            experiences: old.experiences,
            backpack: old.backpack,
            vip: old.vip,
            counters: old.counters,
            rewarded_reactions: old.rewarded_reactions,
            experience_points: old.experience_points,
            unlocked_experiences: old.unlocked_experiences,
            daily_gift: old.daily_gift.into(),
            transfers_out: old.transfers_out,
            transfers_in: old.transfers_in,
            gifts_sent_today: old.gifts_sent_today,
            reactions_paid_today: old.reactions_paid_today,
            earned_today: old.earned_today,
            unlocked_shop_items: old.unlocked_shop_items,
            purchases_open: old.purchases_open,
            purchase_attempts: old.purchase_attempts,
            bought: old.bought,
            stars_charges: old.stars_charges,
            holds: old.holds,
            auctions_won: old.auctions_won,
            community: old.community,
            offers: old.offers,
        }
    }
}

#[cfg(test)]
mod tests {
    use dianabot_game::UserId;

    use super::*;
    use crate::write::StoredUser;

    /// What format 2 wrote for `progress`, had it held `vip_until`.
    fn format_2(progress: Progress, vip_until: Option<i64>) -> Vec<u8> {
        encode(v2(progress, vip_until))
    }

    fn encode<P: serde::Serialize>(progress: P) -> Vec<u8> {
        let body = SnapshotBody { next_ledger_seq: 4, progress, applied: AppliedUpdates::default() };
        bincode::serde::encode_to_vec(&body, bincode::config::standard()).expect("encodes")
    }

    fn v2(progress: Progress, vip_until: Option<i64>) -> ProgressV2 {
        ProgressV2 {
            story: progress.story,
            missions: progress.missions,
            achievements: progress.achievements,
            experiences: BTreeMap::new(),
            vip_until,
            counters: progress.counters,
            rewarded_reactions: progress.rewarded_reactions,
            experience_points: progress.experience_points,
            unlocked_experiences: progress.unlocked_experiences,
            daily_gift: DailyGiftStreakV6 {
                last_day: progress.daily_gift.last_day,
                streak: progress.daily_gift.streak,
            },
            transfers_out: progress.transfers_out,
            transfers_in: progress.transfers_in,
            gifts_sent_today: progress.gifts_sent_today,
            reactions_paid_today: progress.reactions_paid_today,
            earned_today: progress.earned_today,
            unlocked_shop_items: progress.unlocked_shop_items,
            purchases_open: progress.purchases_open,
            purchase_attempts: progress.purchase_attempts,
            bought: progress.bought,
            stars_charges: progress.stars_charges,
            holds: progress.holds,
            auctions_won: progress.auctions_won,
        }
    }

    fn stored(format: i16, state: Vec<u8>) -> StoredUser {
        StoredUser {
            version: 3,
            format,
            state,
            besitos: 10,
            first_name: "Ana".into(),
            username: None,
            language: "es".into(),
            registered_at: 1,
            broadcasts_opt_out: false,
        }
    }

    #[test]
    fn a_format_2_snapshot_loads_with_its_vip_until_as_a_trial() {
        let mut progress = Progress::default();
        progress.story.fragment = Some("l1_umbral".into());
        progress.counters.insert("reactions".into(), 2);
        progress.experience_points = 7;
        let state = stored(2, format_2(progress.clone(), Some(1_900_000_000))).into_state(5, Vec::new()).unwrap();
        let vip = state.progress.vip.as_deref().expect("a membership");
        assert_eq!((vip.plan, vip.phase, vip.until), (Some(PlanKind::Trial), Phase::Active, 1_900_000_000));
        assert!(vip.is_vip(1_899_999_999) && !vip.is_vip(1_900_000_000));
        assert_eq!(state.progress.story, progress.story);
        assert_eq!(state.progress.counters, progress.counters);
        assert_eq!(state.progress.experience_points, 7);
        assert_eq!(state.id, UserId(5));

        let never = stored(2, format_2(progress, None)).into_state(5, Vec::new()).unwrap();
        assert_eq!(never.progress.vip, None, "no VIP, no box");
        assert!(stored(1, Vec::new()).into_state(5, Vec::new()).is_err(), "format 1 was never deployed");
    }

    #[test]
    fn a_format_3_snapshot_loads_with_its_membership_and_no_experiences() {
        let mut progress = Progress::default();
        progress.story.fragment = Some("l2_carta".into());
        progress.achievements.insert("primer_paso".into());
        let mut old = ProgressV3::from(v2(progress.clone(), Some(1_900_000_000)));
        old._experience_counts.insert("noche_biblioteca".into(), 2);
        let state = stored(3, encode(old)).into_state(5, Vec::new()).unwrap();
        assert_eq!(state.progress.vip.as_deref().map(|vip| vip.until), Some(1_900_000_000));
        assert_eq!((state.progress.story, state.progress.achievements), (progress.story, progress.achievements));
        assert_eq!((state.progress.experiences, state.progress.backpack), (None, None));
        assert_eq!(state.wallet.next_seq, 4);
    }

    #[test]
    fn a_format_4_snapshot_loads_with_its_experiences_and_no_community() {
        let mut progress = Progress::default();
        progress.story.fragment = Some("l3_biblioteca".into());
        progress.experiences = Some(Box::default());
        let mut old = ProgressV4::from(ProgressV3::from(v2(progress.clone(), None)));
        old.experiences = progress.experiences.clone();
        let state = stored(4, encode(old)).into_state(5, Vec::new()).unwrap();
        assert_eq!(state.progress.story, progress.story);
        assert_eq!(state.progress.experiences, progress.experiences);
        assert_eq!(state.progress.community, None);
    }

    // offers
    #[test]
    fn a_format_5_snapshot_loads_with_its_community_and_no_offers() {
        let mut progress = Progress::default();
        progress.story.fragment = Some("l4_antesala".into());
        progress.community = Some(Box::default());
        let mut old = ProgressV5::from(ProgressV4::from(ProgressV3::from(v2(progress.clone(), None))));
        old.community = progress.community.clone();
        let state = stored(5, encode(old)).into_state(5, Vec::new()).unwrap();
        assert_eq!(state.progress.story, progress.story);
        assert_eq!(state.progress.community, progress.community);
        assert_eq!(state.progress.offers, None);
    }

    // offers2
    #[test]
    fn a_format_6_snapshot_loads_with_its_offers_and_no_last_active_day() {
        let mut progress = Progress::default();
        progress.story.fragment = Some("l4_antesala".into());
        progress.offers = Some(Box::default());
        progress.daily_gift = DailyGiftStreak { last_day: Some(19_999), streak: 3, last_active_day: 20_000 };
        let mut old =
            ProgressV6::from(ProgressV5::from(ProgressV4::from(ProgressV3::from(v2(progress.clone(), None)))));
        old.offers = progress.offers.clone();
        let state = stored(6, encode(old)).into_state(5, Vec::new()).unwrap();
        assert_eq!(state.progress.story, progress.story);
        assert_eq!(state.progress.offers, progress.offers);
        assert_eq!(state.progress.daily_gift.last_day, Some(19_999));
        assert_eq!(state.progress.daily_gift.streak, 3);
        assert_eq!(state.progress.daily_gift.last_active_day, 0, "format 6 had no last active day");
    }
}
