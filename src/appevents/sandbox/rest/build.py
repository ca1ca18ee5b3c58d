"""New objects built from their schemas, and parameters applied to objects.

A new object has its resource's default fields (``spec.Resource.fields``: the fields Stripe
sends, not the includable ones), each with the value a just-made object has: null where the
schema allows it, its own id, ``created`` now, empty lists with their own ``url``, the
starting enum and boolean values (``spec.Resource.defaults``), zero amounts. Parameters then
fill the fields they name, typed by params.py, merged into nested objects field by field.
A parameter whose shape does not fit its field (``items[0][price]`` for a subscription's list
of items) is left to the behaviour that knows what it means; it never reaches the object raw.

Nothing here comes from Stripe's sample objects' values: ids, amounts, texts and times are
the sandbox's own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import spec
from .spec import Node, Resource

__all__ = ["MAX_DEPTH", "Made", "apply", "new_object", "new_value", "value_for", "value_of_node"]

MAX_DEPTH = 6
"""Nested objects built below a new object: Stripe's go about four deep."""

# Starting values no schema or sample tells: what Stripe gives a new object.
_STARTING: dict[str, Any] = {
    "interval_count": 1,
    "next_invoice_sequence": 1,
    "quantity": 1,
    "country": "US",
}
# Starting values the samples get wrong for a new object (theirs is a canceling one).
_OVERRIDES = {"cancel_at_period_end": False}

_UNSET = ""
"""What a form sends to unset a field (``description=``)."""


@dataclass(frozen=True, slots=True)
class Made:
    """What a new object's values come from."""

    now: int
    livemode: bool
    new_id: Callable[[str], str]
    """A fresh id for a prefix (``"cus"`` -> ``"cus_…"``)."""
    currency: str = "usd"
    """The account's default currency, for amounts nobody priced."""
    new_secret: Callable[[str], str] | None = None
    """A fresh secret for a prefix (``"cs_1_secret"`` -> ``"cs_1_secret_…"``)."""


def new_object(resource: Resource, params: Mapping[str, Any], made: Made) -> dict[str, Any]:
    """A new ``resource`` object with ``params`` (typed) applied to its fields."""
    node = spec.schema(resource.name)
    properties = node.get("p", {})
    object_id = made.new_id(resource.prefix)
    body: dict[str, Any] = {}
    for name in resource.fields:
        if name == "id":
            body[name] = object_id
        elif name == "object":
            body[name] = resource.object
        elif name == "livemode":
            body[name] = made.livemode
        elif name == "created":
            body[name] = made.now
        else:
            body[name] = _starting(
                properties[name], name, made, resource.defaults, name, object_id, resource, 1
            )
    apply(body, node, params)
    return body


def new_value(schema_name: str, made: Made) -> dict[str, Any]:
    """An object of a schema that is no resource of its own (a balance, a cash balance):
    its required and nullable fields, as a new object's."""
    value = value_of_node({"ref": schema_name}, made)
    return value if isinstance(value, dict) else {}


def value_of_node(node: Node, made: Made) -> Any:
    """A just-made value of any node (an operation's answer that is not a resource)."""
    placeholder = Resource(name="", object="", prefix="", fields=())
    target = spec.resolve(node)
    if target.get("t") == "object" and "p" in target:
        required = set(target.get("r", ()))
        value = {
            key: _starting(each, key, made, {}, key, "", placeholder, 1)
            for key, each in target["p"].items()
            if key in required or _nullable(each)
        }
        kind = target["p"].get("object", {}).get("e")
        if isinstance(kind, list) and len(kind) == 1:
            value["object"] = kind[0]
        if "livemode" in value:
            value["livemode"] = made.livemode
        return value
    return _starting(node, "", made, {}, "", "", placeholder, 1)


def _starting(
    node: Node,
    name: str,
    made: Made,
    defaults: Mapping[str, Any],
    path: str,
    object_id: str,
    resource: Resource,
    depth: int,
) -> Any:
    """A field's value on a just-made object."""
    if name in _OVERRIDES:
        return _OVERRIDES[name]
    if name == "client_secret" and object_id and made.new_secret is not None:
        # Stripe gives every intent and session one (nullable only once it is redacted):
        # its id, then a secret.
        return made.new_secret(f"{object_id}_secret")
    if path in defaults:
        return defaults[path]
    if _nullable(node):
        return None
    if "any" in node:
        # An expandable field is its id first (a string), the object only when expanded.
        node = node["any"][0]
    target = spec.resolve(node)
    kind = target.get("t")
    if kind == "object":
        if _is_list(target):
            return _empty_list(target, resource, object_id, name)
        if "p" not in target or depth >= MAX_DEPTH:
            return {}
        properties = target["p"]
        required = set(target.get("r", ()))
        return {
            key: _starting(
                each, key, made, defaults, f"{path}.{key}", object_id, resource, depth + 1
            )
            for key, each in properties.items()
            if key in required or each.get("n")
        }
    if kind == "array":
        return []
    if "e" in target:
        return target["e"][0]
    if kind == "boolean":
        return bool(_STARTING.get(name, False))
    if kind == "integer":
        return made.now if target.get("f") == "ts" else int(_STARTING.get(name, 0))
    if kind == "number":
        return 0
    if name == "currency":
        return made.currency
    return _STARTING.get(name, "")


