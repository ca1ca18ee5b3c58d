"""A lane: one thread that owns one blocking database connection.

sqlite3 connections must not be used by two threads at once; giving each connection
its own single-thread executor serialises its use while the event loop stays free.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["Lane"]


class Lane:
    def __init__(self, name: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)

    async def run(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        call = functools.partial(function, *args, **kwargs) if kwargs else function
        return await loop.run_in_executor(self._executor, call, *(() if kwargs else args))

    def submit(self, function: Callable[..., T], *args: Any) -> T:
        """Run synchronously (from outside any event loop), still on the lane's thread."""
        return self._executor.submit(function, *args).result()

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True)
