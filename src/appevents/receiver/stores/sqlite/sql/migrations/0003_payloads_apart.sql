-- 2 -> 3: payloads leave the queue rows (see sqlite_schema.sql for why). Every event
-- moves to `inbox` under its old rowid, already admitted, its payload as it was
-- (identity); `events` becomes a view.
CREATE TABLE inbox (
    seq           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    account       TEXT NOT NULL,
    livemode      INTEGER NOT NULL,
    type          TEXT NOT NULL,
    created       INTEGER NOT NULL,
    order_key     TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'failed', 'done', 'dead', 'skipped')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    received_at   REAL NOT NULL,
    available_at  REAL NOT NULL,
    completed_at  REAL,
    last_error    TEXT,
    erased_at     REAL,
    admitted      INTEGER NOT NULL DEFAULT 0 CHECK (admitted IN (0, 1))
);
INSERT INTO inbox (seq, id, account, livemode, type, created, order_key, status, attempts,
                   received_at, available_at, completed_at, last_error, erased_at, admitted)
SELECT rowid, id, account, livemode, type, created, order_key, status, attempts,
       received_at, available_at, completed_at, last_error, erased_at, 1
FROM events ORDER BY rowid;

CREATE TABLE payloads (
    seq       INTEGER PRIMARY KEY,
    body      BLOB NOT NULL,
    encoding  TEXT NOT NULL DEFAULT 'identity' CHECK (encoding IN ('identity', 'zlib'))
);
INSERT INTO payloads (seq, body)
SELECT rowid, payload FROM events WHERE payload IS NOT NULL ORDER BY rowid;

ALTER TABLE attempts RENAME TO attempts_v2;
CREATE TABLE attempts (
    event_seq    INTEGER NOT NULL,
    event_id     TEXT NOT NULL,
    account      TEXT NOT NULL DEFAULT '',
    livemode     INTEGER NOT NULL DEFAULT 0,
    number       INTEGER NOT NULL,
    started_at   REAL NOT NULL,
    finished_at  REAL NOT NULL,
    status       TEXT NOT NULL,
    error        TEXT
);
-- An attempt whose event is missing (never written by appevents) is kept, under seq 0.
INSERT INTO attempts (event_seq, event_id, account, livemode, number, started_at,
                      finished_at, status, error)
SELECT COALESCE((SELECT seq FROM inbox WHERE inbox.id = a.event_id), 0), a.event_id,
       a.account, a.livemode, a.number, a.started_at, a.finished_at, a.status, a.error
FROM attempts_v2 AS a ORDER BY a.rowid;
DROP TABLE attempts_v2;
DROP TABLE events;

CREATE INDEX inbox_unadmitted ON inbox (seq) WHERE admitted = 0;
CREATE INDEX inbox_unfinished
    ON inbox (account, order_key) WHERE admitted = 1 AND status IN ('pending', 'failed');
CREATE INDEX inbox_by_account
    ON inbox (account, livemode, created) WHERE admitted = 1;
CREATE INDEX attempts_by_event ON attempts (event_seq);
CREATE VIEW events AS
SELECT i.seq, i.id, i.account, i.livemode, i.type, i.created, i.order_key, i.status,
       i.attempts, i.received_at, i.available_at, i.completed_at, i.last_error,
       i.erased_at, p.body AS payload, p.encoding AS payload_encoding
FROM inbox AS i LEFT JOIN payloads AS p ON p.seq = i.seq;

PRAGMA user_version = 3;
