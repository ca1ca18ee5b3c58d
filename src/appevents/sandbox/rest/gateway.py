"""What every call of Stripe's API goes through around its operation, in Stripe's order:
its parameters checked against the spec, its idempotency key replayed or remembered, and
its answer expanded (``expand[]``).

The HTTP side (asgi.py) calls :func:`serve` on the lane with the operation to run; the
operation may be one of the sandbox's own (accounts, webhook endpoints, events) or the
generic engine's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..stripe_errors import ApiError
from . import expand, idempotency, params, spec, store

if TYPE_CHECKING:
    from ..callers import Caller
    from ..service import Sandbox

__all__ = ["Answer", "checked_params", "serve"]


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes
    headers: tuple[tuple[bytes, bytes], ...] = ()


_REPLAYED = ((b"idempotent-replayed", b"true"),)
SWEEP_EVERY = 3600
"""Seconds between two sweeps of expired idempotency keys."""


def checked_params(op: spec.Operation | None, raw: dict[str, Any]) -> dict[str, Any]:
    """The request's parameters checked and typed as the spec describes them (left as they
    came for the sandbox's own paths, which the spec does not have)."""
    if op is None:
        return raw
    if op.method == "POST":
        return params.checked(op.parameters(), raw)
    return params.query_checked(op, raw)


def serve(
    sandbox: Sandbox,
    caller: Caller,
    op: spec.Operation | None,
    method: str,
    path: str,
    typed: dict[str, Any],
    idempotency_key: str | None,
    run: Callable[[dict[str, Any]], Any],
    encode: Callable[[Any], bytes],
) -> Answer:
    """Run ``run(params)`` as Stripe would: a POST with a key it has seen answers what it
    answered then; the answer is expanded; an answer (or an error the operation raised)
    is remembered with its key."""
    key = idempotency_key if method == "POST" else None
    fingerprint = idempotency.fingerprint(typed) if key else ""
    request = f"{method} {path}"
    if key is not None:
        try:
            replayed = idempotency.replay(
                sandbox.db, account=caller.account, livemode=caller.livemode, key=key,
                request=request, fingerprint=fingerprint, now=sandbox.now(),
            )  # fmt: skip
        except ApiError as exc:  # the key was used for another request: nothing runs
            return Answer(exc.status, encode(exc.to_dict()))
        if replayed is not None:
            return Answer(replayed[0], replayed[1], _REPLAYED)
    try:
        result = run(typed)
        paths = typed.get("expand")
        if op is not None and isinstance(result, dict) and paths:
            result = _expanded(sandbox, caller, op, result, [str(p) for p in paths])
        answer = Answer(200, encode(result))
    except ApiError as exc:
        answer = Answer(exc.status, encode(exc.to_dict()))
    if key is not None:
        with sandbox.transaction() as db:
            now = sandbox.now()
            if now - sandbox.keys_swept_at >= SWEEP_EVERY:
                idempotency.sweep(db, now)
                sandbox.keys_swept_at = now
            idempotency.remember(
                db, account=caller.account, livemode=caller.livemode, key=key, request=request,
                fingerprint=fingerprint, status=answer.status, body=answer.body,
                now=sandbox.now(),
            )  # fmt: skip
    return answer


def _expanded(
    sandbox: Sandbox, caller: Caller, op: spec.Operation, result: dict[str, Any], paths: list[str]
) -> dict[str, Any]:
    def fetch(schemas: tuple[str, ...], object_id: str) -> dict[str, Any] | None:
        found = store.find(sandbox.db, caller.account, object_id)
        if found is None:
            return None
        wanted = {r.object for r in map(spec.resource, schemas) if r is not None}
        return found if found.get("object") in wanted else None

    if result.get("object") in ("list", "search_result"):
        return expand.expand_list(result, paths, op.answers, fetch)
    resource = spec.resource_of_object(str(result.get("object")))
    if resource is None:
        return result
    return expand.expand(result, paths, resource.name, fetch)
