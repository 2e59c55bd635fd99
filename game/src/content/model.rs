//! The content model: what the reader builds from the TOML files.
//!
//! Values of these types are data, not behaviour. A [`super::Content`] that
//! exists has passed every check, so code that holds one can follow any
//! reference it contains without handling "not found".

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ids::{
    AchievementId, CategoryId, CodeId, ComponentId, DecisionId, ExperienceId, FlagName, FragmentId, LoreId, MissionId,
    RecipeId, RoleId, ShopItemId,
};
use crate::ids::{ItemId, Language};

/// The number of story levels; levels `1..=MAX_LEVEL` must all be defined.
pub const MAX_LEVEL: u8 = 6;

/// The activity counters a mission or achievement goal may count. These are
/// the names the game increments in `Progress::counters`; a goal naming any
/// other counter could never progress, so the reader refuses it.
pub const COUNTERS: [&str; 6] = ["reactions", "decisions", "fragments_read", "purchases", "daily_gifts", "gifts_sent"];

/// A text the bot shows, in every language it speaks. Both are required:
/// a player must never see an empty message because a translation is absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    pub es: String,
    pub en: String,
}

impl Text {
    pub fn get(&self, language: Language) -> &str {
        match language {
            Language::Es => &self.es,
            Language::En => &self.en,
        }
    }
}

/// A level of progression: the player's level follows their experience
/// points, and the story level of the same number may be reserved to VIP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level {
    /// 1 to [`MAX_LEVEL`].
    pub number: u8,
    /// Experience points needed to reach this level; 0 for level 1.
    pub experience_points: u64,
    /// Whether the story fragments of this level are for VIP members only.
    pub vip: bool,
    pub title: Text,
}

/// A piece of the story: a text and the decisions that lead on from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fragment {
    pub id: FragmentId,
    /// The story level it belongs to (the level of its file).
    pub level: u8,
    pub text: Text,
    /// An ending closes a path of the story; it may still offer decisions
    /// (e.g. "begin again").
    pub ending: bool,
    /// A secret is reached only through a decision with requirements.
    pub secret: bool,
    /// In the order the file lists them, which is the order of the buttons.
    pub decisions: Vec<Decision>,
    /// Lore pieces found on entering it.
    pub lore: Vec<LoreId>,
}

/// A choice offered under a fragment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub id: DecisionId,
    pub label: Text,
    pub to: FragmentId,
    /// What the player must have to take it.
    pub requires: Requirement,
    /// What taking it spends (besitos and items leave the player).
    pub costs: Cost,
    pub rewards: Reward,
    pub sets_flags: Vec<FlagName>,
    /// Lore pieces found on taking it.
    pub lore: Vec<LoreId>,
}

impl Decision {
    /// The full requirement to take this decision: its `requires` plus
    /// holding what it costs. This is what the bot evaluates, so a player
    /// who cannot pay is told so (and how to earn it) before choosing.
    pub fn requirement(&self) -> Requirement {
        let mut requirement = self.requires.clone();
        if self.costs.besitos > 0 {
            requirement.all.push(Condition::MinBesitos(self.costs.besitos));
        }
        for (item, &quantity) in &self.costs.items {
            requirement.all.push(Condition::Item { item: item.clone(), quantity });
        }
        requirement
    }
}

/// One atomic condition on a user's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Condition {
    /// The story flag is set.
    Flag(FlagName),
    /// The story flag is not set (a path closed by an earlier choice).
    NotFlag(FlagName),
    /// An active VIP membership (including a trial).
    Vip,
    /// At least `quantity` of the item in the inventory.
    Item {
        item: ItemId,
        quantity: u32,
    },
    Achievement(AchievementId),
    ExperienceCompleted(ExperienceId),
    /// A balance of at least this many besitos.
    MinBesitos(u64),
    /// A player level (from experience points) of at least this.
    MinLevel(u8),
}

/// A composite requirement: every condition of `all` holds, and when `any`
/// is not empty, at least one of its alternatives holds. Alternatives nest,
/// so any and/or combination can be written. The empty requirement always
/// holds.
///
/// In TOML: `requires = { flags = ["carta_leida"], items = { llave_plata = 1 },
/// any = [ { vip = true }, { besitos = 50 } ] }`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirement {
    pub all: Vec<Condition>,
    pub any: Vec<Requirement>,
}

impl Requirement {
    pub fn is_empty(&self) -> bool {
        self.all.is_empty() && self.any.is_empty()
    }

