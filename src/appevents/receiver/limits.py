"""The bounds of ``appevents serve``'s built-in server, and the answers past them.

A client may open connections, send a URL, headers, or answers it never reads without
end; each bound here turns one of those into a clear 4xx/5xx instead of memory and file
descriptors the server runs out of.
"""

from __future__ import annotations

import math
import resource

from ..errors import ConfigurationError
from .replies import Reply, error_reply

__all__ = [
    "DEFAULT_LINGER_TIMEOUT",
    "DEFAULT_MAX_HEADER_BYTES",
    "DEFAULT_MAX_URL_BYTES",
    "MIN_HEADER_BYTES",
    "MIN_URL_BYTES",
    "check_limit",
    "default_max_connections",
    "headers_too_large",
    "open_file_limit",
    "too_many_connections",
    "url_too_long",
]

DEFAULT_MAX_URL_BYTES = 8 * 1024
DEFAULT_MAX_HEADER_BYTES = 16 * 1024
# The smallest bounds accepted: below them ordinary deliveries would be refused.
MIN_URL_BYTES = 256
MIN_HEADER_BYTES = 1024
# How long a refused client may go on sending (discarded) so that it reads the answer
# rather than a reset.
DEFAULT_LINGER_TIMEOUT = 5.0

# File descriptors kept for what is not a client: the listening socket, the store and
# its journal, the ingest and worker children's pipes, logs, and refused clients being
# answered.
_RESERVED_MIN = 64
_UNLIMITED_CAP = 100_000


def open_file_limit() -> int | None:
    """This process's soft limit on open files, None when unlimited."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return None if soft == resource.RLIM_INFINITY else soft


def default_max_connections(file_limit: int | None) -> int:
    """A connection cap safely below ``file_limit``: past it clients get a 503, not an
    ``accept`` that fails for everybody."""
    if file_limit is None:
        return _UNLIMITED_CAP
    reserved = max(_RESERVED_MIN, math.ceil(file_limit / 10))
    return max(1, min(file_limit - reserved, _UNLIMITED_CAP))


def check_limit(name: str, value: float, minimum: float, unit: str) -> None:
    if not value >= minimum:  # also refuses NaN
        raise ConfigurationError(
            f"{name} must be at least {minimum} {unit}, not {value!r}: pass a larger value"
        )


def url_too_long(limit: int) -> Reply:
    return error_reply(
        414, "url_too_long", f"the request's URL is longer than the limit of {limit} bytes"
    )


def headers_too_large(limit: int) -> Reply:
    return error_reply(
        431,
        "headers_too_large",
        f"the request's headers are larger than the limit of {limit} bytes",
    )


def too_many_connections(limit: int) -> Reply:
    return error_reply(
        503,
        "too_many_connections",
        f"the server holds its limit of {limit} connections; retry later, or raise "
        "--max-connections (and the open-file limit, ulimit -n) if this is normal load",
    )
