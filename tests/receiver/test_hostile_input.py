"""Hostile input against the real HTTP endpoint: no 5xx, nothing stored, every 4xx says why.

10,000 generated requests (hypothesis): malformed and forged signatures, stale and future
timestamps, bodies that are not UTF-8, truncated, huge, or JSON that is not an event,
wrong content types and methods. None carries a valid signature over a valid event.
Then byte streams that are barely HTTP against ``appevents serve``'s own server.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import time

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appevents import sign
from appevents.receiver import App, SQLiteStore
from appevents.testing import make_event
from raw_http import connect, read_response
from servers import asgi_server, webhook_server

SECRET = "whsec_fuzz"
LIMIT = 32 * 1024
EXAMPLES = 10_000

VALID = make_event("payment_intent.succeeded", account="acct_fuzz", event_id="evt_fuzz_valid")

header_text = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f"), max_size=300
).map(lambda text: text.strip(" \t"))  # HTTP itself forbids surrounding whitespace
timestamps = st.one_of(
    st.integers(-(10**12), 10**13),
    st.sampled_from([0, 1]),
    st.integers(0, 4000).map(lambda d: int(time.time()) + 301 + d),  # future
    st.integers(0, 4000).map(lambda d: int(time.time()) - 301 - d),  # stale
)


# Built once: a strategy made inside a draw is analysed again at every example, which cost
# more than sending the request.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=15,
)


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["bytes", "truncated", "huge", "not_utf8", "json", "event_like"]))
    if kind == "bytes":
        return draw(st.binary(max_size=2000))
    if kind == "truncated":
        return VALID[: draw(st.integers(0, len(VALID) - 1))]
    if kind == "huge":
        return b"{" + b" " * (LIMIT + draw(st.integers(0, 5000))) + b"}"
    if kind == "not_utf8":
        return b'{"id": "evt_\xff\xfe", "object": "event"}'
    if kind == "json":
        return json.dumps(draw(json_values)).encode()
    # A Stripe event with one required field broken (so it can never be a valid event).
    document = json.loads(VALID)
    key = draw(st.sampled_from(["id", "object", "type", "created", "livemode", "data"]))
    document[key] = draw(st.sampled_from([None, [], {}, ""]))
    return json.dumps(document).encode()


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, bytes, dict[str, str]]:
    """A request that must be refused: no valid signature over a valid event."""
    method = draw(st.sampled_from(["POST"] * 12 + ["GET", "PUT", "PATCH", "DELETE"]))
    signed_valid = draw(st.booleans())
    body = VALID if signed_valid else draw(bodies())
    flaw = draw(st.sampled_from(["none", "garbage", "wrong_secret", "time", "mutated_body"]))
    if signed_valid and flaw == "none":
        flaw = "wrong_secret"  # a valid signature over a valid event would be accepted
    headers = {"Content-Type": draw(st.sampled_from(
        ["application/json", "text/plain", "application/x-www-form-urlencoded", "", "x/y; q=1"]
    ))}  # fmt: skip
    if flaw == "garbage":
        headers["Stripe-Signature"] = draw(header_text)
    elif flaw == "wrong_secret":
        headers["Stripe-Signature"] = sign(body, "whsec_attacker")
    elif flaw == "time":
        t = draw(timestamps)
        headers["Stripe-Signature"] = sign(body, SECRET, max(t, 0)) if t >= 0 else f"t={t},v1=00"
        if signed_valid and abs(t - time.time()) <= 300:
            headers["Stripe-Signature"] = sign(body, "whsec_attacker", max(t, 0))
    elif flaw == "mutated_body":
        headers["Stripe-Signature"] = sign(body, SECRET)
        body = body + draw(st.binary(min_size=1, max_size=20))
    elif not signed_valid:
        headers["Stripe-Signature"] = sign(body, SECRET)  # valid signature, invalid event
    return method, body, headers


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    db_path = tmp_path_factory.mktemp("fuzz") / "inbox.db"
    app = App(SECRET, store=SQLiteStore(db_path), max_body_bytes=LIMIT)
    with asgi_server(app.asgi()) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client, db_path


def test_10000_hostile_requests_store_nothing_and_each_4xx_says_why(endpoint):
    client, db_path = endpoint
    statuses: dict[int, int] = {}

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(requests())
    def check(request: tuple[str, bytes, dict[str, str]]) -> None:
        method, body, headers = request
        raw_headers = {k: v.encode("latin-1") for k, v in headers.items()}  # non-ASCII bytes too
        response = client.request(method, "/webhook", content=body, headers=raw_headers)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert 400 <= response.status_code < 500, (response.status_code, response.text)
        error = response.json()["error"]
        assert error["code"] and error["message"]

    check()
    print(f"statuses: {dict(sorted(statuses.items()))}")
    assert sum(statuses.values()) >= EXAMPLES
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT COUNT(*) FROM events").fetchone() == (0,)
    assert statuses.keys() >= {400, 405, 413}


# Pieces of HTTP/1.1, valid and not, that the built-in server's parser must survive in any
# order: a signature (in a header or a trailer), bodies, chunk sizes and extensions,
# oversized headers, upgrades, 100-continue, bare CRLF.
SIGNATURE = f"Stripe-Signature: {sign(VALID, SECRET)}\r\n".encode()
wire_pieces = st.binary(max_size=6) | st.sampled_from([
    b"\r\n", b"\r\n\r\n", b"0\r\n", b"5\r\n", b"ffffffff\r\n", b"5;ext=" + b"e" * 3000 + b"\r\n",
    b"POST /webhook HTTP/1.1\r\n", b"GET / HTTP/1.0\r\n", b"POST /" + b"u" * 600 + b" HTTP/1.1\r\n",
    b"Transfer-Encoding: chunked\r\n", b"Content-Length: 5\r\n", b"Content-Length: 99999999\r\n",
    b"Expect: 100-continue\r\n", b"Connection: close\r\n", b"Upgrade: h2c\r\nConnection: upgrade\r\n",
    b"X-Pad: " + b"v" * 3000 + b"\r\n", SIGNATURE, VALID,
])  # fmt: skip
wire_starts = st.sampled_from([
    b"", b"POST /webhook HTTP/1.1\r\nHost: t\r\n",
    b"\r\nPOST /webhook HTTP/1.1\r\nTransfer-Encoding: chunked\r\n",
])  # fmt: skip
streams = st.tuples(wire_starts, st.lists(wire_pieces, max_size=30)).map(
    lambda parts: parts[0] + b"".join(parts[1])
)


def test_byte_streams_that_are_barely_http_get_well_formed_refusals(tmp_path, caplog):
    """Every answer is a complete HTTP response, a JSON error unless it is the one valid
    event; the server's protocol never raises, and it serves a valid delivery after."""
    app = App(SECRET, store=SQLiteStore(tmp_path / "inbox.db"), max_body_bytes=4096)
    options = {"keep_alive_timeout": 0.1, "request_timeout": 0.2, "linger_timeout": 0.2,
               "max_header_bytes": 2048, "max_url_bytes": 512}  # fmt: skip
    statuses: dict[int, int] = {}
    with webhook_server(app, **options) as base, caplog.at_level(logging.ERROR, "asyncio"):

        @settings(max_examples=200, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(streams)
        def check(stream: bytes) -> None:
            with connect(base) as sock:
                with contextlib.suppress(OSError):  # refused and closed before the end
                    sock.sendall(stream)
                buffer = bytearray()
                while True:
                    try:
                        status, _, body = read_response(sock, buffer)
                    except OSError:  # closed (or reset after a refusal): nothing more
                        break
                    statuses[status] = statuses.get(status, 0) + 1
                    if status in (100, 200):
                        continue
                    assert 400 <= status < 500, (status, body)
                    error = json.loads(body)["error"]
                    assert error["code"] and error["message"]

        check()
        with httpx.Client(base_url=base) as client:
            answer = client.post(
                "/webhook", content=VALID, headers={"Stripe-Signature": sign(VALID, SECRET)}
            )
    assert answer.status_code == 200
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []
    assert statuses.get(400, 0) > 0, statuses
