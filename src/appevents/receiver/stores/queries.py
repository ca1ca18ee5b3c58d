"""Named SQL queries kept in ``.sql`` files, one ``-- name: NAME`` header per query."""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

__all__ = ["load_queries", "load_script"]

_HEADER = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)


@cache
def load_queries(filename: str) -> dict[str, str]:
    text = load_script(filename)
    parts = _HEADER.split(text)
    # parts = [preamble, name1, body1, name2, body2, ...]
    queries = {name: body.strip() for name, body in zip(parts[1::2], parts[2::2], strict=True)}
    if len(queries) != len(parts) // 2:
        raise RuntimeError(f"{filename} names a query twice")
    return queries


@cache
def load_script(filename: str) -> str:
    return (files(__package__) / "sql" / filename).read_text(encoding="utf-8")
