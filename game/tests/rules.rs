//! Properties of the pure rules over random command sequences.

use dianabot_game::content::ReactionTarget;
use dianabot_game::{
    AdminCommand, Besitos, Command, Ctx, Event, ItemId, Language, PostRef, ProfileCommand, ReactionCommand, Reason,
    RuleError, Rules, StoryCommand, UserId, UserState, decide,
};
use proptest::prelude::*;

fn command() -> impl Strategy<Value = Command> {
    let item = prop::sample::select(vec!["rosa", "llave", "carta"]).prop_map(|id| ItemId(id.to_owned()));
    let emoji = prop::sample::select(vec!["❤", "🔥", "👍", "🎉"]).prop_map(str::to_owned);
    prop_oneof![
        Just(Command::Profile(ProfileCommand::Register {
            first_name: "Ana".into(),
            username: None,
            language: Language::Es
        })),
        prop::bool::ANY.prop_map(|en| Command::Profile(ProfileCommand::SetLanguage(if en {
            Language::En
        } else {
            Language::Es
        }))),
        (0..4i32, prop::collection::vec(emoji.clone(), 1..3)).prop_map(|(message_id, emojis)| Command::Reaction(
            ReactionCommand::React {
                post: PostRef { chat_id: -100, message_id },
                target: ReactionTarget::FreePost,
                emojis
            }
        )),
        (0..4i32, prop::collection::vec(emoji.clone(), 1..3))
            .prop_map(|(page, emojis)| Command::Reaction(ReactionCommand::ReactToPage { page, emojis })),
        prop::option::of(0..4i32).prop_map(|page| Command::Story(StoryCommand::OpenStory { page })),
        (1..500i64).prop_map(|amount| Command::Admin(AdminCommand::AdminGrant(Besitos::new(amount).unwrap()))),
        (1..500i64).prop_map(|amount| Command::Admin(AdminCommand::AdminDeduct(Besitos::new(amount).unwrap()))),
        (item.clone(), 0..5u32).prop_map(|(item, quantity)| Command::Admin(AdminCommand::GrantItem { item, quantity })),
        (item, 0..5u32).prop_map(|(item, quantity)| Command::Admin(AdminCommand::ConsumeItem { item, quantity })),
    ]
}

mod support;

use support::content;

fn ctx(rules: &Rules) -> Ctx<'_> {
    Ctx { now: 1_700_000_000, rules, content: content(), update_id: None }
}

proptest! {
    /// Whatever happens, the wallet is the sum of its journal, never
    /// negative, and journal sequence numbers have no gaps.
    #[test]
    fn wallet_always_equals_its_ledger(commands in prop::collection::vec(command(), 0..60)) {
        let rules = Rules::default();
        let mut state = UserState::new(UserId(7));
        let mut journal = Vec::new();
        for command in &commands {
            if let Ok(events) = decide(&state, command, ctx(&rules)) {
                for event in &events {
                    state.apply(event);
                    if let Event::Ledger(entry) = event {
                        journal.push(entry.clone());
                    }
                }
            }
            prop_assert!(state.wallet.balance >= 0);
            prop_assert_eq!(state.wallet.balance, journal.iter().map(|e| e.amount).sum::<i64>());
            prop_assert!(state.inventory.values().all(|&quantity| quantity > 0));
        }
        let seqs: Vec<u64> = journal.iter().map(|e| e.seq).collect();
        prop_assert_eq!(seqs, (1..=journal.len() as u64).collect::<Vec<_>>());
    }

    /// A refused command produces nothing; `decide` itself never mutates.
    #[test]
    fn decide_never_mutates(commands in prop::collection::vec(command(), 1..40)) {
        let rules = Rules::default();
        let mut state = UserState::new(UserId(7));
        for command in &commands {
            let before = state.clone();
            let decided = decide(&state, command, ctx(&rules));
            prop_assert_eq!(&before, &state);
            if let Ok(events) = decided {
                events.iter().for_each(|event| state.apply(event));
            }
        }
    }
}

#[test]
fn unregistered_users_can_only_register() {
    let rules = Rules::default();
    let state = UserState::new(UserId(1));
    let react = Command::Reaction(ReactionCommand::React {
        post: PostRef { chat_id: -1, message_id: 1 },
        target: ReactionTarget::FreePost,
        emojis: vec!["❤".into()],
    });
    assert_eq!(decide(&state, &react, ctx(&rules)), Err(RuleError::UnknownUser));
}

