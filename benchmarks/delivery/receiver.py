"""The fast local receiver both servers deliver to: answers 200 at once and records when
each event arrived.

    python receiver.py --port P

A raw asyncio HTTP/1.1 server (keep-alive, Content-Length bodies only, which is what
httpx and aiohttp send), so the receiver costs as little as possible and the benchmark
measures the sender. It runs in its own process so its CPU does not share a GIL with
either sender or the benchmark's client.

Control paths (the benchmark's, not the senders'):

- ``GET /_wait?type=T&count=N&timeout=S``: answers once N events of type T have
  arrived (or after S seconds) with the count, so the benchmark waits without polling.
- ``GET /_arrivals?type=T``: the arrivals of type T as JSON
  ``[[event_id, object_id, monotonic_time], ...]``. ``time.monotonic`` is
  CLOCK_MONOTONIC, shared by every process on the machine, so the benchmark compares it
  with its own send times.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from collections import defaultdict
from urllib.parse import parse_qs, urlsplit

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"
BAD = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

Arrival = tuple[str, str | None, float]


class Recorder:
    def __init__(self) -> None:
        self.arrivals: defaultdict[str, list[Arrival]] = defaultdict(list)
        self.changed = asyncio.Condition()

    async def record(self, body: bytes, at: float) -> None:
        try:
            event = json.loads(body)
            obj = event["data"]["object"]
            arrival = (str(event["id"]), obj.get("id"), at)
            event_type = str(event["type"])
        except (ValueError, KeyError, TypeError, AttributeError):
            return  # not an event: answered 200 all the same, not recorded
        self.arrivals[event_type].append(arrival)
        async with self.changed:
            self.changed.notify_all()

    async def wait(self, event_type: str, count: int, seconds: float) -> int:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds), self.changed:
                await self.changed.wait_for(lambda: len(self.arrivals[event_type]) >= count)
        return len(self.arrivals[event_type])


def _json_response(value: object) -> bytes:
    body = json.dumps(value).encode()
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
    return head.encode() + b"\r\n\r\n" + body


async def _control(recorder: Recorder, target: str) -> bytes:
    parts = urlsplit(target)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    event_type = query.get("type", "")
    if parts.path == "/_wait":
        count = await recorder.wait(
            event_type, int(query.get("count", "0")), float(query.get("timeout", "30"))
        )
        return _json_response({"count": count})
    if parts.path == "/_arrivals":
        return _json_response(recorder.arrivals.get(event_type, []))
    return _json_response({"error": "unknown control path"})


async def handle(
    recorder: Recorder, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            lines = head.decode("latin-1").split("\r\n")
            method, target = lines[0].split(" ", 2)[:2]
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            if "chunked" in headers.get("transfer-encoding", ""):
                writer.write(BAD)  # neither sender chunks; refuse rather than misparse
                await writer.drain()
                return
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            # Time of arrival: the whole request is in, before any work of ours.
            at = time.monotonic()
            if method == "GET" and target.startswith("/_"):
                writer.write(await _control(recorder, target))
            else:
                writer.write(OK)
                await recorder.record(body, at)
            await writer.drain()
            if headers.get("connection", "").lower() == "close":
                return
    except (asyncio.IncompleteReadError, ConnectionError):
        return
    finally:
        writer.close()


async def serve(port: int) -> None:
    recorder = Recorder()
    server = await asyncio.start_server(
        lambda r, w: handle(recorder, r, w), "127.0.0.1", port, backlog=1024
    )
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    try:
        import uvloop  # the project's env has it (uvicorn[standard]); optional

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    with contextlib.suppress(KeyboardInterrupt):
        runner(serve(args.port))


if __name__ == "__main__":
    main()
