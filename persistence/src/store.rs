//! One API over the two backends.

use std::str::FromStr;
use std::time::Duration;

use dianabot_game::auction::{Auction, AuctionStatus};
use dianabot_game::content::ReactionTarget;
use dianabot_game::content::RoleId;
use dianabot_game::post::{Engagement, Post};
use dianabot_game::roles::{AuditEntry, AuditOutcome, OperatorAction, RoleGrant};
use dianabot_game::{PostRef, UpdateId, UserId, UserState};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

use crate::fence::fenced_write;
use crate::leaderboards::ScoreDelta;
use crate::write::{StoredAuction, held_bid};
use crate::{HeldBid, OpenTransfer, PurchaseStatus, StoreError, UserWrite, postgres, sqlite};

/// Ids per [`Store::allocate_ids`]; the Postgres sequence's increment.
pub const ID_BLOCK: i64 = 1_000;

/// A unit of a limited item held for a purchase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reservation {
    pub purchase: i64,
    pub user: UserId,
    /// Unix seconds after which it lapses unless sold; `None` while a saga
    /// holds it (the saga or its recovery always sells or releases it).
    pub expires_at: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReservationStatus {
    Reserved,
    Sold,
    Released,
}

impl ReservationStatus {
    fn parse(text: &str) -> Option<ReservationStatus> {
        [ReservationStatus::Reserved, ReservationStatus::Sold, ReservationStatus::Released]
            .into_iter()
            .find(|status| status.as_str() == text)
    }

    fn as_str(self) -> &'static str {
        match self {
            ReservationStatus::Reserved => "reserved",
            ReservationStatus::Sold => "sold",
            ReservationStatus::Released => "released",
        }
    }
}

/// Runs one query text on whichever backend (both accept `$n` parameters).
macro_rules! on_both {
    ($store:expr, |$pool:ident| $body:expr) => {
        match $store {
            Store::Postgres($pool) => $body,
            Store::Sqlite($pool) => $body,
        }
    };
}
pub(crate) use on_both;

/// Selects every column of `auctions` (what [`StoredAuction`] reads).
macro_rules! select_auctions {
    ($where:literal) => {
        concat!(
            "SELECT auction_id, item_id, quantity, starting_bid, min_increment, extension_secs, ends_at, status,
                    top_bidder, top_bid, top_amount, created_by, created_at FROM auctions ",
            $where
        )
    };
}

/// What a batch's transaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// Committed; the leaderboard score changes it stored, summed once.
    Committed(Vec<crate::ScoreDelta>),
    /// Nothing written: these (shard, token) claims no longer hold.
    Fenced(Vec<(u32, i64)>),
}

