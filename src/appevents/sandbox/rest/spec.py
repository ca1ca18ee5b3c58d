"""Stripe's REST API as data: the operations, resources and schemas of its OpenAPI
description, distilled by ``scripts/generate_api.py`` into ``data/api.json``.

A schema *node* is a dict: ``{"t": type}`` (``string``, ``integer``, ``number``,
``boolean``, ``object``, ``array``) with ``e`` (enum values), ``n`` (nullable), ``f``
(``"ts"``: a Unix timestamp), ``p`` (properties: name -> node), ``r`` (required names),
``h`` (a free hash: 1, or the node of its values), ``i`` (an array's items), ``x`` (the
expandable fields), ``pat`` (where a list's ``url`` points); or ``{"ref": name}`` (a
component schema); or ``{"any": [nodes]}``.

Each operation has a *kind*, decided by the generator from its method, path and answer:
``create``, ``retrieve``, ``update``, ``delete``, ``list``, ``search``, ``action`` (a
verb on one object: ``/v1/payment_intents/{intent}/confirm``) or ``preview`` (an object
computed and not kept: ``/v1/invoices/upcoming``).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any, Literal

__all__ = [
    "API_SPEC_VERSION",
    "Node",
    "Operation",
    "Resource",
    "match",
    "operations",
    "resolve",
    "resource",
    "resource_of_object",
    "resources",
    "schema",
]

Node = dict[str, Any]
Kind = Literal["create", "retrieve", "update", "delete", "list", "search", "action", "preview"]
_PARAM = re.compile(r"^\{(\w+)\}$")


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str
    """The spec's template: ``/v1/customers/{customer}/sources/{id}``."""
    id: str
    """The spec's operationId (``PostCustomersCustomerSources``)."""
    kind: Kind
    answers: tuple[str, ...]
    """Schemas of the objects it answers (several for polymorphic ones: card or bank_account)."""
    path_params: tuple[str, ...]
    form: Node | None = None
    """The form parameters (POST): an object node."""
    query: dict[str, Node] = field(default_factory=dict)
    """The query parameters (GET, DELETE), by name."""
    query_required: tuple[str, ...] = ()
    answer: Node | None = None
    """The answer's own node, when it is not one of the ``answers`` nor a list of them."""
    deprecated: bool = False
    answers_deleted: bool = False
    """A retrieve that answers a deleted object's stub (customers), not a 404."""

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(self.path.strip("/").split("/"))

    def parameters(self) -> Node:
        """Its parameters as one object node (the form's, or the query's)."""
        if self.form is not None:
            return self.form
        return {"t": "object", "p": self.query, "r": list(self.query_required)}


@dataclass(frozen=True, slots=True)
class Resource:
    name: str
    """The schema's name (``issuing.card``; ``invoiceitem``)."""
    object: str
    """Its ``object`` value."""
    prefix: str
    """Its ids' prefix (``cus``)."""
    fields: tuple[str, ...]
    """The fields a new object carries (Stripe's default shape: includable ones are not)."""
    path: str | None = None
    """Where one is retrieved (``/v1/customers/{customer}``), if anywhere."""
    deleted: str | None = None
    """The schema of its deleted stub, if it can be deleted."""
    defaults: dict[str, Any] = field(default_factory=dict)
    """Enum and boolean values a new object starts with, by dotted path (``status``)."""


@functools.cache
def _data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (files("appevents.sandbox.rest") / "data" / "api.json").read_text(encoding="utf-8")
    )
    return data


API_SPEC_VERSION = "2024-04-10"
"""The version of Stripe's OpenAPI description the data comes from."""


@functools.cache
def operations() -> tuple[Operation, ...]:
    return tuple(
        Operation(
            method=op["method"],
            path=op["path"],
            id=op["id"],
            kind=op["kind"],
            answers=tuple(op["answers"]),
            path_params=tuple(op["path_params"]),
            form=op.get("form"),
            query=op.get("query", {}),
            query_required=tuple(op.get("query_required", ())),
            answer=op.get("answer"),
            deprecated=bool(op.get("deprecated")),
            answers_deleted=bool(op.get("answers_deleted")),
        )
        for op in _data()["operations"]
    )


@functools.cache
def resources() -> dict[str, Resource]:
    """By schema name."""
    return {
        name: Resource(
            name=name,
            object=entry["object"],
            prefix=entry["prefix"],
            fields=tuple(entry["fields"]),
            path=entry.get("path"),
            deleted=entry.get("deleted"),
            defaults=entry.get("defaults", {}),
        )
        for name, entry in _data()["resources"].items()
    }


def resource(name: str) -> Resource | None:
    return resources().get(name)


@functools.cache
def _by_object() -> dict[str, Resource]:
    found: dict[str, Resource] = {}
    for each in resources().values():
        found.setdefault(each.object, each)
    return found


def resource_of_object(object_value: str) -> Resource | None:
    """The resource whose objects say ``"object": object_value``."""
    return _by_object().get(object_value)


def schema(name: str) -> Node:
    node: Node = _data()["schemas"][name]
    return node


def resolve(node: Node) -> Node:
    """A node with its ``ref`` followed (refs never chain in the data)."""
    ref = node.get("ref")
    return schema(ref) if ref is not None else node


@functools.cache
def _routes() -> dict[str, list[tuple[tuple[str | None, ...], Operation]]]:
    """Per method, each operation's segments (None for a parameter), literal-first: a
    literal segment wins over a parameter (``/v1/customers/search`` is not a customer)."""
    routes: dict[str, list[tuple[tuple[str | None, ...], Operation]]] = {}
    for op in operations():
        pattern = tuple(None if _PARAM.match(s) else s for s in op.segments)
        routes.setdefault(op.method, []).append((pattern, op))
    for entries in routes.values():
        entries.sort(key=lambda entry: tuple(part is None for part in entry[0]))
    return routes


def match(method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
    """The operation serving ``method path`` and its path parameters, or None."""
    segments = path.strip("/").split("/")
    for pattern, op in _routes().get(method.upper(), ()):
        if len(pattern) != len(segments):
            continue
        if all(part is None or part == seg for part, seg in zip(pattern, segments, strict=True)):
            if any(part is None and not seg for part, seg in zip(pattern, segments, strict=True)):
                continue  # an empty id (/v1/customers//x) is no id
            names = [_PARAM.match(s).group(1) for s in op.segments if _PARAM.match(s)]  # type: ignore[union-attr]
            values = [seg for part, seg in zip(pattern, segments, strict=True) if part is None]
            return op, dict(zip(names, values, strict=True))
    return None
