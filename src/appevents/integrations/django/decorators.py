"""``@ui_request_required(secret)``: a view only a Stripe App's UI extension may call."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse

from ...errors import SignatureError
from ...receiver.replies import error_reply
from ...signature import DEFAULT_TOLERANCE
from ...ui_request import sign_ui_request, verify_ui_request
from .views import json_response

__all__ = ["ui_request_required"]

F = TypeVar("F", bound=Callable[..., HttpResponse])


def ui_request_required(
    secret: str | Iterable[str],
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    clock: Callable[[], float] = time.time,
) -> Callable[[F], F]:
    """Verify a UI extension's call before the view runs: the caller (an
    :class:`appevents.UIRequest`: ``.user_id``, ``.account_id``) is then
    ``request.appevents_caller``; a stale, forged or malformed call is answered 401
    ``{"error": {"code", "message"}}`` and the view never runs.

    ``secret``: the app's signing secret(s) (``absec_...``), several while rolling one;
    read it from your settings where you decorate (``settings.STRIPE_APP_SECRET``).
    Decorate with ``csrf_exempt`` too: the extension sends no CSRF token, its signature
    is what proves the caller.
    """
    secrets = (secret,) if isinstance(secret, str) else tuple(secret)
    # Signing checks the secrets as verifying does: a webhook secret or none at all is
    # refused when the view is defined, rather than as a 500 on each call.
    sign_ui_request("usr_check", "acct_check", secrets, timestamp=0)

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def verified(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                caller = verify_ui_request(
                    request.body,  # cached: the view can still read it
                    request.headers.get("Stripe-Signature"),
                    secrets,
                    tolerance=tolerance,
                    clock=clock,
                )
            except SignatureError as exc:
                return json_response(error_reply(401, exc.reason, exc.message))
            request.appevents_caller = caller
            return view(request, *args, **kwargs)

        return verified  # type: ignore[return-value]

    return decorate
