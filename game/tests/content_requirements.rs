//! Property tests of requirement evaluation against the demo content:
//! - the verdict and the missing-list agree: `allowed == missing.is_empty()`
//!   (they are computed by separate code paths);
//! - getting what a `Missing` names makes that `Missing` go away;
//! - getting everything that is missing makes the requirement pass.

mod support;

use std::collections::BTreeMap;

use support::content;

use dianabot_game::content::{AchievementId, Condition, ExperienceId, FlagName, Lack, Missing, Requirement, evaluate};
use dianabot_game::journeys::Journeys;
use dianabot_game::{ItemId, UserId, UserState};
use proptest::prelude::*;

const NOW: i64 = 1_750_000_000;

/// Flags a requirement asks to have, and (disjoint) flags it asks not to
/// have, so a generated requirement is never self-contradictory and
/// "getting everything missing" is always possible.
const WANTED_FLAGS: [&str; 3] = ["leyo_carta", "vio_retrato", "busca_verdad"];
const FORBIDDEN_FLAGS: [&str; 2] = ["abrio_cajon", "tomo_rosa"];
const ITEMS: [&str; 3] = ["rosa_negra", "llave_plata", "mapa_estelar"];
const ACHIEVEMENTS: [&str; 3] = ["guardian_secretos", "astronomo", "primer_paso"];
const EXPERIENCES: [&str; 2] = ["noche_biblioteca", "noche_de_estrellas"];

fn condition() -> impl Strategy<Value = Condition> {
    prop_oneof![
        prop::sample::select(&WANTED_FLAGS[..]).prop_map(|f| Condition::Flag(FlagName::new(f))),
        prop::sample::select(&FORBIDDEN_FLAGS[..]).prop_map(|f| Condition::NotFlag(FlagName::new(f))),
        Just(Condition::Vip),
        (prop::sample::select(&ITEMS[..]), 1u32..4)
            .prop_map(|(item, quantity)| Condition::Item { item: ItemId(item.to_owned()), quantity }),
        prop::sample::select(&ACHIEVEMENTS[..]).prop_map(|a| Condition::Achievement(AchievementId::new(a))),
        prop::sample::select(&EXPERIENCES[..]).prop_map(|e| Condition::ExperienceCompleted(ExperienceId::new(e))),
        (1u64..300).prop_map(Condition::MinBesitos),
        (1u8..=6).prop_map(Condition::MinLevel),
    ]
}

fn requirement() -> impl Strategy<Value = Requirement> {
    let leaf = prop::collection::vec(condition(), 0..4).prop_map(|all| Requirement { all, any: Vec::new() });
    leaf.prop_recursive(3, 24, 3, |inner| {
        (prop::collection::vec(condition(), 0..4), prop::collection::vec(inner, 0..3))
            .prop_map(|(all, any)| Requirement { all, any })
    })
}

fn state() -> impl Strategy<Value = UserState> {
    let all_flags: Vec<&str> = WANTED_FLAGS.iter().chain(&FORBIDDEN_FLAGS).copied().collect();
    (
        prop::sample::subsequence(all_flags.clone(), 0..=all_flags.len()),
        prop::collection::vec((prop::sample::select(&ITEMS[..]), 1u32..4), 0..4),
        prop::sample::subsequence(&ACHIEVEMENTS[..], 0..=ACHIEVEMENTS.len()),
        prop::collection::vec((prop::sample::select(&EXPERIENCES[..]), 0u32..5), 0..3),
        prop::option::of(-100i64..100),
        0i64..400,
        0u64..400,
    )
        .prop_map(|(flags, items, achievements, experiences, vip, balance, xp)| {
            let mut state = UserState::new(UserId(1));
            state.progress.story.flags = flags.into_iter().map(str::to_owned).collect();
            state.inventory = items.into_iter().map(|(item, n)| (ItemId(item.to_owned()), n)).collect();
            state.progress.achievements = achievements.into_iter().map(str::to_owned).collect();
            let completed: BTreeMap<String, u32> =
                experiences.into_iter().filter(|(_, runs)| *runs > 0).map(|(e, n)| (e.to_owned(), n)).collect();
            if !completed.is_empty() {
                state.progress.experiences = Some(Box::new(Journeys { completed, ..Journeys::default() }));
            }
            support::set_vip(&mut state, vip.map(|offset| NOW + offset));
            state.wallet.balance = balance;
            state.progress.experience_points = xp;
            state
        })
}

