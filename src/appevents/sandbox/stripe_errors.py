"""Errors as the sandbox's HTTP API answers them, in Stripe's shape.

``{"error": {"type": ..., "message": ..., "param": ..., "code": ...}}`` with the status
Stripe uses, so the official ``stripe`` library raises its own classes for them
(``AuthenticationError`` for 401, ``PermissionError`` for 403, ``InvalidRequestError``
for 400 and 404, ``IdempotencyError`` for the type ``idempotency_error``, ``CardError``
for 402 ``card_error``).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ApiError",
    "AuthenticationFailed",
    "CardError",
    "IdempotencyError",
    "InvalidRequest",
    "PermissionDenied",
    "ResourceMissing",
    "UnrecognizedUrl",
]


class ApiError(Exception):
    status = 400
    type = "invalid_request_error"

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code

    def to_dict(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.param is not None:
            error["param"] = self.param
        if self.code is not None:
            error["code"] = self.code
        return {"error": error}


class InvalidRequest(ApiError):
    """400: a parameter is missing or wrong."""


class IdempotencyError(ApiError):
    """400: an idempotency key reused for another endpoint or with other parameters."""

    type = "idempotency_error"


class UnrecognizedUrl(InvalidRequest):
    """404: no operation of Stripe's API has this method and path."""

    status = 404

    def __init__(self, method: str, path: str) -> None:
        shown = path if len(path) <= 200 else f"{path[:200]}..."
        super().__init__(
            f"Unrecognized request URL ({method}: {shown}). Please see https://stripe.com/docs "
            "for the paths Stripe's API has."
        )


class CardError(ApiError):
    """402: a card was declined. Stripe's error names the decline (``code``, and for
    ``card_declined`` its ``decline_code``), the charge it made, and the intent it left
    waiting for another payment method, whole, as it is now."""

    status = 402
    type = "card_error"

    def __init__(
        self,
        message: str,
        *,
        code: str,
        decline_code: str | None = None,
        param: str | None = None,
        charge: str | None = None,
        objects: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, param=param, code=code)
        self.decline_code = decline_code
        self.charge = charge
        self.objects = dict(objects or {})
        """``payment_intent``, ``setup_intent`` or ``payment_method``: as the error shows them."""

    def to_dict(self) -> dict[str, Any]:
        answer = super().to_dict()
        error = answer["error"]
        if self.charge is not None:
            error["charge"] = self.charge
        if self.decline_code is not None:
            error["decline_code"] = self.decline_code
        error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code}"
        error.update(self.objects)
        return answer


class AuthenticationFailed(ApiError):
    status = 401


class PermissionDenied(ApiError):
    status = 403


class ResourceMissing(ApiError):
    status = 404

    def __init__(self, kind: str, object_id: str, *, param: str = "id") -> None:
        quoted = object_id if len(object_id) <= 200 else f"{object_id[:200]}..."
        super().__init__(f"No such {kind}: '{quoted}'", param=param, code="resource_missing")
