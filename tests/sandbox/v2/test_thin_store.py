"""The thin events store: what ``stripe listen --all-thin`` reads (thin_events_after), and
that a thin event stays out of every v1 reading of the events table."""

from __future__ import annotations

from appevents.sandbox.service import Sandbox
from appevents.sandbox.state import events, thin_events
from appevents.sandbox.state.db import connect
from appevents.sandbox.v2.thin import emit_thin, related, rfc3339


def test_thin_events_after_gives_each_accounts_events_oldest_first_from_a_cursor() -> None:
    sandbox = Sandbox(connect(":memory:"), clock=lambda: 1_700_000_000.25)
    platform = sandbox.platform()["id"]
    other = sandbox.create_standalone_account({})["id"]
    made = [
        emit_thin(sandbox, account, False, "v1.billing.meter.no_meter_found", data={})
        for account in (platform, other, platform)
    ]
    emit_thin(sandbox, platform, True, "v1.billing.meter.no_meter_found", data={})  # live
    mine = thin_events.thin_events_after(sandbox.db, [platform], False, 0)
    assert [e.body["id"] for e in mine] == [made[0]["id"], made[2]["id"]]
    assert mine[0].seq < mine[1].seq and mine[0].account == platform
    after = thin_events.thin_events_after(sandbox.db, [platform, other], False, mine[0].seq)
    assert [e.body["id"] for e in after] == [made[1]["id"], made[2]["id"]]
    assert thin_events.thin_events_after(sandbox.db, [], False, 0) == []
    assert made[0]["created"] == rfc3339(1_700_000_000.25) == "2023-11-14T22:13:20.250Z"
    # v1 readings never see them: not listed, not found as v1 events.
    listed, _ = events.list_events(sandbox.db, account=platform, livemode=False)
    assert listed == []


def test_a_notification_leaves_out_data_and_changes() -> None:
    sandbox = Sandbox(connect(":memory:"))
    platform = sandbox.platform()["id"]
    event = emit_thin(
        sandbox, platform, False, "v1.billing.meter.error_report_triggered",
        related_object=related("mtr_1", "billing.meter", "/v1/billing/meters/mtr_1"),
        data={"developer_message_summary": "x"}, changes={"status": ["a", "b"]},
    )  # fmt: skip
    notification = thin_events.notification_of(event)
    assert set(notification) == {"id", "object", "type", "created", "livemode", "context",
                                 "related_object", "reason"}  # fmt: skip
    stored = thin_events.get_thin_event(sandbox.db, event["id"], account=platform, livemode=False)
    assert stored["data"] == {"developer_message_summary": "x"} and stored["changes"]
