"""The sandbox dashboard's routes, mounted by the sandbox's HTTP front (asgi.py) before
its catch-all: ``/`` and the pages under it, ``/static``, ``/live``, ``/actions/...``."""

from __future__ import annotations

from starlette.routing import BaseRoute

from ...web import CsrfGuard, static_mount
from ..lane import Lane
from ..listen import ListenHub
from ..service import Sandbox
from . import account_pages, destination_pages, endpoint_pages, event_pages, live
from .site import Site

__all__ = ["dashboard_routes"]


def dashboard_routes(
    sandbox: Sandbox, lane: Lane, hub: ListenHub, *, csrf: CsrfGuard | None = None
) -> list[BaseRoute]:
    site = Site(sandbox, lane, hub, csrf)
    return [
        static_mount(),
        *event_pages.routes(site),
        *account_pages.routes(site),
        *endpoint_pages.routes(site),
        *destination_pages.routes(site),
        *live.routes(site),
    ]
