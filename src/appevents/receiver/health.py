"""Liveness and readiness, as a load balancer or an orchestrator asks for them.

``/healthz`` says the process is up and its loop answers: nothing is read. ``/readyz``
says whether this receiver should be sent deliveries, from one bounded query of the
store (:meth:`Store.backlog`, the same one the metrics read):

- ``store``: it answered within ``store_timeout`` seconds;
- ``worker``: some worker beat in the store at most ``max_worker_age`` seconds ago
  (None: not checked, e.g. ``serve --no-worker`` whose workers run elsewhere);
- ``backlog``: pending and due events are at most ``max_backlog`` (None: not checked).

Each check reports its value and limit, so a 503 says which failed and by how much.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigurationError, StoreError
from .inbox import Backlog, Store

__all__ = ["Readiness", "ReadinessReport"]

DEFAULT_MAX_BACKLOG = 10_000
DEFAULT_MAX_WORKER_AGE = 30.0
DEFAULT_STORE_TIMEOUT = 2.0


@dataclass(frozen=True, slots=True)
class ReadinessReport:
    ready: bool
    checks: dict[str, dict[str, Any]]
    backlog: Backlog | None
    """What the store answered (None if it did not): the metrics show it too."""
    checked_at: float

    def to_dict(self) -> dict[str, Any]:
        failed = [name for name, check in self.checks.items() if not check["ok"]]
        result: dict[str, Any] = {"status": "ready" if self.ready else "unready"}
        if failed:
            result["failed"] = failed
        result["checks"] = self.checks
        return result


class Readiness:
    def __init__(
        self,
        *,
        max_backlog: int | None = DEFAULT_MAX_BACKLOG,
        max_worker_age: float | None = DEFAULT_MAX_WORKER_AGE,
        store_timeout: float = DEFAULT_STORE_TIMEOUT,
        top: int = 10,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_backlog is not None and max_backlog < 0:
            raise ConfigurationError(f"max_backlog must be 0 or more events, got {max_backlog!r}")
        if max_worker_age is not None and max_worker_age <= 0:
            raise ConfigurationError(
                f"max_worker_age must be a positive number of seconds, got {max_worker_age!r}"
            )
        self.max_backlog = max_backlog
        self.max_worker_age = max_worker_age
        self.store_timeout = store_timeout
        self.top = top
        self.clock = clock

    async def check(self, store: Store) -> ReadinessReport:
        now = self.clock()
        checks: dict[str, dict[str, Any]] = {}
        try:
            backlog = await asyncio.wait_for(
                store.backlog(now=now, top=self.top), self.store_timeout
            )
        except (StoreError, TimeoutError, OSError) as exc:
            error = str(exc) or f"no answer within {self.store_timeout:g} s"
            checks["store"] = {"ok": False, "error": error}
            return ReadinessReport(False, checks, None, now)
        checks["store"] = {"ok": True}
        if self.max_worker_age is not None:
            ages = [now - worker.beat_at for worker in backlog.workers]
            youngest = round(min(ages), 3) if ages else None
            checks["worker"] = {
                "ok": youngest is not None and youngest <= self.max_worker_age,
                "heartbeat_age_seconds": youngest,
                "max_seconds": self.max_worker_age,
            }
        if self.max_backlog is not None:
            checks["backlog"] = {
                "ok": backlog.due <= self.max_backlog,
                "events": backlog.due,
                "max_events": self.max_backlog,
            }
        return ReadinessReport(all(c["ok"] for c in checks.values()), checks, backlog, now)
