"""The API's operations by method and path, and one call run through all of them: what
the HTTP side serves, and what a fixture's steps call in-process.

A call is routed to the first operation whose method and path match (the sandbox's own
first, then every path of Stripe's API), its parameters checked against the spec, its
idempotency key kept, its answer expanded and encoded: the same for a request from the
network (asgi.py) and for a step of ``appevents trigger`` (:meth:`ApiCalls.call_as`), so a
fixture's API call is exactly the call a client would make.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .api import Call, Operation
from .rest import gateway
from .rest import spec as rest_spec
from .stripe_errors import ApiError, UnrecognizedUrl

if TYPE_CHECKING:
    from .callers import Caller
    from .service import Sandbox

__all__ = ["ApiCalls", "encode"]

_PARAM = re.compile(r"{(\w+)(:path)?}")


class ApiCalls:
    def __init__(self, sandbox: Sandbox, ops: Iterable[Operation] = ()) -> None:
        self.sandbox = sandbox
        self._routes: dict[str, list[tuple[re.Pattern[str], Operation]]] = {}
        self.install(ops)

    def install(self, ops: Iterable[Operation]) -> None:
        for op in ops:
            self._routes.setdefault(op.method, []).append((_compile(op.path), op))
        self._routes["HEAD"] = self._routes.get("GET", [])  # as Starlette: HEAD is a GET

    def find(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        for pattern, op in self._routes.get(method, ()):
            match = pattern.fullmatch(path)
            if match is not None:
                return op, match.groupdict()
        return None

    def call(
        self,
        method: str,
        path: str,
        *,
        path_params: dict[str, str],
        request_id: str,
        scheme: str = "http",
        netloc: str = "localhost",
        idempotency_key: str | None = None,
    ) -> Call:
        """What an operation knows of a request (with the spec's operation, when it is one)."""
        method = "GET" if method == "HEAD" else method
        matched = rest_spec.match(method, path) if path.startswith("/v1/") else None
        return Call(
            path_params, request_id, scheme, netloc, method=method, path=path,
            spec_op=matched[0] if matched else None, spec_params=matched[1] if matched else None,
            idempotency_key=idempotency_key,
        )  # fmt: skip

    def answer(
        self, op: Operation, call: Call, caller: Caller, params: dict[str, Any]
    ) -> gateway.Answer:
        """Check, run and encode a call whose caller is known (on the lane)."""
        sandbox = self.sandbox
        try:
            typed = gateway.checked_params(call.spec_op, params)
        except ApiError as exc:
            return gateway.Answer(exc.status, encode(exc.to_dict()))

        def run(checked: dict[str, Any]) -> Any:
            sandbox.last_emitted = None
            return op.run(call, caller, checked)

        def encoded(result: Any) -> bytes:
            emitted = sandbox.last_emitted
            if emitted is not None and emitted[0] is result:
                return emitted[1].encode()  # the JSON the event carried: encoded once
            return encode(result)

        return gateway.serve(
            sandbox, caller, call.spec_op, call.method, call.path, typed,
            call.idempotency_key, run, encoded,
        )  # fmt: skip

    def call_as(
        self, caller: Caller, method: str, path: str, params: dict[str, Any]
    ) -> tuple[int, Any]:
        """One API call in-process, as ``caller`` (on the lane): its status and decoded
        answer, errors included, as a client over HTTP would get them."""
        method = method.upper()
        found = self.find(method, path)
        request_id = self.sandbox.ids.new("req", 14)
        if found is None:
            return 404, UnrecognizedUrl(method, path).to_dict()
        op, path_params = found
        answer = self.answer(
            op, self.call(method, path, path_params=path_params, request_id=request_id),
            caller, params,
        )  # fmt: skip
        return answer.status, json.loads(answer.body)


def encode(content: Any) -> bytes:
    """As Starlette's JSONResponse renders."""
    return json.dumps(
        content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")


def _compile(path: str) -> re.Pattern[str]:
    pattern, end = "", 0
    for match in _PARAM.finditer(path):
        pattern += re.escape(path[end : match.start()])
        name, any_segments = match.group(1), match.group(2)
        pattern += f"(?P<{name}>.*)" if any_segments else f"(?P<{name}>[^/]+)"
        end = match.end()
    return re.compile(pattern + re.escape(path[end:]))
