-- Named queries of the PostgreSQL store (psycopg %(name)s parameters).

-- name: account_heads
-- Fragment (spliced where a query names it in braces): each account's head, the
-- unfinished event with the smallest (created, id), by a skip scan of
-- events_unfinished: one probe per account, never a walk over the backlog.
WITH RECURSIVE head AS (
    (SELECT account, id FROM events WHERE status IN ('pending', 'failed')
     ORDER BY account, created, id LIMIT 1)
    UNION ALL
    SELECT next.account, next.id
    FROM head, LATERAL (
        SELECT account, id FROM events
        WHERE status IN ('pending', 'failed') AND account > head.account
        ORDER BY account, created, id LIMIT 1
    ) AS next
)

-- name: create_version_table
-- Also in postgres_schema.sql; the runner creates it before the first migration.
CREATE TABLE IF NOT EXISTS appevents_schema_version (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)

-- name: lock_migrations
-- Held to the end of the migrating transaction: concurrent processes opening the same
-- fresh database take turns, and the later ones find the migrations applied.
SELECT pg_advisory_xact_lock(%(lock_class)s, hashtext('migrate ' || %(schema)s))

-- name: schema_version
SELECT COALESCE(MAX(version), 0) FROM appevents_schema_version

-- name: record_migration
INSERT INTO appevents_schema_version (version, name) VALUES (%(version)s, %(name)s)

-- name: insert_events
-- One round trip per batch: the whole batch as arrays, duplicates skipped by the
-- primary key and reported by their absence from RETURNING. Rows go in id order: two
-- receivers inserting the same ids in different orders would each wait for the other's
-- key (a deadlock, one batch refused with a 503); in one order, one simply waits.
INSERT INTO events (id, account, livemode, type, created, received_at, available_at, payload,
                    source)
SELECT id, account, livemode, type, created, %(received_at)s, %(received_at)s, payload,
       %(source)s
FROM unnest(%(ids)s::text[], %(accounts)s::text[], %(livemodes)s::boolean[],
            %(types)s::text[], %(created)s::bigint[], %(payloads)s::bytea[])
     AS batch (id, account, livemode, type, created, payload)
ORDER BY id
ON CONFLICT (id) DO NOTHING
RETURNING id

