"""Which owed delivery goes next: fair turns across webhook endpoints.

Senders are shared by every account's endpoints, so one endpoint that hangs must not hold
them all while a healthy one waits. The rules, a pure decision over in-flight counts:

* endpoints in *good standing* share ``concurrency`` deliveries in flight, at most
  ``per_endpoint`` each;
* an endpoint is *in trouble* once an attempt failed (no answer, or not 2xx) or has been in
  flight too long (the engine says so with :meth:`Dispatcher.slow`); it then gets one
  delivery in flight at a time, from a separate, smaller pool of ``troubled`` deliveries that
  all endpoints in trouble share. Its deliveries already in flight move to that pool, so the
  good-standing pool is free again at once. A prompt 2xx puts it back in good standing;
* endpoints with work take turns, round robin, one delivery per turn.

So at most ``concurrency`` deliveries of endpoints in good standing are in flight, and at
most ``troubled`` more, plus, for a moment, those that were in flight when their endpoint
fell into trouble (at most ``concurrency`` again). Nothing here knows about sockets or time:
the engine (delivery.py) reports what happened.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Generic, TypeVar

from ..errors import ConfigurationError

__all__ = ["Dispatcher", "require_count"]

T = TypeVar("T")


def require_count(name: str, value: object, meaning: str) -> int:
    """``value`` as a count of at least 1, or a ConfigurationError naming it."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"{name}={value!r}: expected an integer >= 1 ({meaning})")
    return value


class Dispatcher(Generic[T]):
    """Owed items per endpoint, and the turn they take to be sent."""

    def __init__(self, *, concurrency: int, per_endpoint: int, troubled: int) -> None:
        self.concurrency = require_count(
            "concurrency", concurrency, "deliveries in flight to endpoints in good standing"
        )
        self.per_endpoint = require_count(
            "per_endpoint", per_endpoint, "deliveries in flight to one endpoint at most"
        )
        self.troubled = require_count(
            "troubled", troubled, "deliveries in flight to all endpoints in trouble together"
        )
        self._queues: dict[str, deque[T]] = {}
        self._flying: dict[str, int] = {}
        self._trouble: set[str] = set()
        self._good_flying = 0
        self._trouble_flying = 0
        # Endpoints that may send, in turn order, one line per standing. An entry can go
        # stale (its endpoint reached its cap meanwhile): taking checks it again.
        self._good_turns: deque[str] = deque()
        self._trouble_turns: deque[str] = deque()
        self._in_turns: set[str] = set()
        self._waiting = 0

    # -- what the engine tells -------------------------------------------------------------

    def add(self, endpoint: str, item: T) -> None:
        """``item`` is owed to ``endpoint``: it waits for its endpoint's turn."""
        queue = self._queues.get(endpoint)
        if queue is None:
            queue = self._queues[endpoint] = deque()
        queue.append(item)
        self._waiting += 1
        self._enlist(endpoint)

    def take(self) -> tuple[str, T] | None:
        """The next item to send and its endpoint, now counted in flight; None when every
        endpoint with work is at its limit (or nothing waits)."""
        if self._good_flying < self.concurrency:
            endpoint = self._next_turn(self._good_turns)
            if endpoint is not None:
                self._good_flying += 1
                return endpoint, self._launch(endpoint)
        if self._trouble_flying < self.troubled:
            endpoint = self._next_turn(self._trouble_turns)
            if endpoint is not None:
                self._trouble_flying += 1
                return endpoint, self._launch(endpoint)
        return None

    def slow(self, endpoint: str) -> None:
        """An attempt to ``endpoint`` has been in flight too long: it is in trouble."""
        self._set_standing(endpoint, troubled=True)

    def done(self, endpoint: str, healthy: bool | None) -> None:
        """An item taken for ``endpoint`` is no longer in flight. ``healthy``: True for a
        prompt 2xx (back in good standing), False for a failure or a slow answer (in
        trouble), None when nothing was attempted (its standing is unchanged)."""
        flying = self._flying.get(endpoint, 0)
        if flying < 1:
            raise ValueError(f"done({endpoint!r}): no delivery to it is in flight")
        if flying == 1:
            del self._flying[endpoint]
        else:
            self._flying[endpoint] = flying - 1
        if endpoint in self._trouble:
            self._trouble_flying -= 1
        else:
            self._good_flying -= 1
        if healthy is not None:
            self._set_standing(endpoint, troubled=not healthy)
        self._enlist(endpoint)

    def clear(self) -> None:
        """Forget every waiting item (the engine stops; they are still owed in the table)."""
        self._queues.clear()
        self._good_turns.clear()
        self._trouble_turns.clear()
        self._in_turns.clear()
        self._waiting = 0

    # -- what the engine asks --------------------------------------------------------------

    @property
    def waiting(self) -> int:
        """Items added and not taken yet."""
        return self._waiting

    def in_flight(self, endpoint: str | None = None) -> int:
        """Items taken and not done, to ``endpoint`` or in all."""
        if endpoint is None:
            return self._good_flying + self._trouble_flying
        return self._flying.get(endpoint, 0)

    def in_trouble(self, endpoint: str) -> bool:
        return endpoint in self._trouble

    def waiting_for(self, endpoint: str) -> Iterator[T]:
        """The items waiting for ``endpoint``'s turns, in the order they will go."""
        return iter(self._queues.get(endpoint, ()))

    # -- inside ----------------------------------------------------------------------------

    def _set_standing(self, endpoint: str, *, troubled: bool) -> None:
        """Move ``endpoint`` into trouble or out of it, with its deliveries in flight and
        its turn (rare enough that searching the line for it costs nothing that matters)."""
        if (endpoint in self._trouble) == troubled:
            return
        if endpoint in self._in_turns:
            old_turns = self._good_turns if troubled else self._trouble_turns
            old_turns.remove(endpoint)
            self._in_turns.discard(endpoint)
        moved = self._flying.get(endpoint, 0)
        if troubled:
            self._trouble.add(endpoint)
            self._good_flying -= moved
            self._trouble_flying += moved
        else:
            self._trouble.discard(endpoint)
            self._trouble_flying -= moved
            self._good_flying += moved
        self._enlist(endpoint)

    def _may_send(self, endpoint: str) -> bool:
        if endpoint not in self._queues:
            return False
        limit = 1 if endpoint in self._trouble else self.per_endpoint
        return self._flying.get(endpoint, 0) < limit

    def _enlist(self, endpoint: str) -> None:
        """Give ``endpoint`` a turn, at the back, if it may send and has none yet."""
        if endpoint in self._in_turns or not self._may_send(endpoint):
            return
        turns = self._trouble_turns if endpoint in self._trouble else self._good_turns
        turns.append(endpoint)
        self._in_turns.add(endpoint)

    def _next_turn(self, turns: deque[str]) -> str | None:
        while turns:
            endpoint = turns.popleft()
            self._in_turns.discard(endpoint)
            if self._may_send(endpoint):
                return endpoint
        return None

    def _launch(self, endpoint: str) -> T:
        queue = self._queues[endpoint]
        item = queue.popleft()
        if not queue:
            del self._queues[endpoint]
        self._waiting -= 1
        self._flying[endpoint] = self._flying.get(endpoint, 0) + 1
        self._enlist(endpoint)  # its next turn, after the others'
        return item
