-- Channel posts an operator scheduled (`/programar`): published by the
-- timer service when due (a `timers` row of owner kind 'post', written in
-- the same transaction). 'sending' is set before the post goes to
-- Telegram, so a crash during the send leaves 'sending', which is never
-- sent again but settled as 'unknown' (sendMessage has no idempotency key).
CREATE TABLE scheduled_posts (
    post_id           BIGINT PRIMARY KEY,
    chat_id           BIGINT NOT NULL,
    vip               BOOLEAN NOT NULL,
    text              TEXT   NOT NULL,
    due_at            BIGINT NOT NULL,
    created_by        BIGINT NOT NULL,
    created_by_update BIGINT UNIQUE,
    status            TEXT   NOT NULL
        CHECK (status IN ('scheduled', 'sending', 'published', 'failed', 'unknown')),
    message_id        INTEGER,
    updated_at        BIGINT NOT NULL
);