-- name: claim_due_heads
-- The head of each account (its unfinished event with the smallest created, then id),
-- kept if due, oldest first. `head` walks events_unfinished one account at a time (a
-- skip scan: one index probe per account, however long each account's backlog is).
-- Heads whose row another worker holds are skipped, and LIMIT counts only the rows
-- this worker locks, so workers spread over the accounts. The conditions on `e` are
-- re-checked on the newest version of a row another worker settled meanwhile, so a
-- head that is done by now is dropped.
-- `serialised` takes the account's advisory lock (see postgres.py for why both locks);
-- the MATERIALIZED CTE makes it run only for the rows claimed, never for the others.
-- Its key names the schema too: stores in other schemas of the database (other apps,
-- parallel test runs) have accounts of the same name and must not wait on these.
{account_heads},
claimed AS MATERIALIZED (
    SELECT e.id, e.account, e.livemode, e.type, e.created, e.status, e.attempts,
           e.received_at, e.available_at, e.completed_at, e.last_error, e.erased_at,
           e.payload
    FROM head JOIN events AS e ON e.id = head.id
    WHERE e.status IN ('pending', 'failed') AND e.available_at <= %(now)s
    ORDER BY e.available_at, e.created, e.id
    LIMIT %(limit)s
    FOR UPDATE OF e SKIP LOCKED
)
SELECT claimed.*,
       pg_try_advisory_xact_lock(%(lock_class)s,
                                 hashtext(current_schema() || ' ' || claimed.account))
           AS serialised
FROM claimed
ORDER BY available_at, created, id

-- name: next_due_at
-- The earliest available_at among the heads (the same skip scan as claim_due_heads).
{account_heads}
SELECT MIN(e.available_at) FROM head JOIN events AS e ON e.id = head.id

-- name: settle_event
-- The event's new state and its attempt row, in one round trip.
WITH settled AS (
    UPDATE events
    SET status = %(status)s, attempts = %(attempts)s,
        available_at = COALESCE(%(retry_at)s, available_at),
        completed_at = %(completed_at)s, last_error = %(error)s,
        erased_at = CASE WHEN %(erase)s AND payload IS NOT NULL
                         THEN %(finished_at)s ELSE erased_at END,
        payload = CASE WHEN %(erase)s THEN NULL ELSE payload END
    WHERE id = %(id)s
    RETURNING id, account, livemode
)
INSERT INTO attempts (event_id, account, livemode, number, started_at, finished_at,
                      status, error)
SELECT id, account, livemode, %(attempts)s, %(started_at)s, %(finished_at)s, %(status)s,
       %(error)s
FROM settled

-- name: settle_events
-- The whole batch's outcomes in one round trip: each event's new state (as settle_event
-- writes it) and its attempt row. The rows are already the batch's, locked by its claim.
WITH batch AS (
    SELECT * FROM unnest(%(ids)s::text[], %(statuses)s::text[], %(attempts)s::integer[],
                         %(retry_at)s::double precision[], %(completed_at)s::double precision[],
                         %(errors)s::text[], %(erase)s::boolean[],
                         %(started_at)s::double precision[], %(finished_at)s::double precision[])
         AS b (id, status, attempts, retry_at, completed_at, error, erase, started_at,
               finished_at)
),
settled AS (
    UPDATE events AS e
    SET status = b.status, attempts = b.attempts,
        available_at = COALESCE(b.retry_at, e.available_at),
        completed_at = b.completed_at, last_error = b.error,
        erased_at = CASE WHEN b.erase AND e.payload IS NOT NULL
                         THEN b.finished_at ELSE e.erased_at END,
        payload = CASE WHEN b.erase THEN NULL ELSE e.payload END
    FROM batch AS b
    WHERE e.id = b.id
    RETURNING e.id, e.account, e.livemode, b.attempts, b.started_at, b.finished_at, b.status,
              b.error
)
INSERT INTO attempts (event_id, account, livemode, number, started_at, finished_at,
                      status, error)
SELECT * FROM settled

-- name: erase_account
-- Error texts go too: a handler's traceback may quote the account's data.
UPDATE events SET payload = NULL, last_error = NULL, erased_at = %(now)s
WHERE account = %(account)s AND livemode = %(livemode)s AND created <= %(through_created)s
  AND payload IS NOT NULL

-- name: erase_account_attempts
UPDATE attempts SET error = NULL
WHERE account = %(account)s AND livemode = %(livemode)s AND error IS NOT NULL
  AND event_id IN (SELECT id FROM events WHERE account = %(account)s
                   AND livemode = %(livemode)s AND created <= %(through_created)s)

-- name: get_installation
SELECT account, livemode, status, source, application_id, application_name, installed_at,
       uninstalled_at, lifecycle_created, lifecycle_event_id, last_deauthorized_at,
       active_since_evidence
FROM installations WHERE account = %(account)s AND livemode = %(livemode)s

-- name: get_installations
-- The installations of a batch's accounts, read once after its claim: the account locks
-- are held by then, so no other worker can change them before the batch commits.
SELECT i.account, i.livemode, i.status, i.source, i.application_id, i.application_name,
       i.installed_at, i.uninstalled_at, i.lifecycle_created, i.lifecycle_event_id,
       i.last_deauthorized_at, i.active_since_evidence
FROM installations AS i
JOIN unnest(%(accounts)s::text[], %(livemodes)s::boolean[]) AS k (account, livemode)
  ON i.account = k.account AND i.livemode = k.livemode

-- name: list_installations
SELECT account, livemode, status, source, application_id, application_name, installed_at,
       uninstalled_at, lifecycle_created, lifecycle_event_id, last_deauthorized_at,
       active_since_evidence
FROM installations ORDER BY account, livemode

-- name: save_installation
INSERT INTO installations (account, livemode, status, source, application_id,
                           application_name, installed_at, uninstalled_at,
                           lifecycle_created, lifecycle_event_id, last_deauthorized_at,
                           active_since_evidence, updated_at)
VALUES (%(account)s, %(livemode)s, %(status)s, %(source)s, %(application_id)s,
        %(application_name)s, %(installed_at)s, %(uninstalled_at)s, %(lifecycle_created)s,
        %(lifecycle_event_id)s, %(last_deauthorized_at)s, %(active_since_evidence)s,
        %(updated_at)s)
ON CONFLICT (account, livemode) DO UPDATE SET
    status = excluded.status, source = excluded.source,
    application_id = excluded.application_id, application_name = excluded.application_name,
    installed_at = excluded.installed_at, uninstalled_at = excluded.uninstalled_at,
    lifecycle_created = excluded.lifecycle_created,
    lifecycle_event_id = excluded.lifecycle_event_id,
    last_deauthorized_at = excluded.last_deauthorized_at,
    active_since_evidence = excluded.active_since_evidence,
    updated_at = excluded.updated_at

-- name: get_event
SELECT id, account, livemode, type, created, status, attempts, received_at, available_at,
       completed_at, last_error, erased_at, payload, source
FROM events WHERE id = %(id)s

-- name: list_attempts
SELECT event_id, number, started_at, finished_at, status, error
FROM attempts WHERE event_id = %(id)s ORDER BY number, id

-- name: replay_events
-- The conditions repeat check_replayable's, so an erasure committed meanwhile wins.
UPDATE events SET status = 'pending', attempts = 0, available_at = %(now)s,
                  completed_at = NULL
WHERE id = ANY(%(ids)s::text[]) AND payload IS NOT NULL AND status <> 'skipped'
RETURNING id

-- name: dead_ids
SELECT id FROM events WHERE status = 'dead' ORDER BY created, id

-- name: counts
SELECT status, COUNT(*) FROM events GROUP BY status

-- name: lock_setup
-- The app's set-up functions run in every process that opens the store; taking turns
-- keeps concurrent CREATE TABLE IF NOT EXISTS from colliding in the catalog.
SELECT pg_advisory_xact_lock(%(lock_class)s, hashtext('setup ' || current_schema()))

-- name: list_events
SELECT id, account, livemode, type, created, status, attempts, received_at, available_at,
       completed_at, last_error, erased_at, payload, source
FROM events
WHERE (%(status)s::text IS NULL OR status = %(status)s)
  AND (%(account)s::text IS NULL OR account = %(account)s)
ORDER BY received_at DESC, created DESC, id DESC
LIMIT %(limit)s

-- name: backlog
-- Reads the unfinished events only (events_unfinished), so its cost follows the
-- backlog, never the events done. Rows: ('total', NULL, pending, failed due, failed
-- later, oldest pending received_at, NULL), then ('account', account, unfinished, 0, 0,
-- oldest received_at, NULL) busiest first, then ('worker', name, 0, 0, 0, beat_at,
-- started_at) latest first; %(top)s of each at most.
WITH unfinished AS MATERIALIZED (
    SELECT account, status, available_at, received_at FROM events
    WHERE status IN ('pending', 'failed')
)
SELECT 'total'::text, NULL::text,
       count(*) FILTER (WHERE status = 'pending'),
       count(*) FILTER (WHERE status = 'failed' AND available_at <= %(now)s),
       count(*) FILTER (WHERE status = 'failed' AND available_at > %(now)s),
       min(received_at) FILTER (WHERE status = 'pending'),
       NULL::double precision
FROM unfinished
UNION ALL
(SELECT 'account', account, count(*), 0, 0, min(received_at), NULL
 FROM unfinished GROUP BY account ORDER BY count(*) DESC, account LIMIT %(top)s)
UNION ALL
(SELECT 'worker', name, 0, 0, 0, beat_at, started_at
 FROM workers ORDER BY beat_at DESC, name LIMIT %(top)s)

-- name: counts_by_type
-- The %(top)s types with the most events, each with its counts by status.
SELECT type, status, count(*) FROM events
WHERE type IN (SELECT type FROM events GROUP BY type ORDER BY count(*) DESC, type
               LIMIT %(top)s)
GROUP BY type, status

-- name: beat
-- One round trip: forget the workers silent since %(forget)s, record this one's beat.
WITH forgotten AS (DELETE FROM workers WHERE beat_at < %(forget)s AND name <> %(name)s)
INSERT INTO workers (name, started_at, beat_at) VALUES (%(name)s, %(started_at)s, %(now)s)
ON CONFLICT (name) DO UPDATE SET started_at = excluded.started_at, beat_at = excluded.beat_at

-- name: forget_worker
DELETE FROM workers WHERE name = %(name)s

-- name: newest_created
-- Where `catchup --since-last` starts (events_by_account: one index probe).
SELECT MAX(created) FROM events WHERE account = %(account)s AND livemode = %(livemode)s

-- name: get_catchup_progress
SELECT account, livemode, since, until, through, updated_at
FROM catchup_progress WHERE account = %(account)s AND livemode = %(livemode)s

-- name: save_catchup_progress
INSERT INTO catchup_progress (account, livemode, since, until, through, updated_at)
VALUES (%(account)s, %(livemode)s, %(since)s, %(until)s, %(through)s, %(updated_at)s)
ON CONFLICT (account, livemode) DO UPDATE SET
    since = excluded.since, until = excluded.until, through = excluded.through,
    updated_at = excluded.updated_at

-- name: prune
-- One batch of finished events past their retention (NULL thresholds keep them), oldest
-- first; rows other workers or a concurrent prune hold are skipped. Those created before
-- Stripe's 30 days go whole (attempts by cascade); the others keep their id and state.
WITH chosen AS (
    SELECT id, created < %(created_before)s AS whole FROM events
    WHERE ((status IN ('done', 'skipped') AND completed_at < %(done_before)s)
           OR (status = 'dead' AND received_at < %(dead_before)s))
      AND (created < %(created_before)s OR erased_at IS NULL)
    ORDER BY received_at
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
), deleted AS (
    DELETE FROM events AS e USING chosen AS c WHERE e.id = c.id AND c.whole RETURNING e.id
), stripped AS (
    UPDATE events AS e SET payload = NULL, last_error = NULL, erased_at = %(now)s
    FROM chosen AS c WHERE e.id = c.id AND NOT c.whole RETURNING e.id
), attempts_gone AS (
    DELETE FROM attempts AS a USING chosen AS c WHERE a.event_id = c.id AND NOT c.whole
)
SELECT (SELECT count(*) FROM deleted), (SELECT count(*) FROM stripped)
