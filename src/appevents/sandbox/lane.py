"""The sandbox's lane: one thread owns the state's SQLite connection and runs every call
on it, one at a time, so operations never interleave.

Calls that queue up while the lane is busy run together as a *group*: one transaction,
each call in a savepoint of its own (a failing call is undone alone, and fails alone),
one commit, then every caller is answered. A commit costs the sandbox more than a whole
API call's inserts (the WAL's page writes), and answering a group with one wake-up of the
event loop costs less than one per call; under load the groups grow and both shrink per
call, while a lone call still runs at once. No caller is answered before its writes are
committed, so each API call keeps "answered means stored".
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .state.db import Outcome, StateDB

T = TypeVar("T")

__all__ = ["Lane"]

MAX_GROUP = 64
"""Calls per group at most."""
GROUP_SECONDS = 0.002
"""A group takes more calls for this long at most, then commits."""


@dataclass(slots=True)
class _Call:
    function: Callable[[], Any]
    loop: asyncio.AbstractEventLoop | None = None
    future: asyncio.Future[Any] | None = None
    done: concurrent.futures.Future[Any] | None = field(default=None)
    """For :meth:`Lane.submit`: run alone, outside any group."""


class Lane:
    def __init__(self, name: str) -> None:
        self.db: StateDB | None = None
        """The connection groups run on; until it is set, calls run one by one."""
        self._calls: deque[_Call | None] = deque()
        self._ready = threading.Condition()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()

    async def run(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._put(_Call(lambda: function(*args, **kwargs), loop, future))
        return await future

    def submit(self, function: Callable[..., T], *args: Any) -> T:
        """Run synchronously (from outside any event loop), alone, on the lane's thread."""
        done: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._put(_Call(lambda: function(*args), done=done))
        return done.result()

    def shutdown(self) -> None:
        self._put(None)
        self._thread.join()

    def _put(self, call: _Call | None) -> None:
        with self._ready:
            self._calls.append(call)
            self._ready.notify()

    def _main(self) -> None:
        while True:
            with self._ready:
                while not self._calls:
                    self._ready.wait()
                first = self._calls.popleft()
            if first is None:
                return
            if first.done is not None:
                _settle_now(first)
                continue
            group = [first]
            if self.db is None:
                outcomes = [_outcome(first.function)]
            else:
                outcomes = self.db.run_group(self._group(group))
            self._answer(group, outcomes)

    def _group(self, group: list[_Call]) -> Iterator[Callable[[], Any]]:
        """The group's calls: the first, then those queued or arriving while it runs, up
        to :data:`GROUP_SECONDS` or :data:`MAX_GROUP` calls. A time budget rather than
        "whatever is queued" keeps commits (and answers) coming at a steady pace instead
        of in waves as large as the number of clients."""
        yield group[0].function
        deadline = time.perf_counter() + GROUP_SECONDS
        while len(group) < MAX_GROUP and time.perf_counter() < deadline:
            with self._ready:
                following = self._calls[0] if self._calls else None
                if following is None or following.done is not None:
                    return  # nothing waiting, the end, or a call that runs alone
                self._calls.popleft()
            group.append(following)
            yield following.function

    def _answer(self, group: list[_Call], outcomes: list[Outcome]) -> None:
        """One wake-up per event loop for the whole group."""
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Call, Outcome]]] = {}
        for call, outcome in zip(group, outcomes, strict=True):
            assert call.loop is not None
            by_loop.setdefault(call.loop, []).append((call, outcome))
        for loop, answers in by_loop.items():
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                loop.call_soon_threadsafe(_settle, answers)


def _outcome(function: Callable[[], Any]) -> Outcome:
    try:
        return True, function()
    except BaseException as exc:
        return False, exc


def _settle_now(call: _Call) -> None:
    assert call.done is not None
    ok, value = _outcome(call.function)
    if ok:
        call.done.set_result(value)
    else:
        call.done.set_exception(value)


def _settle(answers: list[tuple[_Call, Outcome]]) -> None:
    for call, (ok, value) in answers:
        future = call.future
        if future is None or future.done():  # cancelled meanwhile
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
