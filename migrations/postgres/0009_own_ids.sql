-- Ids the server allocates for purchases, transfers (gifts), auctions and
-- bids: Telegram's update_id starts again (a new bot token, a week without
-- updates), so it identifies nothing for long. Each nextval is a block of
-- 1,000 ids handed out from memory; they start above 2^32, past every id
-- taken from an update_id before this migration.
CREATE SEQUENCE business_ids START WITH 4294967296 INCREMENT BY 1000;

-- The operator's update that created an auction (its fingerprint: update_id
-- and a digest of its content), so a re-delivered creation finds the
-- auction it made instead of opening another.
ALTER TABLE auctions ADD COLUMN created_by_update BIGINT;
CREATE UNIQUE INDEX auctions_created_by_update ON auctions (created_by_update);
