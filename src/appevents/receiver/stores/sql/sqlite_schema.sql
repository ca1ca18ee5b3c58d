-- The SQLite inbox, schema version 2 (the truth). Applied on open when the file is new;
-- sqlite_migrations/ brings older files here, and a test proves both give the same tables.

CREATE TABLE IF NOT EXISTS events (
    id            TEXT PRIMARY KEY,
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
    payload       BLOB                      -- raw body as signed; NULL once erased
);

-- The head of each account's queue is the smallest order_key among its unfinished
-- events; this partial index keeps finding it cheap however many are done.
CREATE INDEX IF NOT EXISTS events_unfinished
    ON events (account, order_key) WHERE status IN ('pending', 'failed');

CREATE INDEX IF NOT EXISTS events_by_account ON events (account, livemode, created);

CREATE TABLE IF NOT EXISTS attempts (
    event_id     TEXT NOT NULL,
    account      TEXT NOT NULL DEFAULT '',      -- every row names its tenant (added in 2)
    livemode     INTEGER NOT NULL DEFAULT 0,
    number       INTEGER NOT NULL,
    started_at   REAL NOT NULL,
    finished_at  REAL NOT NULL,
    status       TEXT NOT NULL,
    error        TEXT
);

CREATE INDEX IF NOT EXISTS attempts_by_event ON attempts (event_id);

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

PRAGMA user_version = 2;
