"""Billing portal: a session opens the portal with a configuration, the account's default
unless one is named.

In Stripe an account's default configuration comes from its Dashboard's portal settings
(saving them makes it), not from a session: a session never emits
``billing_portal.configuration.created``, only ``billing_portal.session.created``. The
sandbox has no Dashboard, so the default (``is_default``, active) is made silently the
first time a session needs it, standing for the one the settings would have saved, and
every later session uses that same one. A named configuration must exist and be active.
A session's ``url`` is where its customer goes (``https://billing.stripe.com/p/session/test_…``).
"""

from __future__ import annotations

from typing import Any

from ..rest import spec, store
from ..rest.engine import Behaviour, Engine, Request
from ..stripe_errors import InvalidRequest

__all__ = ["BEHAVIOURS"]

_PORTAL = "https://billing.stripe.com"
_CONFIGURATION = ("billing_portal.configuration",)


def create_session(engine: Engine, request: Request) -> Any:
    caller = request.caller
    engine.require(caller, "billing_portal.session", write=True)
    given = request.params.get("configuration")
    with engine.sandbox.transaction():
        if isinstance(given, str):
            configuration = engine.load(caller, given, _CONFIGURATION)
            if not configuration.get("active"):
                raise InvalidRequest(
                    f"The configuration {given} is not active: activate it "
                    "(active=true) or pass another configuration.",
                    param="configuration",
                )
        else:
            configuration = _default_configuration(engine, request)
        mode = "live" if caller.livemode else "test"
        where = f"{_PORTAL}/p/session/{engine.sandbox.ids.secret(mode, 24)}"
        return engine.generic(request.with_params(configuration=configuration["id"], url=where))


def create_configuration(engine: Engine, request: Request) -> Any:
    """One made through the API is never the default (only the settings' one is), and is
    active until deactivated."""
    return engine.generic(request.with_params(is_default=False, active=True))


def _default_configuration(engine: Engine, request: Request) -> dict[str, Any]:
    caller = request.caller
    rows = store.list_of(
        engine.sandbox.db, caller.account, caller.livemode, ["billing_portal.configuration"]
    )
    for row in rows:
        if row.get("is_default") and not row.get("deleted"):
            return row
    resource = spec.resource(_CONFIGURATION[0])
    assert resource is not None  # the spec has portal configurations
    default = engine.new(resource, {"is_default": True, "active": True}, caller)
    default.update(application=None, metadata={}, updated=default["created"])
    # No event: Stripe's default comes from Dashboard settings, not from this request.
    store.save(engine.sandbox.db, caller.account, caller.livemode, default, engine.sandbox.now())
    return default


BEHAVIOURS: dict[str, Behaviour] = {
    "PostBillingPortalConfigurations": create_configuration,
    "PostBillingPortalSessions": create_session,
}
