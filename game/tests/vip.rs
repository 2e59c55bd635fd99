//! VIP memberships as pure rules: payments granted once per charge, the
//! renewal bonus once per renewal charge, the lifecycle moved by its timers
//! (reminders, expiry, grace end), stale firings that only clear, and the
//! channel outbox — and, over any sequence of payments, grants, timers,
//! channel events and clock moves, timers that always match the state and
//! no member left in the channel past grace without a channel sync pending.

mod support;

use std::collections::BTreeMap;

use dianabot_game::content::{Content, PlanKind};
use dianabot_game::membership::{Membership, Phase, SyncAction, VipFact};
use dianabot_game::vip::{Recurring, SYNC_RETRY_SECS, may_buy, timers};
use dianabot_game::{
    AdminCommand, Command, Ctx, Event, Language, ProfileCommand, Reason, RuleError, Rules, Timer, TimerName, UserId,
    UserState, VipCommand, decide,
};
use proptest::prelude::*;

const NOW: i64 = 1_800_000_000;
const DAY: i64 = 86_400;

fn content() -> &'static Content {
    support::content()
}

/// A player, the store's timers of that player (as `TimerSet` and
/// `TimerCleared` leave them) and the clock.
struct World {
    state: UserState,
    timers: BTreeMap<TimerName, i64>,
    now: i64,
    bonuses: i64,
}

impl World {
    fn new() -> World {
        let mut world = World { state: UserState::new(UserId(7)), timers: BTreeMap::new(), now: NOW, bonuses: 0 };
        let register = Command::Profile(ProfileCommand::Register {
            first_name: "Ana".into(),
            username: None,
            language: Language::Es,
        });
        world.run(&register).unwrap();
        world
    }

    fn run(&mut self, command: &Command) -> Result<Vec<Event>, RuleError> {
        let rules = Rules::default();
        let events =
            decide(&self.state, command, Ctx { now: self.now, rules: &rules, content: content(), update_id: None })?;
        for event in &events {
            self.state.apply(event);
            match event {
                Event::TimerSet(timer) => {
                    self.timers.insert(timer.name, timer.due);
                }
                Event::TimerCleared(timer) if self.timers.get(&timer.name) == Some(&timer.due) => {
                    self.timers.remove(&timer.name);
                }
                Event::Ledger(entry) if entry.reason == Reason::VipRenewalBonus => self.bonuses += entry.amount,
                _ => {}
            }
        }
        Ok(events)
    }

    fn pay(&mut self, plan: PlanKind, charge: &str, recurring: Option<Recurring>) -> Result<Vec<Event>, RuleError> {
        let stars = content().vip().plan(plan).map_or(1, |offer| offer.stars);
        self.run(&Command::Vip(VipCommand::Paid { plan, charge: charge.into(), stars, recurring }))
    }

    /// Moves the clock to `to`, firing every timer due by then in due order
    /// (each at its due time, as the timer service would).
    fn advance_to(&mut self, to: i64) {
        let next = |timers: &BTreeMap<TimerName, i64>| {
            timers.iter().filter(|(_, due)| **due <= to).min_by_key(|(_, due)| **due).map(|(&name, &due)| (name, due))
        };
        while let Some((name, due)) = next(&self.timers) {
            self.now = self.now.max(due);
            self.run(&Command::Timer(Timer { name, due })).unwrap();
            assert!(self.timers.get(&name) != Some(&due), "a firing always clears or moves its timer");
        }
        self.now = self.now.max(to);
    }

    fn stored(&self) -> Vec<Timer> {
        let mut stored: Vec<Timer> = self.timers.iter().map(|(&name, &due)| Timer { name, due }).collect();
        stored.sort();
        stored
    }

    fn wanted(&self) -> Vec<Timer> {
        let mut wanted = timers(self.state.progress.vip.as_deref());
        wanted.sort();
        wanted
    }

