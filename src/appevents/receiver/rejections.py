"""Deliveries the receiver did not accept: counted per reason, and logged, rate-limited.

A wrong signing secret turns every delivery into a 400 that only Stripe's dashboard
shows; the receiver's operator must see it too. Each reason (the error code of the
answer) is logged at once the first time, then at most once per ``interval``, that
line saying how many more were not logged one by one, so a flood of bad requests
cannot flood the log. A line names the answer, where the request came from, the path it
asked for, the ``t=`` of its Stripe-Signature header (nothing else of it), the event id
the body claims (unverified, and only its ``evt_`` characters) and the usual cause; it
never contains the body, the signatures or a secret. Each record also carries these
fields apart (``record.appevents``), for ``serve --log-format json``.

The counts serve the periodic summary (:meth:`Rejections.period_summary`) and the one
at shutdown (:meth:`Rejections.run_summary`).
"""

from __future__ import annotations

import collections
import datetime
import logging
import re
import threading
import time
from collections.abc import Callable

from .durations import positive_seconds
from .replies import Reply

__all__ = ["Rejections", "claimed_event_id", "describe_signature"]

log = logging.getLogger("appevents.receiver.rejections")

STORE_UNAVAILABLE = "store_unavailable"
HINTS = {
    "no_matching_signature": "is the secret (--secret, APPEVENTS_WEBHOOK_SECRET, "
    "App(secrets=...)) the endpoint's signing secret?",
    "timestamp_too_old": "is this machine's clock right? If it is, the delivery was replayed",
    "timestamp_in_future": "is this machine's clock right (it is behind the sender's)?",
    "missing_signature_header": "only Stripe signs deliveries; does a proxy strip the header?",
    "malformed_signature_header": "not a delivery from Stripe?",
    "no_timestamp": "not a delivery from Stripe?",
    "no_v1_signature": "not a delivery from Stripe?",
    "body_not_json": "signed, but not an event: does something else share the secret?",
    "body_not_an_event": "signed, but not an event: does something else share the secret?",
    "body_too_large": "raise max_body_bytes if your events are this large",
    "not_found": "is the endpoint's URL in Stripe the receiver's path?",
    "method_not_allowed": "Stripe delivers events with POST",
}
_MAX_TIMESTAMP_DIGITS = 12
# The id a body claims: looked for in its first bytes only, and only as Stripe spells
# ids, so that an unverified body can put nothing else in the log.
_EVENT_ID = re.compile(rb'"id"\s*:\s*"(evt_[A-Za-z0-9_]{1,120})"')
_EVENT_ID_WINDOW = 65536


def claimed_event_id(body: bytes | None) -> str | None:
    """The first ``"id": "evt_…"`` in the body's first 64 KiB (not verified), or None."""
    if not body:
        return None
    match = _EVENT_ID.search(body, 0, _EVENT_ID_WINDOW)
    return match[1].decode("ascii") if match else None


def describe_signature(header: str | bytes | None) -> str:
    """The Stripe-Signature header by its ``t=`` alone, parsed without trusting it."""
    if not header:
        return "no Stripe-Signature header"
    if isinstance(header, bytes):
        try:
            header = header.decode("ascii")
        except UnicodeDecodeError:
            return "a Stripe-Signature header that is not ASCII"
    if not header.isascii():
        return "a Stripe-Signature header that is not ASCII"
    values = [item.strip()[2:] for item in header.split(",") if item.strip().startswith("t=")]
    if not values:
        return "a Stripe-Signature header without t="
    value = values[0]
    if len(values) > 1 or not value.isdigit() or len(value) > _MAX_TIMESTAMP_DIGITS:
        return "a Stripe-Signature header with a malformed t="
    try:
        when = datetime.datetime.fromtimestamp(int(value), datetime.UTC)
    except (ValueError, OverflowError, OSError):  # twelve digits reach past the calendar
        return f"t={value} (after the year 9999)"
    return f"t={value} ({when:%Y-%m-%d %H:%M:%S} UTC)"


