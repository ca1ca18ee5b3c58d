"""The sandbox's HTTP side: a lean ASGI front for the API's operations, Starlette behind
it for the rest (the `listen` WebSocket, pairing, unknown URLs) and the lifespan.

An API call is parsed here (key, ``Stripe-Account``, parameters: no database needed),
then identified, run and encoded in one trip to the lane. Going through Starlette's
middleware, Request and Response objects cost as much CPU as the operation itself on the
sandbox's hottest path (creating objects that emit events), for nothing the API uses.
Requests no operation matches fall through to Starlette, so what it answered before (404
for unknown URLs, 405) it still answers.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import re
from collections.abc import Callable, MutableMapping
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute, request_response
from starlette.websockets import WebSocket

from . import listen, pairing_http, request_logs
from .api import Call, Operation, operations
from .api_calls import ApiCalls, encode
from .callers import Caller
from .dashboard import dashboard_routes
from .formdata import decode_form
from .lane import Lane
from .listen import ListenHub
from .pairing import Pairings
from .rest import gateway, idempotency
from .service import API_VERSION, Sandbox
from .stripe_errors import ApiError, AuthenticationFailed, InvalidRequest, UnrecognizedUrl
from .v2 import account_links

__all__ = ["build_api"]

log = logging.getLogger("appevents.sandbox.api")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Any]
Send = Callable[[MutableMapping[str, Any]], Any]
Lifespan = Callable[[Starlette], contextlib.AbstractAsyncContextManager[None]]

_PARAM = re.compile(r"{(\w+)(:path)?}")
_SERVER_ERROR = b"Internal Server Error"
MAX_JSON_DEPTH = 32
_TOO_DEEP = object()
"""Levels of nesting a JSON body may have: Stripe's objects use under ten."""


def build_api(
    sandbox: Sandbox, lane: Lane, hub: ListenHub | None = None, lifespan: Lifespan | None = None
) -> SandboxApi:
    streams = hub or ListenHub()
    calls = ApiCalls(sandbox)
    calls.install(operations(sandbox, streams, calls))
    return SandboxApi(
        sandbox, lane, calls, _starlette(sandbox, lane, streams, lifespan), streams.logs
    )


