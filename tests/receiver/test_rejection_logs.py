"""Every refused delivery is logged with its reason, client, path and claimed event id, as
text or as JSON lines, rate-limited per reason (the clock injected); and `appevents serve
--log-format json` writes them so, the wrong-secret case of issue 17 included."""

from __future__ import annotations

import json
import logging
import os
import signal

import httpx
import pytest

from appevents.receiver.logs import JSONFormatter
from appevents.receiver.rejections import Rejections, claimed_event_id
from appevents.receiver.replies import error_reply
from appevents.testing import make_event, signed_headers
from observed_servers import FakeClock
from servers import free_port, serve_process

SECRET = "whsec_rejection_logs_secret"
WRONG = "whsec_the_secret_of_another_endpoint"
MISMATCH = error_reply(400, "no_matching_signature", "no v1 signature matches")
HEADER = "t=1796000000,v1=" + "ab" * 32


@pytest.fixture
def records(caplog):
    caplog.set_level(logging.WARNING, logger="appevents.receiver.rejections")

    def logged() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.name == "appevents.receiver.rejections"]

    return logged


def as_json(record: logging.LogRecord) -> dict[str, object]:
    return json.loads(JSONFormatter().format(record))


def test_a_line_names_the_reason_client_path_and_the_claimed_event_id(records):
    body = b'{"id": "evt_1QxYz2Abc", "object": "event", "type": "customer.created"}'
    Rejections(clock=FakeClock()).rejected(
        MISMATCH, HEADER, "198.51.100.7", path="/webhook", body=body
    )
    [record] = records()
    assert record.getMessage() == (
        "rejected a delivery from 198.51.100.7 to /webhook: 400 no_matching_signature, "
        "Stripe-Signature t=1796000000 (2026-11-30 00:53:20 UTC), event evt_1QxYz2Abc "
        "(unverified); is the secret (--secret, APPEVENTS_WEBHOOK_SECRET, App(secrets=...)) "
        "the endpoint's signing secret?"
    )
    line = as_json(record)
    assert line["level"] == "warning"
    assert line["logger"] == "appevents.receiver.rejections"
    assert line["message"] == record.getMessage()
    assert str(line["time"]).endswith("Z")
    assert {k: line[k] for k in ("event", "reason", "status", "remote", "path", "event_id")} == {
        "event": "delivery_rejected",
        "reason": "no_matching_signature",
        "status": 400,
        "remote": "198.51.100.7",
        "path": "/webhook",
        "event_id": "evt_1QxYz2Abc",
    }
    assert line["signature"] == "t=1796000000 (2026-11-30 00:53:20 UTC)"
    assert line["suppressed"] == 0


@pytest.mark.parametrize(
    ("body", "claimed"),
    [
        (b'{"id":"evt_abc","object":"event"}', "evt_abc"),
        (b'{"object": "v2.core.event", "id" : "evt_test_65R2"}', "evt_test_65R2"),
        (b'{"id": "cus_123", "object": "customer"}', None),  # not an event id
        (b'{"id": "evt_abc\\nWARNING forged line"}', None),  # only ids, whole
        (b'{"id": "evt_' + b"x" * 500 + b'"}', None),  # longer than any id
        (b"\xff\xfe not json", None),
        (b"", None),
        (None, None),
        (b" " * 70_000 + b'{"id": "evt_far"}', None),  # past the window looked at
    ],
)
def test_the_claimed_event_id_is_only_ever_an_id(body, claimed):
    assert claimed_event_id(body) == claimed


def test_each_reason_is_logged_once_then_once_per_interval_with_the_count_suppressed(records):
    clock = FakeClock(1000.0)
    rejections = Rejections(interval=10.0, clock=clock)
    for _ in range(4):  # t = 1000 .. 1003: the first line, then 3 suppressed
        rejections.rejected(MISMATCH, HEADER, "127.0.0.1", path="/webhook")
        clock.now += 1
    rejections.rejected(error_reply(404, "not_found", "no"), None, "127.0.0.1", path="/x")
    assert [as_json(r)["reason"] for r in records()] == ["no_matching_signature", "not_found"]
    clock.now = 1009.9  # still inside the 10 s
    rejections.rejected(MISMATCH, HEADER, "127.0.0.1", path="/webhook")
    assert len(records()) == 2
    clock.now = 1010.0
    rejections.rejected(MISMATCH, HEADER, "127.0.0.1", path="/webhook")
    assert len(records()) == 3
    last = records()[-1]
    assert as_json(last)["suppressed"] == 4
    assert last.getMessage().endswith(
        "(and 4 more no_matching_signature in the last 10 s, not logged one by one)"
    )
    clock.now = 1020.5  # a quiet interval later: logged at once, nothing suppressed
    rejections.rejected(MISMATCH, HEADER, "127.0.0.1", path="/webhook")
    assert as_json(records()[-1])["suppressed"] == 0
    assert rejections.counts() == {"no_matching_signature": 7, "not_found": 1}


def test_a_store_that_cannot_commit_is_logged_as_json_too(records):
    rejections = Rejections(clock=FakeClock())
    rejections.unavailable(RuntimeError("database is locked"))
    line = as_json(records()[0])
    assert (line["reason"], line["status"], line["error"]) == (
        "store_unavailable",
        503,
        "database is locked",
    )


def test_a_traceback_goes_in_its_own_field():
    try:
        raise ValueError("broken")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed %s", ("here",), None)
        import sys

        record.exc_info = sys.exc_info()
    line = json.loads(JSONFormatter().format(record))
    assert line["message"] == "failed here"
    assert "ValueError: broken" in line["exception"]


APP = "from appevents.receiver import App\napp = App()\n"


def test_serve_logs_every_refusal_of_a_wrong_secret_as_json_lines(tmp_path):
    (tmp_path / "jsonlogapp.py").write_text(APP)
    port = free_port()
    args = ["jsonlogapp:app", "--app-dir", str(tmp_path), "--secret", SECRET,
            "--store", f"sqlite:///{tmp_path / 'inbox.db'}", "--no-worker",
            "--log-format", "json"]  # fmt: skip
    bodies = [make_event("customer.created", account="acct_1") for _ in range(3)]
    with serve_process(args, cwd=tmp_path, port=port) as process:
        url = f"http://127.0.0.1:{port}/webhook"
        for body in bodies:
            headers = signed_headers(body, WRONG)
            assert httpx.post(url, content=body, headers=headers).status_code == 400
        assert httpx.post(f"http://127.0.0.1:{port}/hooks", content=b"{}").status_code == 404
        os.killpg(process.pid, signal.SIGTERM)
        assert process.wait(20) == 0
        assert process.stderr is not None
        stderr = process.stderr.read().decode()
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    refused = [line for line in lines if line.get("event") == "delivery_rejected"]
    wrong = [line for line in refused if line["reason"] == "no_matching_signature"]
    # Rate-limited: the first of the three is logged; the run's summary counts all three.
    assert len(wrong) == 1
    first_id = json.loads(bodies[0])["id"]
    assert {k: wrong[0][k] for k in ("status", "remote", "path", "event_id")} == {
        "status": 400,
        "remote": "127.0.0.1",
        "path": "/webhook",
        "event_id": first_id,
    }
    [not_found] = [line for line in refused if line["reason"] == "not_found"]
    assert not_found["path"] == "/hooks"
    summary = [line["message"] for line in lines if "since the start" in line["message"]]
    assert summary and "3 no_matching_signature" in summary[0]
    for secret in (SECRET, WRONG):
        assert secret not in stderr and secret[6:] not in stderr
    assert bodies[1].decode() not in stderr
