"""``/metrics``, ``/healthz`` and ``/readyz`` on a listener of their own.

Kept apart from the webhook endpoint on purpose: the webhook port faces Stripe (often the
internet), these face the operator's scraper and orchestrator, so they never answer
under the webhook's address (``appevents serve --metrics-port``, bound to 127.0.0.1
unless ``--metrics-host`` says otherwise). A request is a GET (or HEAD) of one of the
three paths; the answer closes the connection. Scrapes are rare: simplicity wins here,
where the webhook server is written for speed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from .health import Readiness
from .metrics import INSTALL_HINT
from .runtime import Runtime

__all__ = ["ObservabilityServer"]

log = logging.getLogger("appevents.observability")

_MAX_HEAD = 8192
_READ_TIMEOUT = 5.0
_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}
_JSON = "application/json"


class ObservabilityServer:
    """Serve a runtime's metrics and health on ``host:port`` (0: a free port)."""

    def __init__(
        self, runtime: Runtime, readiness: Readiness, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.runtime = runtime
        self.readiness = readiness
        self.host = host
        self.port = port
        self.bound_port: int | None = None
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._serve, self.host, self.port, limit=_MAX_HEAD
        )
        self.bound_port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _READ_TIMEOUT)
            method, _, rest = head.split(b"\r\n", 1)[0].decode("latin-1").partition(" ")
            path = rest.partition(" ")[0].partition("?")[0]
            status, content_type, body = await self.answer(method, path)
            reply = (
                f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n"
                + ("Allow: GET, HEAD\r\n" if status == 405 else "")
                + "\r\n"
            ).encode("latin-1")
            writer.write(reply + (b"" if method == "HEAD" else body))
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            pass  # not a request we can answer: close
        except (ConnectionError, OSError):
            pass
        except Exception:  # a bug must not end the listener: log it, close this one
            log.exception("observability: could not answer a request")
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def answer(self, method: str, path: str) -> tuple[int, str, bytes]:
        """Status, content type and body for ``method path``."""
        if path not in ("/metrics", "/healthz", "/readyz"):
            return _json(404, {"error": f"no {path}: ask for /metrics, /healthz or /readyz"})
        if method not in ("GET", "HEAD"):
            return _json(405, {"error": f"{method} {path}: only GET and HEAD are answered"})
        if path == "/healthz":
            return _json(200, {"status": "ok"})
        report = await self.readiness.check(self.runtime.store)
        if path == "/readyz":
            return _json(200 if report.ready else 503, report.to_dict())
        metrics = self.runtime.metrics
        if metrics is None:
            return _json(404, {"error": f"metrics are off: {INSTALL_HINT}"})
        from prometheus_client import CONTENT_TYPE_LATEST

        metrics.set_backlog(report.backlog, report.checked_at)
        return 200, CONTENT_TYPE_LATEST, metrics.exposition()


def _json(status: int, body: dict[str, Any]) -> tuple[int, str, bytes]:
    return status, _JSON, json.dumps(body).encode()