class SandboxApi:
    """The ASGI application."""

    def __init__(
        self,
        sandbox: Sandbox,
        lane: Lane,
        calls: ApiCalls,
        fallback: Starlette,
        logs: request_logs.RequestLogs | None = None,
    ) -> None:
        self.sandbox = sandbox
        self.lane = lane
        self.calls = calls
        self.fallback = fallback
        self.logs = logs or request_logs.RequestLogs()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            found = self.calls.find(scope["method"], _path(scope))
            if found is not None:
                await self._serve(scope, receive, send, *found)
                return
        await self.fallback(scope, receive, send)

    async def _serve(
        self, scope: Scope, receive: Receive, send: Send, op: Operation, path_params: dict[str, str]
    ) -> None:
        request_id = self.sandbox.ids.new("req", 14)
        headers: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            headers.setdefault(name, value)  # the first of repeated headers, as Starlette
        params: dict[str, Any] = {}
        params_error: ApiError | None = None
        if scope["method"] in ("GET", "DELETE"):
            query: bytes = scope.get("query_string", b"")
            try:
                params = decode_form(query.decode("latin-1"))
            except ApiError as exc:
                params_error = exc
        else:
            body = await _read_body(receive)
            if body is None:
                return  # the client went away
            try:
                params = _params(body, headers.get(b"content-type", b""))
            except ApiError as exc:
                params_error = exc
        key, key_error = _api_key(headers.get(b"authorization", b"").decode("latin-1")), None
        if key is None:
            key_error = AuthenticationFailed(
                "You did not provide an API key. Send it as `Authorization: Bearer sk_test_...` "
                "(the keys `appevents sandbox` printed)."
            )
        # v2's Stripe-Context names the account as Stripe-Account does (either one).
        target = headers.get(b"stripe-account") or headers.get(b"stripe-context")
        idempotency_key: str | None = None
        try:
            idempotency_key = idempotency.check_key(
                headers[b"idempotency-key"].decode("latin-1")
                if b"idempotency-key" in headers
                else None
            )
        except ApiError as exc:
            params_error = params_error or exc
        version, version_error = _stripe_version(headers.get(b"stripe-version"))
        params_error = params_error or version_error
        call = self.calls.call(
            scope["method"], _path(scope), path_params=path_params, request_id=request_id,
            scheme=scope.get("scheme", "http"), netloc=_netloc(scope, headers),
            idempotency_key=idempotency_key,
        )  # fmt: skip
        client = scope.get("client")
        try:
            answer = await self.lane.run(
                self._on_lane, op, call, key or "", key_error,
                target.decode("latin-1") if target is not None else None, params, params_error,
                client[0] if client else "",
            )  # fmt: skip
        except Exception:
            log.exception("%s %s failed", scope["method"], scope["path"])
            await _answer(send, 500, _SERVER_ERROR, b"text/plain; charset=utf-8", request_id)
            return
        await _answer(
            send, answer.status, answer.body, b"application/json", request_id,
            answer.headers, version,
        )  # fmt: skip

    def _on_lane(
        self,
        op: Operation,
        call: Call,
        key: str,
        key_error: ApiError | None,
        target: str | None,
        params: dict[str, Any],
        params_error: ApiError | None,
        client: str = "",
    ) -> gateway.Answer:
        """Identify, check, run and encode, on the lane: errors in the order Stripe reports
        them (the key, then who may act on what, then the parameters). The answer goes to
        the `logs tail` sessions open (a request no key identifies is nobody's to see)."""
        try:
            if key_error is not None:
                raise key_error
            caller = self.sandbox.caller(key, target)
        except ApiError as exc:
            return gateway.Answer(exc.status, encode(exc.to_dict()))
        if params_error is not None:
            answer = gateway.Answer(params_error.status, encode(params_error.to_dict()))
        else:
            answer = self.calls.answer(op, call, caller, params)
        if self.logs.tailing:
            self.logs.publish(_logged(self.sandbox, call, caller, answer, client))
        return answer


def _logged(
    sandbox: Sandbox, call: Call, caller: Caller, answer: gateway.Answer, client: str
) -> request_logs.LoggedRequest:
    error = None
    if answer.status >= 400:
        with contextlib.suppress(ValueError, AttributeError):
            error = json.loads(answer.body).get("error")
    return request_logs.LoggedRequest(
        call.request_id, call.method, call.path, answer.status, sandbox.now(), caller.livemode,
        caller.key_account, caller.account, client, error if isinstance(error, dict) else None,
    )  # fmt: skip


_VERSION = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(\.[a-z]+)?")


def _stripe_version(header: bytes | None) -> tuple[str, ApiError | None]:
    """The API version a request asks for (``Stripe-Version``): any dated version is
    answered alike (the sandbox's objects have one shape), one that is no version is
    refused."""
    if header is None:
        return API_VERSION, None
    text = header.decode("latin-1").strip()
    if _VERSION.fullmatch(text):
        return text, None
    error = InvalidRequest(
        f"Invalid Stripe API version: {text[:100]}. Send a dated version such as "
        f"{API_VERSION} in the Stripe-Version header, or none for the account's default",
        code="api_version_invalid",
    )
    return API_VERSION, error


def _path(scope: Scope) -> str:
    path: str = scope["path"]
    root = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


async def _read_body(receive: Receive) -> bytes | None:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _params(body: bytes, content_type: bytes) -> dict[str, Any]:
    if content_type.startswith(b"application/json"):
        return _json_params(body)
    try:
        return decode_form(body)
    except UnicodeDecodeError:
        raise InvalidRequest("The request body is not UTF-8 form data") from None


