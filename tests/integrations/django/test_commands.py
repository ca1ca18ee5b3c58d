"""The management commands (call_command), on the store settings.APPEVENTS names: the
worker processes what is due, the inbox lists and shows, replay queues a dead event."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from djsite import events
from djsite.support import SECRET, sqlite_rows

from appevents.integrations.django import conf
from appevents.testing import make_event, signed_headers


@pytest.fixture
def site(tmp_path, settings_override):
    events.handled.clear()
    store = f"sqlite:///{tmp_path / 'inbox.db'}"
    settings_override(APP="djsite.events.receiver", SECRETS=[SECRET], STORE=store, RUN_WORKER=False)
    yield Client(enforce_csrf_checks=True)
    conf.reset()


def deliver(client: Client, body: bytes) -> str:
    headers = {k: v for k, v in signed_headers(body, SECRET).items() if k != "Content-Type"}
    reply = client.post("/stripe/webhook", body, content_type="application/json", headers=headers)
    assert (reply.status_code, reply.json()["received"]) == (200, True)
    return str(json.loads(body)["id"])


def inbox_json(capsys) -> dict[str, str]:
    capsys.readouterr()
    call_command("appevents_inbox", "list", "--format", "json")
    return {row["id"]: row["status"] for row in json.loads(capsys.readouterr().out)}


def test_the_worker_once_processes_what_the_view_stored_and_the_inbox_lists_it(
    site, tmp_path, capsys
):
    paid = deliver(site, make_event("invoice.paid", account="acct_1DjangoCmd"))
    assert events.handled == []  # RUN_WORKER False: the view only receives
    assert inbox_json(capsys) == {paid: "pending"}
    call_command("appevents_worker", "--once")
    assert "1 attempt(s) made on sqlite:///" in capsys.readouterr().out
    assert events.handled == [paid]
    assert inbox_json(capsys) == {paid: "done"}
    call_command("appevents_inbox", "show", paid)
    shown = capsys.readouterr().out
    assert f"id: {paid}" in shown and "status: done" in shown and "attempt 1: done" in shown


def test_replay_queues_a_dead_event_again(site, tmp_path, capsys):
    failing = deliver(site, make_event("charge.failed", account="acct_1DjangoReplay"))
    call_command("appevents_worker", "--once")
    assert inbox_json(capsys) == {failing: "dead"}
    call_command("appevents_replay", failing)
    assert capsys.readouterr().out.strip() == f"1 event(s) queued for replay: {failing}"
    assert sqlite_rows(tmp_path / "inbox.db") == [(failing, "pending")]
    call_command("appevents_inbox", "replay", "--dead")  # none dead any more
    assert capsys.readouterr().out.strip() == "0 event(s) queued for replay"


def test_command_errors_are_djangos_with_the_commands_message(site, tmp_path):
    with pytest.raises(CommandError, match=f"no inbox at {tmp_path / 'inbox.db'}"):
        call_command("appevents_inbox", "list")
    deliver(site, make_event("invoice.paid", account="acct_1DjangoErrors"))
    with pytest.raises(CommandError, match="no event 'evt_missing'"):
        call_command("appevents_inbox", "show", "evt_missing")
    with pytest.raises(CommandError, match="give event ids or --dead"):
        call_command("appevents_replay")
