-- Operator alerts: one row per rule that has ever fired. `firing_since` is
-- set while the rule fires (NULL once resolved), `last_notified` when the
-- operators were last told it fired, `resolved_at` when it last cleared.
-- Durable so that a restart while a rule fires does not alert again.
CREATE TABLE alert_states (
    rule          TEXT   PRIMARY KEY,
    firing_since  BIGINT,
    last_notified BIGINT,
    resolved_at   BIGINT,
    value         REAL NOT NULL DEFAULT 0
);

-- The daily insights, per UTC day (days since the epoch): one row per
-- finding, `kind` one of 'stop', 'high_value', 'vip_expiring',
-- 'vip_inactive', 'inflation', 'concentration', ranked within its kind.
-- `subject` names it (a fragment, a player id), `amount` and `detail` are
-- its figures (see persistence/src/insights.rs).
CREATE TABLE insights (
    day     BIGINT  NOT NULL,
    kind    TEXT    NOT NULL,
    rank    INTEGER NOT NULL,
    subject TEXT    NOT NULL,
    amount  BIGINT  NOT NULL,
    detail  BIGINT  NOT NULL,
    PRIMARY KEY (day, kind, rank)
);

-- When a day's insights were computed, and when the operators were sent
-- their summary (NULL until then), so a firing delivered twice sends once.
CREATE TABLE insight_days (
    day         BIGINT PRIMARY KEY,
    computed_at BIGINT NOT NULL,
    summarised_at BIGINT
);