    fn is_vip(&self) -> bool {
        content().is_vip(&self.state, self.now)
    }

    fn membership(&self) -> &dianabot_game::membership::Vip {
        self.state.progress.vip.as_deref().expect("a membership")
    }
}

fn monthly(first: bool, expires: i64) -> Option<Recurring> {
    Some(Recurring { first, expires })
}

#[test]
fn the_demo_sells_three_plans_with_a_grace_and_reminders() {
    let vip = content().vip();
    let sold: Vec<PlanKind> = vip.on_sale().map(|plan| plan.kind).collect();
    assert_eq!(sold, [PlanKind::Monthly, PlanKind::Annual, PlanKind::Lifetime]);
    assert_eq!(vip.plan(PlanKind::Monthly).and_then(|plan| plan.days), Some(30));
    assert_eq!(vip.reminder_days, [3, 1]);
    assert!(vip.grace_days > 0);
}

#[test]
fn monthly_lifecycle_reminds_renews_with_a_bonus_once_lapses_and_comes_back() {
    let mut world = World::new();
    let end = NOW + 30 * DAY;
    let events = world.pay(PlanKind::Monthly, "c1", monthly(true, end)).unwrap();
    assert_eq!(
        VipFact::of(&events),
        [VipFact::Paid { plan: PlanKind::Monthly, renewal: false, stars: monthly_stars() }]
    );
    assert!(world.is_vip());
    assert_eq!(world.bonuses, 0, "the first payment is no renewal");
    // The channel outbox: a personal link to send.
    assert_eq!(world.membership().sync.map(|sync| sync.action), Some(SyncAction::Invite));
    assert_eq!(world.stored(), world.wanted());
    assert!(world.stored().contains(&Timer { name: TimerName::VipReminder { days_before: 3 }, due: end - 3 * DAY }));

    // The surface sends the link; the player joins.
    world.run(&Command::Vip(VipCommand::ChannelSynced(SyncAction::Invite))).unwrap();
    world.run(&Command::Vip(VipCommand::MembershipSeen(Membership::Member))).unwrap();
    assert_eq!(world.membership().sync, None);
    assert!(!world.timers.contains_key(&TimerName::VipChannelSync));

    // Reminders 3 and 1 days before.
    world.advance_to(end - 3 * DAY);
    assert_eq!(world.membership().reminders, [1]);
    world.advance_to(end - DAY);
    assert!(world.membership().reminders.is_empty());

    // Telegram renews: the bonus once, however often the payment arrives.
    let renewed = end + 30 * DAY;
    world.now = end - 60;
    let events = world.pay(PlanKind::Monthly, "c2", monthly(false, renewed)).unwrap();
    assert_eq!(
        VipFact::of(&events),
        [VipFact::Paid { plan: PlanKind::Monthly, renewal: true, stars: monthly_stars() }]
    );
    assert!(world.pay(PlanKind::Monthly, "c2", monthly(false, renewed)).unwrap().is_empty());
    assert_eq!(world.bonuses, 50);
    assert_eq!(world.membership().until, renewed);
    assert_eq!(world.membership().subscription.as_ref().map(|s| s.charge.as_str()), Some("c1"));
    assert_eq!(world.stored(), world.wanted());

    // The old expiry, had it been left, would be stale: it only clears.
    let stale = Timer { name: TimerName::VipExpiry, due: end };
    let events = world.run(&Command::Timer(stale)).unwrap();
    assert_eq!(events, [Event::TimerCleared(stale)]);

    // The player cancels; the period runs out; grace; removal.
    world.run(&Command::Vip(VipCommand::SetRenewal { canceled: true })).unwrap();
    assert!(!world.membership().renews());
    world.advance_to(renewed);
    assert_eq!(world.membership().phase, Phase::Grace);
    assert!(world.is_vip(), "VIP through the grace period");
    let grace_end = world.membership().grace_until;
    world.advance_to(grace_end);
    assert_eq!(world.membership().phase, Phase::Lapsed);
    assert!(!world.is_vip());
    assert_eq!(world.membership().sync.map(|sync| sync.action), Some(SyncAction::Remove));
    assert!(world.timers.contains_key(&TimerName::VipChannelSync), "the removal is in the outbox");
    world.run(&Command::Vip(VipCommand::ChannelSynced(SyncAction::Remove))).unwrap();
    assert_eq!(world.membership().channel, Membership::Removed);
    assert_eq!(world.stored(), world.wanted());
    assert!(world.stored().is_empty(), "nothing left to do: {:?}", world.stored());

    // Back: a new subscription, a new link, the bonus for coming back.
    world.now += 10 * DAY;
    let back = world.now + 30 * DAY;
    world.pay(PlanKind::Monthly, "c3", monthly(true, back)).unwrap();
    assert!(world.is_vip());
    assert_eq!(world.membership().sync.map(|sync| sync.action), Some(SyncAction::Invite));
    assert_eq!(world.bonuses, 100);
}

