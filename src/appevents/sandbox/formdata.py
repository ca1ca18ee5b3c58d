"""Stripe's request encoding: form fields with bracket notation, decoded to nested values.

``metadata[order]=7&enabled_events[0]=a&enabled_events[1]=b&expand[]=x`` becomes
``{"metadata": {"order": "7"}, "enabled_events": ["a", "b"], "expand": ["x"]}``. Values stay
strings; each API parameter converts its own (see :func:`as_bool`, :func:`as_int`). The
``stripe`` libraries send lists with explicit indices; ``[]`` appends, as curl users write.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from .stripe_errors import InvalidRequest

__all__ = ["as_bool", "as_int", "decode_form", "encode_form"]

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")
_MAX_DEPTH = 8


def decode_form(body: bytes | str) -> dict[str, Any]:
    """Decode an ``application/x-www-form-urlencoded`` body (or query string)."""
    text = body.decode("utf-8", errors="strict") if isinstance(body, bytes) else body
    root: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True, strict_parsing=False):
        match = _KEY.match(key)
        if match is None:
            raise InvalidRequest(f"Invalid parameter name: {key!r}", param=key)
        path = [match.group(1), *_PART.findall(match.group(2))]
        if len(path) > _MAX_DEPTH:
            raise InvalidRequest(f"Parameter {key!r} is nested too deeply", param=key)
        _assign(root, path, value, key)
    decoded: dict[str, Any] = _finalise(root)
    return decoded


def _assign(root: dict[str, Any], path: list[str], value: str, key: str) -> None:
    node: dict[str, Any] = root
    for part in path[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise InvalidRequest(f"Parameter {key!r} mixes a value and nested fields", param=key)
        node = child
    last = path[-1]
    if last == "":  # name[] appends: keep order with a running index
        last = f"\x00{len(node)}"
    if last in node and isinstance(node[last], dict):
        raise InvalidRequest(f"Parameter {key!r} mixes a value and nested fields", param=key)
    node[last] = value


def _finalise(node: Any) -> Any:
    """Turn dicts whose keys are all indices into lists, recursively."""
    if not isinstance(node, dict):
        return node
    items = {k: _finalise(v) for k, v in node.items()}
    if items and all(_is_index(k) for k in items):
        return [items[k] for k in sorted(items, key=_index_value)]
    return items


def _is_index(key: str) -> bool:
    return key.isdigit() or key.startswith("\x00")


def _index_value(key: str) -> int:
    return int(key.lstrip("\x00"))


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


def as_bool(value: Any, param: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return bool(value == "true")
    raise InvalidRequest(f"Invalid boolean: {value!r}", param=param)


def as_int(
    value: Any, param: str, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.lstrip("-").isdigit():
        number = int(value)
    else:
        raise InvalidRequest(f"Invalid integer: {value!r}", param=param)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        bounds = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise InvalidRequest(f"Invalid {param}: must be {bounds}, got {number}", param=param)
    return number
