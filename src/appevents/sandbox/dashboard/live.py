"""The live view's stream: server-sent events saying "changed" whenever the sandbox's
state moved past what the page showed (event_queries.marks); live.js then fetches the
page's live regions again.

A stream lasts at most ``LIFETIME`` seconds and the browser reconnects by itself (the
``retry`` field), sending the last mark it was told (``Last-Event-ID``): nothing that
happened in between is missed, and a stopping server never waits long for its streams.
A browser that goes away ends its stream at the next write (Starlette stops it)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from . import event_queries
from .site import LIVE_PATH, Site

__all__ = ["routes"]

POLL = 0.25
"""Seconds between looks at the marks: one cheap read on the lane."""
LIFETIME = 15.0
KEEPALIVE = 5.0
RETRY_MS = 500


def routes(site: Site, *, poll: float = POLL, lifetime: float = LIFETIME) -> list[Route]:
    async def stream(request: Request) -> Response:
        shown = request.headers.get("last-event-id") or request.query_params.get("since", "")

        async def changes() -> AsyncIterator[str]:
            nonlocal shown
            yield f"retry: {RETRY_MS}\n\n"
            ends, quiet_since = time.monotonic() + lifetime, time.monotonic()
            while time.monotonic() < ends:
                now = await site.lane.run(event_queries.marks, site.sandbox.db, site.hub)
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

    return [Route(LIVE_PATH, stream)]
