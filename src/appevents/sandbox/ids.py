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
        self._rng = rng or random.SystemRandom()

    def new(self, prefix: str, length: int = 24) -> str:
        return f"{prefix}_" + "".join(self._rng.choice(_ALPHABET) for _ in range(length))

    def secret(self, prefix: str = "whsec") -> str:
        if isinstance(self._rng, random.SystemRandom):
            return f"{prefix}_{secrets.token_urlsafe(32)}"
        return self.new(prefix, 43)
