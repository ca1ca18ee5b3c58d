-- 0003: where each event came from (a delivery, or `appevents catchup`), and the
-- catch-up's progress per account. Existing rows were all delivered; the constant
-- default makes the new column free (no table rewrite).

ALTER TABLE events ADD COLUMN source text NOT NULL DEFAULT 'delivered'
    CHECK (source IN ('delivered', 'catchup'));

CREATE TABLE catchup_progress (
    account     text NOT NULL,
    livemode    boolean NOT NULL,
    since       bigint NOT NULL,
    until       bigint NOT NULL,
    through     bigint NOT NULL,
    updated_at  double precision NOT NULL,
    PRIMARY KEY (account, livemode)
);
