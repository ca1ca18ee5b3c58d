"""The webhook endpoint over HTTP: a raw ASGI app and a WSGI shell around ``Runtime``.

The ASGI side is written against the ASGI spec directly rather than through a
framework's Request: it is the hot path, and all it needs is one path, one method, one
header and a bounded body. Mount it in any Starlette/FastAPI app, or serve it alone.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any, Protocol

from .replies import REASONS, Reply, misrouted, too_large
from .runtime import Receiver, Runtime

__all__ = ["ASGIEndpoint", "Endpoint", "WSGIEndpoint"]


class Endpoint(Receiver, Protocol):
    """What the HTTP shells need of the receiver they serve (``appevents.App`` is one)."""

    def runtime(self, *, run_worker: bool = True) -> Runtime: ...


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_JSON = (b"content-type", b"application/json")


class ASGIEndpoint:
    """ASGI application serving the app's webhook path; handles lifespan if sent."""

    def __init__(self, app: Endpoint, runtime: Runtime | None = None) -> None:
        self.app = app
        self._runtime = runtime
        self._starting: asyncio.Lock | None = None

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            self._runtime = self.app.runtime()
        return self._runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        # websocket scopes are not ours: returning without accepting closes them.

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.runtime.start()
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.runtime.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.app.max_body_bytes
        signature: bytes | None = None
        declared: int | None = None
        for name, value in scope["headers"]:
            if name == b"stripe-signature":
                signature = value
            elif name == b"content-length" and value.isdigit():
                declared = int(value)
        refused = misrouted(scope["path"], scope["method"], self.expected_path(scope))
        if refused is None and declared is not None and declared > limit:
            refused = too_large(limit)
        if refused is not None:
            return await self._refuse(send, refused, signature, scope)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return await self._refuse(send, too_large(limit), signature, scope)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        runtime = self.runtime
        if not runtime.started:
            await self._start_lazily(runtime)
        reply = await runtime.receive(b"".join(chunks), signature, _client(scope))
        await _respond(send, reply)

    def expected_path(self, scope: Scope) -> str:
        """The full path deliveries go to: the app's own here; a shell mounted under a
        prefix (appevents.integrations.starlette) derives it from the scope."""
        return self.app.path

    async def _refuse(
        self, send: Send, reply: Reply, signature: bytes | None, scope: Scope
    ) -> None:
        self.runtime.rejections.rejected(reply, signature, _client(scope), path=scope["path"])
        await _respond(send, reply)

    async def _start_lazily(self, runtime: Runtime) -> None:
        # Servers without lifespan support: start on the first request, once.
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            await runtime.start()


def _client(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


async def _respond(send: Send, reply: Reply) -> None:
    headers = [_JSON, (b"content-length", str(len(reply.body)).encode())]
    if reply.status == 405:
        headers.append((b"allow", b"POST"))
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})


class WSGIEndpoint:
    """WSGI application for Flask, Django or any WSGI server.

    The store, group committer and worker live on an event loop in a background thread;
    each WSGI request thread hands its delivery over and waits for the commit. Call
    :meth:`close` at shutdown. :meth:`deliver` serves frameworks that prefer a view
    function (Django): pass the raw body and the Stripe-Signature header.
    """

    def __init__(self, app: Endpoint, *, run_worker: bool = True) -> None:
        """``run_worker=False``: only receive, the worker runs elsewhere (``appevents
        worker``, ``flask appevents worker``)."""
        self.app = app
        self.run_worker = run_worker
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runtime: Runtime | None = None
        self._lock = threading.Lock()

    def _ensure_started(self) -> tuple[asyncio.AbstractEventLoop, Runtime]:
        with self._lock:
            if self._loop is None or self._runtime is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="appevents-wsgi-loop", daemon=True
                )
                thread.start()
                try:
                    runtime = self.app.runtime(run_worker=self.run_worker)
                    asyncio.run_coroutine_threadsafe(runtime.start(), loop).result()
                except BaseException:
                    # The next request tries again with a new loop: end this one's thread.
                    loop.call_soon_threadsafe(loop.stop)
                    thread.join(10)
                    loop.close()
                    raise
                self._loop, self._thread, self._runtime = loop, thread, runtime
            return self._loop, self._runtime

    @property
    def runtime(self) -> Runtime:
        """The running instance (started on first use)."""
        return self._ensure_started()[1]

    def deliver(self, body: bytes, signature: str | None, remote: str | None = None) -> Reply:
        loop, runtime = self._ensure_started()
        return asyncio.run_coroutine_threadsafe(
            runtime.receive(body, signature, remote), loop
        ).result()

    def close(self) -> None:
        with self._lock:
            if self._loop is None or self._runtime is None:
                return
            asyncio.run_coroutine_threadsafe(self._runtime.stop(), self._loop).result()
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._thread is not None:
                self._thread.join(10)
            self._loop.close()
            self._loop = self._thread = self._runtime = None

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        limit = self.app.max_body_bytes
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        signature, remote = environ.get("HTTP_STRIPE_SIGNATURE"), environ.get("REMOTE_ADDR")
        refused = misrouted(path, method, self.app.path)
        if refused is None:
            length_text = environ.get("CONTENT_LENGTH") or ""
            length = int(length_text) if length_text.isdigit() else None
            if length is not None and length > limit:
                refused = too_large(limit)
            else:
                stream = environ["wsgi.input"]
                body = stream.read(length) if length is not None else stream.read(limit + 1)
                if len(body) > limit:
                    refused = too_large(limit)
        if refused is not None:
            self.runtime.rejections.rejected(refused, signature, remote, path=path)
            reply = refused
        else:
            reply = self.deliver(body, signature, remote)
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(reply.body)))]
        if reply.status == 405:
            headers.append(("Allow", "POST"))
        start_response(f"{reply.status} {REASONS.get(reply.status, '')}".rstrip(), headers)
        return [reply.body]
