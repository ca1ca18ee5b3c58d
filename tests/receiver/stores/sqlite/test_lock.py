"""The SQLite writer lock: receivers first, across threads and processes, never stuck."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from appevents.receiver.stores.sqlite.lock import WriterLock


def handle(path: Path) -> WriterLock:
    lock = WriterLock(path)
    lock.open()
    return lock


def in_thread(function) -> tuple[threading.Thread, threading.Event]:
    done = threading.Event()

    def run() -> None:
        function()
        done.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, done


def test_a_waiting_receiver_is_seen_by_the_worker_and_goes_first(tmp_path):
    db = tmp_path / "inbox.db"
    worker, receiver, other_worker = handle(db), handle(db), handle(db)
    order: list[str] = []
    with worker.for_worker():
        assert not worker.ingest_waiting()

        def ingest() -> None:
            with receiver.for_ingest():
                order.append("receiver")

        def work() -> None:
            with other_worker.for_worker():
                order.append("worker")

        receiving, received = in_thread(ingest)
        deadline = time.monotonic() + 5
        while not worker.ingest_waiting():  # the receiver announced itself
            assert time.monotonic() < deadline
            time.sleep(0.001)
        working, worked = in_thread(work)  # arrives after the receiver
        time.sleep(0.05)
        assert not received.is_set() and not worked.is_set()  # both wait for us
    receiving.join(5)
    working.join(5)
    assert order == ["receiver", "worker"]
    for lock in (worker, receiver, other_worker):
        lock.close()


def test_workers_exclude_each_other(tmp_path):
    db = tmp_path / "inbox.db"
    first, second = handle(db), handle(db)
    with first.for_worker():
        thread, done = in_thread(lambda: second.for_worker().__enter__())
        assert not done.wait(0.1)
    assert done.wait(5)
    thread.join(5)
    first.close()
    second.close()


HOLDER = """
import sys, time
from pathlib import Path
from appevents.receiver.stores.sqlite.lock import WriterLock
lock = WriterLock(Path(sys.argv[1]))
lock.open()
with lock.for_worker():
    print("holding", flush=True)
    time.sleep(60)
"""


def test_another_process_holds_it_and_its_death_releases_it(tmp_path):
    db = tmp_path / "inbox.db"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        ours = handle(db)
        thread, done = in_thread(lambda: ours.for_ingest().__enter__())
        assert not done.wait(0.2)  # another process writes
        os.kill(holder.pid, signal.SIGKILL)  # dies holding it: the kernel lets go
        assert done.wait(5)
        thread.join(5)
        ours.close()
    finally:
        holder.kill()
        holder.wait(5)


def test_a_receiver_waits_for_the_writer_lock_no_longer_than_its_timeout(tmp_path):
    db = tmp_path / "inbox.db"
    worker, receiver = handle(db), handle(db)
    with worker.for_worker():
        started = time.monotonic()
        with (
            pytest.raises(sqlite3.OperationalError, match=r"locked.*more than 0\.2 s"),
            receiver.for_ingest(timeout=0.2),
        ):
            pass
        assert 0.2 <= time.monotonic() - started < 1.0
        assert not worker.ingest_waiting()  # it let go of its claim as it gave up
    taken = threading.Event()
    with worker.for_worker():
        thread, done = in_thread(lambda: _take(receiver, taken))
        time.sleep(0.05)
        assert not taken.is_set()
    released = time.monotonic()
    assert done.wait(5)
    assert time.monotonic() - released < 0.05  # a bounded wait still ends at the release
    thread.join(5)


def _take(lock: WriterLock, taken: threading.Event) -> None:
    with lock.for_ingest(timeout=5):
        taken.set()
