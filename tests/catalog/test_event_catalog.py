"""Event types, their objects and their permissions."""

from __future__ import annotations

import ast
import csv
import importlib
import importlib.util
import re
from pathlib import Path

import pytest

from appevents import catalog
from appevents.errors import ConfigurationError, UnknownName


def stripe_dir() -> Path:
    spec = importlib.util.find_spec("stripe")
    assert spec and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations)))


def sdk_enabled_events() -> set[str]:
    source = stripe_dir() / "params" / "_webhook_endpoint_create_params.py"
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "enabled_events":
            return {
                n.value
                for n in ast.walk(node.annotation)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            } - {"*"}
    raise AssertionError("enabled_events not found")


def test_catalog_covers_every_event_type_the_stripe_library_lists() -> None:
    sdk = sdk_enabled_events()
    assert len(sdk) >= 260
    assert sdk - set(catalog.event_types()) == set()


def test_every_documented_row_of_the_table_is_honoured(reference_dir: Path) -> None:
    with (reference_dir / "event-permissions.tsv").open(newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    assert len(rows) == 162
    for row in rows:
        key = row["event_type_or_prefix"]
        expected = tuple(p for p in row["permission"].split("|") if p)
        types = catalog.event_types(key) if key.endswith("*") else [key]
        for event_type in types:
            info = catalog.event_info(event_type)
            assert info.permissions == expected, event_type
            assert info.permissions_source == "documented", event_type


def test_types_missing_from_the_table_are_marked_inferred(reference_dir: Path) -> None:
    with (reference_dir / "event-permissions.tsv").open(newline="") as f:
        documented = {row["event_type_or_prefix"] for row in csv.DictReader(f, delimiter="\t")}
    for event_type in catalog.event_types():
        info = catalog.event_info(event_type)
        assert info.documented == (event_type in documented), event_type


@pytest.mark.parametrize(
    ("event_type", "object_type"),
    [
        ("payment_intent.succeeded", "payment_intent"),
        ("charge.succeeded", "charge"),
        ("charge.dispute.created", "dispute"),
        ("charge.refund.updated", "refund"),
        ("account.application.authorized", "application"),
        ("account.application.deauthorized", "application"),
        ("account.updated", "account"),
        ("account.external_account.created", "bank_account"),
        ("person.updated", "person"),
        ("checkout.session.completed", "checkout.session"),
        ("billing_portal.session.created", "billing_portal.session"),
        ("issuing_card.created", "issuing.card"),
        ("customer.subscription.updated", "subscription"),
        ("customer.discount.deleted", "discount"),
        ("application_fee.refund.updated", "fee_refund"),
        ("sigma.scheduled_query_run.created", "scheduled_query_run"),
        ("source.mandate_notification", "source_mandate_notification"),
        ("source.transaction.created", "source_transaction"),
        ("topup.succeeded", "topup"),
        ("tax.settings.updated", "tax.settings"),
    ],
)
def test_object_types_are_stripes_object_values(event_type: str, object_type: str) -> None:
    assert catalog.object_type_for(event_type) == object_type
    assert catalog.sample_object(object_type)["object"] == object_type


def test_object_types_agree_with_the_sdks_thin_event_classes() -> None:
    """stripe-python's v1 thin-event classes name the related object's class for most types."""
    exceptions = {"billing.alert.triggered": "billing.alert"}  # the related object, not payload
    events_dir = stripe_dir() / "events"
    compared = 0
    for event_type in catalog.event_types():
        path = events_dir / ("_v1_" + event_type.replace(".", "_") + "_event.py")
        if not path.exists():
            continue
        text = path.read_text()
        returned = re.search(r'def fetch_related_object\(self\) -> "(\w+)"', text)
        if not returned:
            continue
        imported = re.search(rf"from (stripe[\w.]*) import \(?\s*{returned.group(1)}\b", text)
        assert imported, event_type
        cls = getattr(importlib.import_module(imported.group(1)), returned.group(1))
        expected = exceptions.get(event_type, catalog.object_type_for(event_type))
        sdk_object: str = cls.OBJECT_NAME
        assert sdk_object == expected, event_type
        compared += 1
    assert compared > 200


def test_permissions_for_payment_intent() -> None:
    info = catalog.event_info("payment_intent.succeeded")
    assert info.permissions == ("checkout_session_read", "payment_intent_read")
    assert info.recommended_permission == "payment_intent_read"
    assert info.permissions_source == "documented"
    assert catalog.permissions_for("account.application.authorized") == ("event_read",)
    assert catalog.permissions_for("sigma.scheduled_query_run.created") == ()


@pytest.mark.parametrize(
    ("event_type", "permissions", "recommended"),
    [
        ("issuing_card.created", ("issuing_card_read",), "issuing_card_read"),
        ("invoice.overpaid", ("credit_note_read", "invoice_read", "quote_read"), "invoice_read"),
        ("terminal.reader.action_updated", ("terminal_reader_read",), "terminal_reader_read"),
        ("capability.updated", ("connected_account_read",), "connected_account_read"),
        ("billing.meter.created", ("billing_meter_read",), "billing_meter_read"),
        ("treasury.received_credit.created", (), None),
        ("climate.order.created", (), None),
    ],
)
def test_inferred_permissions(
    event_type: str, permissions: tuple[str, ...], recommended: str | None
) -> None:
    info = catalog.event_info(event_type)
    assert info.permissions_source == "inferred"
    assert info.permissions == permissions
    assert info.recommended_permission == recommended


@pytest.mark.parametrize(
    ("event_type", "recommended"),
    [
        ("customer.subscription.created", "subscription_read"),
        ("subscription_schedule.created", "subscription_read"),
        ("charge.dispute.closed", "dispute_read"),
        ("product.created", "product_read"),
        ("billing_portal.session.created", "customer_portal_read"),
        ("topup.created", "top_up_read"),
        ("payment_link.created", "payment_links_read"),
        ("invoiceitem.created", "invoice_read"),
        ("mandate.updated", "mandate_read"),
        ("setup_intent.succeeded", "setup_intent_read"),
    ],
)
def test_recommended_permission_is_named_after_the_resource(
    event_type: str, recommended: str
) -> None:
    assert catalog.event_info(event_type).recommended_permission == recommended


def test_every_permission_an_event_names_is_a_known_permission() -> None:
    for event_type in catalog.event_types():
        for permission in catalog.permissions_for(event_type):
            assert catalog.is_known_permission(permission), (event_type, permission)


def test_event_info_is_frozen() -> None:
    info = catalog.event_info("charge.succeeded")
    with pytest.raises(AttributeError):
        info.object_type = "x"  # type: ignore[misc]


def test_event_types_matching() -> None:
    assert catalog.event_types("setup_intent.*") == [
        "setup_intent.canceled",
        "setup_intent.created",
        "setup_intent.requires_action",
        "setup_intent.setup_failed",
        "setup_intent.succeeded",
    ]
    assert catalog.event_types("charge.succeeded") == ["charge.succeeded"]
    charge = catalog.event_types("charge.*")
    assert "charge.dispute.created" in charge and "charge.captured" in charge
    assert catalog.event_types("charge.dispute.*") == [
        "charge.dispute.closed",
        "charge.dispute.created",
        "charge.dispute.funds_reinstated",
        "charge.dispute.funds_withdrawn",
        "charge.dispute.updated",
    ]
    everything = catalog.event_types("*")
    assert everything == sorted(everything) and len(everything) == len(set(everything)) >= 260
    assert catalog.is_known_event_type("payout.paid")
    assert not catalog.is_known_event_type("payout.*")


def test_unknown_event_type_suggests_close_names() -> None:
    with pytest.raises(UnknownName) as info:
        catalog.permissions_for("payment_intent.succeded")
    assert info.value.kind == "event type"
    assert info.value.name == "payment_intent.succeded"
    assert info.value.suggestions[0] == "payment_intent.succeeded"
    with pytest.raises(UnknownName) as pattern:
        catalog.event_types("paymentintent.*")
    assert pattern.value.kind == "event type pattern"
    assert pattern.value.suggestions[0] == "payment_intent.*"


@pytest.mark.parametrize("pattern", ["*.succeeded", "payment_*", "charge.*.created", "charge*"])
def test_unsupported_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(ConfigurationError, match="unsupported event type pattern"):
        catalog.event_types(pattern)
