-- Feature flags' rollouts as operators set them live (`/flag <name>
-- <percent>`), over the rollout `flags.toml` gives: one row per flag,
-- replaced when set again, deleted by `/flag <name> reset`. Applied at
-- startup and on every reload; a row whose flag the content no longer
-- defines is kept and ignored (it counts again if the flag comes back).
-- The history of changes is the operators' audit log.
CREATE TABLE flag_overrides (
    flag_name TEXT    NOT NULL PRIMARY KEY,
    -- Hundredths of a percent: 0 to 10000.
    rollout   BIGINT  NOT NULL CHECK (rollout BETWEEN 0 AND 10000),
    set_by    BIGINT  NOT NULL,
    set_at    BIGINT  NOT NULL
);
