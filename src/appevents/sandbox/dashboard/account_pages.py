"""Accounts and apps: who is in the sandbox, what each installed, and the merchant's
install / upgrade / uninstall buttons (Sandbox.install and .uninstall, as the API's
``/_sandbox/apps/...`` calls: the ``account.application.*`` events are their consequence)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..state import apps
from ..state.apps import INSTALL_MODES
from ..stripe_errors import ApiError, InvalidRequest
from . import queries
from .site import Site, to

__all__ = ["routes"]


def routes(site: Site) -> list[Route]:
    sandbox = site.sandbox

    async def accounts_page(request: Request) -> Response:
        rows = await site.read(queries.account_rows)
        app_views = await site.read(queries.app_list)
        return site.page(request, "accounts.html", accounts=rows, apps=app_views,
                         modes=INSTALL_MODES)  # fmt: skip

    async def apps_page(request: Request) -> Response:
        return site.page(request, "apps.html", apps=await site.read(queries.app_list))

    async def app_page(request: Request) -> Response:
        try:
            view = await site.read(queries.app_view, request.path_params["app"])
            manifest = await site.read(queries.manifest_of, view.app.id, view.latest)
        except ApiError as exc:
            return site.error(request, exc.status, exc.message)
        return site.page(request, "app.html", view=view, manifest=manifest)

    def install(form: dict[str, str]) -> str:
        app, account = _required(form, "app"), _required(form, "account")
        version = form.get("version") or None
        current = apps.get_install(sandbox.db, account, apps.get_app(sandbox.db, app).id)
        done = sandbox.install(app, account, mode=form.get("mode") or "test", version=version)
        verb = "Upgraded" if current is not None and current.active else "Installed"
        return to("/accounts", f"{verb} {app} on {account} ({done['mode']}, version "
                  f"{done['version']}): account.application.authorized sent")  # fmt: skip

    def uninstall(form: dict[str, str]) -> str:
        app, account = _required(form, "app"), _required(form, "account")
        sandbox.uninstall(app, account)
        return to("/accounts", f"Uninstalled {app} from {account}: "
                  "account.application.deauthorized sent")  # fmt: skip

    async def install_action(request: Request) -> Response:
        return await site.act(request, install)

    async def uninstall_action(request: Request) -> Response:
        return await site.act(request, uninstall)

    return [
        Route("/accounts", accounts_page),
        Route("/apps", apps_page),
        Route("/apps/{app}", app_page),
        Route("/actions/install", install_action, methods=["POST"]),
        Route("/actions/uninstall", uninstall_action, methods=["POST"]),
    ]


def _required(form: dict[str, str], name: str) -> str:
    value = form.get(name, "").strip()
    if not value:
        raise InvalidRequest(f"Missing required field: {name}", param=name)
    return value
