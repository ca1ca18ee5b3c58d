"""Who may see the receiver dashboard: whoever knows its token.

The token comes from configuration (``--dashboard-token``) or is drawn at start-up and
printed as a login URL. A browser trades it once (``/login?token=…`` or the login form)
for a session cookie, HttpOnly (no script reads it) and SameSite=Strict (no other site's
page sends it); scripts may send ``Authorization: Bearer <token>`` instead. The cookie
holds an HMAC of the token under a key drawn per process, never the token itself, so a
restart with a new token (or key) ends every session."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping

from ...errors import ConfigurationError

__all__ = ["COOKIE", "TokenAuth", "new_token"]

COOKIE = "appevents_dashboard"
MIN_TOKEN = 16


def new_token() -> str:
    return secrets.token_urlsafe(24)


class TokenAuth:
    def __init__(self, token: str | None = None) -> None:
        if token is not None and len(token) < MIN_TOKEN:
            raise ConfigurationError(
                f"the dashboard token is {len(token)} characters long: use at least "
                f"{MIN_TOKEN} (or pass none, and one is drawn and printed at start-up)"
            )
        self.token = token or new_token()
        self._key = secrets.token_bytes(32)

    def valid(self, candidate: str) -> bool:
        return hmac.compare_digest(candidate.encode(), self.token.encode())

    def session(self) -> str:
        """The session cookie's value."""
        return hmac.new(self._key, self.token.encode(), hashlib.sha256).hexdigest()

    def allowed(self, cookies: Mapping[str, str], headers: Mapping[str, str]) -> bool | None:
        """True: a valid session or bearer token; False: a wrong one; None: none at all."""
        bearer = headers.get("authorization", "")
        if bearer:
            scheme, _, value = bearer.partition(" ")
            return scheme.lower() == "bearer" and self.valid(value.strip())
        cookie = cookies.get(COOKIE)
        if cookie:
            return hmac.compare_digest(cookie.encode(), self.session().encode())
        return None
