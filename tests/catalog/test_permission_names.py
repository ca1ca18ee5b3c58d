"""The official permission names, with the schema's typos as aliases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appevents import catalog
from appevents.errors import UnknownName


def test_names_cover_the_schema_enum_with_typos_corrected(reference_dir: Path) -> None:
    schema = json.loads((reference_dir / "stripe-apps" / "stripe-app.schema.json").read_text())
    enum = schema["properties"]["permissions"]["items"]["properties"]["permission"]["enum"]
    typos = {"apply_pay_domain_read", "apply_pay_domain_write", "shpping_rate_write"}
    names = set(catalog.permission_names())
    assert set(enum) - typos <= names
    assert typos.isdisjoint(names)
    assert {"apple_pay_domain_read", "apple_pay_domain_write", "shipping_rate_write"} <= names


def test_event_table_only_names_are_known() -> None:
    for name in ("issuing_card_sensitive_read", "funding_instruction_read"):
        assert name in catalog.permission_names()
        assert catalog.permission_sources(name) == ("event_table",)
    assert catalog.permission_sources("stripecli_session_write") == ("schema",)
    assert catalog.permission_sources("review_read") == ("docs", "event_table")
    assert catalog.permission_sources("event_read") == ("docs", "event_table", "schema")


def test_aliases_resolve_to_correct_spellings() -> None:
    assert catalog.permission_aliases() == {
        "apply_pay_domain_read": "apple_pay_domain_read",
        "apply_pay_domain_write": "apple_pay_domain_write",
        "shpping_rate_write": "shipping_rate_write",
    }
    assert catalog.canonical_permission("shpping_rate_write") == "shipping_rate_write"
    assert catalog.canonical_permission("apply_pay_domain_read") == "apple_pay_domain_read"
    assert catalog.canonical_permission("event_read") == "event_read"
    assert catalog.is_known_permission("apply_pay_domain_write")


def test_names_are_sorted_and_unique() -> None:
    names = catalog.permission_names()
    assert list(names) == sorted(set(names))
    assert len(names) == 108


def test_unknown_permission_suggests_closest() -> None:
    with pytest.raises(UnknownName) as info:
        catalog.canonical_permission("payment_intents_read")
    assert info.value.kind == "permission"
    assert info.value.suggestions[0] == "payment_intent_read"
    assert "did you mean 'payment_intent_read'" in str(info.value)
