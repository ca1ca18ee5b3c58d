"""How the PostgreSQL store connects, and what handlers get inside its transaction.

* :func:`connection_string` adds the session settings the store relies on to the URL.
* :func:`describe_server` names the server in error messages without the password.
* :class:`SyncConnection` lets a sync handler (run on a thread by ``Transaction.call``)
  use the batch's ``psycopg.AsyncConnection``.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Coroutine, Iterator, Sequence
from typing import Any, TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from ....errors import ConfigurationError, StoreError

__all__ = ["SyncConnection", "SyncCursor", "connection_string", "describe_server"]

T = TypeVar("T")

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

# Client side: notice a vanished server within about a minute instead of the kernel's
# two hours. Each is set only if the URL does not choose its own value.
_CLIENT_KEEPALIVES = {
    "keepalives": "1",
    "keepalives_idle": "30",
    "keepalives_interval": "10",
    "keepalives_count": "3",
}


def connection_string(
    url: str,
    *,
    schema: str | None,
    connect_timeout: float,
    idle_in_transaction_timeout: float,
    application_name: str,
) -> str:
    """The libpq connection string for ``url`` with the store's session settings.

    The settings travel in the startup packet (``options``), so every pooled connection
    has them from its first statement and no extra round trip is spent:

    * ``synchronous_commit=on``: a commit is on disk (and on synchronous standbys) before
      the receiver answers 2xx, whatever the server's or role's default says.
    * ``idle_in_transaction_session_timeout``: a worker hung inside its batch (between
      statements) loses its connection, so its row and advisory locks are released and
      its events are due again elsewhere.
    * ``tcp_keepalives_*``: the server notices a worker machine that vanished and ends its
      session (and its locks) in about a minute.
    * ``search_path``: when ``schema`` is given, appevents' tables live there.
    """
    try:
        given = conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise ConfigurationError(
            f"PostgreSQL store URL is not valid ({exc}): write "
            "postgresql://user:password@host:5432/database"
        ) from None
    settings = [
        "-c synchronous_commit=on",
        f"-c idle_in_transaction_session_timeout={round(idle_in_transaction_timeout * 1000)}",
        "-c tcp_keepalives_idle=30",
        "-c tcp_keepalives_interval=10",
        "-c tcp_keepalives_count=3",
    ]
    if schema is not None:
        check_schema_name(schema)
        settings.append(f"-c search_path={schema}")
    options = " ".join([str(given.get("options") or ""), *settings]).strip()
    defaults = {
        **_CLIENT_KEEPALIVES,
        "application_name": application_name,
        "connect_timeout": str(max(1, round(connect_timeout))),  # libpq takes whole seconds
    }
    extra = {k: v for k, v in defaults.items() if k not in given}
    return make_conninfo(url, options=options, **extra)


def check_schema_name(schema: str) -> None:
    if not _SCHEMA_NAME.match(schema):
        raise ConfigurationError(
            f"PostgreSQL schema name {schema!r} is not a plain identifier: use lower-case "
            "letters, digits and underscores, starting with a letter or underscore"
        )


def describe_server(url: str) -> str:
    """``postgresql://user@host:port/database``: the server, never the password."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://(unparsable URL)"
    user = f"{params['user']}@" if params.get("user") else ""
    host = str(params.get("host") or "localhost")
    port = f":{params['port']}" if params.get("port") else ""
    return f"postgresql://{user}{host}{port}/{params.get('dbname') or ''}"


class SyncCursor:
    """The result of one :meth:`SyncConnection.execute`, fetched in full."""

    def __init__(self, rows: list[tuple[Any, ...]], rowcount: int, description: Any) -> None:
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount
        self.description = description

    def fetchone(self) -> tuple[Any, ...] | None:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchall(self) -> list[tuple[Any, ...]]:
        rest, self._next = self._rows[self._next :], len(self._rows)
        return rest

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        while (row := self.fetchone()) is not None:
            yield row


class SyncConnection:
    """The batch's async connection, usable from a sync handler's thread.

    Sync handlers run on a worker thread (``Transaction.call`` uses
    :func:`asyncio.to_thread`) so they never block the event loop. Their
    ``ctx.transaction`` is this adapter: each :meth:`execute` is scheduled on the event
    loop that owns the connection with :func:`asyncio.run_coroutine_threadsafe` and waits
    for its result, so the statement runs inside the batch transaction (and the event's
    savepoint) like an async handler's would. Rows are fetched in full; use
    ``%s`` placeholders as psycopg does.
    """

    def __init__(self, connection: psycopg.AsyncConnection[Any]) -> None:
        self.connection = connection
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> SyncCursor:
        return self._wait(self._execute(sql, params))

    def executescript(self, sql: str) -> SyncCursor:
        """Run several ``;``-separated statements (no parameters), as sqlite3 offers."""
        return self._wait(self._execute(sql, None))

    async def _execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None) -> SyncCursor:
        async with self.connection.cursor() as cursor:
            await cursor.execute(sql, params)
            rows = await cursor.fetchall() if cursor.description else []
            return SyncCursor(rows, cursor.rowcount, cursor.description)

    def _wait(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if threading.get_ident() == self._loop_thread:
            coroutine.close()
            raise StoreError(
                "the PostgreSQL sync connection was used on the event loop's thread, where "
                "waiting for it would block forever: run sync code through "
                "`await tx.call(function, ...)`, or use the async `tx.connection`"
            )
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()
