"""Webhook endpoints and event destinations: the list, one endpoint's deliveries with its
success rate, and the Dashboard's create / enable / disable / roll secret / delete (the
API's own Sandbox operations, acting as the endpoint's account)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..callers import Caller
from ..state import endpoints
from ..stripe_errors import ApiError, InvalidRequest
from . import queries
from .site import Site, to

__all__ = ["routes"]


def routes(site: Site) -> list[Route]:
    sandbox = site.sandbox

    async def list_page(request: Request) -> Response:
        own, destinations = await site.read(queries.endpoint_list)
        rows = await site.read(queries.account_rows)
        return site.page(request, "webhooks.html", endpoints=own, destinations=destinations,
                         accounts=rows)  # fmt: skip

    async def endpoint_page(request: Request) -> Response:
        stream = await site.live_stream()
        try:
            view = await site.read(queries.endpoint_view, request.path_params["id"])
        except ApiError as exc:
            return site.error(request, exc.status, exc.message)
        return site.page(request, "endpoint.html", view=view, live_stream=stream)

    def owner(endpoint_id: str) -> Caller:
        found = endpoints.get_endpoint(sandbox.db, endpoint_id)
        return Caller(found.account, found.account, found.livemode)

    def create(form: dict[str, str]) -> str:
        account = form.get("account", "").strip()
        if not account:
            raise InvalidRequest("Missing required field: account (who owns the endpoint)",
                                 param="account")  # fmt: skip
        # As the account's own secret key would (the Dashboard is the account's).
        caller = Caller(account, account, form.get("mode") == "live")
        events = [e.strip() for e in form.get("events", "*").split(",") if e.strip()] or ["*"]
        params = {
            "url": form.get("url", "").strip(),
            "enabled_events": events,
            "connect": form.get("connect") == "on",
        }
        if form.get("description", "").strip():
            params["description"] = form["description"].strip()
        made = sandbox.create_endpoint(caller, params)
        return to(f"/webhooks/{made['id']}", f"Created endpoint {made['id']}")

    def enable(endpoint_id: str, disabled: bool) -> str:
        sandbox.update_endpoint(owner(endpoint_id), endpoint_id, {"disabled": disabled})
        return to(f"/webhooks/{endpoint_id}", f"{'Disabled' if disabled else 'Enabled'} "
                  f"endpoint {endpoint_id}")  # fmt: skip

    def roll(endpoint_id: str) -> str:
        owner(endpoint_id)  # it exists
        with sandbox.transaction() as db:
            endpoints.set_secret(db, endpoint_id, sandbox.ids.secret())
        return to(f"/webhooks/{endpoint_id}", f"Rolled the signing secret of {endpoint_id}: "
                  "deliveries from now on are signed with the new one")  # fmt: skip

    def delete(endpoint_id: str) -> str:
        sandbox.delete_endpoint(owner(endpoint_id), endpoint_id)
        return to("/webhooks", f"Deleted endpoint {endpoint_id}")

    async def create_action(request: Request) -> Response:
        return await site.act(request, create)

    async def change_action(request: Request) -> Response:
        endpoint_id, what = request.path_params["id"], request.path_params["what"]
        actions = {
            "disable": lambda form: enable(endpoint_id, True),
            "enable": lambda form: enable(endpoint_id, False),
            "roll": lambda form: roll(endpoint_id),
            "delete": lambda form: delete(endpoint_id),
        }
        if what not in actions:
            return site.error(request, 404, f"no action {what!r} on endpoints")
        return await site.act(request, actions[what])

    return [
        Route("/webhooks", list_page),
        Route("/webhooks/{id}", endpoint_page),
        Route("/actions/webhooks", create_action, methods=["POST"]),
        Route("/actions/webhooks/{id}/{what}", change_action, methods=["POST"]),
    ]
