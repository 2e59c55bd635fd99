//! Hostile updates through the real webhook: every body is answered 200
//! (applied, ignored, refused or dead-lettered), 401 (wrong secret) or 413
//! (larger than any real update), and a body the translation refuses or
//! ignores writes nothing. The generator is the one `telegram::fuzz` runs a
//! million cases of at the translation level (`dianabot_test_support::hostile`).

use std::collections::BTreeSet;

use dianabot::AuctionLimits;
use dianabot::telegram::callback::{Action, CallbackCodec, InvoicePayload, tag};
use dianabot::telegram::translate::{Translation, Translator};
use dianabot::telegram::webhook::parse_update;
use dianabot_game::{Language, UserId};
use dianabot_test_support::hostile::{Genuine, hostile_update};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

use crate::common::server::{ServerProcess, WEBHOOK_SECRET};
use crate::common::{TestDb, run};

const INPUTS: usize = 300;
const CALLBACK_SECRET: &str = "fuzz-callback-secret";
const OPERATOR: u64 = 1;
/// actix-web's default body limit: far beyond any update Telegram sends
/// (a text holds at most 4,096 characters), so a larger body is refused
/// with 413 before the secret is read.
const BODY_LIMIT: usize = 256 * 1024;

const TABLES: &[&str] = &[
    "users",
    "balances",
    "ledger",
    "inventory",
    "user_snapshots",
    "analytics_events",
    "pending_transfers",
    "reactions",
    "purchases",
    "stock_reservations",
    "auctions",
    "auction_holds",
    "posts",
    "fragment_reactions",
];

/// Inputs that once broke the webhook, sent before the generated ones.
const REGRESSIONS: &[&str] = &[
    // teloxide-core's parser panicked on a reaction with neither `user` nor `actor_chat`.
    r#"{"update_id":1,"message_reaction":{"chat":{"id":-1001,"type":"channel","title":"Diana"},"message_id":7,
        "date":1700000000,"old_reaction":[],"new_reaction":[{"type":"emoji","emoji":"x"}]}}"#,
];

/// Rows in every table of the store.
async fn rows(pool: &sqlx::PgPool) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in TABLES {
        let query = sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}"));
        counts.push(sqlx::query_scalar(query).fetch_one(pool).await.expect("count rows"));
    }
    counts
}

fn genuine(codec: &CallbackCodec) -> Genuine {
    let users = [OPERATOR, 2, 3];
    let actions =
        [Action::Menu, Action::SetLanguage(Language::En), Action::BuyWithBesitos { item: tag("mapa") }, Action::Ledger];
    let buttons = users
        .iter()
        .flat_map(|&user| actions.iter().map(move |&action| (user, codec.encode(UserId(user as i64), action))))
        .collect();
    let invoices = users
        .iter()
        .map(|&user| {
            let invoice = InvoicePayload { purchase: 77, buyer: UserId(user as i64), item: "mapa".into(), stars: 12 };
            (user, codec.sign_invoice(&invoice))
        })
        .collect();
    Genuine { buttons, invoices }
}

#[test]
fn hostile_updates_are_answered_as_designed_and_refusals_write_nothing() {
    run(async {
        let db = TestDb::postgres().await;
        let env = [("CALLBACK_SECRET", CALLBACK_SECRET), ("ADMIN_IDS", "1")];
        let server = ServerProcess::webhook_with(&db.url, &env).await;
        let pool = sqlx::PgPool::connect(&db.url).await.expect("connect");
        let translator = Translator {
            codec: CallbackCodec::new(CALLBACK_SECRET.as_bytes()),
            operators: std::sync::Arc::new(dianabot::operators::Roster::new(
                [dianabot_game::UserId(OPERATOR as i64)],
                std::sync::Arc::new(dianabot::content::load_demo().expect("demo content")),
                dianabot_plumbing::Clock::system(),
            )),
            auctions: AuctionLimits::default(),
            vip_channel: None,
            // As the test server is configured: its channel, and no getMe
            // (a webhook server without Telegram).
            channels: BTreeSet::from([crate::common::server::CHANNEL]),
            username: None,
        };
        let strategy = hostile_update(genuine(&translator.codec));
        let mut runner = TestRunner::deterministic();
        let client = reqwest::Client::new();
        let (mut sent, mut checked_unchanged) = (0, 0);
        let regressions = REGRESSIONS.iter().map(|body| body.as_bytes().to_vec());
        let generated = (0..INPUTS).map(|_| strategy.new_tree(&mut runner).expect("generate an update").current());
        for (case, body) in regressions.chain(generated).enumerate() {
            let wrong_secret = case % 10 == 9;
            let refused = wrong_secret
                || match parse_update(&body) {
                    Err(_) => true,
                    Ok(update) => matches!(
                        translator.translate(&update),
                        Translation::Refuse { .. } | Translation::RefuseButton { .. } | Translation::Ignore(_)
                    ),
                };
            let before = if refused { Some(rows(&pool).await) } else { None };
            let expected = match (body.len() > BODY_LIMIT, wrong_secret) {
                (true, _) => 413,
                (false, true) => 401,
                (false, false) => 200,
            };
            let response = client
                .post(server.webhook_url())
                .header("content-type", "application/json")
                .header("X-Telegram-Bot-Api-Secret-Token", if wrong_secret { "wrong" } else { WEBHOOK_SECRET })
                .body(body.clone())
                .send()
                .await
                .expect("webhook answers");
            let shown = String::from_utf8_lossy(&body[..body.len().min(600)]).into_owned();
            assert_eq!(response.status().as_u16(), expected, "case {case}, body {shown}\nlog:\n{}", server.log_text());
            if let Some(before) = before {
                assert_eq!(rows(&pool).await, before, "case {case} was refused but wrote: {shown}");
                checked_unchanged += 1;
            }
            sent += 1;
        }
        // Most inputs were sent, and both refusals and updates that reach the game were among them.
        assert!(sent > INPUTS * 3 / 4, "only {sent} of {INPUTS} inputs sent");
        assert!(checked_unchanged > INPUTS / 5, "only {checked_unchanged} refusals checked");
        assert!(sent - checked_unchanged > INPUTS / 10, "only {} inputs reached the game", sent - checked_unchanged);
        pool.close().await;
        drop(server);
        db.drop_db().await;
    });
}
