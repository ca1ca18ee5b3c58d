-- Fragments, spelled once and spliced into the queries that name them in braces:
-- {busy_accounts} and {account_events} (queries.py).
--
-- The queue's queries name their index (INDEXED BY): both per-account indexes could
-- serve them, and walking inbox_by_account past an account's done events would cost
-- what the partial index saves. Without statistics the planner may choose either.

-- name: busy_accounts
-- Hops from one account with unfinished events to the next through the partial index
-- (a loose index scan: one seek per account), so the cost follows the number of busy
-- accounts, never the backlog's size.
WITH RECURSIVE busy(account) AS (
    SELECT MIN(account) FROM inbox INDEXED BY inbox_unfinished
    WHERE admitted = 1 AND status IN ('pending', 'failed')
    UNION ALL
    SELECT (SELECT MIN(account) FROM inbox INDEXED BY inbox_unfinished
            WHERE admitted = 1 AND status IN ('pending', 'failed')
              AND account > busy.account)
    FROM busy WHERE busy.account IS NOT NULL
)

-- name: account_events
-- The seq of an account's events created up to a time (?2 account, ?3 livemode,
-- ?4 created). Erasing runs in the worker's transaction, after admission: every row
-- is admitted then.
SELECT seq FROM inbox INDEXED BY inbox_by_account
WHERE admitted = 1 AND account = ?2 AND livemode = ?3 AND created <= ?4

-- name: stored_ids
-- {marks} is one "?" per id of the chunk. Duplicates are rare, so this usually returns
-- no row: one step, where RETURNING on the insert would take a step (and a round trip
-- through Python's GIL) per inserted row.
SELECT id FROM inbox WHERE id IN ({marks})

-- name: last_seq
SELECT COALESCE(MAX(seq), 0) FROM inbox

-- name: insert_inbox
-- {values} is one "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" per event of the chunk: none of their
-- ids is stored (stored_ids, in the same transaction, under the write lock), and their
-- seq follow last_seq.
INSERT INTO inbox (seq, id, account, livemode, type, created, order_key, received_at,
                   available_at, source)
VALUES {values}

-- name: insert_payloads
-- {values} is one "(?, ?, ?)" per event of the chunk.
INSERT INTO payloads (seq, body, encoding) VALUES {values}

-- name: has_unadmitted
SELECT EXISTS (SELECT 1 FROM inbox WHERE admitted = 0)

-- name: admit
-- The oldest new rows into the per-account indexes, at most ? of them: after a long
-- outage of the worker, admitting all at once would hold the write lock (and so the
-- receiver's commits) for seconds.
UPDATE inbox SET admitted = 1
WHERE seq IN (SELECT seq FROM inbox WHERE admitted = 0 ORDER BY seq LIMIT ?)
RETURNING account

-- name: due_accounts
-- The accounts whose head (unfinished event with the smallest order_key) is due, the
-- longest-waiting first. It reads no payload and takes no lock: the worker runs it
-- before asking for the write lock.
{busy_accounts}
SELECT busy.account
FROM busy JOIN inbox AS e ON e.seq = (
    SELECT seq FROM inbox INDEXED BY inbox_unfinished
    WHERE admitted = 1 AND status IN ('pending', 'failed') AND account = busy.account
    ORDER BY order_key LIMIT 1
)
WHERE e.available_at <= ?
ORDER BY e.available_at, e.created, e.id
LIMIT ?

-- name: account_head
-- One account's head, read again inside the write transaction (another worker may have
-- processed it, or an earlier event was admitted since due_accounts); none if it is not
-- due. The stored event's columns, the payload's encoding, its source, then seq.
SELECT i.id, i.account, i.livemode, i.type, i.created, i.status, i.attempts,
       i.received_at, i.available_at, i.completed_at, i.last_error, i.erased_at, p.body,
       p.encoding, i.source, i.seq
FROM inbox AS i LEFT JOIN payloads AS p ON p.seq = i.seq
WHERE i.seq = (
    SELECT seq FROM inbox INDEXED BY inbox_unfinished
    WHERE admitted = 1 AND status IN ('pending', 'failed') AND account = ?
    ORDER BY order_key LIMIT 1
)
  AND i.available_at <= ?

-- name: next_due_at
-- When the earliest head is due, or the earliest row waiting for admission (which the
-- worker admits, then processes if it is a head).
{busy_accounts}
SELECT MIN(due) FROM (
    SELECT (
        SELECT available_at FROM inbox INDEXED BY inbox_unfinished
        WHERE admitted = 1 AND status IN ('pending', 'failed') AND account = busy.account
        ORDER BY order_key LIMIT 1
    ) AS due
    FROM busy WHERE busy.account IS NOT NULL
    UNION ALL
    SELECT MIN(available_at) FROM inbox WHERE admitted = 0
)

-- name: settle_event
UPDATE inbox
SET status = ?, attempts = ?, available_at = COALESCE(?, available_at), completed_at = ?,
    last_error = ?
WHERE seq = ?

-- name: mark_erased
-- erased_at keeps the first erasure's time: it is set exactly when the payload goes.
UPDATE inbox SET erased_at = ? WHERE seq = ? AND erased_at IS NULL

-- name: erase_payload
DELETE FROM payloads WHERE seq = ?

-- name: insert_attempt
INSERT INTO attempts (event_seq, event_id, account, livemode, number, started_at,
                      finished_at, status, error)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)

-- name: erase_account
-- ?1 the time; error texts go too: a handler's traceback may quote the account's data.
UPDATE inbox SET last_error = NULL, erased_at = ?1
WHERE seq IN ({account_events}) AND erased_at IS NULL

-- name: erase_account_payloads
DELETE FROM payloads WHERE seq IN ({account_events})

