-- Auctions, written through by each auction's actor before it answers a
-- bid, a close or a cancellation. `top_*` is the bid currently winning;
-- its besitos are held in escrow (auction_holds).
CREATE TABLE auctions (
    auction_id     BIGINT  PRIMARY KEY,
    item_id        TEXT    NOT NULL,
    quantity       INTEGER NOT NULL CHECK (quantity > 0),
    starting_bid   BIGINT  NOT NULL CHECK (starting_bid > 0),
    min_increment  BIGINT  NOT NULL CHECK (min_increment > 0),
    extension_secs BIGINT  NOT NULL CHECK (extension_secs >= 0),
    ends_at        BIGINT  NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('open', 'closed', 'cancelled')),
    top_bidder     BIGINT,
    top_bid        BIGINT,
    top_amount     BIGINT,
    created_by     BIGINT  NOT NULL,
    created_at     BIGINT  NOT NULL
);
CREATE INDEX auctions_status ON auctions (status);

-- The escrow saga log: a row per bid whose besitos left the bidder's
-- wallet, inserted in the same transaction as that debit and updated in the
-- same transaction as the release (outbid, refused, cancelled) or the
-- settlement (won) that ends it. After a crash, rows still 'held' that are
-- not an auction's top bid are released, and a closed auction's is consumed.
CREATE TABLE auction_holds (
    auction_id BIGINT NOT NULL,
    bid_id     BIGINT NOT NULL,
    user_id    BIGINT NOT NULL,
    amount     BIGINT NOT NULL CHECK (amount > 0),
    status     TEXT   NOT NULL CHECK (status IN ('held', 'released', 'consumed')),
    held_at    BIGINT NOT NULL,
    PRIMARY KEY (auction_id, bid_id)
);
CREATE INDEX auction_holds_held ON auction_holds (auction_id) WHERE status = 'held';
