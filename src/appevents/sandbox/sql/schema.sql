-- The sandbox's state: a local Stripe's accounts, apps, endpoints, events and deliveries.

CREATE TABLE IF NOT EXISTS accounts (
    id          TEXT PRIMARY KEY,
    platform    TEXT REFERENCES accounts (id),  -- the platform that created it (Connect)
    created     INTEGER NOT NULL,
    body        TEXT NOT NULL                    -- the account object, as the API returns it
);

CREATE TABLE IF NOT EXISTS api_keys (
    key         TEXT PRIMARY KEY,
    account     TEXT NOT NULL REFERENCES accounts (id),
    livemode    INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS apps (
    id           TEXT PRIMARY KEY,               -- ca_...
    owner        TEXT NOT NULL REFERENCES accounts (id),
    manifest_id  TEXT NOT NULL UNIQUE,           -- stripe-app.json "id"
    name         TEXT NOT NULL,
    created      INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS app_versions (
    app          TEXT NOT NULL REFERENCES apps (id),
    version      TEXT NOT NULL,
    permissions  TEXT NOT NULL,                  -- JSON list of granted permission names
    manifest     TEXT NOT NULL,
    created      INTEGER NOT NULL,
    PRIMARY KEY (app, version)
);

CREATE TABLE IF NOT EXISTS installs (
    account         TEXT NOT NULL REFERENCES accounts (id),
    app             TEXT NOT NULL REFERENCES apps (id),
    mode            TEXT NOT NULL CHECK (mode IN ('live', 'test', 'live+test', 'sandbox')),
    version         TEXT NOT NULL,
    active          INTEGER NOT NULL,
    installed_at    INTEGER NOT NULL,
    uninstalled_at  INTEGER,
    PRIMARY KEY (account, app)
);

CREATE TABLE IF NOT EXISTS webhook_endpoints (
    id           TEXT PRIMARY KEY,
    account      TEXT NOT NULL REFERENCES accounts (id),
    livemode     INTEGER NOT NULL,
    connect      INTEGER NOT NULL,
    application  TEXT,
    url          TEXT NOT NULL,
    enabled_events TEXT NOT NULL,                -- JSON list
    status       TEXT NOT NULL CHECK (status IN ('enabled', 'disabled')),
    secret       TEXT NOT NULL,
    api_version  TEXT,
    description  TEXT,
    metadata     TEXT NOT NULL,                  -- JSON object
    created      INTEGER NOT NULL,
    failing_since REAL,                          -- start of the current failure streak
    deleted      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,  -- creation order, for listing
    id           TEXT NOT NULL UNIQUE,
    account      TEXT NOT NULL,                  -- the account it happened on
    livemode     INTEGER NOT NULL,
    type         TEXT NOT NULL,
    created      INTEGER NOT NULL,
    body         TEXT NOT NULL                   -- the event object without pending_webhooks
);

CREATE INDEX IF NOT EXISTS events_by_account ON events (account, livemode, seq);

CREATE TABLE IF NOT EXISTS objects (
    account      TEXT NOT NULL,
    id           TEXT NOT NULL,
    livemode     INTEGER NOT NULL,
    object       TEXT NOT NULL,                  -- "payment_intent", "checkout.session", ...
    body         TEXT NOT NULL,
    updated      INTEGER NOT NULL,
    PRIMARY KEY (account, id)
);

CREATE TABLE IF NOT EXISTS deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    event            TEXT NOT NULL REFERENCES events (id),
    endpoint         TEXT NOT NULL REFERENCES webhook_endpoints (id),
    status           TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  REAL,
    first_attempt_at REAL,
    last_attempt_at  REAL,
    UNIQUE (event, endpoint)
);

CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';

CREATE TABLE IF NOT EXISTS withheld (
    event        TEXT NOT NULL REFERENCES events (id),
    endpoint     TEXT NOT NULL,
    reason       TEXT NOT NULL,
    message      TEXT NOT NULL,
    PRIMARY KEY (event, endpoint)
);

CREATE TABLE IF NOT EXISTS delivery_attempts (
    delivery     INTEGER NOT NULL REFERENCES deliveries (id),
    number       INTEGER NOT NULL,
    at           REAL NOT NULL,
    duration_ms  REAL NOT NULL,
    status_code  INTEGER,                        -- NULL: no HTTP answer (see error)
    response     TEXT,                           -- first 5000 bytes of the answer
    error        TEXT
);

CREATE INDEX IF NOT EXISTS attempts_by_delivery ON delivery_attempts (delivery);

-- `appevents listen`: one stable signing secret per device, and how far it has read.
CREATE TABLE IF NOT EXISTS cli_devices (
    account      TEXT NOT NULL REFERENCES accounts (id),
    livemode     INTEGER NOT NULL,
    device       TEXT NOT NULL,
    secret       TEXT NOT NULL,
    cursor       INTEGER NOT NULL,               -- seq of the last event it acknowledged
    PRIMARY KEY (account, livemode, device)
);

-- What the local endpoint answered a `listen` client's forward (its webhook_response).
CREATE TABLE IF NOT EXISTS cli_responses (
    event        TEXT NOT NULL REFERENCES events (id),
    account      TEXT NOT NULL,                  -- the listening device's
    livemode     INTEGER NOT NULL,
    device       TEXT NOT NULL,
    at           REAL NOT NULL,
    forward_url  TEXT NOT NULL,
    status_code  INTEGER NOT NULL,
    response     TEXT NOT NULL                   -- first 5000 bytes of the answer
);

CREATE INDEX IF NOT EXISTS cli_responses_by_event ON cli_responses (event);

-- The REST API's idempotency keys (Stripe keeps them 24 hours), per account and mode.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    account      TEXT NOT NULL,
    livemode     INTEGER NOT NULL,
    key          TEXT NOT NULL,
    request      TEXT NOT NULL,                  -- "POST /v1/customers"
    fingerprint  TEXT NOT NULL,                  -- of the parameters
    status       INTEGER NOT NULL,
    response     TEXT NOT NULL,
    created      INTEGER NOT NULL,
    PRIMARY KEY (account, livemode, key)
);