-- name: erase_account_attempts
UPDATE attempts SET error = NULL
WHERE event_seq IN ({account_events}) AND error IS NOT NULL

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
SELECT i.id, i.account, i.livemode, i.type, i.created, i.status, i.attempts,
       i.received_at, i.available_at, i.completed_at, i.last_error, i.erased_at, p.body,
       p.encoding, i.source
FROM inbox AS i LEFT JOIN payloads AS p ON p.seq = i.seq
WHERE i.id = ?

-- name: list_events
-- {where} filters on status and account (or is empty).
SELECT i.id, i.account, i.livemode, i.type, i.created, i.status, i.attempts,
       i.received_at, i.available_at, i.completed_at, i.last_error, i.erased_at, p.body,
       p.encoding, i.source
FROM inbox AS i LEFT JOIN payloads AS p ON p.seq = i.seq
{where}
ORDER BY i.received_at DESC, i.order_key DESC
LIMIT ?

-- name: list_attempts
SELECT event_id, number, started_at, finished_at, status, error
FROM attempts WHERE event_seq = (SELECT seq FROM inbox WHERE id = ?) ORDER BY rowid

-- name: replay_event
UPDATE inbox SET status = 'pending', attempts = 0, available_at = ?, completed_at = NULL
WHERE id = ?

-- name: dead_ids
SELECT id FROM inbox WHERE status = 'dead' ORDER BY order_key

-- name: counts
SELECT status, COUNT(*) FROM inbox GROUP BY status

-- name: backlog
-- ?1 now, ?2 how many accounts and workers at most. Reads the unfinished events only,
-- through the two indexes that hold them (admitted ones: inbox_unfinished; new ones,
-- all pending: inbox_unadmitted), so its cost follows the backlog, never the events
-- done. Rows: ('total', NULL, pending, failed due, failed later, oldest pending
-- received_at, NULL), then ('account', account, unfinished, 0, 0, oldest received_at,
-- NULL) busiest first, then ('worker', name, 0, 0, 0, beat_at, started_at) latest first.
WITH unfinished AS MATERIALIZED (
    SELECT account, status, available_at, received_at
    FROM inbox INDEXED BY inbox_unfinished
    WHERE admitted = 1 AND status IN ('pending', 'failed')
    UNION ALL
    SELECT account, status, available_at, received_at
    FROM inbox INDEXED BY inbox_unadmitted WHERE admitted = 0
)
SELECT 'total', NULL,
       COALESCE(SUM(status = 'pending'), 0),
       COALESCE(SUM(status = 'failed' AND available_at <= ?1), 0),
       COALESCE(SUM(status = 'failed' AND available_at > ?1), 0),
       MIN(CASE WHEN status = 'pending' THEN received_at END),
       NULL
FROM unfinished
UNION ALL
SELECT * FROM (
    SELECT 'account', account, COUNT(*), 0, 0, MIN(received_at), NULL
    FROM unfinished GROUP BY account ORDER BY COUNT(*) DESC, account LIMIT ?2
)
UNION ALL
SELECT * FROM (
    SELECT 'worker', name, 0, 0, 0, beat_at, started_at
    FROM workers ORDER BY beat_at DESC, name LIMIT ?2
)

-- name: counts_by_type
-- The ? types with the most events, each with its counts by status.
SELECT type, status, COUNT(*) FROM inbox
WHERE type IN (SELECT type FROM inbox GROUP BY type ORDER BY COUNT(*) DESC, type LIMIT ?)
GROUP BY type, status

-- name: beat
INSERT INTO workers (name, started_at, beat_at) VALUES (?, ?, ?)
ON CONFLICT (name) DO UPDATE SET started_at = excluded.started_at, beat_at = excluded.beat_at

-- name: forget_silent_workers
DELETE FROM workers WHERE beat_at < ?

-- name: forget_worker
DELETE FROM workers WHERE name = ?

-- name: newest_created
-- Where `catchup --since-last` starts: the account's newest event, admitted or not.
SELECT MAX(newest) FROM (
    SELECT MAX(created) AS newest FROM inbox INDEXED BY inbox_by_account
    WHERE admitted = 1 AND account = ?1 AND livemode = ?2
    UNION ALL
    SELECT MAX(created) FROM inbox WHERE admitted = 0 AND account = ?1 AND livemode = ?2
)

-- name: get_catchup_progress
SELECT account, livemode, since, until, through, updated_at
FROM catchup_progress WHERE account = ? AND livemode = ?

-- name: save_catchup_progress
INSERT INTO catchup_progress (account, livemode, since, until, through, updated_at)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (account, livemode) DO UPDATE SET
    since = excluded.since, until = excluded.until, through = excluded.through,
    updated_at = excluded.updated_at

-- name: prune_candidates
-- Finished events past their retention (?1 done completed before, ?2 dead received
-- before; NULL keeps them), oldest first: seq, and whether it goes whole (created before
-- ?3). Rows already stripped are only chosen again to go whole.
SELECT seq, created < ?3 FROM inbox
WHERE admitted = 1
  AND ((status IN ('done', 'skipped') AND completed_at < ?1)
       OR (status = 'dead' AND received_at < ?2))
  AND (created < ?3 OR erased_at IS NULL)
ORDER BY seq
LIMIT ?4

-- name: prune_delete
-- {marks} is one "?" per seq.
DELETE FROM inbox WHERE seq IN ({marks})

-- name: prune_strip
-- ?1 the time, then {marks}.
UPDATE inbox SET erased_at = ?1, last_error = NULL WHERE seq IN ({marks})

-- name: prune_payloads
DELETE FROM payloads WHERE seq IN ({marks})

-- name: prune_attempts
DELETE FROM attempts WHERE event_seq IN ({marks})