def _json_params(body: bytes) -> dict[str, Any]:
    try:
        decoded = json.loads(body or b"{}", parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise InvalidRequest("The JSON body is not UTF-8") from None
    except ValueError as exc:  # malformed, or an integer of thousands of digits
        raise InvalidRequest(f"Invalid JSON body: {str(exc)[:200]}") from None
    except RecursionError:  # the decoder recurses: 100,000 "[" exhaust its stack
        decoded = _TOO_DEEP
    # Counting brackets is cheap; only a body with that many can nest that deep.
    if decoded is _TOO_DEEP or (
        body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH and _depth(decoded) > MAX_JSON_DEPTH
    ):
        raise InvalidRequest(
            f"The JSON body is nested too deeply: at most {MAX_JSON_DEPTH} levels of objects "
            "and lists"
        )
    if not isinstance(decoded, dict):
        raise InvalidRequest("The JSON body must be an object")
    return decoded


def _no_constant(name: str) -> Any:
    raise InvalidRequest(f"Invalid JSON body: {name} is not a number JSON allows")


def _depth(value: Any) -> int:
    """How deep objects and lists nest in ``value`` (walked without recursion)."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth)
        pending.extend((child, depth + 1) for child in children)
    return deepest


def _api_key(header: str) -> str | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if scheme.lower() == "basic" and value:
        try:
            return base64.b64decode(value).decode().split(":", 1)[0]
        except (ValueError, UnicodeDecodeError):
            pass
    return None


def _netloc(scope: Scope, headers: dict[bytes, bytes]) -> str:
    host = headers.get(b"host")
    if host is not None:
        return host.decode("latin-1")
    server = scope.get("server")
    return f"{server[0]}:{server[1]}" if server else "localhost"


async def _answer(
    send: Send,
    status: int,
    body: bytes,
    content_type: bytes,
    request_id: str,
    extra: tuple[tuple[bytes, bytes], ...] = (),
    version: str = API_VERSION,
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-length", str(len(body)).encode()),
                (b"content-type", content_type),
                (b"stripe-version", version.encode()),
                (b"request-id", request_id.encode()),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _starlette(
    sandbox: Sandbox, lane: Lane, streams: ListenHub, lifespan: Lifespan | None
) -> Starlette:
    """The routes that are not API operations: pairing, the event stream, the dashboard,
    unknown URLs."""

    async def stream(websocket: WebSocket) -> None:
        session = streams.sessions.get(websocket.path_params["token"])
        if session is None:
            await _unknown_session(websocket)
        elif session.feature == "request_logs":
            tail = request_logs.Tail(session.account, session.livemode, session.filters or {})
            await request_logs.stream(websocket, streams.logs, tail)
        else:
            await listen.stream(websocket, sandbox, lane, streams, session)

    async def platform() -> dict[str, Any]:
        return await lane.run(sandbox.platform)

    async def unknown(request: Request) -> Response:
        error = UnrecognizedUrl(request.method, request.url.path)
        headers = {"Request-Id": sandbox.ids.new("req", 14), "Stripe-Version": API_VERSION}
        return JSONResponse(error.to_dict(), status_code=error.status, headers=headers)

    pairings = Pairings(sandbox.clock, token=sandbox.ids.secret)
    routes = [
        *pairing_http.routes(pairings, platform),
        *account_links.http_routes(sandbox, lane.run),
        WebSocketRoute("/_sandbox/listen/{token}", stream),
        *dashboard_routes(sandbox, lane, streams),  # the browser's: `/` and the pages under it
        Route("/{path:path}", unknown, methods=["GET", "POST", "DELETE", "PUT", "PATCH"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    default = app.router.default

    async def unmatched(scope: Scope, receive: Receive, send: Send) -> None:
        """A URL even the catch-all does not match (a line break in it): JSON all the same."""
        if scope["type"] == "http":
            await request_response(unknown)(scope, receive, send)
        else:
            await default(scope, receive, send)

    app.router.default = unmatched
    return app


async def _unknown_session(websocket: WebSocket) -> None:
    """Refuse the handshake as Stripe does, so that a Stripe CLI opens a new session (the
    sandbox restarted since it opened this one); a client without the denial extension
    sees a close code instead."""
    error = {"error": {"type": "invalid_request_error", "message": "Unknown WebSocket ID."}}
    try:
        await websocket.send_denial_response(JSONResponse(error, status_code=400))
    except RuntimeError:
        await websocket.close(code=4404, reason="unknown session: open one again")
