"""The PostgreSQL store: ``store`` (the Store), ``connection`` (pool and keepalives),
``migrations`` (versioned ``sql/migrations/NNNN_name.sql``). Needs psycopg 3
(``pip install 'appevents[postgres]'``)."""

from .store import PostgresStore

__all__ = ["PostgresStore"]
