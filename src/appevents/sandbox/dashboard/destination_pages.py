"""Event destinations (v2) from the webhooks page: create (thin or snapshot payload, events
from ``@self`` and/or ``@accounts``), enable, disable and delete.

Each button runs the ``/v2/core/event_destinations`` operation itself (v2/destinations.py),
acting as the destination's account with its own secret key would: the checks, the
object's fields and the errors are the API's. Their deliveries show on the endpoint page
(endpoint_pages), a destination being a webhook endpoint's row."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..callers import Caller
from ..state import endpoints
from ..stripe_errors import InvalidRequest
from ..v2 import destinations
from ..v2.calls import Run
from .site import Site, to

__all__ = ["routes"]

_PATH = "/v2/core/event_destinations"
_ONE = _PATH + "/{id}"


@dataclass(frozen=True, slots=True)
class _Call:
    """What a v2 operation reads of its request (v2.calls.V2Call), for a button's."""

    request_id: str
    path_params: dict[str, str] = field(default_factory=dict)
    idempotency_key: str | None = None


def routes(site: Site) -> list[Route]:
    sandbox = site.sandbox
    api: dict[tuple[str, str], Run] = {
        (method, path): run for method, path, run in destinations.routes(sandbox)
    }

    def run(method: str, path: str, caller: Caller, raw: dict[str, Any], **path_params: str) -> Any:
        call = _Call(sandbox.ids.new("req", 14), path_params)
        return api[(method, path)](call, caller, raw)

    def create(form: dict[str, str]) -> str:
        account = form.get("account", "").strip()
        if not account:
            raise InvalidRequest("Missing required field: account (who owns the destination)",
                                 param="account")  # fmt: skip
        caller = Caller(account, account, form.get("mode") == "live")
        scopes = [s for s, box in (("@self", "from_self"), ("@accounts", "from_accounts"))
                  if form.get(box) == "on"]  # fmt: skip
        raw: dict[str, Any] = {
            "name": form.get("name", "").strip(),
            "type": "webhook_endpoint",
            "event_payload": form.get("payload", "").strip(),
            "enabled_events": [e.strip() for e in form.get("events", "").split(",") if e.strip()],
            "events_from": scopes or ["@self"],
            "webhook_endpoint": {"url": form.get("url", "").strip()},
        }
        if form.get("description", "").strip():
            raw["description"] = form["description"].strip()
        made = run("POST", _PATH, caller, raw)
        return to(f"/webhooks/{made['id']}", f"Created event destination {made['id']}")

    def change(destination_id: str, what: str) -> str:
        found = endpoints.get_endpoint(sandbox.db, destination_id)
        if not found.destination:
            raise InvalidRequest(f"{destination_id} is a webhook endpoint, not an event "
                                 "destination: use its own buttons", param="id")  # fmt: skip
        caller = Caller(found.account, found.account, found.livemode)
        if what == "delete":
            run("DELETE", _ONE, caller, {}, id=destination_id)
            return to("/webhooks", f"Deleted event destination {destination_id}")
        run("POST", f"{_ONE}/{what}", caller, {}, id=destination_id)
        return to(f"/webhooks/{destination_id}",
                  f"{what.capitalize()}d event destination {destination_id}")  # fmt: skip

    async def create_action(request: Request) -> Response:
        return await site.act(request, create)

    async def change_action(request: Request) -> Response:
        destination_id, what = request.path_params["id"], request.path_params["what"]
        if what not in ("enable", "disable", "delete"):
            return site.error(request, 404, f"no action {what!r} on event destinations: use "
                              "enable, disable or delete")  # fmt: skip
        return await site.act(request, lambda form: change(destination_id, what))

    return [
        Route("/actions/destinations", create_action, methods=["POST"]),
        Route("/actions/destinations/{id}/{what}", change_action, methods=["POST"]),
    ]
