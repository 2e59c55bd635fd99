//! A player's style (seed §2.3): how much they play like a narrative
//! lover, a collector, a competitor, a social player or a completionist.
//!
//! A score is a weighted sum of [`Signal`]s, and every signal is read from
//! the state the player's own events built (counters, sets, the inventory).
//! So scores need no state of their own, follow the event history exactly
//! (the state is a function of it) and move as the actor applies each
//! event; the weights are content (`archetypes.toml`), read at load, so a
//! reload re-weighs without rewriting anything stored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::state::UserState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Archetype {
    NarrativeLover,
    Collector,
    Competitive,
    Social,
    Completionist,
}

impl Archetype {
    pub const ALL: [Archetype; 5] = [
        Archetype::NarrativeLover,
        Archetype::Collector,
        Archetype::Competitive,
        Archetype::Social,
        Archetype::Completionist,
    ];

    /// The name content, analytics and flag audiences use.
    pub fn key(self) -> &'static str {
        match self {
            Archetype::NarrativeLover => "narrative_lover",
            Archetype::Collector => "collector",
            Archetype::Competitive => "competitive",
            Archetype::Social => "social",
            Archetype::Completionist => "completionist",
        }
    }

    pub fn from_key(key: &str) -> Option<Archetype> {
        Archetype::ALL.into_iter().find(|archetype| archetype.key() == key)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// What a player has done, as the state records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Signal {
    /// Story decisions taken.
    Decisions,
    /// Story fragments read.
    FragmentsRead,
    /// Secret fragments found and lore recipes revealed.
    Secrets,
    /// Lore pieces found.
    LorePieces,
    /// Distinct items held.
    Items,
    /// Shop purchases.
    Purchases,
    /// Auctions won.
    AuctionsWon,
    /// Bids placed.
    Bids,
    /// Trivia sets started.
    TriviaRuns,
    /// Leaderboard prizes won.
    Prizes,
    /// Reactions paid.
    Reactions,
    /// Gifts sent to other players.
    GiftsSent,
    /// Invited players who reached the milestone.
    Referrals,
    /// Missions done in their current period.
    Missions,
    /// Achievements unlocked.
    Achievements,
    /// Experiences completed.
    Experiences,
}

impl Signal {
    pub const ALL: [Signal; 16] = [
        Signal::Decisions,
        Signal::FragmentsRead,
        Signal::Secrets,
        Signal::LorePieces,
        Signal::Items,
        Signal::Purchases,
        Signal::AuctionsWon,
        Signal::Bids,
        Signal::TriviaRuns,
        Signal::Prizes,
        Signal::Reactions,
        Signal::GiftsSent,
        Signal::Referrals,
        Signal::Missions,
        Signal::Achievements,
        Signal::Experiences,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Signal::Decisions => "decisions",
            Signal::FragmentsRead => "fragments_read",
            Signal::Secrets => "secrets",
            Signal::LorePieces => "lore_pieces",
            Signal::Items => "items",
            Signal::Purchases => "purchases",
            Signal::AuctionsWon => "auctions_won",
            Signal::Bids => "bids",
            Signal::TriviaRuns => "trivia_runs",
            Signal::Prizes => "prizes",
            Signal::Reactions => "reactions",
            Signal::GiftsSent => "gifts_sent",
            Signal::Referrals => "referrals",
            Signal::Missions => "missions",
            Signal::Achievements => "achievements",
            Signal::Experiences => "experiences",
        }
    }

    pub fn from_key(key: &str) -> Option<Signal> {
        Signal::ALL.into_iter().find(|signal| signal.key() == key)
    }

    /// The signal's value in `state`.
    pub fn read(self, state: &UserState) -> u64 {
        let progress = &state.progress;
        let counter = |name: &str| progress.counters.get(name).copied().unwrap_or(0);
        let len = |n: usize| n as u64;
        let community = progress.community.as_deref();
        let backpack = progress.backpack.as_deref();
        match self {
            Signal::Decisions => counter("decisions"),
            Signal::FragmentsRead => counter("fragments_read"),
            Signal::Secrets => {
                len(progress.story.secrets_found.len()) + backpack.map_or(0, |backpack| len(backpack.revealed.len()))
            }
            Signal::LorePieces => backpack.map_or(0, |backpack| len(backpack.pieces.len())),
            Signal::Items => len(state.inventory.len()),
            Signal::Purchases => counter("purchases"),
            Signal::AuctionsWon => counter("auctions_won"),
            Signal::Bids => counter("auction_bids"),
            Signal::TriviaRuns => community.map_or(0, |community| u64::from(community.trivia_runs)),
            Signal::Prizes => community.map_or(0, |community| len(community.prizes.len())),
            Signal::Reactions => counter("reactions"),
            Signal::GiftsSent => counter("gifts_sent"),
            Signal::Referrals => community.map_or(0, |community| len(community.invitees_settled.len())),
            Signal::Missions => len(progress.missions.values().filter(|mission| mission.done).count()),
            Signal::Achievements => len(progress.achievements.len()),
            Signal::Experiences => progress
                .experiences
                .as_deref()
                .map_or(0, |journeys| journeys.completed.values().map(|&n| u64::from(n)).sum()),
        }
    }
}

