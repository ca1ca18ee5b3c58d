"""What tests need to find in Stripe's API description to drive every resource: the
minimal parameters an operation takes (its required ones, at every level), the operations
that read, change, list and delete what a create made, the fields of an answer that name
other objects, and the values of Stripe's sample objects (fixtures3.json), which nothing the
sandbox answers may copy.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from appevents.sandbox.rest import spec
from appevents.sandbox.rest.spec import Node, Operation
from spec_schemas import SPEC

__all__ = [
    "Lifecycle",
    "MakeId",
    "embedded",
    "fixture_values",
    "fixture_values_in",
    "lifecycle",
    "minimal_params",
    "references",
]

MakeId = Callable[[str], str | None]
"""The id of an object a parameter named so must name (``customer`` -> ``cus_…``), made
for the purpose; None when the name is no other object's."""

_ID = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*_[A-Za-z0-9]+")
_SAMPLE_ID_TAIL = re.compile(r"[0-9A-Z]")
_HASH_SAMPLE = {"value": "1"}
"""A free hash a form requires (a meter event's ``payload``): one key is enough."""


def minimal_params(node: Node, make_id: MakeId, now: int) -> dict[str, Any]:
    """The smallest parameters an operation's form (``op.parameters()``) takes: its
    required ones at every level, each with a plausible value (``now`` for timestamps)."""
    target = spec.resolve(node)
    properties: dict[str, Node] = target.get("p", {})
    return {name: _minimal(properties[name], name, make_id, now) for name in target.get("r", ())}


def _minimal(node: Node, name: str, make_id: MakeId, now: int) -> Any:
    target = spec.resolve(node)
    if "any" in target:
        return _minimal(_first_real_branch(target["any"]), name, make_id, now)
    kind = target.get("t")
    if kind == "object":
        return _minimal_object(target, make_id, now)
    if kind == "array":
        return [_minimal(target.get("i", {}), name, make_id, now)]
    if "e" in target:
        return next(value for value in target["e"] if value != "")
    if kind == "boolean":
        return False
    if kind == "integer":
        return now if target.get("f") == "ts" else 100
    if kind == "number":
        return 10
    return _plausible_string(name, make_id)


def _first_real_branch(branches: list[Node]) -> Node:
    """The first branch that is not the empty string Stripe takes to unset a field."""
    for branch in branches:
        if spec.resolve(branch).get("e") != [""]:
            return branch
    return branches[0]


def _minimal_object(node: Node, make_id: MakeId, now: int) -> dict[str, Any]:
    properties: dict[str, Node] = node.get("p", {})
    if not properties:
        return dict(_HASH_SAMPLE) if "h" in node else {}
    wanted = list(node.get("r", ())) or [next(iter(properties))]
    # A required object with nothing required in it still needs one field to be sent.
    return {name: _minimal(properties[name], name, make_id, now) for name in wanted}


def _plausible_string(name: str, make_id: MakeId) -> str:
    made = make_id(name)
    if made is not None:
        return made
    if "email" in name:
        return "someone@example.test"
    if name == "url" or name.endswith("_url"):
        return f"https://example.test/{name}"
    if name == "domain_name":
        return "shop.example.test"
    if "country" in name:
        return "US"
    if "currenc" in name:
        return "usd"
    return f"example {name}"


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """The operations that act on what a create makes, where the spec has them."""

    retrieve: Operation | None
    update: Operation | None
    list: Operation | None
    delete: Operation | None


def lifecycle(create: Operation, answered: str) -> Lifecycle:
    """The retrieve, update, list and delete of the object ``create`` answered (its
    ``object`` value): under the create's path (``/v1/customers/{customer}/sources`` ->
    ``.../sources/{id}``), else at its resource's path."""
    resource = spec.resource_of_object(answered)
    item_paths = _item_paths(create.path)
    if resource is not None and resource.path is not None and _beside(resource.path, create):
        item_paths.append(resource.path)
    collections = [create.path, *(p.rsplit("/", 1)[0] for p in item_paths)]
    return Lifecycle(
        retrieve=_first_of("retrieve", "GET", item_paths, answered),
        update=_first_of("update", "POST", item_paths, answered),
        list=_first_of("list", "GET", collections, answered),
        delete=_first_of("delete", "DELETE", item_paths, answered),
    )


def _beside(item_path: str, create: Operation) -> bool:
    """Whether a resource's path lies beside the create's, under the same parents
    (``/v1/tax/transactions/{transaction}`` of ``/v1/tax/transactions/create_reversal``; an
    account's bank account is not at ``/v1/customers/{customer}/bank_accounts/{id}``)."""
    parents = item_path.strip("/").split("/")[:-2]
    return list(create.segments[: len(parents)]) == parents


def _item_paths(collection: str) -> list[str]:
    return [
        op.path
        for op in spec.operations()
        if op.path.rsplit("/", 1)[0] == collection and op.path.endswith("}")
    ]


def _first_of(kind: str, method: str, paths: list[str], answered: str) -> Operation | None:
    for path in paths:
        for op in spec.operations():
            wanted = op.path == path and op.method == method and op.kind == kind
            if wanted and _answers(op, answered):
                return op
    return None


