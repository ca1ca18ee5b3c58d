"""How long finished events are kept: ``App(retention=Retention(done="30d"))`` and
``appevents inbox prune``.

Pruning never touches a pending or failed event, nor a dead one younger than its
threshold. It never breaks dedupe either: Stripe can send an event again for as long as
it keeps it (retries for 3 days, resends and ``GET /v1/events``, so a catch-up, for 30),
so an event created within those 30 days keeps its id and state, and only loses its
payload and attempts; it goes whole once older than that.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..errors import ConfigurationError
from .catchup import RETENTION_SECONDS
from .inbox import Pruned, Store

__all__ = ["Retention", "parse_duration", "prune_all"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(name: str, value: float | str) -> float:
    """Seconds from a number of seconds or ``30d``, ``12h``, ``90m``, ``45s``, ``2w``."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match is None:
            raise ConfigurationError(
                f"{name} {value!r} is not a duration: write it like 30d, 12h, 90m or 2w "
                "(or a number of seconds)"
            )
        seconds = float(match[1]) * _UNITS[match[2]]
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(f"{name} must be a duration such as '30d', got {value!r}")
    else:
        seconds = float(value)
    if not (math.isfinite(seconds) and seconds > 0):
        raise ConfigurationError(f"{name} must be a positive duration such as '30d', got {value!r}")
    return seconds


@dataclass(frozen=True, slots=True)
class Retention:
    """Keep DONE (and SKIPPED) events ``done`` after they completed, DEAD ones ``dead``
    after they were received (None: forever); durations as seconds or ``"30d"``.

    The worker prunes every ``interval`` seconds, ``batch`` events per transaction, so a
    large backlog of old events never holds the store for long."""

    done: float | str | None = "30d"
    dead: float | str | None = None
    interval: float = 60.0
    batch: int = 500

    def __post_init__(self) -> None:
        for name in ("done", "dead"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, parse_duration(f"Retention({name}=...)", value))
        object.__setattr__(
            self, "interval", parse_duration("Retention(interval=...)", self.interval)
        )
        if isinstance(self.batch, bool) or not isinstance(self.batch, int) or self.batch < 1:
            raise ConfigurationError(
                f"Retention(batch=...) must be a positive whole number, got {self.batch!r}"
            )

    def thresholds(self, now: float) -> tuple[float | None, float | None, int]:
        """``(done_before, dead_before, created_before)`` for :meth:`Store.prune`."""
        done = None if self.done is None else now - float(self.done)
        dead = None if self.dead is None else now - float(self.dead)
        return done, dead, int(now) - RETENTION_SECONDS


async def prune_all(
    store: Store, retention: Retention, *, now: float, max_batches: int | None = None
) -> Pruned:
    """Prune batch after batch until none is left (or ``max_batches`` ran)."""
    done_before, dead_before, created_before = retention.thresholds(now)
    total = Pruned(0, 0)
    batches = 0
    while max_batches is None or batches < max_batches:
        pruned = await store.prune(
            done_before=done_before,
            dead_before=dead_before,
            created_before=created_before,
            now=now,
            limit=retention.batch,
        )
        total += pruned
        batches += 1
        if pruned.deleted + pruned.stripped < retention.batch:
            break
    return total
