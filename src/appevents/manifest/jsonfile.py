"""Read and write a JSON object file the way people keep stripe-app.json: key order and
indentation preserved, a final newline, and atomic replacement so an interrupted write (crash,
full disk, Ctrl-C) leaves either the old file or the new one, never half of each.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from ..errors import ManifestError

DEFAULT_INDENT = "  "  # what `stripe apps create` writes
_FIRST_INDENTED_LINE = re.compile(r"^([ \t]+)\S", re.MULTILINE)


def detect_indent(text: str) -> str:
    """The indentation unit of a JSON text: a tab, or the first indented line's spaces."""
    match = _FIRST_INDENTED_LINE.search(text)
    if match is None:
        return DEFAULT_INDENT
    leading = match.group(1)
    return "\t" if leading.startswith("\t") else leading


def read_json_object(path: Path) -> tuple[dict[str, Any], str]:
    """The JSON object in ``path`` and its indentation; ManifestError says what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(
            f"{path}: no such file; run the command in your app's directory "
            "(where stripe-app.json is) or pass --manifest PATH"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ManifestError(f"{path}: cannot read the manifest: {error}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ManifestError(
            f"{path}:{error.lineno}:{error.colno}: invalid JSON: {error.msg} "
            f"(line {error.lineno}, column {error.colno}); fix the syntax there and retry"
        ) from None
    if not isinstance(data, dict):
        raise ManifestError(
            f"{path}: the manifest must be a JSON object ({{...}}), not {type(data).__name__}"
        )
    return data, detect_indent(text)


def render(data: dict[str, Any], indent: str) -> str:
    return json.dumps(data, indent=indent, ensure_ascii=False) + "\n"


def write_json_atomic(path: Path, data: dict[str, Any], indent: str = DEFAULT_INDENT) -> None:
    """Write ``data`` to ``path`` through a temp file in the same directory, fsync'ed, then
    ``os.replace``d over the original; on any failure the original is untouched and the temp
    file removed."""
    text = render(data, indent)
    directory = path.parent
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    fd, temp_name = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        temp.chmod(mode)
        temp.replace(path)  # os.replace: atomic on POSIX and Windows
    except BaseException as error:
        with contextlib.suppress(OSError):
            temp.unlink()
        if isinstance(error, OSError):
            raise ManifestError(f"{path}: cannot write the manifest: {error}") from error
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable; not possible on every platform (Windows), hence best effort.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
