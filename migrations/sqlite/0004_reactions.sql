-- Every paid reaction, written in the same transaction as its besitos; the
-- per-post engagement counters operators read are a view over it.
CREATE TABLE reactions (
    user_id    BIGINT  NOT NULL,
    chat_id    BIGINT  NOT NULL,
    message_id INTEGER NOT NULL,
    emoji      TEXT    NOT NULL,
    besitos    BIGINT  NOT NULL,
    at         BIGINT  NOT NULL,
    PRIMARY KEY (user_id, chat_id, message_id, emoji)
);
CREATE INDEX reactions_post ON reactions (chat_id, message_id);

CREATE VIEW post_engagement AS
SELECT chat_id, message_id,
       COUNT(*)                AS reactions,
       COUNT(DISTINCT user_id) AS unique_reactors,
       SUM(besitos)            AS besitos_paid
FROM reactions
GROUP BY chat_id, message_id;
