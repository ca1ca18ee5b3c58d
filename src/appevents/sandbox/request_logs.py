"""`stripe logs tail`: the API requests the sandbox answers, streamed to tailing sessions.

A tailing session belongs to an account and a mode and holds the filters the Stripe CLI
sent when opening it (``filters``: a JSON object of lists, ``filter_http_method`` and the
rest). Each request the API answers is offered to the open sessions: a session gets a
``request_log_event`` for the requests made with its account's key or on its account,
that pass every filter it set (any one of a filter's values). Nothing is stored: with no
session open, answering a request costs one truth test.

Filters, as the Stripe CLI documents them: ``filter_account`` ``self`` (made by the
account on itself), ``connect_out`` (made by it on an account it is connected to, with
``Stripe-Account``) and ``connect_in`` (made on it by a platform or an app);
``filter_source`` ``API`` (``/v1``, ``/v2``) or ``DASHBOARD`` (the sandbox's own
``/_sandbox`` actions, what the merchant does in Stripe's Dashboard);
``filter_request_status`` ``SUCCEEDED`` (200, 201, 202) or ``FAILED``;
``filter_status_code_type`` as the CLI sends it (``200`` for 2XX); ``filter_request_path``
exact, or a glob (``/v1/customers/*``).
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from .stripe_errors import InvalidRequest

__all__ = ["FILTERS", "LoggedRequest", "RequestLogs", "Tail", "parse_filters", "stream"]

FILTERS = (
    "filter_account", "filter_ip_address", "filter_http_method", "filter_request_path",
    "filter_request_status", "filter_source", "filter_status_code", "filter_status_code_type",
)  # fmt: skip
_CHOICES: dict[str, tuple[str, ...]] = {
    "filter_account": ("connect_in", "connect_out", "self"),
    "filter_http_method": ("GET", "POST", "DELETE"),
    "filter_request_status": ("SUCCEEDED", "FAILED"),
    "filter_source": ("API", "DASHBOARD"),
    "filter_status_code_type": ("200", "400", "500", "2XX", "4XX", "5XX"),
}
_SUCCEEDED = (200, 201, 202)
QUEUE_LIMIT = 1000
"""Entries a session may have waiting: a client that stops reading loses the oldest."""


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    """One answered API request, as the log shows it."""

    request_id: str
    method: str
    path: str
    status: int
    created: int
    livemode: bool
    key_account: str
    account: str
    """The account it acted on (``Stripe-Account``, else the key's own)."""
    ip_address: str
    error: Mapping[str, Any] | None = None

    def source(self) -> str:
        return "DASHBOARD" if self.path.startswith("/_sandbox/") else "API"

    def payload(self) -> str:
        """The ``event_payload`` the Stripe CLI decodes (its logtailing EventPayload)."""
        error = self.error or {}
        fields = ("type", "charge", "code", "decline_code", "message", "param")
        return json.dumps({
            "created_at": self.created, "livemode": self.livemode, "method": self.method,
            "request_id": self.request_id, "status": self.status, "url": self.path,
            "error": {name: str(error.get(name) or "") for name in fields},
        })  # fmt: skip


def parse_filters(raw: Any) -> dict[str, tuple[str, ...]]:
    """The ``filters`` parameter of a tailing session: a JSON object of string lists."""
    if raw is None or raw == "":
        return {}
    try:
        decoded = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        raise InvalidRequest(
            f"Invalid filters: {str(raw)[:200]!r} is not JSON: send an object such as "
            '{"filter_http_method": ["POST"]}',
            param="filters",
        ) from None
    if not isinstance(decoded, dict):
        raise InvalidRequest("Invalid filters: expected a JSON object of lists", param="filters")
    parsed: dict[str, tuple[str, ...]] = {}
    for name, values in decoded.items():
        if name not in FILTERS:
            raise InvalidRequest(
                f"Invalid filters: unknown filter {str(name)[:100]!r}; the filters are "
                f"{', '.join(FILTERS)}",
                param="filters",
            )
        if values is None:
            continue
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise InvalidRequest(f"Invalid filters: {name} must be a list of strings",
                                 param="filters")  # fmt: skip
        if name in ("filter_http_method", "filter_request_status", "filter_source",
                    "filter_status_code_type"):  # fmt: skip
            values = [v.upper() for v in values]
        choices = _CHOICES.get(name)
        wrong = [v for v in values if choices is not None and v not in choices]
        wrong += [v for v in values if name == "filter_status_code" and not _is_status(v)]
        if wrong:
            allowed = ", ".join(choices) if choices else "an HTTP status code such as 404"
            raise InvalidRequest(
                f"Invalid filters: {name} {wrong[0][:100]!r} is not one of {allowed}",
                param="filters",
            )
        if values:
            parsed[name] = tuple(values)
    return parsed


def _is_status(value: str) -> bool:
    return value.isdigit() and 100 <= int(value) <= 599


@dataclass(eq=False)  # each session is its own: held in a set by identity
class Tail:
    """One open tailing session: whose requests, which ones, and where they wait."""

    account: str
    livemode: bool
    filters: Mapping[str, tuple[str, ...]]
    queue: asyncio.Queue[LoggedRequest] = field(default_factory=asyncio.Queue)

    def relation(self, request: LoggedRequest) -> str | None:
        """``self``, ``connect_out`` or ``connect_in``; None for another account's request."""
        if request.livemode != self.livemode:
            return None
        if request.key_account == self.account:
            return "self" if request.account == self.account else "connect_out"
        return "connect_in" if request.account == self.account else None

    def wants(self, request: LoggedRequest) -> bool:
        relation = self.relation(request)
        if relation is None:
            return False
        tests: dict[str, Callable[[str], bool]] = {
            "filter_account": lambda v: v == relation,
            "filter_ip_address": lambda v: v == request.ip_address,
            "filter_http_method": lambda v: v == request.method,
            "filter_request_path": lambda v: fnmatch.fnmatchcase(request.path, v),
            "filter_request_status": lambda v: (request.status in _SUCCEEDED) == (v == "SUCCEEDED"),
            "filter_source": lambda v: v == request.source(),
            "filter_status_code": lambda v: int(v) == request.status,
            "filter_status_code_type": lambda v: v[0] == str(request.status)[0],
        }
        return all(any(tests[name](v) for v in values) for name, values in self.filters.items())


class RequestLogs:
    """The open tailing sessions; :meth:`publish` runs on the lane, reading on the loop."""

    def __init__(self) -> None:
        # Replaced, never changed in place: the lane reads it while the loop opens sessions.
        self._tails: frozenset[Tail] = frozenset()
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def tailing(self) -> bool:
        return bool(self._tails)

    def open(self, tail: Tail) -> None:
        self._loop = asyncio.get_running_loop()
        self._tails = self._tails | {tail}

    def close(self, tail: Tail) -> None:
        self._tails = self._tails - {tail}

    def publish(self, request: LoggedRequest) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        for tail in self._tails:
            if tail.wants(request):
                loop.call_soon_threadsafe(_offer, tail.queue, request)


def _offer(queue: asyncio.Queue[LoggedRequest], request: LoggedRequest) -> None:
    if queue.qsize() >= QUEUE_LIMIT:
        queue.get_nowait()
    queue.put_nowait(request)


async def stream(websocket: WebSocket, logs: RequestLogs, tail: Tail) -> None:
    """Send ``tail`` each request it wants, from now until the client leaves."""
    await websocket.accept()
    logs.open(tail)

    async def drain() -> None:
        # The CLI acknowledges each entry (event_ack): nothing is owed, nothing to note.
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass

    reader = asyncio.get_running_loop().create_task(drain())
    try:
        while not reader.done():
            with contextlib.suppress(TimeoutError):
                request = await asyncio.wait_for(tail.queue.get(), 1.0)
                await websocket.send_json({
                    "type": "request_log_event",
                    "request_log_id": "resp_" + request.request_id.removeprefix("req_"),
                    "event_payload": request.payload(),
                })  # fmt: skip
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        logs.close(tail)
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
            await reader
