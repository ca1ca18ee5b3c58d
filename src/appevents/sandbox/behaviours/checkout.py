"""Checkout (being written)."""

from __future__ import annotations

from ..rest import spec

UNLISTED: tuple[spec.Operation, ...] = ()
