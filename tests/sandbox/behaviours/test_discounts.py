"""Coupons are validated as Stripe's and keep the id they are created with."""

from __future__ import annotations

import httpx
import pytest

from spec_schemas import schema_errors

REFUSALS = [
    # (parameters, param, message)
    (
        {"duration": "once"},
        "percent_off",
        "You must pass either percent_off (a percentage, such as 25) or amount_off "
        "(in the currency's smallest unit, with currency).",
    ),
    (
        {"duration": "once", "amount_off": 500},
        "currency",
        "You must pass currency (such as usd) when passing amount_off.",
    ),
    (
        {"duration": "repeating", "percent_off": 10},
        "duration_in_months",
        "You must pass duration_in_months (the number of months the coupon applies) "
        "when duration is repeating.",
    ),
]


@pytest.mark.parametrize(("params", "param", "message"), REFUSALS)
def test_a_coupon_missing_what_its_discount_needs_is_refused(sandbox, params, param, message):
    answer = httpx.post(
        sandbox.base + "/v1/coupons", data=params,
        headers={"Authorization": f"Bearer {sandbox.key}"},
    )  # fmt: skip
    assert (answer.status_code, answer.json()) == (400, {"error": {
        "type": "invalid_request_error", "message": message, "param": param,
        "code": "parameter_missing",
    }})  # fmt: skip
    assert sandbox.client().v1.coupons.list().data == []


def test_a_coupon_keeps_its_id_and_a_second_with_it_is_refused(sandbox):
    client = sandbox.client()
    coupon = client.v1.coupons.create(
        {"id": "SUMMER25", "percent_off": 25, "duration": "repeating", "duration_in_months": 3}
    )
    assert (coupon.id, coupon.percent_off, coupon.duration_in_months) == ("SUMMER25", 25, 3)
    assert schema_errors(coupon.to_dict()) == []
    assert client.v1.coupons.retrieve("SUMMER25").id == "SUMMER25"
    answer = httpx.post(
        sandbox.base + "/v1/coupons", data={"id": "SUMMER25", "percent_off": 5, "duration": "once"},
        headers={"Authorization": f"Bearer {sandbox.key}"},
    )  # fmt: skip
    assert (answer.status_code, answer.json()) == (400, {"error": {
        "type": "invalid_request_error",
        "message": "Coupon already exists: 'SUMMER25'. Give another id, or none to have one made.",
        "param": "id", "code": "resource_already_exists",
    }})  # fmt: skip
    events = client.v1.events.list().data
    assert [(e.type, e.data.object.id) for e in events] == [("coupon.created", "SUMMER25")]


def test_an_amount_off_coupon_in_a_currency(sandbox):
    coupon = sandbox.client().v1.coupons.create(
        {"amount_off": 500, "currency": "eur", "duration": "once"}
    )
    assert (coupon.amount_off, coupon.currency, coupon.percent_off) == (500, "eur", None)
