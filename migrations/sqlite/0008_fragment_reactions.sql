-- Every paid reaction on a story page, written in the same transaction as
-- its besitos. A player is paid once per fragment and emoji, whichever
-- message showed it; per-fragment engagement is a view over it.
CREATE TABLE fragment_reactions (
    user_id     BIGINT NOT NULL,
    fragment_id TEXT   NOT NULL,
    emoji       TEXT   NOT NULL,
    besitos     BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    PRIMARY KEY (user_id, fragment_id, emoji)
);

CREATE VIEW fragment_engagement AS
SELECT fragment_id,
       COUNT(*)                AS reactions,
       COUNT(DISTINCT user_id) AS unique_reactors,
       SUM(besitos)            AS besitos_paid
FROM fragment_reactions
GROUP BY fragment_id;
