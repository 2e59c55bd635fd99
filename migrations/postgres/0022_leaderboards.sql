-- Leaderboards. A score per metric ('besitos_earned', 'reactions', …),
-- period (its start in Unix seconds: a Monday 00:00 UTC for a week, 0 for
-- all time) and player, upserted by the flusher in the same commit as the
-- analytics rows it counts. `reached_at` is when the score last changed:
-- ties go to whoever reached it first.
CREATE TABLE leaderboard_scores (
    metric     TEXT   NOT NULL,
    period     BIGINT NOT NULL,
    user_id    BIGINT NOT NULL,
    score      BIGINT NOT NULL,
    reached_at BIGINT NOT NULL,
    PRIMARY KEY (metric, period, user_id)
);
CREATE INDEX leaderboard_scores_rank ON leaderboard_scores (metric, period, score DESC, reached_at, user_id);

-- A weekly board's winners, written in one transaction when its period
-- ends, before any is paid; each goes to 'paid' once the winner's actor
-- has durably credited it (the actor keeps its own record too, so a
-- re-delivery after a crash pays nothing).
CREATE TABLE leaderboard_prizes (
    board   TEXT    NOT NULL,
    period  BIGINT  NOT NULL,
    place   INTEGER NOT NULL,
    user_id BIGINT  NOT NULL,
    besitos BIGINT  NOT NULL,
    status  TEXT    NOT NULL CHECK (status IN ('pending', 'paid')),
    PRIMARY KEY (board, period, place)
);
