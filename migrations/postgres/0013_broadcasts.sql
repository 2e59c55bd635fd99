-- Broadcasts: an operator's message to every registered player, sent by
-- one background task at a bulk pace. `cursor` is the last user id the
-- job has moved past, advanced over a batch BEFORE the batch is sent, so a
-- restart never sends to anyone twice (Telegram's sendMessage has no
-- idempotency key): a crash loses at most one batch's sends, whose outcome
-- is not known; they are counted in `unknown` (`in_flight` holds the size
-- of the batch being sent until its results are counted).
CREATE TABLE broadcasts (
    broadcast_id      BIGINT  PRIMARY KEY,
    text              TEXT    NOT NULL,
    created_by        BIGINT  NOT NULL,
    created_at        BIGINT  NOT NULL,
    -- The operator's update that created it (its fingerprint), so a
    -- re-delivered /difundir finds its job instead of starting another.
    created_by_update BIGINT  UNIQUE,
    status            TEXT    NOT NULL,
    cursor            BIGINT  NOT NULL DEFAULT 0,
    sent              BIGINT  NOT NULL DEFAULT 0,
    skipped           BIGINT  NOT NULL DEFAULT 0,
    failed            BIGINT  NOT NULL DEFAULT 0,
    unknown           BIGINT  NOT NULL DEFAULT 0,
    in_flight         BIGINT  NOT NULL DEFAULT 0
);

-- A player who opted out of broadcasts (`/noticias off`); written by the
-- flusher with the rest of the profile.
ALTER TABLE users ADD COLUMN broadcasts_opt_out BOOLEAN NOT NULL DEFAULT FALSE;
