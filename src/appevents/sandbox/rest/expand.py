"""Stripe's ``expand[]``: the ids of an answer replaced by the objects they name.

The REST API runs generically from Stripe's OpenAPI description, so which fields may be
expanded is read from the schemas (a node's ``x``, see :mod:`.spec`) instead of being
written down per resource. A path is dot-separated (``latest_charge.balance_transaction``),
at most :data:`MAX_DEPTH` levels; each segment must be an expandable field of the node it
belongs to: the answer's schema, an inline object walked through (a customer's
``invoice_settings``) or the schema of the object the segment before expanded. Paths are
checked against the schemas before anything is fetched, so a path is accepted or refused
whatever the object holds, as Stripe does (``expand[]=customer`` on a charge without one
is fine; ``expand[]=email`` never is).

Expanding then follows the data: a null stays null, an id the store cannot find stays the
id, an object (expanded before, or inline) is walked further, and an array has each of its
items expanded. A dict is read against the schema, among those its field may hold, that its
``object`` value names: a customer's ``default_source`` may be a bank account, a card or a
source.

:func:`expand` serves one object; :func:`expand_list` serves list and search answers, whose
paths start with ``data.``. Both return new dicts and mutate neither the answer nor what
``fetch`` returned; the parts they leave alone are shared with those.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from appevents.sandbox.rest import spec
from appevents.sandbox.stripe_errors import InvalidRequest

__all__ = ["MAX_DEPTH", "Fetch", "expand", "expand_list"]

Fetch = Callable[[tuple[str, ...], str], dict[str, Any] | None]
"""Given the schemas an id may name (``("customer", "deleted_customer")``) and the id, the
stored object, or None when there is none."""

MAX_DEPTH = 4
"""Stripe's limit on the levels of one path (``data`` counts as one in a list)."""


def expand(obj: dict[str, Any], paths: list[str], schema_name: str, fetch: Fetch) -> dict[str, Any]:
    """``obj``, an object of the schema ``schema_name``, with each of ``paths`` expanded.

    Raises ``InvalidRequest`` (param ``expand``) for a path deeper than :data:`MAX_DEPTH`
    or naming a field that cannot be expanded, before fetching anything.
    """
    nodes = [spec.schema(schema_name)]
    routes = [_checked(nodes, path) for path in paths]
    return _expand_routes(obj, routes, nodes, fetch)


def expand_list(
    listing: dict[str, Any], paths: list[str], item_schemas: tuple[str, ...], fetch: Fetch
) -> dict[str, Any]:
    """A list or search answer whose items are of ``item_schemas`` (an operation's
    ``answers``), with each of ``paths`` expanded in every item.

    Every path starts with ``data``; another is refused as Stripe refuses it, with the
    path it meant (``customer``: try ``data.customer``).
    """
    nodes = [_list_node(item_schemas)]
    routes = [_checked_in_list(nodes, path) for path in paths]
    return _expand_routes(listing, routes, nodes, fetch)


def _list_node(item_schemas: tuple[str, ...]) -> spec.Node:
    """The node of a list of ``item_schemas``: only ``data`` can be expanded, as in the
    lists Stripe's schemas describe inline (a customer's ``sources``)."""
    items = {"any": [{"ref": name} for name in item_schemas]}
    return {"t": "object", "p": {"data": {"t": "array", "i": items}}, "x": ["data"]}


def _checked_in_list(nodes: list[spec.Node], path: str) -> list[str]:
    segments = _segments(path)
    if segments[0] != "data":
        raise _not_expandable(path, instead=f"data.{path}")
    return _checked_segments(nodes, segments)


def _checked(nodes: list[spec.Node], path: str) -> list[str]:
    return _checked_segments(nodes, _segments(path))


def _segments(path: str) -> list[str]:
    segments = path.split(".")
    if len(segments) > MAX_DEPTH:
        raise InvalidRequest(
            f"You cannot expand more than {MAX_DEPTH} levels of a property. Property: {path}",
            param="expand",
            code="property_expansion_max_depth",
        )
    return segments


def _checked_segments(nodes: list[spec.Node], segments: list[str]) -> list[str]:
    """``segments``, once each is an expandable field of a node the one before may hold."""
    for depth, name in enumerate(segments):
        owners = [node for node in nodes if name in node.get("x", ())]
        if not owners:
            raise _not_expandable(".".join(segments[: depth + 1]))
        nodes = [held for owner in owners for held in _object_nodes(owner["p"][name])]
    return segments


def _not_expandable(path: str, *, instead: str | None = None) -> InvalidRequest:
    message = f"This property cannot be expanded ({path})."
    if instead is not None:
        message += f" You may want to try expanding '{instead}' instead."
    return InvalidRequest(message, param="expand")


def _object_nodes(node: spec.Node) -> list[spec.Node]:
    """The object nodes a field's value may be (its items', for an array)."""
    node = spec.resolve(node)
    if "any" in node:
        return [held for member in node["any"] for held in _object_nodes(member)]
    if "i" in node:
        return _object_nodes(node["i"])
    return [node] if "p" in node else []


def _refs(node: spec.Node) -> tuple[str, ...]:
    """The schemas an id held by a field of ``node`` may name."""
    if "ref" in node:
        return (node["ref"],)
    return tuple(name for member in node.get("any", ()) for name in _refs(member))


def _expand_routes(
    obj: dict[str, Any], routes: list[list[str]], nodes: list[spec.Node], fetch: Fetch
) -> dict[str, Any]:
    answer = dict(obj)
    for segments in routes:
        answer = _walk(answer, nodes, segments, fetch)
    return answer


def _walk(
    obj: dict[str, Any], nodes: list[spec.Node], segments: list[str], fetch: Fetch
) -> dict[str, Any]:
    """``obj``, read against the one of ``nodes`` it is, with ``segments`` expanded."""
    if not segments:
        return obj
    name, rest = segments[0], segments[1:]
    node = _node_of(obj, nodes, name)
    if node is None or name not in obj:
        return obj
    return {**obj, name: _expanded(obj[name], node["p"][name], rest, fetch)}


def _node_of(obj: dict[str, Any], nodes: list[spec.Node], name: str) -> spec.Node | None:
    """The first of ``nodes`` that ``obj``'s ``object`` value admits and that lets ``name``
    be expanded (a card's, for a card in ``default_source``; none for a deleted stub)."""
    for node in nodes:
        enum = node["p"].get("object", {}).get("e")
        if name in node.get("x", ()) and (enum is None or obj.get("object") in enum):
            return node
    return None


def _expanded(value: Any, node: spec.Node, rest: list[str], fetch: Fetch) -> Any:
    """A field's ``value`` expanded, then walked on ``rest``."""
    if isinstance(value, list):
        # A value that is not what its schema says is left as it is, not refused: the
        # answer is the sandbox's own, and a caller's expand[] is not to blame for it.
        items = spec.resolve(node).get("i", {})
        return [_expanded(item, items, rest, fetch) for item in value]
    if isinstance(value, str):
        refs = _refs(node)
        found = fetch(refs, value) if refs else None
        return value if found is None else _walk(found, _object_nodes(node), rest, fetch)
    if isinstance(value, dict):
        return _walk(value, _object_nodes(node), rest, fetch)
    return value
