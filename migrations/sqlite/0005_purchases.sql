-- Every purchase, for operators and for the purchase saga. A purchase in
-- besitos is written `pending` in the same transaction as the buyer's debit
-- (so after a crash the coordinator finds it and finishes it) and becomes
-- `completed` or `failed`; a Stars purchase is written `completed` with its
-- Telegram charge id when the payment is applied, and `refunded` later.
CREATE TABLE purchases (
    purchase_id BIGINT PRIMARY KEY,
    user_id     BIGINT NOT NULL,
    item_id     TEXT   NOT NULL,
    currency    TEXT   NOT NULL CHECK (currency IN ('besitos', 'stars')),
    amount      BIGINT NOT NULL CHECK (amount > 0),
    status      TEXT   NOT NULL CHECK (status IN ('pending', 'completed', 'failed', 'refunded')),
    charge_id   TEXT   UNIQUE,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX purchases_pending ON purchases (status) WHERE status = 'pending';
CREATE INDEX purchases_user ON purchases (user_id);

-- Units of limited shop items, kept by each item's stock keeper (written
-- through before it answers). Units left = the content's stock - sold -
-- reserved (and not expired).
CREATE TABLE stock_reservations (
    purchase_id BIGINT PRIMARY KEY,
    item_id     TEXT   NOT NULL,
    user_id     BIGINT NOT NULL,
    status      TEXT   NOT NULL CHECK (status IN ('reserved', 'sold', 'released')),
    -- Unix seconds after which an unpaid reservation lapses (Stars
    -- checkouts the player abandoned); NULL while a saga holds it.
    expires_at  BIGINT,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX stock_reservations_item ON stock_reservations (item_id, status);
