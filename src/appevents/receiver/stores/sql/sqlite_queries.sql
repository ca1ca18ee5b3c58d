-- name: stored_ids
-- {marks} is one "?" per id of the chunk. Duplicates are rare, so this usually returns
-- no row: one step, where RETURNING on the insert would take a step (and a round trip
-- through Python's GIL) per inserted row.
SELECT id FROM events WHERE id IN ({marks})

-- name: insert_events
-- {values} is one "(?, ?, ?, ?, ?, ?, ?, ?, ?)" per event of the chunk; none of their ids
-- is stored (stored_ids, in the same transaction, under the write lock).
INSERT INTO events (id, account, livemode, type, created, order_key, received_at,
                    available_at, payload)
VALUES {values}

-- name: due_accounts
-- The accounts whose head (unfinished event with the smallest order_key) is due, the
-- longest-waiting first. `busy` hops from one account with unfinished events to the
-- next through the partial index (a loose index scan: one seek per account), so the
-- cost follows the number of busy accounts, never the backlog's size. It reads no
-- payload and takes no lock: the worker runs it before asking for the write lock.
WITH RECURSIVE busy(account) AS (
    SELECT MIN(account) FROM events WHERE status IN ('pending', 'failed')
    UNION ALL
    SELECT (SELECT MIN(account) FROM events
            WHERE status IN ('pending', 'failed') AND account > busy.account)
    FROM busy WHERE busy.account IS NOT NULL
)
SELECT busy.account
FROM busy JOIN events AS e ON e.rowid = (
    SELECT rowid FROM events
    WHERE status IN ('pending', 'failed') AND account = busy.account
    ORDER BY order_key LIMIT 1
)
WHERE e.available_at <= ?
ORDER BY e.available_at, e.created, e.id
LIMIT ?

-- name: account_head
-- One account's head, read again inside the write transaction (another worker may have
-- processed it, or an earlier event arrived since due_accounts); none if it is not due.
SELECT id, account, livemode, type, created, status, attempts, received_at, available_at,
       completed_at, last_error, erased_at, payload
FROM events
WHERE rowid = (
    SELECT rowid FROM events
    WHERE status IN ('pending', 'failed') AND account = ?
    ORDER BY order_key LIMIT 1
)
  AND available_at <= ?

-- name: next_due_at
WITH RECURSIVE busy(account) AS (
    SELECT MIN(account) FROM events WHERE status IN ('pending', 'failed')
    UNION ALL
    SELECT (SELECT MIN(account) FROM events
            WHERE status IN ('pending', 'failed') AND account > busy.account)
    FROM busy WHERE busy.account IS NOT NULL
)
SELECT MIN((
    SELECT available_at FROM events
    WHERE status IN ('pending', 'failed') AND account = busy.account
    ORDER BY order_key LIMIT 1
))
FROM busy WHERE busy.account IS NOT NULL

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
