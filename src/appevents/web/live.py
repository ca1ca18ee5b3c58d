"""The live view's stream, for both dashboards: server-sent events saying "changed"
whenever a dashboard's mark (a short token of what its pages show) moved past the one the
page was rendered with; the shared live.js then fetches the page's live regions again.

A stream lasts at most ``lifetime`` seconds and the browser reconnects by itself (the
``retry`` field), sending the last mark it was told (``Last-Event-ID``): nothing that
happened in between is missed, and a stopping server never waits long for its streams.
A browser that goes away ends its stream at the next write (Starlette stops it)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

__all__ = ["LIVE_PATH", "change_stream", "live_url"]

LIVE_PATH = "/live"
KEEPALIVE = 5.0
"""Seconds of quiet after which a comment line keeps proxies from closing the stream."""


def live_url(mark: str) -> str:
    """The stream's URL for a page rendered when the mark was ``mark``."""
    return f"{LIVE_PATH}?{urlencode({'since': mark})}"


def change_stream(
    request: Request,
    mark: Callable[[], Awaitable[str]],
    *,
    poll: float,
    lifetime: float,
    retry_ms: int,
) -> Response:
    """The stream for one browser: ``mark()`` is read every ``poll`` seconds."""
    shown = request.headers.get("last-event-id") or request.query_params.get("since", "")

    async def changes() -> AsyncIterator[str]:
        nonlocal shown
        yield f"retry: {retry_ms}\n\n"
        ends, quiet_since = time.monotonic() + lifetime, time.monotonic()
        while time.monotonic() < ends:
            now = await mark()
            if now != shown:
                shown, quiet_since = now, time.monotonic()
                yield f"id: {now}\nevent: change\ndata: {now}\n\n"
            elif time.monotonic() - quiet_since > KEEPALIVE:
                quiet_since = time.monotonic()
                yield ": still here\n\n"
            await asyncio.sleep(poll)

    return StreamingResponse(
        changes(), media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )  # fmt: skip
