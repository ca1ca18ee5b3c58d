"""WAL checkpoints off the lane: a thread with its own connection copies committed pages
from the write-ahead log into the database file, so the lane never does it.

SQLite's automatic checkpoint runs inside the commit that crosses the threshold (1000
pages): on the sandbox's busiest path that is a stall of several milliseconds (copying
the pages, two fsyncs) every hundred events or so, during which no API call and no
delivery record can proceed. A passive checkpoint from another connection never blocks
the writer; once it has copied everything, the writer starts the log over. The lane's
own automatic checkpoint stays, at a higher threshold, as a bound on the log's size if
this thread ever falls behind.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

__all__ = ["LANE_AUTOCHECKPOINT", "Checkpointer"]

log = logging.getLogger("appevents.sandbox.state")

LANE_AUTOCHECKPOINT = 20_000
"""Pages (of 4 KiB) the log may hold before the writer checkpoints it itself."""


class Checkpointer:
    def __init__(self, path: str | Path, *, interval: float = 0.25) -> None:
        self.path = str(path)
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="appevents-sandbox-checkpoints", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def _run(self) -> None:
        try:
            db = sqlite3.connect(self.path, isolation_level=None, timeout=0.1)
        except sqlite3.Error:
            log.exception("cannot open %s for checkpoints: the writer will do them", self.path)
            return
        try:
            while not self._stop.wait(self.interval):
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:  # busy, or the file went away: try later
                    log.debug("checkpoint skipped: %s", exc)
        finally:
            db.close()
