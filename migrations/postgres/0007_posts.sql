-- Channel posts the bot has seen published: reactions are paid only on
-- these, at the rates of their `target` (free_post or vip_post). Their
-- engagement counters are not stored here: they are the `post_engagement`
-- view over the paid reactions, committed with the besitos.
CREATE TABLE posts (
    chat_id      BIGINT  NOT NULL,
    message_id   INTEGER NOT NULL,
    target       TEXT    NOT NULL,
    published_at BIGINT  NOT NULL,
    excerpt      TEXT    NOT NULL,
    PRIMARY KEY (chat_id, message_id)
);
