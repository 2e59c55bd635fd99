//! REACCIONAR_CONTENIDO against real Postgres: the exchange between a post's
//! actor and the player's, the reaction rules (once per user, post and
//! emoji; a daily cap; unknown posts refused), and the post's engagement
//! counters agreeing with the durable reaction rows, also after a restart.

use dianabot_actors::{ActorConfig, Coordinator};
use dianabot_game::content::ReactionTarget;
use dianabot_game::post::{Engagement, Post};
use dianabot_game::{AdminCommand, Command, PostRef, RuleError, UpdateId, UserId};
use dianabot_persistence::Store;
use dianabot_test_support::{TestDb, apply, balance, register, run, start_runtime};
use futures_util::future::join_all;

const FREE: i64 = -100;
const VIP: i64 = -200;

fn post(chat_id: i64, message_id: i32) -> PostRef {
    PostRef { chat_id, message_id }
}

async fn publish(coordinator: &Coordinator, post: PostRef, target: ReactionTarget) {
    let published = Post::new(post, target, 1_700_000_000, "Diana, en el diván");
    assert!(coordinator.posts().publish(published).await.unwrap(), "{post:?} was new");
}

async fn react(coordinator: &Coordinator, user: i64, post: PostRef, emojis: &[&str]) -> Result<i64, RuleError> {
    let emojis = emojis.iter().map(|emoji| (*emoji).to_owned()).collect();
    coordinator.react(UserId(user), None, post, emojis).await.unwrap()
}

/// What the `post_engagement` view (over the durable rows) says of `post`.
async fn stored_engagement(store: &Store, post: PostRef) -> Engagement {
    let Store::Postgres(pool) = store else { unreachable!() };
    let row: Option<(i64, i64, i64)> = sqlx::query_as(
        "SELECT reactions, unique_reactors, CAST(besitos_paid AS BIGINT) FROM post_engagement
         WHERE chat_id = $1 AND message_id = $2",
    )
    .bind(post.chat_id)
    .bind(post.message_id)
    .fetch_optional(pool)
    .await
    .unwrap();
    row.map_or_else(Engagement::default, |(reactions, unique_reactors, besitos_paid)| Engagement {
        reactions: reactions as u64,
        unique_reactors: unique_reactors as u64,
        besitos_paid,
    })
}

#[test]
fn a_reaction_pays_once_per_post_and_emoji_at_its_channels_rate() {
    run(async {
        let db = TestDb::postgres().await;
        let runtime = start_runtime(db.store().await, ActorConfig::default()).await;
        let coordinator = Coordinator::new(runtime.router.clone(), runtime.store.clone());
        let router = &runtime.router;
        register(router, 1).await;
        // VIP posts pay VIP rates to VIP members only.
        apply(router, 1, Command::Admin(AdminCommand::GrantVip { days: 7 })).await.unwrap();
        let (free, vip) = (post(FREE, 1), post(VIP, 1));
        publish(&coordinator, free, ReactionTarget::FreePost).await;
        publish(&coordinator, vip, ReactionTarget::VipPost).await;
        let again = Post::new(free, ReactionTarget::FreePost, 0, "again");
        assert!(!coordinator.posts().publish(again).await.unwrap(), "a re-delivered channel_post is known");

        // content/reactions.toml: ❤ pays 3 on free posts, 5 on VIP posts.
        assert_eq!(react(&coordinator, 1, free, &["❤"]).await, Ok(3));
        assert_eq!(react(&coordinator, 1, vip, &["❤"]).await, Ok(5));
        // Removed and added again (Telegram sends it as newly added): paid once.
        assert_eq!(react(&coordinator, 1, free, &["❤"]).await, Err(RuleError::AlreadyRewarded));
        // Another emoji on the same post pays; a repeat inside one update once.
        assert_eq!(react(&coordinator, 1, free, &["🔥", "🔥", "❤"]).await, Ok(2));
        // The third paid reaction completes the daily mission "react to
        // three posts" (content/missions.toml: 10 besitos).
        assert_eq!(balance(router, 1).await, 10 + 3 + 5 + 2 + 10);

        // Unknown posts: one never published, a private chat's message.
        for unknown in [post(FREE, 99), post(1, 5)] {
            assert_eq!(react(&coordinator, 1, unknown, &["❤"]).await, Err(RuleError::UnknownPost));
        }
        // Not registered yet: refused by the player's actor, nothing paid.
        assert_eq!(react(&coordinator, 2, free, &["❤"]).await, Err(RuleError::UnknownUser));
        assert_eq!(balance(router, 1).await, 30);

        let engagement = coordinator.posts().engagement(free).await.unwrap();
        assert_eq!(engagement, Engagement { reactions: 2, unique_reactors: 1, besitos_paid: 5 });
        runtime.flusher.flushed().await.unwrap();
        assert_eq!(stored_engagement(&runtime.store, free).await, engagement);
        runtime.router.shutdown().await;
        db.drop_db().await;
    });
}

