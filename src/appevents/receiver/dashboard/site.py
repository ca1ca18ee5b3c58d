"""The receiver dashboard's plumbing: who may look (the token), rendering a page, and
running a button's action once its CSRF token is checked.

The dashboard reads the store through the store's interface and changes it only with
the operations ``appevents inbox`` uses (``replay``), so what it shows and does is what
the CLI shows and does."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ...errors import ConfigurationError, NotFound, StoreError
from ...web import CsrfGuard
from ...web.live import LIVE_PATH
from ...web.site import SECURITY_HEADERS, DashboardSite, to
from ..inbox import Status, Store
from .auth import TokenAuth

__all__ = ["LIVE_PATH", "Refused", "Site", "to"]

NAV = (
    ("/", "Inbox"),
    ("/dead", "Dead letters"),
    ("/installations", "Installations"),
    ("/activity", "Activity"),
)
Handler = Callable[[Request], Awaitable[Response]]


class Refused(Exception):
    """An action that cannot be done, with the HTTP status and the reason shown."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Site(DashboardSite):
    def __init__(
        self,
        store: Store,
        auth: TokenAuth,
        *,
        csrf: CsrfGuard | None = None,
        clock: Callable[[], float] = time.time,
        wake: Callable[[], None] | None = None,
        metrics: Any = None,
    ) -> None:
        """``wake`` tells the worker that replayed events are due (serve wires its worker);
        ``metrics``: the receiver's Metrics when it runs them, shown on the activity page."""
        super().__init__(
            "appevents.receiver.dashboard", csrf=csrf, sections={"/events": "/"},
            headers=HEADERS, product="appevents receiver", nav=NAV, status_tone=status_tone,
            back=("/", "Back to the inbox"),
            footer="The receiver's inbox: payloads are shown as stored, erased ones never.",
        )  # fmt: skip
        self.store = store
        self.auth = auth
        self.clock = clock
        self.wake = wake
        self.metrics = metrics

    def login_page(self, request: Request, status: int, message: str = "") -> HTMLResponse:
        target = safe_next(request.query_params.get("next", "/"))
        return self.page(request, "login.html", status=status, message=message, next=target)

    def guarded(self, handler: Handler) -> Handler:
        """``handler`` for those who hold the token; a browser without a session is sent
        to the login form, a wrong token or session is refused (401)."""

        async def checked(request: Request) -> Response:
            allowed = self.auth.allowed(request.cookies, request.headers)
            if allowed is None and request.method == "GET":
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
            if not allowed:
                message = (
                    "Refused: this dashboard needs its token. Log in with the URL "
                    "`appevents serve --dashboard` printed, or its --dashboard-token."
                    if allowed is None
                    else "Refused: that token or session is not this dashboard's "
                    "(it restarted with a new token?). Log in again."
                )
                response = self.login_page(request, 401, message)
                response.headers["WWW-Authenticate"] = 'Bearer realm="appevents dashboard"'
                return response
            try:
                return await handler(request)
            except NotFound as exc:
                return self.error(request, 404, str(exc))
            except ConfigurationError as exc:
                return self.error(request, 400, str(exc))

        return checked

    async def act(
        self, request: Request, action: Callable[[dict[str, str]], Awaitable[str]]
    ) -> Response:
        """Run ``action(form)`` once the form passed the CSRF check, then go where it says
        (303: the browser GETs it); a refusal shows as a page saying why."""
        form = await self.form(request)
        if isinstance(form, Response):
            return form
        try:
            target = await action(form)
        except Refused as exc:
            return self.error(request, exc.status, exc.message)
        except NotFound as exc:
            return self.error(request, 404, str(exc))
        except (StoreError, ConfigurationError) as exc:
            return self.error(request, 409, str(exc))
        return RedirectResponse(target, status_code=303)


def status_tone(status: Status | str) -> str:
    """The badge colour of an event status."""
    return {"done": "ok", "failed": "bad", "dead": "bad", "pending": "pending"}.get(str(status), "")


def safe_next(target: str) -> str:
    """Where to go after logging in: a path of this dashboard only (never another site)."""
    # Browsers drop tabs and newlines from URLs and read "\\" as "/": "/\t/x" and "/\\x"
    # would become "//x", another site.
    if any(c < " " or c == "\\" for c in target) or not target.startswith("/"):
        return "/"
    if target.startswith("//") or urlsplit(target).netloc:
        return "/"
    return target


HEADERS = {**SECURITY_HEADERS, "X-Frame-Options": "DENY"}
"""The shared headers, and the older browsers' way of refusing to be framed."""
