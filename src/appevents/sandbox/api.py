"""The sandbox's HTTP API: enough of Stripe's REST API for the official libraries, plus a
sandbox-only ``/_sandbox`` API for the merchant's side (apps, installs, raw events).

Stripe's conventions: form-encoded requests with bracket notation, JSON responses,
``{"error": {...}}`` errors, ``limit``/``starting_after``/``ending_before`` lists,
``Authorization: Bearer sk_…`` (or basic auth with the key as user), ``Stripe-Account``.

Each operation here is a plain function that runs on the lane, after the caller was
identified on the same hop: one thread hop per API call. The HTTP side (reading the
request, the key and the parameters; answering) is asgi.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import (
    event_params,
    list_params,
    listen_responses,
    request_logs,
    triggers,
    ui_signatures,
    visibility,
)
from .behaviours import BEHAVIOURS, unlisted
from .callers import Caller
from .formdata import as_bool, as_dict, as_optional_str, as_str, shown
from .listen import ListenHub, Session
from .listen_devices import open_device
from .listen_messages import may_see
from .rest import build, engine, spec
from .service import API_VERSION, Sandbox
from .state import accounts, apps, endpoints, events
from .stripe_errors import InvalidRequest, PermissionDenied, ResourceMissing, UnrecognizedUrl
from .triggers import InProcessCalls
from .v2 import routes as v2_routes

__all__ = ["Call", "InProcessCalls", "Operation", "operations"]

MAX_TRIGGER_TEXT = 500
"""Characters a trigger name or option may have: error messages quote them."""
RECONNECT_DELAY = 60
"""Seconds after which the Stripe CLI renews its connection (what is owed is sent again)."""


@dataclass(frozen=True, slots=True)
class Call:
    """What an operation knows of its HTTP request."""

    path_params: dict[str, str]
    request_id: str
    scheme: str
    netloc: str
    """The Host the client used (for URLs the answer gives back)."""
    method: str = "GET"
    path: str = ""
    spec_op: spec.Operation | None = None
    """The operation of Stripe's API this request is, when the spec has it."""
    spec_params: dict[str, str] | None = None
    """Its path parameters, named as the spec names them."""
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str
    """Starlette's syntax: ``{name}`` is one path segment, ``{name:path}`` any."""
    run: Callable[[Call, Caller, dict[str, Any]], Any]


