"""Which owed delivery goes next: fair turns across webhook endpoints.

Senders are shared by every account's endpoints, so one endpoint that hangs must not hold
them all while a healthy one waits. The rules, a pure decision over in-flight counts:

* endpoints in *good standing* share ``concurrency`` deliveries in flight, ``per_endpoint``
  each. Senders nobody else waits for are lent to an endpoint beyond its share, up to
  ``concurrency - per_endpoint`` in flight, so that a lone busy endpoint (a Stripe App's
  one Connect endpoint) is not slowed down while a newcomer still finds senders free;
* an endpoint is *in trouble* once an attempt failed (no answer, or not 2xx) or has been in
  flight too long (the engine says so with :meth:`Dispatcher.slow`); it then gets one
  delivery in flight at a time, from a separate, smaller pool of ``troubled`` deliveries that
  all endpoints in trouble share. Its deliveries already in flight leave the good-standing
  pool, free again at once, and count in neither pool: the trouble pool stays open to
  the others in trouble. A prompt 2xx puts it back in good standing;
* endpoints with work take turns, round robin, one delivery per turn: first those within
  their share, then those in trouble, then those borrowing.

So at most ``concurrency`` deliveries of endpoints in good standing are in flight, at most
``troubled`` more, plus those that were in flight when their endpoint fell into trouble,
until they end (the engine's number of senders bounds them all). Nothing here knows about
sockets or time: the engine (delivery.py) reports what happened.
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
        self._pool_held: set[str] = set()
        """Endpoints in trouble with their one delivery from the trouble pool in flight."""
        # Endpoints that may send, in turn order: within their share, in trouble (none in
        # flight), beyond their share. Each endpoint with work is in the line its counts
        # put it in, or in none (in trouble with one in flight).
        self._good_turns: deque[str] = deque()
        self._trouble_turns: deque[str] = deque()
        self._borrow_turns: deque[str] = deque()
        self._line: dict[str, deque[str]] = {}
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
        if self._good_flying < self.concurrency and self._good_turns:
            self._good_flying += 1
            return self._launch(self._good_turns)
        if len(self._pool_held) < self.troubled and self._trouble_turns:
            taken = self._launch(self._trouble_turns)
            self._pool_held.add(taken[0])
            return taken
        if self._good_flying < self.concurrency - self.per_endpoint and self._borrow_turns:
            self._good_flying += 1
            return self._launch(self._borrow_turns)
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
        if endpoint not in self._trouble:
            self._good_flying -= 1
        elif endpoint in self._pool_held:  # its pool slot first: others in trouble wait
            self._pool_held.discard(endpoint)
        if healthy is not None:
            self._set_standing(endpoint, troubled=not healthy)
        self._enlist(endpoint)

    def clear(self) -> None:
        """Forget every waiting item (the engine stops; they are still owed in the table)."""
        self._queues.clear()
        self._good_turns.clear()
        self._trouble_turns.clear()
        self._borrow_turns.clear()
        self._line.clear()
        self._waiting = 0

    # -- what the engine asks --------------------------------------------------------------

    @property
    def waiting(self) -> int:
        """Items added and not taken yet."""
        return self._waiting

    def in_flight(self, endpoint: str | None = None) -> int:
        """Items taken and not done, to ``endpoint`` or in all."""
        if endpoint is None:
            return sum(self._flying.values())
        return self._flying.get(endpoint, 0)

    def in_trouble(self, endpoint: str) -> bool:
        return endpoint in self._trouble

    def troubled_with_backlog(self) -> Iterator[str]:
        """Endpoints in trouble with items waiting: they have all they can send for now."""
        return (endpoint for endpoint in self._trouble if endpoint in self._queues)

    def waiting_for(self, endpoint: str) -> Iterator[T]:
        """The items waiting for ``endpoint``'s turns, in the order they will go."""
        return iter(self._queues.get(endpoint, ()))

    # -- inside ----------------------------------------------------------------------------

    def _set_standing(self, endpoint: str, *, troubled: bool) -> None:
        """Move ``endpoint`` into trouble or out of it, with its deliveries in flight and
        its turn (rare enough that searching the line for it costs nothing that matters)."""
        if (endpoint in self._trouble) == troubled:
            return
        flying = self._flying.get(endpoint, 0)
        if troubled:
            self._trouble.add(endpoint)
            self._good_flying -= flying
        else:
            self._trouble.discard(endpoint)
            self._pool_held.discard(endpoint)
            self._good_flying += flying
        self._enlist(endpoint)

    def _line_for(self, endpoint: str) -> deque[str] | None:
        if endpoint not in self._queues:
            return None
        flying = self._flying.get(endpoint, 0)
        if endpoint in self._trouble:
            return self._trouble_turns if flying == 0 else None
        return self._good_turns if flying < self.per_endpoint else self._borrow_turns

    def _enlist(self, endpoint: str) -> None:
        """Put ``endpoint`` in the line its counts call for, at the back, unless it is
        there already (its place is kept). Moving between lines is rare (a share reached
        or left, a change of standing): searching a line for it costs little."""
        line = self._line_for(endpoint)
        current = self._line.get(endpoint)
        if current is line:
            return
        if current is not None:
            current.remove(endpoint)
            del self._line[endpoint]
        if line is not None:
            line.append(endpoint)
            self._line[endpoint] = line

    def _launch(self, line: deque[str]) -> tuple[str, T]:
        endpoint = line.popleft()
        del self._line[endpoint]
        queue = self._queues[endpoint]
        item = queue.popleft()
        if not queue:
            del self._queues[endpoint]
        self._waiting -= 1
        self._flying[endpoint] = self._flying.get(endpoint, 0) + 1
        self._enlist(endpoint)  # its next turn, after the others'
        return endpoint, item
