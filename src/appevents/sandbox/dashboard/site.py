"""The dashboard's plumbing: rendering a page, reading on the lane, and running a form's
action (checked against CSRF) the way the API would run it.

The dashboard is the developer's view of the whole sandbox (every account, both modes),
served on the sandbox's own loopback port; its buttons do what the merchant or the
developer would, through the same Sandbox operations the API and the CLI call, so their
events are the same consequences."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ...web import CsrfGuard, environment
from ..lane import Lane
from ..listen import ListenHub
from ..service import Sandbox
from ..stripe_errors import ApiError
from . import event_queries

__all__ = ["Site"]

T = TypeVar("T")

NAV = (
    ("/events", "Events"),
    ("/accounts", "Accounts"),
    ("/apps", "Apps"),
    ("/webhooks", "Webhooks"),
    ("/listen", "Listen sessions"),
)
MAX_FORM_BYTES = 64 * 1024
LIVE_PATH = "/live"


class Site:
    def __init__(
        self, sandbox: Sandbox, lane: Lane, hub: ListenHub, csrf: CsrfGuard | None = None
    ) -> None:
        self.sandbox = sandbox
        self.lane = lane
        self.hub = hub
        self.csrf = csrf or CsrfGuard()
        self.env = environment(
            ["appevents.sandbox.dashboard"], product="appevents sandbox", nav=NAV,
            csrf_field=self.csrf.field,
            footer="A local Stripe for events: what you see here never left this machine.",
        )  # fmt: skip

    async def read(self, function: Callable[..., T], *args: Any) -> T:
        """Run ``function(db, *args)`` on the lane, where the state lives."""
        return await self.lane.run(function, self.sandbox.db, *args)

    async def live_stream(self) -> str:
        """The live view's URL for a page rendered now: the stream says "changed" as soon
        as anything differs from what the page shows."""
        since = await self.lane.run(event_queries.marks, self.sandbox.db, self.hub)
        return f"{LIVE_PATH}?{urlencode({'since': since})}"

    def page(
        self, request: Request, template: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        current = "/" + request.url.path.strip("/").split("/")[0]
        html = self.env.get_template(template).render(
            current="/events" if current == "/" else current,
            notice=request.query_params.get("notice", ""), **context,
        )  # fmt: skip
        return HTMLResponse(html, status_code=status, headers=_SECURITY_HEADERS)

    def error(self, request: Request, status: int, message: str) -> HTMLResponse:
        return self.page(request, "error.html", status=status, status_code=status, message=message)

    async def act(self, request: Request, action: Callable[[dict[str, str]], str]) -> Response:
        """Check the form's CSRF token, run ``action(form)`` on the lane (an API error shows
        as a page saying what was wrong) and go where it says (303: the browser GETs it)."""
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            return self.error(request, 413, f"the form is over {MAX_FORM_BYTES} bytes")
        form = dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
        refusal = self.csrf.refusal(form, request.headers)
        if refusal is not None:
            return self.error(request, 403, f"Refused: {refusal}.")
        try:
            target = await self.lane.run(action, form)
        except ApiError as exc:
            return self.error(request, exc.status, exc.message)
        return RedirectResponse(target, status_code=303)


def to(path: str, notice: str = "", **query: str) -> str:
    """A URL to redirect to, with a notice the page shows once."""
    params = {k: v for k, v in {**query, "notice": notice}.items() if v}
    return f"{path}?{urlencode(params)}" if params else path


_SECURITY_HEADERS = {
    # Nothing but our own files: an injected script would not run even if one got through.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