def operations(sandbox: Sandbox, streams: ListenHub, calls: InProcessCalls) -> list[Operation]:
    """The API's operations, in matching order (the first whose method and path match);
    ``calls`` runs a fixture's steps through them (it holds them once built)."""
    # -- /v1 ---------------------------------------------------------------------------------

    def get_self(request: Call, caller: Caller, params: dict[str, Any]) -> Any:
        return accounts.get_account(sandbox.db, caller.account)

    def create_account(request: Call, caller: Caller, params: dict[str, Any]) -> Any:
        return sandbox.create_account(caller.account, params)

    def list_accounts(request: Call, caller: Caller, params: dict[str, Any]) -> Any:
        rows = accounts.list_accounts(sandbox.db, platform=caller.account)
        return list_params.page(rows, params, "/v1/accounts")

    def get_account(request: Call, caller: Caller, params: dict[str, Any]) -> Any:
        account_id = request.path_params["id"]
        platform = accounts.platform_of(sandbox.db, account_id)
        if account_id not in (caller.account, caller.key_account) and platform != caller.account:
            raise ResourceMissing("account", account_id)  # whether it exists or not
        return accounts.get_account(sandbox.db, account_id)

    def update_account(request: Call, caller: Caller, params: dict[str, Any]) -> Any:
        """The account's own fields, as its platform (or the account itself) sets them:
        ``account.updated`` with the changed ones, on the account."""
        account = get_account(request, caller, {})
        previous = build.apply(account, spec.schema("account"), params)
        if previous:
            with sandbox.transaction() as db:
                accounts.save_account(db, account)
                sandbox.emit(
                    account["id"], caller.livemode, "account.updated", account,
                    previous_attributes=previous, request_id=request.request_id,
                )  # fmt: skip
        return account

    def delete_account(request: Call, caller: Caller, params: dict[str, Any]) -> Any:
        """Its platform deletes a connected account (Stripe's deleted stub): the apps
        installed there are deauthorized, its endpoints and keys stop."""
        account_id = request.path_params["id"]
        get_account(request, caller, {})  # 404 for an account the caller may not see
        if accounts.platform_of(sandbox.db, account_id) != caller.account:
            raise InvalidRequest(
                f"Account {account_id} can only be deleted by the platform that created it"
                f"{'' if account_id != caller.account else ' (not with its own key)'}: call "
                "DELETE /v1/accounts/{id} with the platform's secret key.",
                code="account_invalid",
            )
        return sandbox.delete_account(account_id)

    def create_endpoint(request: Call, caller: Caller, params: dict[str, Any]) -> Any:
        return sandbox.create_endpoint(caller, params)

    def list_endpoints(request: Call, caller: Caller, params: dict[str, Any]) -> Any:
        rows = [
            e.to_api()
            for e in endpoints.list_endpoints(
                sandbox.db, account=caller.account, livemode=caller.livemode
            )
        ]
        return list_params.page(rows, params, "/v1/webhook_endpoints")

    def get_endpoint(request: Call, caller: Caller, params: dict[str, Any]) -> Any:
        found = endpoints.get_endpoint(
            sandbox.db, request.path_params["id"], account=caller.account,
            livemode=caller.livemode,
        )  # fmt: skip
        return found.to_api()

    def update_endpoint(request: Call, caller: Caller, params: dict[str, Any]) -> Any:
        return sandbox.update_endpoint(caller, request.path_params["id"], params)

    def delete_endpoint(request: Call, caller: Caller, params: dict[str, Any]) -> Any:
        return sandbox.delete_endpoint(caller, request.path_params["id"])

    def list_events(request: Call, caller: Caller, params: dict[str, Any]) -> Any:
        caller.require("event")
        success = params.get("delivery_success")
        rows, has_more = events.list_events(
            sandbox.db,
            account=caller.account,
            livemode=caller.livemode,
            types=list_params.event_types(params),
            created=list_params.created_filter(params),
            delivery_success=None if success is None else as_bool(success, "delivery_success"),
            limit=list_params.limit(params),
            starting_after=list_params.cursor(params, "starting_after"),
            ending_before=list_params.cursor(params, "ending_before"),
        )
        return {"object": "list", "data": rows, "has_more": has_more, "url": "/v1/events"}

    def get_event(request: Call, caller: Caller, params: dict[str, Any]) -> Any:
        caller.require("event")
        return events.get_event(
            sandbox.db, request.path_params["id"], account=caller.account,
            livemode=caller.livemode,
        )  # fmt: skip

    def resend_event(request: Call, caller: Caller, params: dict[str, Any]) -> Any:
        endpoint_id = params.get("webhook_endpoint")
        for_cli = params.get("for_stripecli")
        if endpoint_id is None and for_cli is not None and as_bool(for_cli, "for_stripecli"):
            return resend_to_listeners(request.path_params["id"], caller)
        if endpoint_id is None:
            raise InvalidRequest(
                "Missing required param: webhook_endpoint (the we_... to resend to), or "
                "for_stripecli=true to send it to your listening `stripe listen` sessions",
                param="webhook_endpoint",
            )
        endpoint_id = as_str(endpoint_id, "webhook_endpoint")
        return sandbox.resend(caller, request.path_params["id"], endpoint_id)

    def resend_to_listeners(event_id: str, caller: Caller) -> Any:
        """`stripe events resend evt_…`: the event again to each live `listen` session of
        the caller that may see it (its own events, its connected accounts')."""
        caller.require("event")
        listening = streams.listening({caller.account, caller.key_account}, caller.livemode)
        reached = [
            c
            for c in listening
            if c.session.device is not None and may_see(sandbox, c.session.device, event_id)
        ]
        row = sandbox.db.execute(
            "SELECT account FROM events WHERE id = ? AND livemode = ?", (event_id, caller.livemode)
        ).fetchone()
        if row is None or (row["account"] != caller.account and not reached):
            raise ResourceMissing("event", event_id)
        if not reached:
            raise InvalidRequest(
                f"No `stripe listen` session of {caller.account} is connected to resend "
                f"{event_id} to: start `stripe listen --forward-to …` first, or pass "
                "--webhook-endpoint we_… to resend it to a webhook endpoint",
                param="for_stripecli",
            )
        for connection in reached:
            streams.replay(connection, event_id)
        return events.get_event(sandbox.db, event_id, account=row["account"],
                                livemode=caller.livemode)  # fmt: skip

    rest = engine.Engine(sandbox, BEHAVIOURS)

    def rest_call(request: Call, caller: Caller, params: dict[str, Any]) -> Any:
        """Any other operation of Stripe's API, run from its description."""
        if request.spec_op is None:
            raise UnrecognizedUrl(request.method, request.path)
        return rest.run(
            engine.Request(
                request.spec_op, request.path, request.spec_params or {}, caller, params,
                request.request_id, request.idempotency_key,
            )
        )  # fmt: skip

    # -- /_sandbox -----------------------------------------------------------------------------

    def register_app(request: Call, caller: Caller, params: dict[str, Any]) -> Any:
        manifest = params.get("manifest", params)
        if isinstance(manifest, str):
            try:
                manifest = json.loads(manifest)
            except (ValueError, RecursionError) as exc:
                raise InvalidRequest(
                    f"manifest is not JSON: {str(exc)[:200]}", param="manifest"
                ) from None
        return _with_secret(sandbox.register_app(caller.account, as_dict(manifest, "manifest")))

    def _with_secret(info: dict[str, Any]) -> dict[str, Any]:
        # The developer sees the app's signing secret (for its UI extension's calls).
        app = apps.get_app(sandbox.db, info["id"])
        return {**info, "signing_secret": ui_signatures.signing_secret(sandbox.db, app)}

    def create_standalone_account(request: Call, caller: Caller, params: dict[str, Any]) -> Any:
        """A merchant account of its own (not connected to the caller), with its keys."""
        return sandbox.create_standalone_account(params)

    def get_app(request: Call, caller: Caller, params: dict[str, Any]) -> Any:
        return _with_secret(
            sandbox.app_info(
                visibility.visible_app(sandbox.db, caller, request.path_params["app"]).id
            )
        )

    def ui_signature(request: Call, caller: Caller, params: dict[str, Any]) -> Any:
        return ui_signatures.issue(
            sandbox.db, caller, request.path_params["app"], params, sandbox.now()
        )

    def install(request: Call, caller: Caller, params: dict[str, Any]) -> Any:
        if params.get("account") is None:
            raise InvalidRequest("Missing required param: account", param="account")
        account = as_str(params["account"], "account")
        _require_own_account(caller, account, "install apps on")
        return sandbox.install(
            request.path_params["app"], account, mode=as_str(params.get("mode", "test"), "mode"),
            version=as_optional_str(params.get("version"), "version"),
        )  # fmt: skip

    def uninstall(request: Call, caller: Caller, params: dict[str, Any]) -> Any:
        account = request.path_params["account"]
        _require_own_account(caller, account, "uninstall apps from")
        return sandbox.uninstall(request.path_params["app"], account)

    def emit(request: Call, caller: Caller, params: dict[str, Any]) -> Any:
        event_type = event_params.event_type(params.get("type"))
        obj = event_params.data_object(params.get("object"))
        livemode = as_bool(params.get("livemode", caller.livemode), "livemode")
        previous = params.get("previous_attributes")
        if previous is not None:
            previous = as_dict(previous, "previous_attributes")
        return sandbox.emit(caller.account, livemode, event_type, obj, previous_attributes=previous)

    def trigger(request: Call, caller: Caller, params: dict[str, Any]) -> Any:
        if params.get("event") in (None, ""):
            raise InvalidRequest("Missing required param: event (what to trigger)", param="event")
        name = as_str(params["event"], "event")
        if len(name) > MAX_TRIGGER_TEXT:
            raise InvalidRequest(
                f"Invalid event: {shown(name)}: a trigger name or event type has at most "
                f"{MAX_TRIGGER_TEXT} characters",
                param="event",
            )
        options = {
            key: _strings(params.get(key), key) for key in ("add", "override", "remove", "skip")
        }
        app = as_optional_str(params.get("app"), "app")
        result = triggers.run(sandbox, calls, caller, name, app=app, **options)
        return {
            "name": result.name,
            "steps_run": result.steps_run,
            "events": [{"id": e["id"], "type": e["type"]} for e in result.events],
            "lines": result.lines,
            "note": result.note,
        }

    def deliveries(request: Call, caller: Caller, params: dict[str, Any]) -> Any:
        shown = visibility.deliveries_of(sandbox.db, caller, request.path_params["id"])
        # What the local endpoint answered the caller's `listen` clients, as they reported.
        shown["listen"] = listen_responses.of_event(sandbox.db, caller, request.path_params["id"])
        return shown

    def open_session(request: Call, caller: Caller, params: dict[str, Any]) -> Any:
        """A CLI session (the Stripe CLI's ``/v1/stripecli/sessions``): `listen` streams the
        device's events signed with its stable secret; `logs tail` (the ``request_logs``
        feature) streams the API requests made meanwhile."""
        device_name = as_optional_str(params.get("device_name"), "device_name") or "default"
        features = _features(params.get("websocket_features"))
        token = sandbox.ids.secret("clisess", 32)  # it opens the stream: a secret
        scheme = "wss" if request.scheme == "https" else "ws"
        answer = {
            "id": token,
            "object": "stripecli_session",
            "websocket_url": f"{scheme}://{request.netloc}/_sandbox/listen/{token}",
            "websocket_id": token,
            "reconnect_delay": RECONNECT_DELAY,
            "default_version": API_VERSION,
            "latest_version": API_VERSION,  # the sandbox renders every event in one version
            "display_connect_filter_warning": False,
            "account": caller.account,
            "livemode": caller.livemode,
        }
        if "request_logs" in features:
            filters = request_logs.parse_filters(params.get("filters"))
            streams.sessions[token] = Session("request_logs", caller.account, caller.livemode,
                                              filters=filters)  # fmt: skip
            warn = "filter_account" in filters and not _connect_user(caller.account)
            return {**answer, "secret": "", "websocket_authorized_feature": "request_logs",
                    "display_connect_filter_warning": warn}  # fmt: skip
        if any(f not in ("webhooks", "v2_events") for f in features):
            wrong = next(f for f in features if f not in ("webhooks", "v2_events"))
            raise InvalidRequest(
                f"Invalid websocket_features: {shown(wrong)}: the sandbox serves webhooks and "
                "v2_events (`listen`) and request_logs (`logs tail`)",
                param="websocket_features",
            )
        device = open_device(sandbox, caller.account, caller.livemode, device_name)
        # The Stripe CLI names the feature; it picks one of two copies of each event.
        streams.sessions[token] = Session(
            "webhooks", caller.account, caller.livemode, device=device, versions=bool(features),
            thin="v2_events" in features, snapshot=not features or "webhooks" in features,
        )  # fmt: skip
        return {**answer, "secret": device.secret, "websocket_authorized_feature": "webhooks"}

    def _connect_user(account: str) -> bool:
        """A platform with connected accounts, or the developer of an app."""
        found = sandbox.db.execute(
            "SELECT 1 FROM accounts WHERE platform = ? UNION ALL SELECT 1 FROM apps"
            " WHERE owner = ? LIMIT 1",
            (account, account),
        ).fetchone()
        return found is not None

    return [
        Operation("GET", "/v1/account", get_self),
        Operation("POST", "/v1/stripecli/sessions", open_session),
        Operation("POST", "/v1/accounts", create_account),
        Operation("GET", "/v1/accounts", list_accounts),
        Operation("GET", "/v1/accounts/{id}", get_account),
        Operation("POST", "/v1/accounts/{id}", update_account),
        Operation("DELETE", "/v1/accounts/{id}", delete_account),
        Operation("POST", "/v1/webhook_endpoints", create_endpoint),
        Operation("GET", "/v1/webhook_endpoints", list_endpoints),
        Operation("GET", "/v1/webhook_endpoints/{id}", get_endpoint),
        Operation("POST", "/v1/webhook_endpoints/{id}", update_endpoint),
        Operation("DELETE", "/v1/webhook_endpoints/{id}", delete_endpoint),
        Operation("GET", "/v1/events", list_events),
        Operation("GET", "/v1/events/{id}", get_event),
        Operation("POST", "/v1/events/{id}/retry", resend_event),
        *(Operation(method, path, run) for method, path, run in unlisted.routes(rest)),
        *(Operation(method, path, run) for method, path, run in v2_routes(sandbox)),
        Operation("GET", "/v1/{rest:path}", rest_call),
        Operation("POST", "/v1/{rest:path}", rest_call),
        Operation("DELETE", "/v1/{rest:path}", rest_call),
        Operation("POST", "/_sandbox/accounts", create_standalone_account),
        Operation("POST", "/_sandbox/apps", register_app),
        Operation("GET", "/_sandbox/apps/{app}", get_app),
        Operation("POST", "/_sandbox/apps/{app}/installs", install),
        Operation("POST", "/_sandbox/apps/{app}/ui_signature", ui_signature),
        Operation("DELETE", "/_sandbox/apps/{app}/installs/{account}", uninstall),
        Operation("POST", "/_sandbox/events", emit),
        Operation("POST", "/_sandbox/trigger", trigger),
        Operation("GET", "/_sandbox/events/{id}/deliveries", deliveries),
    ]


def _strings(value: Any, param: str) -> list[str]:
    if value is None:
        return []
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise InvalidRequest(f"{param} must be a list of 'step:path=value' strings", param=param)
    for each in values:  # one string (add=...) is bounded as a list's are
        if len(each) > MAX_TRIGGER_TEXT:
            raise InvalidRequest(
                f"Invalid {param}: {shown(each)}: at most {MAX_TRIGGER_TEXT} characters "
                "per 'step:path=value'",
                param=param,
            )
    return values


def _features(value: Any) -> list[str]:
    if value is None:
        return []
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise InvalidRequest(
            "websocket_features must be a list of names (webhooks, request_logs)",
            param="websocket_features",
        )
    return values


def _require_own_account(caller: Caller, account: str, action: str) -> None:
    """Installing or removing an app is the account's own decision (its own key)."""
    if caller.key_account != account or caller.account != account:
        raise PermissionDenied(
            f"Only account {account} itself may {action} it: call with its own secret key "
            f"(the one `appevents accounts create` printed), not {caller.key_account}'s",
            code="account_invalid",
        )
