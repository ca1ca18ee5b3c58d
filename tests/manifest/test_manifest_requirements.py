"""Which permissions an app needs for its events, and which a manifest lacks."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from appevents.errors import UnknownName
from appevents.manifest import (
    EventSelection,
    Manifest,
    PermissionNeed,
    check_app_permissions,
    default_purpose,
    missing_permissions,
    required_permissions,
)

BASE = {"id": "com.example.app", "version": "1", "name": "A", "icon": "", "permissions": []}


def manifest_with(*names: str) -> Manifest:
    data = copy.deepcopy(BASE)
    data["permissions"] = [{"permission": n, "purpose": "x"} for n in names]
    return Manifest("stripe-app.json", data)


def test_required_permissions_for_the_guides_events() -> None:
    assert required_permissions(["payment_intent.succeeded", "setup_intent.succeeded"]) == [
        PermissionNeed("event_read", ("payment_intent.succeeded", "setup_intent.succeeded")),
        PermissionNeed(
            "payment_intent_read", ("payment_intent.succeeded",), ("checkout_session_read",)
        ),
        PermissionNeed(
            "setup_intent_read", ("setup_intent.succeeded",), ("checkout_session_read",)
        ),
    ]


def test_an_alternative_already_granted_satisfies_the_event() -> None:
    manifest = manifest_with("event_read", "checkout_session_read")
    assert missing_permissions(manifest, ["payment_intent.succeeded", "setup_intent.*"]) == []


def test_missing_groups_events_by_permission() -> None:
    manifest = manifest_with("event_read")
    needs = missing_permissions(
        manifest, ["charge.succeeded", "charge.dispute.created", "refund.created"]
    )
    assert needs == [
        PermissionNeed("charge_read", ("charge.succeeded", "refund.created")),
        PermissionNeed("dispute_read", ("charge.dispute.created",)),
    ]


def test_event_read_alone_delivers_app_lifecycle_events() -> None:
    assert missing_permissions(manifest_with("event_read"), ["account.application.*"]) == []
    assert required_permissions(["account.application.authorized"]) == [
        PermissionNeed("event_read", ("account.application.authorized",))
    ]


def test_wildcard_needs_event_read_only() -> None:
    assert required_permissions(["*"]) == [PermissionNeed("event_read", ("*",))]
    assert missing_permissions(manifest_with("event_read"), ["*"]) == []
    needs = required_permissions(["*", "payout.paid"])
    assert needs[0] == PermissionNeed("event_read", ("payout.paid", "*"))
    assert needs[1].permission == "payout_read"


def test_alternatives_are_those_shared_by_every_grouped_event() -> None:
    needs = missing_permissions(
        manifest_with("event_read"), ["invoice.paid", "invoiceitem.created"]
    )
    assert needs == [
        PermissionNeed(
            "invoice_read",
            ("invoice.paid", "invoiceitem.created"),
            ("credit_note_read", "quote_read"),
        )
    ]


def test_a_schema_typo_in_the_manifest_counts_as_granted() -> None:
    manifest = manifest_with("apply_pay_domain_read")
    assert manifest.has_permission("apple_pay_domain_read")


def test_event_selection() -> None:
    selection = EventSelection.expand(["payout.*", "payout.paid", "*", "climate.order.created"])
    assert selection.wildcard
    assert selection.event_types[0] == "payout.canceled"
    assert selection.event_types.count("payout.paid") == 1
    assert selection.without_known_permission == ("climate.order.created",)
    with pytest.raises(UnknownName):
        EventSelection.expand(["payout.payed"])


@pytest.mark.parametrize(
    ("permission", "purpose"),
    [
        ("event_read", "Read webhook event data"),
        ("checkout_session_read", "Read Checkout Session data in webhook events"),
        ("payment_intent_read", "Read PaymentIntent data in webhook events"),
        ("setup_intent_read", "Read SetupIntent data in webhook events"),
        ("connected_account_read", "Read Connected Account data in webhook events"),
        ("charge_write", "Write Charge data"),
    ],
)
def test_default_purposes_follow_stripes_guide(permission: str, purpose: str) -> None:
    assert default_purpose(permission) == purpose


def test_grant_command() -> None:
    need = PermissionNeed("payment_intent_read", ("payment_intent.succeeded",))
    assert need.grant_command() == (
        "appevents apps grant permission payment_intent_read "
        '"Read PaymentIntent data in webhook events"'
    )
    assert need.grant_command("stripe-app.json") == need.grant_command()
    assert need.grant_command("app/stripe-app.json").endswith(" --manifest app/stripe-app.json")


def test_check_app_permissions_returns_warning_lines(tmp_path: Path) -> None:
    path = tmp_path / "stripe-app.json"
    path.write_text(
        json.dumps({**BASE, "permissions": [{"permission": "event_read", "purpose": "x"}]})
    )
    lines = check_app_permissions(path, ["payment_intent.succeeded", "account.application.*"])
    assert lines == [
        "stripe-app.json does not grant payment_intent_read (or checkout_session_read), so Stripe "
        "will not send payment_intent.succeeded to the app; fix: appevents apps grant permission "
        f'payment_intent_read "Read PaymentIntent data in webhook events" --manifest {path}'
    ]
    assert check_app_permissions(path, ["account.application.authorized", "*"]) == []


def test_check_app_permissions_never_raises(tmp_path: Path) -> None:
    (missing,) = check_app_permissions(tmp_path / "stripe-app.json", ["charge.succeeded"])
    assert missing.startswith("cannot check the app's permissions: ")
    assert "no such file" in missing
    path = tmp_path / "stripe-app.json"
    path.write_text(json.dumps(BASE))
    (unknown,) = check_app_permissions(path, ["charge.succeded"])
    assert "unknown event type 'charge.succeded'; did you mean 'charge.succeeded'" in unknown
    lines = check_app_permissions(path, ["climate.order.created"])
    assert lines[-1].startswith("no permission is known to deliver climate.order.created")
