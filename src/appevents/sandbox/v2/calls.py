"""What a v2 operation gets of its HTTP request (api.Call has these), and the shape of
the operations this package gives api.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ..callers import Caller

__all__ = ["Route", "Run", "V2Call"]


class V2Call(Protocol):
    @property
    def path_params(self) -> dict[str, str]: ...
    @property
    def request_id(self) -> str: ...
    @property
    def idempotency_key(self) -> str | None: ...


Run = Callable[[Any, Caller, dict[str, Any]], Any]
Route = tuple[str, str, Run]
"""``(method, path, run)``: the path in Starlette's syntax."""
