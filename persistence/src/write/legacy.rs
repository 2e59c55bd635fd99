//! Decoders of snapshot formats still stored but no longer written.

use std::collections::{BTreeMap, BTreeSet};

use dianabot_game::content::PlanKind;
use dianabot_game::membership::{Phase, Vip};
use dianabot_game::{
    DailyGiftStreak, MissionProgress, OpenPurchase, PendingTransfer, Progress, Reacted, Reason, StarsCharge,
    StoryProgress,
};
use serde::Deserialize;

/// `Progress` as format 2 stored it: VIP was a bare `vip_until`. Field
/// order is the encoding (bincode is positional): never reorder.
#[derive(Deserialize)]
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
    daily_gift: DailyGiftStreak,
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
    /// A `vip_until` becomes a trial running until then, with no grace
    /// (grants were all it could hold). Its timers were never stored: the
    /// membership's next decision sets them; until then it simply stops
    /// being VIP at `vip_until`.
    fn from(old: ProgressV2) -> Progress {
        let vip = old.vip_until.map(|until| {
            Box::new(Vip {
                plan: Some(PlanKind::Trial),
                phase: Phase::Active,
                until,
                grace_until: until,
                ..Vip::default()
            })
        });
        Progress {
            story: old.story,
            missions: old.missions,
            achievements: old.achievements,
            experiences: old.experiences,
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
