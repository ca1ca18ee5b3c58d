-- 4 -> 5: where each event came from (a delivery, or `appevents catchup`), and the
-- catch-up's progress per account. Existing rows were all delivered.
ALTER TABLE inbox ADD COLUMN source TEXT NOT NULL DEFAULT 'delivered'
    CHECK (source IN ('delivered', 'catchup'));

CREATE TABLE IF NOT EXISTS catchup_progress (
    account     TEXT NOT NULL,
    livemode    INTEGER NOT NULL,
    since       INTEGER NOT NULL,
    until       INTEGER NOT NULL,
    through     INTEGER NOT NULL,
    updated_at  REAL NOT NULL,
    PRIMARY KEY (account, livemode)
) WITHOUT ROWID;

DROP VIEW IF EXISTS events;
CREATE VIEW IF NOT EXISTS events AS
SELECT i.seq, i.id, i.account, i.livemode, i.type, i.created, i.order_key, i.status,
       i.attempts, i.received_at, i.available_at, i.completed_at, i.last_error,
       i.erased_at, p.body AS payload, p.encoding AS payload_encoding, i.source
FROM inbox AS i LEFT JOIN payloads AS p ON p.seq = i.seq;

PRAGMA user_version = 5;
