"""Sample objects per resource, from Stripe's fixtures."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from appevents import catalog
from appevents.errors import UnknownName


def test_every_event_object_type_has_a_sample() -> None:
    for event_type in catalog.event_types():
        obj = catalog.object_type_for(event_type)
        assert catalog.sample_object(obj)["object"] == obj, event_type


def test_samples_come_from_fixtures3(reference_dir: Path) -> None:
    fixtures = json.loads((reference_dir / "stripe-openapi" / "fixtures3.json").read_text())
    assert catalog.sample_object("payment_intent") == fixtures["resources"]["payment_intent"]
    assert catalog.sample_object("application") == {
        "id": "obj_123",
        "name": None,
        "object": "application",
    }


def test_sample_object_returns_a_fresh_deep_copy() -> None:
    first = catalog.sample_object("charge")
    first["metadata"]["order"] = "changed"
    first["amount"] = -1
    second = catalog.sample_object("charge")
    assert second["metadata"] == {}
    assert second["amount"] != -1


def test_resources_missing_from_fixtures_are_synthesized_skeletons() -> None:
    install = catalog.sample_object("apps.install")
    assert install["object"] == "apps.install"
    assert install["id"] == "apps_install_123"
    assert install["livemode"] is False
    assert "permissions_granted" in install and "OBJECT_NAME" not in install


def test_data_carries_the_licence_notice() -> None:
    data = resources.files("appevents.catalog").joinpath("data")
    samples = json.loads(data.joinpath("samples.json").read_text())
    assert "MIT" in samples["_about"]["license"]
    assert "LICENSE-stripe-openapi" in samples["_about"]["license"]
    assert "Stripe, Inc." in data.joinpath("LICENSE-stripe-openapi").read_text()
    assert "Stripe, Inc." in data.joinpath("LICENSE-stripe-apps").read_text()


def test_unknown_resource() -> None:
    with pytest.raises(UnknownName) as info:
        catalog.sample_object("paymentintent")
    assert info.value.kind == "resource"
    assert info.value.suggestions[0] == "payment_intent"
