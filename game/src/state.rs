//! The state a user actor owns.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use crate::backpack::Backpack;
use crate::community::{Community, TriviaRun};
use crate::event::{Event, Reacted, Unlock};
use crate::ids::{ItemId, Language, UpdateId, UserId};
use crate::journeys::{Journey, Journeys};
use crate::ledger::{LedgerEntry, Reason};
use crate::membership::Vip;
use crate::offers::Offers;
use crate::profile::Profile;
use crate::time::day_of;

/// Everything the game knows about one user. Only that user's actor mutates
/// it, and only through [`UserState::apply`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserState {
    pub id: UserId,
    /// `None` until the user sends /start.
    pub profile: Option<Profile>,
    pub wallet: Wallet,
    /// Item id -> quantity held; never holds a zero.
    pub inventory: BTreeMap<ItemId, u32>,
    /// Everything else the game tracks; persisted as one opaque snapshot
    /// because operators never query it field by field.
    pub progress: Progress,
    /// Idempotency: the updates whose outcome is part of this state.
    pub applied: AppliedUpdates,
    /// Bumped by every applied command; the persisted snapshot carries it.
    pub version: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wallet {
    /// Always equal to the sum of this user's ledger amounts, never negative.
    pub balance: i64,
    /// The `seq` the next ledger entry gets.
    pub next_seq: u64,
}

