"""The thin twins of v1 events: Stripe sends a thin destination that selects
``v1.charge.succeeded`` a thin event for each ``charge.succeeded``, naming the charge
(``related_object``) and the snapshot event (``snapshot_event``). Emitted only when a thin
destination that could receive it selects its type, so v1 events cost nothing more
otherwise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ... import catalog
from ..rest import spec
from ..routing import enabled_events_select
from ..service import Sandbox
from ..state import endpoints
from .thin import emit_thin, related

__all__ = ["thin_twins"]


def thin_twins(sandbox: Sandbox) -> Callable[[dict[str, Any], str], None]:
    """The hook (Sandbox.on_emitted) that emits each v1 event's thin twin when wanted."""

    def emitted(event: dict[str, Any], account: str) -> None:
        twin = f"v1.{event['type']}"
        candidates = endpoints.endpoints_for_event(sandbox.db, account, "thin")
        if not any(enabled_events_select(e.enabled_events, twin) for e in candidates):
            return
        if not catalog.is_thin_event_type(twin):
            return
        obj = event["data"]["object"]
        info = catalog.thin_event_info(twin)
        named = None
        if info.related_object is not None:
            named = related(str(obj.get("id")), info.related_object, _url(obj))
        request = event.get("request") or {}
        emit_thin(
            sandbox, account, event["livemode"], twin, related_object=named,
            data={} if info.data_fields is not None else None,
            request_id=request.get("id"), idempotency_key=request.get("idempotency_key"),
            snapshot_event=event["id"],
        )  # fmt: skip

    return emitted


def _url(obj: dict[str, Any]) -> str:
    """Where the object is fetched: its resource's path with its id."""
    resource = spec.resource_of_object(str(obj.get("object")))
    path = resource.path if resource is not None else None
    if path is None or path.count("{") != 1:
        return f"/v1/{obj.get('object')}s/{obj.get('id')}"
    return path[: path.index("{")] + str(obj.get("id"))
