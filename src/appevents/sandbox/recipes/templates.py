"""Resolving ``${key:path|default}`` templates against the objects a recipe run has made."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..stripe_errors import InvalidRequest
from .paths import get_path, split_path

__all__ = ["Scope"]

_TEMPLATE = re.compile(r"\$\{([^}]*)\}")
_NOW_OFFSET = re.compile(r"^now([+-]\d+)?$")


@dataclass(slots=True)
class Scope:
    """What templates can see while a recipe runs."""

    account: str
    livemode: bool
    now: Callable[[], int]
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Objects made so far, by their key in the recipe."""
    allocated_ids: dict[str, str] = field(default_factory=dict)
    """Ids of objects the recipe will make, known before they are made."""
    skipped: dict[str, str] = field(default_factory=dict)
    """Object key -> the skipped step that would have made it."""

    def resolve(self, value: Any, *, where: str) -> Any:
        if isinstance(value, str):
            whole = _TEMPLATE.fullmatch(value)
            if whole:
                return self._lookup(whole.group(1), where=where)
            return _TEMPLATE.sub(lambda m: _text(self._lookup(m.group(1), where=where)), value)
        if isinstance(value, Mapping):
            return {k: self.resolve(v, where=where) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v, where=where) for v in value]
        return value

    def _lookup(self, expression: str, *, where: str) -> Any:
        reference, bar, default = expression.partition("|")
        key, colon, path = reference.partition(":")
        if key == "context":
            value = self._context(path, where=where)
        elif key in self.objects:
            value = copy.deepcopy(
                self.objects[key] if not colon else get_path(self.objects[key], _path(path, where))
            )
        elif key in self.allocated_ids and path == "id":
            value = self.allocated_ids[key]
        elif key in self.skipped:
            raise InvalidRequest(
                f"{where} needs ${{{reference}}}, but step {self.skipped[key]!r} that makes "
                f"{key!r} is skipped: don't skip it, or give the value with "
                f"--override {where.split(' ')[-1]}:PATH=VALUE",
                param="skip",
            )
        elif key in self.allocated_ids:
            raise InvalidRequest(
                f"{where} refers to ${{{reference}}} before {key!r} exists: only the id of a "
                "later object is known in advance",
                param="template",
            )
        else:
            known = ", ".join(sorted({*self.objects, *self.allocated_ids, "context"}))
            raise InvalidRequest(
                f"{where} refers to ${{{reference}}}, but this recipe makes no object {key!r} "
                f"(it has: {known})",
                param="template",
            )
        if value is None and bar:
            return default
        return value

    def _context(self, name: str, *, where: str) -> Any:
        if name == "account":
            return self.account
        if name == "livemode":
            return self.livemode
        offset = _NOW_OFFSET.match(name)
        if offset:
            return self.now() + int(offset.group(1) or 0)
        raise InvalidRequest(
            f"{where} refers to ${{context:{name}}}: the context has account, livemode, now, "
            "now+SECONDS and now-SECONDS",
            param="template",
        )


def _path(path: str, where: str) -> tuple[str, ...]:
    try:
        return split_path(path)
    except ValueError:
        raise InvalidRequest(
            f"{where} has a template with an invalid path {path!r}", param="template"
        ) from None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)
