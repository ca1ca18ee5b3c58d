"""A store that stops answering: the receiver answers 503 within its commit timeout.

Three real stalls: the SQLite ingest child stopped by SIGSTOP, the SQLite write lock
held by another connection, and a PostgreSQL server that stops speaking (a proxy on
127.0.0.1 that stops forwarding). In each, a delivery gets its 503 promptly, and once
the store answers again nothing stored before is lost or damaged and the retried
deliveries are stored once each.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import pytest

from appevents.errors import ConfigurationError
from appevents.receiver import App, SQLiteStore
from appevents.testing import make_event, signed_headers
from servers import endpoint_server, webhook_server

SECRET = "whsec_stall_test"
COMMIT_TIMEOUT = 0.5
PROMPT = 3.0  # seconds: what "promptly" means here, six commit timeouts


def deliver(url: str, body: bytes) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = httpx.post(url, content=body, headers=signed_headers(body, SECRET), timeout=30)
    return response, time.monotonic() - started


def assert_prompt_503(url: str, body: bytes) -> None:
    response, elapsed = deliver(url, body)
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "store_unavailable"
    assert COMMIT_TIMEOUT * 0.9 <= elapsed < PROMPT


def event_id(body: bytes) -> str:
    return str(json.loads(body)["id"])


def sqlite_ids(db_path: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return [row[0] for row in db.execute("SELECT id FROM events ORDER BY id")]


def retried_until_stored(url: str, bodies: list[bytes]) -> None:
    """Stripe's retries: each body again until a 200 (a duplicate if it had committed)."""
    for body in bodies:
        deadline = time.monotonic() + 20
        while (response := deliver(url, body)[0]).status_code != 200:
            assert time.monotonic() < deadline, response.text


@pytest.mark.parametrize("bad", [0, -1, float("inf"), float("nan"), "5", True])
def test_commit_timeout_must_be_a_positive_finite_number(bad):
    with pytest.raises(ConfigurationError, match="commit_timeout"):
        App(SECRET, commit_timeout=bad)
    with pytest.raises(ConfigurationError, match="commit_timeout"):
        App(SECRET).configured(commit_timeout=bad)


def test_a_stopped_sqlite_ingest_process_is_answered_503_promptly(tmp_path):
    db_path = tmp_path / "inbox.db"
    store = SQLiteStore(db_path, ingest_process=True)
    app = App(SECRET, store=store, commit_timeout=COMMIT_TIMEOUT)
    first, stalled, queued = (make_event("customer.created", account="acct_1") for _ in range(3))
    with webhook_server(app) as base:
        url = base + "/webhook"
        assert deliver(url, first)[0].status_code == 200
        pid = store._ingest_child._process.pid  # type: ignore[union-attr]
        os.kill(pid, signal.SIGSTOP)
        try:
            assert_prompt_503(url, stalled)  # its batch went to the stopped child
            assert_prompt_503(url, queued)  # waited behind that batch
        finally:
            os.kill(pid, signal.SIGCONT)
        retried_until_stored(url, [stalled, queued])
    assert sqlite_ids(db_path) == sorted(map(event_id, [first, stalled, queued]))


@pytest.mark.parametrize("shell", ["builtin", "asgi"])
@pytest.mark.parametrize("ingest_process", [False, True], ids=["thread", "process"])
def test_a_sqlite_write_lock_held_elsewhere_is_answered_503_promptly(
    tmp_path, ingest_process, shell
):
    db_path = tmp_path / "inbox.db"
    store = SQLiteStore(db_path, ingest_process=ingest_process)
    app = App(SECRET, store=store, commit_timeout=COMMIT_TIMEOUT)
    first, blocked = (make_event("customer.created", account="acct_1") for _ in range(2))
    with endpoint_server(shell, app) as base:
        url = base + "/webhook"
        assert deliver(url, first)[0].status_code == 200
        blocker = sqlite3.connect(db_path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another program holds the write lock
        try:
            assert_prompt_503(url, blocked)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        retried_until_stored(url, [blocked])
    assert sqlite_ids(db_path) == sorted(map(event_id, [first, blocked]))


def test_a_store_opened_from_a_url_gives_up_its_wait_with_the_delivery(tmp_path):
    """The store's own wait (SQLite's busy timeout) is the commit timeout: after the 503
    nothing is left waiting to commit behind the answer."""
    db_path = tmp_path / "inbox.db"
    app = App(SECRET, store=f"sqlite:///{db_path}", commit_timeout=COMMIT_TIMEOUT)
    first, blocked = (make_event("customer.created", account="acct_1") for _ in range(2))
    with webhook_server(app) as base:
        url = base + "/webhook"
        assert deliver(url, first)[0].status_code == 200
        blocker = sqlite3.connect(db_path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            assert_prompt_503(url, blocked)
            # Long enough for the store's own wait to end even on a busy machine: a store
            # still waiting would commit on release.
            time.sleep(COMMIT_TIMEOUT * 4)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        time.sleep(COMMIT_TIMEOUT)
        assert sqlite_ids(db_path) == [event_id(first)]
        retried_until_stored(url, [blocked])
    assert sqlite_ids(db_path) == sorted(map(event_id, [first, blocked]))


class StallingProxy:
    """A TCP proxy on 127.0.0.1 to ``upstream`` that can stop forwarding (both ways) and
    resume: a database server that stops answering without closing anything."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.flowing = threading.Event()
        self.flowing.set()
        self.closed = threading.Event()
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream, timeout=5)
            self.sockets += [client, server]
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        source.settimeout(0.05)
        with contextlib.suppress(OSError):
            while not self.closed.is_set():
                try:
                    data = source.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    break
                while not self.flowing.wait(0.05):  # stalled: hold the bytes, say nothing
                    if self.closed.is_set():
                        return
                target.sendall(data)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self.closed.set()
        self.flowing.set()
        self.listener.close()
        for sock in self.sockets:
            sock.close()


@pytest.mark.postgres
def test_a_postgres_server_that_stops_answering_is_answered_503_promptly():
    import psycopg

    from appevents.receiver.stores.postgres import PostgresStore
    from environment import postgres_url
    from postgres_support import create_schema, drop_schema

    schema = create_schema()
    given = psycopg.conninfo.conninfo_to_dict(postgres_url())
    proxy = StallingProxy((str(given.get("host") or "127.0.0.1"), int(given.get("port") or 5432)))
    try:
        through_proxy = psycopg.conninfo.make_conninfo(
            postgres_url(), host="127.0.0.1", port=str(proxy.port)
        )
        store = PostgresStore(through_proxy, schema=schema, max_size=2)
        app = App(SECRET, store=store, commit_timeout=COMMIT_TIMEOUT)
        first, stalled, queued = (
            make_event("customer.created", account="acct_1") for _ in range(3)
        )
        with webhook_server(app) as base:
            url = base + "/webhook"
            assert deliver(url, first)[0].status_code == 200
            proxy.flowing.clear()
            try:
                assert_prompt_503(url, stalled)
                assert_prompt_503(url, queued)
            finally:
                proxy.flowing.set()
            retried_until_stored(url, [stalled, queued])
        with psycopg.connect(postgres_url()) as db:
            ids = db.execute(f'SELECT id FROM "{schema}".events ORDER BY id').fetchall()
        assert [row[0] for row in ids] == sorted(map(event_id, [first, stalled, queued]))
    finally:
        proxy.close()
        drop_schema(schema)