-- Objects listed under another one (/v1/customers/{customer}/sources): which, in order.
CREATE TABLE IF NOT EXISTS object_children (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    account      TEXT NOT NULL,
    collection   TEXT NOT NULL,                  -- "/v1/customers/cus_1/sources"
    id           TEXT NOT NULL,
    UNIQUE (account, collection, id)
);

-- v2 event destinations: a row of webhook_endpoints each (its URL, secret, status, enabled
-- events: delivered, retried and disabled as an endpoint), and here what v2 adds.
CREATE TABLE IF NOT EXISTS event_destinations (
    id             TEXT PRIMARY KEY REFERENCES webhook_endpoints (id),
    event_payload  TEXT NOT NULL CHECK (event_payload IN ('snapshot', 'thin')),
    events_from    TEXT NOT NULL,                -- JSON list: "@self", "@accounts"
    body           TEXT NOT NULL                 -- the v2.core.event_destination's own fields
);

-- v2 thin events (GET /v2/core/events). Each also has a row in events, with account ''
-- (so no v1 listing, stream or lookup finds it) and its notification as body: the
-- deliveries table, which references events, holds thin deliveries as any other.
CREATE TABLE IF NOT EXISTS thin_events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,  -- creation order
    id           TEXT NOT NULL UNIQUE,
    account      TEXT NOT NULL,                  -- the account it happened on
    livemode     INTEGER NOT NULL,
    type         TEXT NOT NULL,
    created_ms   INTEGER NOT NULL,               -- for the created filters; "created" is RFC 3339
    object_id    TEXT,                           -- related_object.id, for the object_id filter
    body         TEXT NOT NULL                   -- the event as GET /v2/core/events/{id} answers
);

CREATE INDEX IF NOT EXISTS thin_events_by_account ON thin_events (account, livemode, seq);

-- The v2 meter event API: sessions (their token authenticates the event stream) and the
-- events' identifiers, unique per account for 24 hours, which adjustments cancel.
CREATE TABLE IF NOT EXISTS meter_event_sessions (
    id           TEXT PRIMARY KEY,
    token        TEXT NOT NULL UNIQUE REFERENCES api_keys (key),
    account      TEXT NOT NULL,
    livemode     INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS meter_events (
    account      TEXT NOT NULL,
    livemode     INTEGER NOT NULL,
    identifier   TEXT NOT NULL,
    event_name   TEXT NOT NULL,
    created      INTEGER NOT NULL,
    canceled     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account, livemode, identifier)
);

-- The v2 Accounts API: each v2 account is a row of accounts too (acct_…, a connected account
-- of the platform that created it, its v1 fields mapped from the v2 ones); here its v2 body.
CREATE TABLE IF NOT EXISTS v2_accounts (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,  -- creation order, for lists
    id           TEXT NOT NULL UNIQUE REFERENCES accounts (id),
    platform     TEXT NOT NULL,                  -- the account that created it
    livemode     INTEGER NOT NULL,
    closed       INTEGER NOT NULL DEFAULT 0,
    body         TEXT NOT NULL                   -- the v2.core.account, every include filled
);

CREATE INDEX IF NOT EXISTS v2_accounts_by_platform ON v2_accounts (platform, livemode, seq);

CREATE TABLE IF NOT EXISTS v2_persons (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    account      TEXT NOT NULL REFERENCES v2_accounts (id),
    deleted      INTEGER NOT NULL DEFAULT 0,     -- kept: a deleted person's GET is its stub
    body         TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS v2_persons_by_account ON v2_persons (account, seq);

-- Account links: single use, until expires_at; their URL is the sandbox's own.
CREATE TABLE IF NOT EXISTS v2_account_links (
    token        TEXT PRIMARY KEY,
    account      TEXT NOT NULL REFERENCES v2_accounts (id),
    platform     TEXT NOT NULL,
    livemode     INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    used         INTEGER NOT NULL DEFAULT 0,
    body         TEXT NOT NULL                   -- the v2.core.account_link
);

PRAGMA user_version = 6;
