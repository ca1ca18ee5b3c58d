"""The timed phase, the same for both servers: create one customer per API key (once
per round) with bounded concurrency, then wait for every ``customer.created`` delivery
at the receiver.

The client is a minimal raw HTTP/1.1 one on keep-alive connections (one per concurrent
worker) rather than httpx: on two cores the client shares the CPU with the server under
test, and httpx costs several times more per request, which would cap what we can
measure. Both servers answer with a Content-Length, which is all it reads.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

EVENT_TYPE = "customer.created"


@dataclass(frozen=True)
class Trigger:
    object_id: str
    sent: float  # time.monotonic() just before the request is written
    answered: float  # ... just after its answer is read


class _Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post_form(self, path: str, key: str, form: dict[str, str]) -> tuple[int, bytes]:
        if self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        body = urlencode(form).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Authorization: Bearer {key}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        response = await self.reader.readuntil(b"\r\n\r\n")
        lines = response.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines[1:] if line)
        }
        if "content-length" not in headers:
            raise RuntimeError(f"answer without Content-Length: {lines[0]!r} {headers}")
        content = await self.reader.readexactly(int(headers["content-length"]))
        if headers.get("connection", "").lower() == "close":
            self.writer.close()
        return status, content

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def create_customers(
    base: str, keys: Sequence[str], concurrency: int, rounds: int = 1
) -> list[Trigger]:
    """POST /v1/customers once per key and round, ``concurrency`` requests in flight.

    Round by round, keys in order: the rounds follow each other back to back (a worker
    that finishes round r's last keys takes round r + 1's first), so the number in
    flight stays ``concurrency`` throughout.
    """
    parts = urlsplit(base)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    work = [key for _ in range(rounds) for key in keys]
    queue = iter(enumerate(work))  # shared by the workers: each takes the next key
    triggers: list[Trigger | None] = [None] * len(work)

    async def worker() -> None:
        connection = _Connection(host, port)
        try:
            for index, key in queue:
                form = {"email": f"bench{index}@example.com", "description": f"bench {index}"}
                sent = time.monotonic()
                status, content = await connection.post_form("/v1/customers", key, form)
                answered = time.monotonic()
                if status != 200:
                    raise RuntimeError(f"POST /v1/customers answered {status}: {content[:300]!r}")
                triggers[index] = Trigger(json.loads(content)["id"], sent, answered)
        finally:
            connection.close()

    await asyncio.gather(*(worker() for _ in range(min(concurrency, len(work)))))
    return [t for t in triggers if t is not None]


# -- the receiver's control paths ------------------------------------------------------------


def _get_json(url: str, timeout: float) -> object:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # our own 127.0.0.1 server
        return json.loads(response.read())


def wait_for(receiver: str, event_type: str, count: int, timeout: float) -> int:
    """How many ``event_type`` events the receiver has, once ``count`` arrived or at timeout."""
    query = urlencode({"type": event_type, "count": count, "timeout": timeout})
    answer = _get_json(f"{receiver}/_wait?{query}", timeout + 10)
    assert isinstance(answer, dict)
    return int(answer["count"])


def arrivals(receiver: str, event_type: str) -> list[tuple[str, str | None, float]]:
    """``(event_id, object_id, arrival monotonic time)`` of each delivery of that type."""
    answer = _get_json(f"{receiver}/_arrivals?{urlencode({'type': event_type})}", 30)
    assert isinstance(answer, list)
    return [(str(e), o, float(t)) for e, o, t in answer]
