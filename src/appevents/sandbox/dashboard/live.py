"""The sandbox dashboard's live view: the shared stream (web.live) over the sandbox's
marks (event_queries.marks), which change whenever its state moved past what a page
showed."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...web.live import LIVE_PATH, change_stream
from .site import Site

__all__ = ["routes"]

POLL = 0.25
"""Seconds between looks at the marks: one cheap read on the lane."""
LIFETIME = 15.0
RETRY_MS = 500


def routes(site: Site, *, poll: float = POLL, lifetime: float = LIFETIME) -> list[Route]:
    async def stream(request: Request) -> Response:
        return change_stream(request, site.mark, poll=poll, lifetime=lifetime, retry_ms=RETRY_MS)

    return [Route(LIVE_PATH, stream)]