/// Changes `state` so it has what `missing` names — what the bot tells the
/// player to go and get. Only ever adds (or removes a forbidden flag), as
/// earning things does.
fn obtain(state: &mut UserState, missing: &Missing) {
    match &missing.lack {
        Lack::Flag(flag) => {
            state.progress.story.flags.insert(flag.to_string());
        }
        Lack::ForbiddenFlag(flag) => {
            state.progress.story.flags.remove(flag.as_str());
        }
        Lack::Vip => support::set_vip(state, Some(NOW + 86_400)),
        Lack::Item { item, needed, .. } => {
            let held = state.inventory.entry(item.clone()).or_insert(0);
            *held = (*held).max(*needed);
        }
        Lack::Achievement(id) => {
            state.progress.achievements.insert(id.to_string());
        }
        Lack::Experience(id) => {
            state.progress.experiences.get_or_insert_default().completed.insert(id.to_string(), 1);
        }
        Lack::Besitos { needed, .. } => state.wallet.balance = state.wallet.balance.max(*needed as i64),
        Lack::Level { needed_points, .. } => {
            state.progress.experience_points = state.progress.experience_points.max(*needed_points);
        }
        Lack::OneOf(alternatives) => {
            for missing in alternatives.first().into_iter().flatten() {
                obtain(state, missing);
            }
        }
    }
}

/// What a missing asks for, without what the player has (which obtaining
/// changes) or the hints: two missings with the same subject are the same
/// demand.
fn subject(missing: &Missing) -> Lack {
    match &missing.lack {
        Lack::Item { item, needed, .. } => Lack::Item { item: item.clone(), have: 0, needed: *needed },
        Lack::Besitos { needed, .. } => Lack::Besitos { have: 0, needed: *needed },
        Lack::Level { needed, needed_points, .. } => {
            Lack::Level { have: 0, needed: *needed, experience_points: 0, needed_points: *needed_points }
        }
        Lack::OneOf(alternatives) => Lack::OneOf(
            alternatives
                .iter()
                .map(|alternative| {
                    alternative.iter().map(|m| Missing { lack: subject(m), hints: Vec::new() }).collect()
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn same_subject(a: &Missing, b: &Missing) -> bool {
    subject(a) == subject(b)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn allowed_iff_nothing_is_missing(requirement in requirement(), state in state()) {
        let evaluation = evaluate(&requirement, &state, content(), NOW);
        prop_assert_eq!(evaluation.allowed, evaluation.missing.is_empty());
    }

    #[test]
    fn getting_what_is_missing_removes_it(requirement in requirement(), state in state()) {
        let evaluation = evaluate(&requirement, &state, content(), NOW);
        for missing in &evaluation.missing {
            let mut improved = state.clone();
            obtain(&mut improved, missing);
            let after = evaluate(&requirement, &improved, content(), NOW);
            prop_assert!(
                !after.missing.iter().any(|still| same_subject(still, missing)),
                "still missing {:?} after obtaining it: {:?}", missing, after.missing
            );
        }
    }

    #[test]
    fn getting_everything_missing_meets_the_requirement(requirement in requirement(), state in state()) {
        let evaluation = evaluate(&requirement, &state, content(), NOW);
        let mut improved = state.clone();
        for missing in &evaluation.missing {
            obtain(&mut improved, missing);
        }
        let after = evaluate(&requirement, &improved, content(), NOW);
        prop_assert!(after.allowed, "still missing {:?}", after.missing);
    }

    #[test]
    fn the_empty_requirement_always_holds(state in state()) {
        let evaluation = evaluate(&Requirement::default(), &state, content(), NOW);
        prop_assert!(evaluation.allowed && evaluation.missing.is_empty());
    }
}
