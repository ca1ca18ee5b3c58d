"""`appevents serve` as a real process: its commit timeout, and what it says about the
deliveries it refuses."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sqlite3
import time

import httpx
import pytest
from click.testing import CliRunner

from appevents.cli.main import cli
from appevents.testing import make_event, signed_headers
from servers import free_port, serve_process

SECRET = "whsec_serve_limits"
APP = "from appevents.receiver import App\napp = App()\n"


@pytest.fixture
def app_dir(tmp_path):
    (tmp_path / "limitsapp.py").write_text(APP)
    return tmp_path


@pytest.mark.parametrize("bad", ["0", "-2", "nan", "inf"])
def test_a_commit_timeout_that_is_not_a_positive_finite_number_is_refused(app_dir, bad):
    result = CliRunner().invoke(
        cli,
        ["serve", "limitsapp:app", "--app-dir", str(app_dir), "--secret", SECRET,
         "--store", f"sqlite:///{app_dir / 'inbox.db'}", "--commit-timeout", bad],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: commit_timeout must be a positive, finite number")
    assert "Traceback" not in result.output


def test_commit_timeout_bounds_the_wait_for_a_locked_sqlite_store(app_dir):
    db_path = app_dir / "inbox.db"
    port = free_port()
    args = ["limitsapp:app", "--app-dir", str(app_dir), "--secret", SECRET,
            "--store", f"sqlite:///{db_path}", "--no-worker", "--commit-timeout", "0.5"]  # fmt: skip
    with serve_process(args, cwd=app_dir, port=port):
        url = f"http://127.0.0.1:{port}/webhook"
        body = make_event("customer.created", account="acct_1")
        with contextlib.closing(sqlite3.connect(db_path, isolation_level=None)) as blocker:
            blocker.execute("BEGIN IMMEDIATE")
            started = time.monotonic()
            response = httpx.post(
                url, content=body, headers=signed_headers(body, SECRET), timeout=30
            )
            elapsed = time.monotonic() - started
            blocker.execute("ROLLBACK")
        assert response.status_code == 503
        assert 0.45 <= elapsed < 3.0
        retried = httpx.post(url, content=body, headers=signed_headers(body, SECRET), timeout=30)
        assert retried.status_code == 200


def test_a_wrong_secret_shows_on_stderr_by_default_without_secret_or_body(app_dir):
    db_path = app_dir / "inbox.db"
    port = free_port()
    wrong = "whsec_a_different_endpoint"
    args = ["limitsapp:app", "--app-dir", str(app_dir), "--secret", SECRET,
            "--store", f"sqlite:///{db_path}", "--no-worker", "--stats-interval", "0.5"]  # fmt: skip
    body = make_event("customer.created", account="acct_1")
    with serve_process(args, cwd=app_dir, port=port) as process:
        url = f"http://127.0.0.1:{port}/webhook"
        headers = signed_headers(body, wrong)
        for _ in range(3):
            assert httpx.post(url, content=body, headers=headers).status_code == 400
        time.sleep(1.2)  # at least one summary period (0.5 s) after the rejections
        os.killpg(process.pid, signal.SIGTERM)
        assert process.wait(20) == 0
        assert process.stderr is not None
        stderr = process.stderr.read().decode()
    timestamp = headers["Stripe-Signature"].split(",")[0]
    assert (
        "rejected a delivery from 127.0.0.1 to /webhook: 400 no_matching_signature, "
        "Stripe-Signature "
        f"{timestamp} (" in stderr
    )
    assert "the endpoint's signing secret?" in stderr
    # The periodic line, then the one at exit (the start-up probe's GET may be counted too).
    assert re.search(
        r"rejected \d+ deliveries in the last [\d.]+ s: 3 no_matching_signature", stderr
    )
    assert re.search(r"rejected \d+ deliveries since the start: 3 no_matching_signature", stderr)
    assert stderr.count("no_matching_signature, Stripe-Signature") == 1  # rate-limited
    for secret in (SECRET, wrong):
        assert secret not in stderr and secret[6:] not in stderr
    assert body.decode() not in stderr and "acct_1" not in stderr
    assert headers["Stripe-Signature"].split("v1=")[1] not in stderr


def test_a_stats_interval_that_is_not_a_positive_number_is_refused(app_dir):
    result = CliRunner().invoke(
        cli,
        ["serve", "limitsapp:app", "--app-dir", str(app_dir), "--secret", SECRET,
         "--store", f"sqlite:///{app_dir / 'inbox.db'}", "--stats-interval", "0"],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: the interval between summaries")
