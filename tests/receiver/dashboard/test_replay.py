"""Replay from the receiver dashboard: one dead event, or all dead events a filter
selects, through the store's replay (as `appevents inbox replay`); a pending event is not
replayable; every button needs the page's CSRF token and this dashboard's origin."""

from __future__ import annotations

import json
import re

from appevents.testing import make_event


def csrf_of(html: str) -> str:
    return html.split('name="csrf_token" value="')[1].split('"')[0]


def deliver(served, event_type, account):
    body = make_event(event_type, account=account)
    served.deliver(body)
    return json.loads(body)["id"]


def test_a_dead_event_replayed_from_its_page_is_processed_once_the_handler_is_fixed(served):
    served.flags["broken"] = True
    event_id = deliver(served, "invoice.paid", "acct_1Replay")
    served.wait_status(event_id, "dead")
    client = served.client()
    page = client.get(f"/events/{event_id}").text
    served.flags["broken"] = False  # the fix is deployed
    answer = client.post(f"/actions/events/{event_id}/replay", data={"csrf_token": csrf_of(page)})
    assert answer.status_code == 303
    assert answer.headers["location"].startswith(f"/events/{event_id}?notice=Replaying+{event_id}")
    done = served.wait_status(event_id, "done")
    assert done.attempts == 1  # replay starts the count again
    after = client.get(f"/events/{event_id}").text
    assert '<span class="badge ok">done</span>' in after
    assert "Replaying" not in after  # the notice shows once, on the redirect target only


def test_a_pending_event_is_not_replayable(idle):
    event_id = deliver(idle, "invoice.paid", "acct_1Waiting")
    client = idle.client()
    page = client.get(f"/events/{event_id}").text
    assert "/replay" not in page
    assert "Pending: the worker processes it next" in page
    csrf = csrf_of(client.get("/").text)  # the event's page has no button to take it from
    answer = client.post(f"/actions/events/{event_id}/replay", data={"csrf_token": csrf})
    assert answer.status_code == 409
    assert f"event {event_id} is pending: only done, failed and dead events" in answer.text
    assert idle.event(event_id).status == "pending"
    missing = client.post("/actions/events/evt_1Missing/replay", data={"csrf_token": csrf})
    assert missing.status_code == 404


def test_replay_all_replays_only_the_dead_events_the_filter_selects(served):
    served.flags["broken"] = True
    chosen = [deliver(served, "invoice.paid", "acct_1Many") for _ in range(3)]
    other_type = deliver(served, "charge.failed", "acct_1Many")
    other_account = deliver(served, "invoice.paid", "acct_1Else")
    for event_id in (*chosen, other_type, other_account):
        served.wait_status(event_id, "dead")
    client = served.client()
    page = client.get("/dead", params={"account": "acct_1Many", "type": "invoice.*"}).text
    assert sorted(re.findall(r'<tr data-event="([^"]+)"', page)) == sorted(chosen)
    form = page.split('action="/actions/replay"')[1].split("</form>")[0]
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form))
    assert fields == {"csrf_token": csrf_of(page), "status": "dead", "account": "acct_1Many",
                      "type": "invoice.*"}  # fmt: skip
    served.flags["broken"] = False
    answer = client.post("/actions/replay", data=fields)
    assert answer.status_code == 303
    assert "3+event%28s%29+queued+for+replay" in answer.headers["location"]
    for event_id in chosen:
        served.wait_status(event_id, "done")
    assert served.event(other_type).status == "dead"
    assert served.event(other_account).status == "dead"


def test_replay_all_refuses_a_status_that_cannot_be_replayed(idle):
    deliver(idle, "invoice.paid", "acct_1Idle")
    client = idle.client()
    csrf = csrf_of(client.get("/").text)
    answer = client.post("/actions/replay", data={"csrf_token": csrf, "status": "pending"})
    assert answer.status_code == 409
    assert "pending events cannot be replayed" in answer.text


def test_buttons_without_the_pages_csrf_token_or_from_another_site_are_refused(served):
    served.flags["broken"] = True
    event_id = deliver(served, "invoice.paid", "acct_1Csrf")
    served.wait_status(event_id, "dead")
    client = served.client()
    action = f"/actions/events/{event_id}/replay"
    missing = client.post(action, data={})
    assert missing.status_code == 403 and "has no csrf_token" in missing.text
    wrong = client.post(action, data={"csrf_token": "guessed"})
    assert wrong.status_code == 403 and "is not this dashboard" in wrong.text
    token = csrf_of(client.get(f"/events/{event_id}").text)
    foreign = client.post(action, data={"csrf_token": token},
                          headers={"Origin": "https://attacker.example"})  # fmt: skip
    assert foreign.status_code == 403 and "comes from https://attacker.example" in foreign.text
    everything = client.post("/actions/replay", data={"status": "dead"})
    assert everything.status_code == 403
    assert served.event(event_id).status == "dead"
    assert served.event(event_id).attempts == 1


def test_replay_all_dead_letters_replays_every_one_as_inbox_replay_dead_does(served, monkeypatch):
    from appevents.receiver.dashboard import queries

    monkeypatch.setattr(queries, "SCAN", 1)  # the store's replay_dead, not a listing, replays
    served.flags["broken"] = True
    dead = [deliver(served, "invoice.paid", f"acct_1Dead{n}") for n in range(3)]
    for event_id in dead:
        served.wait_status(event_id, "dead")
    client = served.client()
    page = client.get("/dead").text
    assert "Replay all 3 matching" in page
    served.flags["broken"] = False
    answer = client.post("/actions/replay", data={"csrf_token": csrf_of(page), "status": "dead"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/dead?notice=3+event%28s%29+queued+for+replay"
    for event_id in dead:
        served.wait_status(event_id, "done")
