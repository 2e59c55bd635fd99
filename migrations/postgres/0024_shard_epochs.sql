-- cluster: the fencing epoch of each virtual shard (REDIS_URL set). A node
-- records the token Redis gave it for a shard (`epoch = token WHERE epoch <
-- token`) before serving the shard, and every write batch checks, in its
-- own transaction, that each shard it touches still carries the writer's
-- token. Authoritative over Redis, which keeps nothing on disk: tokens
-- issued after a Redis restart continue above the epoch recorded here.
CREATE TABLE shard_epochs (
    shard BIGINT NOT NULL PRIMARY KEY,
    epoch BIGINT NOT NULL,
    node  TEXT   NOT NULL,
    since BIGINT NOT NULL
);
