#!/usr/bin/env python3
"""Generate appevents' catalog data from Stripe's published facts.

Inputs (read here only; the package never reads them at run time):

- ``<reference>/event-permissions.tsv``: Stripe's "Event permissions" table
  (event type or ``prefix.*`` -> permissions, ``|`` = any one of);
- ``<reference>/stripe-apps/*.schema.json`` and ``LICENSE``: the official manifest schemas (MIT);
- ``<reference>/stripe-openapi/fixtures3.json`` and ``LICENSE``: Stripe's sample objects (MIT);
- ``<reference>/stripe-openapi/spec3.json``: Stripe's OpenAPI description (MIT), for what the
  samples cannot tell: which fields are nullable, which are timestamps, the statuses;
- the installed ``stripe`` library: the v1 event types it accepts in ``enabled_events`` (parsed
  from its source, not imported), and the field names of the few resources fixtures3 lacks.

Outputs, in ``src/appevents/catalog/data/`` (or ``--out DIR``): ``events.json``,
``permissions.json``, ``samples.json``, ``objects.json``, ``thin_events.json`` (the v2 thin
event types and objects: scripts/thin_catalog.py), the two schemas copied verbatim, and both
licences.

    .venv/bin/python scripts/generate_catalog.py [--reference DIR] [--out DIR]

``--reference`` defaults to ``scripts/catalog-sources/`` (committed; its README says where
each file comes from).

``tests/catalog/test_generated_data.py`` regenerates into a temp dir and compares byte-for-byte.
"""

from __future__ import annotations

import argparse
import ast
import csv
import importlib.util
import json
import shutil
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_REFERENCE = REPO / "scripts" / "catalog-sources"
DEFAULT_OUT = REPO / "src" / "appevents" / "catalog" / "data"

PERMISSIONS_PAGE = "https://docs.stripe.com/stripe-apps/reference/permissions"

# The docs' list of object permissions (stripe-apps/reference/permissions), transcribed because
# the page is not machine-readable; the schema enum lags behind it (no review_read, no terminal_*).
DOCUMENTED_PERMISSIONS = tuple(
    """
connected_account_read account_link_write apple_pay_domain_read apple_pay_domain_write
application_fee_read application_fee_write balance_read balance_transaction_source_read
billing_clock_read billing_clock_write billing_meter_read billing_meter_write charge_read
charge_write checkout_session_read checkout_session_write terminal_configuration_read
terminal_configuration_write confirmation_token_read confirmation_token_client_write
terminal_connection_token_write coupon_read coupon_write credit_note_read credit_note_write
customer_portal_read customer_portal_write customer_read customer_write dispute_read
dispute_write edit_link_write elements_write entitlement_read event_read file_read file_write
invoice_read invoice_write issuing_authorization_read issuing_authorization_write
issuing_card_read issuing_card_write issuing_cardholder_read issuing_cardholder_write
issuing_dispute_read issuing_dispute_write issuing_transaction_read issuing_transaction_write
terminal_location_read terminal_location_write mandate_read mandate_write order_read order_write
payment_intent_read payment_intent_write payment_links_read payment_links_write
payment_method_read payment_method_write payout_read payout_write plan_read plan_write
product_read product_write promotion_code_read promotion_code_write quote_read quote_write
terminal_reader_read terminal_reader_write report_runs_and_report_types_read review_read
review_write secret_write setup_intent_read setup_intent_write shipping_rate_read
shipping_rate_write sku_read sku_write source_read source_write subscription_read
subscription_write tax_rate_read tax_rate_write tax_settings_read tax_settings_write
tax_calculations_and_transactions_read tax_calculations_and_transactions_write token_read
token_write top_up_read top_up_write transfer_read transfer_write usage_record_read
usage_record_write user_email_read webhook_read webhook_write
""".split()  # noqa: SIM905 - one long literal reads worse
)

# Misspellings in the official schema's enum -> the names Stripe's docs and API use.
SCHEMA_TYPOS = {
    "apply_pay_domain_read": "apple_pay_domain_read",
    "apply_pay_domain_write": "apple_pay_domain_write",
    "shpping_rate_write": "shipping_rate_write",
}

# Event-type prefix -> the `object` of data.object, where it is not the prefix itself
# (checked against the SDK's thin-event classes by tests/catalog/test_event_catalog.py).
OBJECT_BY_PREFIX = {
    "account.application": "application",
    # Stripe sends a bank_account or a card; fixtures3's external_account is a bank_account.
    "account.external_account": "bank_account",
    "application_fee.refund": "fee_refund",
    # The event carries the "alert triggered" record (fixtures3 billing.alert_triggered).
    "billing.alert": "billing.alert_triggered",
    "charge.dispute": "dispute",
    "charge.refund": "refund",
    "customer.discount": "discount",
    # A customer's payment source; card is the common case (bank_account and source also occur).
    "customer.source": "card",
    "customer.subscription": "subscription",
    "customer.tax_id": "tax_id",
    "sigma.scheduled_query_run": "scheduled_query_run",
    "source.transaction": "source_transaction",
}
OBJECT_BY_EVENT_TYPE = {"source.mandate_notification": "source_mandate_notification"}

