-- The SQLite inbox, schema version 5 (the truth). Applied on open when the file is new;
-- sqlite_migrations/ brings older files here, and a test proves both give the same tables.
--
-- Shaped for the receiver's commit, which every delivery waits for: a new event writes
-- its payload once, in a table of its own, and a small queue row, both appended at the
-- end of their table, plus one entry in the id index. It touches no per-account index:
-- the worker "admits" new rows (admitted = 1) in bulk before it picks work, and only
-- admitted rows are in the per-account indexes. Settling an event rewrites its small
-- queue row, never its payload's page.

CREATE TABLE IF NOT EXISTS inbox (
    seq           INTEGER PRIMARY KEY,      -- arrival (commit) order
    id            TEXT NOT NULL UNIQUE,
    account       TEXT NOT NULL,            -- '' for the platform's own events
    livemode      INTEGER NOT NULL,
    type          TEXT NOT NULL,
    created       INTEGER NOT NULL,
    order_key     TEXT NOT NULL,            -- zero-padded created || id: per-account order
    status        TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'failed', 'done', 'dead', 'skipped')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    received_at   REAL NOT NULL,
    available_at  REAL NOT NULL,
    completed_at  REAL,
    last_error    TEXT,
    erased_at     REAL,
    admitted      INTEGER NOT NULL DEFAULT 0 CHECK (admitted IN (0, 1)),
    -- how it came (added in 5): Stripe delivered it, or `appevents catchup` listed it
    source        TEXT NOT NULL DEFAULT 'delivered' CHECK (source IN ('delivered', 'catchup'))
);

-- New rows, in arrival order, until the worker admits them: always short, and appended
-- at its right edge.
CREATE INDEX IF NOT EXISTS inbox_unadmitted ON inbox (seq) WHERE admitted = 0;

-- The head of each account's queue is the smallest order_key among its unfinished
-- events; this partial index keeps finding it cheap however many are done.
CREATE INDEX IF NOT EXISTS inbox_unfinished
    ON inbox (account, order_key) WHERE admitted = 1 AND status IN ('pending', 'failed');

CREATE INDEX IF NOT EXISTS inbox_by_account
    ON inbox (account, livemode, created) WHERE admitted = 1;

-- The body as signed, written once (compressed when that is smaller: see
-- sqlite_payloads.py); deleted when its account's data is erased.
CREATE TABLE IF NOT EXISTS payloads (
    seq       INTEGER PRIMARY KEY,          -- inbox.seq
    body      BLOB NOT NULL,
    encoding  TEXT NOT NULL DEFAULT 'identity' CHECK (encoding IN ('identity', 'zlib'))
);

CREATE TABLE IF NOT EXISTS attempts (
    event_seq    INTEGER NOT NULL,          -- inbox.seq (added in 3)
    event_id     TEXT NOT NULL,
    account      TEXT NOT NULL DEFAULT '',  -- every row names its tenant (added in 2)
    livemode     INTEGER NOT NULL DEFAULT 0,
    number       INTEGER NOT NULL,
    started_at   REAL NOT NULL,
    finished_at  REAL NOT NULL,
    status       TEXT NOT NULL,
    error        TEXT
);

CREATE INDEX IF NOT EXISTS attempts_by_event ON attempts (event_seq);

CREATE TABLE IF NOT EXISTS installations (
    account                TEXT NOT NULL,
    livemode               INTEGER NOT NULL,
    status                 TEXT NOT NULL CHECK (status IN ('active', 'uninstalled')),
    source                 TEXT NOT NULL CHECK (source IN ('authorized', 'implied')),
    application_id         TEXT,
    application_name       TEXT,
    installed_at           INTEGER,
    uninstalled_at         INTEGER,
    lifecycle_created      INTEGER,
    lifecycle_event_id     TEXT,
    last_deauthorized_at   INTEGER,
    active_since_evidence  INTEGER,
    updated_at             REAL NOT NULL,
    PRIMARY KEY (account, livemode)
) WITHOUT ROWID;

-- Each worker's last sign of life (added in 4), for metrics, readiness and
-- `appevents inbox stats`; a row silent for an hour is removed by the next beat.
CREATE TABLE IF NOT EXISTS workers (
    name        TEXT PRIMARY KEY,           -- host:pid
    started_at  REAL NOT NULL,
    beat_at     REAL NOT NULL
) WITHOUT ROWID;

-- How far `appevents catchup` got with each account (added in 5): every event created
-- before `through` is stored; '' is the platform's own account.
CREATE TABLE IF NOT EXISTS catchup_progress (
    account     TEXT NOT NULL,
    livemode    INTEGER NOT NULL,
    since       INTEGER NOT NULL,
    until       INTEGER NOT NULL,
    through     INTEGER NOT NULL,
    updated_at  REAL NOT NULL,
    PRIMARY KEY (account, livemode)
) WITHOUT ROWID;

-- Every stored event with its payload (NULL once erased; zlib-compressed where
-- payload_encoding says so), as one table reads: for people and scripts inspecting the
-- file. The store itself reads the tables.
CREATE VIEW IF NOT EXISTS events AS
SELECT i.seq, i.id, i.account, i.livemode, i.type, i.created, i.order_key, i.status,
       i.attempts, i.received_at, i.available_at, i.completed_at, i.last_error,
       i.erased_at, p.body AS payload, p.encoding AS payload_encoding, i.source
FROM inbox AS i LEFT JOIN payloads AS p ON p.seq = i.seq;

PRAGMA user_version = 5;
