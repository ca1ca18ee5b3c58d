"""Reading HTTP/1.1 answers as bytes arrive, whatever the pieces they arrive in."""

from __future__ import annotations

import pytest

from appevents.sandbox.http_response import ResponseReader


def read(data: bytes, *, piece: int, excerpt: int = 5000, eof: bool = False) -> ResponseReader:
    reader = ResponseReader(excerpt)
    complete = False
    for start in range(0, len(data), piece):
        assert not complete, "more bytes after the answer was complete"
        complete = reader.feed(data[start : start + piece])
    if eof:
        complete = reader.feed_eof()
    assert complete
    return reader


ANSWERS = {
    "length": (b"HTTP/1.1 200 OK\r\ncontent-length: 11\r\n\r\nhello world", 200, b"hello world", True),
    "chunked": (
        b"HTTP/1.1 202 Accepted\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
        b"6\r\nhello \r\n5;name=x\r\nworld\r\n0\r\nTrailer: yes\r\n\r\n",
        202, b"hello world", True,
    ),
    "no content": (b"HTTP/1.1 204 No Content\r\n\r\n", 204, b"", True),
    "empty": (b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 200, b"", True),
    "close": (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", 200, b"ok", False),
    "1.0": (b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", 200, b"ok", False),
    "1.0 keep-alive": (
        b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok", 200, b"ok", True,
    ),
    "interim": (b"HTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n!", 200, b"!", True),
}  # fmt: skip


@pytest.mark.parametrize("piece", [1, 2, 7, 10_000])
@pytest.mark.parametrize("name", ANSWERS)
def test_answers_read_in_any_pieces(name, piece):
    data, status, body, keep_alive = ANSWERS[name]
    reader = read(data, piece=piece)
    assert (reader.status, bytes(reader.excerpt), reader.keep_alive) == (status, body, keep_alive)


@pytest.mark.parametrize("piece", [1, 3, 10_000])
def test_a_body_without_length_ends_with_the_connection(piece):
    reader = read(b"HTTP/1.1 200 OK\r\n\r\nuntil the end", piece=piece, eof=True)
    assert (reader.status, bytes(reader.excerpt), reader.keep_alive) == (
        200,
        b"until the end",
        False,
    )


def test_eof_before_the_end_is_not_an_answer():
    reader = ResponseReader(100)
    assert not reader.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab")
    assert not reader.feed_eof()


def test_only_the_excerpt_is_kept_of_a_long_body():
    body = bytes(range(256)) * 100
    reader = read(
        b"HTTP/1.1 200 OK\r\nContent-Length: 25600\r\n\r\n" + body, piece=999, excerpt=300
    )
    assert bytes(reader.excerpt) == body[:300]


def test_bytes_beyond_the_answer_end_keep_alive():
    reader = ResponseReader(100)
    assert reader.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA")
    assert not reader.keep_alive


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"HTTP/2 200\r\n\r\n", "not an HTTP/1.x status line"),
        (b"HTTP/1.1 abc OK\r\n\r\n", "not an HTTP/1.x status line"),
        (b"HTTP/1.1 099 Odd\r\n\r\n", "invalid status code"),
        (b"HTTP/1.1 101 Switching\r\n\r\n", "switched protocols"),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "malformed header line"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "invalid Content-Length"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "invalid Content-Length"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n", "invalid chunk size"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXX", "chunk not followed by CRLF"),
        (b"HTTP/1.1 200 OK\r\n" + b"X: " + b"y" * 70_000, "response head larger than"),
    ],
)  # fmt: skip
def test_malformed_answers_raise_value_error(data, message):
    with pytest.raises(ValueError, match=message):
        ResponseReader(100).feed(data)
