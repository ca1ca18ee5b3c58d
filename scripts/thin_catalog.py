"""The v2 half of the catalog, for scripts/generate_catalog.py: thin event types and the v2
objects' fields, read from the installed ``stripe`` library's source (parsed, not imported).

stripe-python is generated from Stripe's current API description, which has the ``/v2``
namespace that spec3.json (2024-04-10) lacks:

- ``stripe/events/_*_event.py``: one ``EventNotification`` class per thin type
  (``LOOKUP_TYPE``); its ``related_object`` annotation says whether the notification names
  an object, and ``fetch_related_object``'s return type which (its class's ``OBJECT_NAME``);
  the ``Event`` class beside it has ``data`` when the type carries data (its fields);
- ``stripe/v2/**/_*.py``: the v2 objects (``OBJECT_NAME``) and their top-level fields,
  ``Optional[...]`` ones nullable;
- ``stripe/params/v2/**``: the parameters of the v2 operations the sandbox checks in
  detail (the Accounts API's), as nested types: which fields, required or not, of what type.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

__all__ = ["build_thin_events"]

V2_OBJECTS = (
    "v2/core/_event.py",
    "v2/core/_event_destination.py",
    "v2/billing/_meter_event.py",
    "v2/billing/_meter_event_adjustment.py",
    "v2/billing/_meter_event_session.py",
    "v2/core/_account.py",
    "v2/core/_account_person.py",
    "v2/core/_account_link.py",
)

V1_TWIN_OBJECTS = {
    "v2.core.account": "account",
    "v2.core.account_person": "person",
    "v2.core.account_link": "account",
}
"""v2 objects that are v1 objects too: their events need what the v1 object's do."""

V2_PARAMS = {
    "v2.core.account.create": ("params/v2/core/_account_create_params.py", "AccountCreateParams"),
    "v2.core.account.update": ("params/v2/core/_account_update_params.py", "AccountUpdateParams"),
    "v2.core.account.retrieve": (
        "params/v2/core/_account_retrieve_params.py",
        "AccountRetrieveParams",
    ),
    "v2.core.account.list": ("params/v2/core/_account_list_params.py", "AccountListParams"),
    "v2.core.account.close": ("params/v2/core/_account_close_params.py", "AccountCloseParams"),
    "v2.core.account_person.create": (
        "params/v2/core/accounts/_person_create_params.py",
        "PersonCreateParams",
    ),
    "v2.core.account_person.update": (
        "params/v2/core/accounts/_person_update_params.py",
        "PersonUpdateParams",
    ),
    "v2.core.account_person.list": (
        "params/v2/core/accounts/_person_list_params.py",
        "PersonListParams",
    ),
    "v2.core.account_link.create": (
        "params/v2/core/_account_link_create_params.py",
        "AccountLinkCreateParams",
    ),
}
"""The v2 operations whose parameters the sandbox checks: their ``TypedDict`` in
stripe-python's ``stripe/params`` (the request body's or query's shape)."""


def _object_name(cls: ast.ClassDef) -> str | None:
    for stmt in cls.body:
        if (
            isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.target, ast.Name)
            and stmt.target.id == "OBJECT_NAME"
            and isinstance(stmt.value, ast.Constant)
        ):
            return str(stmt.value.value)
    return None


def _fields(cls: ast.ClassDef) -> dict[str, bool]:
    """Top-level field name -> nullable (annotated ``Optional[...]``)."""
    found: dict[str, bool] = {}
    for stmt in cls.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            name = stmt.target.id
            if name.isupper() or name.startswith("_"):
                continue
            text = ast.unparse(stmt.annotation)
            found[name] = text.startswith("Optional[")
    return dict(sorted(found.items()))


def _classes(path: Path) -> list[ast.ClassDef]:
    return [n for n in ast.parse(path.read_text()).body if isinstance(n, ast.ClassDef)]


def _imports(path: Path) -> dict[str, str]:
    """Imported name -> module, of the whole file (``TYPE_CHECKING`` blocks too)."""
    found: dict[str, str] = {}
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                found[alias.asname or alias.name] = node.module
    return found


