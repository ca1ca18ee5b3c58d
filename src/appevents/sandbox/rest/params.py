"""Stripe's parameter validation: a request's parameters checked and converted against an
operation's parameters node (see :mod:`.spec`), as Stripe's API does.

A form decodes to nested dicts and lists of strings; a JSON body arrives typed. Both come
out the same: integers as ``int``, decimals as ``int`` or ``float``, booleans as ``bool``,
hashes and arrays checked member by member. A wrong request raises Stripe's 400 for its
first problem, in the order the request gives its parameters (a missing required one after
those given), naming it with brackets (``recurring[interval]``, ``items[0][price]``).

``""`` is Stripe's way of unsetting an optional field: where the node allows the empty
string (a plain string, an enum holding ``""``, an ``anyOf`` with ``{enum: [""]}``) it is
kept as ``""`` for the caller to unset; a JSON ``null`` means the same. For a required
parameter it counts as missing.

Each node is compiled once into a checker (a closure), cached by the node's identity:
spec's nodes live as long as the process, so a request pays only for its own values.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterable
from typing import Any

from ..formdata import shown
from ..stripe_errors import InvalidRequest
from .spec import Node, Operation, resolve

__all__ = ["checked", "query_checked"]

Checker = Callable[[Any, str], Any]
"""Checks one value, named by its bracketed parameter name; returns it converted."""

_INTEGER = re.compile(r"-?[0-9]{1,19}")
_DECIMAL = re.compile(r"-?(?:[0-9]{1,30}(?:\.[0-9]{0,30})?|\.[0-9]{1,30})")
_INT64 = 2**63
_QUOTED_LIMIT = 40


def checked(node: Node, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` checked against an object node (an operation's ``parameters()``), with
    its values converted; raises :class:`InvalidRequest` for the first problem."""
    result: dict[str, Any] = _checker(node)(params, "")
    return result


def query_checked(op: Operation, params: dict[str, Any]) -> dict[str, Any]:
    """The query parameters of a GET or DELETE checked against ``op``'s."""
    return checked(_query_node(op), params)


_QUERY_NODES: dict[int, tuple[Operation, Node]] = {}
"""``Operation.parameters()`` builds a new node per call for query operations: one per
operation keeps the checkers' cache from growing with each request. The operation is kept
with its node so that its id cannot be reused (operations are unhashable: dict fields)."""


def _query_node(op: Operation) -> Node:
    entry = _QUERY_NODES.get(id(op))
    if entry is None:
        entry = _QUERY_NODES[id(op)] = (op, op.parameters())
    return entry[1]


_CHECKERS: dict[int, tuple[Node, Checker]] = {}
"""By ``id(node)``; the node is kept with its checker so that its id cannot be reused."""


def _checker(node: Node) -> Checker:
    entry = _CHECKERS.get(id(node))
    if entry is None:
        entry = _CHECKERS[id(node)] = (node, _compile(resolve(node)))
    return entry[1]


def _compile(node: Node) -> Checker:
    if "any" in node:
        return _any_checker(node["any"])
    kind = node["t"]
    if kind == "object":
        if "p" in node:
            return _object_checker(node["p"], tuple(node.get("r", ())))
        return _hash_checker(node["h"])
    if kind == "array":
        return _array_checker(_checker(node["i"]))
    if "e" in node:
        return _enum_checker(tuple(node["e"]))
    return _SCALARS[kind]


def _child_name(parent: str, key: str | int) -> str:
    return f"{parent}[{key}]" if parent else str(key)


