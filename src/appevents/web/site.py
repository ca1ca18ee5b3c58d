"""What both dashboards' sites share: a page rendered in the shared layout with the
security headers, the error page, and a posted form read past the CSRF check.

Each dashboard's own Site adds how it reads its state and runs its buttons' actions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from .csrf import CsrfGuard
from .environment import environment

__all__ = ["MAX_FORM_BYTES", "SECURITY_HEADERS", "DashboardSite", "to"]

MAX_FORM_BYTES = 64 * 1024

SECURITY_HEADERS: Mapping[str, str] = {
    # Our own files only: a script that got into a page would still not run.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class DashboardSite:
    def __init__(
        self,
        package: str,
        *,
        csrf: CsrfGuard | None,
        sections: Mapping[str, str],
        headers: Mapping[str, str] = SECURITY_HEADERS,
        **globals_: Any,
    ) -> None:
        """Templates of ``package`` before the shared ones; ``sections`` maps a path's first
        segment to the navigation entry it belongs under when they differ (``/`` and
        ``/events`` are one section); ``globals_`` are visible to every template, among
        them ``back``: the (path, text) of the error page's way back."""
        self.csrf = csrf or CsrfGuard()
        self.sections = dict(sections)
        self.headers = dict(headers)
        self.env = environment([package], csrf_field=self.csrf.field, **globals_)

    def page(
        self, request: Request, template: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        first = "/" + request.url.path.strip("/").split("/")[0]
        html = self.env.get_template(template).render(
            current=self.sections.get(first, first),
            notice=request.query_params.get("notice", ""), **context,
        )  # fmt: skip
        return HTMLResponse(html, status_code=status, headers=self.headers)

    def error(self, request: Request, status: int, message: str) -> HTMLResponse:
        return self.page(request, "error.html", status=status, status_code=status, message=message)

    async def form(self, request: Request) -> dict[str, str] | Response:
        """The posted form, or the refusal page (too large, CSRF token missing or wrong)."""
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            return self.error(request, 413, f"the form is over {MAX_FORM_BYTES} bytes")
        form = dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
        refusal = self.csrf.refusal(form, request.headers)
        if refusal is not None:
            return self.error(request, 403, f"Refused: {refusal}.")
        return form


def to(path: str, notice: str = "", **query: str) -> str:
    """A URL to redirect to, with a notice the page shows once."""
    params = {k: v for k, v in {**query, "notice": notice}.items() if v}
    return f"{path}?{urlencode(params)}" if params else path
