//! Helpers the integration tests of several crates start from: isolated
//! databases, the demo content and a running actor runtime, and the
//! conservation checks run against the store; hostile Telegram updates for
//! the fuzz properties. A dev-dependency only.

pub mod history;
pub mod hostile;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use dianabot_actors::{ActorConfig, AuctionHouse, DispatchError, Envelope, Router};
use dianabot_game::auction::{Auction, AuctionStatus};
use dianabot_game::content::{Content, ContentProblem};
use dianabot_game::{Besitos, Command, Language, ProfileCommand, Rules, UserId, UserState};
use dianabot_persistence::{FlushConfig, Flusher, Store};
use sqlx::Connection;

/// The Postgres server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// A database of its own for one test, dropped by [`TestDb::drop_db`].
pub struct TestDb {
    pub url: String,
    name: Option<String>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    pub async fn postgres() -> TestDb {
        let admin = postgres_admin_url();
        let name = format!(
            "dianabot_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            fastrand::u32(..)
        );
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|err| {
            panic!("Postgres is needed at {admin} (set TEST_DATABASE_URL): {err}; run the tests with scripts/test.sh")
        });
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let (base, _) = admin.rsplit_once('/').expect("database url has a path");
        TestDb { url: format!("{base}/{name}"), name: Some(name) }
    }

    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Postgres => TestDb::postgres().await,
            Backend::Sqlite => TestDb::sqlite(),
        }
    }

    pub fn sqlite() -> TestDb {
        let path = std::env::temp_dir().join(format!(
            "dianabot-test-{}-{}-{}.db",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            fastrand::u32(..)
        ));
        TestDb { url: format!("sqlite:{}", path.display()), name: None }
    }

    pub async fn store(&self) -> Store {
        Store::open(&self.url).await.expect("open store")
    }

    pub async fn drop_db(self) {
        match self.name {
            Some(name) => {
                let mut conn = sqlx::PgConnection::connect(&postgres_admin_url()).await.expect("connect");
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                    .execute(&mut conn)
                    .await;
            }
            None => {
                let path = self.url.trim_start_matches("sqlite:");
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{path}{suffix}"));
                }
            }
        }
    }
}

/// Actors, flusher and store, without any Telegram.
pub struct Runtime {
    pub router: Router,
    pub flusher: Flusher,
    pub store: Store,
}

pub async fn start_runtime(store: Store, actors: ActorConfig) -> Runtime {
    let (flusher, _task) = Flusher::spawn(store.clone(), FlushConfig::default());
    let content = Arc::new(load_demo().expect("demo content"));
    let router = Router::start(actors, store.clone(), flusher.clone(), Arc::new(Rules::default()), content);
    Runtime { router, flusher, store }
}

/// (user, stored balance, sum of that user's ledger amounts), from SQL.
pub async fn balances_and_ledger_sums(store: &Store) -> Vec<(i64, i64, i64)> {
    let sql = "SELECT b.user_id, b.besitos,
                      CAST(COALESCE((SELECT SUM(l.amount) FROM ledger l WHERE l.user_id = b.user_id), 0) AS BIGINT)
               FROM balances b ORDER BY b.user_id";
    let rows = match store {
        Store::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await,
        Store::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await,
    };
    rows.expect("query balances")
}

/// Runs an async test body inside the runtime the server uses
/// (`dianabot::run_actix`, which this crate cannot depend on): an actix
/// system on a two-worker tokio runtime.
pub fn run<F: std::future::Future>(future: F) -> F::Output {
    actix_rt::System::with_tokio_rt(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("building the tokio runtime")
    })
    .block_on(future)
}

/// The demo content shipped in `content/`, read and validated as the server
/// reads it (`dianabot::content::load_demo`).
pub fn load_demo() -> Result<Content, Vec<ContentProblem>> {
    let mut files = Vec::new();
    read_toml_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../content"), "", &mut files);
    files.sort();
    Content::parse(&files)
}

/// Every `.toml` file under `dir` (skipping hidden entries) as `(path under
/// the content folder with '/' separators, text)`.
fn read_toml_files(dir: &Path, prefix: &str, out: &mut Vec<(String, String)>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        let name = path.file_name().and_then(|name| name.to_str()).unwrap_or(".").to_owned();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            read_toml_files(&path, &format!("{prefix}{name}/"), out);
        } else if path.extension().is_some_and(|ext| ext == "toml") {
            let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("cannot read {name}: {error}"));
            out.push((format!("{prefix}{name}"), text));
        }
    }
}

