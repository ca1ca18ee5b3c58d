"""Stripe resources by object type: their API path and the permission that reads them."""

from __future__ import annotations

from .. import catalog

__all__ = ["api_path", "object_type_at", "read_permission_resource"]

# Plurals that adding "s" gets wrong.
_IRREGULAR = {
    "entitlements.active_entitlement_summary": "entitlements/active_entitlement_summaries"
}


def api_path(object_type: str) -> str:
    """``payment_intent`` -> ``payment_intents``; ``checkout.session`` -> ``checkout/sessions``."""
    if object_type in _IRREGULAR:
        return _IRREGULAR[object_type]
    *namespace, name = object_type.split(".")
    plural = name[:-1] + "ies" if name.endswith("y") and not name.endswith("ay") else name + "s"
    if name.endswith("s"):
        plural = name + "es"
    return "/".join([*namespace, plural])


def object_type_at(path: str, known: set[str]) -> str | None:
    """The object type whose API path is ``path``, among ``known`` types."""
    for object_type in known:
        if api_path(object_type) == path:
            return object_type
    return None


def read_permission_resource(object_type: str) -> str | None:
    """The ``X`` of the ``X_read`` permission for an object type, if Stripe has one."""
    candidate = object_type.replace(".", "_")
    if catalog.is_known_permission(f"{candidate}_read"):
        return candidate
    return None
