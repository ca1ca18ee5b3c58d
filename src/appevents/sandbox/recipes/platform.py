"""Recipes for the rest of the platform: Identity verification sessions, reporting, the
customer portal and billing meter error reports (pure data).

``v1.billing.meter.error_report_triggered`` and ``v1.billing.meter.no_meter_found`` are
thin (v2) events at Stripe: their payload names a related object and carries ``data``
instead of a snapshot. The sandbox emits snapshot-style v1 events of those exact types whose
``data.object`` is the thin event's ``data`` with ``object: "billing.meter.error_report"``,
the meter's id in ``meter`` (null for no_meter_found) and ``reason.error_types[0].code``
``meter_event_no_customer_defined`` / ``no_meter``. The meter (error report only) is a real
``billing.meter`` object, emitted with ``billing.meter.created``.
"""

from __future__ import annotations

from typing import Any

from .cascades import CLI_DESCRIPTION, customer_with_card
from .model import Recipe, create, recipe, step, update

__all__ = ["RECIPES"]

_SESSION = {
    "status": "requires_input",
    "type": "document",
    "last_error": None,
    "last_verification_report": None,
    "redaction": None,
    "verified_outputs": None,
    "url": "https://verify.stripe.com/start/test_appevents",
}
_verification = step(
    "verification_session",
    create(
        "verification_session",
        "identity.verification_session",
        "identity.verification_session.created",
        values=_SESSION,
    ),
    params={"metadata": {}},
)
_portal_configuration = step(
    "configuration",
    create(
        "configuration",
        "billing_portal.configuration",
        "billing_portal.configuration.created",
        values={"active": True, "is_default": False},
    ),
    params={
        "business_profile": {"headline": CLI_DESCRIPTION},
        "features": {"invoice_history": {"enabled": True}},
    },
)
_meter = step(
    "billing_meter",
    create(
        "meter",
        "billing.meter",
        "billing.meter.created",
        values={"status": "active", "default_aggregation": {"formula": "sum"}},
    ),
    params={
        "display_name": "appevents billing meter",
        "event_name": "appevents_billing_meter_for_trigger",
    },
)


def _error_report(code: str, meter: str | None) -> dict[str, Any]:
    message = {
        "meter_event_no_customer_defined": "The meter event has no customer mapping payload key.",
        "no_meter": "No active meter was found for the event name.",
    }[code]
    return {
        "meter": meter,
        "developer_message_summary": message,
        "validation_start": "${context:now-60}",
        "validation_end": "${context:now}",
        "reason": {
            "error_count": 1,
            "error_types": [
                {
                    "code": code,
                    "error_count": 1,
                    "sample_errors": [
                        {
                            "error_message": message,
                            "request": {
                                "id": "${context:account}",
                                "identifier": "appevents-trigger",
                            },
                        },
                    ],
                }
            ],
        },
        "livemode": "${context:livemode}",
    }


RECIPES: tuple[Recipe, ...] = (
    recipe("identity.verification_session.created", _verification),
    recipe(
        "identity.verification_session.canceled",
        _verification,
        step(
            "verification_session_cancel",
            update(
                "verification_session",
                "identity.verification_session.canceled",
                values={"status": "canceled"},
            ),
        ),
    ),
    recipe(
        "identity.verification_session.redacted",
        _verification,
        step(
            "verification_session_redact",
            update(
                "verification_session",
                "identity.verification_session.redacted",
                values={"status": "canceled", "redaction": {"status": "redacted"}, "url": None},
            ),
        ),
    ),
    recipe(
        "reporting.report_run.succeeded",
        step(
            "reporting",
            create(
                "report_run",
                "reporting.report_run",
                "reporting.report_run.succeeded",
                values={"status": "succeeded", "succeeded_at": "${context:now}", "error": None},
            ),
            params={"report_type": "balance.summary.1"},
        ),
    ),
    recipe("billing_portal.configuration.created", _portal_configuration),
    recipe(
        "billing_portal.configuration.updated",
        _portal_configuration,
        step(
            "configuration_update",
            update("configuration", "billing_portal.configuration.updated"),
            params={"business_profile": {"headline": "(updated by appevents trigger)"}},
        ),
    ),
    recipe(
        "billing_portal.session.created",
        customer_with_card(card=None),
        step(
            "portal_session",
            create(
                "portal_session",
                "billing_portal.session",
                "billing_portal.session.created",
                values={
                    "customer": "${customer:id}",
                    "configuration": "${configuration:id}",
                    "url": "https://billing.stripe.com/p/session/test_appevents",
                },
            ),
            create(
                "configuration",
                "billing_portal.configuration",
                values={"active": True, "is_default": True},
            ),
            params={"return_url": "https://example.com/account"},
        ),
    ),
    recipe(
        "v1.billing.meter.error_report_triggered",
        _meter,
        step(
            "meter_event_stream",
            create(
                "report",
                "billing.meter.error_report",
                "v1.billing.meter.error_report_triggered",
                values=_error_report("meter_event_no_customer_defined", "${meter:id}"),
            ),
        ),
        note="a v2 thin event at Stripe; emitted here as a snapshot-style v1 event",
    ),
    recipe(
        "v1.billing.meter.no_meter_found",
        step(
            "meter_event_stream",
            create(
                "report",
                "billing.meter.error_report",
                "v1.billing.meter.no_meter_found",
                values=_error_report("no_meter", None),
            ),
        ),
        note="a v2 thin event at Stripe; emitted here as a snapshot-style v1 event",
    ),
)
