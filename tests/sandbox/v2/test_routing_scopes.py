"""Routing for destinations (pure): a Connect destination that also takes ``@self`` gets
its owner's own events as an own endpoint does; thin types need their catalog permission."""

from __future__ import annotations

from appevents.sandbox.routing import (
    App,
    EventToRoute,
    Installation,
    WebhookEndpoint,
    route_event,
)

NO_METER = "v1.billing.meter.no_meter_found"


def endpoint(endpoint_id: str, *, also_own: bool, status: str = "enabled") -> WebhookEndpoint:
    return WebhookEndpoint(endpoint_id, "acct_dev", "https://h.example/w", (NO_METER,),
                           connect=True, status=status, application="ca_1",  # type: ignore[arg-type]
                           also_own=also_own)  # fmt: skip


def test_both_scopes_take_the_owners_own_events_and_connect_only_does_not() -> None:
    own = EventToRoute("evt_1", NO_METER, "acct_dev", False)
    routed = route_event(own, [endpoint("ed_both", also_own=True),
                               endpoint("ed_accounts", also_own=False)],
                         apps=[App("ca_1", "acct_dev", frozenset())])  # fmt: skip
    assert [(r.endpoint_id, r.reason) for r in routed.routes] == [("ed_both", "connect")]
    assert [(w.endpoint_id, w.reason_code) for w in routed.withheld] == [
        ("ed_accounts", "not_installed")
    ]
    disabled = route_event(own, [endpoint("ed_both", also_own=True, status="disabled")],
                           apps=[App("ca_1", "acct_dev", frozenset())])  # fmt: skip
    assert [w.reason_code for w in disabled.withheld] == ["endpoint_disabled"]


def test_a_thin_type_needs_its_permission_on_an_installed_account() -> None:
    event = EventToRoute("evt_2", NO_METER, "acct_shop", False)
    install = [Installation("acct_shop", "ca_1", "test")]
    for granted, expected in (
        ({"event_read", "billing_meter_read"}, ([("ed", "connect")], [])),
        ({"event_read"}, ([], [("ed", "missing_permission")])),
    ):
        routed = route_event(event, [endpoint("ed", also_own=True)], installations=install,
                             apps=[App("ca_1", "acct_dev", frozenset(granted))])  # fmt: skip
        assert ([(r.endpoint_id, r.reason) for r in routed.routes],
                [(w.endpoint_id, w.reason_code) for w in routed.withheld]) == expected  # fmt: skip
    lacking = route_event(event, [endpoint("ed", also_own=False)], installations=install,
                          apps=[App("ca_1", "acct_dev", frozenset({"event_read"}))])  # fmt: skip
    assert "billing_meter_read" in lacking.withheld[0].message
