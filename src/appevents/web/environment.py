"""The Jinja2 environment both dashboards render with, and the mount of their static files.

Autoescaping is on for every template, whatever its name: each value a page shows may
come from a payload (an event's ``description`` may hold ``<script>``), so nothing is
marked safe except what the templates themselves write.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

__all__ = ["environment", "pretty_json", "static_mount", "when"]

STATIC_PATH = "/static"


def when(timestamp: float | None) -> str:
    """A Unix time as UTC, to the second (``-`` for none)."""
    if timestamp is None:
        return "-"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def pretty_json(value: Any) -> str:
    """Indented JSON for a ``<pre>`` (escaped by the template like any other text)."""
    return json.dumps(value, indent=2, sort_keys=False, ensure_ascii=False)


def percent(part: int, whole: int) -> str:
    return "-" if whole == 0 else f"{100 * part / whole:.0f}%"


def environment(packages: Sequence[str] = (), **globals_: Any) -> Environment:
    """Templates of ``packages`` (each one's ``templates`` folder) first, then the shared
    ones (``base.html``, ``macros.html``); ``globals_`` are visible to every template."""
    loaders = [PackageLoader(name, "templates") for name in packages]
    loaders.append(PackageLoader("appevents.web", "templates"))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=True,
        undefined=StrictUndefined,  # a misspelt name fails the page instead of showing ""
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.filters["pretty_json"] = pretty_json
    env.globals["percent"] = percent
    env.globals["static"] = lambda name: f"{STATIC_PATH}/{name}"
    env.globals.update(globals_)
    return env


def static_mount() -> Mount:
    """``/static``: the shared CSS and JavaScript, shipped in the package (no CDN: the
    dashboards work offline)."""
    return Mount(STATIC_PATH, StaticFiles(packages=[("appevents.web", "static")]), name="static")
