"""`appevents serve` and its children: the worker (a child process by default, woken,
restarted, tied to the server's life; in-process or off on request) and, for SQLite, the
process that commits received events (restarted, tied to the server's life; a thread on
request)."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from appevents.cli.main import cli
from appevents.testing import make_event, signed_headers
from servers import exited, free_port, poll_until, wait_http

SECRET = "whsec_serve_worker"
APP = """
import os
from appevents.receiver import App
app = App()

@app.on_setup
def schema(db):
    db.execute("CREATE TABLE IF NOT EXISTS seen (id TEXT, pid INTEGER)")

@app.on("*")
def record(event, ctx):
    ctx.transaction.execute("INSERT INTO seen VALUES (?, ?)", (event.id, os.getpid()))
"""


def seen(db_path: Path) -> list[tuple[str, int]]:
    try:
        with sqlite3.connect(db_path) as db:
            return db.execute("SELECT id, pid FROM seen ORDER BY rowid").fetchall()
    except sqlite3.OperationalError:
        return []  # the table is not there yet


def child_pids(server_pid: int, command_part: str) -> list[int]:
    """The server's children whose command line has ``command_part``."""
    out = subprocess.run(["pgrep", "-P", str(server_pid)], capture_output=True, text=True)
    pids = []
    for pid in out.stdout.split():
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue  # gone meanwhile
        if command_part.encode() in command:
            pids.append(int(pid))
    return pids


def worker_pids(server_pid: int) -> list[int]:
    return child_pids(server_pid, "worker")


def ingest_pids(server_pid: int) -> list[int]:
    return child_pids(server_pid, "appevents.receiver.stores.sqlite.ingest_child")


def deliver(port: int) -> str:
    body = make_event("customer.created", account="acct_1")
    response = httpx.post(
        f"http://127.0.0.1:{port}/webhook", content=body, headers=signed_headers(body, SECRET)
    )
    assert response.json() == {"received": True, "duplicate": False}
    return str(json.loads(body)["id"])


@pytest.fixture
def served(tmp_path):
    """Start `appevents serve` with extra arguments; always stopped (the whole group)."""
    (tmp_path / "workapp.py").write_text(APP)
    started: list[subprocess.Popen[bytes]] = []

    def start(*extra: str) -> tuple[subprocess.Popen[bytes], int]:
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "appevents.cli.main", "serve", "workapp:app", "--app-dir",
             str(tmp_path), "--port", str(port), "--secret", SECRET, *extra],
            cwd=tmp_path, start_new_session=True, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, env={**os.environ, "APPEVENTS_STORE": ""},
        )  # fmt: skip
        started.append(process)
        wait_http(f"http://127.0.0.1:{port}/webhook", process)
        return process, port

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
        if process.stderr:
            process.stderr.close()


def test_the_worker_runs_in_a_child_process_woken_at_each_commit(served, tmp_path):
    db_path = tmp_path / "inbox.db"
    server, port = served("--store", f"sqlite:///{db_path}")
    children = poll_until(lambda: worker_pids(server.pid), what="a worker child")
    started = time.monotonic()
    event_id = deliver(port)
    rows = poll_until(lambda: seen(db_path), what="the handler's row")
    # Woken by the pipe, not found by the 1 s poll.
    assert time.monotonic() - started < 0.9
    assert rows == [(event_id, children[0])]


def test_a_worker_that_dies_is_started_again(served, tmp_path):
    db_path = tmp_path / "inbox.db"
    server, port = served("--store", f"sqlite:///{db_path}")
    (first,) = poll_until(lambda: worker_pids(server.pid), what="a worker child")
    os.kill(first, signal.SIGKILL)
    (second,) = poll_until(
        lambda: [p for p in worker_pids(server.pid) if p != first], what="a new worker"
    )
    event_id = deliver(port)
    assert poll_until(lambda: seen(db_path), what="the handler's row") == [(event_id, second)]
    assert server.poll() is None


def test_the_worker_stops_when_the_server_dies(served, tmp_path):
    server, _ = served("--store", f"sqlite:///{tmp_path / 'inbox.db'}")
    (child,) = poll_until(lambda: worker_pids(server.pid), what="a worker child")
    os.kill(server.pid, signal.SIGKILL)  # no chance to stop its child itself
    server.wait(10)

    poll_until(lambda: exited(child), what="the orphaned worker's exit")


def test_sigterm_stops_server_and_worker_cleanly(served, tmp_path):
    db_path = tmp_path / "inbox.db"
    server, port = served("--store", f"sqlite:///{db_path}")
    deliver(port)
    poll_until(lambda: seen(db_path), what="the handler's row")  # the worker is up
    (ingest,) = ingest_pids(server.pid)
    server.send_signal(signal.SIGTERM)
    assert server.wait(20) == 0
    assert server.stderr is not None
    assert b"worker stopped after 1 attempts" in server.stderr.read()
    assert exited(ingest)


