-- 1 -> 2: attempts carry their event's account and livemode, as every stored row does.
ALTER TABLE attempts ADD COLUMN account TEXT NOT NULL DEFAULT '';
ALTER TABLE attempts ADD COLUMN livemode INTEGER NOT NULL DEFAULT 0;
UPDATE attempts SET
    account = (SELECT account FROM events WHERE events.id = attempts.event_id),
    livemode = (SELECT livemode FROM events WHERE events.id = attempts.event_id)
WHERE EXISTS (SELECT 1 FROM events WHERE events.id = attempts.event_id);
PRAGMA user_version = 2;
