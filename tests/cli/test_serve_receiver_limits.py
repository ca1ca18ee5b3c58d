"""`appevents serve` as a real process: its commit timeout."""

from __future__ import annotations

import contextlib
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
