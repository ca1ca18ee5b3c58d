"""The receiver's dashboard in Chromium: a failing handler's event shows as failed with
its error, is replayed from the page once the handler is fixed and turns done; a page
without the token is refused; a payload holding ``<script>`` is shown as text."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from appevents.testing import make_event
from receiver_dashboard_servers import Served, served_dashboard

SCRIPT = '<script>window.__injected = 1</script><img src=x onerror="window.__injected = 2">'


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with served_dashboard(f"sqlite:///{tmp_path / 'inbox.db'}", max_attempts=3) as running:
        yield running


@pytest.fixture
def tab(open_page: Any, served: Served) -> Iterator[Any]:
    """A fresh browser context on the dashboard, closed before the receiver stops."""
    with open_page(served.base) as opened:
        yield opened


def deliver(served: Served, event_type: str, **object_fields: Any) -> str:
    body = make_event(event_type, account="acct_1Browser", object=object_fields or None)
    served.deliver(body)
    return str(json.loads(body)["id"])


def test_a_failed_event_is_replayed_from_the_page_after_the_fix_and_turns_done(
    tab, served, screenshot
):
    served.flags["broken"] = True
    event_id = deliver(served, "invoice.paid")
    served.wait_status(event_id, "failed")
    tab.goto(f"/login?token={served.token}")
    row = tab.locator(f'tr[data-event="{event_id}"]')
    expect(row).to_contain_text("failed")
    expect(row).to_contain_text(f"RuntimeError: the ledger is offline, cannot book {event_id}")
    screenshot(tab, "inbox")
    row.get_by_role("link", name="invoice.paid").click()
    expect(tab.locator("h1")).to_contain_text(event_id)
    attempt = tab.locator("#attempts-table tbody tr").first
    traceback = attempt.locator("details pre")
    expect(traceback).to_be_hidden()  # folded until asked for
    attempt.locator("summary").click()
    expect(traceback).to_contain_text("Traceback (most recent call last):")
    screenshot(tab, "failed-event")
    served.flags["broken"] = False  # the fix is deployed
    tab.get_by_role("button", name=f"Replay {event_id}").click()
    expect(tab.locator(".notice")).to_contain_text(f"Replaying {event_id}")
    expect(tab.locator("#event-region .badge").first).to_have_text("done")
    attempts = tab.locator("#attempts-table tbody tr")
    expect(attempts).to_have_count(2)  # the failed one, and the replay's
    expect(attempts.filter(has_text="done")).to_have_count(1)
    assert served.event(event_id).status == "done"
    screenshot(tab, "replayed")


def test_a_page_without_the_token_is_refused(tab, served, screenshot):
    deliver(served, "customer.created", note="visible only to operators")
    answer = tab.goto("/")
    assert answer is not None
    assert tab.url.startswith(served.base + "/login?next=")
    expect(tab.locator("h1")).to_have_text("Log in")
    expect(tab.locator("body")).not_to_contain_text("customer.created")
    wrong = tab.goto("/login?token=not-the-token-of-this-dashboard")
    assert wrong is not None and wrong.status == 401
    expect(tab.get_by_role("alert")).to_contain_text("not this dashboard")
    tab.get_by_label("The dashboard's token").fill(served.token)
    tab.get_by_role("button", name="Log in").click()
    expect(tab.locator("h1")).to_have_text("Inbox")
    expect(tab.locator("#events-table")).to_contain_text("customer.created")
    screenshot(tab, "login")


def test_a_payload_holding_a_script_is_shown_as_text(tab, served, screenshot):
    event_id = deliver(served, "customer.updated", description=SCRIPT)
    served.wait_status(event_id, "done")
    tab.goto(f"/login?token={served.token}&next=/events/{event_id}")
    payload = tab.locator("#payload")
    expect(payload).to_contain_text(json.dumps(SCRIPT)[1:-1])  # the JSON string, as text
    assert tab.evaluate("window.__injected") is None
    assert tab.locator("#payload img").count() == 0
    screenshot(tab, "script-payload")
