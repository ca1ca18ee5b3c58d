"""Reading an HTTP/1.1 answer as its bytes arrive: the status, whether the connection
may serve another request, and the first bytes of the body.

The body is read to its end (Content-Length, chunked encoding, or the connection
closing) so the connection can be reused, but only its first ``excerpt`` bytes are kept:
that is all an attempt's log records. Malformed answers raise ValueError.
"""

from __future__ import annotations

__all__ = ["ResponseReader"]

MAX_HEAD = 64 * 1024
"""Bytes a status line and headers may take; more is not a webhook receiver's answer."""
MAX_CHUNK_LINE = 4096

_HEAD, _LENGTH, _CHUNK_SIZE, _CHUNK_DATA, _CHUNK_END, _TRAILER, _UNTIL_CLOSE, _DONE = range(8)


class ResponseReader:
    __slots__ = ("_buffer", "_remaining", "_state", "excerpt", "keep_alive", "limit", "status")

    def __init__(self, excerpt: int) -> None:
        self.limit = excerpt
        self.status = 0
        self.keep_alive = False
        self.excerpt = bytearray()
        self._state = _HEAD
        self._buffer = b""
        self._remaining = 0

    def feed(self, data: bytes) -> bool:
        """Take the bytes that arrived; True once the answer is complete."""
        if self._buffer:
            data = self._buffer + data
            self._buffer = b""
        while data:
            state = self._state
            if state == _HEAD:
                data = self._head(data)
            elif state in (_LENGTH, _CHUNK_DATA):
                taken = data[: self._remaining]
                self._keep(taken)
                self._remaining -= len(taken)
                data = data[len(taken) :]
                if self._remaining == 0:
                    self._state = _DONE if state == _LENGTH else _CHUNK_END
            elif state in (_CHUNK_SIZE, _TRAILER):
                end = data.find(b"\r\n")
                if end < 0:
                    if len(data) > MAX_CHUNK_LINE:
                        raise ValueError("chunk size line too long")
                    self._buffer = data
                    return False
                line, data = data[:end], data[end + 2 :]
                if state == _TRAILER:
                    if not line:
                        self._state = _DONE
                    continue
                size = _chunk_size(line)
                self._state, self._remaining = (_CHUNK_DATA, size) if size else (_TRAILER, 0)
            elif state == _CHUNK_END:
                if len(data) < 2:
                    self._buffer = data
                    return False
                if data[:2] != b"\r\n":
                    raise ValueError("chunk not followed by CRLF")
                data = data[2:]
                self._state = _CHUNK_SIZE
            elif state == _UNTIL_CLOSE:
                self._keep(data)
                data = b""
            else:  # _DONE, and more bytes than the answer announced
                self.keep_alive = False
                data = b""
        return self._state == _DONE

    def feed_eof(self) -> bool:
        """The server closed the connection; True if that completes the answer."""
        if self._state == _UNTIL_CLOSE:
            self._state = _DONE
        return self._state == _DONE

    def _keep(self, data: bytes) -> None:
        room = self.limit - len(self.excerpt)
        if room > 0:
            self.excerpt += data[:room]

    def _head(self, data: bytes) -> bytes:
        end = data.find(b"\r\n\r\n")
        if end < 0:
            if len(data) > MAX_HEAD:
                raise ValueError(f"response head larger than {MAX_HEAD} bytes")
            self._buffer = data
            return b""
        lines = data[:end].split(b"\r\n")
        rest = data[end + 4 :]
        version, _, status_text = lines[0].partition(b" ")
        status_code = status_text[:3]
        if not version.startswith(b"HTTP/1.") or not status_code.isdigit():
            raise ValueError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
        status = int(status_code)
        if status < 100:
            raise ValueError(f"invalid status code {status}")
        length: int | None = None
        chunked = False
        tokens: set[bytes] = set()
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon:
                raise ValueError(f"malformed header line: {line[:80]!r}")
            name = name.strip().lower()
            if name == b"content-length":
                value = value.strip()
                if not value.isdigit() or (length is not None and length != int(value)):
                    raise ValueError(f"invalid Content-Length: {value[:40]!r}")
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = value.strip().lower().endswith(b"chunked")
            elif name == b"connection":
                tokens.update(t.strip().lower() for t in value.split(b","))
        if status < 200:  # 100 Continue, 103 Early Hints: the real answer follows
            if status == 101:
                raise ValueError("the server switched protocols")
            return rest
        self.status = status
        if version == b"HTTP/1.1":
            self.keep_alive = b"close" not in tokens
        else:
            self.keep_alive = b"keep-alive" in tokens
        if status in (204, 304):
            self._state = _DONE
        elif chunked:
            self._state = _CHUNK_SIZE
        elif length is not None:
            self._state, self._remaining = (_LENGTH, length) if length else (_DONE, 0)
        else:
            self._state = _UNTIL_CLOSE
            self.keep_alive = False
        return rest


def _chunk_size(line: bytes) -> int:
    digits = line.split(b";", 1)[0].strip()
    try:
        size = int(digits, 16)
    except ValueError:
        raise ValueError(f"invalid chunk size {digits[:20]!r}") from None
    if size < 0:
        raise ValueError(f"invalid chunk size {digits[:20]!r}")
    return size
