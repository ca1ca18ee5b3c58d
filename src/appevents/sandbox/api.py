"""The sandbox's HTTP API: enough of Stripe's REST API for the official libraries, plus a
sandbox-only ``/_sandbox`` API for the merchant's side (apps, installs, raw events).

Stripe's conventions: form-encoded requests with bracket notation, JSON responses,
``{"error": {...}}`` errors, ``limit``/``starting_after``/``ending_before`` lists,
``Authorization: Bearer sk_…`` (or basic auth with the key as user), ``Stripe-Account``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from ..receiver.stores.lane import Lane
from . import listen, objects, recipes, resources
from .callers import Caller
from .formdata import as_bool, as_int, decode_form
from .listen import ListenHub
from .service import API_VERSION, Sandbox
from .state import accounts, endpoints, events
from .stripe_errors import (
    ApiError,
    AuthenticationFailed,
    InvalidRequest,
    PermissionDenied,
    ResourceMissing,
)

__all__ = ["build_api"]

Handler = Callable[[Request], Awaitable[Response]]


def build_api(sandbox: Sandbox, lane: Lane, hub: ListenHub | None = None) -> Starlette:
    streams = hub or ListenHub()

    async def call(function: Callable[..., Any], *args: Any) -> Any:
        return await lane.run(function, *args)

    async def caller_of(request: Request, *, any_account: bool = False) -> Caller:
        key = _api_key(request)
        target = request.headers.get("stripe-account")
        if any_account and target:
            # Simulating an account's own activity (installing your app, paying): any
            # account of the sandbox, whoever's key asks.
            owner = await call(accounts.key_owner, sandbox.db, key)
            await call(accounts.get_account, sandbox.db, target)
            return Caller(owner.account, target, owner.livemode)
        caller: Caller = await call(sandbox.caller, key, target)
        return caller

    async def params_of(request: Request) -> dict[str, Any]:
        if request.method in ("GET", "DELETE"):
            return decode_form(request.url.query)
        body = await request.body()
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                decoded = json.loads(body or b"{}")
            except json.JSONDecodeError as exc:
                raise InvalidRequest(f"Invalid JSON body: {exc}") from None
            if not isinstance(decoded, dict):
                raise InvalidRequest("The JSON body must be an object")
            return decoded
        try:
            return decode_form(body)
        except UnicodeDecodeError:
            raise InvalidRequest("The request body is not UTF-8 form data") from None

    def endpoint(
        handler: Callable[[Request, Caller, dict[str, Any]], Awaitable[Any]],
        *,
        any_account: bool = False,
    ) -> Handler:
        async def wrapped(request: Request) -> Response:
            request.state.request_id = sandbox.ids.new("req", 14)
            headers = {"Stripe-Version": API_VERSION, "Request-Id": request.state.request_id}
            try:
                caller = await caller_of(request, any_account=any_account)
                params = await params_of(request)
                result = await handler(request, caller, params)
            except ApiError as exc:
                return _error(exc, headers=headers)
            return JSONResponse(result, headers=headers)

        return wrapped

    # -- /v1 ---------------------------------------------------------------------------------

    async def get_self(request: Request, caller: Caller, params: dict[str, Any]) -> Any:
        return await call(accounts.get_account, sandbox.db, caller.account)

    async def create_account(request: Request, caller: Caller, params: dict[str, Any]) -> Any:
        return await call(sandbox.create_account, caller.account, params)

    async def list_accounts(request: Request, caller: Caller, params: dict[str, Any]) -> Any:
        rows = await call(lambda: accounts.list_accounts(sandbox.db, platform=caller.account))
        return _page(rows, params, "/v1/accounts")

    async def get_account(request: Request, caller: Caller, params: dict[str, Any]) -> Any:
        account_id = request.path_params["id"]
        account = await call(accounts.get_account, sandbox.db, account_id)
        platform = await call(accounts.platform_of, sandbox.db, account_id)
        if account_id not in (caller.account, caller.key_account) and platform != caller.account:
            raise ResourceMissing("account", account_id)
        return account

    async def create_endpoint(request: Request, caller: Caller, params: dict[str, Any]) -> Any:
        return await call(sandbox.create_endpoint, caller, params)

    async def list_endpoints(request: Request, caller: Caller, params: dict[str, Any]) -> Any:
        rows = await call(
            lambda: [
                e.to_api()
                for e in endpoints.list_endpoints(
                    sandbox.db, account=caller.account, livemode=caller.livemode
                )
            ]
        )
        return _page(rows, params, "/v1/webhook_endpoints")

    async def get_endpoint(request: Request, caller: Caller, params: dict[str, Any]) -> Any:
        found = await call(
            lambda: endpoints.get_endpoint(
                sandbox.db,
                request.path_params["id"],
                account=caller.account,
                livemode=caller.livemode,
            )
        )
        return found.to_api()

    async def update_endpoint(request: Request, caller: Caller, params: dict[str, Any]) -> Any:
        return await call(sandbox.update_endpoint, caller, request.path_params["id"], params)

    async def delete_endpoint(request: Request, caller: Caller, params: dict[str, Any]) -> Any:
        return await call(sandbox.delete_endpoint, caller, request.path_params["id"])

    async def list_events(request: Request, caller: Caller, params: dict[str, Any]) -> Any:
        caller.require("event")
        if "type" in params and "types" in params:
            raise InvalidRequest("You may pass either type or types, but not both", param="types")
        types = params.get("types") or ([params["type"]] if "type" in params else [])
        if not isinstance(types, list) or len(types) > 20:
            raise InvalidRequest("types must be a list of at most 20 event types", param="types")
        created = params.get("created")
        if isinstance(created, str):
            created = {"eq": as_int(created, "created")}
        elif isinstance(created, dict):
            created = {op: as_int(v, f"created[{op}]") for op, v in created.items()}
        success = params.get("delivery_success")
        rows, has_more = await call(
            lambda: events.list_events(
                sandbox.db,
                account=caller.account,
                livemode=caller.livemode,
                types=types,
                created=created,
                delivery_success=None if success is None else as_bool(success, "delivery_success"),
                limit=_limit(params),
                starting_after=params.get("starting_after"),
                ending_before=params.get("ending_before"),
            )
        )
        return {"object": "list", "data": rows, "has_more": has_more, "url": "/v1/events"}

    async def get_event(request: Request, caller: Caller, params: dict[str, Any]) -> Any:
        caller.require("event")
        return await call(
            lambda: events.get_event(
                sandbox.db, request.path_params["id"], account=caller.account,
                livemode=caller.livemode,
            )
        )  # fmt: skip

    async def resend_event(request: Request, caller: Caller, params: dict[str, Any]) -> Any:
        endpoint_id = params.get("webhook_endpoint")
        if not isinstance(endpoint_id, str):
            raise InvalidRequest(
                "Missing required param: webhook_endpoint (the we_... to resend to)",
                param="webhook_endpoint",
            )
        return await call(sandbox.resend, caller, request.path_params["id"], endpoint_id)

    async def get_object(request: Request, caller: Caller, params: dict[str, Any]) -> Any:
        path, object_id = request.path_params["resource"], request.path_params["id"]
        known = await call(_object_types, sandbox)
        object_type = resources.object_type_at(path, known)
        if object_type is None:
            raise ResourceMissing(path.rstrip("s").replace("/", " ").replace("_", " "), object_id)
        permission = resources.read_permission_resource(object_type)
        if permission is not None:
            caller.require(permission)
        return await call(events.get_object, sandbox.db, caller.account, object_type, object_id)

    async def create_object(request: Request, caller: Caller, params: dict[str, Any]) -> Any:
        path = request.path_params["resource"]
        return await call(objects.create, sandbox, caller, path, params, request.state.request_id)

    async def update_object(request: Request, caller: Caller, params: dict[str, Any]) -> Any:
        path, object_id = request.path_params["resource"], request.path_params["id"]
        return await call(
            objects.update, sandbox, caller, path, object_id, params, request.state.request_id
        )

    async def confirm_object(request: Request, caller: Caller, params: dict[str, Any]) -> Any:
        path, object_id = request.path_params["resource"], request.path_params["id"]
        return await call(
            objects.confirm, sandbox, caller, path, object_id, params, request.state.request_id
        )

    async def delete_object(request: Request, caller: Caller, params: dict[str, Any]) -> Any:
        path, object_id = request.path_params["resource"], request.path_params["id"]
        return await call(
            objects.delete, sandbox, caller, path, object_id, request.state.request_id
        )

    async def list_objects(request: Request, caller: Caller, params: dict[str, Any]) -> Any:
        path = request.path_params["resource"]
        resource = objects.RESOURCES.get(path)
        if resource is None:
            raise InvalidRequest(f"Listing {path} is not supported by the sandbox")
        permission = resources.read_permission_resource(resource.object_type)
        if permission is not None:
            caller.require(permission)
        rows = await call(_objects_of, sandbox, caller, resource.object_type)
        return _page(rows, params, f"/v1/{path}")

    # -- /_sandbox -----------------------------------------------------------------------------

    async def register_app(request: Request, caller: Caller, params: dict[str, Any]) -> Any:
        manifest = params.get("manifest", params)
        if isinstance(manifest, str):
            try:
                manifest = json.loads(manifest)
            except json.JSONDecodeError as exc:
                raise InvalidRequest(f"manifest is not JSON: {exc}", param="manifest") from None
        return await call(sandbox.register_app, caller.account, manifest)

    async def create_standalone_account(
        request: Request, caller: Caller, params: dict[str, Any]
    ) -> Any:
        """A merchant account of its own (not connected to the caller), with its keys."""
        return await call(sandbox.create_standalone_account, params)

    async def get_app(request: Request, caller: Caller, params: dict[str, Any]) -> Any:
        return await call(sandbox.app_info, request.path_params["app"])

    async def install(request: Request, caller: Caller, params: dict[str, Any]) -> Any:
        account = params.get("account")
        if not isinstance(account, str):
            raise InvalidRequest("Missing required param: account", param="account")
        return await call(
            lambda: sandbox.install(
                request.path_params["app"], account, mode=params.get("mode", "test"),
                version=params.get("version"),
            )
        )  # fmt: skip

    async def uninstall(request: Request, caller: Caller, params: dict[str, Any]) -> Any:
        return await call(
            sandbox.uninstall, request.path_params["app"], request.path_params["account"]
        )

    async def emit(request: Request, caller: Caller, params: dict[str, Any]) -> Any:
        event_type, obj = params.get("type"), params.get("object")
        if not isinstance(event_type, str) or not isinstance(obj, dict):
            raise InvalidRequest("Pass type (an event type) and object (the data.object)")
        livemode = params.get("livemode", caller.livemode) in (True, "true")
        return await call(
            lambda: sandbox.emit(
                caller.account, livemode, event_type, obj,
                previous_attributes=params.get("previous_attributes"),
            )
        )  # fmt: skip

    async def trigger(request: Request, caller: Caller, params: dict[str, Any]) -> Any:
        name = params.get("event")
        if not isinstance(name, str) or not name:
            raise InvalidRequest("Missing required param: event (what to trigger)", param="event")
        options = {
            key: _strings(params.get(key), key) for key in ("add", "override", "remove", "skip")
        }
        app = params.get("app")
        # A trigger simulates activity on the account itself (the merchant paying, the
        # customer subscribing), not calls made by the app: its permissions don't apply.
        # Stripe-Account has already been checked: the caller may act on that account.
        merchant = Caller(caller.key_account, caller.account, caller.livemode)
        result = await call(
            lambda: recipes.run(
                sandbox, merchant, name, app=app if isinstance(app, str) else None, **options
            )
        )
        return {
            "name": result.name,
            "event_type": result.event_type,
            "steps_run": result.steps_run,
            "events": [{"id": e["id"], "type": e["type"]} for e in result.events],
            "lines": result.lines,
            "note": result.note,
        }

    async def deliveries(request: Request, caller: Caller, params: dict[str, Any]) -> Any:
        return await call(_deliveries_of, sandbox, request.path_params["id"])

    async def open_session(request: Request, caller: Caller, params: dict[str, Any]) -> Any:
        """`listen` opens a session: the device's stable secret and where to stream from."""
        device_name = params.get("device_name") or "default"
        device = await call(
            listen.open_device, sandbox, caller.account, caller.livemode, str(device_name)
        )
        token = sandbox.ids.new("clisess", 24)
        streams.sessions[token] = device
        scheme = "wss" if request.url.scheme == "https" else "ws"
        return {
            "id": token,
            "object": "stripecli_session",
            "secret": device.secret,
            "websocket_url": f"{scheme}://{request.url.netloc}/_sandbox/listen/{token}",
            "account": caller.account,
            "livemode": caller.livemode,
        }

    async def stream(websocket: WebSocket) -> None:
        device = streams.sessions.get(websocket.path_params["token"])
        if device is None:
            await websocket.close(code=4404, reason="unknown session: open one again")
            return
        await websocket.accept()
        wake = streams.subscribe()
        sent_through: int | None = None

        async def read_acks() -> None:
            while True:
                message = await websocket.receive_json()
                if message.get("type") == "event_ack" and isinstance(message.get("seq"), int):
                    await lane.run(listen.acknowledge, sandbox, device, message["seq"])

        reader = asyncio.get_running_loop().create_task(read_acks())
        try:
            while not reader.done():
                wake.clear()
                messages = await lane.run(listen.pending_messages, sandbox, device, sent_through)
                for message in messages:
                    await websocket.send_json(message)
                    sent_through = message["seq"]
                if not messages:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(wake.wait(), 1.0)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            streams.unsubscribe(wake)
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await reader

    async def pair(request: Request) -> Response:
        """`appevents login`: hand the platform's keys to a CLI on this machine only."""
        client = request.client.host if request.client else ""
        if client not in ("127.0.0.1", "::1", "localhost"):
            return _error(PermissionDenied("Pairing is only allowed from this machine"))
        platform = await call(sandbox.platform)
        return JSONResponse({"account": platform["id"], "keys": platform["keys"]})

    async def unknown(request: Request) -> Response:
        return _error(
            InvalidRequest(
                f"Unrecognized request URL ({request.method}: {request.url.path}). The sandbox "
                "speaks a subset of Stripe's API: see the README's sandbox section."
            ),
            status=404,
        )

    routes = [
        Route("/v1/account", endpoint(get_self), methods=["GET"]),
        Route("/v1/stripecli/sessions", endpoint(open_session), methods=["POST"]),
        Route("/v1/accounts", endpoint(create_account), methods=["POST"]),
        Route("/v1/accounts", endpoint(list_accounts), methods=["GET"]),
        Route("/v1/accounts/{id}", endpoint(get_account), methods=["GET"]),
        Route("/v1/webhook_endpoints", endpoint(create_endpoint), methods=["POST"]),
        Route("/v1/webhook_endpoints", endpoint(list_endpoints), methods=["GET"]),
        Route("/v1/webhook_endpoints/{id}", endpoint(get_endpoint), methods=["GET"]),
        Route("/v1/webhook_endpoints/{id}", endpoint(update_endpoint), methods=["POST"]),
        Route("/v1/webhook_endpoints/{id}", endpoint(delete_endpoint), methods=["DELETE"]),
        Route("/v1/events", endpoint(list_events), methods=["GET"]),
        Route("/v1/events/{id}", endpoint(get_event), methods=["GET"]),
        Route("/v1/events/{id}/retry", endpoint(resend_event), methods=["POST"]),
        Route("/v1/{resource}", endpoint(create_object), methods=["POST"]),
        Route("/v1/{resource}", endpoint(list_objects), methods=["GET"]),
        Route("/v1/{resource}/{id}", endpoint(update_object), methods=["POST"]),
        Route("/v1/{resource}/{id}", endpoint(delete_object), methods=["DELETE"]),
        Route("/v1/{resource}/{id}/confirm", endpoint(confirm_object), methods=["POST"]),
        Route("/v1/{resource:path}/{id}", endpoint(get_object), methods=["GET"]),
        Route("/_sandbox/pair", pair, methods=["POST"]),
        WebSocketRoute("/_sandbox/listen/{token}", stream),
        Route("/_sandbox/accounts", endpoint(create_standalone_account), methods=["POST"]),
        Route("/_sandbox/apps", endpoint(register_app), methods=["POST"]),
        Route("/_sandbox/apps/{app}", endpoint(get_app), methods=["GET"]),
        Route("/_sandbox/apps/{app}/installs", endpoint(install), methods=["POST"]),
        Route("/_sandbox/apps/{app}/installs/{account}", endpoint(uninstall), methods=["DELETE"]),
        Route("/_sandbox/events", endpoint(emit), methods=["POST"]),
        Route("/_sandbox/trigger", endpoint(trigger, any_account=True), methods=["POST"]),
        Route("/_sandbox/events/{id}/deliveries", endpoint(deliveries), methods=["GET"]),
        Route("/{path:path}", unknown, methods=["GET", "POST", "DELETE", "PUT", "PATCH"]),
    ]
    return Starlette(routes=routes)


