-- The PostgreSQL inbox: the schema the migrations in postgres_migrations/ must reach.
-- This file is the truth (a test applies every migration to an empty schema and
-- compares the catalogs); the store itself only ever applies migrations.
--
-- Times are epoch seconds in double precision, as the other stores keep them, so a
-- value read back is exactly the float that was written.

CREATE TABLE appevents_schema_version (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE events (
    id            text PRIMARY KEY,
    account       text NOT NULL,            -- '' for the platform's own events
    livemode      boolean NOT NULL,
    type          text NOT NULL,
    created       bigint NOT NULL,
    status        text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'failed', 'done', 'dead', 'skipped')),
    attempts      integer NOT NULL DEFAULT 0,
    received_at   double precision NOT NULL,
    available_at  double precision NOT NULL,
    completed_at  double precision,
    last_error    text,
    erased_at     double precision,
    payload       bytea,                    -- raw body as signed; NULL once erased
    -- how it came (0003): Stripe delivered it, or `appevents catchup` listed it
    source        text NOT NULL DEFAULT 'delivered' CHECK (source IN ('delivered', 'catchup'))
);

-- The head of each account's queue is its unfinished event with the smallest
-- (created, id); this partial index keeps finding it cheap however many are done.
CREATE INDEX events_unfinished
    ON events (account, created, id) WHERE status IN ('pending', 'failed');

CREATE INDEX events_by_account ON events (account, livemode, created);

-- Dead letters are few and wait for `appevents inbox replay --dead`.
CREATE INDEX events_dead ON events (created, id) WHERE status = 'dead';

CREATE TABLE attempts (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     text NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    account      text NOT NULL,
    livemode     boolean NOT NULL,
    number       integer NOT NULL,
    started_at   double precision NOT NULL,
    finished_at  double precision NOT NULL,
    status       text NOT NULL
                 CHECK (status IN ('pending', 'failed', 'done', 'dead', 'skipped')),
    error        text
);

CREATE INDEX attempts_by_event ON attempts (event_id, number);

CREATE TABLE installations (
    account                text NOT NULL,
    livemode               boolean NOT NULL,
    status                 text NOT NULL CHECK (status IN ('active', 'uninstalled')),
    source                 text NOT NULL CHECK (source IN ('authorized', 'implied')),
    application_id         text,
    application_name       text,
    installed_at           bigint,
    uninstalled_at         bigint,
    lifecycle_created      bigint,
    lifecycle_event_id     text,
    last_deauthorized_at   bigint,
    active_since_evidence  bigint,
    updated_at             double precision NOT NULL,
    PRIMARY KEY (account, livemode)
);

-- Each worker's last sign of life (0002), for metrics, readiness and inbox stats; a row
-- silent for an hour is removed by the next beat.
CREATE TABLE workers (
    name        text PRIMARY KEY,           -- host:pid
    started_at  double precision NOT NULL,
    beat_at     double precision NOT NULL
);

-- How far `appevents catchup` got with each account (0003): every event created before
-- `through` is stored; '' is the platform's own account.
CREATE TABLE catchup_progress (
    account     text NOT NULL,
    livemode    boolean NOT NULL,
    since       bigint NOT NULL,
    until       bigint NOT NULL,
    through     bigint NOT NULL,
    updated_at  double precision NOT NULL,
    PRIMARY KEY (account, livemode)
);
