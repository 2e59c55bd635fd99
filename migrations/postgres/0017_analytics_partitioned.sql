-- Analytics events, partitioned by month on `at` (unix seconds): reports
-- read a few months, old months can be detached whole. The server creates
-- each month's partition ahead of time (Store::ensure_analytics_partitions);
-- the DEFAULT partition takes whatever no month holds yet, so a write never
-- fails. Every kind may carry an amount (besitos or Stars).
ALTER TABLE analytics_events RENAME TO analytics_events_unpartitioned;
DROP INDEX analytics_events_kind_at;

CREATE TABLE analytics_events (
    user_id  BIGINT NOT NULL,
    kind     TEXT   NOT NULL,
    subject  TEXT   NOT NULL,
    amount   BIGINT NOT NULL DEFAULT 0,
    at       BIGINT NOT NULL
) PARTITION BY RANGE (at);
CREATE TABLE analytics_events_default PARTITION OF analytics_events DEFAULT;
CREATE INDEX analytics_events_kind_at ON analytics_events (kind, at);
CREATE INDEX analytics_events_user_at ON analytics_events (user_id, at);

INSERT INTO analytics_events (user_id, kind, subject, at)
SELECT user_id, kind, subject, at FROM analytics_events_unpartitioned;
DROP TABLE analytics_events_unpartitioned;

-- The economy report reads the ledger by day.
CREATE INDEX ledger_created_at ON ledger (created_at);
