"""Stripe's OpenAPI description as JSON Schema, to check what the sandbox sends.

OpenAPI 3.0 writes "may be null" as ``nullable: true`` beside a type or an ``anyOf``; JSON
Schema writes it as a type (or branch) of its own. Fields newer than the description are
allowed (Stripe's schemas do not forbid extra properties).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema

SPEC = Path(__file__).resolve().parents[1] / "scripts" / "catalog-sources" / "stripe-openapi"


def _converted(node: Any) -> Any:
    if isinstance(node, list):
        return [_converted(each) for each in node]
    if not isinstance(node, dict):
        return node
    out = {k: _converted(v) for k, v in node.items() if k not in ("nullable", "description")}
    if "$ref" in out:
        out["$ref"] = out["$ref"].replace("#/components/schemas/", "#/$defs/")
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


@functools.cache
def _definitions() -> dict[str, Any]:
    spec = json.loads((SPEC / "spec3.json").read_text())
    return {name: _converted(schema) for name, schema in spec["components"]["schemas"].items()}


def schema_errors(obj: dict[str, Any], schema_name: str | None = None) -> list[str]:
    """Where ``obj`` breaks Stripe's schema of its resource (by default its ``object``)."""
    definitions = _definitions()
    name = schema_name or str(obj["object"]).replace(".", "_")
    validator = jsonschema.Draft202012Validator({"$defs": definitions, **definitions[name]})
    return [
        f"{'.'.join(str(p) for p in error.absolute_path) or '(top)'}: {error.message[:200]}"
        for error in validator.iter_errors(obj)
    ]
