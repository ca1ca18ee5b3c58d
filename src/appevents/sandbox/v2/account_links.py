"""``POST /v2/core/account_links``: a single-use link for an account's onboarding or update
(``use_case`` ``account_onboarding`` or ``account_update``, with ``refresh_url`` and
``return_url``), valid for 5 minutes.

Its ``url`` is the sandbox's own (``/_sandbox/account_links/{token}``), standing in for
Stripe's hosted flow: opening it finishes the flow at once, redirects to ``return_url`` and
emits ``v2.core.account_link.returned`` on the platform (``data``: ``account_id``,
``configurations``, ``use_case``). A link opened again, or after it expired, redirects to
``refresh_url``, as Stripe's do, and emits nothing.

``POST /_sandbox/account_links/return`` (``url``: the link's) does what opening it does, for
the platform that made the link, and answers where it led (``redirect``): what
``appevents trigger v2.core.account_link.returned`` runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route as HttpRoute

from ..callers import Caller
from ..service import Sandbox
from ..state import v2_accounts
from ..state.v2_accounts import LinkRow
from . import params as v2_params
from .accounts import account_of
from .accounts_params import checked
from .calls import Route, V2Call
from .errors import V2Error, v2_errors
from .thin import emit_thin, rfc3339

__all__ = ["http_routes", "routes"]

LINK_SECONDS = 300
LINK_PATH = "/_sandbox/account_links/"
USE_CASES = ("account_onboarding", "account_update")

T = TypeVar("T")
OnLane = Callable[[Callable[[], T]], Awaitable[T]]


def routes(sandbox: Sandbox) -> list[Route]:
    @v2_errors
    def create(call: V2Call, caller: Caller, raw: dict[str, Any]) -> Any:
        caller.require("account_link", write=True)
        params = checked("v2.core.account_link.create", raw)
        account = account_of(sandbox, caller, params["account"])
        if account["closed"]:
            raise V2Error(f"Account {account['id']} is closed: it has no onboarding left",
                          param="account", code="account_closed")  # fmt: skip
        use_case = params["use_case"]
        kind = use_case["type"]
        if kind not in USE_CASES:
            raise V2Error(f"Invalid use_case.type: {kind[:50]!r}: use one of "
                          f"{', '.join(USE_CASES)}", param="use_case.type")  # fmt: skip
        options = use_case.get(kind)
        if options is None:
            raise V2Error(
                f"Missing required param: use_case.{kind} (its refresh_url and return_url)",
                param=f"use_case.{kind}",
                code="parameter_missing",
            )
        for other in USE_CASES:
            if other != kind and use_case.get(other) is not None:
                raise V2Error(f"use_case.{other} does not go with use_case.type {kind}",
                              param=f"use_case.{other}")  # fmt: skip
        now = sandbox.now()
        mode = "live" if caller.livemode else "test"
        token = sandbox.ids.new(f"alu_{mode}", 40)
        scheme, netloc = getattr(call, "scheme", "http"), getattr(call, "netloc", "localhost")
        body = {
            "object": "v2.core.account_link", "account": account["id"],
            "created": rfc3339(now), "expires_at": rfc3339(now + LINK_SECONDS),
            "livemode": caller.livemode, "url": f"{scheme}://{netloc}{LINK_PATH}{token}",
            "use_case": {
                "type": kind,
                "account_onboarding": None, "account_update": None,
                kind: {"collection_options": None, "return_url": None, **options},
            },
        }  # fmt: skip
        link = LinkRow(token, account["id"], caller.account, caller.livemode,
                       now + LINK_SECONDS, False, body)  # fmt: skip
        with sandbox.transaction() as db:
            v2_accounts.insert_link(db, link)
        return body

    @v2_errors
    def open_as_platform(call: V2Call, caller: Caller, raw: dict[str, Any]) -> Any:
        v2_params.known_only(raw, ("url",))
        url = v2_params.required_str(raw, "url", "an account link's url")
        token = url.rsplit(LINK_PATH, 1)[-1] if LINK_PATH in url else ""
        link = v2_accounts.get_link(sandbox.db, token) if token else None
        if link is None or (link.platform, link.livemode) != (caller.account, caller.livemode):
            raise V2Error(
                f"No such account link: {url[:200]!r}: give the url an account link you "
                "created answered",
                status=404, param="url", code="resource_missing",
            )  # fmt: skip
        return {"url": url, "redirect": follow(sandbox, token)}

    return [
        ("POST", "/v2/core/account_links", create),
        ("POST", LINK_PATH + "return", open_as_platform),
    ]


def follow(sandbox: Sandbox, token: str) -> str | None:
    """Where opening the link ``token`` leads (None: no such link); the first opening
    before it expires is the return, and emits ``v2.core.account_link.returned``."""
    link = v2_accounts.get_link(sandbox.db, token)
    if link is None:
        return None
    kind = link.body["use_case"]["type"]
    options = link.body["use_case"][kind]
    if link.used or sandbox.now() >= link.expires_at:
        return str(options["refresh_url"])
    account = v2_accounts.get_account(
        sandbox.db, link.account, platform=link.platform, livemode=link.livemode
    )
    with sandbox.transaction() as db:
        v2_accounts.use_link(db, token)
        emit_thin(
            sandbox, link.platform, link.livemode, "v2.core.account_link.returned",
            data={"account_id": link.account, "configurations": account["applied_configurations"],
                  "use_case": kind},
        )  # fmt: skip
    return str(options.get("return_url") or options["refresh_url"])


def http_routes(sandbox: Sandbox, on_lane: OnLane[str | None]) -> list[HttpRoute]:
    """The link's page (no API key: a browser opens it), run on the sandbox's lane."""

    async def opened(request: Request) -> Response:
        token = request.path_params["token"]
        where = await on_lane(lambda: follow(sandbox, token))
        if where is None:
            return PlainTextResponse(
                "No such account link: create one with POST /v2/core/account_links",
                status_code=404,
            )
        return RedirectResponse(where, status_code=302)

    return [HttpRoute(LINK_PATH + "{token}", opened, methods=["GET"])]
