-- Durable timers (Orleans "reminders"): an owner's named timer and the unix
-- second it is due. A user's timers (owner_kind 'user') are written by the
-- flusher in the same commit as the decision that set them, and removed in
-- the commit of the decision that handled them; other owners' (a scheduled
-- post, say) are written through. The timer service polls the due ones.
CREATE TABLE timers (
    owner_kind TEXT   NOT NULL,
    owner_id   BIGINT NOT NULL,
    name       TEXT   NOT NULL,
    due_at     BIGINT NOT NULL,
    PRIMARY KEY (owner_kind, owner_id, name)
);
CREATE INDEX timers_due ON timers (due_at);
