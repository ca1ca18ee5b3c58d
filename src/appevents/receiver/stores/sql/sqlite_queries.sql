-- name: insert_events
-- {values} is one "(?, ?, ?, ?, ?, ?, ?, ?, ?)" per event of the chunk.
INSERT INTO events (id, account, livemode, type, created, order_key, received_at,
                    available_at, payload)
VALUES {values}
ON CONFLICT (id) DO NOTHING
RETURNING id

-- name: due_heads
-- One row per account: its unfinished event with the smallest order_key (SQLite returns
-- the other columns of the row that holds the MIN), kept if it is due.
SELECT id, account, livemode, type, created, status, attempts, received_at, available_at,
       completed_at, last_error, erased_at, payload
FROM (
    SELECT *, MIN(order_key) AS head_key
    FROM events
    WHERE status IN ('pending', 'failed')
    GROUP BY account
)
WHERE available_at <= ?
ORDER BY available_at, created, id
LIMIT ?

-- name: next_due_at
SELECT MIN(available_at) FROM (
    SELECT available_at, MIN(order_key)
    FROM events
    WHERE status IN ('pending', 'failed')
    GROUP BY account
)

-- name: settle_event
UPDATE events
SET status = ?, attempts = ?, available_at = COALESCE(?, available_at), completed_at = ?,
    last_error = ?,
    erased_at = CASE WHEN ? AND payload IS NOT NULL THEN ? ELSE erased_at END,
    payload = CASE WHEN ? THEN NULL ELSE payload END
WHERE id = ?

-- name: insert_attempt
INSERT INTO attempts (event_id, account, livemode, number, started_at, finished_at, status,
                      error)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)

-- name: erase_account
-- Error texts go too: a handler's traceback may quote the account's data.
UPDATE events SET payload = NULL, last_error = NULL, erased_at = ?
WHERE account = ? AND livemode = ? AND created <= ? AND payload IS NOT NULL

-- name: erase_account_attempts
UPDATE attempts SET error = NULL
WHERE account = ? AND livemode = ? AND error IS NOT NULL
  AND event_id IN (SELECT id FROM events WHERE account = ? AND livemode = ? AND created <= ?)

-- name: get_installation
SELECT account, livemode, status, source, application_id, application_name, installed_at,
       uninstalled_at, lifecycle_created, lifecycle_event_id, last_deauthorized_at,
       active_since_evidence
FROM installations WHERE account = ? AND livemode = ?

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
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
       completed_at, last_error, erased_at, payload
FROM events WHERE id = ?

-- name: list_attempts
SELECT event_id, number, started_at, finished_at, status, error
FROM attempts WHERE event_id = ? ORDER BY rowid

-- name: replay_event
UPDATE events SET status = 'pending', attempts = 0, available_at = ?, completed_at = NULL
WHERE id = ?

-- name: dead_ids
SELECT id FROM events WHERE status = 'dead' ORDER BY order_key

-- name: counts
SELECT status, COUNT(*) FROM events GROUP BY status
