"""Run ASGI and WSGI apps on 127.0.0.1 (free port) in a thread, stopped on exit."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx

from appevents.loopback import bind_loopback, serve_asgi

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def read_request(scope: Any, receive: Any) -> tuple[dict[str, str], bytes]:
    """An ASGI HTTP request's headers (lower-case names) and its whole body."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    return {k.decode().lower(): v.decode() for k, v in scope["headers"]}, body


async def respond(
    send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    """Answer an ASGI HTTP request with ``status``, ``headers`` and ``body``."""
    await send({"type": "http.response.start", "status": status, "headers": headers or []})
    await send({"type": "http.response.body", "body": body})


@contextlib.contextmanager
def asgi_server(app: Any, port: int = 0) -> Iterator[str]:
    with serve_asgi(app, bind_loopback(port)) as base:
        yield base


@contextlib.contextmanager
def webhook_server(app: Any, **options: Any) -> Iterator[str]:
    """``appevents serve``'s built-in server for ``app``, on its own loop in a thread."""
    with running_webhook_server(app, **options) as (server, _):
        yield f"http://127.0.0.1:{server.bound_port}"


@contextlib.contextmanager
def running_webhook_server(
    app: Any, **options: Any
) -> Iterator[tuple[Any, asyncio.AbstractEventLoop]]:
    """:func:`webhook_server`, yielding the server and its loop (to look inside it)."""
    from appevents.receiver.server import WebhookServer

    server = WebhookServer(app.runtime(), host="127.0.0.1", port=0, **options)
    with started(server, "the webhook server") as loop:
        yield server, loop


@contextlib.contextmanager
def started(server: Any, what: str) -> Iterator[asyncio.AbstractEventLoop]:
    """``server`` (a WebhookServer, with its companions) serving on its own loop in a
    thread, stopped on exit; yields the loop (to run coroutines on it)."""
    ready = threading.Event()
    failed: list[BaseException] = []
    loop = asyncio.new_event_loop()

    def run() -> None:
        try:
            loop.run_until_complete(server.serve(on_ready=lambda _: ready.set()))
        except BaseException as exc:  # reported to the test below
            failed.append(exc)
            ready.set()
        finally:
            loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    if not ready.wait(15) or failed:
        raise RuntimeError(f"{what} did not start: {failed}")
    try:
        yield loop
    finally:
        loop.call_soon_threadsafe(server.stop)
        thread.join(15)


def endpoint_server(kind: str, app: Any) -> contextlib.AbstractContextManager[str]:
    """The app's endpoint served by ``kind``: "asgi" (uvicorn) or "builtin" (serve's)."""
    return asgi_server(app.asgi()) if kind == "asgi" else webhook_server(app)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def wsgi_server(app: Any) -> Iterator[str]:
    server: WSGIServer = make_server("127.0.0.1", 0, app, handler_class=_QuietHandler)
    with serving(server) as base:
        yield base


@contextlib.contextmanager
def serving(server: Any) -> Iterator[str]:
    """A socketserver-style WSGI server (wsgiref's, Werkzeug's) serving in a thread until
    exit; yields its base URL."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@contextlib.contextmanager
def serve_process(args: list[str], *, cwd: Path, port: int, env: dict[str, str] | None = None
                  ) -> Iterator[subprocess.Popen[bytes]]:  # fmt: skip
    """`appevents serve …` as a real process, in its own process group, always stopped."""
    command = [sys.executable, "-m", "appevents.cli.main", "serve", *args, "--port", str(port)]
    with server_process(command, f"http://127.0.0.1:{port}/webhook", cwd=cwd, env=env) as process:
        yield process


@contextlib.contextmanager
def server_process(
    command: list[str], url: str, *, cwd: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """``command`` as a process in its own process group (so that its workers stop with
    it), once ``url`` answers; killed on exit."""
    process = subprocess.Popen(
        command, cwd=cwd, start_new_session=True, env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        wait_http(url, process)
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
        if process.stderr:
            process.stderr.close()


def exited(pid: int) -> bool:
    """Whether process ``pid`` has stopped (a zombie not yet reaped counts as stopped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # reaped between the two looks
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def poll_until(check: Callable[[], T], timeout: float = 20.0, what: str = "condition") -> T:
    """Call ``check`` until it returns something true, and return that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"{what} not reached within {timeout} s")


def wait_http(
    url: str, process: subprocess.Popen[bytes] | None = None, timeout: float = 20
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            err = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"server exited with {process.returncode}: {err}")
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(url, timeout=1)
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing answered at {url}")