# For event types the table lacks: a resource whose read permission is named differently, or a
# sub-resource readable through its parent's permission.
READ_PERMISSION_BY_OBJECT = {
    "topup": "top_up_read",
    "payment_link": "payment_links_read",
    "capability": "connected_account_read",  # a connected account's capability
    "balance_settings": "balance_read",
    "invoice_payment": "invoice_read",  # a payment of an invoice
    "issuing.token": "issuing_card_read",  # a wallet token of an issuing card
    "source_transaction": "source_read",
    "source_mandate_notification": "source_read",
}

# The permission to recommend when none is named after the event's resource.
RECOMMENDED_BY_OBJECT = {
    "billing_portal.configuration": "customer_portal_read",
    "billing_portal.session": "customer_portal_read",
    "customer_cash_balance_transaction": "customer_read",
    "invoiceitem": "invoice_read",
    "price": "plan_read",
    "subscription_schedule": "subscription_read",
    "test_helpers.test_clock": "billing_clock_read",
    "topup": "top_up_read",
}


def about(source: str, licence_file: str | None) -> dict[str, str]:
    header = {
        "generated_by": "scripts/generate_catalog.py (do not edit by hand)",
        "source": source,
    }
    if licence_file:
        header["license"] = f"MIT, Copyright (c) Stripe, Inc.; full notice in {licence_file}"
    return header


