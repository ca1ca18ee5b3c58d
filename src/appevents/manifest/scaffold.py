"""A new stripe-app.json, as ``stripe apps create`` starts one, without the UI part.

``stripe apps create NAME`` asks for an id (proposing one made from the name) and a display
name, and writes id, version ``0.0.1``, name, an empty icon, no permissions and a
``ui_extension`` for its React views. A backend that only listens to events has no views, so
that last key is left out (``validate`` warns about it; ``stripe apps upload`` needs it).
"""

from __future__ import annotations

import re
from typing import Any

from .validation import Issue, validate_manifest

FIRST_VERSION = "0.0.1"
EXAMPLE_ID = "com.example.myapp"
_NOT_IN_AN_ID = re.compile(r"[^a-z0-9_.-]+")


def new_manifest(app_id: str, name: str, version: str = FIRST_VERSION) -> dict[str, Any]:
    """The manifest's content, keys in the order ``stripe apps create`` writes them."""
    return {"id": app_id, "version": version, "name": name, "icon": "", "permissions": []}


def new_manifest_errors(data: dict[str, Any]) -> list[Issue]:
    """What Stripe would reject in a new manifest (the id's pattern, empty name or version)."""
    return [issue for issue in validate_manifest(data) if issue.severity == "error"]


def default_app_id(label: str) -> str | None:
    """``com.example.<label as an id part>``, or None when nothing of ``label`` fits an id."""
    part = _NOT_IN_AN_ID.sub("-", label.lower()).strip("-.")
    return f"com.example.{part}" if part else None


def default_name(app_id: str) -> str:
    """A display name from the id's last part: ``com.example.payment-totals`` -> Payment Totals."""
    last = app_id.rstrip(".").rsplit(".", 1)[-1]
    words = re.split(r"[-_]+", last)
    return " ".join(word.capitalize() for word in words if word) or app_id