#[test]
fn a_channel_sync_not_confirmed_fires_again_until_it_is() {
    let mut world = World::new();
    world.pay(PlanKind::Annual, "a1", None).unwrap();
    let due = world.membership().sync.map(|sync| sync.due);
    assert_eq!(due, Some(NOW + SYNC_RETRY_SECS));
    // The surface died before confirming: the timer fires, moves on.
    world.advance_to(NOW + SYNC_RETRY_SECS);
    let events = world.run(&Command::Timer(Timer { name: TimerName::VipChannelSync, due: NOW })).unwrap();
    assert_eq!(events.len(), 1, "a firing for another due time is stale");
    let moved = world.membership().sync.map(|sync| sync.due);
    assert_eq!(moved, Some(NOW + 2 * SYNC_RETRY_SECS));
    assert_eq!(world.timers.get(&TimerName::VipChannelSync), moved.as_ref());
    world.run(&Command::Vip(VipCommand::ChannelSynced(SyncAction::Invite))).unwrap();
    assert!(!world.timers.contains_key(&TimerName::VipChannelSync));
}

#[test]
fn a_non_vip_seen_in_the_channel_is_removed_and_join_requests_follow_vip() {
    let mut world = World::new();
    let events = world.run(&Command::Vip(VipCommand::JoinRequested)).unwrap();
    assert_eq!(VipFact::of(&events), [VipFact::JoinAnswered { approved: false }]);
    world.run(&Command::Vip(VipCommand::MembershipSeen(Membership::Member))).unwrap();
    assert_eq!(world.membership().sync.map(|sync| sync.action), Some(SyncAction::Remove));
    assert_eq!(world.stored(), world.wanted());
    world.run(&Command::Admin(AdminCommand::GrantVip { days: 7 })).unwrap();
    assert_eq!(world.membership().sync, None, "VIP now: the member stays");
    let events = world.run(&Command::Vip(VipCommand::JoinRequested)).unwrap();
    assert_eq!(VipFact::of(&events), [VipFact::JoinAnswered { approved: true }]);
}

#[test]
fn operators_grants_add_up_as_a_trial_without_renewal() {
    let mut world = World::new();
    world.run(&Command::Admin(AdminCommand::GrantVip { days: 2 })).unwrap();
    world.run(&Command::Admin(AdminCommand::GrantVip { days: 3 })).unwrap();
    assert_eq!(world.membership().until, NOW + 5 * DAY);
    assert_eq!(world.membership().plan, Some(PlanKind::Trial));
    // Renewal makes sense only for a subscription.
    assert_eq!(world.run(&Command::Vip(VipCommand::SetRenewal { canceled: true })), Err(RuleError::NoSubscription));
}