def _api_key(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if scheme.lower() == "basic" and value:
        try:
            return base64.b64decode(value).decode().split(":", 1)[0]
        except (ValueError, UnicodeDecodeError):
            pass
    raise AuthenticationFailed(
        "You did not provide an API key. Send it as `Authorization: Bearer sk_test_...` "
        "(the keys `appevents sandbox` printed)."
    )


def _error(
    error: ApiError, status: int | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error.to_dict(), status_code=status or error.status, headers=headers)


def _limit(params: dict[str, Any]) -> int:
    return as_int(params.get("limit", "10"), "limit", minimum=1, maximum=100)


def _page(rows: list[dict[str, Any]], params: dict[str, Any], url: str) -> dict[str, Any]:
    """Stripe cursor pagination over an already ordered (newest first) list."""
    limit = _limit(params)
    ids = [r["id"] for r in rows]
    if "starting_after" in params:
        cursor = params["starting_after"]
        if cursor not in ids:
            raise ResourceMissing("object", str(cursor), param="starting_after")
        rows = rows[ids.index(cursor) + 1 :]
        return {"object": "list", "data": rows[:limit], "has_more": len(rows) > limit, "url": url}
    if "ending_before" in params:
        cursor = params["ending_before"]
        if cursor not in ids:
            raise ResourceMissing("object", str(cursor), param="ending_before")
        before = rows[: ids.index(cursor)]
        page = before[-limit:]
        return {"object": "list", "data": page, "has_more": len(before) > limit, "url": url}
    return {"object": "list", "data": rows[:limit], "has_more": len(rows) > limit, "url": url}


def _object_types(sandbox: Sandbox) -> set[str]:
    return {r[0] for r in sandbox.db.execute("SELECT DISTINCT object FROM objects")}


def _deliveries_of(sandbox: Sandbox, event_id: str) -> dict[str, Any]:
    db = sandbox.db
    rows = db.execute(
        "SELECT id, endpoint, status, attempts, next_attempt_at FROM deliveries WHERE event = ?",
        (event_id,),
    ).fetchall()
    owed = []
    for r in rows:
        attempts = db.execute(
            "SELECT number, at, duration_ms, status_code, response, error FROM delivery_attempts"
            " WHERE delivery = ? ORDER BY number",
            (r["id"],),
        ).fetchall()
        owed.append({**dict(r), "attempts_log": [dict(a) for a in attempts]})
    withheld = db.execute(
        "SELECT endpoint, reason, message FROM withheld WHERE event = ?", (event_id,)
    ).fetchall()
    return {"event": event_id, "deliveries": owed, "withheld": [dict(w) for w in withheld]}


def _objects_of(sandbox: Sandbox, caller: Caller, object_type: str) -> list[dict[str, Any]]:
    rows = sandbox.db.execute(
        "SELECT body FROM objects WHERE account = ? AND livemode = ? AND object = ?"
        " ORDER BY rowid DESC",
        (caller.account, caller.livemode, object_type),
    )
    return [json.loads(r["body"]) for r in rows]


def _strings(value: Any, param: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise InvalidRequest(f"{param} must be a list of 'step:path=value' strings", param=param)