/// Besitos are conserved across sagas: every transfer account holds what
/// left its giver and has not reached its receiver — never less than zero,
/// and never without a saga-log row to finish it — every auction's escrow
/// account holds exactly its bids still `held` in the escrow saga log, and
/// Σ balances + what those accounts hold == Σ entries against system
/// accounts (faucets − sinks).
pub async fn assert_conserved(store: &Store) {
    let Store::Postgres(pool) = store else { unreachable!() };
    let transfers: Vec<(String, i64)> = sqlx::query_as(
        "SELECT counter_account, CAST(SUM(amount) AS BIGINT) FROM ledger
         WHERE counter_account LIKE 'transfer:%' GROUP BY counter_account",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let pending: std::collections::BTreeSet<i64> =
        store.pending_transfers().await.unwrap().iter().map(|transfer| transfer.transfer).collect();
    let mut in_flight = 0;
    for (account, sum) in transfers {
        assert!(sum <= 0, "{account} paid out more than it took in ({sum})");
        let id: i64 = account.trim_start_matches("transfer:").parse().unwrap();
        if sum < 0 {
            assert!(pending.contains(&id), "{account} holds {} besitos with no saga to finish it", -sum);
        }
        in_flight -= sum;
    }
    let escrow = assert_escrow_matches_holds(store).await;
    let balances: i64 = balances_and_ledger_sums(store).await.iter().map(|(_, balance, _)| balance).sum();
    let (system,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM ledger WHERE counter_account LIKE 'system:%'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(balances + in_flight + escrow, system, "besitos created or destroyed");
    for (user, balance, ledger) in balances_and_ledger_sums(store).await {
        assert_eq!(balance, ledger, "user {user}");
        assert!(balance >= 0, "user {user} went negative");
    }
}

/// Applies `command` to `user` (no update id) and waits until durable.
pub async fn apply(router: &Router, user: i64, command: Command) -> Result<(), DispatchError> {
    let envelope = Envelope { user_id: UserId(user), update_id: None, command };
    router.dispatch(envelope, |_, _| ()).await?.durable.wait().await
}

/// Registers `user` as `u<user>` (username too), with the welcome bonus.
pub async fn register(router: &Router, user: i64) {
    let command = Command::Profile(ProfileCommand::Register {
        first_name: format!("u{user}"),
        username: Some(format!("u{user}")),
        language: Language::Es,
    });
    apply(router, user, command).await.unwrap();
}

pub async fn balance(router: &Router, user: i64) -> i64 {
    router.view(UserId(user), |state: &UserState| state.wallet.balance).await.unwrap()
}

pub fn besitos(amount: i64) -> Besitos {
    Besitos::new(amount).unwrap()
}

/// Each auction's escrow account (from the ledger) holds exactly the sum of
/// its bids `held` in the saga log; returns what all escrow holds.
pub async fn assert_escrow_matches_holds(store: &Store) -> i64 {
    let Store::Postgres(pool) = store else { unreachable!() };
    let escrow: std::collections::BTreeMap<i64, i64> = sqlx::query_as::<_, (String, i64)>(
        "SELECT counter_account, CAST(-SUM(amount) AS BIGINT) FROM ledger
         WHERE counter_account LIKE 'escrow:%' GROUP BY counter_account",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .map(|(account, held)| (account.trim_start_matches("escrow:").parse().unwrap(), held))
    .filter(|(_, held)| *held != 0)
    .collect();
    let held: std::collections::BTreeMap<i64, i64> = sqlx::query_as(
        "SELECT auction_id, CAST(SUM(amount) AS BIGINT) FROM auction_holds WHERE status = 'held' GROUP BY auction_id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    assert_eq!(escrow, held, "escrow accounts (ledger) against held bids (saga log)");
    escrow.values().sum()
}

/// Units sold of `item` per the stock keeper's table, and buyers holding it
/// per the inventory table.
pub async fn sold_and_held(store: &Store, shop_item: &str, item: &str) -> (i64, i64) {
    let Store::Postgres(pool) = store else { unreachable!() };
    let (sold,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM stock_reservations WHERE item_id = $1 AND status = 'sold'")
            .bind(shop_item)
            .fetch_one(pool)
            .await
            .unwrap();
    let (held,): (i64,) = sqlx::query_as("SELECT COALESCE(SUM(quantity), 0)::bigint FROM inventory WHERE item_id = $1")
        .bind(item)
        .fetch_one(pool)
        .await
        .unwrap();
    (sold, held)
}

/// Waits until `auction` is closed or cancelled and nothing of it is held
/// but a closed auction's winning bid — already consumed by then.
pub async fn settled(house: &AuctionHouse, store: &Store, auction: i64) -> Auction {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let state = house.auction(auction).await.unwrap().expect("auction exists");
        if state.status != AuctionStatus::Open && store.held_bids(Some(auction)).await.unwrap().is_empty() {
            return state;
        }
        assert!(Instant::now() < deadline, "auction {auction} not settled: {state:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Registers `users` straight in the store, as `/start` (and `/noticias
/// off` for those with `true`) would have left them, in batches: thousands
/// of players without a Telegram round trip each. The server loads them as
/// any other player (their rows and snapshots are the flusher's own).
pub async fn register_in_store(store: &Store, users: impl IntoIterator<Item = (i64, bool)>) {
    use dianabot_game::{Ctx, decide};
    use dianabot_persistence::UserWrite;
    let rules = Rules::default();
    let content = load_demo().expect("demo content");
    let ctx = Ctx { now: 1_700_000_000, rules: &rules, content: &content, update_id: None };
    let mut batch = Vec::new();
    let users: Vec<_> = users.into_iter().collect();
    for (index, &(user, opted_out)) in users.iter().enumerate() {
        let mut state = UserState::new(UserId(user));
        let register = Command::Profile(ProfileCommand::Register {
            first_name: format!("u{user}"),
            username: None,
            language: Language::Es,
        });
        let opt_out = Command::Profile(ProfileCommand::SetBroadcastsOptOut(true));
        let commands = if opted_out { vec![register, opt_out] } else { vec![register] };
        let mut write: Option<UserWrite> = None;
        for command in &commands {
            let events = decide(&state, command, ctx).expect("registering");
            events.iter().for_each(|event| state.apply(event));
            state.version += 1;
            let next = UserWrite::from_events(&state, &events, ctx.now);
            match &mut write {
                Some(write) => write.merge(next),
                None => write = Some(next),
            }
        }
        batch.extend(write);
        if batch.len() == 1_000 || index + 1 == users.len() {
            store.write_batch(&batch).await.expect("writing registered players");
            batch.clear();
        }
    }
}
