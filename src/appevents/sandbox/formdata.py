"""Stripe's request encoding: form fields with bracket notation, decoded to nested values.

``metadata[order]=7&enabled_events[0]=a&enabled_events[1]=b&expand[]=x`` becomes
``{"metadata": {"order": "7"}, "enabled_events": ["a", "b"], "expand": ["x"]}``. Values stay
strings; each API parameter converts its own (see :func:`as_bool`, :func:`as_int`). The
``stripe`` libraries send lists with explicit indices; ``[]`` appends, as curl users write.

The ``as_*`` converters check one decoded parameter (form or JSON) and raise Stripe's 400
naming it, with what was expected: a request never reaches an operation with a list where
a string belongs.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from .stripe_errors import InvalidRequest

__all__ = [
    "as_bool",
    "as_dict",
    "as_int",
    "as_metadata",
    "as_optional_str",
    "as_str",
    "decode_form",
    "encode_form",
    "shown",
]

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")
_MAX_DEPTH = 8
_INDEX = re.compile(r"[0-9]{1,6}")
"""A list index: ASCII digits (``²`` and ``٣`` are digits to Python, not indices), and
no more of them than a request can hold items."""
_INTEGER = re.compile(r"-?[0-9]{1,18}")
"""Stripe's integers are 64-bit: 18 digits always fit."""
_INT64 = 2**63


def decode_form(body: bytes | str) -> dict[str, Any]:
    """Decode an ``application/x-www-form-urlencoded`` body (or query string)."""
    text = body.decode("utf-8", errors="strict") if isinstance(body, bytes) else body
    root: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True, strict_parsing=False):
        match = _KEY.match(key)
        if match is None:
            raise InvalidRequest(
                f"Invalid parameter name: {shown(key)}: expected name, name[key] or name[]",
                param=key[:100],
            )
        path = [match.group(1), *_PART.findall(match.group(2))]
        if len(path) > _MAX_DEPTH:
            raise InvalidRequest(
                f"Parameter {shown(key)} is nested too deeply (at most {_MAX_DEPTH} levels)",
                param=key[:100],
            )
        _assign(root, path, value, key)
    # The top level stays an object whatever its names ("0=x" is a parameter named 0).
    return {name: _finalise(value) for name, value in root.items()}


def _assign(root: dict[str, Any], path: list[str], value: str, key: str) -> None:
    node: dict[Any, Any] = root
    for part in path[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise _mixed(key)
        node = child
    last: str | int = path[-1]
    if last == "":  # name[] appends: an int key keeps the order, and no name is an int
        last = len(node)
    if last in node and isinstance(node[last], dict):
        raise _mixed(key)
    node[last] = value


def _mixed(key: str) -> InvalidRequest:
    return InvalidRequest(
        f"Parameter {shown(key)} mixes a value and nested fields", param=key[:100]
    )


def _finalise(node: Any) -> Any:
    """Turn dicts whose keys are all indices into lists, recursively."""
    if not isinstance(node, dict):
        return node
    items = {k: _finalise(v) for k, v in node.items()}
    if items and all(_is_index(k) for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return {str(k): v for k, v in items.items()}


def _is_index(key: str | int) -> bool:
    return isinstance(key, int) or _INDEX.fullmatch(key) is not None


def encode_form(params: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """The inverse, with indexed lists (as the stripe library sends them)."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, dict):
            pairs += encode_form(value, name)
        elif isinstance(value, list | tuple):
            pairs += encode_form({str(i): v for i, v in enumerate(value)}, name)
        elif isinstance(value, bool):
            pairs.append((name, "true" if value else "false"))
        elif value is None:
            pairs.append((name, ""))
        else:
            pairs.append((name, str(value)))
    return pairs


def shown(value: Any, limit: int = 40) -> str:
    """A value as an error message quotes it: short, whatever its size."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def as_bool(value: Any, param: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return bool(value == "true")
    raise InvalidRequest(
        f"Invalid boolean: {shown(value)}: {param} expects true or false", param=param
    )


def as_str(value: Any, param: str) -> str:
    if isinstance(value, str):
        return value
    raise InvalidRequest(
        f"Invalid {param}: {shown(value)}: expected a string, not {_kind(value)}", param=param
    )


def as_optional_str(value: Any, param: str) -> str | None:
    """A string, or None for a missing or empty one (Stripe's way of unsetting)."""
    return None if value in (None, "") else as_str(value, param)


def as_dict(value: Any, param: str) -> dict[str, Any]:
    """A nested object (``param[key]=value`` in a form, an object in JSON)."""
    if value in (None, ""):
        return {}
    if isinstance(value, dict):
        return value
    raise InvalidRequest(
        f"Invalid {param}: {shown(value)}: expected an object ({param}[key]=value), "
        f"not {_kind(value)}",
        param=param,
    )


def as_metadata(value: Any, param: str = "metadata") -> dict[str, str]:
    """Stripe's metadata: string keys to string values (``metadata[order]=42``)."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise InvalidRequest(
            f"Invalid metadata: {shown(value)}: pass {param}[key]=value pairs, each value a string",
            param=param,
        )
    return dict(value)


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else f"a {type(value).__name__}"


def as_int(
    value: Any, param: str, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and -_INT64 <= value < _INT64:
        number = value
    elif isinstance(value, str) and _INTEGER.fullmatch(value):
        number = int(value)
    else:
        raise InvalidRequest(
            f"Invalid integer: {shown(value)}: {param} expects a whole number of at most "
            "18 digits, like 10",
            param=param,
        )
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        bounds = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise InvalidRequest(f"Invalid {param}: must be {bounds}, got {number}", param=param)
    return number
