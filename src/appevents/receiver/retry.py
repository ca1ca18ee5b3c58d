"""When to try a failed event again: a pure decision, tested without sleeping."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import ConfigurationError

__all__ = ["DeadLetter", "Retry", "RetryDecision", "RetryPolicy"]


@dataclass(frozen=True, slots=True)
class Retry:
    at: float
    """Unix time of the next attempt."""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    attempts: int


RetryDecision = Retry | DeadLetter


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter, then a dead letter.

    After the n-th failed attempt (n = 1, 2, ...) the next one waits
    ``min(max_delay, base_delay * factor ** (n - 1))`` seconds, shortened by up to
    ``jitter`` of itself so that events failing together do not retry together.
    With the defaults the 8 attempts span about 8.5 minutes.
    """

    max_attempts: int = 8
    base_delay: float = 2.0
    factor: float = 2.0
    max_delay: float = 600.0
    jitter: float = 0.2

    def __post_init__(self) -> None:
        if isinstance(self.max_attempts, bool) or not isinstance(self.max_attempts, int):
            raise ConfigurationError(f"max_attempts must be an int, got {self.max_attempts!r}")
        if self.max_attempts < 1:
            raise ConfigurationError(
                f"max_attempts must be at least 1, got {self.max_attempts}: "
                "1 means dead-letter at the first failure"
            )
        for name in ("base_delay", "max_delay"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ConfigurationError(f"{name} must be >= 0 seconds, got {value!r}")
        if not math.isfinite(self.factor) or self.factor < 1:
            raise ConfigurationError(f"factor must be >= 1, got {self.factor!r}")
        if not 0 <= self.jitter <= 1:
            raise ConfigurationError(f"jitter must be between 0 and 1, got {self.jitter!r}")

    def delay(self, attempts: int, random_fraction: float) -> float:
        """Seconds to wait after ``attempts`` failed attempts; ``random_fraction`` in [0, 1)."""
        exponent = min(attempts - 1, 64)  # factor ** 64 already exceeds any max_delay
        raw = min(self.max_delay, self.base_delay * self.factor**exponent)
        return raw * (1 - self.jitter * random_fraction)

    def decide(self, attempts: int, now: float, random_fraction: float) -> RetryDecision:
        """What to do after the ``attempts``-th failed attempt, at time ``now``."""
        if attempts >= self.max_attempts:
            return DeadLetter(attempts)
        return Retry(now + self.delay(attempts, random_fraction))
