"""Cross-site request forgery: every form a dashboard renders carries a per-process token
in a hidden field, and every POST must send it back.

A page of another site can make the browser POST to a dashboard on 127.0.0.1 (a form
needs no CORS permission), but it cannot read the dashboard's pages, so it never learns
the token. A browser's ``Origin`` naming another site is refused as well, so that a
leaked page alone does not suffice.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from urllib.parse import urlsplit

from markupsafe import Markup, escape

__all__ = ["CSRF_FIELD", "CsrfGuard"]

CSRF_FIELD = "csrf_token"


class CsrfGuard:
    def __init__(self, token: str | None = None) -> None:
        self.token = token or secrets.token_urlsafe(32)

    def field(self) -> Markup:
        """The hidden input every POST form includes."""
        return Markup('<input type="hidden" name="{}" value="{}">').format(
            CSRF_FIELD, escape(self.token)
        )

    def refusal(self, form: Mapping[str, str], headers: Mapping[str, str]) -> str | None:
        """Why a POST is refused (None: it may proceed)."""
        origin = headers.get("origin")
        host = headers.get("host", "")
        if origin and origin != "null" and urlsplit(origin).netloc != host:
            return (
                f"the request comes from {origin}, not from this dashboard ({host}): "
                "use the dashboard's own buttons"
            )
        sent = form.get(CSRF_FIELD, "")
        if not sent:
            return (
                f"the form has no {CSRF_FIELD}: reload the page and use its buttons "
                "(a page from another site cannot post here)"
            )
        if not hmac.compare_digest(sent.encode(), self.token.encode()):
            return (
                f"the form's {CSRF_FIELD} is not this dashboard's (it restarted since the page "
                "was loaded?): reload the page and try again"
            )
        return None
