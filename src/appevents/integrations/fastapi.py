"""Serve an ``appevents.App`` inside a FastAPI application (``appevents[fastapi]``).

    from fastapi import FastAPI
    from appevents import App
    from appevents.integrations.fastapi import appevents_router

    receiver = App(secrets=["whsec_..."], store="sqlite:///inbox.db")
    site = FastAPI()
    site.include_router(appevents_router(receiver), prefix="/stripe")  # POST /stripe/webhook

The router carries the receiver's lifespan, which FastAPI merges into the site's on
``include_router``: the store is open and the worker runs while the site does, around
the site's own ``FastAPI(lifespan=...)``. The route takes every method, so that a GET is
the receiver's JSON 405 (``Allow: POST``); it is left out of the OpenAPI schema (Stripe
is its only client). Everything else is :mod:`appevents.integrations.starlette`'s.

A Stripe App's UI extension calling the backend (``fetchStripeSignature()`` sent as
``Stripe-Signature`` over ``{"user_id", "account_id"}``) is verified by a dependency:

    from typing import Annotated
    from fastapi import Depends
    from appevents import UIRequest
    from appevents.integrations.fastapi import ui_request

    extension_caller = ui_request("absec_...")   # the app's signing secret

    @site.post("/api/settings")
    async def settings(caller: Annotated[UIRequest, Depends(extension_caller)]):
        return {"user": caller.user_id, "account": caller.account_id}

A stale, forged or malformed call never reaches the endpoint: it is answered 401 with
``{"detail": {"code": ..., "message": ...}}`` (the code is ``SignatureError.reason``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import APIRouter, HTTPException, Request

from ..errors import SignatureError
from ..receiver.app import App
from ..signature import DEFAULT_TOLERANCE
from ..ui_request import UIRequest, sign_ui_request, verify_ui_request
from .starlette import appevents_lifespan, appevents_route

__all__ = ["UIRequestDependency", "appevents_lifespan", "appevents_router", "ui_request"]


def appevents_router(app: App) -> APIRouter:
    """A router with ``app``'s webhook at ``App.path``, for ``include_router(router,
    prefix=...)``, carrying the lifespan that runs its store and worker."""
    # It yields the site's state or None, which Starlette's union of a stateless and a
    # stateful lifespan type cannot say; at run time both are served alike.
    lifespan: Any = appevents_lifespan(app)
    router = APIRouter(lifespan=lifespan)
    router.routes.append(appevents_route(app))
    return router


class UIRequestDependency:
    """A FastAPI dependency giving the verified caller of a UI-extension request."""

    def __init__(
        self,
        secret: str | Iterable[str],
        *,
        tolerance: float = DEFAULT_TOLERANCE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``secret``: the app's signing secret(s) (``absec_...``), several while rolling
        one; ``tolerance``: seconds a signature stays valid either way (300)."""
        self.secrets = (secret,) if isinstance(secret, str) else tuple(secret)
        # Signing checks the secrets as verifying does: a webhook secret or none at all
        # is refused here, at the site's start, rather than as a 500 on each call.
        sign_ui_request("usr_check", "acct_check", self.secrets, timestamp=0)
        self.tolerance = tolerance
        self.clock = clock

    async def __call__(self, request: Request) -> UIRequest:
        body = await request.body()  # kept by Starlette: the endpoint may read it again
        try:
            return verify_ui_request(
                body,
                request.headers.get("stripe-signature"),
                self.secrets,
                tolerance=self.tolerance,
                clock=self.clock,
            )
        except SignatureError as exc:
            raise HTTPException(
                status_code=401, detail={"code": exc.reason, "message": exc.message}
            ) from None


def ui_request(
    secret: str | Iterable[str],
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    clock: Callable[[], float] = time.time,
) -> UIRequestDependency:
    """``Depends(ui_request("absec_..."))``: the verified :class:`appevents.UIRequest`, or a
    401 with the reason for a stale, forged or malformed call."""
    return UIRequestDependency(secret, tolerance=tolerance, clock=clock)
