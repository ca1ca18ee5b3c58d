#!/usr/bin/env python3
"""Distil Stripe's OpenAPI description into the data the sandbox's REST API runs on.

Input (read here only; the package never reads it at run time):
``<reference>/stripe-openapi/spec3.json`` (Stripe's OpenAPI 3 description, MIT) and
``fixtures3.json`` beside it, read for two things only: the id prefix of each resource
(``cus`` of ``cus_9s6XKzkNRiz8i3``) and which of a schema's properties Stripe sends by
default (the sample's keys; values are never read).

Output: ``src/appevents/sandbox/rest/data/api.json`` (or ``--out DIR``) and the licence.
It holds, compactly (see ``appevents.sandbox.rest.spec`` for the reader):

- ``schemas``: every component schema as a *node* (below), with ``x`` its expandable fields;
- ``operations``: every path and method, with its form (POST) or query (GET, DELETE)
  parameters as nodes, what it answers, and its *kind* (create, retrieve, update, delete,
  list, search, action, preview) and resource, so the sandbox routes each one generically;
- ``resources``: per object schema with an id, its ``object`` value, id prefix, the path
  it is retrieved at, its deleted schema, and the fields a new object carries.

A node is ``{"t": type}`` (``string``, ``integer``, ``number``, ``boolean``, ``object``,
``array``) with ``e`` (enum), ``n`` (nullable), ``f`` (``ts``: a Unix timestamp), ``p``
(properties), ``r`` (required), ``h`` (a free hash: additional properties, their node or 1),
``i`` (array items), ``pat`` (a list url's pattern); or ``{"ref": schema}``; or
``{"any": [nodes]}``.

    .venv/bin/python scripts/generate_api.py [--reference DIR] [--out DIR]

``tests/sandbox/rest/test_generated_api.py`` regenerates into a temp dir and compares.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_REFERENCE = REPO / "scripts" / "catalog-sources"
DEFAULT_OUT = REPO / "src" / "appevents" / "sandbox" / "rest" / "data"
REF = "#/components/schemas/"

# Id prefixes for resources whose sample has none (or a placeholder such as obj_123), as
# Stripe's API gives them (docs.stripe.com/api, each object's id example).
PREFIXES = {
    "account": "acct",
    "account_link": "acctlink",
    "account_session": "acctsess",
    "application": "ca",
    "apple_pay_domain": "apwc",
    "application_fee": "fee",
    "bank_account": "ba",
    "billing_portal.configuration": "bpc",
    "billing_portal.session": "bps",
    "billing.meter": "mtr",
    "billing.meter_event_adjustment": "mea",
    "capability": "card_payments",
    "card": "card",
    "cash_balance": "cb",
    "checkout.session": "cs_test",
    "climate.order": "climorder",
    "climate.product": "climsku",
    "climate.supplier": "climsup",
    "confirmation_token": "ctoken",
    "credit_note": "cn",
    "customer_balance_transaction": "cbtxn",
    "customer_cash_balance_transaction": "ccsbtxn",
    "customer_session": "cuss",
    "discount": "di",
    "entitlements.feature": "feat",
    "ephemeral_key": "ephkey",
    "fee_refund": "fr",
    "file_link": "link",
    "financial_connections.account": "fca",
    "financial_connections.session": "fcsess",
    "forwarding.request": "fwdreq",
    "funding_instructions": "fi",
    "identity.verification_report": "vr",
    "identity.verification_session": "vs",
    "invoiceitem": "ii",
    "issuing.authorization": "iauth",
    "issuing.card": "ic",
    "issuing.cardholder": "ich",
    "issuing.dispute": "idp",
    "issuing.personalization_design": "ipcd",
    "issuing.physical_bundle": "ics",
    "issuing.token": "intok",
    "issuing.transaction": "ipi",
    "line_item": "il",
    "login_link": "ll",
    "mandate": "mandate",
    "payment_link": "plink",
    "payment_method_configuration": "pmc",
    "payment_method_domain": "pmd",
    "person": "person",
    "product_feature": "prodft",
    "promotion_code": "promo",
    "quote": "qt",
    "radar.early_fraud_warning": "issfr",
    "radar.value_list": "rsl",
    "radar.value_list_item": "rsli",
    "reporting.report_run": "frr",
    "review": "prv",
    "shipping_rate": "shr",
    "source": "src",
    "subscription_item": "si",
    "subscription_schedule": "sub_sched",
    "tax.calculation": "taxcalc",
    "tax.registration": "taxreg",
    "tax.transaction": "tax",
    "tax_id": "txi",
    "tax_rate": "txr",
    "terminal.configuration": "tmc",
    "terminal.connection_token": "pst",
    "terminal.location": "tml",
    "terminal.reader": "tmr",
    "test_helpers.test_clock": "clock",
    "token": "tok",
    "topup": "tu",
    "transfer_reversal": "trr",
    "treasury.credit_reversal": "credrev",
    "treasury.debit_reversal": "debrev",
    "treasury.financial_account": "fa",
    "treasury.inbound_transfer": "ibt",
    "treasury.outbound_payment": "obp",
    "treasury.outbound_transfer": "obt",
    "treasury.received_credit": "rc",
    "treasury.received_debit": "rd",
    "treasury.transaction": "trxn",
    "treasury.transaction_entry": "trxne",
    "usage_record": "mbur",
    "usage_record_summary": "sis",
    "webhook_endpoint": "we",
}
_SAMPLE_ID = re.compile(r"^([a-z]+(?:_[a-z]+)*?)_[A-Za-z0-9]*[0-9][A-Za-z0-9]*$")
_PLACEHOLDER_PREFIXES = {"obj"}


def node(schema: dict[str, Any]) -> dict[str, Any]:
    """A schema (or parameter schema) as a compact node."""
    if "$ref" in schema:
        return {"ref": schema["$ref"].removeprefix(REF)}
    out: dict[str, Any] = {}
    if "anyOf" in schema:
        out["any"] = [node(each) for each in schema["anyOf"]]
    kind = schema.get("type")
    if kind is not None:
        out["t"] = kind
    if "enum" in schema:
        out["e"] = schema["enum"]
    if schema.get("nullable"):
        out["n"] = 1
    if schema.get("format") == "unix-time":
        out["f"] = "ts"
    if str(schema.get("pattern", "")).startswith("^/v1/"):
        out["pat"] = schema["pattern"]  # where a list's url points
    if kind == "object":
        properties = schema.get("properties")
        if properties:
            out["p"] = {name: node(each) for name, each in properties.items()}
        if schema.get("required"):
            out["r"] = schema["required"]
        extra = schema.get("additionalProperties")
        if extra and not properties:
            out["h"] = node(extra) if isinstance(extra, dict) else 1
        elif not properties and extra is None:
            out["h"] = 1  # an object without properties is a free hash (metadata)
    if kind == "array":
        out["i"] = node(schema.get("items", {}))
    if schema.get("x-expandableFields"):
        out["x"] = schema["x-expandableFields"]
    return out


def object_value(schema: dict[str, Any]) -> str | None:
    """The ``object`` field's only value (``"customer"``), if the schema has one."""
    enum = schema.get("properties", {}).get("object", {}).get("enum")
    return enum[0] if isinstance(enum, list) and len(enum) == 1 else None