def dump(data: Any) -> bytes:
    return (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode()


def stripe_package_dir() -> Path:
    spec = importlib.util.find_spec("stripe")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("the stripe library is not installed: pip install -e '.[dev]'")
    return Path(next(iter(spec.submodule_search_locations)))


def stripe_version(stripe_dir: Path) -> str:
    tree = ast.parse((stripe_dir / "_version.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            return str(node.value.value)
    sys.exit(f"no VERSION in {stripe_dir / '_version.py'}")


def sdk_event_types(stripe_dir: Path) -> list[str]:
    """The Literal of WebhookEndpointCreateParams.enabled_events, minus "*"."""
    source = stripe_dir / "params" / "_webhook_endpoint_create_params.py"
    for node in ast.walk(ast.parse(source.read_text())):
        target = getattr(node, "target", None)
        if isinstance(node, ast.AnnAssign) and getattr(target, "id", None) == "enabled_events":
            names = {
                n.value
                for n in ast.walk(node.annotation)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            }
            return sorted(names - {"*"})
    sys.exit(f"no enabled_events Literal in {source}; has stripe-python changed its layout?")


def sdk_resource_fields(stripe_dir: Path, object_name: str) -> list[str]:
    """Top-level field names of the SDK class for `object_name` (fixtures3 lacks a few)."""
    registry = ast.parse((stripe_dir / "_object_classes.py").read_text())
    for node in ast.walk(registry):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == object_name:
                    module, class_name = ast.literal_eval(value)
                    break
            else:
                continue
            break
    else:
        sys.exit(f"the stripe library has no class for {object_name!r}")
    path = stripe_dir.joinpath(*module.split(".")[1:]).with_suffix(".py")
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            return sorted(
                stmt.target.id
                for stmt in node.body
                if isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and not stmt.target.id.isupper()  # OBJECT_NAME and other ClassVars
            )
    sys.exit(f"no class {class_name} in {path}")


def read_event_table(reference: Path) -> dict[str, tuple[str, ...]]:
    with (reference / "event-permissions.tsv").open(newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return {
        row["event_type_or_prefix"].strip(): tuple(p for p in row["permission"].split("|") if p)
        for row in rows
    }


def object_type(event_type: str) -> str:
    if event_type in OBJECT_BY_EVENT_TYPE:
        return OBJECT_BY_EVENT_TYPE[event_type]
    prefix = event_type.rsplit(".", 1)[0]
    if prefix in OBJECT_BY_PREFIX:
        return OBJECT_BY_PREFIX[prefix]
    if prefix.startswith("issuing_"):  # issuing_card.created carries an issuing.card
        return "issuing." + prefix.removeprefix("issuing_")
    return prefix


def documented_permissions(
    event_type: str, table: dict[str, tuple[str, ...]]
) -> tuple[str, ...] | None:
    """The table's row for the event: exact first, then the longest matching `prefix.*`."""
    if event_type in table:
        return table[event_type]
    prefixes = [key for key in table if key.endswith("*") and event_type.startswith(key[:-1])]
    return table[max(prefixes, key=len)] if prefixes else None


def infer_permissions(
    event_type: str, obj: str, documented: dict[str, tuple[str, ...]], known: set[str]
) -> tuple[str, ...]:
    # 1. Siblings (same prefix) that the table documents and that agree with each other.
    prefix = event_type.rsplit(".", 1)[0]
    sibling_sets = {
        perms for other, perms in documented.items() if other.rsplit(".", 1)[0] == prefix
    }
    if len(sibling_sets) == 1:
        return next(iter(sibling_sets))
    # 2. The resource's own read permission.
    own = obj.replace(".", "_") + "_read"
    if own in known:
        return (own,)
    alias = READ_PERMISSION_BY_OBJECT.get(obj)
    return (alias,) if alias in known else ()


def recommended_permission(obj: str, event_type: str, permissions: tuple[str, ...]) -> str | None:
    if not permissions:
        return None
    if RECOMMENDED_BY_OBJECT.get(obj) in permissions:
        return RECOMMENDED_BY_OBJECT[obj]

    def squash(name: str) -> str:
        return name.replace("_", "").replace(".", "").removesuffix("s")

    wanted = {squash(obj), squash(event_type.rsplit(".", 1)[0])}
    for permission in permissions:
        if squash(permission.removesuffix("_read")) in wanted:
            return permission
    return permissions[0]


def build_permissions(reference: Path, table: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    schema = json.loads((reference / "stripe-apps" / "stripe-app.schema.json").read_text())
    enum = schema["properties"]["permissions"]["items"]["properties"]["permission"]["enum"]
    sources: dict[str, set[str]] = {}
    for name in enum:
        sources.setdefault(SCHEMA_TYPOS.get(name, name), set()).add("schema")
    for name in DOCUMENTED_PERMISSIONS:
        sources.setdefault(name, set()).add("docs")
    for perms in table.values():
        for name in perms:
            sources.setdefault(name, set()).add("event_table")
    return {
        "_about": {
            **about(f"{PERMISSIONS_PAGE}; stripe-app.schema.json; event-permissions.tsv", None),
            "sources": "schema = the manifest schema's enum, docs = the permissions page, "
            "event_table = named by the event permissions table",
        },
        "permissions": {name: {"sources": sorted(sources[name])} for name in sorted(sources)},
        "aliases": dict(sorted(SCHEMA_TYPOS.items())),
    }


def build_events(
    event_types: list[str], table: dict[str, tuple[str, ...]], known: set[str], version: str
) -> dict[str, Any]:
    all_types = sorted(set(event_types) | {t for t in table if not t.endswith("*")})
    documented: dict[str, tuple[str, ...]] = {}
    for event_type in all_types:
        perms = documented_permissions(event_type, table)
        if perms is not None:
            documented[event_type] = perms
    events: dict[str, Any] = {}
    for event_type in all_types:
        obj = object_type(event_type)
        if event_type in documented:
            perms, source = documented[event_type], "documented"
        else:
            perms, source = infer_permissions(event_type, obj, documented, known), "inferred"
        events[event_type] = {
            "object": obj,
            "permissions": list(perms),
            "permissions_source": source,
            "recommended_permission": recommended_permission(obj, event_type, perms),
        }
    return {
        "_about": {
            **about(
                f"event types: stripe-python {version} (WebhookEndpoint enabled_events); "
                f"permissions: {PERMISSIONS_PAGE}#event-permissions",
                None,
            ),
            "stripe_python_version": version,
            "permissions_source": "documented = the event permissions table; inferred = the "
            "table lacks the type: documented siblings, else the resource's own read permission",
        },
        "events": events,
    }


def build_samples(reference: Path, objects: set[str], stripe_dir: Path) -> dict[str, Any]:
    fixtures = json.loads((reference / "stripe-openapi" / "fixtures3.json").read_text())
    samples: dict[str, Any] = dict(sorted(fixtures["resources"].items()))
    synthesized = sorted(objects - samples.keys())
    for obj in synthesized:
        fields = dict.fromkeys(sdk_resource_fields(stripe_dir, obj))
        fields.update(
            id=obj.replace(".", "_") + "_123",
            object=obj,
            livemode=False,
            **({"created": 1234567890} if "created" in fields else {}),
            **({"metadata": {}} if "metadata" in fields else {}),
        )
        samples[obj] = fields
    return {
        "_about": {
            **about("stripe/openapi fixtures3.json", "LICENSE-stripe-openapi"),
            "synthesized": "resources fixtures3 lacks, skeletons built from the stripe library's "
            "field names: " + ", ".join(synthesized),
        },
        "samples": dict(sorted(samples.items())),
    }


def object_schemas(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Resource name (its ``object`` value) -> its component schema; a resource and its
    ``deleted_`` twin share the value, and the resource's own schema wins."""
    found: dict[str, dict[str, Any]] = {}
    for name, schema in sorted(spec["components"]["schemas"].items()):
        values = schema.get("properties", {}).get("object", {}).get("enum", [])
        if len(values) == 1 and (values[0] not in found or name == values[0]):
            found[values[0]] = schema
    return found


def nullable_paths(spec: dict[str, Any], schema: dict[str, Any], depth: int = 3) -> list[str]:
    """Dotted paths of the nullable fields of ``schema``, into nested objects (``$ref`` or
    inline, not lists) down to ``depth`` levels: ``billing_details.name``."""
    schemas = spec["components"]["schemas"]

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = schemas[node["$ref"].rsplit("/", 1)[-1]]
        if len(node.get("anyOf", [])) == 1:
            return resolve(node["anyOf"][0])
        return node

    found: list[str] = []

    def walk(node: dict[str, Any], prefix: str, level: int) -> None:
        for name, field in node.get("properties", {}).items():
            path = prefix + name
            if field.get("nullable"):
                found.append(path)
                continue  # a null object has no fields to null
            inner = resolve(field)
            embedded = "properties" in inner and "object" not in inner["properties"]
            if level < depth and inner.get("type") == "object" and embedded:
                walk(inner, path + ".", level + 1)  # a struct inside, not another resource

    walk(schema, "", 1)
    return sorted(found)


def build_objects(reference: Path, resources: list[str]) -> dict[str, Any]:
    """For each sampled resource the spec describes: its nullable fields (dotted paths),
    its top-level timestamp fields (``format: unix-time``) and its statuses."""
    spec = json.loads((reference / "stripe-openapi" / "spec3.json").read_text())
    schemas = object_schemas(spec)
    objects: dict[str, Any] = {}
    for resource in resources:
        schema = schemas.get(resource)
        if schema is None:
            continue
        properties: dict[str, Any] = schema.get("properties", {})
        status = properties.get("status", {})
        objects[resource] = {
            "nullable": nullable_paths(spec, schema),
            "timestamps": sorted(
                k for k, v in properties.items() if v.get("format") == "unix-time"
            ),
            "statuses": sorted(status.get("enum", [])),
        }
    return {
        "_about": {
            **about(
                f"stripe/openapi spec3.json {spec['info']['version']}", "LICENSE-stripe-openapi"
            ),
            "missing": "resources newer than the spec: "
            + ", ".join(r for r in resources if r not in objects),
        },
        "objects": objects,
    }


def _thin_catalog() -> Any:
    """scripts/thin_catalog.py, beside this script (run as a file, not from a package)."""
    path = Path(__file__).with_name("thin_catalog.py")
    spec = importlib.util.spec_from_file_location("thin_catalog", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def generate(reference: Path, out: Path) -> list[Path]:
    stripe_dir = stripe_package_dir()
    version = stripe_version(stripe_dir)
    table = read_event_table(reference)
    permissions = build_permissions(reference, table)
    known = set(permissions["permissions"])
    events = build_events(sdk_event_types(stripe_dir), table, known, version)
    objects = {info["object"] for info in events["events"].values()}
    samples = build_samples(reference, objects, stripe_dir)
    facts = build_objects(reference, list(samples["samples"]))
    thin = _thin_catalog().build_thin_events(stripe_dir, events["events"], about)

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in (
        ("events.json", events),
        ("permissions.json", permissions),
        ("samples.json", samples),
        ("objects.json", facts),
        ("thin_events.json", thin),
    ):
        (out / name).write_bytes(dump(data))
        written.append(out / name)
    copies = {
        "stripe-app.schema.json": reference / "stripe-apps" / "stripe-app.schema.json",
        "stripe-app-local.schema.json": reference / "stripe-apps" / "stripe-app-local.schema.json",
        "LICENSE-stripe-apps": reference / "stripe-apps" / "LICENSE",
        "LICENSE-stripe-openapi": reference / "stripe-openapi" / "LICENSE",
    }
    for name, source in copies.items():
        shutil.copyfile(source, out / name)
        (out / name).chmod(0o644)
        written.append(out / name)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if not (args.reference / "event-permissions.tsv").is_file():
        parser.error(f"{args.reference} has no event-permissions.tsv; pass --reference DIR")
    for path in generate(args.reference, args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
