"""``serve --catchup-on-start``: a catch-up from each account's newest stored event, run
in the background once the receiver is up (a companion of the webhook server).

After a restart, what Stripe could not deliver while the receiver was down is either
still being retried (it will arrive) or was given up on; listing from the newest stored
event finds the latter. The receiver answers deliveries meanwhile, as usual: an event
both delivered and listed is stored once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from ..errors import AppEventsError
from .catchup import TokenBucket, key_livemode, rate_for_key
from .catchup_api import EventsAPI
from .catchup_run import AccountResult, accounts_to_catch_up, catch_up
from .inbox import Store

__all__ = ["CatchupOnStart"]

log = logging.getLogger("appevents.catchup")


class CatchupOnStart:
    def __init__(
        self,
        store: Store,
        api_key: str,
        api_base: str,
        *,
        on_inserted: Callable[[int], None] | None = None,
    ) -> None:
        self.store = store
        self.api = EventsAPI(api_key, api_base, limiter=TokenBucket(rate_for_key(api_key)))
        self.livemode = key_livemode(api_key)
        self.on_inserted = on_inserted
        self.results: list[AccountResult] | None = None
        """What the catch-up did, once it is over."""
        self.done = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="appevents-catchup")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.api.aclose()

    async def _run(self) -> None:
        try:
            accounts = await accounts_to_catch_up(self.store, self.livemode)
            log.info("catch-up of %d account(s) since their newest stored event", len(accounts))
            self.results = await catch_up(
                self.store,
                self.api,
                livemode=self.livemode,
                accounts=accounts,
                since=None,
                from_last=True,
                on_inserted=self.on_inserted,
            )
        except AppEventsError as exc:  # the store failed: the next start tries again
            log.error("catch-up stopped: %s", exc)
            return
        finally:
            self.done.set()
        for result in self.results:
            if result.error:
                log.error("catch-up of %s failed: %s", result.name, result.error)
            elif result.skipped:
                log.info("catch-up of %s skipped: nothing of it is stored yet", result.name)
            elif result.inserted:
                log.warning(
                    "catch-up of %s: %d missed event(s) inserted (%d listed)",
                    result.name,
                    result.inserted,
                    result.listed,
                )
        log.info("catch-up done: %d event(s) inserted", sum(r.inserted for r in self.results))
