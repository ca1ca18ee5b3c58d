"""The live view: server-sent events saying "changed" when the inbox moved past what the
page showed (events waiting or failed, or a newer event), so that the shared live.js fetches
the page's live regions again: an event replayed from the page turns done by itself.

A stream lasts ``LIFETIME`` seconds; the browser reconnects (``retry``) with the last
mark it saw, so nothing in between is missed and a stopping server never waits long."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from .site import LIVE_PATH, Handler, Site

__all__ = ["live_route", "live_url", "mark"]

POLL = 1.0
LIFETIME = 15.0
KEEPALIVE = 5.0
RETRY_MS = 1000


async def mark(site: Site) -> str:
    """A short digest of what the pages show: it changes whenever they would. Read with
    the store's bounded backlog query (unfinished events only), never a count of every
    event: each open page asks every POLL seconds."""
    backlog = await site.store.backlog(now=site.clock(), top=1)
    newest = await site.store.list_events(limit=1)
    latest = (newest[0].id, str(newest[0].status)) if newest else ()
    seen = (backlog.pending, backlog.failed_due, backlog.failed_later, latest)
    return hashlib.sha256(repr(seen).encode()).hexdigest()[:16]


async def live_url(site: Site) -> str:
    return f"{LIVE_PATH}?{urlencode({'since': await mark(site)})}"


def live_route(site: Site, *, poll: float = POLL, lifetime: float = LIFETIME) -> Handler:
    async def stream(request: Request) -> Response:
        shown = request.headers.get("last-event-id") or request.query_params.get("since", "")

        async def changes() -> AsyncIterator[str]:
            nonlocal shown
            yield f"retry: {RETRY_MS}\n\n"
            ends = quiet_since = time.monotonic()
            ends += lifetime
            while time.monotonic() < ends:
                now = await mark(site)
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

    return stream
