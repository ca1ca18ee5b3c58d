"""Validate stripe-app.json against Stripe's official schema, in words a developer can act on.

jsonschema does the checking, against the schema Stripe publishes (shipped verbatim in
``appevents/catalog/data``) with two deliberate changes:

- the permission enum is widened to every name Stripe documents (the schema's enum lags behind
  the docs and misspells three names; both spellings are accepted);
- a missing ``ui_extension`` is a warning, not an error: a backend-only app that just listens
  to events can be edited and tested without one; only ``stripe apps upload`` needs it.

Each jsonschema error becomes an :class:`Issue` naming the JSON path, the bad value and the fix.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import jsonschema
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

from .. import catalog

Severity = Literal["error", "warning"]
PERMISSIONS_DOCS = "https://docs.stripe.com/stripe-apps/reference/permissions"
_MISSING = object()


@dataclass(frozen=True)
class Issue:
    """One problem in a manifest: where, what, the offending value and how to fix it."""

    severity: Severity
    path: str
    """JSON path such as ``permissions[2].permission``; a missing key's own path."""
    message: str
    fix: str
    value: Any = field(default=_MISSING, compare=False)

    @property
    def has_value(self) -> bool:
        return self.value is not _MISSING

    def __str__(self) -> str:
        got = f" (got {_short(self.value)})" if self.has_value else ""
        return f"{self.path}: {self.message}{got}; fix: {self.fix}"


def validate_manifest(data: dict[str, Any], *, local: bool = False) -> list[Issue]:
    """Every issue in a manifest, errors first, each list in document order.

    ``local`` selects Stripe's local-manifest schema (a file with ``extends``).
    """
    validator = _validator(local)
    issues: list[Issue] = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        issues.extend(_explain(error))
    if not local and "ui_extension" not in data:
        issues.append(
            Issue(
                "warning",
                "ui_extension",
                "is missing: fine for a backend-only app, but `stripe apps upload` requires it",
                'add "ui_extension": {"views": []} before uploading',
            )
        )
    issues.extend(_permission_warnings(data.get("permissions")))
    unique = list(dict.fromkeys(issues))  # one error can surface through several keywords
    return [i for i in unique if i.severity == "error"] + [
        i for i in unique if i.severity == "warning"
    ]