def returns(operation: dict[str, Any]) -> dict[str, Any]:
    for status in ("200", "default"):
        answer = operation.get("responses", {}).get(status, {})
        schema = answer.get("content", {}).get("application/json", {}).get("schema")
        if schema is not None:
            return schema
    return {}


def answer_shape(schema: dict[str, Any]) -> tuple[str, list[str]]:
    """(``object``, ``list``, ``search`` or ``other``; the schemas of the objects answered)."""
    if "$ref" in schema:
        return "object", [schema["$ref"].removeprefix(REF)]
    if "anyOf" in schema:
        refs = [each["$ref"].removeprefix(REF) for each in schema["anyOf"] if "$ref" in each]
        live = [name for name in refs if not name.startswith("deleted_")]
        return ("object", live or refs) if refs else ("other", [])
    properties = schema.get("properties", {})
    enum = properties.get("object", {}).get("enum")
    if enum in (["list"], ["search_result"]):
        items = properties.get("data", {}).get("items", {})
        branches = items.get("anyOf", [items])
        refs = [each["$ref"].removeprefix(REF) for each in branches if "$ref" in each]
        return ("list" if enum == ["list"] else "search"), refs
    return "other", []


def _shape(path: str) -> str:
    """A path with its parameters unnamed: /v1/subscriptions/{subscription}/resume and the
    /v1/subscriptions/{subscription_exposed_id} it acts on have the same owner."""
    return re.sub(r"\{[^}]+\}", "{}", path)


