"""The sandbox signs UI-extension calls for an installed app, as the Dashboard does."""

from __future__ import annotations

import httpx
import pytest
import stripe

from appevents import SignatureError, verify_ui_request
from sandbox_fixtures import start

MANIFEST = {
    "id": "com.example.uisig",
    "version": "1.0.0",
    "name": "UI signatures",
    "icon": "",
    "permissions": [{"permission": "customer_read", "purpose": "show customers"}],
}


@pytest.fixture
def installed(sandbox):
    app = sandbox.post("/_sandbox/apps", {"manifest": MANIFEST})
    merchant = sandbox.post("/_sandbox/accounts", {"email": "shop@example.com"})
    sandbox.post(
        f"/_sandbox/apps/{app['id']}/installs",
        {"account": merchant["id"], "mode": "test"},
        key=merchant["keys"]["test"],
    )
    return app, merchant


def ask(sandbox, app_id, body, key=None):
    return httpx.post(
        f"{sandbox.base}/_sandbox/apps/{app_id}/ui_signature",
        json=body,
        headers={"Authorization": f"Bearer {key or sandbox.key}"},
    )


def test_the_developer_gets_a_signature_the_apps_secret_verifies(sandbox, installed):
    app, merchant = installed
    secret = app["signing_secret"]
    assert secret.startswith("absec_") and len(secret) == len("absec_") + 32
    assert sandbox.get(f"/_sandbox/apps/{app['id']}")["signing_secret"] == secret
    answer = ask(sandbox, app["id"], {"account": merchant["id"], "user": "usr_Mq9ZtK2"})
    assert answer.status_code == 200, answer.text
    issued = answer.json()
    assert issued["body"] == {"user_id": "usr_Mq9ZtK2", "account_id": merchant["id"]}
    assert issued["headers"]["Stripe-Signature"] == issued["signature"]
    caller = verify_ui_request(issued["body"], issued["headers"], secret)
    assert (caller.user_id, caller.account_id) == ("usr_Mq9ZtK2", merchant["id"])
    assert caller.timestamp == issued["created"]
    # stripe-python checks it as Stripe's guide does
    payload = f'{{"user_id":"usr_Mq9ZtK2","account_id":"{merchant["id"]}"}}'
    assert stripe.WebhookSignature.verify_header(payload, issued["signature"], secret)


def test_without_a_user_one_stable_user_per_account(sandbox, installed):
    app, merchant = installed
    first = ask(sandbox, app["id"], {"account": merchant["id"]}).json()
    again = ask(sandbox, app["id"], {"account": merchant["id"]}).json()
    assert first["user_id"].startswith("usr_") and len(first["user_id"]) == 18
    assert first["user_id"] == again["user_id"]


def test_additional_payload_is_signed_and_in_the_body(sandbox, installed):
    app, merchant = installed
    extra = {"invoice": "in_1Qz", "amount": 1250}
    issued = ask(sandbox, app["id"], {"account": merchant["id"], "payload": extra}).json()
    assert issued["body"] == {"user_id": issued["user_id"], "account_id": merchant["id"], **extra}
    caller = verify_ui_request(issued["body"], issued["signature"], app["signing_secret"])
    assert caller.payload == issued["body"]
    with pytest.raises(SignatureError):
        verify_ui_request(
            {**issued["body"], "amount": 1}, issued["signature"], app["signing_secret"]
        )


def test_the_account_itself_may_ask(sandbox, installed):
    app, merchant = installed
    answer = ask(sandbox, app["id"], {"account": merchant["id"]}, key=merchant["keys"]["test"])
    assert answer.status_code == 200, answer.text


def test_refused_where_the_app_is_not_installed(sandbox, installed):
    app, merchant = installed
    other = sandbox.post("/_sandbox/accounts", {})
    answer = ask(sandbox, app["id"], {"account": other["id"]})
    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == "account"
    assert f"not installed on {other['id']}" in answer.json()["error"]["message"]
    sandbox.delete(
        f"/_sandbox/apps/{app['id']}/installs/{merchant['id']}", key=merchant["keys"]["test"]
    )
    gone = ask(sandbox, app["id"], {"account": merchant["id"]})
    assert gone.status_code == 400 and "any more" in gone.json()["error"]["message"]


def test_another_developer_sees_no_such_app(sandbox, installed):
    app, merchant = installed
    stranger = sandbox.post("/_sandbox/accounts", {})
    answer = ask(sandbox, app["id"], {"account": merchant["id"]}, key=stranger["keys"]["test"])
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "resource_missing"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "account"),
        ({"account": "ACCOUNT", "user": "bob"}, "user"),
        ({"account": "ACCOUNT", "payload": [1]}, "payload"),
        ({"account": "ACCOUNT", "payload": {"user_id": "usr_Other1"}}, "payload"),
        ({"account": "ACCOUNT", "payload": "{not json"}, "payload"),
    ],
)
def test_bad_parameters(sandbox, installed, body, param):
    app, merchant = installed
    body = {k: (merchant["id"] if v == "ACCOUNT" else v) for k, v in body.items()}
    answer = ask(sandbox, app["id"], body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["param"] == param


def test_the_secret_survives_a_restart(tmp_path):
    data = str(tmp_path / "state.db")
    server, running = start(data)
    key = server.platform()["keys"]["test"]
    with running as base:
        app = httpx.post(f"{base}/_sandbox/apps", json={"manifest": MANIFEST},
                         headers={"Authorization": f"Bearer {key}"}).json()  # fmt: skip
    server.close()
    server, running = start(data)
    with running as base:
        again = httpx.get(f"{base}/_sandbox/apps/{app['id']}",
                          headers={"Authorization": f"Bearer {key}"}).json()  # fmt: skip
    server.close()
    assert again["signing_secret"] == app["signing_secret"]