    /// Whether no state without VIP can meet this requirement. Used to check
    /// that every way into a VIP level asks for VIP.
    pub fn implies_vip(&self) -> bool {
        self.all.contains(&Condition::Vip) || (!self.any.is_empty() && self.any.iter().all(Requirement::implies_vip))
    }

    /// Every condition, however deeply nested.
    pub fn conditions(&self) -> Vec<&Condition> {
        let mut out: Vec<&Condition> = self.all.iter().collect();
        for alternative in &self.any {
            out.extend(alternative.conditions());
        }
        out
    }
}

/// What a decision spends when taken.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cost {
    pub besitos: u64,
    pub items: BTreeMap<ItemId, u32>,
}

/// What a player receives: the extended rewards of a decision, mission,
/// achievement, shop item or experience. Applying them is the coordinator's
/// job; the reader only guarantees every reference exists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reward {
    pub besitos: u64,
    pub experience_points: u64,
    pub items: BTreeMap<ItemId, u32>,
    pub achievements: Vec<AchievementId>,
    /// Fragments made available outside the decision graph (e.g. a memory
    /// the player can reread from the story menu).
    pub unlock_fragments: Vec<FragmentId>,
    pub unlock_experiences: Vec<ExperienceId>,
    /// Hidden shop items that become visible to this player.
    pub unlock_shop_items: Vec<ShopItemId>,
    /// Days of VIP trial granted.
    pub vip_trial_days: u32,
    /// Lore pieces found.
    pub lore: Vec<LoreId>,
}

impl Reward {
    pub fn is_empty(&self) -> bool {
        *self == Reward::default()
    }

    // offers-bundle
    /// `self` and `other` given at once (a bundle's items): amounts added,
    /// items summed, each achievement, unlock and lore piece once.
    pub fn plus(mut self, other: &Reward) -> Reward {
        fn union<T: Clone + PartialEq>(into: &mut Vec<T>, from: &[T]) {
            for value in from {
                if !into.contains(value) {
                    into.push(value.clone());
                }
            }
        }
        self.besitos = self.besitos.saturating_add(other.besitos);
        self.experience_points = self.experience_points.saturating_add(other.experience_points);
        for (item, quantity) in &other.items {
            let sum = self.items.entry(item.clone()).or_insert(0);
            *sum = sum.saturating_add(*quantity);
        }
        union(&mut self.achievements, &other.achievements);
        union(&mut self.unlock_fragments, &other.unlock_fragments);
        union(&mut self.unlock_experiences, &other.unlock_experiences);
        union(&mut self.unlock_shop_items, &other.unlock_shop_items);
        self.vip_trial_days = self.vip_trial_days.saturating_add(other.vip_trial_days);
        union(&mut self.lore, &other.lore);
        self
    }
}

/// A lore piece (a "pista"): found in fragments, decisions and rewards,
/// kept in the backpack, combined by recipes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LorePiece {
    pub id: LoreId,
    pub name: Text,
    pub text: Text,
    pub rarity: Rarity,
}

/// Pieces that, combined exactly, reveal a secret: a secret fragment made
/// readable, a reward, or both. Revealed once per player.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipe {
    pub id: RecipeId,
    pub name: Text,
    /// At least two, and no other recipe has the same set.
    pub pieces: std::collections::BTreeSet<LoreId>,
    /// A `secret = true` fragment, unlocked for the player.
    pub reveals: Option<FragmentId>,
    pub rewards: Reward,
    /// Shown when a wrong combination comes closest to this recipe.
    pub hint: Text,
}

/// A secret code a player types (`/codigo`): its reward, once per player.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretCode {
    pub id: CodeId,
    /// Normalised: trimmed and lowercase (codes are case-insensitive).
    pub code: String,
    pub rewards: Reward,
    /// Only VIP members may redeem it.
    pub vip: bool,
    /// When it may be redeemed (unix seconds, either end open).
    pub available: Window,
}

impl SecretCode {
    /// What a typed code is compared as.
    pub fn normalise(typed: &str) -> String {
        typed.trim().to_lowercase()
    }
}

/// `lore.toml`: pieces, recipes and secret codes. Without the file there
/// is no lore.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lore {
    pub pieces: BTreeMap<LoreId, LorePiece>,
    /// Piece ids in file order: the order of the backpack, and the bit a
    /// backpack button gives each piece (at most [`Lore::MAX_PIECES`]).
    pub piece_order: Vec<LoreId>,
    pub recipes: BTreeMap<RecipeId, Recipe>,
    pub codes: BTreeMap<CodeId, SecretCode>,
}

