"""What creating an account and registering an app take, checked: a wrong type is Stripe's
400 naming the field, never an object stored half-formed."""

from __future__ import annotations

from typing import Any

from .. import catalog
from .formdata import as_dict, as_metadata, as_optional_str, as_str, shown
from .stripe_errors import InvalidRequest

__all__ = ["ACCOUNT_TYPES", "account_fields", "checked_manifest"]

ACCOUNT_TYPES = ("standard", "express", "custom")


def account_fields(params: dict[str, Any], *, default_type: str) -> dict[str, Any]:
    """The fields of ``POST /v1/accounts`` (and the sandbox's standalone accounts)."""
    profile = as_dict(params.get("business_profile"), "business_profile")
    for name, value in profile.items():
        if value is not None and not isinstance(value, str):
            as_str(value, f"business_profile[{name}]")
    account_type = as_str(params.get("type", default_type), "type")
    if account_type not in ACCOUNT_TYPES:
        raise InvalidRequest(
            f"Invalid type: {shown(account_type)}: use one of {', '.join(ACCOUNT_TYPES)}",
            param="type",
        )
    return {
        "business_profile": profile,
        "country": as_str(params.get("country", "US"), "country"),
        "default_currency": as_str(params.get("default_currency", "usd"), "default_currency"),
        "email": as_optional_str(params.get("email"), "email"),
        "metadata": as_metadata(params.get("metadata")),
        "type": account_type,
    }


def checked_manifest(manifest: dict[str, Any]) -> dict[str, Any]:
    """A manifest whose fields the sandbox reads have their types: ``id`` and ``version``
    non-empty strings, ``name`` a string, ``permissions`` a list of known permissions."""
    for field in ("id", "version"):
        value = manifest.get(field)
        if not isinstance(value, str) or not value:
            raise InvalidRequest(
                f'The manifest has no "{field}": expected a non-empty string, got {shown(value)}',
                param="manifest",
            )
    if "name" in manifest and manifest["name"] is not None:
        as_str(manifest["name"], "manifest[name]")
    grants = manifest.get("permissions", [])
    if not isinstance(grants, list):
        raise InvalidRequest(
            f"Invalid manifest[permissions]: {shown(grants)}: expected a list of "
            '{"permission": NAME, "purpose": WHY} objects',
            param="manifest[permissions]",
        )
    for grant in grants:
        name = grant.get("permission") if isinstance(grant, dict) else None
        if not isinstance(name, str) or not catalog.is_known_permission(name):
            raise InvalidRequest(
                f"Unknown permission {shown(name)} in the manifest", param="manifest"
            )
    return manifest
