"""The dashboard's plumbing: rendering a page, reading on the lane, and running a form's
action (checked against CSRF) the way the API would run it.

The dashboard is the developer's view of the whole sandbox (every account, both modes),
served on the sandbox's own loopback port; its buttons do what the merchant or the
developer would, through the same Sandbox operations the API and the CLI call, so their
events are the same consequences."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ...web import CsrfGuard
from ...web.live import LIVE_PATH, live_url
from ...web.site import DashboardSite, to
from ..lane import Lane
from ..listen import ListenHub
from ..service import Sandbox
from ..stripe_errors import ApiError
from . import event_queries

__all__ = ["LIVE_PATH", "Site", "to"]

T = TypeVar("T")

NAV = (
    ("/events", "Events"),
    ("/accounts", "Accounts"),
    ("/apps", "Apps"),
    ("/webhooks", "Webhooks"),
    ("/listen", "Listen sessions"),
)


class Site(DashboardSite):
    def __init__(
        self, sandbox: Sandbox, lane: Lane, hub: ListenHub, csrf: CsrfGuard | None = None
    ) -> None:
        super().__init__(
            "appevents.sandbox.dashboard", csrf=csrf, sections={"/": "/events"},
            product="appevents sandbox", nav=NAV, back=("/events", "Back to the events"),
            footer="A local Stripe for events: what you see here never left this machine.",
        )  # fmt: skip
        self.sandbox = sandbox
        self.lane = lane
        self.hub = hub

    async def read(self, function: Callable[..., T], *args: Any) -> T:
        """Run ``function(db, *args)`` on the lane, where the state lives."""
        return await self.lane.run(function, self.sandbox.db, *args)

    async def mark(self) -> str:
        """A token of what the pages show (event_queries.marks), read on the lane."""
        return await self.lane.run(event_queries.marks, self.sandbox.db, self.hub)

    async def live_stream(self) -> str:
        """The live view's URL for a page about to read what it shows: the stream says
        "changed" as soon as anything differs. Take it before the page's reads, so that a
        change landing between them refreshes the page rather than going unseen."""
        return live_url(await self.mark())

    async def act(self, request: Request, action: Callable[[dict[str, str]], str]) -> Response:
        """Check the form's CSRF token, run ``action(form)`` on the lane (an API error shows
        as a page saying what was wrong) and go where it says (303: the browser GETs it)."""
        form = await self.form(request)
        if isinstance(form, Response):
            return form
        try:
            target = await self.lane.run(action, form)
        except ApiError as exc:
            return self.error(request, exc.status, exc.message)
        return RedirectResponse(target, status_code=303)
