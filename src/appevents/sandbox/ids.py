"""Stripe-looking ids (``acct_1Q2w3E4r…``) and secrets, from an injectable random source."""

from __future__ import annotations

import random
import secrets
import string

__all__ = ["IdFactory"]

_ALPHABET = string.digits + string.ascii_letters


class IdFactory:
    """Makes ids; pass a seeded ``random.Random`` for reproducible runs."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._seeded = rng is not None
        # Ids need to be unique, not secret: one system seed, then a fast generator
        # (SystemRandom would read the OS once per character).
        self._rng = rng or random.Random(secrets.randbits(128))

    def new(self, prefix: str, length: int = 24) -> str:
        return f"{prefix}_" + "".join(self._rng.choices(_ALPHABET, k=length))

    def secret(self, prefix: str = "whsec") -> str:
        """Signing secrets are secrets: from the OS, unless the factory was seeded (tests)."""
        if self._seeded:
            return self.new(prefix, 43)
        return f"{prefix}_{secrets.token_urlsafe(32)}"
