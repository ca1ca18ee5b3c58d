"""What Stripe's objects do beyond being stored: the operations whose run is more than
their kind's generic one (rest/engine.py), by the spec's operation id.

Each module is one family of objects with a life (payments, billing); each maps operation
ids to functions ``(engine, request) -> answer`` that build on the generic run.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..rest.engine import Behaviour
from .app_secrets import BEHAVIOURS as APP_SECRETS
from .billing import BEHAVIOURS as BILLING
from .customers import BEHAVIOURS as CUSTOMERS
from .discounts import BEHAVIOURS as DISCOUNTS
from .payments import BEHAVIOURS as PAYMENTS

__all__ = ["BEHAVIOURS"]

BEHAVIOURS: Mapping[str, Behaviour] = {
    **APP_SECRETS,
    **BILLING,
    **CUSTOMERS,
    **DISCOUNTS,
    **PAYMENTS,
}
