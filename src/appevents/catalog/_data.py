"""Load the generated JSON shipped in ``catalog/data`` (see scripts/generate_catalog.py).

Read once per process with importlib.resources, so the catalog works from a wheel or a zip and
never touches the reference material the data was generated from.
"""

from __future__ import annotations

import difflib
import functools
import json
from importlib import resources
from typing import Any


@functools.cache
def load(name: str) -> dict[str, Any]:
    """The parsed data file ``name`` (e.g. ``events.json``); callers must not mutate it."""
    text = resources.files(__package__).joinpath("data", name).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def closest(name: str, candidates: list[str] | tuple[str, ...], limit: int = 3) -> list[str]:
    """The known names nearest to a misspelt one, best first (for UnknownName suggestions)."""
    return difflib.get_close_matches(name, candidates, n=limit, cutoff=0.6)
