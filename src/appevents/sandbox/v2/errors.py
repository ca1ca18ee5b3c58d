"""v2 errors: ``{"error": {"type", "code", "message"}}`` (``param`` when one is at fault).

v2 errors always carry a ``code``; stripe-python maps their ``type`` to its v2 error
classes and, for the types v1 shares (``invalid_request_error``), raises v1's classes by
status (``InvalidRequestError`` for 400 and 404, ``AuthenticationError``, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from ..stripe_errors import ApiError

__all__ = ["V2Error", "v2_errors"]

_CODES = {400: "invalid_value", 401: "unauthorized", 403: "forbidden", 404: "not_found"}

F = TypeVar("F", bound=Callable[..., Any])


class V2Error(ApiError):
    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        code: str | None = None,
        param: str | None = None,
        type: str = "invalid_request_error",
    ) -> None:
        super().__init__(message, param=param, code=code or _CODES.get(status, "invalid_value"))
        self.status = status
        self.type = type

    @classmethod
    def of(cls, exc: ApiError) -> V2Error:
        if isinstance(exc, V2Error):
            return exc
        return cls(exc.message, status=exc.status, code=exc.code, param=exc.param, type=exc.type)

    def to_dict(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "code": self.code, "message": self.message}
        if self.param is not None:
            error["param"] = self.param
        return {"error": error}


def v2_errors(run: F) -> F:
    """``run``'s errors in v2's shape."""

    @wraps(run)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return run(*args, **kwargs)
        except ApiError as exc:
            raise V2Error.of(exc) from None

    return wrapped  # type: ignore[return-value]
