"""The worker's processing transaction on the Django database, as ``work`` sees it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ...receiver.installations import Installation
from ...receiver.stores.params import installation_params
from ...receiver.stores.rows import installation_from_row
from .sql_postgres import PostgresSQL
from .sql_sqlite import SQLiteSQL

__all__ = ["BatchTransaction"]

T = TypeVar("T")


class BatchTransaction:
    """The batch's transaction as the worker's ``work`` sees it: every call runs at once,
    on the processing lane's thread (the batch is inline)."""

    def __init__(self, sql: SQLiteSQL | PostgresSQL, cursor: Any) -> None:
        self._sql = sql
        self._cursor = cursor

    @property
    def connection(self) -> Any:
        """A Django cursor (``%s`` placeholders) in the batch's transaction."""
        return self._cursor

    @property
    def sync_connection(self) -> Any:
        return self._cursor

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        return function(*args)

    async def get_installation(self, account: str, livemode: bool) -> Installation | None:
        params = {"account": account, "livemode": livemode}
        row = self._sql.execute(self._cursor, "get_installation", params).fetchone()
        return None if row is None else installation_from_row(row)

    async def save_installation(self, installation: Installation, now: float) -> None:
        params = installation_params(installation, now)
        self._sql.execute(self._cursor, "save_installation", params)

    async def erase_account(
        self, account: str, livemode: bool, *, through_created: int, now: float
    ) -> int:
        return self._sql.erase_account(self._cursor, account, livemode, through_created, now)