#[test]
fn paid_reactions_stop_at_the_daily_cap() {
    run(async {
        let db = TestDb::postgres().await;
        let runtime = start_runtime(db.store().await, ActorConfig::default()).await;
        let coordinator = Coordinator::new(runtime.router.clone(), runtime.store.clone());
        register(&runtime.router, 1).await;
        // content/reactions.toml: at most 30 paid reactions a day.
        for message_id in 1..=31 {
            publish(&coordinator, post(FREE, message_id), ReactionTarget::FreePost).await;
        }
        for message_id in 1..=30 {
            assert_eq!(react(&coordinator, 1, post(FREE, message_id), &["👍"]).await, Ok(1));
        }
        let before = balance(&runtime.router, 1).await;
        let refused = react(&coordinator, 1, post(FREE, 31), &["👍"]).await;
        assert_eq!(refused, Err(RuleError::DailyReactionLimit { limit: 30 }));
        assert_eq!(balance(&runtime.router, 1).await, before);
        let engagement = coordinator.posts().engagement(post(FREE, 31)).await.unwrap();
        assert_eq!(engagement, Engagement::default(), "a refused reaction is not counted");
        runtime.router.shutdown().await;
        db.drop_db().await;
    });
}

#[test]
fn engagement_counts_concurrent_reactors_and_survives_a_restart() {
    const PLAYERS: i64 = 60;
    run(async {
        let db = TestDb::postgres().await;
        let runtime = start_runtime(db.store().await, ActorConfig::default()).await;
        let coordinator = Coordinator::new(runtime.router.clone(), runtime.store.clone());
        let hot = post(FREE, 7);
        publish(&coordinator, hot, ReactionTarget::FreePost).await;
        join_all((1..=PLAYERS).map(|user| register(&runtime.router, user))).await;
        // Everyone at once, twice (the second time with a re-delivered
        // update, which the player's actor drops).
        let reactions = (1..=PLAYERS).flat_map(|user| {
            let coordinator = coordinator.clone();
            [0, 0].map(move |_| {
                let coordinator = coordinator.clone();
                async move {
                    let update = Some(UpdateId::new(1_000 + user, 0));
                    coordinator.react(UserId(user), update, hot, vec!["❤".to_owned(), "🔥".to_owned()]).await
                }
            })
        });
        let outcomes = join_all(reactions).await;
        let paid: i64 = outcomes.into_iter().map(|outcome| outcome.unwrap().unwrap_or(0)).sum();
        assert_eq!(paid, PLAYERS * 5, "each player paid ❤ 3 + 🔥 2 once");
        let expected =
            Engagement { reactions: 2 * PLAYERS as u64, unique_reactors: PLAYERS as u64, besitos_paid: paid };
        assert_eq!(coordinator.posts().engagement(hot).await.unwrap(), expected);
        runtime.flusher.flushed().await.unwrap();
        assert_eq!(stored_engagement(&runtime.store, hot).await, expected);
        runtime.router.shutdown().await;

        // A new process: posts and counters come back from the store.
        let runtime = start_runtime(db.store().await, ActorConfig::default()).await;
        let coordinator = Coordinator::new(runtime.router.clone(), runtime.store.clone());
        assert_eq!(coordinator.posts().engagement(hot).await.unwrap(), expected);
        let recent = coordinator.posts().recent(5).await.unwrap();
        assert_eq!(recent.len(), 1);
        assert_eq!((recent[0].0.post, recent[0].1), (hot, expected));
        assert_eq!(react(&coordinator, 1, hot, &["❤"]).await, Err(RuleError::AlreadyRewarded));
        assert_eq!(react(&coordinator, 1, post(FREE, 8), &["❤"]).await, Err(RuleError::UnknownPost));
        runtime.router.shutdown().await;
        db.drop_db().await;
    });
}