def test_in_process_and_off(served, tmp_path):
    db_path = tmp_path / "inbox.db"
    server, port = served("--store", f"sqlite:///{db_path}", "--worker", "in-process")
    assert worker_pids(server.pid) == []
    event_id = deliver(port)
    assert poll_until(lambda: seen(db_path)) == [(event_id, server.pid)]

    off_db = tmp_path / "off.db"
    off, off_port = served("--store", f"sqlite:///{off_db}", "--no-worker")
    deliver(off_port)
    time.sleep(1.0)
    assert worker_pids(off.pid) == [] and seen(off_db) == []


def test_worker_choices_that_cannot_work_are_refused(tmp_path):
    (tmp_path / "workapp.py").write_text(APP)
    base = ["serve", "workapp:app", "--app-dir", str(tmp_path), "--secret", SECRET]
    memory = CliRunner().invoke(cli, [*base, "--store", "memory://", "--worker", "process"])
    assert memory.exit_code == 2
    assert "--worker process cannot reach a memory:// store" in memory.output
    both = CliRunner().invoke(cli, [*base, "--no-worker", "--worker", "process"])
    assert both.exit_code == 2 and "--no-worker contradicts --worker process" in both.output
    ingest = CliRunner().invoke(cli, [*base, "--store", "memory://", "--ingest", "thread"])
    assert ingest.exit_code == 2
    assert "--ingest thread applies to sqlite:/// stores only, not to memory://" in ingest.output


# -- the SQLite ingest child -------------------------------------------------------------


def stored_ids(db_path: Path) -> list[str]:
    with sqlite3.connect(db_path) as db:
        return [row[0] for row in db.execute("SELECT id FROM events ORDER BY seq")]


def test_sqlite_commits_run_in_a_child_process_or_on_request_a_thread(served, tmp_path):
    db_path = tmp_path / "inbox.db"
    server, port = served("--store", f"sqlite:///{db_path}")
    assert len(poll_until(lambda: ingest_pids(server.pid), what="an ingest child")) == 1
    event_id = deliver(port)
    assert stored_ids(db_path) == [event_id]

    thread_db = tmp_path / "thread.db"
    threaded, thread_port = served("--store", f"sqlite:///{thread_db}", "--ingest", "thread")
    event_id = deliver(thread_port)
    assert stored_ids(thread_db) == [event_id]
    assert ingest_pids(threaded.pid) == []


def test_an_ingest_child_that_dies_is_started_again(served, tmp_path):
    db_path = tmp_path / "inbox.db"
    server, port = served("--store", f"sqlite:///{db_path}")
    (first,) = poll_until(lambda: ingest_pids(server.pid), what="an ingest child")
    os.kill(first, signal.SIGKILL)
    poll_until(lambda: exited(first), what="the killed child's exit")
    body = make_event("customer.created", account="acct_1")
    answers = []

    def delivered() -> bool:
        response = httpx.post(
            f"http://127.0.0.1:{port}/webhook", content=body, headers=signed_headers(body, SECRET)
        )
        answers.append((response.status_code, response.json()))
        return response.status_code == 200

    poll_until(delivered, what="a delivery answered 200")
    # A delivery that raced the crash is refused for Stripe to retry, never lost as a 200.
    for status, answer in answers[:-1]:
        assert (status, answer["error"]["code"]) == (503, "store_unavailable")
    assert answers[-1] == (200, {"received": True, "duplicate": False})
    assert stored_ids(db_path) == [json.loads(body)["id"]]
    (second,) = ingest_pids(server.pid)
    assert second != first and server.poll() is None


def test_the_ingest_child_stops_when_the_server_dies(served, tmp_path):
    server, _ = served("--store", f"sqlite:///{tmp_path / 'inbox.db'}")
    (child,) = poll_until(lambda: ingest_pids(server.pid), what="an ingest child")
    os.kill(server.pid, signal.SIGKILL)
    server.wait(10)
    poll_until(lambda: exited(child), what="the orphaned ingest child's exit")


def test_a_port_in_use_is_a_clear_error(tmp_path):
    (tmp_path / "workapp.py").write_text(APP)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            cli,
            ["serve", "workapp:app", "--app-dir", str(tmp_path), "--secret", SECRET,
             "--store", f"sqlite:///{tmp_path / 'inbox.db'}", "--port", str(port)],
        )  # fmt: skip
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert "choose another --port" in result.output
