"""Sample objects per Stripe resource, from Stripe's fixtures3.json (MIT, see data/LICENSE-*)."""

from __future__ import annotations

import copy
import functools
from typing import Any

from ..errors import UnknownName
from ._data import closest, load


@functools.cache
def sample_resources() -> tuple[str, ...]:
    """Every resource with a sample object (its ``object`` value, e.g. ``checkout.session``)."""
    return tuple(load("samples.json")["samples"])


def sample_object(resource: str) -> dict[str, Any]:
    """A fresh deep copy of the sample ``resource`` object; mutate it freely.

    Raises UnknownName with the closest resource names for an unknown resource.
    """
    samples: dict[str, dict[str, Any]] = load("samples.json")["samples"]
    try:
        sample = samples[resource]
    except KeyError:
        raise UnknownName("resource", resource, closest(resource, sample_resources())) from None
    return copy.deepcopy(sample)
