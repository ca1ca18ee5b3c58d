"""stripe-app.json: load, validate, grant/revoke permissions, and say which permissions an app
still needs to receive its events."""

from __future__ import annotations

from .document import (
    DEFAULT_MANIFEST,
    GrantChange,
    GrantOutcome,
    Manifest,
    PermissionGrant,
)
from .requirements import (
    EVENT_READ,
    EventSelection,
    PermissionNeed,
    check_app_permissions,
    default_purpose,
    grant_command,
    missing_permissions,
    required_permissions,
)
from .validation import Issue, validate_manifest

__all__ = [
    "DEFAULT_MANIFEST",
    "EVENT_READ",
    "EventSelection",
    "GrantChange",
    "GrantOutcome",
    "Issue",
    "Manifest",
    "PermissionGrant",
    "PermissionNeed",
    "check_app_permissions",
    "default_purpose",
    "grant_command",
    "missing_permissions",
    "required_permissions",
    "validate_manifest",
]