def _class_object_name(stripe_dir: Path, module: str, class_name: str) -> str:
    path = stripe_dir.joinpath(*module.split(".")[1:]).with_suffix(".py")
    for cls in _classes(path):
        if cls.name == class_name and (name := _object_name(cls)) is not None:
            return name
    raise SystemExit(f"no OBJECT_NAME on {class_name} in {path}")


def _data_fields(event_class: ast.ClassDef) -> list[str] | None:
    annotated = {
        stmt.target.id: ast.unparse(stmt.annotation)
        for stmt in event_class.body
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
    }
    if "data" not in annotated:
        return None
    for stmt in event_class.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == annotated["data"]:
            return list(_fields(stmt))
    return []


def _thin_type(stripe_dir: Path, path: Path) -> tuple[str, dict[str, Any]] | None:
    classes = _classes(path)
    notification = next(
        (c for c in classes if any(ast.unparse(b) == "EventNotification" for b in c.bases)), None
    )
    event = next((c for c in classes if any(ast.unparse(b) == "Event" for b in c.bases)), None)
    if notification is None or event is None:
        return None
    lookup = next(
        str(s.value.value)
        for s in notification.body
        if isinstance(s, ast.Assign)
        and isinstance(s.targets[0], ast.Name)
        and s.targets[0].id == "LOOKUP_TYPE"
        and isinstance(s.value, ast.Constant)
    )
    annotations = {
        s.target.id: ast.unparse(s.annotation)
        for s in notification.body
        if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
    }
    related: str | None = None
    if "related_object" in annotations:
        fetch = next(
            f
            for f in notification.body
            if isinstance(f, ast.FunctionDef) and f.name == "fetch_related_object"
        )
        assert fetch.returns is not None
        returned = ast.unparse(fetch.returns).strip("'\"")
        related = _class_object_name(stripe_dir, _imports(path)[returned], returned)
    return lookup, {
        "related_object": related,
        "singleton": annotations.get("related_object") == "RelatedSingletonObject",
        "data": _data_fields(event),
    }


def _permissions(thin_type: str, related: str | None, v1_events: dict[str, Any]) -> list[str]:
    """What lets an app receive a thin type: its snapshot twin's permissions (``v1.X`` and
    ``X``), else those of a v1 event on the same object (a v2 account is a v1 account, its
    persons v1 persons, as the sandbox serves them); none for other v2 objects."""
    snapshot = thin_type.removeprefix("v1.")
    if snapshot != thin_type and snapshot in v1_events:
        return list(v1_events[snapshot]["permissions"])
    obj = related or ".".join(snapshot.split(".")[:-1]).split("[")[0]
    obj = V1_TWIN_OBJECTS.get(obj, obj)
    for name in sorted(v1_events):
        if v1_events[name]["object"] == obj and v1_events[name]["permissions"]:
            return list(v1_events[name]["permissions"])
    return []


