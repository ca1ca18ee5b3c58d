"""Login pairing: the state machine (a clock of our own), and the routes `stripe login`
speaks to on a running sandbox (real HTTP)."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from appevents.sandbox.pairing import PAIRING_TTL, PairingError, Pairings
from appevents.sandbox.pairing_http import routes
from sandbox_fixtures import RunningSandbox


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_pairing_is_pending_until_confirmed_then_redeemed_once():
    clock = Clock()
    pairings = Pairings(clock)
    pairing = pairings.start("laptop")
    assert re.fullmatch(r"[a-z]+-[a-z]+-[a-z]+-[a-z]+", pairing.verification_code)
    assert pairing.browser_token != pairing.poll_token
    assert pairings.poll(pairing.poll_token) is None
    assert pairings.shown(pairing.browser_token) is pairing
    assert pairings.confirm(pairing.browser_token).state == "confirmed"
    assert pairings.poll(pairing.poll_token) is pairing
    with pytest.raises(PairingError) as again:
        pairings.poll(pairing.poll_token)
    assert (again.value.status, again.value.code) == (400, "pairing_already_redeemed")
    assert pairing.verification_code in again.value.message
    with pytest.raises(PairingError) as twice:
        pairings.confirm(pairing.browser_token)
    assert twice.value.code == "pairing_already_confirmed"


def test_tokens_do_not_stand_in_for_each_other():
    pairings = Pairings(Clock())
    pairing = pairings.start("laptop")
    for wrong in (lambda: pairings.poll(pairing.browser_token),
                  lambda: pairings.confirm(pairing.poll_token)):  # fmt: skip
        with pytest.raises(PairingError) as refused:
            wrong()
        assert (refused.value.status, refused.value.code) == (404, "pairing_unknown")
        assert "run `stripe login` again" in refused.value.message


def test_a_pairing_expires():
    clock = Clock()
    pairings = Pairings(clock)
    pairing = pairings.start("laptop")
    clock.now += PAIRING_TTL + 1
    with pytest.raises(PairingError) as expired:
        pairings.confirm(pairing.browser_token)
    assert (expired.value.status, expired.value.code) == (400, "pairing_expired")
    assert f"{PAIRING_TTL:.0f} seconds" in expired.value.message
    late = pairings.start("laptop")
    clock.now += PAIRING_TTL - 1
    pairings.confirm(late.browser_token)
    assert pairings.poll(late.poll_token) is late  # within its lifetime


def test_pairing_end_to_end_over_http(sandbox: RunningSandbox):
    started = httpx.post(sandbox.base + "/stripecli/auth",
                         data={"device_name": "laptop <b>", "client_version": "1.52.0"})  # fmt: skip
    assert started.status_code == 200
    links = started.json()
    assert set(links) == {"browser_url", "poll_url", "verification_code"}
    assert links["browser_url"].startswith(sandbox.base + "/stripecli/confirm_auth?t=")
    assert httpx.get(links["poll_url"]).json() == {"redeemed": False}
    page = httpx.get(links["browser_url"])
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert links["verification_code"] in page.text
    assert sandbox.platform in page.text and "Platform" in page.text
    assert "laptop &lt;b&gt;" in page.text  # the device's name, escaped
    token = links["browser_url"].partition("?t=")[2]
    assert f'name="t" value="{token}"' in page.text and "<button" in page.text
    confirmed = httpx.post(sandbox.base + "/stripecli/confirm_auth", data={"t": token})
    assert confirmed.status_code == 200 and "return to your terminal" in confirmed.text
    redeemed = httpx.get(links["poll_url"]).json()
    assert redeemed == {
        "redeemed": True, "account_id": sandbox.platform, "account_display_name": "Platform",
        "testmode_key_secret": sandbox.key, "livemode_key_secret": sandbox.live_key,
        "testmode_key_publishable": "", "livemode_key_publishable": "",
        "uat": "", "live_context": "", "test_workspace_id": "", "user_id": "",
    }  # fmt: skip
    again = httpx.get(links["poll_url"])
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "pairing_already_redeemed"
    assert httpx.get(links["browser_url"]).status_code == 400  # the page says so too


def test_unknown_pairings_are_refused_over_http(sandbox: RunningSandbox):
    poll = httpx.get(sandbox.base + "/stripecli/auth/cliauth_secret_nope")
    assert poll.status_code == 404
    assert poll.json()["error"]["code"] == "pairing_unknown"
    page = httpx.get(sandbox.base + "/stripecli/confirm_auth?t=cliauth_nope")
    assert page.status_code == 404 and "run `stripe login` again" in page.text


def test_only_this_machine_may_confirm():
    pairings = Pairings(Clock())
    pairing = pairings.start("laptop")

    async def platform() -> dict[str, object]:
        return {"id": "acct_1", "keys": {"test": "sk_test_1", "live": "sk_live_1"}}

    # Starlette's test client calls from the host "testclient": not a loopback address.
    with TestClient(Starlette(routes=routes(pairings, platform))) as client:
        refused = client.post("/stripecli/confirm_auth", data={"t": pairing.browser_token})
        assert refused.status_code == 403
        assert "not from testclient" in refused.text
        assert client.get(f"/stripecli/auth/{pairing.poll_token}").json() == {"redeemed": False}
