"""Validation of the receiver's durations (timeouts, intervals), in one place."""

from __future__ import annotations

import math

from ..errors import ConfigurationError

__all__ = ["positive_seconds"]


def positive_seconds(name: str, value: float, example: str) -> float:
    """``value`` as float seconds if it is a positive, finite number; else a
    ConfigurationError naming ``name`` and the value, with an ``example`` of a good one."""
    try:
        valid = not isinstance(value, bool) and math.isfinite(value) and value > 0
    except TypeError:  # not a number at all
        valid = False
    if not valid:
        raise ConfigurationError(
            f"{name} must be a positive, finite number of seconds (such as {example}), "
            f"got {value!r}"
        )
    return float(value)
