"""What the dashboard's pages of accounts, apps and endpoints read: the state functions
(state/) where they exist, a few joins of its own where a page shows more at once.

Every function runs on the sandbox's lane and returns plain values for the templates."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from ... import catalog
from ...manifest import required_permissions
from ..state import accounts, apps, endpoints
from ..state.db import loads
from ..state.records import AppRecord, Endpoint, Install

__all__ = [
    "AccountRow",
    "AppView",
    "EndpointView",
    "account_rows",
    "app_view",
    "endpoint_view",
    "grant_fix",
]


@dataclass(frozen=True, slots=True)
class AccountRow:
    id: str
    kind: str
    """``platform`` (the sandbox's own), ``merchant`` (standalone) or ``connected``."""
    name: str | None
    email: str | None
    platform: str | None
    created: int
    test_key: str | None
    installs: list[Install]


def platform_id(db: sqlite3.Connection) -> str | None:
    """The sandbox's platform: the first standalone account (service.Sandbox.platform)."""
    found = accounts.list_accounts(db, platform=None)
    return found[-1]["id"] if found else None


def account_rows(db: sqlite3.Connection) -> list[AccountRow]:
    """Every live account: the platform first, then merchants and connected ones, newest
    first within each."""
    platform = platform_id(db)
    standalone = accounts.list_accounts(db, platform=None)
    connected = accounts.connections(db)
    bodies = list(standalone)
    for owner in dict.fromkeys(connected.values()):
        bodies.extend(accounts.list_accounts(db, platform=owner))
    rows = []
    for body in bodies:
        kind = "platform" if body["id"] == platform else (
            "connected" if body["id"] in connected else "merchant"
        )  # fmt: skip
        rows.append(
            AccountRow(
                body["id"],
                kind,
                (body.get("business_profile") or {}).get("name"),
                body.get("email"),
                connected.get(body["id"]),
                body["created"],
                accounts.keys_of(db, body["id"]).get("test"),
                apps.list_installs(db, account=body["id"]),
            )
        )
    order = {"platform": 0, "merchant": 1, "connected": 2}
    return sorted(rows, key=lambda r: order[r.kind])


@dataclass
class AppView:
    app: AppRecord
    versions: list[tuple[str, list[str]]]
    installs: list[Install]
    latest: str
    let_through: list[str] = field(default_factory=list)
    """Event types the latest version's permissions let through to the app."""
    withheld: list[dict[str, Any]] = field(default_factory=list)
    """Per event type and reason: how many events its endpoints did not get, and the fix."""


def app_list(db: sqlite3.Connection) -> list[AppView]:
    return [app_view(db, app.id, details=False) for app in apps.list_apps(db)]


def app_view(db: sqlite3.Connection, app_id: str, *, details: bool = True) -> AppView:
    app = apps.get_app(db, app_id)
    versions = apps.versions(db, app.id)
    view = AppView(app, versions, apps.list_installs(db, app_id=app.id), versions[-1][0])
    if details:
        view.let_through = let_through(frozenset(versions[-1][1]))
        view.withheld = withheld_from_app(db, app)
    return view


def let_through(granted: frozenset[str]) -> list[str]:
    """The event types an app with ``granted`` receives: event_read plus one of theirs."""
    if "event_read" not in granted:
        return []
    return [t for t in catalog.event_types() if set(catalog.permissions_for(t)) & granted]


def withheld_from_app(db: sqlite3.Connection, app: AppRecord) -> list[dict[str, Any]]:
    rows = db.execute(
        "SELECT ev.type, ev.account, w.reason, w.message, COUNT(*) AS events, MAX(ev.id) AS last"
        " FROM withheld w JOIN webhook_endpoints e ON e.id = w.endpoint"
        " JOIN events ev ON ev.id = w.event"
        " WHERE e.account = ? AND e.connect = 1"
        " GROUP BY ev.type, ev.account, w.reason ORDER BY events DESC, ev.type",
        (app.owner,),
    ).fetchall()
    found = []
    for r in rows:
        fix = grant_fix(db, r["reason"], r["type"], r["account"], app.id)
        found.append({**dict(r), "fix": fix})
    return found


def grant_fix(
    db: sqlite3.Connection, reason: str, event_type: str, account: str, app_id: str | None
) -> list[str]:
    """The commands that let the app receive ``event_type`` from ``account`` once more:
    grant what its installed version lacks, then upgrade the install (empty when the
    reason is not a permission)."""
    if reason != "missing_permission" or not catalog.is_known_event_type(event_type):
        return []
    install = apps.get_install(db, account, app_id) if app_id else None
    granted = apps.permissions_of(db, install.app, install.version) if install else frozenset[str]()
    needs = [n for n in required_permissions([event_type]) if n.permission not in granted]
    wanted = set(catalog.permissions_for(event_type))
    if wanted & granted:  # one of the type's is granted: only event_read is missing
        needs = [n for n in needs if n.permission == "event_read"]
    if not needs:
        return []
    mode = f" --mode {install.mode}" if install and install.mode != "test" else ""
    return [n.grant_command() for n in needs] + [
        f"appevents apps upgrade --account {account}{mode}"
    ]


@dataclass
class EndpointView:
    endpoint: Endpoint
    owner_kind: str
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    succeeded: int = 0
    failed: int = 0
    pending: int = 0
    attempts: int = 0
    attempts_ok: int = 0


def endpoint_list(db: sqlite3.Connection) -> tuple[list[EndpointView], list[EndpointView]]:
    """The webhook endpoints, then the v2 event destinations, each with its tallies."""
    kinds = {r.id: r.kind for r in account_rows(db)}
    tallies = {
        r["endpoint"]: r
        for r in db.execute(
            "SELECT endpoint, SUM(status = 'succeeded') AS succeeded,"
            " SUM(status = 'failed') AS failed, SUM(status = 'pending') AS pending"
            " FROM deliveries GROUP BY endpoint"
        )
    }

    def view(e: Endpoint) -> EndpointView:
        t = tallies.get(e.id)
        v = EndpointView(e, kinds.get(e.account, "unknown"))
        if t is not None:
            v.succeeded, v.failed, v.pending = t["succeeded"], t["failed"], t["pending"]
        return v

    own = [view(e) for e in endpoints.list_endpoints(db)]
    destinations = [view(e) for e in endpoints.list_endpoints(db, destinations=True)]
    return own, destinations


def endpoint_view(db: sqlite3.Connection, endpoint_id: str, limit: int = 100) -> EndpointView:
    endpoint = endpoints.get_endpoint(db, endpoint_id)
    kinds = {r.id: r.kind for r in account_rows(db)}
    view = EndpointView(endpoint, kinds.get(endpoint.account, "unknown"))
    rows = db.execute(
        "SELECT d.id, d.event, d.status, d.attempts, d.next_attempt_at, d.last_attempt_at,"
        " ev.type, COALESCE(t.account, ev.account) AS account"
        " FROM deliveries d JOIN events ev ON ev.id = d.event"
        " LEFT JOIN thin_events t ON t.id = d.event"  # a thin event's account is there
        " WHERE d.endpoint = ? ORDER BY d.id DESC LIMIT ?",
        (endpoint_id, limit),
    ).fetchall()
    view.deliveries = [dict(r) for r in rows]
    totals = db.execute(
        "SELECT COALESCE(SUM(status = 'succeeded'), 0), COALESCE(SUM(status = 'failed'), 0),"
        " COALESCE(SUM(status = 'pending'), 0) FROM deliveries WHERE endpoint = ?",
        (endpoint_id,),
    ).fetchone()
    view.succeeded, view.failed, view.pending = totals
    attempts = db.execute(
        "SELECT COUNT(*), COALESCE(SUM(a.status_code BETWEEN 200 AND 299), 0)"
        " FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery WHERE d.endpoint = ?",
        (endpoint_id,),
    ).fetchone()
    view.attempts, view.attempts_ok = attempts
    return view


def manifest_of(db: sqlite3.Connection, app_id: str, version: str) -> dict[str, Any]:
    row = db.execute(
        "SELECT manifest FROM app_versions WHERE app = ? AND version = ?", (app_id, version)
    ).fetchone()
    manifest: dict[str, Any] = loads(row["manifest"]) if row else {}
    return manifest