#[test]
fn overdraft_is_refused() {
    let rules = Rules::default();
    let mut state = UserState::new(UserId(1));
    let register =
        Command::Profile(ProfileCommand::Register { first_name: "Ana".into(), username: None, language: Language::Es });
    decide(&state, &register, ctx(&rules)).unwrap().iter().for_each(|event| state.apply(event));
    let too_much = Command::Admin(AdminCommand::AdminDeduct(Besitos::new(rules.welcome_bonus + 1).unwrap()));
    assert_eq!(
        decide(&state, &too_much, ctx(&rules)),
        Err(RuleError::InsufficientFunds { balance: rules.welcome_bonus, needed: rules.welcome_bonus + 1 })
    );
}

#[test]
fn amounts_must_be_positive_and_bounded() {
    assert_eq!(Besitos::new(0), Err(RuleError::NonPositiveAmount(0)));
    assert_eq!(Besitos::new(-5), Err(RuleError::NonPositiveAmount(-5)));
    assert!(matches!(Besitos::new(i64::MAX), Err(RuleError::AmountTooLarge(..))));
}

#[test]
fn a_reaction_pays_once_even_when_removed_and_added_again() {
    let rules = Rules::default();
    let mut state = UserState::new(UserId(1));
    let register =
        Command::Profile(ProfileCommand::Register { first_name: "Ana".into(), username: None, language: Language::En });
    decide(&state, &register, ctx(&rules)).unwrap().iter().for_each(|event| state.apply(event));
    let react = Command::Reaction(ReactionCommand::React {
        post: PostRef { chat_id: -1, message_id: 9 },
        target: ReactionTarget::FreePost,
        emojis: vec!["❤".into()],
    });
    decide(&state, &react, ctx(&rules)).unwrap().iter().for_each(|event| state.apply(event));
    let paid = state.wallet.balance;
    assert_eq!(decide(&state, &react, ctx(&rules)), Err(RuleError::AlreadyRewarded));
    assert_eq!(state.wallet.balance, paid);
}

#[test]
fn reactions_pay_per_content_type_up_to_a_daily_limit() {
    let rules = Rules::default();
    let limit = content().reactions().daily_limit.expect("the demo sets a daily limit");
    let mut state = UserState::new(UserId(1));
    let register =
        Command::Profile(ProfileCommand::Register { first_name: "Ana".into(), username: None, language: Language::Es });
    decide(&state, &register, ctx(&rules)).unwrap().iter().for_each(|event| state.apply(event));
    let react = |target, chat_id, message_id| {
        Command::Reaction(ReactionCommand::React {
            post: PostRef { chat_id, message_id },
            target,
            emojis: vec!["❤".into()],
        })
    };
    let free = |message_id| react(ReactionTarget::FreePost, -100, message_id);
    let paid = |events: &[Event]| -> i64 {
        events
            .iter()
            .filter_map(|e| {
                if let Event::Ledger(entry) = e {
                    (entry.reason == Reason::Reaction).then_some(entry.amount)
                } else {
                    None
                }
            })
            .sum()
    };
    // A VIP post pays VIP rates to VIP members only: anyone else in the
    // channel got in by a leaked link.
    let vip_post = react(ReactionTarget::VipPost, -200, 1);
    assert_eq!(decide(&state, &vip_post, ctx(&rules)), Err(RuleError::NotVip));
    let mut member = state.clone();
    support::set_vip(&mut member, Some(ctx(&rules).now + 86_400));
    let vip = decide(&member, &vip_post, ctx(&rules)).unwrap();
    let free_pay = decide(&state, &free(1), ctx(&rules)).unwrap();
    assert!(paid(&vip) > paid(&free_pay), "VIP posts pay more: {} vs {}", paid(&vip), paid(&free_pay));
    for message_id in 0..limit as i32 {
        decide(&state, &free(message_id), ctx(&rules)).unwrap().iter().for_each(|event| state.apply(event));
    }
    let before = state.clone();
    assert_eq!(decide(&state, &free(9_999), ctx(&rules)), Err(RuleError::DailyReactionLimit { limit }));
    assert_eq!(state, before);
    let tomorrow = Ctx { now: 1_700_000_000 + 86_400, ..ctx(&rules) };
    assert!(decide(&state, &free(9_999), tomorrow).is_ok(), "a new day, a new allowance");
}
