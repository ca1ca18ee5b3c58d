"""Events: the filterable list, one event (its JSON, linked objects, every delivery
attempt, where it was withheld and the fix, a resend button), the objects it links to,
and the `listen` sessions connected now. v2 thin events are listed with the others; their
page is thin_queries' (no resend: the API has none for them)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..callers import Caller
from ..state import endpoints
from ..stripe_errors import ApiError, InvalidRequest, ResourceMissing
from . import event_queries, thin_queries
from .event_queries import EventFilters
from .signing import attempt_headers, thin_attempt_headers
from .site import Site, to

__all__ = ["routes"]


def routes(site: Site) -> list[Route]:
    sandbox = site.sandbox

    async def events_page(request: Request) -> Response:
        q = request.query_params
        filters = EventFilters(
            q.get("type", "").strip(), q.get("account", "").strip(), q.get("since", ""),
            q.get("until", ""), q.get("mode", ""),
        )  # fmt: skip
        before = q.get("before")
        stream = await site.live_stream()
        try:
            rows, more = await site.read(
                event_queries.events_page, filters, int(before) if before else None
            )
            error = ""
        except (ApiError, ValueError) as exc:
            rows, more, error = [], None, getattr(exc, "message", str(exc))
        return site.page(request, "events.html", rows=rows, more=more, filters=filters,
                         error=error, live_stream=stream)  # fmt: skip

    async def event_page(request: Request) -> Response:
        event_id = request.path_params["id"]
        stream = await site.live_stream()
        try:
            if await site.read(thin_queries.is_thin, event_id):
                thin = await site.read(thin_queries.thin_detail, event_id)
                return site.page(request, "thin_event.html", detail=thin,
                                 headers=thin_attempt_headers,
                                 live_stream=stream)  # fmt: skip
            detail = await site.read(event_queries.event_detail, event_id)
        except ApiError as exc:
            return site.error(request, exc.status, exc.message)
        return site.page(request, "event.html", detail=detail, headers=attempt_headers,
                         live_stream=stream)  # fmt: skip

    async def object_page(request: Request) -> Response:
        account, object_id = request.path_params["account"], request.path_params["id"]
        try:
            found = await site.read(event_queries.object_detail, account, object_id)
        except ResourceMissing:
            try:  # v2 accounts and persons live in tables of their own
                found = await site.read(thin_queries.v2_object_detail, account, object_id)
            except ApiError as exc:
                return site.error(request, exc.status, exc.message)
        except ApiError as exc:
            return site.error(request, exc.status, exc.message)
        return site.page(request, "object.html", found=found)

    async def listen_page(request: Request) -> Response:
        stream = await site.live_stream()
        sessions = await site.read(event_queries.connections, site.hub)
        return site.page(request, "listen.html", sessions=sessions, live_stream=stream)

    def resend(event_id: str, form: dict[str, str]) -> str:
        endpoint_id = form.get("endpoint", "").strip()
        if not endpoint_id:
            raise InvalidRequest("Pick the endpoint to resend the event to", param="endpoint")
        endpoint = endpoints.get_endpoint(sandbox.db, endpoint_id)
        row = sandbox.db.execute("SELECT livemode FROM events WHERE id = ?", (event_id,)).fetchone()
        livemode = bool(row["livemode"]) if row else endpoint.livemode
        # As the endpoint's owner would, with `appevents events resend`.
        sandbox.resend(Caller(endpoint.account, endpoint.account, livemode), event_id, endpoint_id)
        return to(f"/events/{event_id}", f"Resending {event_id} to {endpoint_id}")

    async def resend_action(request: Request) -> Response:
        event_id = request.path_params["id"]
        return await site.act(request, lambda form: resend(event_id, form))

    return [
        Route("/", events_page),
        Route("/events", events_page),
        Route("/events/{id}", event_page),
        Route("/objects/{account}/{id}", object_page),
        Route("/listen", listen_page),
        Route("/actions/events/{id}/resend", resend_action, methods=["POST"]),
    ]
