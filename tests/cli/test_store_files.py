"""Judging a SQLite store's file from its bytes, before any connection touches it."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from appevents.cli.store_files import check_for_reading, check_for_writing, header_problem
from appevents.errors import ConfigurationError
from appevents.receiver import SQLiteStore


def header(page_size: int, pages: int, *, counter: int = 7, valid_for: int = 7) -> bytes:
    raw = bytearray(100)
    raw[:16] = b"SQLite format 3\x00"
    raw[16:18] = page_size.to_bytes(2, "big")
    raw[24:28] = counter.to_bytes(4, "big")
    raw[28:32] = pages.to_bytes(4, "big")
    raw[92:96] = valid_for.to_bytes(4, "big")
    return bytes(raw)


def test_header_problem():
    assert header_problem(b"", 0) is None  # SQLite makes an empty file a database
    assert header_problem(b"SQLite format 3\x00", 16) == "is not a SQLite database"
    assert header_problem(b"x" * 100, 4096) == "is not a SQLite database"
    assert header_problem(header(4096, 3), 3 * 4096) is None
    assert header_problem(header(4096, 3), 4 * 4096) is None  # longer is fine
    assert header_problem(header(4096, 3), 2 * 4096) == (
        "is truncated (8192 bytes, its header says 12288)"
    )
    assert header_problem(header(1, 2), 65536) == (  # 1 stands for 65,536
        "is truncated (65536 bytes, its header says 131072)"
    )
    # A page count written by an older writer than the last change says nothing.
    assert header_problem(header(4096, 3, counter=8, valid_for=7), 4096) is None


def test_a_real_store_passes_both_checks_and_is_left_as_it_was(tmp_path):
    path = tmp_path / "inbox.db"

    async def create():
        async with SQLiteStore(path):
            pass

    asyncio.run(create())
    files = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    check_for_writing(path)
    check_for_reading(path, "hint")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == files


def test_reading_refuses_what_holds_no_inbox(tmp_path):
    with pytest.raises(ConfigurationError, match=r"^no inbox at .*missing\.db: pass --app$"):
        check_for_reading(tmp_path / "missing.db", "pass --app")
    (tmp_path / "empty.db").touch()
    with pytest.raises(ConfigurationError, match="is an empty SQLite file, not an inbox yet"):
        check_for_reading(tmp_path / "empty.db", "hint")
    check_for_writing(tmp_path / "empty.db")  # serve may make it one
    sqlite3.connect(tmp_path / "future.db").execute("PRAGMA user_version = 99").connection.close()
    with pytest.raises(ConfigurationError, match=r"version 99, newer .* upgrade appevents"):
        check_for_reading(tmp_path / "future.db", "hint")
    assert not (tmp_path / "missing.db").exists()
