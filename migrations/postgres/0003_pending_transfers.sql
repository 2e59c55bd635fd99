-- The saga log of gifts between players: a row exists while a transfer's
-- besitos have left the giver and not yet reached the receiver (or come
-- back). Written in the same transaction as the giver's debit, so after a
-- crash the coordinator finds every transfer it must finish.
CREATE TABLE pending_transfers (
    transfer_id BIGINT PRIMARY KEY,
    from_user   BIGINT NOT NULL,
    to_user     BIGINT NOT NULL,
    amount      BIGINT NOT NULL CHECK (amount > 0),
    opened_at   BIGINT NOT NULL
);