/// Story position, missions, achievements, experiences, VIP and counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub story: StoryProgress,
    /// Mission id -> progress in its current period.
    pub missions: BTreeMap<String, MissionProgress>,
    pub achievements: BTreeSet<String>,
    /// Experiences started and completed; `None` for a player who never
    /// started one.
    pub experiences: Option<Box<Journeys>>,
    /// Lore pieces found and secrets revealed; `None` until the first find.
    pub backpack: Option<Box<Backpack>>,
    /// VIP membership and channel state; `None` for a player who never
    /// had either (the common case costs one null pointer).
    pub vip: Option<Box<Vip>>,
    /// Named activity counters (reactions, decisions, …) that achievements
    /// and analytics read.
    pub counters: BTreeMap<String, u64>,
    /// Reactions already paid, so a removed and re-added reaction pays once.
    pub rewarded_reactions: BTreeSet<(Reacted, String)>,
    /// Experience points; the player's level follows from them through the
    /// thresholds of `content/levels.toml` (`Content::level_for_xp`).
    /// Added after the first snapshots were written: it changes the bincode
    /// encoding of `Progress`, acceptable while nothing is deployed.
    pub experience_points: u64,
    pub unlocked_experiences: BTreeSet<String>,
    pub daily_gift: DailyGiftStreak,
    /// Gifts sent and not yet known to have arrived (saga in flight).
    pub transfers_out: BTreeMap<i64, PendingTransfer>,
    /// Transfers received, so a re-delivered step 2 pays once.
    pub transfers_in: BTreeSet<i64>,
    /// (UTC day, gifts sent that day), for the daily limit.
    pub gifts_sent_today: (i64, u32),
    /// (UTC day, reactions paid that day), for the daily limit.
    pub reactions_paid_today: (i64, u32),
    /// (UTC day, besitos received that day by reason), for the daily caps.
    pub earned_today: (i64, BTreeMap<Reason, i64>),
    /// Hidden shop items a reward made visible to this player.
    pub unlocked_shop_items: BTreeSet<String>,
    /// Purchases paid and not yet delivered or refunded (saga in flight).
    pub purchases_open: BTreeMap<i64, OpenPurchase>,
    /// Unix seconds of recent purchase attempts, for the hourly limit;
    /// older ones are dropped as new ones come.
    pub purchase_attempts: Vec<i64>,
    /// Shop item id -> times bought (and not refunded).
    pub bought: BTreeMap<String, u32>,
    /// Telegram Stars payments applied, by `telegram_payment_charge_id`:
    /// what makes a re-delivered `successful_payment` grant once.
    pub stars_charges: BTreeMap<String, StarsCharge>,
    /// (auction, bid id) -> besitos of this player's bids held in escrow:
    /// debited from the wallet, not yet released or spent.
    pub holds: BTreeMap<(i64, i64), i64>,
    /// Auctions this player won and paid for, so a repeated settlement
    /// charges and grants once.
    pub auctions_won: BTreeSet<i64>,
    /// Trivia, referrals and leaderboard prizes; `None` for a player who
    /// never took part.
    pub community: Option<Box<Community>>,
    /// offers: offers running and recent shows; `None` for a player never
    /// offered anything. Last: bincode is positional (format 6 added it).
    pub offers: Option<Box<Offers>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenPurchase {
    pub item: String,
    pub besitos: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StarsCharge {
    pub purchase: i64,
    pub item: String,
    pub stars: u32,
    pub refunded: bool,
}

/// How far a mission is in its current period (a day, a week, or forever).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissionProgress {
    pub period: i64,
    pub count: u32,
    pub done: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyGiftStreak {
    /// UTC day (days since the epoch) of the last claim.
    pub last_day: Option<i64>,
    pub streak: u32,
    /// offers2: UTC day (days since the epoch) of the player's latest
    /// command, 0 before the first (`ActiveOn`). Here because it fills the
    /// padding after `streak`: it costs the state no bytes (format 7 added
    /// it).
    pub last_active_day: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingTransfer {
    pub to: UserId,
    pub amount: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoryProgress {
    /// Where the player stands; `None` before they open the story.
    pub fragment: Option<String>,
    pub flags: BTreeSet<String>,
    /// Every fragment entered, in order: the path taken.
    pub path: Vec<String>,
    pub secrets_found: BTreeSet<String>,
    /// Fragments a reward made rereadable outside the decision graph.
    pub unlocked: BTreeSet<String>,
    /// Messages of the player's private chat that show a story page:
    /// message id -> the fragment it last showed, so a reaction on one pays
    /// for that fragment. The newest [`StoryProgress::PAGES_KEPT`] only
    /// (message ids grow within a chat); a message later edited into
    /// another screen keeps the fragment it showed.
    pub pages: BTreeMap<i32, String>,
}

impl StoryProgress {
    /// Story pages remembered; a reaction on an older one pays nothing.
    pub const PAGES_KEPT: usize = 8;
}

/// The updates a user's state has absorbed most recently, by fingerprint
/// ([`UpdateId::fingerprint`]).
///
/// Telegram re-delivers an update that was not acknowledged; the actor checks
/// here before applying one. It remembers what was applied, not a low-water
/// mark: an update it was not told of is always new, whatever its id, so a
/// restarted id sequence is applied rather than dropped. The price is that
/// a re-delivery older than the last [`AppliedUpdates::WINDOW`] updates of
/// the same user would apply again; Telegram re-delivers what was not
/// acknowledged, and a user rarely has that many updates in flight.
///
/// Snapshots written before fingerprints held bare update ids: they load,
/// and those entries match no fingerprint (the first upgrade forgets them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedUpdates {
    fingerprints: VecDeque<u64>,
}

impl AppliedUpdates {
    pub const WINDOW: usize = 32;

    pub fn contains(&self, update: UpdateId) -> bool {
        self.fingerprints.contains(&update.fingerprint())
    }

    pub fn record(&mut self, update: UpdateId) {
        if self.fingerprints.len() == Self::WINDOW {
            self.fingerprints.pop_front();
        }
        self.fingerprints.push_back(update.fingerprint());
    }
}

impl UserState {
    /// The state of a user we have never seen: not registered, empty wallet.
    pub fn new(id: UserId) -> UserState {
        UserState {
            id,
            profile: None,
            wallet: Wallet { balance: 0, next_seq: 1 },
            inventory: BTreeMap::new(),
            progress: Progress::default(),
            applied: AppliedUpdates::default(),
            version: 0,
        }
    }

    pub fn is_registered(&self) -> bool {
        self.profile.is_some()
    }

    pub fn language(&self) -> Language {
        self.profile.as_ref().map_or(Language::default(), |profile| profile.language)
    }

    pub fn item_count(&self, item: &ItemId) -> u32 {
        self.inventory.get(item).copied().unwrap_or(0)
    }

    /// Folds one event into the state. Infallible: [`crate::decide`] has
    /// already checked everything, so this only records.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::Registered { profile } => self.profile = Some(profile.clone()),
            Event::LanguageChanged { language } => {
                if let Some(profile) = &mut self.profile {
                    profile.language = *language;
                }
            }
            Event::BroadcastsOptOut { opt_out } => {
                if let Some(profile) = &mut self.profile {
                    profile.broadcasts_opt_out = *opt_out;
                }
            }
            Event::Ledger(entry) => self.post(entry),
            Event::ItemsGranted { item, quantity } => {
                *self.inventory.entry(item.clone()).or_insert(0) += quantity;
            }
            Event::ItemsConsumed { item, quantity } => {
                if let Some(held) = self.inventory.get_mut(item) {
                    *held -= quantity;
                    if *held == 0 {
                        self.inventory.remove(item);
                    }
                }
            }
            Event::ReactionRewarded { on, emoji, .. } => {
                self.progress.rewarded_reactions.insert((on.clone(), emoji.clone()));
            }
            Event::CounterIncremented { counter, by } => {
                *self.progress.counters.entry(counter.clone()).or_insert(0) += by;
            }
            Event::FragmentEntered { fragment, secret } => {
                let story = &mut self.progress.story;
                story.fragment = Some(fragment.clone());
                story.path.push(fragment.clone());
                if *secret {
                    story.secrets_found.insert(fragment.clone());
                }
            }
            Event::FlagSet { flag } => {
                self.progress.story.flags.insert(flag.clone());
            }
            Event::StoryPageShown { page, fragment } => {
                let pages = &mut self.progress.story.pages;
                pages.insert(*page, fragment.clone());
                while pages.len() > StoryProgress::PAGES_KEPT {
                    pages.pop_first();
                }
            }
            Event::AchievementUnlocked { achievement } => {
                self.progress.achievements.insert(achievement.clone());
            }
            Event::ExperienceGained { points } => self.progress.experience_points += points,
            Event::Unlocked(unlock) => {
                let (set, id) = match unlock {
                    Unlock::Fragment(id) => (&mut self.progress.story.unlocked, id),
                    Unlock::Experience(id) => (&mut self.progress.unlocked_experiences, id),
                    Unlock::ShopItem(id) => (&mut self.progress.unlocked_shop_items, id),
                };
                set.insert(id.clone());
            }
            Event::VipChanged { vip, .. } => self.progress.vip = Some(vip.clone()),
            Event::ReactionsPaidToday { day, count } => self.progress.reactions_paid_today = (*day, *count),
            Event::MissionProgressed { mission, period, count, done } => {
                let progress = MissionProgress { period: *period, count: *count, done: *done };
                self.progress.missions.insert(mission.clone(), progress);
            }
            Event::DailyGiftClaimed { day, streak } => {
                self.progress.daily_gift.last_day = Some(*day);
                self.progress.daily_gift.streak = *streak;
            }
            Event::TransferOpened { transfer, to, amount, day } => {
                self.progress.transfers_out.insert(*transfer, PendingTransfer { to: *to, amount: *amount });
                let (counted_day, count) = &mut self.progress.gifts_sent_today;
                if *counted_day == *day {
                    *count += 1;
                } else {
                    self.progress.gifts_sent_today = (*day, 1);
                }
            }
            Event::TransferReceived { transfer } => {
                self.progress.transfers_in.insert(*transfer);
            }
            Event::TransferClosed { transfer } => {
                self.progress.transfers_out.remove(transfer);
            }
            Event::PurchaseAttempted { at } => {
                let attempts = &mut self.progress.purchase_attempts;
                attempts.retain(|&earlier| earlier > at - 60 * 60);
                attempts.push(*at);
            }
            Event::PurchaseOpened { purchase, item, besitos } => {
                let open = OpenPurchase { item: item.clone(), besitos: *besitos };
                self.progress.purchases_open.insert(*purchase, open);
            }
            Event::PurchaseClosed { purchase, item, completed, .. } => {
                self.progress.purchases_open.remove(purchase);
                if *completed {
                    // offers-bundle: each item of a bundle counts as bought.
                    for piece in crate::shop::purchased_items(item) {
                        *self.progress.bought.entry(piece.to_owned()).or_insert(0) += 1;
                    }
                }
            }
            Event::StarsPaid { charge, purchase, item, stars } => {
                *self.progress.bought.entry(item.clone()).or_insert(0) += 1;
                let paid = StarsCharge { purchase: *purchase, item: item.clone(), stars: *stars, refunded: false };
                self.progress.stars_charges.insert(charge.clone(), paid);
            }
            Event::StarsRefunded { charge } => {
                if let Some(paid) = self.progress.stars_charges.get_mut(charge) {
                    paid.refunded = true;
                    if let Some(count) = self.progress.bought.get_mut(&paid.item) {
                        *count -= 1;
                        if *count == 0 {
                            self.progress.bought.remove(&paid.item);
                        }
                    }
                }
            }
            // Recorded by the store (`star_charges`) for its refund; the
            // player's state owes nothing for it.
            Event::StarsPaidTwice { .. } => {}
            Event::BidHeld { auction, bid, amount } => {
                self.progress.holds.insert((*auction, *bid), *amount);
            }
            Event::HoldReleased { auction, bid } => {
                self.progress.holds.remove(&(*auction, *bid));
            }
            Event::HoldConsumed { auction, bid, .. } => {
                self.progress.holds.remove(&(*auction, *bid));
                self.progress.auctions_won.insert(*auction);
            }
            Event::VipDenied { .. } => {
                *self.progress.counters.entry("vip_denials".to_owned()).or_insert(0) += 1;
            }
            Event::DecisionTaken { .. } => {}
            Event::ExperienceStarted { experience, at, deadline } => {
                let journeys = self.progress.experiences.get_or_insert_with(Default::default);
                let journey = Journey { started_at: *at, deadline: *deadline, ..Journey::default() };
                journeys.running.insert(experience.clone(), journey);
            }
            Event::ComponentCounted { experience, component, count } => {
                if let Some(journey) = self.journey_mut(experience) {
                    journey.counts.insert(component.clone(), *count);
                }
            }
            Event::ComponentDone { experience, component } => {
                if let Some(journey) = self.journey_mut(experience) {
                    journey.counts.remove(component);
                    journey.done.insert(component.clone());
                }
            }
            Event::ExperienceCompleted { experience } => {
                let journeys = self.progress.experiences.get_or_insert_with(Default::default);
                journeys.running.remove(experience);
                journeys.given_up.remove(experience);
                *journeys.completed.entry(experience.clone()).or_insert(0) += 1;
            }
            Event::ExperienceEnded { experience, .. } => {
                let journeys = self.progress.experiences.get_or_insert_with(Default::default);
                journeys.running.remove(experience);
                journeys.given_up.insert(experience.clone());
            }
            Event::LorePieceFound { piece } => {
                self.backpack().pieces.insert(piece.clone());
            }
            Event::SecretRevealed { recipe } => {
                self.backpack().revealed.insert(recipe.clone());
            }
            Event::CodeRedeemed { code } => {
                self.backpack().codes.insert(code.clone());
            }
            Event::CodeMissed { day, count } => self.backpack().code_misses = (*day, *count),
            // Kept by the store (the `timers` table), not in the actor's
            // memory: a firing carries what its handler needs.
            Event::TimerSet(_) | Event::TimerCleared(_) => {}
            // ----- trivia and referrals (games) -----
            Event::TriviaStarted { set, run, day, sets_today, deadline } => {
                let community = self.community();
                community.trivia = Some(TriviaRun {
                    set: set.clone(),
                    run: *run,
                    question: 0,
                    deadline: *deadline,
                    score: 0,
                    correct: 0,
                });
                community.trivia_runs = *run;
                community.trivia_today = (*day, *sets_today);
            }
            Event::TriviaAnswered { correct, points, streak, next_deadline, .. } => {
                let community = self.community();
                community.trivia_streak = *streak;
                community.trivia_best_streak = community.trivia_best_streak.max(*streak);
                if let Some(run) = &mut community.trivia {
                    run.score = run.score.saturating_add(*points);
                    run.correct += u8::from(*correct);
                    if let Some(deadline) = next_deadline {
                        run.question += 1;
                        run.deadline = *deadline;
                    }
                }
            }
            Event::TriviaFinished { .. } => self.community().trivia = None,
            Event::ReferralClaimed { inviter } => self.community().invited_by = Some(*inviter),
            Event::ReferralReached { .. } => self.community().referral_reached = true,
            Event::ReferralSettled { invitee, month, paid_this_month, .. } => {
                let community = self.community();
                community.invitees_settled.insert(*invitee);
                community.referrals_this_month = (*month, *paid_this_month);
            }
            Event::PrizeAwarded(prize) => self.community().record_prize(prize.clone()),
            // offers
            Event::OfferShown(_)
            | Event::OfferOpened { .. }
            | Event::OfferPurchaseStarted { .. }
            | Event::OfferPurchaseReleased { .. }
            | Event::OfferBought { .. }
            | Event::OfferExpired(_) => self.progress.offers.get_or_insert_with(Box::default).apply(event),
            // offers2
            Event::ActiveOn { day } => self.progress.daily_gift.last_active_day = *day,
        }
    }

    /// The community games' state, boxed on the first event of one.
    fn community(&mut self) -> &mut Community {
        self.progress.community.get_or_insert_with(Box::default)
    }

    fn journey_mut(&mut self, experience: &str) -> Option<&mut Journey> {
        self.progress.experiences.as_deref_mut()?.running.get_mut(experience)
    }

    /// The backpack, boxed on the first lore event.
    fn backpack(&mut self) -> &mut Backpack {
        self.progress.backpack.get_or_insert_with(Box::default)
    }

    fn post(&mut self, entry: &LedgerEntry) {
        self.wallet.balance += entry.amount;
        self.wallet.next_seq = entry.seq + 1;
        if entry.amount > 0 {
            let day = day_of(entry.at);
            let (counted_day, earned) = &mut self.progress.earned_today;
            if *counted_day != day {
                *counted_day = day;
                earned.clear();
            }
            *earned.entry(entry.reason).or_insert(0) += entry.amount;
        }
    }

    /// Besitos received on UTC `day` under `reason`.
    pub fn earned_on(&self, day: i64, reason: Reason) -> i64 {
        let (counted_day, earned) = &self.progress.earned_today;
        if *counted_day == day { earned.get(&reason).copied().unwrap_or(0) } else { 0 }
    }
}
