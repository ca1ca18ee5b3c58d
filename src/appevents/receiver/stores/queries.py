"""Named SQL queries kept in ``.sql`` files, one ``-- name: NAME`` header per query.

A query may name another of its file in braces (``{busy_accounts}``): the other's text
is spliced in, so a fragment shared by several queries is written once. Other braces
(``{values}``) are left for the caller's ``str.format``.
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

__all__ = ["load_queries", "load_script"]

_HEADER = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)
_REFERENCE = re.compile(r"\{(\w+)\}")


@cache
def load_queries(package: str | None, filename: str) -> dict[str, str]:
    """The queries of ``sql/FILENAME`` in ``package`` (each backend keeps its own)."""
    text = load_script(package, filename)
    parts = _HEADER.split(text)
    # parts = [preamble, name1, body1, name2, body2, ...]
    queries = {name: body.strip() for name, body in zip(parts[1::2], parts[2::2], strict=True)}
    if len(queries) != len(parts) // 2:
        raise RuntimeError(f"{filename} names a query twice")
    return {
        name: _REFERENCE.sub(lambda ref: queries.get(ref[1], ref[0]), body)
        for name, body in queries.items()
    }


@cache
def load_script(package: str | None, filename: str) -> str:
    """``sql/FILENAME`` of ``package`` (a module's ``__package__``)."""
    if not package:
        raise RuntimeError(f"load_script({filename!r}) needs the package that holds sql/")
    return (files(package) / "sql" / filename).read_text(encoding="utf-8")