def _answers(op: Operation, answered: str) -> bool:
    """Whether ``op`` answers objects of type ``answered`` (or their deleted stubs)."""
    objects = set()
    for name in op.answers:
        for each in (name, name.removeprefix("deleted_")):
            found = spec.resource(each)
            if found is not None:
                objects.add(found.object)
        for branch in spec.schema(name).get("any", ()):
            found = spec.resource(branch.get("ref", ""))
            if found is not None:
                objects.add(found.object)
    return answered in objects


def references(obj: Any, schema_name: str) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """Every id an answer gives in an expandable field (the schema's ``x``), at any depth:
    (dotted path, id, the schemas it may be an object of)."""
    yield from _references(obj, {"ref": schema_name}, "")


def _references(obj: Any, node: Node, path: str) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    target = spec.resolve(node)
    if "any" in target:
        for branch in target["any"]:
            if _fits(obj, spec.resolve(branch)):
                yield from _references(obj, branch, path)
                return
        return
    if isinstance(obj, list):
        for index, item in enumerate(obj):
            yield from _references(item, target.get("i", {}), f"{path}.{index}")
        return
    if not isinstance(obj, dict):
        return
    expandable = set(target.get("x", ()))
    for name, field in target.get("p", {}).items():
        value = obj.get(name)
        where = f"{path}.{name}".lstrip(".")
        if name in expandable and isinstance(value, str):
            yield where, value, _ref_names(field)
        elif value is not None:
            yield from _references(value, field, where)


def embedded(obj: Any) -> Iterator[tuple[str, spec.Resource, Any]]:
    """Every object of a resource held whole inside an answer (a subscription item's
    price, an issuing card's cardholder): (dotted path, its resource, its id)."""
    for path, value in _objects_below(obj, ""):
        resource = spec.resource_of_object(str(value.get("object")))
        if resource is not None and "id" in value:
            yield path, resource, value["id"]


def _objects_below(obj: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    items = (
        obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    )
    for key, value in items:
        where = f"{path}.{key}".lstrip(".")
        if isinstance(value, dict):
            yield where, value
        yield from _objects_below(value, where)


def _fits(obj: Any, branch: Node) -> bool:
    kind = branch.get("t")
    if isinstance(obj, dict):
        wanted = branch.get("p", {}).get("object", {}).get("e")
        return kind == "object" and (wanted is None or obj.get("object") in wanted)
    if isinstance(obj, list):
        return kind == "array"
    return kind not in ("object", "array")


def _ref_names(node: Node) -> tuple[str, ...]:
    return tuple(b["ref"] for b in node.get("any", [node]) if "ref" in b)


@functools.cache
def fixture_values() -> frozenset[str | int]:
    """Every id, email and timestamp in Stripe's sample objects (fixtures3.json)."""
    samples = json.loads((SPEC / "fixtures3.json").read_text())
    found: set[str | int] = set()
    timestamps = _timestamp_fields()
    for key, value in _leaves(samples, ""):
        if _is_id_or_email(value) or _is_timestamp(key, value, timestamps):
            found.add(value)
    return frozenset(found)


def _is_id_or_email(value: Any) -> bool:
    return isinstance(value, str) and (_is_sample_id(value) or "@" in value)


def _is_timestamp(key: str, value: Any, timestamps: frozenset[str]) -> bool:
    is_int = isinstance(value, int) and not isinstance(value, bool)
    return is_int and key.rsplit(".", 1)[-1] in timestamps


def fixture_values_in(obj: Any) -> list[tuple[str, str | int]]:
    """(dotted path, value) of each value of ``obj`` copied from Stripe's samples."""
    values = fixture_values()
    return [
        (path, value)
        for path, value in _leaves(obj, "")
        if not isinstance(value, bool) and isinstance(value, str | int) and value in values
    ]


def _is_sample_id(value: str) -> bool:
    return bool(_ID.fullmatch(value) and _SAMPLE_ID_TAIL.search(value.rsplit("_", 1)[1]))


def _leaves(obj: Any, path: str) -> Iterator[tuple[str, Any]]:
    """(path, value) of every scalar; the path's last part is the value's key."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _leaves(value, f"{path}.{key}".lstrip("."))
    elif isinstance(obj, list):
        for value in obj:
            yield from _leaves(value, path)
    else:
        yield path, obj


@functools.cache
def _timestamp_fields() -> frozenset[str]:
    """The dotted paths' last parts that Stripe's schemas give as Unix times."""
    raw = json.loads((SPEC / "spec3.json").read_text())
    names: set[str] = set()

    def walk(node: Any, key: str) -> None:
        if isinstance(node, dict):
            if node.get("format") == "unix-time":
                names.add(key)
            for name, inner in node.get("properties", {}).items():
                walk(inner, name)
            for part in ("items", "additionalProperties"):
                walk(node.get(part), key)
            for branch in node.get("anyOf", ()):
                walk(branch, key)

    for schema in raw["components"]["schemas"].values():
        walk(schema, "")
    return frozenset(names)