/// How much each signal counts towards each archetype, and the least
/// total score for a style to be named at all (`archetypes.toml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchetypeWeights {
    pub weights: BTreeMap<Archetype, Vec<(Signal, u32)>>,
    pub min_score: u64,
}

impl Default for ArchetypeWeights {
    /// The seed's reading of each style; `archetypes.toml` replaces it.
    fn default() -> ArchetypeWeights {
        use Signal::*;
        let weights = [
            (Archetype::NarrativeLover, vec![(Decisions, 3), (FragmentsRead, 1), (Secrets, 2)]),
            (Archetype::Collector, vec![(Items, 3), (Purchases, 2), (LorePieces, 2)]),
            (Archetype::Competitive, vec![(AuctionsWon, 5), (Bids, 1), (TriviaRuns, 2), (Prizes, 5)]),
            (Archetype::Social, vec![(Reactions, 1), (GiftsSent, 4), (Referrals, 5)]),
            (Archetype::Completionist, vec![(Missions, 3), (Achievements, 4), (Secrets, 2), (Experiences, 4)]),
        ];
        // In signal order, as the reader lists them.
        let weights = weights.into_iter().map(|(archetype, mut signals)| {
            signals.sort();
            (archetype, signals)
        });
        ArchetypeWeights { weights: weights.collect(), min_score: 10 }
    }
}

/// A score per archetype, in [`Archetype::ALL`] order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scores(pub [u64; 5]);

/// The archetype a player leans to most, and how clearly: its share of
/// the total score, in percent (20 is no lean at all among five).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub archetype: Archetype,
    pub confidence: u8,
}

impl Scores {
    pub fn of(state: &UserState, weights: &ArchetypeWeights) -> Scores {
        let mut scores = [0u64; 5];
        for (archetype, signals) in &weights.weights {
            scores[archetype.index()] = signals
                .iter()
                .map(|&(signal, weight)| signal.read(state).saturating_mul(u64::from(weight)))
                .fold(0, u64::saturating_add);
        }
        Scores(scores)
    }

    pub fn get(&self, archetype: Archetype) -> u64 {
        self.0[archetype.index()]
    }

    pub fn total(&self) -> u64 {
        self.0.iter().copied().fold(0, u64::saturating_add)
    }

    /// The highest score's archetype (a tie goes to the earlier one in
    /// [`Archetype::ALL`]), or `None` while the total is under `min_score`.
    pub fn dominant(&self, min_score: u64) -> Option<Style> {
        let total = self.total();
        if total == 0 || total < min_score {
            return None;
        }
        let (archetype, top) = Archetype::ALL
            .into_iter()
            .map(|archetype| (archetype, self.get(archetype)))
            .fold((Archetype::NarrativeLover, 0), |best, next| if next.1 > best.1 { next } else { best });
        let confidence = (u128::from(top) * 100 / u128::from(total)) as u8;
        Some(Style { archetype, confidence })
    }
}

/// The player's style under the content's weights.
pub fn style(state: &UserState, weights: &ArchetypeWeights) -> Option<Style> {
    Scores::of(state, weights).dominant(weights.min_score)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;

    #[test]
    fn keys_round_trip() {
        for archetype in Archetype::ALL {
            assert_eq!(Archetype::from_key(archetype.key()), Some(archetype));
        }
        for signal in Signal::ALL {
            assert_eq!(Signal::from_key(signal.key()), Some(signal));
        }
    }

    #[test]
    fn a_new_player_has_no_style_and_a_reader_is_a_narrative_lover() {
        let weights = ArchetypeWeights::default();
        let mut state = UserState::new(UserId(1));
        assert_eq!(style(&state, &weights), None);
        state.progress.counters.insert("decisions".to_owned(), 4);
        state.progress.counters.insert("reactions".to_owned(), 3);
        let style = style(&state, &weights).expect("a style over the minimum");
        assert_eq!(style.archetype, Archetype::NarrativeLover);
        assert_eq!(style.confidence, 80);
    }
}
