"""The client side of `appevents listen`: stream events from the sandbox, forward them.

It opens a session (the device's stable signing secret), reads the event stream over a
WebSocket, POSTs each event to the local URL that matches it (Connect events, those with
an ``account``, to ``forward_connect_to``), acknowledges it, and reports the answer back.
When the connection drops it says so, reconnects by itself, and the sandbox re-sends
everything not yet acknowledged, so nothing that happened meanwhile is lost. A sandbox
that was never reached is an error, not a reconnect loop: nothing is listening yet.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets

from .errors import ConfigurationError
from .receiver.handlers import matches

__all__ = [
    "ListenOptions",
    "Listener",
    "check_forward_url",
    "expand_url",
    "parse_headers",
    "patterns",
]

API_VERSION_SHOWN = "2024-06-20"


@dataclass(frozen=True)
class ListenOptions:
    api_base: str
    api_key: str
    device_name: str = "default"
    forward_to: str | None = None
    forward_connect_to: str | None = None
    events: tuple[str, ...] = ("*",)
    headers: Mapping[str, str] = field(default_factory=dict)
    connect_headers: Mapping[str, str] | None = None
    skip_verify: bool = False
    json_output: bool = False
    timeout: float = 30.0
    all_thin: bool = False
    """Thin events too, every type (as the Stripe CLI's ``--all-thin``); otherwise only
    the thin types ``events`` names (``v1.…``, ``v2.…``)."""

    def features(self) -> list[str]:
        """What the session streams: snapshot events (``webhooks``), thin ones (``v2_events``)."""
        snapshot = [p for p in self.events if not _thin(p)]
        wanted = []
        if snapshot and not (self.all_thin and self.events == ("*",)):
            wanted.append("webhooks")
        if self.all_thin or len(snapshot) < len(self.events):
            wanted.append("v2_events")
        return wanted

    def __post_init__(self) -> None:
        for option, value in (("--forward-to", self.forward_to),
                              ("--forward-connect-to", self.forward_connect_to)):  # fmt: skip
            if value is not None:
                check_forward_url(value, option)


def expand_url(value: str) -> str:
    """The Stripe CLI's shorthands: ``4242`` and ``/hook`` mean localhost."""
    if value.isdigit():
        return f"http://localhost:{value}"
    if value.startswith("/"):
        return f"http://localhost{value}"
    if "://" not in value:
        return f"http://{value}"
    return value


def check_forward_url(value: str, option: str = "--forward-to") -> str:
    """``value`` expanded as :func:`expand_url` does, or an error saying what is accepted."""
    url = expand_url(value)
    parts = urllib.parse.urlsplit(url)
    try:
        parts.port  # noqa: B018 -- raises on a port that is not a number in range
        usable = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        usable = False
    if not usable or any(c.isspace() for c in value):
        raise ConfigurationError(
            f"{option} {value!r} is not a URL to forward to: expected http(s)://host[:port]/path, "
            "host:port/path (as in localhost:4242/webhook), a port (4242) or a path (/webhook)"
        )
    return url


def unreachable(
    api_base: str, exc: Exception, *, fix: str = "pass the URL it printed as --api-base"
) -> ConfigurationError:
    """The one-line error for a sandbox that does not answer at ``api_base`` (every
    command that calls the sandbox says it this way)."""
    return ConfigurationError(
        f"cannot reach the sandbox at {api_base} ({_reason(exc)}): start it with "
        f"`appevents sandbox`, or {fix}"
    )


def _reason(exc: Exception, timeout: float | None = None) -> str:
    if isinstance(exc, httpx.TimeoutException) and timeout is not None:
        return f"timed out after {timeout:g} s"
    return " ".join(str(exc).split()) or type(exc).__name__


def parse_headers(value: str | None) -> dict[str, str]:
    """``"K:V,K2:V2"`` as the Stripe CLI takes it."""
    headers: dict[str, str] = {}
    for item in (value or "").split(","):
        if not item.strip():
            continue
        name, sep, content = item.partition(":")
        if not sep or not name.strip():
            raise ConfigurationError(
                f"header {item.strip()!r} is not Name:Value; pass --headers 'X-Key:value,X-Other:v'"
            )
        headers[name.strip()] = content.strip()
    return headers


class Listener:
    def __init__(
        self,
        options: ListenOptions,
        *,
        out: Callable[[str], None],
        status: Callable[[str], None],
        now: Callable[[], datetime.datetime] = datetime.datetime.now,
    ) -> None:
        self.options = options
        self.out = out
        self.status = status
        self.now = now
        self.secret: str | None = None
        self.forwarded = 0

    def _stamp(self) -> str:
        return self.now().strftime("%Y-%m-%d %H:%M:%S")

    async def open_session(self, client: httpx.AsyncClient) -> dict[str, Any]:
        response = await client.post(
            f"{self.options.api_base}/v1/stripecli/sessions",
            data={
                "device_name": self.options.device_name,
                "websocket_features[]": self.options.features(),
            },
            headers={"Authorization": f"Bearer {self.options.api_key}"},
        )
        if response.status_code != 200:
            raise ConfigurationError(
                f"the sandbox at {self.options.api_base} refused the listen session "
                f"({response.status_code}): {response.text[:300]}; run `appevents login` again"
            )
        try:
            session: dict[str, Any] = response.json()
            usable = all(isinstance(session[key], str) for key in ("secret", "websocket_url"))
        except (ValueError, KeyError, TypeError):
            usable = False
        if not usable:
            raise ConfigurationError(
                f"{self.options.api_base} answered no listen session "
                f"({response.status_code}: {response.text[:200]!r}): is it an appevents sandbox? "
                "start one with `appevents sandbox` and pass the URL it printed as --api-base"
            )
        self.secret = session["secret"]
        return session

    async def fetch_secret(self) -> str:
        """The device's signing secret (``listen --print-secret``)."""
        async with httpx.AsyncClient(timeout=self.options.timeout) as client:
            try:
                await self.open_session(client)
            except httpx.HTTPError as exc:
                raise unreachable(self.options.api_base, exc) from None
        assert self.secret is not None
        return self.secret

    async def run(self, stop: asyncio.Event | None = None) -> None:
        stop = stop or asyncio.Event()
        delay, ready = 0.5, False
        async with httpx.AsyncClient(
            timeout=self.options.timeout,
            follow_redirects=False,
            verify=not self.options.skip_verify,
        ) as client:
            while not stop.is_set():
                try:
                    session = await self.open_session(client)
                    async with websockets.connect(session["websocket_url"]) as socket:
                        if not ready:
                            self.status(
                                f"Ready! You are using Stripe API Version [{API_VERSION_SHOWN}]. "
                                f"Your webhook signing secret is {self.secret} (^C to quit)"
                            )
                            ready = True
                        else:
                            self.status("Reconnected: events that occurred meanwhile follow.")
                        delay = 0.5
                        await self._stream(socket, client, stop)
                except (OSError, websockets.WebSocketException, httpx.HTTPError) as exc:
                    if stop.is_set():
                        break
                    if not ready:
                        raise unreachable(self.options.api_base, exc) from None
                    self.status(
                        f"Connection to the sandbox lost ({type(exc).__name__}), "
                        f"reconnecting in {delay:.1f}s..."
                    )
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), delay)
                    delay = min(delay * 2, 5.0)

    async def _stream(self, socket: Any, client: httpx.AsyncClient, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(socket.recv(), 0.5)
            except TimeoutError:
                continue
            message = json.loads(raw)
            await self._handle(message, client)
            await socket.send(json.dumps({"type": "event_ack", "seq": message["seq"],
                                          "event_id": message["event_id"]}))  # fmt: skip

    async def _handle(self, message: dict[str, Any], client: httpx.AsyncClient) -> None:
        if (message.get("endpoint") or {}).get("api_version") is not None:
            return  # the latest-version copy: the default one is forwarded
        thin = message["type"] == "v2_event"
        if not (thin and self.options.all_thin) and not any(
            matches(p, message["event_type"]) for p in self.options.events
        ):
            return
        payload = message["payload"] if thin else message.get("event_payload", "")
        prefix = "connect " if message["connect"] else ""
        label = f"{prefix}{message['event_type']} [{message['event_id']}]"
        if message["type"] == "withheld":
            fix = f"; fix: {message['grant']}" if message.get("grant") else ""
            self.out(f"{self._stamp()}   --x {label} withheld: {message['message']}{fix}")
            return
        if self.options.json_output:
            self.out(json.dumps(json.loads(payload), separators=(",", ":")))
        else:
            self.out(f"{self._stamp()}   --> {label}")
        target, extra = self._target(message["connect"])
        if target is None:
            return
        headers = {**message["http_headers"], **extra}
        try:
            response = await client.post(target, content=payload.encode(), headers=headers)
        except httpx.HTTPError as exc:
            why = _reason(exc, self.options.timeout)
            self.out(f'{self._stamp()}            [ERROR] Failed to POST: Post "{target}": {why}')
            return
        self.forwarded += 1
        if not self.options.json_output:
            self.out(
                f"{self._stamp()}  <--  [{response.status_code}] POST {target} "
                f"[{message['event_id']}]"
            )

    def _target(self, connect: bool) -> tuple[str | None, Mapping[str, str]]:
        options = self.options
        if connect:
            url = options.forward_connect_to or options.forward_to
            headers = (
                options.connect_headers if options.connect_headers is not None else options.headers
            )
            return (expand_url(url) if url else None), headers
        return (expand_url(options.forward_to) if options.forward_to else None), options.headers


def _thin(pattern: str) -> bool:
    return pattern.startswith(("v1.", "v2."))


def patterns(value: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (value or "*").split(",") if p.strip()) or ("*",)