def is_param(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


# Operations that compute an object without keeping it (what an invoice would be).
PREVIEWS = {
    "/v1/invoices/create_preview",
    "/v1/invoices/upcoming",
    "/v1/invoices/upcoming/lines",
    "/v1/credit_notes/preview",
    "/v1/credit_notes/preview/lines",
}


def classify(
    method: str, path: str, shape: str, answered: list[str], gets: dict[str, list[str]]
) -> str:
    """What the operation does to its resource, so the sandbox runs it generically."""
    if path in PREVIEWS:
        return "preview"
    if path == "/v1/apps/secrets/delete":
        return "delete"  # by name and scope, not by a path's id
    segments = path.strip("/").split("/")
    if method == "get":
        if shape == "search":
            return "search"
        return "list" if shape == "list" else "retrieve"
    if method == "delete":
        deleted = any(name.startswith("deleted_") for name in answered)
        return "delete" if deleted or not answered else "action"
    if path in gets and gets[path] == answered:
        return "update"  # POST where a GET answers the same object: an update
    if is_param(segments[-1]):
        return "update"
    # POST .../{id}/verb answering the object {id} names (or the object at .../{id}/x for
    # .../{id}/x/verb): an action on it. Test helpers act on the resource's own objects.
    params = [n for n, segment in enumerate(segments) if is_param(segment)]
    owners = ["/" + "/".join(segments[:-1])]
    if params:
        owners.append("/" + "/".join(segments[: params[-1] + 1]))
    by_shape = {_shape(p): answered_there for p, answered_there in gets.items()}
    for owner_path in owners:
        plain = owner_path.replace("/v1/test_helpers/", "/v1/", 1)
        owner = by_shape.get(_shape(owner_path)) or by_shape.get(_shape(plain))
        if owner is not None and set(owner) & set(answered):
            return "action"
    return "create"


# Parameters whose values the sandbox checks itself, more widely than the spec's enum: a
# webhook endpoint's enabled_events also take ``prefix.*`` (appevents' extension), and the
# sandbox names the closest event type when one is unknown.
# Its api_version likewise: the sandbox answers in a version newer than the spec's list.
OWN_CHECKS = {
    (path, name)
    for path in ("/v1/webhook_endpoints", "/v1/webhook_endpoints/{webhook_endpoint}")
    for name in ("enabled_events", "api_version")
}


def form_parameters(path: str, operation: dict[str, Any]) -> dict[str, Any] | None:
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/x-www-form-urlencoded", {}).get("schema")
    if schema is None:
        return None
    form = node(schema)
    for owner, name in OWN_CHECKS:
        if owner == path and name in form.get("p", {}):
            kind = form["p"][name].get("t")
            form["p"][name] = (
                {"t": "array", "i": {"t": "string"}} if kind == "array" else {"t": "string"}
            )
    return form


def query_parameters(operation: dict[str, Any]) -> tuple[dict[str, Any], list[str], list[str]]:
    """(query parameters as nodes, the required ones, the path parameters' names)."""
    query: dict[str, Any] = {}
    required: list[str] = []
    path_names: list[str] = []
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "query":
            query[parameter["name"]] = node(parameter.get("schema", {}))
            if parameter.get("required"):
                required.append(parameter["name"])
        elif parameter["in"] == "path":
            path_names.append(parameter["name"])
    return query, required, path_names


def path_order(path: str, names: list[str]) -> list[str]:
    """The path's parameters in the order the path has them (the spec lists them sorted)."""
    return sorted(names, key=lambda name: path.index("{" + name + "}"))


def build_operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    gets: dict[str, list[str]] = {}
    for path, methods in spec["paths"].items():
        if "get" in methods:
            shape, answered = answer_shape(returns(methods["get"]))
            if shape == "object":
                gets[path] = answered
    operations = []
    for path in sorted(spec["paths"]):
        for method in ("get", "post", "delete"):
            operation = spec["paths"][path].get(method)
            if operation is None:
                continue
            shape, answered = answer_shape(returns(operation))
            query, query_required, path_names = query_parameters(operation)
            entry: dict[str, Any] = {
                "method": method.upper(),
                "path": path,
                "id": operation["operationId"],
                "kind": classify(method, path, shape, answered, gets),
                "answers": answered,
                "path_params": path_order(path, path_names),
            }
            if shape == "other":
                entry["answer"] = node(returns(operation))
            if (
                method == "get"
                and shape == "object"
                and "deleted_" in json.dumps(returns(operation))
            ):
                entry["answers_deleted"] = True  # a deleted object answers its stub
            form = form_parameters(path, operation) if method == "post" else None
            if form is not None:
                entry["form"] = form
            if query:
                entry["query"] = query
            if query_required:
                entry["query_required"] = query_required
            if operation.get("deprecated"):
                entry["deprecated"] = True
            operations.append(entry)
    return operations


def sample_defaults(
    schemas: dict[str, Any], schema: dict[str, Any], sample: Any, prefix: str = "", depth: int = 0
) -> dict[str, Any]:
    """The sample's enum and boolean values where the schema allows them, by dotted path:
    which of a status's values a new object starts with, which flags are on. Never its
    ids, amounts, texts or times (placeholders)."""
    found: dict[str, Any] = {}
    if not isinstance(sample, dict) or depth > 3:
        return found
    for key, value in sample.items():
        field = schema.get("properties", {}).get(key)
        if field is None:
            continue
        if "$ref" in field:
            field = schemas[field["$ref"].removeprefix(REF)]
        elif "anyOf" in field and len(field["anyOf"]) == 1 and "$ref" in field["anyOf"][0]:
            field = schemas[field["anyOf"][0]["$ref"].removeprefix(REF)]
        path = f"{prefix}{key}"
        flag = field.get("type") == "boolean" and isinstance(value, bool)
        if flag or (isinstance(value, str) and value in field.get("enum", ()) and value != ""):
            found[path] = value
        elif field.get("type") == "object" and isinstance(value, dict):
            found.update(sample_defaults(schemas, field, value, f"{path}.", depth + 1))
    return found


def sample_prefix(sample: dict[str, Any] | None) -> str | None:
    if not isinstance(sample, dict) or not isinstance(sample.get("id"), str):
        return None
    match = _SAMPLE_ID.match(sample["id"])
    if match is None or match.group(1) in _PLACEHOLDER_PREFIXES:
        return None
    return match.group(1)


def build_resources(
    spec: dict[str, Any], samples: dict[str, Any], operations: list[dict[str, Any]]
) -> dict[str, Any]:
    schemas = spec["components"]["schemas"]
    retrieve_paths: dict[str, str] = {}
    for op in operations:
        if op["kind"] == "retrieve" and op["path"].endswith("}") and len(op["answers"]) == 1:
            name = op["answers"][0]
            current = retrieve_paths.get(name)
            # The shortest path is the resource's own (/v1/customers/{customer}), not a
            # nested one (/v1/customers/{customer}/tax_ids/{id}).
            if current is None or op["path"].count("/") < current.count("/"):
                retrieve_paths[name] = op["path"]
    resources: dict[str, Any] = {}
    for name, schema in sorted(schemas.items()):
        value = object_value(schema)
        properties = schema.get("properties", {})
        if value is None or "id" not in properties or name.startswith("deleted_"):
            continue
        sample = samples.get(name) or samples.get(value)
        prefix = PREFIXES.get(value) or sample_prefix(sample)
        if prefix is None:
            prefix = re.sub(r"[^a-z]", "", value.split(".")[-1])[:6] or "obj"
        deleted = f"deleted_{name}" if f"deleted_{name}" in schemas else None
        required = schema.get("required", ())
        if isinstance(sample, dict):
            # The sample's keys: what Stripe sends by default (includable fields are not).
            fields = [key for key in properties if key in sample or key in required]
        else:
            fields = [
                key for key, each in properties.items()
                if key in required or each.get("nullable")
            ]  # fmt: skip
        entry: dict[str, Any] = {"object": value, "prefix": prefix, "fields": fields}
        defaults = sample_defaults(schemas, schema, sample)
        defaults.pop("object", None)
        defaults.pop("livemode", None)
        if defaults:
            entry["defaults"] = defaults
        if name in retrieve_paths:
            entry["path"] = retrieve_paths[name]
        if deleted:
            entry["deleted"] = deleted
        resources[name] = entry
    return resources


def generate(reference: Path, out: Path) -> list[Path]:
    source = reference / "stripe-openapi"
    spec = json.loads((source / "spec3.json").read_text())
    samples = json.loads((source / "fixtures3.json").read_text())["resources"]
    operations = build_operations(spec)
    data = {
        "_about": {
            "generated_by": "scripts/generate_api.py (do not edit by hand)",
            "source": f"stripe/openapi spec3.json {spec['info']['version']}",
            "license": "MIT, Copyright (c) Stripe, Inc.; full notice in LICENSE-stripe-openapi",
        },
        "version": spec["info"]["version"],
        "operations": operations,
        "resources": build_resources(spec, samples, operations),
        "schemas": {
            name: node(schema) for name, schema in sorted(spec["components"]["schemas"].items())
        },
    }
    out.mkdir(parents=True, exist_ok=True)
    target = out / "api.json"
    target.write_text(json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n")
    licence = out / "LICENSE-stripe-openapi"
    shutil.copyfile(source / "LICENSE", licence)
    return [target, licence]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    for path in generate(args.reference, args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
