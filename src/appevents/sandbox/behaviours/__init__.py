"""What Stripe's objects do beyond being stored: the operations whose run is more than
their kind's generic one (rest/engine.py), by the spec's operation id.

Each module of this package is one family of objects with a life (payments, billing,
Connect...) and maps operation ids to functions ``(engine, request) -> answer`` that build
on the generic run, in a ``BEHAVIOURS`` dict; every module that has one is gathered here.
Two modules claiming one operation is an error at import.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping

from ..rest.engine import Behaviour

__all__ = ["BEHAVIOURS"]


def _gathered() -> dict[str, Behaviour]:
    found: dict[str, Behaviour] = {}
    owners: dict[str, str] = {}
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for op_id, behaviour in getattr(module, "BEHAVIOURS", {}).items():
            if op_id in found:
                raise RuntimeError(
                    f"operation {op_id} has two behaviours, in {owners[op_id]} and "
                    f"{module_info.name}: keep one"
                )
            found[op_id], owners[op_id] = behaviour, module_info.name
    return found


BEHAVIOURS: Mapping[str, Behaviour] = _gathered()
