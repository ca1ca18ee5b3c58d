"""HTTP/1.1 spoken byte by byte over a socket: what a test needs to see a server's every byte."""

from __future__ import annotations

import socket

from appevents.testing import signed_headers


def request(
    body: bytes, *, secret: str, path: str = "/webhook", extra: str = "", version: str = "1.1"
) -> bytes:
    """A signed POST of ``body``, as raw bytes."""
    headers = signed_headers(body, secret)
    head = f"POST {path} HTTP/{version}\r\nHost: test\r\n{extra}" + "".join(
        f"{name}: {value}\r\n" for name, value in headers.items()
    )
    return f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body


def read_response(sock: socket.socket, buffer: bytearray) -> tuple[int, dict[str, str], bytes]:
    """One HTTP response from ``sock`` (``buffer`` keeps bytes of the next ones)."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a full response; got {bytes(buffer)!r}")
        buffer += chunk
    head, _, _ = bytes(buffer).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    start = len(head) + 4
    while len(buffer) < start + length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed in the middle of a body")
        buffer += chunk
    body = bytes(buffer[start : start + length])
    del buffer[: start + length]
    return status, headers, body


def closed_by_server(sock: socket.socket, timeout: float = 5.0) -> bool:
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except (ConnectionResetError, TimeoutError):
        return False


def connect(base: str) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock
