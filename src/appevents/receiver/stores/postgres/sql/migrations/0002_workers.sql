-- 0002: workers record their heartbeats, for metrics, readiness and inbox stats.

CREATE TABLE workers (
    name        text PRIMARY KEY,           -- host:pid
    started_at  double precision NOT NULL,
    beat_at     double precision NOT NULL
);
