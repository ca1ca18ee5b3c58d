"""``@ui_request_required``: a UI extension's signed call reaches the view with its
caller on the request; stale, forged and malformed calls get 401 JSON, the view never
running. Through Django's test client with CSRF checks enforced."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client
from djsite.urls import APP_SECRET

from appevents import ConfigurationError, sign_ui_request
from appevents.integrations.django.decorators import ui_request_required

BODY = {"user_id": "usr_1DjangoCaller", "account_id": "acct_1DjangoCaller"}


def call(signature: str | None, body: object = BODY):
    headers = {} if signature is None else {"Stripe-Signature": signature}
    return Client(enforce_csrf_checks=True).post(
        "/api/settings", json.dumps(body), content_type="application/json", headers=headers
    )


def test_a_signed_call_reaches_the_view_with_its_caller():
    reply = call(sign_ui_request(BODY["user_id"], BODY["account_id"], APP_SECRET))
    assert (reply.status_code, reply.json()) == (
        200, {"user": "usr_1DjangoCaller", "account": "acct_1DjangoCaller"},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("signature", "body", "code"),
    [
        (
            lambda: sign_ui_request(BODY["user_id"], BODY["account_id"], "absec_other"),
            BODY,
            "no_matching_signature",
        ),
        (
            lambda: sign_ui_request(
                BODY["user_id"], BODY["account_id"], APP_SECRET, timestamp=int(time.time()) - 301
            ),
            BODY,
            "timestamp_too_old",
        ),
        (lambda: None, BODY, "missing_signature_header"),
        (
            lambda: sign_ui_request(BODY["user_id"], BODY["account_id"], APP_SECRET),
            {"account_id": "acct_1DjangoCaller"},
            "missing_user_id",
        ),
        (
            lambda: sign_ui_request("usr_someone_else", BODY["account_id"], APP_SECRET),
            BODY,
            "no_matching_signature",
        ),
    ],
)
def test_stale_forged_and_malformed_calls_get_401_with_the_reason(signature, body, code):
    reply = call(signature(), body)
    assert reply.status_code == 401
    assert reply["content-type"] == "application/json"
    assert reply.json()["error"]["code"] == code


def test_a_webhook_secret_is_refused_where_the_view_is_decorated():
    with pytest.raises(ConfigurationError):
        ui_request_required("whsec_not_an_app_secret")