/// The database. Cheap to clone (a pool handle).
#[derive(Clone, Debug)]
pub enum Store {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

impl Store {
    /// Connects to `url` (`postgres://…` or `sqlite:…`) and applies pending
    /// migrations.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let store = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            // No JIT: the server's statements are small, and on the
            // reports' scans of 10^6 rows compiling cost more (0.1-0.25 s
            // a statement) than it saved.
            let options = PgConnectOptions::from_str(url)?.options([("jit", "off")]);
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            Store::Postgres(pool)
        } else if url.starts_with("sqlite:") {
            // WAL lets loads read while the flusher writes; FULL makes every
            // commit survive power loss, which is what acknowledging after
            // commit promises (group commit keeps the fsyncs few).
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await?;
            Store::Sqlite(pool)
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Store::Postgres(pool) => sqlx::migrate!("../migrations/postgres").run(pool).await?,
            Store::Sqlite(pool) => sqlx::migrate!("../migrations/sqlite").run(pool).await?,
        }
        Ok(())
    }

    /// Loads a user's last durable state; `None` for a user never stored.
    pub async fn load_user(&self, user: UserId) -> Result<Option<UserState>, StoreError> {
        match self {
            Store::Postgres(pool) => postgres::load_user(pool, user.0).await,
            Store::Sqlite(pool) => sqlite::load_user(pool, user.0).await,
        }
    }

    /// Writes a batch of users' changes in one transaction: all or nothing.
    /// At most one write per user (the flusher coalesces before calling).
    /// Returns the leaderboard score changes it committed, summed once, for
    /// the in-memory boards.
    pub async fn write_batch(&self, writes: &[UserWrite]) -> Result<Vec<ScoreDelta>, StoreError> {
        match self.write_batch_fenced(writes, &[]).await? {
            Written::Committed(scores) => Ok(scores),
            Written::Fenced(_) => unreachable!("a batch without a fence has no claim to fence"),
        }
    }

    // cluster
    /// [`Store::write_batch`] fenced (clustering on): `fence` holds, for each
    /// shard the writes touch, the token this node serves it under. In the
    /// same transaction, every shard's `shard_epochs` row must carry that
    /// token; if one does not (a newer owner recorded its own), nothing is
    /// written and the claims so fenced are returned: the caller drops
    /// their writes and stores the rest. An empty fence fences nothing.
    pub async fn write_batch_fenced(&self, writes: &[UserWrite], fence: &[(u32, i64)]) -> Result<Written, StoreError> {
        match self {
            Store::Postgres(pool) => postgres::write_batch(pool, writes, fence).await,
            Store::Sqlite(pool) => sqlite::write_batch(pool, writes, fence).await,
        }
    }

    /// Gifts in flight: the sagas a coordinator must finish after a restart.
    pub async fn pending_transfers(&self) -> Result<Vec<OpenTransfer>, StoreError> {
        match self {
            Store::Postgres(pool) => postgres::pending_transfers(pool).await,
            Store::Sqlite(pool) => sqlite::pending_transfers(pool).await,
        }
    }

    /// Transfer `transfer`, if it is still in flight.
    pub async fn pending_transfer(&self, transfer: i64) -> Result<Option<OpenTransfer>, StoreError> {
        let sql = "SELECT transfer_id, from_user, to_user, amount, opened_at FROM pending_transfers
                   WHERE transfer_id = $1";
        let row: Option<(i64, i64, i64, i64, i64)> =
            on_both!(self, |pool| sqlx::query_as(sql).bind(transfer).fetch_optional(pool).await?);
        Ok(row.map(crate::write::open_transfer))
    }

    /// A block of ids nobody was given before, for purchases, transfers,
    /// auctions and bids ([`ID_BLOCK`] of them). Allocated in the store, so
    /// no restart or clock step can hand out one twice.
    pub async fn allocate_ids(&self) -> Result<std::ops::Range<i64>, StoreError> {
        let start: i64 = match self {
            Store::Postgres(pool) => sqlx::query_scalar("SELECT nextval('business_ids')").fetch_one(pool).await?,
            Store::Sqlite(pool) => {
                sqlx::query_scalar("UPDATE id_blocks SET next_id = next_id + $1 RETURNING next_id - $1")
                    .bind(ID_BLOCK)
                    .fetch_one(pool)
                    .await?
            }
        };
        Ok(start..start + ID_BLOCK)
    }

    /// Stores a new auction; `false` if one with its id exists already (a
    /// re-delivered creation), which is left as it is.
    pub async fn insert_auction(&self, auction: &Auction) -> Result<bool, StoreError> {
        self.insert_auction_for(auction, None, None).await
    }

    /// Stores a new auction created by the update of fingerprint
    /// `created_by_update`; `false` if that update or the id created one
    /// already (a re-delivered creation), which is left as it is. With
    /// `fence` (clustering: the auction's shard and this node's token for
    /// it) nothing is written unless the shard still carries the token
    /// ([`StoreError::Fenced`]).
    pub async fn insert_auction_for(
        &self,
        auction: &Auction,
        created_by_update: Option<u64>,
        fence: Option<(u32, i64)>,
    ) -> Result<bool, StoreError> {
        let sql = "INSERT INTO auctions (auction_id, item_id, quantity, starting_bid, min_increment, extension_secs,
                       ends_at, status, top_bidder, top_bid, top_amount, created_by, created_at, created_by_update)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
                   ON CONFLICT DO NOTHING";
        let top = auction.top;
        let done = fenced_write!(self, fence, |conn| sqlx::query(sql)
            .bind(auction.id)
            .bind(&auction.item.0)
            .bind(i32::try_from(auction.quantity).unwrap_or(i32::MAX))
            .bind(auction.starting_bid)
            .bind(auction.min_increment)
            .bind(auction.extension_secs)
            .bind(auction.ends_at)
            .bind(auction.status.as_str())
            .bind(top.map(|top| top.bidder.0))
            .bind(top.map(|top| top.bid))
            .bind(top.map(|top| top.amount))
            .bind(auction.created_by.0)
            .bind(auction.created_at)
            .bind(created_by_update.map(|update| update as i64))
            .execute(conn)
            .await?
            .rows_affected());
        Ok(done == 1)
    }

    /// Marks a Stars charge paid back (`refundStarPayment` succeeded).
    pub async fn charge_refunded(&self, charge: &str) -> Result<(), StoreError> {
        let sql = "UPDATE star_charges SET status = 'refunded' WHERE charge_id = $1";
        on_both!(self, |pool| sqlx::query(sql).bind(charge).execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// The auction the update of fingerprint `update` created, if any.
    pub async fn auction_created_by(&self, update: u64) -> Result<Option<Auction>, StoreError> {
        let sql = select_auctions!("WHERE created_by_update = $1");
        let row: Option<StoredAuction> =
            on_both!(self, |pool| sqlx::query_as(sql).bind(update as i64).fetch_optional(pool).await?);
        row.map(StoredAuction::into_auction).transpose()
    }

    /// Writes what an auction's actor changed: status, end, top bid;
    /// fenced as [`Store::insert_auction_for`].
    pub async fn save_auction(&self, auction: &Auction, fence: Option<(u32, i64)>) -> Result<(), StoreError> {
        let sql = "UPDATE auctions SET status = $2, ends_at = $3, top_bidder = $4, top_bid = $5, top_amount = $6
                   WHERE auction_id = $1";
        let top = auction.top;
        fenced_write!(self, fence, |conn| sqlx::query(sql)
            .bind(auction.id)
            .bind(auction.status.as_str())
            .bind(auction.ends_at)
            .bind(top.map(|top| top.bidder.0))
            .bind(top.map(|top| top.bid))
            .bind(top.map(|top| top.amount))
            .execute(conn)
            .await
            .map(|_| ())?);
        Ok(())
    }

    pub async fn load_auction(&self, id: i64) -> Result<Option<Auction>, StoreError> {
        let sql = select_auctions!("WHERE auction_id = $1");
        let row: Option<StoredAuction> =
            on_both!(self, |pool| sqlx::query_as(sql).bind(id).fetch_optional(pool).await?);
        row.map(StoredAuction::into_auction).transpose()
    }

    /// Auctions in `status`, oldest first.
    pub async fn auctions(&self, status: AuctionStatus) -> Result<Vec<Auction>, StoreError> {
        let sql = select_auctions!("WHERE status = $1 ORDER BY auction_id");
        let rows: Vec<StoredAuction> =
            on_both!(self, |pool| sqlx::query_as(sql).bind(status.as_str()).fetch_all(pool).await?);
        rows.into_iter().map(StoredAuction::into_auction).collect()
    }

    /// Bids whose besitos are still in escrow, of one auction or of all.
    pub async fn held_bids(&self, auction: Option<i64>) -> Result<Vec<HeldBid>, StoreError> {
        let sql = "SELECT auction_id, bid_id, user_id, amount, held_at FROM auction_holds
                   WHERE status = 'held' AND ($1 IS NULL OR auction_id = $1) ORDER BY auction_id, bid_id";
        let rows: Vec<(i64, i64, i64, i64, i64)> =
            on_both!(self, |pool| sqlx::query_as(sql).bind(auction).fetch_all(pool).await?);
        Ok(rows.into_iter().map(held_bid).collect())
    }

    /// The id of the registered user with this Telegram username, if any
    /// (case-insensitive, as Telegram usernames are).
    pub async fn find_user_by_username(&self, username: &str) -> Result<Option<UserId>, StoreError> {
        let sql = "SELECT user_id FROM users WHERE lower(username) = lower($1)";
        let found: Option<(i64,)> =
            on_both!(self, |pool| sqlx::query_as(sql).bind(username).fetch_optional(pool).await?);
        Ok(found.map(|(id,)| UserId(id)))
    }

    /// A user's last `limit` ledger entries, newest first: `(amount, reason,
    /// unix seconds)`. Durable entries only, which trail memory by the
    /// flush lag (milliseconds).
    pub async fn recent_ledger(&self, user: UserId, limit: i64) -> Result<Vec<(i64, String, i64)>, StoreError> {
        let sql = "SELECT amount, reason, created_at FROM ledger WHERE user_id = $1 ORDER BY seq DESC LIMIT $2";
        let rows = on_both!(self, |pool| sqlx::query_as(sql).bind(user.0).bind(limit).fetch_all(pool).await?);
        Ok(rows)
    }

    /// Purchases in besitos a crash left between payment and delivery:
    /// `(purchase, buyer, item)`, oldest first.
    pub async fn pending_purchases(&self) -> Result<Vec<(i64, UserId, String)>, StoreError> {
        let sql = "SELECT purchase_id, user_id, item_id FROM purchases WHERE status = 'pending' ORDER BY purchase_id";
        let rows: Vec<(i64, i64, String)> = on_both!(self, |pool| sqlx::query_as(sql).fetch_all(pool).await?);
        Ok(rows.into_iter().map(|(purchase, user, item)| (purchase, UserId(user), item)).collect())
    }

    /// The status of purchase `purchase`, if it was ever written.
    pub async fn purchase_status(&self, purchase: i64) -> Result<Option<PurchaseStatus>, StoreError> {
        let sql = "SELECT status FROM purchases WHERE purchase_id = $1";
        let row: Option<(String,)> =
            on_both!(self, |pool| sqlx::query_as(sql).bind(purchase).fetch_optional(pool).await?);
        row.map(|(status,)| {
            PurchaseStatus::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("purchase {purchase} has status {status}")))
        })
        .transpose()
    }

    /// What became of the gift `update` sent from `giver` to `receiver`,
    /// from the ledger: `None` if it sent none; else whether the receiver
    /// got it and whether the giver got it back (neither: in flight).
    pub async fn gift_sent_by(
        &self,
        giver: UserId,
        receiver: UserId,
        update: UpdateId,
    ) -> Result<Option<(bool, bool)>, StoreError> {
        let sql = "SELECT
                     EXISTS (SELECT 1 FROM ledger r WHERE r.user_id = $2 AND r.reason = 'gift_received'
                             AND r.counter_account = s.counter_account),
                     EXISTS (SELECT 1 FROM ledger b WHERE b.user_id = $1 AND b.reason = 'gift_refund'
                             AND b.counter_account = s.counter_account)
                   FROM ledger s WHERE s.user_id = $1 AND s.update_id = $3 AND s.reason = 'gift_sent'
                   ORDER BY s.seq DESC LIMIT 1";
        Ok(on_both!(self, |pool| sqlx::query_as(sql)
            .bind(giver.0)
            .bind(receiver.0)
            .bind(update.id)
            .fetch_optional(pool)
            .await?))
    }

    /// The status of `user`'s latest purchase of `item` in besitos, if
    /// `update` paid for one (its debit is in the ledger); `None` if it did not.
    pub async fn purchase_paid_by(
        &self,
        user: UserId,
        item: &str,
        update: UpdateId,
    ) -> Result<Option<PurchaseStatus>, StoreError> {
        // Ids come in blocks per node, so the latest is by time first.
        let sql = "SELECT p.status FROM purchases p
                   WHERE p.user_id = $1 AND p.item_id = $2 AND p.currency = 'besitos'
                     AND EXISTS (SELECT 1 FROM ledger l WHERE l.user_id = $1 AND l.update_id = $3
                                 AND l.reason = 'purchase' AND l.amount < 0)
                   ORDER BY p.created_at DESC, p.purchase_id DESC LIMIT 1";
        let row: Option<(String,)> = on_both!(self, |pool| sqlx::query_as(sql)
            .bind(user.0)
            .bind(item)
            .bind(update.id)
            .fetch_optional(pool)
            .await?);
        row.map(|(status,)| {
            PurchaseStatus::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("a purchase of {item} has status {status}")))
        })
        .transpose()
    }

    /// Units held by a saga (no expiry) whose purchase is over:
    /// `(item, purchase, buyer, final status of the purchase)`.
    pub async fn stale_reservations(&self) -> Result<Vec<(String, i64, UserId, PurchaseStatus)>, StoreError> {
        let sql = "SELECT r.item_id, r.purchase_id, r.user_id, COALESCE(p.status, 'failed')
                   FROM stock_reservations r LEFT JOIN purchases p ON p.purchase_id = r.purchase_id
                   WHERE r.status = 'reserved' AND r.expires_at IS NULL
                     AND (p.status IS NULL OR p.status <> 'pending')";
        let rows: Vec<(String, i64, i64, String)> = on_both!(self, |pool| sqlx::query_as(sql).fetch_all(pool).await?);
        rows.into_iter()
            .map(|(item, purchase, user, status)| {
                let status = PurchaseStatus::parse(&status)
                    .ok_or_else(|| StoreError::Corrupt(format!("purchase {purchase} has status {status}")))?;
                Ok((item, purchase, UserId(user), status))
            })
            .collect()
    }

    /// The Stars purchase paid with Telegram charge `charge`: `(buyer,
    /// purchase, item, status)`.
    pub async fn purchase_by_charge(&self, charge: &str) -> Result<Option<(UserId, i64, String, String)>, StoreError> {
        let sql = "SELECT user_id, purchase_id, item_id, status FROM purchases WHERE charge_id = $1";
        let row: Option<(i64, i64, String, String)> =
            on_both!(self, |pool| sqlx::query_as(sql).bind(charge).fetch_optional(pool).await?);
        Ok(row.map(|(user, purchase, item, status)| (UserId(user), purchase, item, status)))
    }

    /// Every unit of a limited item its keeper has handed out, with what
    /// became of it.
    pub async fn load_stock(&self, item: &str) -> Result<Vec<(Reservation, ReservationStatus)>, StoreError> {
        let sql = "SELECT purchase_id, user_id, status, expires_at FROM stock_reservations WHERE item_id = $1";
        let rows: Vec<(i64, i64, String, Option<i64>)> =
            on_both!(self, |pool| sqlx::query_as(sql).bind(item).fetch_all(pool).await?);
        rows.into_iter()
            .map(|(purchase, user, status, expires_at)| {
                let status = ReservationStatus::parse(&status)
                    .ok_or_else(|| StoreError::Corrupt(format!("reservation {purchase} has status {status}")))?;
                Ok((Reservation { purchase, user: UserId(user), expires_at }, status))
            })
            .collect()
    }

    /// Records what became of a unit of `item` for `purchase`; fenced as
    /// [`Store::insert_auction_for`] (`fence`: the item's shard and token).
    pub async fn put_reservation(
        &self,
        item: &str,
        reservation: &Reservation,
        status: ReservationStatus,
        now: i64,
        fence: Option<(u32, i64)>,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO stock_reservations (purchase_id, item_id, user_id, status, expires_at, updated_at)
                   VALUES ($1, $2, $3, $4, $5, $6)
                   ON CONFLICT (purchase_id) DO UPDATE SET status = excluded.status,
                       expires_at = excluded.expires_at, updated_at = excluded.updated_at";
        let Reservation { purchase, user, expires_at } = *reservation;
        fenced_write!(self, fence, |conn| {
            let query = sqlx::query(sql).bind(purchase).bind(item).bind(user.0).bind(status.as_str());
            query.bind(expires_at).bind(now).execute(conn).await?;
        });
        Ok(())
    }

    /// Records a post published in a channel; `false` if it was known
    /// already (a re-delivered `channel_post`), which is left as it is.
    pub async fn insert_post(&self, post: &Post) -> Result<bool, StoreError> {
        let sql = "INSERT INTO posts (chat_id, message_id, target, published_at, excerpt) VALUES ($1, $2, $3, $4, $5)
                   ON CONFLICT (chat_id, message_id) DO NOTHING";
        let done = on_both!(self, |pool| sqlx::query(sql)
            .bind(post.post.chat_id)
            .bind(post.post.message_id)
            .bind(post.target.key())
            .bind(post.published_at)
            .bind(&post.excerpt)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(done == 1)
    }

    /// Every post published, without counters.
    pub async fn posts(&self) -> Result<Vec<Post>, StoreError> {
        let sql = "SELECT chat_id, message_id, target, published_at, excerpt FROM posts";
        let rows: Vec<(i64, i32, String, i64, String)> =
            on_both!(self, |pool| sqlx::query_as(sql).fetch_all(pool).await?);
        rows.into_iter()
            .map(|(chat_id, message_id, target, published_at, excerpt)| {
                let post = PostRef { chat_id, message_id };
                let target = ReactionTarget::from_key(&target)
                    .ok_or_else(|| StoreError::Corrupt(format!("post {chat_id}/{message_id} has target {target}")))?;
                Ok(Post::new(post, target, published_at, &excerpt))
            })
            .collect()
    }

    /// The reactions paid on `post`: `(user, besitos)` each.
    pub async fn post_reactions(&self, post: PostRef) -> Result<Vec<(UserId, i64)>, StoreError> {
        let sql = "SELECT user_id, besitos FROM reactions WHERE chat_id = $1 AND message_id = $2";
        let rows: Vec<(i64, i64)> =
            on_both!(self, |pool| sqlx::query_as(sql).bind(post.chat_id).bind(post.message_id).fetch_all(pool).await?);
        Ok(rows.into_iter().map(|(user, besitos)| (UserId(user), besitos)).collect())
    }

    /// The `limit` story fragments with most paid reactions, with their
    /// engagement (the `fragment_engagement` view), most first.
    pub async fn fragment_engagement(&self, limit: u32) -> Result<Vec<(String, Engagement)>, StoreError> {
        let sql =
            "SELECT fragment_id, reactions, unique_reactors, CAST(besitos_paid AS BIGINT) FROM fragment_engagement
                   ORDER BY reactions DESC, fragment_id LIMIT $1";
        let rows: Vec<(String, i64, i64, i64)> =
            on_both!(self, |pool| sqlx::query_as(sql).bind(i64::from(limit)).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(fragment, reactions, unique_reactors, besitos_paid)| {
                let engagement = Engagement {
                    reactions: u64::try_from(reactions).unwrap_or_default(),
                    unique_reactors: u64::try_from(unique_reactors).unwrap_or_default(),
                    besitos_paid,
                };
                (fragment, engagement)
            })
            .collect())
    }

    /// Every role granted to a user (expired ones too: they stay until revoked).
    pub async fn role_grants(&self) -> Result<Vec<RoleGrant>, StoreError> {
        let sql = "SELECT user_id, role_id, granted_by, granted_at, expires_at FROM operator_roles
                   ORDER BY user_id, role_id";
        let rows: Vec<(i64, String, i64, i64, Option<i64>)> =
            on_both!(self, |pool| sqlx::query_as(sql).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(user, role, granted_by, granted_at, expires_at)| RoleGrant {
                user: UserId(user),
                role: RoleId(role),
                granted_by: UserId(granted_by),
                granted_at,
                expires_at,
            })
            .collect())
    }

    /// Grants a role, or replaces the terms of the same role held already.
    pub async fn put_role_grant(&self, grant: &RoleGrant) -> Result<(), StoreError> {
        let sql = "INSERT INTO operator_roles (user_id, role_id, granted_by, granted_at, expires_at)
                   VALUES ($1, $2, $3, $4, $5)
                   ON CONFLICT (user_id, role_id) DO UPDATE SET granted_by = excluded.granted_by,
                       granted_at = excluded.granted_at, expires_at = excluded.expires_at";
        let _rows = on_both!(self, |pool| sqlx::query(sql)
            .bind(grant.user.0)
            .bind(grant.role.as_str())
            .bind(grant.granted_by.0)
            .bind(grant.granted_at)
            .bind(grant.expires_at)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Takes a role back; `false` if the user did not hold it.
    pub async fn delete_role_grant(&self, user: UserId, role: &str) -> Result<bool, StoreError> {
        let sql = "DELETE FROM operator_roles WHERE user_id = $1 AND role_id = $2";
        let done = on_both!(self, |pool| sqlx::query(sql).bind(user.0).bind(role).execute(pool).await?.rows_affected());
        Ok(done == 1)
    }

    /// Appends one row to the operators' audit log.
    pub async fn insert_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let sql = "INSERT INTO operator_audit (at, operator_id, action, target, args, outcome, detail)
                   VALUES ($1, $2, $3, $4, $5, $6, $7)";
        let _rows = on_both!(self, |pool| sqlx::query(sql)
            .bind(entry.at)
            .bind(entry.operator.0)
            .bind(entry.action.as_str())
            .bind(entry.target.as_deref())
            .bind(&entry.args)
            .bind(entry.outcome.as_str())
            .bind(entry.detail.as_deref())
            .execute(pool)
            .await?
            .rows_affected());
        Ok(())
    }

    /// The last `limit` rows of the audit log, newest first.
    pub async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        let sql = "SELECT at, operator_id, action, target, args, outcome, detail FROM operator_audit
                   ORDER BY audit_id DESC LIMIT $1";
        type Row = (i64, i64, String, Option<String>, String, String, Option<String>);
        let rows: Vec<Row> = on_both!(self, |pool| sqlx::query_as(sql).bind(i64::from(limit)).fetch_all(pool).await?);
        rows.into_iter()
            .map(|(at, operator, action, target, args, outcome, detail)| {
                let corrupt = |what: &str, value: &str| StoreError::Corrupt(format!("operator_audit {what} {value:?}"));
                Ok(AuditEntry {
                    at,
                    operator: UserId(operator),
                    action: OperatorAction::parse(&action).ok_or_else(|| corrupt("action", &action))?,
                    target,
                    args,
                    outcome: AuditOutcome::parse(&outcome).ok_or_else(|| corrupt("outcome", &outcome))?,
                    detail,
                })
            })
            .collect()
    }

    /// Creates the monthly partitions of `analytics_events` from the month
    /// of `now` to [`crate::partitions::MONTHS_AHEAD`] months later (Postgres;
    /// SQLite keeps one table). Idempotent; returns the partitions created.
    pub async fn ensure_analytics_partitions(&self, now: i64) -> Result<Vec<String>, StoreError> {
        match self {
            Store::Postgres(pool) => crate::partitions::ensure(pool, now).await,
            Store::Sqlite(_) => Ok(Vec::new()),
        }
    }

    /// Whether the database answers; for readiness probes.
    pub async fn ping(&self) -> bool {
        on_both!(self, |pool| sqlx::query("SELECT 1").execute(pool).await.is_ok())
    }

    pub async fn close(&self) {
        on_both!(self, |pool| pool.close().await)
    }
}
