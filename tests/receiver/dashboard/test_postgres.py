"""The receiver dashboard's pages over a real PostgreSQL store: the inbox filtered, an
event's escaped payload and attempts, replay of a dead event, installations, activity."""

from __future__ import annotations

import json
import re

import pytest

from appevents.testing import make_event
from observed_servers import postgres_store
from receiver_dashboard_servers import served_dashboard

pytestmark = pytest.mark.postgres


def test_the_pages_and_replay_work_on_postgresql():
    with postgres_store() as store, served_dashboard(store) as served:
        ok = make_event("account.application.authorized", account="acct_1Pg")
        served.deliver(ok)
        served.wait_status(json.loads(ok)["id"], "done")
        served.flags["broken"] = True
        body = make_event("invoice.paid", account="acct_1Pg", object={"memo": "<b>bold</b>"})
        event_id = json.loads(body)["id"]
        served.deliver(body)
        served.wait_status(event_id, "dead")
        client = served.client()
        dead = client.get("/dead", params={"type": "invoice.*"}).text
        assert re.findall(r'<tr data-event="([^"]+)"', dead) == [event_id]
        page = client.get(f"/events/{event_id}").text
        assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
        assert "RuntimeError: the ledger is offline" in page
        assert "acct_1Pg" in client.get("/installations").text
        assert client.get("/activity").status_code == 200
        served.flags["broken"] = False
        csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
        answer = client.post(f"/actions/events/{event_id}/replay", data={"csrf_token": csrf})
        assert answer.status_code == 303
        served.wait_status(event_id, "done")
