-- Analytics events carry an amount (besitos or Stars) and are read per user
-- over time. (Postgres partitions this table by month; SQLite keeps one.)
ALTER TABLE analytics_events ADD COLUMN amount BIGINT NOT NULL DEFAULT 0;
CREATE INDEX analytics_events_user_at ON analytics_events (user_id, at);

-- The economy report reads the ledger by day.
CREATE INDEX ledger_created_at ON ledger (created_at);
