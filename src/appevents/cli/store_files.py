"""What is at a ``sqlite:///`` store's path, looked at before a command opens it.

SQLite creates a missing file, and may write into a damaged one, when a connection opens
it; the store then migrates whatever it opened. A command that only reads the inbox must
do neither, and a command that writes must refuse a file that is not an inbox rather
than damage it further. So the file is judged first, from its bytes alone (no SQLite
connection, which would leave ``-wal`` and ``-shm`` files behind), and only when a
write-ahead log may hold a newer schema version than the file's header does a read-only
connection look.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from ..errors import ConfigurationError, StoreError
from ..receiver.stores.sqlite.connection import SCHEMA_VERSION

__all__ = ["check_for_reading", "check_for_writing", "header_problem"]

_MAGIC = b"SQLite format 3\x00"
_HEADER_SIZE = 100


def header_problem(header: bytes, size: int) -> str | None:
    """Why a file of ``size`` bytes starting with ``header`` is not a usable SQLite file."""
    if size == 0:
        return None  # SQLite makes an empty file a database
    if size < _HEADER_SIZE or not header.startswith(_MAGIC):
        return "is not a SQLite database"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    page_count = int.from_bytes(header[28:32], "big")
    # The page count in the header is valid only when it was written with the latest change.
    if header[24:28] == header[92:96] and size < page_size * page_count:
        return f"is truncated ({size} bytes, its header says {page_size * page_count})"
    return None


def check_for_writing(path: Path) -> None:
    """Refuse a path the store could not open, or could open only by damaging a file."""
    if path.is_dir():
        raise ConfigurationError(
            f"SQLite store {str(path)!r} is a folder: name a file in it, such as "
            f"sqlite:///{path / 'inbox.db'}"
        )
    folder = path.parent
    if not folder.is_dir():
        raise ConfigurationError(
            f"SQLite store {str(path)!r}: folder {str(folder)!r} does not exist; create it or "
            "choose another path"
        )
    if path.exists():
        _check_header(path)
        if not os.access(path, os.W_OK):
            raise ConfigurationError(
                f"SQLite store {str(path)!r} is read-only: the receiver writes every event into "
                "it; make it writable (chmod u+w) or choose another path"
            )
    if not os.access(folder, os.W_OK):
        raise ConfigurationError(
            f"SQLite store {str(path)!r}: folder {str(folder)!r} is read-only, and SQLite "
            "writes its journal and lock files beside the store; choose a writable folder"
        )


def check_for_reading(path: Path, hint: str) -> None:
    """Refuse a path that holds no inbox, or one whose schema is not the current one.

    ``hint`` says how to point the command at the right store.
    """
    if path.is_dir():
        raise ConfigurationError(f"{str(path)!r} is a folder, not an inbox file: {hint}")
    if not path.exists():
        raise ConfigurationError(f"no inbox at {path}: {hint}")
    header = _check_header(path)
    if not os.access(path, os.W_OK):
        raise ConfigurationError(
            f"inbox {path} is read-only, and SQLite writes its journal into an inbox even to "
            "read it: make it writable (chmod u+w), or read a copy"
        )
    version = _schema_version(path, header)
    if version == 0:
        raise ConfigurationError(
            f"{path} is an empty SQLite file, not an inbox yet (appevents serve creates one): "
            f"{hint}"
        )
    if version > SCHEMA_VERSION:
        raise ConfigurationError(
            f"inbox {path} has schema version {version}, newer than this appevents reads "
            f"({SCHEMA_VERSION}): upgrade appevents (pip install -U appevents)"
        )
    if version < SCHEMA_VERSION:
        raise ConfigurationError(
            f"inbox {path} has schema version {version} and needs migrating to "
            f"{SCHEMA_VERSION} first: run appevents db migrate --store sqlite:///{path} "
            "(appevents serve and appevents worker also migrate it when they start)"
        )


def _check_header(path: Path) -> bytes:
    """The file's first bytes, once they are those of a usable SQLite file."""
    try:
        with path.open("rb") as file:
            header = file.read(_HEADER_SIZE)
            size = os.fstat(file.fileno()).st_size
    except OSError as exc:
        raise StoreError(f"cannot read SQLite store {path}: {exc.strerror or exc}") from None
    problem = header_problem(header, size)
    if problem is not None:
        raise ConfigurationError(
            f"SQLite store {path} {problem}: nothing was changed; point --store at the inbox "
            "file that appevents serve created, or restore this one from a backup"
        )
    return header


def _schema_version(path: Path, header: bytes) -> int:
    if not header or not Path(f"{path}-wal").exists():
        # An empty file, or no write-ahead log: the header is the whole truth (user_version
        # at offset 60).
        return int.from_bytes(header[60:64], "big")
    try:
        db = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
        try:
            (version,) = db.execute("PRAGMA user_version").fetchone()
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read SQLite store {path}: {exc}") from None
    return int(version)