impl Lore {
    /// A backpack selection is a 64-bit mask over the pieces.
    pub const MAX_PIECES: usize = 64;

    pub fn code(&self, typed: &str) -> Option<&SecretCode> {
        let typed = SecretCode::normalise(typed);
        self.codes.values().find(|code| code.code == typed)
    }
}

/// What a mission or achievement counts towards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Goal {
    /// One of [`COUNTERS`] reaching `target`.
    Counter { counter: String, target: u32 },
    /// Reaching a story fragment.
    Fragment(FragmentId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rarity {
    Common,
    Rare,
    Epic,
    Legendary,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub id: ItemId,
    pub name: Text,
    pub description: Text,
    pub rarity: Rarity,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Achievement {
    pub id: AchievementId,
    pub name: Text,
    /// Also tells the player how to earn it.
    pub description: Text,
    /// Earned automatically when met; without a goal, an achievement is
    /// earned only as another entity's reward.
    pub goal: Option<Goal>,
    pub rewards: Reward,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MissionKind {
    Daily,
    Weekly,
    OneOff,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mission {
    pub id: MissionId,
    pub kind: MissionKind,
    pub name: Text,
    pub description: Text,
    pub goal: Goal,
    /// Who may take the mission.
    pub requires: Requirement,
    pub rewards: Reward,
}

/// How a purchase is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Currency {
    Besitos,
    /// Telegram Stars (XTR).
    Stars,
}

/// The price of a shop item; at least one currency is set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Price {
    pub besitos: Option<u64>,
    /// Telegram Stars (XTR).
    pub stars: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopItem {
    pub id: ShopItemId,
    pub name: Text,
    pub description: Text,
    /// The shelf it is shown on (a `[[category]]` of `shop.toml`).
    pub category: CategoryId,
    pub rarity: Rarity,
    pub price: Price,
    /// What the buyer receives.
    pub rewards: Reward,
    /// Who may buy it.
    pub requires: Requirement,
    /// Units available in total; `None` is unlimited.
    pub stock: Option<u32>,
    /// Shown only to players a reward has unlocked it for.
    pub hidden: bool,
    /// Bought at most once per player.
    pub unique: bool,
    /// When it is on sale (unix seconds, either end open).
    pub available: Window,
    pub discount: Option<Discount>,
    /// What the bot offers right after a purchase of this item.
    pub follow_up: Option<FollowUp>,
}

/// A shelf of the shop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub id: CategoryId,
    pub name: Text,
}

/// A span of time, unix seconds; `None` leaves that end open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub from: Option<i64>,
    /// Exclusive.
    pub until: Option<i64>,
}

impl Window {
    pub fn contains(&self, now: i64) -> bool {
        self.from.is_none_or(|from| now >= from) && self.until.is_none_or(|until| now < until)
    }
}

/// A price cut in percent, until an instant (or for good).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discount {
    /// 1 to 99.
    pub percent: u8,
    pub until: Option<i64>,
}

/// A contextual offer shown after a purchase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    pub item: ShopItemId,
    pub text: Text,
}

/// The kinds of content a reaction can be on, each with its own pay table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ReactionTarget {
    FreePost,
    VipPost,
    Fragment,
}

impl ReactionTarget {
    pub const ALL: [ReactionTarget; 3] = [ReactionTarget::FreePost, ReactionTarget::VipPost, ReactionTarget::Fragment];

    /// The table name in `reactions.toml`.
    pub fn key(self) -> &'static str {
        match self {
            ReactionTarget::FreePost => "free_post",
            ReactionTarget::VipPost => "vip_post",
            ReactionTarget::Fragment => "fragment",
        }
    }

    pub fn from_key(key: &str) -> Option<ReactionTarget> {
        ReactionTarget::ALL.into_iter().find(|target| target.key() == key)
    }
}

/// Besitos paid per reaction, by content type and emoji.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReactionRewards {
    /// Paid for an emoji not listed for its content type.
    pub default_besitos: u64,
    /// Reactions paid per user per day; `None` is unlimited.
    pub daily_limit: Option<u32>,
    pub besitos: BTreeMap<ReactionTarget, BTreeMap<String, u64>>,
}

