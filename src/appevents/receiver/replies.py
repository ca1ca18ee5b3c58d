"""The endpoint's answers, shared by every HTTP shell (ASGI, WSGI, the built-in server).

Every error is JSON ``{"error": {"code", "message"}}``: the code for programs, the
message for the person reading Stripe's delivery log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

__all__ = [
    "DUPLICATE",
    "REASONS",
    "RECEIVED",
    "Reply",
    "error_reply",
    "method_not_allowed",
    "misrouted",
    "not_found",
    "same_path",
    "too_large",
]


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: bytes
    code: str = ""
    """An error's code (what the body says, for counting and logging); "" for a success."""


RECEIVED = Reply(200, b'{"received":true,"duplicate":false}')
DUPLICATE = Reply(200, b'{"received":true,"duplicate":true}')

REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    413: "Content Too Large",
    414: "URI Too Long",
    431: "Request Header Fields Too Large",
    503: "Service Unavailable",
}


def error_reply(status: int, code: str, message: str) -> Reply:
    return Reply(status, json.dumps({"error": {"code": code, "message": message}}).encode(), code)


def too_large(limit: int) -> Reply:
    return error_reply(413, "body_too_large", f"the body is larger than the limit of {limit} bytes")


_SHOWN_PATH = 200  # characters of a wrong path echoed back: never the whole of a huge one


def not_found(path: str, expected: str) -> Reply:
    shown = repr(path) if len(path) <= _SHOWN_PATH else f"{path[:_SHOWN_PATH]!r}..."
    return error_reply(404, "not_found", f"no endpoint at {shown}; webhooks go to {expected!r}")


def method_not_allowed(method: str) -> Reply:
    return error_reply(
        405, "method_not_allowed", f"{method} is not allowed: Stripe delivers events with POST"
    )


def same_path(path: str, expected: str) -> bool:
    return path == expected or path.rstrip("/") == expected.rstrip("/")


def misrouted(path: str, method: str, expected: str) -> Reply | None:
    """The answer to a request that is not a delivery (404 or 405), or None if it is one.
    A 405 goes with ``Allow: POST``."""
    if not same_path(path, expected):
        return not_found(path, expected)
    if method != "POST":
        return method_not_allowed(method)
    return None
