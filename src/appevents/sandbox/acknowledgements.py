"""Which events a `listen` connection is done with: what moves its device's cursor.

`appevents listen` acknowledges by ``seq`` after forwarding; the official Stripe CLI on
receipt, by ``event_id`` (some releases put the message's ``webhook_id`` there), from a
goroutine per message, so its acknowledgements race. The cursor therefore moves only over
a run of acknowledged messages, and only over messages this connection sent.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

__all__ = ["Acknowledgements"]

# A webhook_response proves the forward happened, so it acknowledges the event as well.
_ACKNOWLEDGING = ("event_ack", "webhook_response")


class Acknowledgements:
    """One connection's messages sent and not yet acknowledged, oldest first.

    ``done`` is the seq the device's cursor may move to: the newest message before which
    every message sent has been acknowledged (None until the oldest one is).
    """

    def __init__(self) -> None:
        self._owed: OrderedDict[int, bool] = OrderedDict()  # seq -> acknowledged
        self._names: dict[int, list[str]] = {}  # seq -> its event_id, its copies' webhook_id
        self._seq_of: dict[str, int] = {}
        self.done: int | None = None

    def sent(self, message: dict[str, Any]) -> bool:
        """Note a message about to be sent; True when it moved ``done``."""
        seq = int(message["seq"])
        if self.done is not None and seq <= self.done:
            return False  # another copy of an event already acknowledged
        if message["type"] not in ("webhook_event", "v2_event"):
            # Only shown, never forwarded, and a Stripe CLI does not acknowledge it.
            return self._mark(seq)
        self._owed.setdefault(seq, False)
        # A v2_event's acknowledgement names the destination as its webhook_id.
        names = [message["event_id"], message.get("webhook_id") or message["destination_id"]]
        self._names.setdefault(seq, []).extend(names)
        self._seq_of.update(dict.fromkeys(names, seq))
        return False

    def acknowledge(self, reply: Any) -> bool:
        """Note a client's message; True when it moved ``done``."""
        if not isinstance(reply, dict) or reply.get("type") not in _ACKNOWLEDGING:
            return False
        seq = self._resolve(reply)
        if seq is None or seq not in self._owed:
            return False
        return self._mark(seq)

    def _mark(self, seq: int) -> bool:
        self._owed[seq] = True
        before = self.done
        self._settle()
        return self.done != before

    def _resolve(self, reply: dict[str, Any]) -> int | None:
        seq = reply.get("seq")
        if isinstance(seq, int) and not isinstance(seq, bool):
            return seq
        for key in ("event_id", "webhook_id"):
            value = reply.get(key)
            if isinstance(value, str) and value in self._seq_of:
                return self._seq_of[value]
        return None

    def _settle(self) -> None:
        while self._owed:
            seq, acknowledged = next(iter(self._owed.items()))
            if not acknowledged:
                return
            del self._owed[seq]
            for name in self._names.pop(seq, []):
                self._seq_of.pop(name, None)
            self.done = seq
