"""The thin event types generated from stripe-python: related objects, data, permissions."""

from __future__ import annotations

import pytest

from appevents import catalog
from appevents.errors import UnknownName


def test_meter_error_types_name_the_meter_and_carry_data() -> None:
    triggered = catalog.thin_event_info("v1.billing.meter.error_report_triggered")
    assert triggered.related_object == "billing.meter"
    assert triggered.data_fields == (
        "developer_message_summary", "reason", "validation_end", "validation_start",
    )  # fmt: skip
    assert triggered.permissions == ("billing_meter_read",)
    no_meter = catalog.thin_event_info("v1.billing.meter.no_meter_found")
    assert no_meter.related_object is None  # no meter to name
    assert no_meter.data_fields is not None


def test_ping_names_the_destination_and_v1_twins_their_snapshot_type() -> None:
    ping = catalog.thin_event_info("v2.core.event_destination.ping")
    assert (ping.related_object, ping.data_fields) == ("v2.core.event_destination", None)
    charge = catalog.thin_event_info("v1.charge.succeeded")
    assert (charge.snapshot_type, charge.related_object) == ("charge.succeeded", "charge")
    assert charge.permissions == catalog.permissions_for("charge.succeeded")


def test_unknown_thin_types_are_refused_with_the_closest_names() -> None:
    assert not catalog.is_thin_event_type("charge.succeeded")  # a snapshot type
    with pytest.raises(UnknownName) as info:
        catalog.thin_event_info("v1.billing.meter.no_meter_fund")
    assert "v1.billing.meter.no_meter_found" in str(info.value)


def test_v2_object_fields_say_which_are_nullable() -> None:
    fields = catalog.v2_fields("v2.core.event_destination")
    assert fields["snapshot_api_version"] is True and fields["name"] is False
    assert set(catalog.v2_fields("v2.core.event")) >= {"context", "reason", "changes"}
