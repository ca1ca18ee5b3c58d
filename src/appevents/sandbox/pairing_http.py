"""The pairing's HTTP side: the routes `stripe login --dashboard-base` speaks to, and the
page the user confirms on (plain HTML, one form, no script).

``POST /stripecli/auth`` (``device_name``, ``client_version``) starts a pairing;
``GET /stripecli/confirm_auth?t=…`` is the page; ``POST /stripecli/confirm_auth``
confirms, from this machine only (the sandbox hands out the platform's keys);
``GET /stripecli/auth/{secret}`` is the poll the CLI repeats.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from .formdata import decode_form
from .pairing import Pairing, PairingError, Pairings
from .stripe_errors import ApiError

__all__ = ["LOOPBACK", "routes"]

LOOPBACK = ("127.0.0.1", "::1", "localhost")
MAX_DEVICE_NAME = 200

Platform = Callable[[], Awaitable[dict[str, Any]]]
"""The platform account with its keys (read on the sandbox's lane)."""


def routes(pairings: Pairings, platform: Platform) -> list[Route]:
    async def start(request: Request) -> Response:
        form = await _form(request)
        device = str(form.get("device_name") or "").strip()[:MAX_DEVICE_NAME] or "unnamed device"
        pairing = pairings.start(device)
        base = f"{request.url.scheme}://{request.url.netloc}"
        return JSONResponse({
            "browser_url": f"{base}/stripecli/confirm_auth?t={pairing.browser_token}",
            "poll_url": f"{base}/stripecli/auth/{pairing.poll_token}",
            "verification_code": pairing.verification_code,
        })  # fmt: skip

    async def page(request: Request) -> Response:
        token = request.query_params.get("t", "")
        try:
            pairing = pairings.shown(token)
        except PairingError as exc:
            return _error_page(exc)
        account = await platform()
        return HTMLResponse(_confirm_page(pairing, account, token))

    async def confirm(request: Request) -> Response:
        client = request.client.host if request.client else ""
        if client not in LOOPBACK:
            return _error_page(PairingError(
                403, "pairing_not_local",
                f"Pairing is confirmed from the machine the sandbox runs on, not from {client}: "
                "open this page there.",
            ))  # fmt: skip
        form = await _form(request)
        try:
            pairing = pairings.confirm(str(form.get("t") or ""))
        except PairingError as exc:
            return _error_page(exc)
        account = await platform()
        return HTMLResponse(_page(
            "Access granted",
            f"<p>The CLI on <b>{html.escape(pairing.device_name)}</b> now has the keys of "
            f"<b>{html.escape(_name(account))}</b> ({html.escape(account['id'])}).</p>"
            "<p>You can close this page and return to your terminal.</p>",
        ))  # fmt: skip

    async def poll(request: Request) -> Response:
        try:
            pairing = pairings.poll(request.path_params["secret"])
        except PairingError as exc:
            return _error_json(exc)
        if pairing is None:
            return JSONResponse({"redeemed": False})
        account = await platform()
        keys = account["keys"]
        name = _name(account)
        return JSONResponse({
            "redeemed": True,
            "account_id": account["id"],
            "account_display_name": name,
            "testmode_key_secret": keys["test"],
            "livemode_key_secret": keys["live"],
            # The sandbox has no publishable keys: nothing of it runs in a browser.
            "testmode_key_publishable": "",
            "livemode_key_publishable": "",
            "uat": "", "live_context": "", "test_workspace_id": "", "user_id": "",
        })  # fmt: skip

    return [
        Route("/stripecli/auth", start, methods=["POST"]),
        Route("/stripecli/auth/{secret}", poll, methods=["GET"]),
        Route("/stripecli/confirm_auth", page, methods=["GET"]),
        Route("/stripecli/confirm_auth", confirm, methods=["POST"]),
    ]


async def _form(request: Request) -> dict[str, Any]:
    """The form's fields (one value each); an unreadable form is an empty one."""
    try:
        return decode_form((await request.body()).decode())
    except (ApiError, UnicodeDecodeError):
        return {}


def _name(account: dict[str, Any]) -> str:
    profile = account.get("business_profile") or {}
    return str(profile.get("name") or account["id"])


def _error_json(exc: PairingError) -> Response:
    error = {"type": "invalid_request_error", "code": exc.code, "message": exc.message}
    return JSONResponse({"error": error}, status_code=exc.status)


def _error_page(exc: PairingError) -> Response:
    return HTMLResponse(
        _page("Pairing not possible", f"<p>{html.escape(exc.message)}</p>"), status_code=exc.status
    )


def _confirm_page(pairing: Pairing, account: dict[str, Any], token: str) -> str:
    return _page(
        "Allow the CLI to access your sandbox account?",
        f"<p>The CLI on <b>{html.escape(pairing.device_name)}</b> asks for the keys of "
        f"<b>{html.escape(_name(account))}</b> ({html.escape(account['id'])}).</p>"
        "<p>Check that your terminal shows this pairing code:</p>"
        f'<p class="code">{html.escape(pairing.verification_code)}</p>'
        '<form method="post" action="/stripecli/confirm_auth">'
        f'<input type="hidden" name="t" value="{html.escape(token)}">'
        '<button type="submit">Allow access</button></form>',
    )


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} · appevents sandbox</title><style>"
        "body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;color:#1a1f36}"
        ".code{font:600 1.5rem monospace;background:#f6f8fa;padding:.75rem;border-radius:6px}"
        "button{background:#635bff;color:#fff;border:0;border-radius:6px;padding:.6rem 1.2rem;"
        "font-size:1rem;cursor:pointer}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
