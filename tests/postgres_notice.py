"""Printed by `make test` before the suite: which PostgreSQL the PostgreSQL tests use.

Tests that need PostgreSQL read APPEVENTS_TEST_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/test). Outside CI they are skipped, loudly, when
nothing answers there; in CI (CI=true) they fail instead.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).parent))
from environment import POSTGRES_ENV, in_ci, postgres_url


def reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 5432), 2):
            return True
    except OSError:
        return False


def main() -> None:
    url = postgres_url()
    if reachable(url):
        print(f"PostgreSQL tests use {url} (set {POSTGRES_ENV} to use another server)")
    elif in_ci():
        print(f"PostgreSQL at {url} is not reachable: in CI its tests will FAIL")
    else:
        print(
            f"*** PostgreSQL at {url} is not reachable: its tests will be SKIPPED. "
            f"Point {POSTGRES_ENV}=postgresql://user@host:port/db at a server to run them. ***"
        )


if __name__ == "__main__":
    main()