def _is_list(node: Node) -> bool:
    obj = node.get("p", {}).get("object", {})
    return obj.get("e") == ["list"] and "data" in node.get("p", {})


def _empty_list(node: Node, resource: Resource, object_id: str, name: str) -> dict[str, Any]:
    """An empty list of a new object: its url is the object's own path and the field's
    name (``/v1/charges/ch_1/refunds``), or where the schema says its items live."""
    pattern = str(node["p"].get("url", {}).get("pat", ""))
    if pattern and "[" not in pattern:
        url = f"{pattern[1:]}?{resource.object.split('.')[-1]}={object_id}"
    else:
        base = (resource.path or f"/v1/{resource.object}s/{{id}}").rsplit("/", 1)[0]
        url = f"{base}/{object_id}/{name}"
    return {"object": "list", "data": [], "has_more": False, "url": url}


def apply(body: dict[str, Any], node: Node, params: Mapping[str, Any]) -> dict[str, Any]:
    """Set the fields ``params`` name on ``body`` (in place); returns what was before, for
    each field that changed (Stripe's ``previous_attributes``: in hashes and nested objects,
    only the keys that changed)."""
    previous: dict[str, Any] = {}
    properties = spec.resolve(node).get("p", {})
    for name, given in params.items():
        field = properties.get(name)
        if field is None or name in ("id", "object", "livemode", "created"):
            continue
        before = body.get(name)
        after = value_for(field, before, given)
        if after is _NO_FIT or after == before:
            continue
        body[name] = after
        previous[name] = _changed(before, after)
    return previous


_NO_FIT: Any = object()


def value_for(node: Node, current: Any, given: Any) -> Any:
    """What a field becomes when a parameter sets it to ``given``; ``_NO_FIT`` when the
    parameter's shape is not the field's."""
    if given == _UNSET:
        if _nullable(node):
            return None
        target = _object_branch(node)
        if target is not None and "h" in target:
            return {}
        return _NO_FIT
    if isinstance(given, dict):
        target = _object_branch(node)
        if target is None or _is_list(target):
            return _NO_FIT
        if "h" in target:  # metadata: merged, "" removes a key
            merged = dict(current) if isinstance(current, dict) else {}
            for key, value in given.items():
                if value == _UNSET:
                    merged.pop(key, None)
                else:
                    merged[key] = value
            return merged
        result = dict(current) if isinstance(current, dict) else _nulls(target)
        properties = target.get("p", {})
        for key, value in given.items():
            if key not in properties:
                return _NO_FIT  # a parameter's own field (price_data[...]): not the object's
            inner = value_for(properties[key], result.get(key), value)
            if inner is _NO_FIT:
                return _NO_FIT
            result[key] = inner
        return result
    if isinstance(given, list):
        target = _branch(node, "array")
        if target is None:
            return _NO_FIT
        items = target.get("i", {})
        values = [value_for(items, None, each) for each in given]
        return _NO_FIT if any(v is _NO_FIT for v in values) else values
    return given if _accepts_scalar(node, given) else _NO_FIT


def _nullable(node: Node) -> bool:
    return bool(node.get("n")) or any(b.get("n") for b in node.get("any", ()))


def _branches(node: Node) -> list[Node]:
    return [spec.resolve(b) for b in node.get("any", ())] or [spec.resolve(node)]


def _branch(node: Node, kind: str) -> Node | None:
    return next((b for b in _branches(node) if b.get("t") == kind), None)


def _object_branch(node: Node) -> Node | None:
    return _branch(node, "object")


def _nulls(node: Node, depth: int = 1) -> dict[str, Any]:
    """A nested object the parameters bring into being: its required and nullable fields."""
    required = set(node.get("r", ()))
    return {
        key: None if _nullable(each) else _scalar_start(each, key, depth)
        for key, each in node.get("p", {}).items()
        if key in required or _nullable(each)
    }


def _scalar_start(node: Node, name: str, depth: int) -> Any:
    if name in _STARTING:
        return _STARTING[name]
    target = spec.resolve(node)
    if "e" in target:
        return target["e"][0]
    if target.get("t") == "object" and "p" in target and depth < MAX_DEPTH:
        return _nulls(target, depth + 1)  # its own required fields, all the way down
    return {"boolean": False, "integer": 0, "number": 0, "array": [], "object": {}}.get(
        str(target.get("t")), ""
    )


def _accepts_scalar(node: Node, value: Any) -> bool:
    for branch in _branches(node):
        kind = branch.get("t")
        if "e" in branch and value not in branch["e"]:
            continue
        if (
            (kind == "string" and isinstance(value, str))
            or (kind == "boolean" and isinstance(value, bool))
            or (kind == "integer" and isinstance(value, int) and not isinstance(value, bool))
            or (kind == "number" and isinstance(value, int | float) and not isinstance(value, bool))
        ):
            return True
    return False


def _changed(before: Any, after: Any) -> Any:
    """The part of ``before`` that ``after`` changed: whole values, but only the changed
    keys of an object (a key that was absent was null)."""
    if isinstance(before, dict) and isinstance(after, dict) and before.get("object") != "list":
        return {
            key: _changed(before.get(key), after.get(key))
            for key in sorted(before.keys() | after.keys())
            if before.get(key) != after.get(key)
        }
    return before