def format_path(parts: Iterable[str | int]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(manifest)"


@functools.cache
def _validator(local: bool) -> jsonschema.Draft7Validator:
    schema = catalog.manifest_schema()
    schema["required"].remove("ui_extension")  # reported as a warning instead
    permission = schema["properties"]["permissions"]["items"]["properties"]["permission"]
    permission["enum"] = sorted({*catalog.permission_names(), *catalog.permission_aliases()})
    registry: Registry[Any] = Registry().with_resource(
        catalog.MANIFEST_SCHEMA_ID, Resource.from_contents(schema)
    )
    root = catalog.local_manifest_schema() if local else schema
    return jsonschema.Draft7Validator(root, registry=registry)


# Per field: what its pattern means, and an example that satisfies it.
_PATTERNS: dict[str, tuple[str, str]] = {
    "id": (
        "must contain only letters, digits, '_', '-' and '.'",
        'use an id like "com.example.app"',
    ),
    "icon": (
        'must be "" or a relative path to a PNG file',
        'use "./icon.png" (a 300x300 PNG next to stripe-app.json) or ""',
    ),
    "component": (
        "must be a React component name (letters, digits and '_')",
        'use the name of a component in src/views, e.g. "AppSettings"',
    ),
    "connect-src": (
        "must be an http(s) URL with a path",
        'use e.g. "https://api.example.com/v1/" (a trailing / also allows every URL below it)',
    ),
    "image-src": ("must be an http(s) URL", 'use e.g. "https://images.example.com/"'),
    "allowed_redirect_uris": (
        "must be an http(s) URL with a path",
        'use e.g. "https://example.com/stripe/installed"',
    ),
    "url": ("must be an http(s) URL", 'use e.g. "https://example.com/onboarding"'),
    "extends": (
        "must name a stripe-app*.json manifest",
        'use e.g. "stripe-app.json" or "../stripe-app.json"',
    ),
}

_REQUIRED_FIXES: dict[str, str] = {
    "id": 'add "id": a unique id such as "com.example.app"',
    "version": 'add "version", e.g. "1.0.0"',
    "name": 'add "name": the name users see, e.g. "Example App"',
    "icon": 'add "icon": "./icon.png" (or "" while you have none)',
    "permissions": 'add "permissions": [] and grant with `appevents apps grant permission`',
    "permission": 'add "permission": a permission name such as "event_read"',
    "purpose": 'add "purpose": why the app needs it (users see this when installing)',
    "viewport": 'add "viewport", e.g. "stripe.dashboard.drawer.default"',
    "component": 'add "component": the name of a React component in src/views',
    "type": 'add "type": "onboarding", "settings" or "external"',
}

_EMPTY_FIXES: dict[str, str] = {
    "version": 'use any non-empty version, e.g. "1.0.0"',
    "name": "give the app the name users will see",
    "purpose": "say why the app needs this permission; users see it when installing",
}

_GRANT_EXAMPLE = '{"permission": "event_read", "purpose": "Read webhook event data"}'
_GRANT_SHAPE = '{"permission": NAME, "purpose": TEXT}'

# What a value of the wrong JSON type should have been, where "a string" or "an array" alone
# would not tell a developer what to write. Keyed by path shape (list indexes as "[]").
_TYPE_EXPLANATIONS: dict[str, tuple[str, str]] = {
    "permissions": (
        f"a list of {_GRANT_SHAPE}",
        f'write "permissions": [{_GRANT_EXAMPLE}], one object per permission',
    ),
    "permissions[]": (_GRANT_SHAPE, f"write {_GRANT_EXAMPLE}"),
    "id": (
        'a string like "com.example.app"',
        'quote it, or use an id like "com.example.app"',
    ),
}

_ENUM_FIXES: dict[str, str] = {
    "distribution_type": 'use "public" or "private" (private is the default)',
    "stripe_api_access_type": 'use "platform", "oauth" or "restricted_api_key"',
}


def _explain(error: ValidationError) -> list[Issue]:
    parts = list(error.absolute_path)
    path = format_path(parts)
    key = _field_name(parts)
    # jsonschema types these as "Any | Unset"; on an error from iter_errors they are set.
    value: Any = error.instance
    rule: Any = error.validator_value
    schema: Any = error.schema
    kind = error.validator
    if parts == ["post_install_action"] and kind == "oneOf":
        return _explain_post_install_action(value)
    if kind == "required":
        return [
            _error(format_path([*parts, name]), "is required", _required_fix(name, parts))
            for name in rule
            if isinstance(value, dict) and name not in value
        ]
    if kind == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        return [
            _error(
                format_path([*parts, extra]),
                "is not allowed here",
                _rename_or_remove(extra, allowed),
                value[extra],
            )
            for extra in value
            if extra not in allowed
        ]
    if kind == "pattern" and key in _PATTERNS:
        meaning, fix = _PATTERNS[key]
        return [_error(path, meaning, fix, value)]
    if kind == "minLength":
        return [_error(path, "must not be empty", _EMPTY_FIXES.get(key, "give it a value"), value)]
    if kind == "type":
        expected, fix = _TYPE_EXPLANATIONS.get(
            _shape(parts), (_json_types(rule), f"use {_json_types(rule)}")
        )
        return [_error(path, f"must be {expected}, not {_json_type(value)}", fix, value)]
    if kind == "enum":
        return [_explain_enum(path, key, value, rule)]
    if kind == "format":
        return [_error(path, f"is not a valid {rule}", "use a full URL", value)]
    return [
        _error(
            path, error.message, "see https://docs.stripe.com/stripe-apps/reference/app-manifest"
        )
    ]


def _explain_enum(path: str, key: str, value: Any, allowed: Sequence[Any]) -> Issue:
    if key == "permission":
        names = list(catalog.permission_names())
        suggestions = catalog.closest_names(str(value), names) if isinstance(value, str) else []
        hint = f"use {_one_of(suggestions)}" if suggestions else "use a permission name"
        return _error(path, "is not a known permission", f"{hint} (see {PERMISSIONS_DOCS})", value)
    if key in _ENUM_FIXES:
        return _error(path, "is not allowed", _ENUM_FIXES[key], value)
    choices = [str(choice) for choice in allowed]
    suggestions = catalog.closest_names(str(value), choices) if isinstance(value, str) else []
    fix = f"use {_one_of(suggestions or choices)}"
    return _error(path, f"is not a known {key or 'value'}", fix, value)


def _explain_post_install_action(value: Any) -> list[Issue]:
    """The schema's oneOf gives one opaque error; say which of its rules the value breaks."""
    base = "post_install_action"
    kinds = '"onboarding", "settings" or "external"'
    if not isinstance(value, dict):
        return [
            _error(base, "must be null or an object", 'use {"type": "settings"} or null', value)
        ]
    action = value.get("type", _MISSING)
    if action is _MISSING:
        return [_error(f"{base}.type", "is required", f'add "type": {kinds}')]
    if action not in ("onboarding", "settings", "external"):
        return [_error(f"{base}.type", "is not a post-install action", f"use {kinds}", action)]
    allowed = {"type", "url"} if action == "external" else {"type"}
    issues = [
        _error(
            f"{base}.{extra}",
            f"is not allowed with type {action!r}",
            "remove it (only type external takes a url)" if extra == "url" else "remove it",
            value[extra],
        )
        for extra in value
        if extra not in allowed
    ]
    if action == "external":
        url = value.get("url", _MISSING)
        if url is _MISSING:
            issues.append(
                _error(f"{base}.url", "is required with type 'external'", _PATTERNS["url"][1])
            )
        elif not isinstance(url, str) or not url.startswith(("http://", "https://")):
            issues.append(_error(f"{base}.url", _PATTERNS["url"][0], _PATTERNS["url"][1], url))
    return issues


def _permission_warnings(permissions: Any) -> list[Issue]:
    if not isinstance(permissions, list):
        return []
    issues: list[Issue] = []
    first_index: dict[str, int] = {}
    for index, entry in enumerate(permissions):
        name = entry.get("permission") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not catalog.is_known_permission(name):
            continue
        path = f"permissions[{index}].permission"
        correct = catalog.canonical_permission(name)
        if correct != name:
            issues.append(
                Issue(
                    "warning",
                    path,
                    f"is the official schema's misspelling of {correct}",
                    f'use "{correct}", the name Stripe documents',
                    name,
                )
            )
        if correct in first_index:
            issues.append(
                Issue(
                    "warning",
                    path,
                    f"is already granted by permissions[{first_index[correct]}]",
                    "remove one of the two entries",
                    name,
                )
            )
        first_index.setdefault(correct, index)
    return issues


def _error(path: str, message: str, fix: str, value: Any = _MISSING) -> Issue:
    return Issue("error", path, message, fix, value)


def _one_of(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"one of {', '.join(names)}"


def _shape(parts: Sequence[str | int]) -> str:
    """The path with its list indexes blanked: ``permissions[2]`` -> ``permissions[]``."""
    return re.sub(r"\[\d+\]", "[]", format_path(parts))


def _field_name(parts: Sequence[str | int]) -> str:
    names = [part for part in parts if isinstance(part, str)]
    return names[-1] if names else ""


def _required_fix(name: str, parent: Sequence[str | int]) -> str:
    if name == "purpose" and "content_security_policy" in parent:
        return 'add "purpose": why the app calls these URLs (users see it when installing)'
    return _REQUIRED_FIXES.get(name, f'add "{name}"')


def _rename_or_remove(extra: str, allowed: list[str]) -> str:
    suggestions = catalog.closest_names(extra, allowed, limit=1)
    if suggestions:
        return f'rename it to "{suggestions[0]}" or remove it'
    return f"remove it (allowed keys: {', '.join(allowed)})"


_JSON_TYPE_NAMES = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "boolean": "true or false",
    "null": "null",
    "integer": "an integer",
    "number": "a number",
}


def _json_types(expected: str | list[str]) -> str:
    names = [expected] if isinstance(expected, str) else expected
    return " or ".join(_JSON_TYPE_NAMES.get(name, name) for name in names)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    for kind, name in ((dict, "an object"), (list, "an array"), (str, "a string")):
        if isinstance(value, kind):
            return name
    return "a number"


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"
