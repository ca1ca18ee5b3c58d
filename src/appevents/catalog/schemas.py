"""Stripe's official stripe-app.json schemas (MIT, stripe/stripe-apps), shipped verbatim."""

from __future__ import annotations

import copy
from typing import Any

from ._data import load

MANIFEST_SCHEMA_ID = "https://stripe.com/stripe-app.schema.json"
LOCAL_MANIFEST_SCHEMA_ID = "https://stripe.com/stripe-app-local.schema.json"


def manifest_schema() -> dict[str, Any]:
    """A fresh copy of ``stripe-app.schema.json`` (draft-07)."""
    return copy.deepcopy(load("stripe-app.schema.json"))


def local_manifest_schema() -> dict[str, Any]:
    """A fresh copy of ``stripe-app-local.schema.json`` (a manifest with ``extends``)."""
    return copy.deepcopy(load("stripe-app-local.schema.json"))
