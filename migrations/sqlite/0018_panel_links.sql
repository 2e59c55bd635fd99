-- One-time login links to the operators' web dashboard (`/panel`). Only
-- the SHA-256 of a link's token is kept (hex), so the table leaks no
-- usable link. A link is consumed by the one UPDATE that checks it is
-- unused and unexpired and marks it used, so a link opens one session even
-- under concurrent clicks. Rows older than a day are pruned as new links
-- are made.
CREATE TABLE panel_links (
    token_hash  TEXT   PRIMARY KEY,
    operator_id BIGINT NOT NULL,
    language    TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX panel_links_by_expiry ON panel_links (expires_at);
