"""Stripe Apps in the sandbox: registered from their manifest, installed on accounts."""

from __future__ import annotations

import sqlite3
from typing import Any

from ..stripe_errors import InvalidRequest, ResourceMissing
from .db import cache_of, dumps, loads
from .records import AppRecord, Install

__all__ = ["AppRecord", "Install"]

INSTALL_MODES = ("live", "test", "live+test", "sandbox")


def register_app(db: sqlite3.Connection, app: AppRecord) -> AppRecord:
    existing = db.execute(
        "SELECT id FROM apps WHERE manifest_id = ?", (app.manifest_id,)
    ).fetchone()
    if existing is not None:
        raise InvalidRequest(
            f"An app with manifest id {app.manifest_id!r} is already registered as "
            f"{existing['id']}: add a version to it instead",
            param="manifest",
        )
    db.execute(
        "INSERT INTO apps (id, owner, manifest_id, name, created) VALUES (?, ?, ?, ?, ?)",
        (app.id, app.owner, app.manifest_id, app.name, app.created),
    )
    if (cache := cache_of(db)) is not None:
        cache.apps.pop(app.id, None)
        cache.apps.pop(app.manifest_id, None)
    return app


def add_version(
    db: sqlite3.Connection, app_id: str, version: str, manifest: dict[str, Any], created: int
) -> None:
    permissions = sorted({p["permission"] for p in manifest.get("permissions", [])})
    db.execute(
        "INSERT INTO app_versions (app, version, permissions, manifest, created)"
        " VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (app, version) DO UPDATE SET permissions = excluded.permissions,"
        " manifest = excluded.manifest",
        (app_id, version, dumps(permissions), dumps(manifest), created),
    )
    if (cache := cache_of(db)) is not None:
        cache.permissions.pop((app_id, version), None)  # a version may be re-registered


def get_app(db: sqlite3.Connection, app_id: str) -> AppRecord:
    """The app by its ``ca_`` id or its manifest id."""
    cache = cache_of(db)
    if cache is not None and (known := cache.apps.get(app_id)) is not None:
        return known
    row = db.execute(
        "SELECT id, owner, manifest_id, name, created FROM apps WHERE id = ? OR manifest_id = ?",
        (app_id, app_id),
    ).fetchone()
    if row is None:
        raise ResourceMissing("application", app_id, param="app")
    app = AppRecord(*row)
    if cache is not None:
        cache.apps[app_id] = app  # apps are never changed nor deleted once registered
    return app


def list_apps(db: sqlite3.Connection) -> list[AppRecord]:
    rows = db.execute("SELECT id, owner, manifest_id, name, created FROM apps ORDER BY created")
    return [AppRecord(*r) for r in rows]


def versions(db: sqlite3.Connection, app_id: str) -> list[tuple[str, list[str]]]:
    rows = db.execute(
        "SELECT version, permissions FROM app_versions WHERE app = ? ORDER BY created, rowid",
        (app_id,),
    )
    return [(r["version"], loads(r["permissions"])) for r in rows]


def permissions_of(db: sqlite3.Connection, app_id: str, version: str) -> frozenset[str]:
    cache = cache_of(db)
    if cache is not None and (known := cache.permissions.get((app_id, version))) is not None:
        return known
    row = db.execute(
        "SELECT permissions FROM app_versions WHERE app = ? AND version = ?", (app_id, version)
    ).fetchone()
    if row is None:
        raise InvalidRequest(f"App {app_id} has no version {version!r}", param="version")
    granted = frozenset(loads(row["permissions"]))
    if cache is not None:
        cache.permissions[(app_id, version)] = granted
    return granted


def save_install(db: sqlite3.Connection, install: Install) -> Install:
    db.execute(
        "INSERT INTO installs (account, app, mode, version, active, installed_at, uninstalled_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account, app) DO UPDATE SET"
        " mode = excluded.mode, version = excluded.version, active = excluded.active,"
        " installed_at = excluded.installed_at, uninstalled_at = excluded.uninstalled_at",
        (install.account, install.app, install.mode, install.version, install.active,
         install.installed_at, install.uninstalled_at),
    )  # fmt: skip
    if (cache := cache_of(db)) is not None:
        cache.installs.pop(install.account, None)
    return install


def get_install(db: sqlite3.Connection, account: str, app_id: str) -> Install | None:
    if cache_of(db) is not None:
        return next((i for i in list_installs(db, account=account) if i.app == app_id), None)
    row = db.execute(
        "SELECT account, app, mode, version, active, installed_at, uninstalled_at FROM installs"
        " WHERE account = ? AND app = ?",
        (account, app_id),
    ).fetchone()
    return None if row is None else _install(row)


def list_installs(
    db: sqlite3.Connection, *, app_id: str | None = None, account: str | None = None
) -> list[Install]:
    """Installs (active or not) of an app, or on an account, or all of them; in the order
    they were first made. Those on one account are what routing reads for every event."""
    sql = "SELECT account, app, mode, version, active, installed_at, uninstalled_at FROM installs"
    if app_id is not None:
        rows = db.execute(sql + " WHERE app = ? ORDER BY rowid", (app_id,))
    elif account is not None:
        cache = cache_of(db)
        if cache is not None and (known := cache.installs.get(account)) is not None:
            return list(known)
        rows = db.execute(sql + " WHERE account = ? ORDER BY rowid", (account,))
        installs = [_install(r) for r in rows]
        if cache is not None:
            cache.installs[account] = tuple(installs)
        return installs
    else:
        rows = db.execute(sql + " ORDER BY rowid")
    return [_install(r) for r in rows]


def _install(row: sqlite3.Row) -> Install:
    return Install(
        row["account"], row["app"], row["mode"], row["version"], bool(row["active"]),
        row["installed_at"], row["uninstalled_at"],
    )  # fmt: skip