impl ReactionRewards {
    pub fn besitos_for(&self, target: ReactionTarget, emoji: &str) -> u64 {
        self.besitos.get(&target).and_then(|table| table.get(emoji)).copied().unwrap_or(self.default_besitos)
    }
}

/// The kinds of steps an experience is made of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ComponentKind {
    /// Reading a fragment.
    Fragment(FragmentId),
    /// Taking a decision of a fragment (`ref = "fragment/decision"`).
    Decision(FragmentId, DecisionId),
    Mission(MissionId),
    /// Buying a shop item.
    Purchase(ShopItemId),
    Achievement(AchievementId),
    /// Reacting `count` times (channel posts or story pages), counted from
    /// the reactions paid while the experience runs.
    Reaction {
        count: u32,
    },
    /// Holding at least `quantity` of an item (checked when the component
    /// becomes available and after every step).
    ItemHeld {
        item: ItemId,
        quantity: u32,
    },
    /// Spending `amount` besitos (any sink: the shop, gifts, bids won,
    /// decisions that cost) while the experience runs.
    BesitosSpent {
        amount: u64,
    },
    /// Completing another experience (the graph of experiences is a DAG too).
    Experience(ExperienceId),
}

/// One step of an experience. Its dependencies (`after`) form a DAG.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    pub id: ComponentId,
    pub kind: ComponentKind,
    pub after: Vec<ComponentId>,
    pub rewards: Reward,
}

/// A journey across systems (story, missions, shop…): components in the
/// order their dependencies allow, rewards per component and on completion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Experience {
    pub id: ExperienceId,
    pub name: Text,
    pub description: Text,
    pub vip: bool,
    /// Listed only once a reward has unlocked it for the player
    /// (`unlock_experiences`).
    pub hidden: bool,
    /// May be started again after it was completed or abandoned (rewards
    /// are paid again on each run).
    pub repeatable: bool,
    /// Hours from start within which it must be completed; past that the
    /// run fails and, if repeatable, may be started again.
    pub time_limit_hours: Option<u32>,
    /// Who may start it.
    pub requires: Requirement,
    /// Granted on completion.
    pub rewards: Reward,
    pub components: Vec<Component>,
}

/// What an operator may do. Each operator command needs exactly one
/// (`roles::OperatorAction::permission`); a role is a set of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Permission {
    /// `/reload`: read the content files again.
    ContentReload,
    /// `/grant`, `/deduct`: besitos and items on a player's account.
    Grants,
    /// `/grantvip`: VIP days for a player.
    VipGrants,
    /// `/refund`: give back a Stars payment.
    Refunds,
    /// `/subasta`, `/cancelarsubasta`: open and cancel auctions.
    Auctions,
    /// The channels: posts, broadcasts, teasers.
    Channel,
    /// Read-only reports (`/posts`).
    Analytics,
    /// `/rol`, `/roles`: grant and revoke roles, list who holds them.
    Roles,
    /// `/auditoria`: read the operators' audit log.
    Audit,
    // flags
    /// `/flag`, `/flags`: feature flags' rollouts, changed live.
    Flags,
}

impl Permission {
    pub const ALL: [Permission; 10] = [
        Permission::ContentReload,
        Permission::Grants,
        Permission::VipGrants,
        Permission::Refunds,
        Permission::Auctions,
        Permission::Channel,
        Permission::Analytics,
        Permission::Roles,
        Permission::Audit,
        // flags
        Permission::Flags,
    ];

