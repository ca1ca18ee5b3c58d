"""The parameters of ``/v2/core/event_destinations``, checked as Stripe checks them (names
and enums from stripe-python's EventDestinationCreateParams / UpdateParams)."""

from __future__ import annotations

from typing import Any

from ... import catalog
from ..endpoint_params import enabled_events as snapshot_types
from ..endpoint_params import required_url
from ..stripe_errors import ApiError
from . import params
from .errors import V2Error

__all__ = [
    "CREATE",
    "TYPES",
    "UPDATE",
    "enabled_events",
    "events_from",
    "include",
    "metadata",
    "provider",
    "url",
]

TYPES = ("webhook_endpoint", "amazon_eventbridge", "azure_event_grid")
PAYLOADS = ("snapshot", "thin")
SCOPES = ("@self", "@accounts")
ORGANIZATION_SCOPES = ("@organization_members", "@organization_members/@accounts")
CREATE = (
    "amazon_eventbridge", "azure_event_grid", "description", "enabled_events", "event_payload",
    "events_from", "include", "metadata", "name", "snapshot_api_version", "type",
    "webhook_endpoint",
)  # fmt: skip
UPDATE = ("description", "enabled_events", "include", "metadata", "name", "webhook_endpoint")
INCLUDES = ("webhook_endpoint.signing_secret", "webhook_endpoint.url")
PROVIDER_FIELDS = {
    "amazon_eventbridge": ("aws_account_id", "aws_region"),
    "azure_event_grid": ("azure_region", "azure_resource_group_name", "azure_subscription_id"),
}


def choice(raw: dict[str, Any], name: str, allowed: tuple[str, ...]) -> str:
    value = params.required_str(raw, name, f"one of {', '.join(allowed)}")
    if value not in allowed:
        raise V2Error(
            f"Invalid {name}: {value[:60]!r}: use one of {', '.join(allowed)}", param=name
        )
    return value


def enabled_events(raw: dict[str, Any], payload: str) -> tuple[str, ...]:
    """Event types of the payload's kind: v1 types for snapshot destinations, thin types
    (``v1.billing.meter.no_meter_found``, ``v2.core.event_destination.ping``) for thin."""
    names = params.strings(raw, "enabled_events", required=True)
    if payload == "snapshot":
        try:
            return snapshot_types(names)
        except ApiError as exc:
            raise V2Error.of(exc) from None
    if not names:
        raise V2Error("Invalid enabled_events: give at least one thin event type",
                      param="enabled_events")  # fmt: skip
    for index, name in enumerate(names):
        if not catalog.is_thin_event_type(name):
            close = catalog.closest_names(name[:100], catalog.thin_event_types())
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            snapshot = " (a snapshot type: thin destinations take v1.*/v2.* types)"
            raise V2Error(
                f"Invalid enabled_events[{index}]: {name[:100]!r} is not a thin event type"
                f"{snapshot if catalog.is_known_event_type(name) else ''}{hint}",
                param=f"enabled_events[{index}]",
            )
    return tuple(names)


def events_from(raw: dict[str, Any]) -> tuple[str, ...]:
    scopes = params.strings(raw, "events_from") or ["@self"]
    for index, scope in enumerate(scopes):
        if scope in ORGANIZATION_SCOPES:
            raise V2Error(
                f"Invalid events_from[{index}]: {scope}: the sandbox has no organizations; "
                "use @self and/or @accounts",
                param=f"events_from[{index}]",
            )
        if scope not in SCOPES:
            raise V2Error(
                f"Invalid events_from[{index}]: {scope[:60]!r}: use @self (the account's own "
                "events) and/or @accounts (the accounts it manages: Connect, app installs)",
                param=f"events_from[{index}]",
            )
    return tuple(dict.fromkeys(scopes))


def include(raw: dict[str, Any], allowed: tuple[str, ...] = INCLUDES) -> set[str]:
    names = params.strings(raw, "include")
    for index, name in enumerate(names):
        if name not in allowed:
            raise V2Error(f"Invalid include[{index}]: {name[:60]!r}: use {', '.join(allowed)}",
                          param=f"include[{index}]")  # fmt: skip
    return set(names)


def url(raw: dict[str, Any]) -> str:
    endpoint = raw.get("webhook_endpoint")
    if not isinstance(endpoint, dict):
        raise V2Error(
            "Missing required param: webhook_endpoint[url] (where to deliver, like "
            "https://example.com/webhook) for a webhook_endpoint destination",
            param="webhook_endpoint", code="parameter_missing",
        )  # fmt: skip
    params.known_only(endpoint, ("url",))
    try:
        return required_url(endpoint)
    except ApiError as exc:
        raise V2Error(exc.message, param="webhook_endpoint.url") from None


def provider(raw: dict[str, Any], kind: str) -> dict[str, str]:
    """An Amazon EventBridge or Azure Event Grid destination's configuration: every field
    Stripe requires, strings."""
    given = raw.get(kind)
    if not isinstance(given, dict):
        fields = ", ".join(f"{kind}[{f}]" for f in PROVIDER_FIELDS[kind])
        raise V2Error(f"Missing required param: {kind} ({fields})", param=kind,
                      code="parameter_missing")  # fmt: skip
    params.known_only(given, PROVIDER_FIELDS[kind])
    return {f: params.required_str(given, f, f"{kind}'s {f}") for f in PROVIDER_FIELDS[kind]}


def metadata(raw: dict[str, Any], current: dict[str, str] | None = None) -> dict[str, str]:
    """``metadata`` merged into ``current``; a null value removes its key (v2's rule)."""
    given = raw.get("metadata")
    if not isinstance(given, dict):
        raise V2Error("Invalid metadata: expected an object of string values", param="metadata")
    merged = dict(current or {})
    for key, value in given.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, str) and len(key) <= 40 and len(value) <= 500:
            merged[key] = value
        else:
            raise V2Error(
                f"Invalid metadata[{key[:40]}]: a string of at most 500 characters (keys at "
                "most 40), or null to remove it",
                param=f"metadata[{key[:40]}]",
            )
    return merged
