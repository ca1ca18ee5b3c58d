"""Stripe-looking ids (``acct_1Q2w3E4r…``), keys and secrets, from injectable random sources.

Everything after the prefix is letters and digits, as Stripe's are: scripts match keys and
signing secrets with patterns like ``whsec_[A-Za-z0-9]+``.
"""

from __future__ import annotations

import random
import secrets
import string

__all__ = ["ALPHABET", "IdFactory"]

ALPHABET = string.digits + string.ascii_letters


class IdFactory:
    """Makes ids; pass a seeded ``random.Random`` for reproducible runs.

    ``secret_rng`` makes keys and signing secrets: the OS's (``secrets``) by default, the
    seeded ``rng`` when only that is given (tests want reproducible secrets too).
    """

    def __init__(
        self, rng: random.Random | None = None, *, secret_rng: random.Random | None = None
    ) -> None:
        # Ids need to be unique, not secret: one system seed, then a fast generator
        # (SystemRandom would read the OS once per character).
        self._rng = rng or random.Random(secrets.randbits(128))
        self._secret_rng = secret_rng or rng or secrets.SystemRandom()

    def new(self, prefix: str, length: int = 24) -> str:
        return f"{prefix}_" + "".join(self._rng.choices(ALPHABET, k=length))

    def code(self, alphabet: str, length: int) -> str:
        """A short code of ``alphabet`` (a customer's invoice prefix)."""
        return "".join(self._rng.choices(alphabet, k=length))

    def secret(self, prefix: str = "whsec", length: int = 32) -> str:
        """A key or signing secret (``sk_test``, ``rk_live``, ``whsec``): ``length``
        characters of letters and digits (62 ** 32: over 190 bits)."""
        return f"{prefix}_" + "".join(self._secret_rng.choices(ALPHABET, k=length))
