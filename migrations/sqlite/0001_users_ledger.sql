-- The relational model operators query, plus one opaque snapshot per user
-- for the state nobody queries field by field. All timestamps are unix seconds.

CREATE TABLE users (
    user_id       BIGINT PRIMARY KEY,
    first_name    TEXT   NOT NULL,
    username      TEXT,
    language      TEXT   NOT NULL,
    registered_at BIGINT NOT NULL
);

-- balance = SUM(ledger.amount) for the user, always (written in the same
-- transaction as the ledger rows that change it).
CREATE TABLE balances (
    user_id BIGINT PRIMARY KEY,
    besitos BIGINT NOT NULL CHECK (besitos >= 0)
);

-- Double-entry journal: each row moves `amount` between the user's wallet and
-- `counter_account` (system:<reason> or user:<id>); the counter side is implied.
CREATE TABLE ledger (
    user_id         BIGINT NOT NULL,
    seq             BIGINT NOT NULL,
    amount          BIGINT NOT NULL CHECK (amount <> 0),
    counter_account TEXT   NOT NULL,
    reason          TEXT   NOT NULL,
    update_id       BIGINT,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (user_id, seq)
);
CREATE INDEX ledger_update_id ON ledger (update_id);
CREATE INDEX ledger_reason ON ledger (reason);

CREATE TABLE inventory (
    user_id  BIGINT  NOT NULL,
    item_id  TEXT    NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (user_id, item_id)
);

-- `format` names the encoding of `state` so old snapshots stay readable.
CREATE TABLE user_snapshots (
    user_id BIGINT   PRIMARY KEY,
    version BIGINT   NOT NULL,
    format  SMALLINT NOT NULL,
    state   BLOB    NOT NULL
);
