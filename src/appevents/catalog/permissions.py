"""Stripe App permission names: every name Stripe documents or its manifest schema accepts.

The official schema misspells three names (``apply_pay_domain_*``, ``shpping_rate_write``);
they are accepted as aliases and resolved to the spellings Stripe's docs and API use.
"""

from __future__ import annotations

import functools

from ..errors import UnknownName
from ._data import closest, load


@functools.cache
def permission_names() -> tuple[str, ...]:
    """Every known permission name (correct spellings only), sorted."""
    return tuple(load("permissions.json")["permissions"])


@functools.cache
def permission_aliases() -> dict[str, str]:
    """Misspelt names from the official schema -> the correct names."""
    aliases: dict[str, str] = load("permissions.json")["aliases"]
    return dict(aliases)


def permission_sources(name: str) -> tuple[str, ...]:
    """Where a permission is named: ``docs``, ``schema`` and/or ``event_table``."""
    entry = load("permissions.json")["permissions"].get(canonical_permission(name))
    return tuple(entry["sources"])


def is_known_permission(name: str) -> bool:
    return name in _known() or name in permission_aliases()


def canonical_permission(name: str) -> str:
    """The correct spelling of a known permission name (aliases resolved).

    Raises UnknownName with the closest known names when nobody knows ``name``.
    """
    if name in _known():
        return name
    if name in permission_aliases():
        return permission_aliases()[name]
    raise UnknownName("permission", name, closest(name, permission_names()))


@functools.cache
def _known() -> frozenset[str]:
    return frozenset(permission_names())
