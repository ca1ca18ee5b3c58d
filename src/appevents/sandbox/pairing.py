"""Login pairing: how `stripe login` (and `appevents login`) get the platform's keys.

The Stripe CLI's flow: it asks for a pairing (``POST /stripecli/auth``) and gets a
verification code, a page for the user (``browser_url``) and a URL to poll (``poll_url``).
The user checks the code on the page and confirms; the next poll is answered
``redeemed`` with the account and its keys, once. Each pairing is in memory and lives
:data:`PAIRING_TTL` seconds: an unknown, expired or already redeemed one is refused with
the reason and the command to run again.

The states: ``pending`` (created) -> ``confirmed`` (the user pressed the button) ->
``redeemed`` (a poll took the keys). Tokens are secrets (the page's and the poll's
differ: the terminal never holds what confirms, the page never what redeems).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

__all__ = ["PAIRING_TTL", "Pairing", "PairingError", "Pairings"]

PAIRING_TTL = 300.0
"""Seconds a pairing may wait for its confirmation and its poll (the CLI polls 2 min)."""
MAX_PENDING = 1000
"""Pairings held at once: the oldest go first (each costs a little memory)."""
_WORDS = (
    "amber", "anchor", "apple", "arrow", "aspen", "badge", "basil", "beacon", "birch",
    "bloom", "brave", "breeze", "cabin", "candle", "cedar", "chalk", "cider", "clover",
    "comet", "coral", "crisp", "dawn", "delta", "ember", "fable", "fern", "flint", "frost",
    "gleam", "grove", "harbor", "hazel", "honey", "ivory", "jolly", "kettle", "lemon",
    "lilac", "maple", "meadow", "mint", "noble", "oasis", "olive", "orbit", "pebble",
    "pine", "plum", "quartz", "quill", "raven", "ripple", "river", "sage", "spruce",
    "summit", "tidy", "tulip", "velvet", "willow", "wren", "yarrow", "zephyr", "zinc",
)  # fmt: skip


class Chooser(Protocol):
    def choice(self, seq: tuple[str, ...]) -> str: ...


class PairingError(Exception):
    """A pairing that cannot go on: ``status`` for HTTP, ``code`` Stripe-style."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(slots=True)
class Pairing:
    verification_code: str
    browser_token: str
    poll_token: str
    device_name: str
    created: float
    state: str = "pending"


class Pairings:
    """The pairings in progress, by token; ``clock`` gives seconds (injected for tests)."""

    def __init__(
        self,
        clock: Callable[[], float],
        token: Callable[[str], str] | None = None,
        words: Chooser | None = None,
        ttl: float = PAIRING_TTL,
    ) -> None:
        self.clock = clock
        self._token = token or (lambda prefix: f"{prefix}_{secrets.token_urlsafe(24)}")
        self._words = words or secrets.SystemRandom()
        self.ttl = ttl
        self._by_browser: dict[str, Pairing] = {}
        self._by_poll: dict[str, Pairing] = {}

    def start(self, device_name: str) -> Pairing:
        self._forget_expired()
        while len(self._by_poll) >= MAX_PENDING:
            self._drop(next(iter(self._by_poll.values())))
        code = "-".join(self._words.choice(_WORDS) for _ in range(4))
        pairing = Pairing(
            code, self._token("cliauth"), self._token("cliauth_secret"), device_name, self.clock()
        )
        self._by_browser[pairing.browser_token] = pairing
        self._by_poll[pairing.poll_token] = pairing
        return pairing

    def shown(self, browser_token: str) -> Pairing:
        """The pairing a confirmation page is for (still waiting for the user)."""
        pairing = self._live(self._by_browser.get(browser_token), "this confirmation page")
        if pairing.state != "pending":
            raise PairingError(
                400, "pairing_already_confirmed",
                f"This pairing (code {pairing.verification_code}) was already confirmed: "
                "return to your terminal, or run `stripe login` again for a new code.",
            )  # fmt: skip
        return pairing

    def confirm(self, browser_token: str) -> Pairing:
        pairing = self.shown(browser_token)
        pairing.state = "confirmed"
        return pairing

    def poll(self, poll_token: str) -> Pairing | None:
        """None while the user has not confirmed; the pairing once, when they have."""
        pairing = self._live(self._by_poll.get(poll_token), "this poll URL")
        if pairing.state == "pending":
            return None
        if pairing.state == "redeemed":
            raise PairingError(
                400, "pairing_already_redeemed",
                f"This pairing (code {pairing.verification_code}) was already redeemed: its "
                "keys were handed over once. Run `stripe login` again to pair anew.",
            )  # fmt: skip
        pairing.state = "redeemed"
        return pairing

    def _live(self, pairing: Pairing | None, what: str) -> Pairing:
        if pairing is None:
            raise PairingError(
                404, "pairing_unknown",
                f"The sandbox knows no pairing for {what} (a mistyped URL, or the sandbox "
                "restarted since): run `stripe login` again for a new one.",
            )  # fmt: skip
        if self.clock() - pairing.created > self.ttl:
            self._drop(pairing)
            raise PairingError(
                400, "pairing_expired",
                f"This pairing (code {pairing.verification_code}) expired: a pairing lasts "
                f"{self.ttl:.0f} seconds. Run `stripe login` again for a new code.",
            )  # fmt: skip
        return pairing

    def _forget_expired(self) -> None:
        now = self.clock()
        for pairing in [p for p in self._by_poll.values() if now - p.created > self.ttl]:
            self._drop(pairing)

    def _drop(self, pairing: Pairing) -> None:
        self._by_browser.pop(pairing.browser_token, None)
        self._by_poll.pop(pairing.poll_token, None)