#[test]
fn free_channel_requests_are_approved_after_the_wait() {
    let mut world = World::new();
    world.run(&Command::Vip(VipCommand::FreeJoinRequested)).unwrap();
    let wait = i64::from(content().vip().free_channel_wait_minutes) * 60;
    assert_eq!(world.timers.get(&TimerName::FreeChannelApproval), Some(&(NOW + wait)));
    world.advance_to(NOW + wait);
    assert!(world.timers.contains_key(&TimerName::FreeChannelApproval), "kept until the approval is confirmed");
    world.run(&Command::Vip(VipCommand::FreeApproved)).unwrap();
    assert!(world.timers.is_empty());
    assert!(!world.is_vip());
}

#[derive(Debug, Clone)]
enum Step {
    PayMonthly { first: bool, days: i64, charge: u8 },
    PayAnnual { charge: u8 },
    PayLifetime { charge: u8 },
    Grant { days: u32 },
    Cancel(bool),
    Seen(u8),
    Synced,
    Advance(i64),
    JoinRequest,
    RequestLink,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (any::<bool>(), 1..40i64, 0..12u8).prop_map(|(first, days, charge)| Step::PayMonthly { first, days, charge }),
        1 => (0..12u8).prop_map(|charge| Step::PayAnnual { charge }),
        1 => (0..40u8).prop_map(|charge| Step::PayLifetime { charge }),
        2 => (1..10u32).prop_map(|days| Step::Grant { days }),
        1 => any::<bool>().prop_map(Step::Cancel),
        3 => (0..3u8).prop_map(Step::Seen),
        4 => Just(Step::Synced),
        6 => (0..20 * DAY).prop_map(Step::Advance),
        1 => Just(Step::JoinRequest),
        1 => Just(Step::RequestLink),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Any sequence of payments (re-delivered ones included), grants,
    /// channel events, confirmations and clock moves: the stored timers
    /// are exactly those the state wants; a member who is no longer VIP
    /// always has a removal (or the grace end that leads to it) pending;
    /// the renewal bonus is paid once per renewal charge.
    #[test]
    fn timers_match_the_state_and_no_member_outstays_grace(steps in proptest::collection::vec(step(), 1..40)) {
        let mut world = World::new();
        let mut renewal_charges = std::collections::BTreeSet::new();
        let mut charged_any = false;
        for step in steps {
            let mut charge_paid = |world: &mut World, plan: PlanKind, charge: String, recurring| {
                let fresh = world.state.progress.vip.as_ref().is_none_or(|vip| !vip.charges.contains(&charge));
                let events = world.pay(plan, &charge, recurring).unwrap();
                prop_assert_eq!(events.is_empty(), !fresh, "a re-delivered payment grants nothing");
                if fresh && charged_any {
                    renewal_charges.insert(charge.clone());
                }
                charged_any |= fresh;
                Ok(())
            };
            match step {
                Step::PayMonthly { first, days, charge } => {
                    let expires = world.now + days * DAY;
                    charge_paid(&mut world, PlanKind::Monthly, format!("m{charge}"), monthly(first, expires))?;
                }
                Step::PayAnnual { charge } => charge_paid(&mut world, PlanKind::Annual, format!("a{charge}"), None)?,
                Step::PayLifetime { charge } => {
                    // Rare: most sequences should exercise the timed plans.
                    if charge == 0 {
                        charge_paid(&mut world, PlanKind::Lifetime, "l".into(), None)?;
                    }
                }
                Step::Grant { days } => {
                    world.run(&Command::Admin(AdminCommand::GrantVip { days })).unwrap();
                }
                Step::Cancel(canceled) => {
                    let _ = world.run(&Command::Vip(VipCommand::SetRenewal { canceled }));
                }
                Step::Seen(which) => {
                    let seen = [Membership::Member, Membership::Outside, Membership::Removed][which as usize];
                    world.run(&Command::Vip(VipCommand::MembershipSeen(seen))).unwrap();
                }
                Step::Synced => {
                    // The surface performs what the outbox holds.
                    if let Some(sync) = world.state.progress.vip.as_ref().and_then(|vip| vip.sync) {
                        world.run(&Command::Vip(VipCommand::ChannelSynced(sync.action))).unwrap();
                    }
                }
                Step::Advance(secs) => world.advance_to(world.now + secs),
                Step::JoinRequest => {
                    let approved = world.is_vip();
                    let events = world.run(&Command::Vip(VipCommand::JoinRequested)).unwrap();
                    prop_assert_eq!(VipFact::of(&events), vec![VipFact::JoinAnswered { approved }]);
                }
                Step::RequestLink => {
                    let _ = world.run(&Command::Vip(VipCommand::RequestLink));
                }
            }
            prop_assert_eq!(world.stored(), world.wanted(), "timers match the state");
            if let Some(vip) = world.state.progress.vip.as_deref()
                && vip.channel == Membership::Member
                && !world.is_vip()
            {
                let removal = world.timers.contains_key(&TimerName::VipChannelSync)
                    && vip.sync.is_some_and(|sync| sync.action == SyncAction::Remove);
                let grace_end = world.timers.get(&TimerName::VipGraceEnd).is_some_and(|&due| due <= world.now);
                prop_assert!(removal || grace_end, "a non-VIP member with nothing pending: {vip:?}");
            }
        }
        // Each renewal charge paid its plan's bonus once.
        let expected: i64 = renewal_charges
            .iter()
            .map(|charge| {
                let plan = match charge.chars().next() {
                    Some('m') => PlanKind::Monthly,
                    Some('a') => PlanKind::Annual,
                    _ => PlanKind::Lifetime,
                };
                content().vip().plan(plan).map_or(0, |plan| plan.renewal_bonus) as i64
            })
            .sum();
        prop_assert_eq!(world.bonuses, expected);
    }
}