def _param_spec(node: ast.expr, types: dict[str, ast.ClassDef], out: dict[str, Any]) -> Any:
    """A parameter's annotation as data: ``string``, ``boolean``, ``integer``, ``decimal``,
    ``{"enum": [...]}`` (closed), ``{"list": spec}``, ``{"map": nullable}``, ``{"ref": class}``
    (whose fields ``out`` gets). An open enum (``Literal[...]|str``) is a string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return _param_spec(ast.parse(node.value, mode="eval").body, types, out)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        if ast.unparse(node.right) == "str":
            return "string"  # Literal[...]|str: Stripe's open enums
        return _param_spec(node.left, types, out)  # Dict[...]|UntypedStripeObject[...]
    if isinstance(node, ast.Name):
        simple = {"str": "string", "bool": "boolean", "int": "integer", "Decimal": "decimal"}
        if node.id in simple:
            return simple[node.id]
        if node.id in types:
            _param_type(node.id, types, out)
            return {"ref": node.id}
        raise SystemExit(f"unknown parameter type {node.id}")
    if isinstance(node, ast.Subscript):
        outer = ast.unparse(node.value)
        inner = node.slice
        if outer == "Literal":
            values = inner.elts if isinstance(inner, ast.Tuple) else [inner]
            return {"enum": [v.value for v in values if isinstance(v, ast.Constant)]}
        if outer == "Union":
            assert isinstance(inner, ast.Tuple)
            if any(ast.unparse(e) == "str" for e in inner.elts):
                return "string"
            return _param_spec(inner.elts[0], types, out)
        if outer == "List":
            return {"list": _param_spec(inner, types, out)}
        if outer == "Dict":
            assert isinstance(inner, ast.Tuple)
            return {"map": ast.unparse(inner.elts[1]).startswith("Optional")}
    raise SystemExit(f"unknown parameter annotation {ast.unparse(node)}")


def _param_type(name: str, types: dict[str, ast.ClassDef], out: dict[str, Any]) -> None:
    """``name``'s fields into ``out``: field -> [required, spec]."""
    if name in out:
        return
    out[name] = {}
    fields: dict[str, Any] = {}
    for stmt in types[name].body:
        if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
            continue
        annotation = stmt.annotation
        required = True
        if isinstance(annotation, ast.Subscript) and ast.unparse(annotation.value) == "NotRequired":
            required, annotation = False, annotation.slice
        fields[stmt.target.id] = [required, _param_spec(annotation, types, out)]
    out[name] = dict(sorted(fields.items()))


def build_v2_params(stripe_dir: Path) -> dict[str, Any]:
    """Each checked v2 operation's parameters: ``operations`` (operation -> its root type)
    and ``types`` (type -> field -> [required, spec]), shared types once."""
    types_out: dict[str, Any] = {}
    operations: dict[str, str] = {}
    for operation, (relative, root) in V2_PARAMS.items():
        path = stripe_dir / relative
        types = {c.name: c for c in _classes(path)}
        for module, names in _param_imports(path).items():
            module_path = stripe_dir.joinpath(*module.split(".")[1:]).with_suffix(".py")
            types.update({c.name: c for c in _classes(module_path) if c.name in names})
        _param_type(root, types, types_out)
        operations[operation] = root
    return {"operations": operations, "types": dict(sorted(types_out.items()))}


def _param_imports(path: Path) -> dict[str, list[str]]:
    """The ``TypedDict`` classes a params file imports from stripe (``AmountParam``)."""
    found: dict[str, list[str]] = {}
    for name, module in _imports(path).items():
        if module.startswith("stripe.") and name.endswith("Param"):
            found.setdefault(module, []).append(name)
    return found


def build_thin_events(stripe_dir: Path, v1_events: dict[str, Any], about: Any) -> dict[str, Any]:
    types: dict[str, Any] = {}
    for path in sorted((stripe_dir / "events").glob("_*_event.py")):
        found = _thin_type(stripe_dir, path)
        if found is None:
            continue
        name, info = found
        snapshot = name.removeprefix("v1.")
        types[name] = {
            **info,
            "snapshot_type": snapshot if snapshot != name and snapshot in v1_events else None,
            "permissions": _permissions(name, info["related_object"], v1_events),
        }
    objects: dict[str, Any] = {}
    for relative in V2_OBJECTS:
        for cls in _classes(stripe_dir / relative):
            if (name := _object_name(cls)) is not None:
                objects[name] = _fields(cls)
    if not types or not objects:
        raise SystemExit(f"no thin event classes under {stripe_dir / 'events'}: has it moved?")
    return {
        "_about": about(
            "stripe-python's EventNotification classes (stripe/events) and v2 objects "
            "(stripe/v2): thin event type -> related object type, data fields; v2 object "
            "fields (true: nullable); permissions: the snapshot twin's, else the object's",
            None,
        ),
        "thin_events": dict(sorted(types.items())),
        "v2_objects": objects,
        "v2_params": build_v2_params(stripe_dir),
    }