    /// Its name in `roles.toml` and in the texts.
    pub fn key(self) -> &'static str {
        match self {
            Permission::ContentReload => "content_reload",
            Permission::Grants => "grants",
            Permission::VipGrants => "vip_grants",
            Permission::Refunds => "refunds",
            Permission::Auctions => "auctions",
            Permission::Channel => "channel",
            Permission::Analytics => "analytics",
            Permission::Roles => "roles",
            Permission::Audit => "audit",
            // flags
            Permission::Flags => "flags",
        }
    }

    pub fn from_key(key: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|permission| permission.key() == key)
    }

    fn bit(self) -> u16 {
        1 << self as u16
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

/// A set of permissions (a bit each): what a role gives, or what an
/// operator holds at an instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Permissions(u16);

impl Permissions {
    pub const NONE: Permissions = Permissions(0);

    /// Every permission: what an owner (`ADMIN_IDS`) holds.
    pub fn all() -> Permissions {
        Permission::ALL.into_iter().collect()
    }

    pub fn contains(self, permission: Permission) -> bool {
        self.0 & permission.bit() != 0
    }

    pub fn insert(&mut self, permission: Permission) {
        self.0 |= permission.bit();
    }

    pub fn union(self, other: Permissions) -> Permissions {
        Permissions(self.0 | other.0)
    }

    /// Whether every permission of `self` is in `other`.
    pub fn is_subset(self, other: Permissions) -> bool {
        self.0 & !other.0 == 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL.into_iter().filter(move |permission| self.contains(*permission))
    }
}

impl FromIterator<Permission> for Permissions {
    fn from_iter<I: IntoIterator<Item = Permission>>(permissions: I) -> Permissions {
        let mut set = Permissions::NONE;
        for permission in permissions {
            set.insert(permission);
        }
        set
    }
}

/// An operator role of `roles.toml`: a name and the permissions it gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub id: RoleId,
    pub name: Text,
    pub permissions: Permissions,
}

/// A way of being VIP. Monthly, annual and lifetime are sold for Stars
/// (`vip.toml`); a trial is given (a content reward, an operator's grant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PlanKind {
    /// A Telegram Stars subscription: 30 days, renewed by Telegram.
    Monthly,
    /// A one-off payment for a number of days.
    Annual,
    /// A one-off payment for good.
    Lifetime,
    /// Days given, not bought.
    Trial,
}

impl PlanKind {
    /// The plans that can be bought, in the order the screens offer them.
    pub const SOLD: [PlanKind; 3] = [PlanKind::Monthly, PlanKind::Annual, PlanKind::Lifetime];

    /// The table name under `[plan]` in `vip.toml`, and the word invoices
    /// and buttons carry.
    pub fn key(self) -> &'static str {
        match self {
            PlanKind::Monthly => "monthly",
            PlanKind::Annual => "annual",
            PlanKind::Lifetime => "lifetime",
            PlanKind::Trial => "trial",
        }
    }

    pub fn from_key(key: &str) -> Option<PlanKind> {
        [PlanKind::Monthly, PlanKind::Annual, PlanKind::Lifetime, PlanKind::Trial]
            .into_iter()
            .find(|plan| plan.key() == key)
    }
}

/// The only subscription period Telegram accepts for Stars subscriptions:
/// 30 days, in seconds (`subscription_period` of `createInvoiceLink`).
pub const SUBSCRIPTION_PERIOD_SECS: i64 = 2_592_000;

/// A plan on sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VipPlan {
    pub kind: PlanKind,
    pub name: Text,
    pub description: Text,
    /// Its price in Telegram Stars (per period for the monthly plan).
    pub stars: u32,
    /// Days one payment buys; `None` for lifetime. Monthly is always 30.
    pub days: Option<u32>,
    /// Besitos paid with each charge that continues a VIP membership (a
    /// subscription's renewal, or a plan bought again): once per charge.
    pub renewal_bonus: u64,
}

/// `vip.toml`: the plans on sale and the membership's lifecycle. Without
/// the file nothing is on sale and the lifecycle takes these defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VipSettings {
    pub plans: BTreeMap<PlanKind, VipPlan>,
    /// Days after the paid period ends during which the member is still
    /// VIP (and stays in the channel) and may renew; then removal.
    pub grace_days: u32,
    /// Reminders before the paid period ends, in days before it, largest
    /// first.
    pub reminder_days: Vec<u16>,
    /// How long a personal invite link to the VIP channel stays valid.
    pub invite_link_hours: u32,
    /// How long a request to join the free channel waits before approval.
    pub free_channel_wait_minutes: u32,
}

impl Default for VipSettings {
    fn default() -> VipSettings {
        VipSettings {
            plans: BTreeMap::new(),
            grace_days: 3,
            reminder_days: vec![3, 1],
            invite_link_hours: 24,
            free_channel_wait_minutes: 5,
        }
    }
}

impl VipSettings {
    pub fn plan(&self, kind: PlanKind) -> Option<&VipPlan> {
        self.plans.get(&kind)
    }

    /// The plans on sale, in the order the screens show them.
    pub fn on_sale(&self) -> impl Iterator<Item = &VipPlan> {
        PlanKind::SOLD.into_iter().filter_map(|kind| self.plans.get(&kind))
    }

    pub fn grace_secs(&self) -> i64 {
        i64::from(self.grace_days) * 86_400
    }
}
