"""The sandbox's operations, over its state: what the HTTP API and the CLI call.

Synchronous and single-threaded by design: the server runs every call on one lane (a
thread owning the SQLite connection), so operations never interleave, and each one that
writes is one transaction.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from . import endpoint_params, routing, visibility
from .callers import Caller, identify
from .formdata import as_bool, as_metadata, as_optional_str
from .ids import IdFactory
from .owed import LEASE, Owed, payload_of
from .registration_params import account_fields, checked_manifest
from .resend_hint import unrouted
from .state import accounts, apps, endpoints, events
from .state.apps import INSTALL_MODES, AppRecord, Install
from .state.db import StateDB, dumps
from .state.endpoints import Endpoint
from .stripe_errors import InvalidRequest, PermissionDenied, ResourceMissing

__all__ = ["API_VERSION", "Sandbox"]

API_VERSION = "2024-06-20"
MAX_ENDPOINTS = 16  # per account, as Stripe


class Sandbox:
    def __init__(
        self,
        db: StateDB,
        *,
        ids: IdFactory | None = None,
        clock: Callable[[], float] = time.time,
        on_delivery_due: Callable[[], None] = lambda: None,
        on_deliveries: Callable[[list[Owed]], None] = lambda owed: None,
        on_event: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.ids = ids or IdFactory()
        self.clock = clock
        self.on_delivery_due = on_delivery_due
        """Rows of the deliveries table became due (resend, endpoint enabled again)."""
        self.on_deliveries = on_deliveries
        """New deliveries, called once their transaction committed (on the lane)."""
        self.on_event = on_event
        self.on_emitted: Callable[[dict[str, Any], str], None] = lambda event, account: None
        """Each v1 event as it is emitted, in its transaction (v2/twins.py's thin twins)."""
        self.keys_swept_at = 0
        """When expired idempotency keys were last dropped (rest/gateway.py)."""
        self.last_emitted: tuple[dict[str, Any], str] | None = None
        """The last object an event carried, and its JSON: an API call that answers with
        that very object (creating a customer) answers with that JSON."""

    def transaction(self) -> AbstractContextManager[StateDB]:
        """One write transaction; nested operations join the outer one, which commits."""
        return self.db.transaction()

    def now(self) -> int:
        return int(self.clock())

    # -- accounts and keys -------------------------------------------------------------------

    def platform(self) -> dict[str, Any]:
        """The platform account (created on first use) with its keys."""
        existing = accounts.list_accounts(self.db, platform=None)
        if existing:
            platform = existing[-1]
        else:
            platform = self.create_account(None, {"business_profile": {"name": "Platform"}})
        return {**platform, "keys": accounts.keys_of(self.db, platform["id"])}

    def create_account(self, platform: str | None, params: dict[str, Any]) -> dict[str, Any]:
        fields = account_fields(params, default_type="standard" if platform is None else "custom")
        account_id = self.ids.new("acct", 16)
        body = {
            "id": account_id,
            "object": "account",
            "business_profile": {"name": None, **fields["business_profile"]},
            "charges_enabled": True,
            "country": fields["country"],
            "created": self.now(),
            "default_currency": fields["default_currency"],
            "details_submitted": True,
            "email": fields["email"],
            "metadata": fields["metadata"],
            "payouts_enabled": True,
            "type": fields["type"],
        }
        with self.transaction() as db:
            accounts.create_account(
                db, body, platform=platform,
                test_key=self.ids.secret("sk_test"), live_key=self.ids.secret("sk_live"),
            )  # fmt: skip
        return body

    def create_standalone_account(self, params: dict[str, Any]) -> dict[str, Any]:
        """A merchant's own account (it may install apps), with its secret keys."""
        account = self.create_account(None, params)
        return {**account, "keys": accounts.keys_of(self.db, account["id"])}

    def delete_account(self, account_id: str) -> dict[str, Any]:
        """A connected account deleted (by its platform): each app installed there is
        uninstalled, its ``account.application.deauthorized`` sent to the app; its webhook
        endpoints stop (disabled) and its keys stop working; Stripe's deleted stub."""
        with self.transaction() as db:
            for install in apps.list_installs(db, account=account_id):
                if install.active:
                    self.uninstall(install.app, account_id)
            for endpoint in endpoints.list_endpoints(db, account=account_id):
                endpoints.save_endpoint(db, dataclasses.replace(endpoint, status="disabled"))
            return accounts.delete_account(db, account_id)

    def caller(self, key: str, stripe_account: str | None) -> Caller:
        return identify(self.db, key, stripe_account)

    # -- webhook endpoints -------------------------------------------------------------------

    def create_endpoint(self, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
        url = endpoint_params.required_url(params)
        enabled = endpoint_params.enabled_events(params.get("enabled_events"))
        connect = as_bool(params.get("connect", False), "connect")
        existing = endpoints.list_endpoints(
            self.db, account=caller.account, livemode=caller.livemode
        )
        if len(existing) >= MAX_ENDPOINTS:
            raise InvalidRequest(
                f"You have reached the maximum of {MAX_ENDPOINTS} webhook endpoints on account "
                f"{caller.account}: delete one first"
            )
        owner_apps = [a.id for a in apps.list_apps(self.db) if a.owner == caller.account]
        endpoint = Endpoint(
            id=self.ids.new("we"),
            account=caller.account,
            livemode=caller.livemode,
            connect=connect,
            application=owner_apps[0] if connect and owner_apps else None,
            url=url,
            enabled_events=enabled,
            status="enabled",
            secret=self.ids.secret(),
            api_version=as_optional_str(params.get("api_version"), "api_version"),
            description=as_optional_str(params.get("description"), "description"),
            metadata=as_metadata(params.get("metadata")),
            created=self.now(),
        )
        with self.transaction() as db:
            endpoints.save_endpoint(db, endpoint)
        return endpoint.to_api(with_secret=True)

    def update_endpoint(
        self, caller: Caller, endpoint_id: str, params: dict[str, Any]
    ) -> dict[str, Any]:
        endpoint = endpoints.get_endpoint(
            self.db, endpoint_id, account=caller.account, livemode=caller.livemode
        )
        changes: dict[str, Any] = {}
        if "url" in params:
            changes["url"] = endpoint_params.required_url(params)
        if "enabled_events" in params:
            changes["enabled_events"] = endpoint_params.enabled_events(params["enabled_events"])
        if "description" in params:
            changes["description"] = as_optional_str(params["description"], "description")
        if "metadata" in params:
            changes["metadata"] = {**endpoint.metadata, **as_metadata(params["metadata"])}
            changes["metadata"] = {k: v for k, v in changes["metadata"].items() if v != ""}
        if "disabled" in params:
            disabled = params["disabled"]
            if disabled not in ("true", "false", True, False):
                raise InvalidRequest(f"Invalid boolean: {disabled!r}", param="disabled")
            changes["status"] = "disabled" if disabled in ("true", True) else "enabled"
            if changes["status"] == "enabled":
                changes["failing_since"] = None
        updated = endpoint.changed(**changes)
        with self.transaction() as db:
            endpoints.save_endpoint(db, updated)
        if updated.status == "enabled":
            self.on_delivery_due()
        return updated.to_api()

    def delete_endpoint(self, caller: Caller, endpoint_id: str) -> dict[str, Any]:
        endpoints.get_endpoint(
            self.db, endpoint_id, account=caller.account, livemode=caller.livemode
        )
        with self.transaction() as db:
            endpoints.delete_endpoint(db, endpoint_id)
            db.execute(
                "UPDATE deliveries SET status = 'failed', next_attempt_at = NULL"
                " WHERE endpoint = ? AND status = 'pending'",
                (endpoint_id,),
            )
        return {"id": endpoint_id, "object": "webhook_endpoint", "deleted": True}

    # -- apps and installs (the merchant's side; sandbox-only API) -------------------------

    def register_app(self, owner: str, manifest: dict[str, Any]) -> dict[str, Any]:
        checked_manifest(manifest)
        manifest_id, version = manifest["id"], manifest["version"]
        try:
            existing: AppRecord | None = apps.get_app(self.db, manifest_id)
        except ResourceMissing:
            existing = None
        with self.transaction() as db:
            app = existing or apps.register_app(
                db,
                AppRecord(self.ids.new("ca"), owner, manifest_id,
                          str(manifest.get("name") or manifest_id), self.now()),
            )  # fmt: skip
            if app.owner != owner:
                raise PermissionDenied(f"App {manifest_id} belongs to account {app.owner}")
            apps.add_version(db, app.id, version, manifest, self.now())
        return self.app_info(app.id)

    def app_info(self, app_id: str) -> dict[str, Any]:
        app = apps.get_app(self.db, app_id)
        return {
            "id": app.id,
            "object": "application",
            "name": app.name,
            "manifest_id": app.manifest_id,
            "owner": app.owner,
            "versions": [
                {"version": v, "permissions": p} for v, p in apps.versions(self.db, app.id)
            ],
            "installs": [i.to_dict() for i in apps.list_installs(self.db, app_id=app.id)],
        }

    def install(
        self, app_id: str, account: str, *, mode: str, version: str | None = None
    ) -> dict[str, Any]:
        """Install (or upgrade) an app on an account: emits account.application.authorized."""
        if mode not in INSTALL_MODES:
            raise InvalidRequest(
                f"Invalid mode {mode!r}: use one of {', '.join(INSTALL_MODES)}", param="mode"
            )
        app = apps.get_app(self.db, app_id)
        accounts.get_account(self.db, account)
        known = [v for v, _ in apps.versions(self.db, app.id)]
        chosen = version or known[-1]
        if chosen not in known:
            raise InvalidRequest(
                f"App {app.id} has no version {chosen!r}: {known}", param="version"
            )
        with self.transaction() as db:
            install = apps.save_install(
                db, Install(account, app.id, mode, chosen, True, self.now(), None)
            )
            for livemode in _modes_of(mode):
                self.emit(account, livemode, "account.application.authorized", _application(app))
        return install.to_dict()

    def uninstall(self, app_id: str, account: str) -> dict[str, Any]:
        app = apps.get_app(self.db, app_id)
        current = apps.get_install(self.db, account, app.id)
        if current is None or not current.active:
            raise InvalidRequest(f"App {app.id} is not installed on {account}", param="account")
        with self.transaction() as db:
            # The event is routed while the install still counts, as Stripe sends it to the app.
            for livemode in _modes_of(current.mode):
                self.emit(account, livemode, "account.application.deauthorized", _application(app))
            gone = Install(account, app.id, current.mode, current.version, False,
                           current.installed_at, self.now())  # fmt: skip
            apps.save_install(db, gone)
        return gone.to_dict()

    # -- events ---------------------------------------------------------------------------------

    def resend(self, caller: Caller, event_id: str, endpoint_id: str) -> dict[str, Any]:
        """Deliver an event again to one of the caller's endpoints (`events resend`).

        Only to an endpoint the event was routed to, or withheld from; automatic retries of
        the earlier delivery are replaced by this fresh one.
        """
        endpoint = endpoints.get_endpoint(self.db, endpoint_id, livemode=caller.livemode)
        if endpoint.account != caller.key_account:
            raise ResourceMissing("webhook endpoint", endpoint_id, param="webhook_endpoint")
        account = visibility.visible_event(self.db, caller, event_id)
        # A thin event is no /v1 event: refuse it as Stripe does, before owing anything.
        events.get_event(self.db, event_id, account=account, livemode=caller.livemode)
        known = self.db.execute(
            "SELECT 1 FROM deliveries WHERE event = ? AND endpoint = ?"
            " UNION SELECT 1 FROM withheld WHERE event = ? AND endpoint = ?",
            (event_id, endpoint_id, event_id, endpoint_id),
        ).fetchone()
        if known is None:
            raise InvalidRequest(unrouted(self.db, event_id, endpoint), param="webhook_endpoint")
        with self.transaction() as db:
            db.execute(
                "INSERT INTO deliveries (event, endpoint, status, next_attempt_at)"
                " VALUES (?, ?, 'pending', ?) ON CONFLICT (event, endpoint) DO UPDATE SET"
                " status = 'pending', next_attempt_at = excluded.next_attempt_at,"
                " attempts = 0, first_attempt_at = NULL",
                (event_id, endpoint_id, self.clock()),
            )
        self.on_delivery_due()
        return events.get_event(self.db, event_id, account=account, livemode=caller.livemode)

    def emit(
        self,
        account: str,
        livemode: bool,
        event_type: str,
        obj: dict[str, Any],
        *,
        previous_attributes: dict[str, Any] | None = None,
        request_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Record an event on ``account`` (and the object in it) and owe its deliveries."""
        now = self.now()
        data: dict[str, Any] = {"object": obj}
        if previous_attributes is not None:
            data["previous_attributes"] = previous_attributes
        event: dict[str, Any] = {
            "id": self.ids.new("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "context": None,
            "created": now,
            "data": data,
            "livemode": livemode,
            "pending_webhooks": 0,
            "request": {"id": request_id, "idempotency_key": idempotency_key},
            "type": event_type,
        }
        connected = accounts.platform_of(self.db, account) is not None
        if connected or apps.list_installs(self.db, account=account):
            event = {"account": account, **event}
        object_json = dumps(obj)  # once: for the objects table, the event and the answer
        with self.transaction() as db:
            if isinstance(obj.get("id"), str) and obj.get("object") != "application":
                events.save_object(db, account, livemode, obj, now, encoded=object_json)
            stored = events.insert_event(db, event, account, object_json=object_json)
            self.last_emitted = (obj, object_json)
            routes = self._route(event, account)
            # Owed to the engine from memory at once; the lease keeps the rows out of its
            # scan of the table meanwhile (a restart voids it: see owed.py).
            lease = self.clock() + LEASE
            payload = payload_of(stored, len(routes.routes)) if routes.routes else b""
            owed = [
                Owed(
                    db.execute(
                        "INSERT INTO deliveries (event, endpoint, status, next_attempt_at)"
                        " VALUES (?, ?, 'pending', ?) RETURNING id",
                        (event["id"], r.endpoint_id, lease),
                    ).fetchone()[0],
                    event["id"], r.endpoint_id, livemode, 0, None, lease, payload,
                )
                for r in routes.routes
            ]  # fmt: skip
            events.record_withheld(db, event["id"], routes.withheld)
            if owed:
                db.after_commit(lambda: self.on_deliveries(owed))
            self.on_emitted(event, account)
        event["pending_webhooks"] = len(routes.routes)
        self.on_event()
        return event

    def _route(
        self, event: dict[str, Any], account: str, payload: str = "snapshot"
    ) -> routing.Routing:
        """Route with only the rows that can matter for this account, so routing costs the
        same however many accounts, installs and endpoints the sandbox holds; among the
        endpoints sent ``payload`` events (thin ones: v2/thin.py)."""
        application = (
            event["data"]["object"].get("id")
            if event["type"].startswith("account.application.")
            else None
        )
        installs = apps.list_installs(self.db, account=account)
        candidates = endpoints.endpoints_for_event(self.db, account, payload)
        version = {i.app: i.version for i in installs}
        app_views = []
        for app_id in sorted({e.application for e in candidates if e.application} | set(version)):
            app = apps.get_app(self.db, app_id)
            granted = (
                apps.permissions_of(self.db, app_id, version[app_id])
                if app_id in version
                else frozenset()
            )
            app_views.append(routing.App(app.id, app.owner, granted))
        platform = accounts.platform_of(self.db, account)
        # A Connect endpoint made before its owner registered an app stands for the owner's
        # app installed here (Stripe has one Connect endpoint per developer account).
        installed_by_owner = {
            view.owner_account: view.id for view in app_views if view.id in version
        }
        return routing.route_event(
            routing.EventToRoute(
                event["id"], event["type"], account, event["livemode"], application
            ),
            [
                routing.WebhookEndpoint(
                    e.id,
                    e.account,
                    e.url,
                    e.enabled_events,
                    e.connect,
                    e.livemode,
                    e.status,  # type: ignore[arg-type]
                    e.application
                    or (
                        installed_by_owner.get(e.account)
                        if e.connect and platform != e.account
                        else None
                    ),
                    also_own=e.also_own,
                )
                for e in candidates
            ],
            installations=[
                routing.Installation(i.account, i.app, i.mode, i.active)  # type: ignore[arg-type]
                for i in installs
            ],
            apps=app_views,
            connections={account: platform} if platform else {},
        )


def _modes_of(mode: str) -> tuple[bool, ...]:
    """The livemodes an install emits its lifecycle events in."""
    return {"live": (True,), "test": (False,), "live+test": (True, False), "sandbox": (False,)}[
        mode
    ]


def _application(app: AppRecord) -> dict[str, Any]:
    return {"id": app.id, "object": "application", "name": app.name}
