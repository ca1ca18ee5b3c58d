"""The sandbox dashboard over plain HTTP (no browser): the events filters, paging, the
live stream's marks, the security headers, the endpoint buttons and their CSRF guard."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import httpx
import pytest

from appevents.errors import SignatureError
from appevents.signature import verify
from appevents.web import CSRF_FIELD, CsrfGuard, environment


def token_of(world) -> str:
    html = httpx.get(f"{world.url}/webhooks").text
    found = re.search(rf'name="{CSRF_FIELD}" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def listed(world, **query: str) -> list[str]:
    html = httpx.get(f"{world.url}/events", params=query).text
    return re.findall(r'<tr data-event="(evt_\w+)">', html)


def test_the_type_filter_takes_wildcards_anywhere_and_several_patterns(world):
    world.customer("one")
    product = world.call("POST", "/v1/products", data={"name": "Bread"})
    everything = {e["type"]: e["id"] for e in world.events()}
    assert set(everything) == {"customer.created", "product.created"}
    assert listed(world, type="customer.*") == [everything["customer.created"]]
    assert listed(world, type="*.created") == [everything["product.created"],
                                               everything["customer.created"]]  # fmt: skip
    assert listed(world, type="product.created, customer.created") == listed(world)
    assert listed(world, type="charge.*") == []
    assert listed(world, type="customer.create?") == []  # ? is a character, not a wildcard
    assert product["id"].startswith("prod_")


def test_the_account_mode_and_date_filters_select_exactly(world):
    merchant = world.merchant("Shop")
    world.customer("platform's")
    world.customer("shop's", key=merchant["keys"]["test"])
    world.customer("live one", key=merchant["keys"]["live"])
    [shop_test] = world.events(merchant["keys"]["test"])
    [shop_live] = world.events(merchant["keys"]["live"])
    assert listed(world, account=merchant["id"]) == [shop_live["id"], shop_test["id"]]
    assert listed(world, account=merchant["id"], mode="live") == [shop_live["id"]]
    assert listed(world, account=merchant["id"], mode="test") == [shop_test["id"]]
    day = datetime.fromtimestamp(shop_test["created"], UTC).date()
    assert len(listed(world, since=day.isoformat(), until=day.isoformat())) == 3
    assert listed(world, until=day.replace(year=day.year - 1).isoformat()) == []
    html = httpx.get(f"{world.url}/events", params={"since": "yesterday"}).text
    assert "Invalid since date &#39;yesterday&#39;: write it as YYYY-MM-DD" in html


def test_the_events_list_pages_fifty_at_a_time_newest_first(world):
    for n in range(53):
        world.call("POST", "/v1/products", data={"name": f"p{n}"})
    first = listed(world)
    assert len(first) == 50
    html = httpx.get(f"{world.url}/events").text
    older = re.search(r'href="/events\?before=(\d+)">Older events', html)
    assert older, "no link to the older events"
    rest = listed(world, before=older.group(1))
    ids = [e["id"] for e in world.call("GET", "/v1/events", params={"limit": 100})["data"]]
    assert first + rest == ids


def test_the_live_stream_says_changed_once_the_state_moved_past_the_page(world):
    html = httpx.get(f"{world.url}/events").text
    since = re.search(r'data-live-stream="/live\?since=([^"]+)"', html).group(1)
    world.customer("new")
    with httpx.stream("GET", f"{world.url}/live", params={"since": since}, timeout=10) as answer:
        assert answer.headers["content-type"].startswith("text/event-stream")
        lines = answer.iter_lines()
        assert next(lines) == "retry: 500"
        assert next(lines) == ""
        mark = next(lines)
        assert mark.startswith("id: ") and mark != f"id: {since}"
        assert (next(lines), next(lines)) == ("event: change", f"data: {mark[4:]}")
    # A browser reconnecting with the mark it was told hears nothing new until a change.
    headers = {"Last-Event-ID": mark[4:]}
    with httpx.stream("GET", f"{world.url}/live", headers=headers, timeout=10) as answer:
        lines = answer.iter_lines()
        assert [next(lines), next(lines)] == ["retry: 500", ""]
        world.customer("another")
        changed = next(lines)
        assert changed.startswith("id: ") and changed != mark


def test_pages_forbid_foreign_scripts_and_framing(world):
    answer = httpx.get(f"{world.url}/events")
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert answer.headers["x-content-type-options"] == "nosniff"
    missing = httpx.get(f"{world.url}/events/evt_nothere")
    assert missing.status_code == 404 and "No such event: &#39;evt_nothere&#39;" in missing.text


def test_the_endpoint_buttons_disable_enable_roll_and_delete_as_the_api_would(world, receiver):
    made = world.endpoint(receiver.url)
    token = token_of(world)

    def press(what: str) -> httpx.Response:
        return httpx.post(f"{world.url}/actions/webhooks/{made['id']}/{what}",
                          data={CSRF_FIELD: token})  # fmt: skip

    assert press("disable").status_code == 303
    assert world.call("GET", f"/v1/webhook_endpoints/{made['id']}")["status"] == "disabled"
    world.customer("while disabled")
    assert press("enable").status_code == 303
    assert world.call("GET", f"/v1/webhook_endpoints/{made['id']}")["status"] == "enabled"
    assert press("roll").status_code == 303
    page = httpx.get(f"{world.url}/webhooks/{made['id']}").text
    rolled = re.search(r'<pre class="command secret">(whsec_\w+)</pre>', page).group(1)
    assert rolled != made["secret"]
    world.customer("after the roll")
    receiver.wait_for(1)  # the customer made while it was disabled was withheld
    [(headers, body)] = [(h, b) for h, b in receiver.received if b"after the roll" in b]
    verify(body, headers["stripe-signature"], [rolled])
    with pytest.raises(SignatureError, match="no v1 signature in the Stripe-Signature"):
        verify(body, headers["stripe-signature"], [made["secret"]])
    assert press("delete").headers["location"].startswith("/webhooks?notice=Deleted")
    assert world.call("GET", "/v1/webhook_endpoints")["data"] == []
    delivered = json.loads(body)["id"]
    page = httpx.get(f"{world.url}/events/{delivered}").text
    assert "endpoint deleted" in page and "Resend event" not in page  # nowhere to resend
    assert press("explode").status_code == 404


def test_the_csrf_guard_checks_token_and_origin():
    guard = CsrfGuard("t0ken")
    host = {"host": "127.0.0.1:5000"}
    assert guard.refusal({CSRF_FIELD: "t0ken"}, host) is None
    assert guard.refusal({CSRF_FIELD: "t0ken"}, {**host, "origin": "http://127.0.0.1:5000"}) is None
    assert "no csrf_token" in (guard.refusal({}, host) or "")
    assert "not this dashboard's" in (guard.refusal({CSRF_FIELD: "other"}, host) or "")
    refused = guard.refusal({CSRF_FIELD: "t0ken"}, {**host, "origin": "http://evil.example"})
    assert refused and "http://evil.example" in refused
    assert str(guard.field()) == f'<input type="hidden" name="{CSRF_FIELD}" value="t0ken">'


def test_the_shared_environment_escapes_every_template():
    env = environment()
    rendered = env.from_string("{{ value }} {{ data | pretty_json }}").render(
        value="<b>", data={"x": "<script>"}
    )
    assert rendered == "&lt;b&gt; {\n  &#34;x&#34;: &#34;&lt;script&gt;&#34;\n}"
