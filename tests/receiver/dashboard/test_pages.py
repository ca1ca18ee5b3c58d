"""The receiver dashboard's pages over a real SQLite store, through its real server: the
inbox's filters, an event's payload (escaped) and attempts (tracebacks folded), erased
payloads never shown, installations and their history, and the last hour's charts."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from appevents.testing import make_event
from receiver_dashboard_servers import served_dashboard

DAY = 86400
JAN_10 = int(datetime(2026, 1, 10, 12, tzinfo=UTC).timestamp())


def ids_on(html: str) -> list[str]:
    return re.findall(r'<tr data-event="([^"]+)"', html)


def deliver(served, event_type, account, created=None, **object_fields):
    body = make_event(event_type, account=account, created=created, object=object_fields or None)
    served.deliver(body)
    return json.loads(body)["id"]


def test_the_inbox_filters_by_status_account_type_wildcards_and_dates(served):
    paid = deliver(served, "invoice.paid", "acct_1Alpha", created=JAN_10)
    failed_inv = deliver(served, "invoice.payment_failed", "acct_1Beta", created=JAN_10 + DAY)
    charge = deliver(served, "charge.succeeded", "acct_1Alpha", created=JAN_10 + 2 * DAY)
    for event_id in (paid, failed_inv, charge):
        served.wait_status(event_id, "done")
    served.flags["broken"] = True
    dead = deliver(served, "charge.refunded", "acct_1Beta", created=JAN_10 + 3 * DAY)
    served.wait_status(dead, "dead")
    client = served.client()

    def shown(**query):
        answer = client.get("/", params=query)
        assert answer.status_code == 200, answer.text
        return ids_on(answer.text)

    assert shown() == [dead, charge, failed_inv, paid]  # newest received first
    assert shown(status="dead") == [dead]
    assert shown(status="done", account="acct_1Alpha") == [charge, paid]
    assert shown(type="invoice.*") == [failed_inv, paid]
    assert shown(type="*.succeeded, *.refunded") == [dead, charge]
    assert shown(type="*payment*") == [failed_inv]
    assert shown(type="invoice") == []  # a type is matched whole, not as a prefix
    assert shown(since="2026-01-11", until="2026-01-12") == [charge, failed_inv]
    assert shown(until="2026-01-10") == [paid]
    assert shown(since="2026-01-13", type="charge.*") == [dead]
    bad = client.get("/", params={"since": "10/01/2026"})
    assert bad.status_code == 400
    assert "is not a date: write it as YYYY-MM-DD" in bad.text
    assert client.get("/", params={"status": "lost"}).status_code == 400
    dead_page = client.get("/dead", params={"account": "acct_1Beta"}).text
    assert ids_on(dead_page) == [dead]
    assert "Replay all matching" in dead_page  # an account's: the store counts no such thing
    assert "Replay all 1 matching" in client.get("/dead").text
    assert "RuntimeError: the ledger is offline" in dead_page


def test_an_event_shows_its_payload_escaped_and_its_failed_attempts_folded(served):
    served.flags["broken"] = True
    script = "<script>alert('payload')</script>"
    event_id = deliver(served, "customer.updated", "acct_1Script", description=script)
    served.wait_status(event_id, "dead")
    page = served.client().get(f"/events/{event_id}")
    assert page.status_code == 200
    assert script not in page.text
    payload = page.text.split('id="payload"><code>')[1].split("</code>")[0]
    assert (
        "&#34;description&#34;: &#34;&lt;script&gt;alert(&#39;payload&#39;)&lt;/script&gt;&#34;"
        in payload
    )
    assert "\n  &#34;id&#34;: &#34;" + event_id in payload  # indented JSON
    attempt = page.text.split('<tr data-attempt="1">')[1].split("</tr>")[0]
    assert '<span class="badge bad">dead</span>' in attempt
    summary = re.search(
        r"<details><summary[^>]*>(.*?)</summary><pre[^>]*>(.*?)</pre>", attempt, re.S
    )
    assert summary is not None
    assert summary.group(1) == f"RuntimeError: the ledger is offline, cannot book {event_id}"
    assert summary.group(2).startswith("Traceback (most recent call last):")
    assert f'action="/actions/events/{event_id}/replay"' in page.text
    assert '<a href="/?account=acct_1Script">' in page.text  # the account's other events


def test_an_erased_payload_is_never_shown_but_its_erasure_is(served):
    secret = "merchant-private-note-4417"
    before = deliver(served, "customer.created", "acct_1Gone", note=secret)
    served.wait_status(before, "done")
    gone = deliver(served, "account.application.deauthorized", "acct_1Gone")
    served.wait_status(gone, "done")
    erased = served.event(before)
    assert erased.payload is None and erased.erased_at is not None
    client = served.client()
    page = client.get(f"/events/{before}").text
    assert secret not in page
    assert "Payload erased at " in page and "acct_1Gone uninstalled the app" in page
    assert 'id="payload"' not in page
    assert "/replay" not in page  # an erased event cannot be replayed
    assert '<span class="badge ">erased</span>' in client.get("/").text
    assert secret not in client.get("/", params={"account": "acct_1Gone"}).text


def test_installations_and_an_accounts_history(served):
    installed = deliver(served, "account.application.authorized", "acct_1Shop", created=JAN_10)
    served.wait_status(installed, "done")
    paid = deliver(served, "invoice.paid", "acct_1Shop", created=JAN_10 + 60)
    removed = deliver(
        served, "account.application.deauthorized", "acct_1Shop", created=JAN_10 + 120
    )
    implied = deliver(served, "invoice.paid", "acct_1Other", created=JAN_10 + 180)
    for event_id in (paid, removed, implied):
        served.wait_status(event_id, "done")
    client = served.client()
    listing = client.get("/installations").text
    rows = re.findall(r'<tr data-account="([^"]+)">(.*?)</tr>', listing, re.S)
    assert [account for account, _ in rows] == ["acct_1Other", "acct_1Shop"]  # active first
    assert "uninstalled" in rows[1][1] and "an authorized event" in rows[1][1]
    assert "implied by its events" in rows[0][1]
    history = client.get("/installations/acct_1Shop").text
    table = history.split('id="history-table"')[1]
    assert table.index(removed) < table.index(installed)  # newest first
    assert paid not in table  # only installs and uninstalls
    assert "uninstalled" in table and "installed" in table
    assert client.get("/installations/acct_1Nobody").status_code == 404


def test_the_activity_page_charts_the_last_hour_as_inline_svg(tmp_path):
    now = [1_796_000_000.0]
    with served_dashboard(f"sqlite:///{tmp_path / 'inbox.db'}", clock=lambda: now[0]) as served:
        first = [deliver(served, "invoice.paid", "acct_1Busy") for _ in range(3)]
        for event_id in first:
            served.wait_status(event_id, "done")
        now[0] += 600  # ten minutes later, two more
        later = [deliver(served, "invoice.paid", "acct_1Busy") for _ in range(2)]
        for event_id in later:
            served.wait_status(event_id, "done")
        page = served.client().get("/activity")
    assert page.status_code == 200
    assert "<script" not in page.text.split("</head>")[1]  # charts need no script
    charts = re.findall(r'<svg class="chart".*?</svg>', page.text, re.S)
    assert len(charts) == 3
    received = re.findall(r'<rect class="bar"[^>]*><title>([^<]+)</title>', charts[0])
    # the minute of 1_796_000_000 (00:53:20 UTC) and the one ten minutes later
    assert received == ["00:53 UTC: 3", "01:03 UTC: 2"]
    assert 'aria-label="Events received per minute: 5 in all' in charts[0]
    processed = re.findall(r"<title>(\d\d:\d\d UTC: \d+)</title>", charts[1])
    assert processed == ["00:53 UTC: 3", "01:03 UTC: 2"]
    assert "Backlog now</dt><dd>0</dd>" in page.text


def test_events_waiting_show_in_the_backlog_now_and_in_its_chart(idle):
    for _ in range(2):
        deliver(idle, "invoice.paid", "acct_1Queue")
    page = idle.client().get("/activity").text
    assert "Backlog now</dt><dd>2</dd>" in page
    backlog_chart = re.findall(r'<svg class="chart".*?</svg>', page, re.S)[2]
    bars = re.findall(r"<title>(\d\d:\d\d) UTC: (\d+)</title>", backlog_chart)
    assert [count for _, count in bars] == ["2"]  # this minute; none waited before
    assert "acct_1Queue</td><td>2</td>" in page  # the busiest accounts


def test_the_inbox_pages_through_older_events(idle, monkeypatch):
    from appevents.receiver.dashboard import queries

    monkeypatch.setattr(queries, "PAGE", 2)  # the page size, not the data, is made small
    ids = [deliver(idle, "invoice.paid", "acct_1Pages") for _ in range(5)]
    client = idle.client()
    first = client.get("/").text
    assert ids_on(first) == ids[:-3:-1]
    older = first.split('id="older" href="')[1].split('"')[0]
    assert older == "/?offset=2"
    second = client.get(older).text
    assert ids_on(second) == [ids[2], ids[1]]
    assert "Events 3 to 4 of 5 matching events shown" in second
    last = client.get("/?offset=4").text
    assert ids_on(last) == [ids[0]] and 'id="older"' not in last
