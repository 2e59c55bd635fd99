-- Domain events analytics reads (conversion opportunities, …), written in
-- the same transaction as the state change that produced them.
CREATE TABLE analytics_events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id  BIGINT NOT NULL,
    kind     TEXT   NOT NULL,
    subject  TEXT   NOT NULL,
    at       BIGINT NOT NULL
);
CREATE INDEX analytics_events_kind_at ON analytics_events (kind, at);
