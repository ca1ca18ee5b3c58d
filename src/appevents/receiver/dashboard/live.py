"""The receiver dashboard's live view: its mark changes when the inbox moved past what
the page showed (events waiting or failed, or a newer event), so that the shared stream
(web.live) says "changed": an event replayed from the page turns done by itself."""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import Response

from ...web.live import change_stream
from ...web.live import live_url as stream_url
from .site import Handler, Site

__all__ = ["live_route", "live_url", "mark"]

POLL = 1.0
LIFETIME = 15.0
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
    return stream_url(await mark(site))


def live_route(site: Site, *, poll: float = POLL, lifetime: float = LIFETIME) -> Handler:
    async def stream(request: Request) -> Response:
        return change_stream(
            request, lambda: mark(site), poll=poll, lifetime=lifetime, retry_ms=RETRY_MS
        )

    return stream