class Rejections:
    """Counts and rate-limited log lines of the deliveries refused (thread-safe: the WSGI
    shell refuses on its request threads)."""

    def __init__(
        self,
        *,
        interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        logger: logging.Logger = log,
    ) -> None:
        self.interval = positive_seconds(
            "the interval between summaries of rejected deliveries", interval, "60"
        )
        self.totals: collections.Counter[str] = collections.Counter()
        self._clock = clock
        self._log = logger
        self._lock = threading.Lock()
        self._period: collections.Counter[str] = collections.Counter()
        self._period_start = clock()
        self._quiet_until: dict[str, float] = {}
        self._not_logged: collections.Counter[str] = collections.Counter()

    def rejected(
        self,
        reply: Reply,
        signature: str | bytes | None,
        remote: str | None,
        *,
        path: str | None = None,
        body: bytes | None = None,
    ) -> None:
        """Count and log a delivery answered with ``reply`` (a 4xx); ``path`` and ``body``
        (when read) name what was asked for and the event id it claims."""
        reason = reply.code
        skipped = self._count(reason)
        if skipped is not None:
            origin = f" from {remote}" if remote else ""
            target = f" to {path[:200]}" if path else ""
            event_id = claimed_event_id(body)
            claimed = f", event {event_id} (unverified)" if event_id else ""
            hint = HINTS.get(reason)
            self._emit(
                reason,
                skipped,
                f"rejected a delivery{origin}{target}: {reply.status} {reason}, "
                f"{_signature_part(signature)}{claimed}" + (f"; {hint}" if hint else ""),
                {
                    "status": reply.status,
                    "remote": remote,
                    "path": path[:200] if path else None,
                    "signature": describe_signature(signature),
                    "event_id": event_id,
                    "hint": hint,
                },
            )

    def unavailable(self, error: BaseException) -> None:
        """Count and log a delivery answered 503 because the store did not commit it."""
        skipped = self._count(STORE_UNAVAILABLE)
        if skipped is not None:
            self._emit(
                STORE_UNAVAILABLE,
                skipped,
                f"answered 503 ({STORE_UNAVAILABLE}, Stripe will retry): {error}",
                {"status": 503, "error": str(error)},
            )

    def period_summary(self) -> str | None:
        """What was refused since the last call (None if nothing); starts a new period."""
        with self._lock:
            now = self._clock()
            counts, self._period = self._period, collections.Counter()
            elapsed, self._period_start = now - self._period_start, now
        if not counts:
            return None
        return _summary(counts, f"in the last {elapsed:.{0 if elapsed >= 10 else 1}f} s")

    def counts(self) -> dict[str, int]:
        """Deliveries refused since the start, by reason (a copy)."""
        with self._lock:
            return dict(self.totals)

    def run_summary(self) -> str | None:
        """What was refused since the start (None if nothing)."""
        with self._lock:
            counts = collections.Counter(self.totals)
        return _summary(counts, "since the start") if counts else None

    def _count(self, reason: str) -> int | None:
        """Count one; None if it is not to be logged now (it is counted as not logged),
        else how many of ``reason`` were not logged one by one since its last line."""
        with self._lock:
            self.totals[reason] += 1
            self._period[reason] += 1
            now = self._clock()
            if now < self._quiet_until.get(reason, float("-inf")):
                self._not_logged[reason] += 1
                return None
            self._quiet_until[reason] = now + self.interval
            return self._not_logged.pop(reason, 0)

    def _emit(self, reason: str, skipped: int, line: str, fields: dict[str, object]) -> None:
        if skipped:
            line += (
                f" (and {skipped} more {reason} in the last {self.interval:g} s, "
                "not logged one by one)"
            )
        structured = {"event": "delivery_rejected", "reason": reason, **fields}
        structured["suppressed"] = skipped
        self._log.warning(line, extra={"appevents": structured})


def _signature_part(signature: str | bytes | None) -> str:
    described = describe_signature(signature)
    return described if described.startswith(("no ", "a ")) else f"Stripe-Signature {described}"


def _summary(counts: collections.Counter[str], when: str) -> str:
    total = sum(counts.values())
    noun = "delivery" if total == 1 else "deliveries"
    parts = ", ".join(f"{n} {reason}" for reason, n in counts.most_common())
    return f"rejected {total} {noun} {when}: {parts}"
