-- 3 -> 4: workers record their heartbeats, for metrics, readiness and inbox stats.
CREATE TABLE IF NOT EXISTS workers (
    name        TEXT PRIMARY KEY,           -- host:pid
    started_at  REAL NOT NULL,
    beat_at     REAL NOT NULL
) WITHOUT ROWID;
PRAGMA user_version = 4;
