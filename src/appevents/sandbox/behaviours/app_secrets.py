"""Stripe Apps' secret store (``/v1/apps/secrets``): one secret per name and scope.

Setting a secret whose name and scope exist replaces it (its payload and expiry); ``find``
answers it by name and scope, ``delete`` removes it and answers it ``deleted: true``, the
list answers a scope's secrets. The payload is answered by ``find`` only, as Stripe does
(a list shows it as null); an expired secret is no longer found.
"""

from __future__ import annotations

from typing import Any

from ..rest import spec, store
from ..rest.engine import Behaviour, Engine, Request
from ..stripe_errors import ResourceMissing

__all__ = ["BEHAVIOURS"]


def set_secret(engine: Engine, request: Request) -> Any:
    params = request.params
    current = _find(engine, request, str(params["name"]), params["scope"])
    if current is None:
        return engine.generic(request)
    current.update(payload=params.get("payload"), expires_at=params.get("expires_at"))
    with engine.sandbox.transaction() as db:
        store.save(
            db, request.caller.account, request.caller.livemode, current, engine.sandbox.now()
        )
    return current


def find_secret(engine: Engine, request: Request) -> Any:
    return _named(engine, request)


def delete_secret(engine: Engine, request: Request) -> Any:
    stub = {**_named(engine, request), "deleted": True, "payload": None}
    _save(engine, request, stub)
    return stub


def list_secrets(engine: Engine, request: Request) -> Any:
    listing = engine.generic(request)
    scope = request.params.get("scope")
    listing["data"] = [
        {**each, "payload": None} for each in listing["data"] if _in_scope(each, scope)
    ]
    return listing


def _named(engine: Engine, request: Request) -> dict[str, Any]:
    """The secret the request's name and scope name, or Stripe's 404 naming it."""
    name = str(request.params["name"])
    found = _find(engine, request, name, request.params["scope"])
    if found is None:
        raise ResourceMissing("secret", name, param="name")
    return found


def _find(engine: Engine, request: Request, name: str, scope: Any) -> dict[str, Any] | None:
    caller = request.caller
    kind = spec.resource("apps.secret")
    assert kind is not None  # the spec has the secret store
    now = engine.sandbox.now()
    for each in store.list_of(engine.sandbox.db, caller.account, caller.livemode, [kind.object]):
        expired = each.get("expires_at") is not None and each["expires_at"] <= now
        if each.get("name") == name and _in_scope(each, scope) and not expired:
            return each
    return None


def _save(engine: Engine, request: Request, secret: dict[str, Any]) -> None:
    caller = request.caller
    with engine.sandbox.transaction() as db:
        store.save(db, caller.account, caller.livemode, secret, engine.sandbox.now())


def _in_scope(secret: dict[str, Any], scope: Any) -> bool:
    if not isinstance(scope, dict):
        return True
    held = secret.get("scope") or {}
    return bool(held.get("type") == scope.get("type") and held.get("user") == scope.get("user"))


BEHAVIOURS: dict[str, Behaviour] = {
    "PostAppsSecrets": set_secret,
    "GetAppsSecretsFind": find_secret,
    "PostAppsSecretsDelete": delete_secret,
    "GetAppsSecrets": list_secrets,
}
