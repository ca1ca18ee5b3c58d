"""Operations Stripe serves that its public OpenAPI spec does not list, which the Stripe
CLI's fixtures call (``GET /v1/payment_pages/{session}``, ``POST /v1/issuing/cards/{card}/
test/authorizations``): each behaviour module declares its own in ``UNLISTED`` as the
spec's operations are described, and this module turns them into routes for the API
(api.py), run by the engine with their behaviour as the spec's are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..rest import engine, params, spec
from .checkout import UNLISTED as CHECKOUT_UNLISTED
from .issuing import UNLISTED as ISSUING_UNLISTED

if TYPE_CHECKING:
    from ..callers import Caller

__all__ = ["UNLISTED", "routes"]

UNLISTED: tuple[spec.Operation, ...] = (*CHECKOUT_UNLISTED, *ISSUING_UNLISTED)

Run = Callable[[Any, "Caller", dict[str, Any]], Any]


def routes(rest: engine.Engine) -> list[tuple[str, str, Run]]:
    """``(method, path, run)`` for each: the path in the API's syntax, ``run`` taking the
    API's call (its path parameters, request id, key), the caller and the raw params."""
    return [(op.method, op.path, _runner(rest, op)) for op in UNLISTED]


def _runner(rest: engine.Engine, op: spec.Operation) -> Run:
    def run(call: Any, caller: Caller, raw: dict[str, Any]) -> Any:
        # The spec's own operations are typed before they run (gateway): these here.
        typed = params.checked(op.parameters(), raw) if op.method == "POST" else raw
        return rest.run(
            engine.Request(
                op, call.path, dict(call.path_params), caller, typed, call.request_id,
                call.idempotency_key,
            )
        )  # fmt: skip

    return run