def _object_checker(props: dict[str, Node], required: tuple[str, ...]) -> Checker:
    children = {name: _checker(child) for name, child in props.items()}
    needed = frozenset(required)

    def check(value: Any, name: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise InvalidRequest("Invalid object", param=name or None)
        result: dict[str, Any] = {}
        for key, given in value.items():
            child = children.get(key)
            full = _child_name(name, key)
            if child is None:
                raise _unknown(full, key, children)
            if given is None or given == "":
                if key in needed:
                    raise _missing(full)
                given = ""
            result[key] = child(given, full)
        for key in required:
            if key not in value:
                raise _missing(_child_name(name, key))
        return result

    return check


def _hash_checker(values: Node | int) -> Checker:
    """A free hash (``metadata``): any string keys; ``1`` leaves its values unchecked."""
    member = _checker(values) if isinstance(values, dict) else None

    def check(value: Any, name: str) -> dict[str, Any]:
        if isinstance(value, list):  # metadata[0]=a: the form decoder read a list
            value = {str(index): each for index, each in enumerate(value)}
        if not isinstance(value, dict):
            raise InvalidRequest("Invalid object", param=name)
        if member is None:
            return dict(value)
        return {
            key: member("" if given is None else given, _child_name(name, key))
            for key, given in value.items()
        }

    return check


def _array_checker(item: Checker) -> Checker:
    def check(value: Any, name: str) -> list[Any]:
        if not isinstance(value, list):
            raise InvalidRequest("Invalid array", param=name)
        return [
            item("" if given is None else given, _child_name(name, index))
            for index, given in enumerate(value)
        ]

    return check


def _any_checker(nodes: list[Node]) -> Checker:
    """The first branch that accepts the value. When none does, the problem told is the
    one of the branch made for that kind of value (an object's for a dict), a type's
    before an enum's (``integer or "now"`` refusing ``"soon"`` says *Invalid integer*),
    the unset marker ``{enum: [""]}``'s last (``address=Paris`` says *Invalid object*)."""
    checkers = [_checker(node) for node in nodes]
    ranks = [_rank(resolve(node)) for node in nodes]

    def check(value: Any, name: str) -> Any:
        problems: list[tuple[tuple[bool, bool, bool, int], InvalidRequest]] = []
        for index, branch in enumerate(checkers):
            try:
                return branch(value, name)
            except InvalidRequest as problem:
                marker, shape, enum = ranks[index]
                problems.append(((marker, shape != _shape_of(value), enum, index), problem))
        raise min(problems, key=lambda each: each[0])[1]

    return check


def _rank(node: Node) -> tuple[bool, str, bool]:
    """A branch's unset-marker-ness, the kind of value it takes, its enum-ness."""
    kind = node.get("t")
    shape = str(kind) if kind in ("object", "array") else "scalar"
    return node.get("e") == [""], shape, "e" in node


def _shape_of(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "scalar"


MAX_LISTED_CHOICES = 12
"""An enum longer than this (the 250 event types) is told by the closest choices."""


def _enum_checker(allowed: tuple[str, ...]) -> Checker:
    members = frozenset(allowed)
    # "" unsets rather than names a choice; it is told only when it is the only value.
    choices = [each for each in allowed if each] or ["''"]
    listed = _or_list(choices)

    def check(value: Any, name: str) -> str:
        text = _as_str(value, name)
        if text not in members:
            if len(choices) <= MAX_LISTED_CHOICES:
                raise InvalidRequest(f"Invalid {name}: must be {listed}", param=name)
            close = difflib.get_close_matches(text, choices, n=3, cutoff=0.5)
            hint = f"; did you mean {_or_list(close).removeprefix('one of ')}?" if close else ""
            raise InvalidRequest(
                f"Invalid {name}: {shown(text)} is not one of its {len(choices)} values{hint}",
                param=name,
            )
        return text

    return check


def _or_list(words: list[str]) -> str:
    """``one of a, b, or c``; ``a or b`` with two; the word alone."""
    if len(words) == 1:
        return words[0]
    if len(words) == 2:
        return f"one of {words[0]} or {words[1]}"
    return f"one of {', '.join(words[:-1])}, or {words[-1]}"


def _as_str(value: Any, name: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise InvalidRequest(f"Invalid string: {_quoted(value)}", param=name)


def _as_int(value: Any, name: str) -> int:
    number = int(value) if isinstance(value, str) and _INTEGER.fullmatch(value) else value
    if isinstance(number, int) and not isinstance(number, bool) and -_INT64 <= number < _INT64:
        return number
    raise InvalidRequest(
        f"Invalid integer: {_quoted(value)}", param=name, code="parameter_invalid_integer"
    )


def _as_decimal(value: Any, name: str) -> int | float:
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        return int(value) if _INTEGER.fullmatch(value) else float(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return value
    raise InvalidRequest(f"Invalid decimal: {_quoted(value)}", param=name)


def _as_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if value == "true" or value == "false":
        return bool(value == "true")
    raise InvalidRequest(f"Invalid boolean: {_quoted(value)}", param=name)


_SCALARS: dict[str, Checker] = {
    "string": _as_str,
    "integer": _as_int,
    "number": _as_decimal,
    "boolean": _as_bool,
}


def _quoted(value: Any) -> str:
    """A value as an error message shows it: a short string as it is, anything else
    (an empty or long string, a dict, a number from JSON) bounded by ``shown``."""
    if isinstance(value, str) and 0 < len(value) <= _QUOTED_LIMIT:
        return value
    return shown(value, _QUOTED_LIMIT)


def _missing(name: str) -> InvalidRequest:
    return InvalidRequest(f"Missing required param: {name}.", param=name, code="parameter_missing")


def _unknown(name: str, key: str, known: Iterable[str]) -> InvalidRequest:
    shown_name = name if len(name) <= 100 else f"{name[:100]}..."
    message = f"Received unknown parameter: {shown_name}"
    close = difflib.get_close_matches(key, list(known), n=1)
    if close:
        message += f". Did you mean {close[0]}?"
    return InvalidRequest(message, param=shown_name, code="parameter_unknown")
