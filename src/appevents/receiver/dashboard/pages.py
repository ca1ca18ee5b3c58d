"""The receiver dashboard's pages and buttons: the inbox with its filters, one event
(payload, attempts and their errors), dead letters with replay, installations and their
history, the last hour's activity, and logging in."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ...errors import ConfigurationError
from ...web import static_mount
from ..inbox import Status, check_replayable
from . import activity as activity_queries
from . import queries
from .auth import COOKIE
from .charts import bar_chart
from .live import live_route, live_url
from .queries import REPLAYABLE, Filters
from .site import LIVE_PATH, Refused, Site, safe_next, to

__all__ = ["routes"]


def routes(site: Site) -> list[BaseRoute]:
    store = site.store

    async def inbox(request: Request, *, dead: bool = False) -> Response:
        filters = Filters.of(request.query_params)
        if dead:
            filters = Filters(Status.DEAD.value, *_rest(filters))
        error = ""
        stream = await _live(site)
        try:
            offset = request.query_params.get("offset", "0")
            found = await queries.inbox_page(store, filters, int(offset) if offset.isdigit() else 0)
        except ConfigurationError as exc:  # a filter that cannot apply: say which
            found, error = None, str(exc)
        return site.page(
            request, "inbox.html", status=400 if error else 200, found=found, filters=filters,
            error=error, dead=dead, statuses=queries.STATUSES, action="/dead" if dead else "/",
            live_stream=stream,
        )  # fmt: skip

    async def inbox_page(request: Request) -> Response:
        return await inbox(request)

    async def dead_page(request: Request) -> Response:
        return await inbox(request, dead=True)

    async def event_page(request: Request) -> Response:
        stream = await _live(site)
        detail = await queries.event_detail(store, request.path_params["id"])
        return site.page(request, "event.html", detail=detail, summary=queries.error_summary,
                         live_stream=stream)  # fmt: skip

    async def installations_page(request: Request) -> Response:
        found = await store.list_installations()
        found.sort(key=lambda i: (i.status != "active", -(i.installed_at or 0), i.account))
        return site.page(request, "installations.html", installations=found)

    async def installation_page(request: Request) -> Response:
        account = request.path_params["account"]
        installations, history = await queries.installation_history(store, account)
        if not installations and not history:
            return site.error(request, 404, f"no installation of account {account} in the store")
        return site.page(request, "installation.html", account=account,
                         installations=installations, history=history)  # fmt: skip

    async def activity_page(request: Request) -> Response:
        found = await activity_queries.activity(store, site.clock())
        step = activity_queries.STEP
        charts = [
            (title, bar_chart(values, title=title, start=found.start, step=step))
            for title, values in [
                ("Events received per minute", found.received),
                ("Events processed per minute", found.processed),
                ("Backlog (pending or failed) at each minute's end", found.backlog),
            ]
        ]
        metrics = activity_queries.metric_rows(site.metrics) if site.metrics else None
        return site.page(request, "activity.html", activity=found, charts=charts,
                         metrics=metrics, now=site.clock())  # fmt: skip

    async def replay_one(request: Request) -> Response:
        event_id = request.path_params["id"]

        async def replay(form: dict[str, str]) -> str:
            event = await store.get_event(event_id)
            if event.status not in REPLAYABLE:
                raise Refused(
                    409,
                    f"event {event_id} is {event.status}: only done, failed and dead events "
                    "can be replayed (a pending one is processed soon)",
                )
            check_replayable(event)
            changed = await store.replay([event_id], now=site.clock())
            _wake(site)
            return to(f"/events/{event_id}", f"Replaying {', '.join(changed)}: pending again, "
                      "the worker picks it up now")  # fmt: skip

        return await site.act(request, replay)

    async def replay_matching(request: Request) -> Response:
        async def replay(form: dict[str, str]) -> str:
            filters = Filters.of(form)
            if not filters.status:
                filters = Filters(Status.DEAD.value, *_rest(filters))
            if Status(filters.status) not in REPLAYABLE:
                raise Refused(409, f"{filters.status} events cannot be replayed: pick dead, "
                              "failed or done events")  # fmt: skip
            changed = await queries.replay_matching(store, filters, now=site.clock())
            _wake(site)
            back = "/dead" if filters.status == Status.DEAD else "/"
            query = filters.query()
            if back == "/dead":
                query.pop("status", None)
            return to(back, f"{len(changed)} event(s) queued for replay", **query)

        return await site.act(request, replay)

    async def login_form(request: Request) -> Response:
        token = request.query_params.get("token")
        if token is None:
            return site.login_page(request, 200)
        return _login(request, token)

    async def login_post(request: Request) -> Response:
        form = await site.form(request)
        if isinstance(form, Response):
            return form
        return _login(request, form.get("token", ""), form.get("next", "/"))

    def _login(request: Request, token: str, target: str | None = None) -> Response:
        if not site.auth.valid(token.strip()):
            return site.login_page(request, 401, "That token is not this dashboard's.")
        target = safe_next(target or request.query_params.get("next", "/"))
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            COOKIE, site.auth.session(), httponly=True, samesite="strict", path="/",
            secure=request.url.scheme == "https",
        )  # fmt: skip
        return response

    async def logout(request: Request) -> Response:
        form = await site.form(request)
        if isinstance(form, Response):
            return form
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
        return response

    g = site.guarded
    return [
        static_mount(),
        Route("/login", login_form),
        Route("/login", login_post, methods=["POST"]),
        Route("/logout", g(logout), methods=["POST"]),
        Route("/", g(inbox_page)),
        Route("/dead", g(dead_page)),
        Route("/events/{id}", g(event_page)),
        Route("/installations", g(installations_page)),
        Route("/installations/{account}", g(installation_page)),
        Route("/activity", g(activity_page)),
        Route("/actions/events/{id}/replay", g(replay_one), methods=["POST"]),
        Route("/actions/replay", g(replay_matching), methods=["POST"]),
        Route(LIVE_PATH, g(live_route(site))),
    ]


def _rest(filters: Filters) -> tuple[str, str, str, str]:
    return filters.account, filters.types, filters.since, filters.until


def _wake(site: Site) -> None:
    if site.wake is not None:
        site.wake()


async def _live(site: Site) -> str:
    """The live stream's URL, marked before the page reads what it shows: a change in
    between then refreshes the page rather than going unseen."""
    return await live_url(site)