/// The membership costs a player without one a null pointer: the state
/// is no bigger than before VIP moved out of `vip_until` (768 bytes).
#[test]
fn a_player_without_vip_pays_one_null_pointer() {
    use dianabot_game::membership::Vip;
    assert_eq!(std::mem::size_of::<Option<Box<Vip>>>(), std::mem::size_of::<usize>());
    let size = std::mem::size_of::<UserState>();
    println!("size_of::<UserState>() = {size} B; size_of::<Vip>() = {} B (boxed)", std::mem::size_of::<Vip>());
    assert!(size <= 768, "UserState grew to {size} B");
}

#[test]
fn nobody_buys_a_second_running_subscription_or_anything_once_vip_for_life() {
    let mut world = World::new();
    for plan in [PlanKind::Monthly, PlanKind::Annual, PlanKind::Lifetime] {
        assert_eq!(may_buy(&world.state, plan), Ok(()), "a free player may buy {plan:?}");
    }
    world.pay(PlanKind::Monthly, "c1", monthly(true, NOW + 30 * DAY)).unwrap();
    assert_eq!(may_buy(&world.state, PlanKind::Monthly), Err(RuleError::AlreadySubscribed));
    assert_eq!(may_buy(&world.state, PlanKind::Annual), Ok(()), "a longer plan on top of a subscription");
    // Renewal cancelled: the paid month runs out, and a new subscription may start.
    world.run(&Command::Vip(VipCommand::SetRenewal { canceled: true })).unwrap();
    assert_eq!(may_buy(&world.state, PlanKind::Monthly), Ok(()));

    world.pay(PlanKind::Lifetime, "c2", None).unwrap();
    for plan in [PlanKind::Monthly, PlanKind::Annual, PlanKind::Lifetime] {
        assert_eq!(may_buy(&world.state, plan), Err(RuleError::LifetimeMember), "{plan:?} for a member for life");
    }
}

fn monthly_stars() -> u32 {
    content().vip().plan(PlanKind::Monthly).map_or(1, |offer| offer.stars)
}
