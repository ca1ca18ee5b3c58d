"""WAL checkpoints happen on their own thread: the database file catches up with the log
without the writer checkpointing."""

from __future__ import annotations

import time

from appevents.sandbox.state.checkpoints import Checkpointer
from appevents.sandbox.state.db import connect


def test_the_checkpointer_copies_the_log_into_the_database_file(tmp_path):
    path = tmp_path / "s.db"
    db = connect(path)
    db.execute("PRAGMA wal_autocheckpoint = 0")  # the writer never checkpoints here
    before = path.stat().st_size
    for n in range(300):
        with db.transaction():
            db.execute(
                "INSERT INTO objects (account, id, livemode, object, body, updated)"
                " VALUES ('acct_1', ?, 0, 'customer', ?, 0)",
                (f"cus_{n}", "x" * 1000),
            )
    assert path.stat().st_size == before  # everything is still in the log
    checkpointer = Checkpointer(path, interval=0.02)
    checkpointer.start()
    try:
        deadline = time.monotonic() + 5
        while path.stat().st_size < before + 300 * 1000 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        checkpointer.stop()
    assert path.stat().st_size >= before + 300 * 1000
    assert db.execute("SELECT COUNT(*) FROM objects").fetchone()[0] == 300
    db.close()


def test_a_checkpointer_on_a_missing_folder_gives_up_quietly(tmp_path):
    checkpointer = Checkpointer(tmp_path / "nowhere" / "s.db", interval=0.01)
    checkpointer.start()
    time.sleep(0.05)
    checkpointer.stop()
