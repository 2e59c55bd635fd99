-- Every Telegram Stars charge, by telegram_payment_charge_id: the one that
-- granted its purchase ('granted'), and any further charge for a purchase
-- already paid, which is not granted but owed back ('refund_due', then
-- 'refunded' once refundStarPayment succeeded). The purchases row keeps the
-- charge that granted it.
CREATE TABLE star_charges (
    charge_id   TEXT   PRIMARY KEY,
    purchase_id BIGINT NOT NULL,
    user_id     BIGINT NOT NULL,
    stars       BIGINT NOT NULL CHECK (stars > 0),
    status      TEXT   NOT NULL CHECK (status IN ('granted', 'refund_due', 'refunded')),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX star_charges_purchase ON star_charges (purchase_id);
