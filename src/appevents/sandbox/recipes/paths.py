"""Dotted paths into nested objects (``recurring.interval``, ``items.data.0.price``) and the
``step:path=value`` edits of ``--add``, ``--override`` and ``--remove``."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ... import catalog
from ..stripe_errors import InvalidRequest

__all__ = ["Edit", "get_path", "parse_edits", "remove_path", "set_path", "split_path"]

EditKind = Literal["add", "override", "remove"]
_SEGMENT = re.compile(r"^[A-Za-z0-9_\-]+$")
_MISSING = object()


@dataclass(frozen=True, slots=True)
class Edit:
    kind: EditKind
    step: str
    path: tuple[str, ...]
    value: str | None


def split_path(path: str) -> tuple[str, ...]:
    """``metadata[order]`` and ``metadata.order`` both give ``("metadata", "order")``."""
    dotted = path.replace("][", ".").replace("[", ".").replace("]", "")
    parts = tuple(dotted.split("."))
    if not path or not all(_SEGMENT.match(p) for p in parts):
        raise ValueError(path)
    return parts


def get_path(obj: Any, path: Iterable[str], default: Any = None) -> Any:
    current = obj
    for part in path:
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return default
    return current


def set_path(obj: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    """Set ``value`` at ``path``, making dicts on the way (a list index may append)."""
    current: Any = obj
    for position, part in enumerate(path):
        last = position == len(path) - 1
        if isinstance(current, list) and part.isdigit() and int(part) <= len(current):
            index = int(part)
            if index == len(current):
                current.append({} if not last else value)
            if last:
                current[index] = value
                return
            if not isinstance(current[index], (dict, list)):
                current[index] = {}
            current = current[index]
            continue
        if not isinstance(current, dict):
            raise ValueError(".".join(path))
        if last:
            current[part] = value
            return
        if not isinstance(current.get(part), (dict, list)):
            current[part] = {}
        current = current[part]


def has_path(obj: Any, path: tuple[str, ...]) -> bool:
    return get_path(obj, path, _MISSING) is not _MISSING


def remove_path(obj: dict[str, Any], path: tuple[str, ...]) -> None:
    parent = get_path(obj, path[:-1]) if len(path) > 1 else obj
    if isinstance(parent, dict):
        parent.pop(path[-1], None)


def parse_edits(
    kind: EditKind, raw: Iterable[str], step_names: list[str], *, recipe: str
) -> list[Edit]:
    """Parse ``step:path=value`` (``step:path`` for remove) strictly."""
    expected = "STEP:PATH" if kind == "remove" else "STEP:PATH=VALUE"
    edits = []
    for text in raw:
        step, colon, rest = text.partition(":")
        path_text, equals, value = rest.partition("=")
        if not colon or not step or (kind == "remove") == bool(equals):
            raise InvalidRequest(
                f"Invalid --{kind} {text!r}: expected {expected} "
                f"(e.g. {step_names[0] if step_names else 'payment_intent'}:metadata.order"
                f"{'' if kind == 'remove' else '=42'})",
                param=kind,
            )
        check_step(step, step_names, recipe=recipe, option=f"--{kind} {text!r}")
        try:
            path = split_path(path_text)
        except ValueError:
            raise InvalidRequest(
                f"Invalid --{kind} {text!r}: the path {path_text!r} is not a dotted path of "
                "letters, digits and underscores (e.g. metadata.order or metadata[order])",
                param=kind,
            ) from None
        edits.append(Edit(kind, step, path, None if kind == "remove" else value))
    return edits


def check_step(name: str, step_names: list[str], *, recipe: str, option: str) -> None:
    if name in step_names:
        return
    close = catalog.closest_names(name, step_names)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise InvalidRequest(
        f"Invalid {option}: {recipe} has no step {name!r}{hint} "
        f"(its steps: {', '.join(step_names) or 'none'})",
        param="step",
    )


def apply_edit(params: dict[str, Any], edit: Edit, sample: Mapping[str, Any]) -> None:
    """Change a step's params as the Stripe CLI does: override replaces, add sets only a
    missing param, remove deletes one."""
    if edit.kind == "remove":
        if not has_path(params, edit.path):
            known = ", ".join(sorted(_leaf_paths(params))) or "none"
            raise InvalidRequest(
                f"Invalid --remove {edit.step}:{'.'.join(edit.path)}: step {edit.step} has no "
                f"param {'.'.join(edit.path)} (its params: {known})",
                param="remove",
            )
        remove_path(params, edit.path)
        return
    if edit.kind == "add" and has_path(params, edit.path):
        return
    current = get_path(params, edit.path, _MISSING)
    if current is _MISSING:
        current = get_path(sample, edit.path)
    try:
        set_path(params, edit.path, _typed(edit, current))
        # The step's object takes the params too: a list index past its end fails there.
        set_path(copy.deepcopy(dict(sample)), edit.path, None)
    except ValueError:
        raise InvalidRequest(
            f"Invalid --{edit.kind} {edit.step}:{'.'.join(edit.path)}: that path crosses a "
            "value that is not an object, or indexes past the end of a list (the next index "
            "appends)",
            param=edit.kind,
        ) from None


def _typed(edit: Edit, like: Any) -> Any:
    """A command-line string typed like the value it replaces (Stripe's API is form-encoded)."""
    assert edit.value is not None
    value = edit.value
    if isinstance(like, bool):
        if value not in ("true", "false"):
            raise InvalidRequest(
                f"Invalid --{edit.kind} {edit.step}:{'.'.join(edit.path)}={value}: "
                "expected true or false",
                param=edit.kind,
            )
        return value == "true"
    if isinstance(like, int) and not value.startswith("${"):
        try:
            return int(value)
        except ValueError:
            raise InvalidRequest(
                f"Invalid --{edit.kind} {edit.step}:{'.'.join(edit.path)}={value}: "
                "expected an integer",
                param=edit.kind,
            ) from None
    return value


def _leaf_paths(params: Mapping[str, Any], prefix: str = "") -> list[str]:
    paths = []
    for key, value in params.items():
        if isinstance(value, Mapping) and value:
            paths.extend(_leaf_paths(value, f"{prefix}{key}."))
        else:
            paths.append(f"{prefix}{key}")
    return paths


def deep_copy(params: Mapping[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(dict(params))
