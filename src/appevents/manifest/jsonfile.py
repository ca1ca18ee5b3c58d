"""Read and write a JSON object file the way people keep stripe-app.json: key order and
indentation preserved, a final newline, and atomic replacement so an interrupted write (crash,
full disk, Ctrl-C) leaves either the old file or the new one, never half of each.

Only JSON goes in and out: Python's ``json`` would otherwise read and write ``NaN`` and
``Infinity``, which no other JSON reader (Stripe's included) accepts. A symlinked manifest is
written through the link, so the link stays a link. A file or folder without write permission
is refused even where the caller could override it (root), as editors do.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import re
import stat
import tempfile
from pathlib import Path
from typing import Any, NoReturn

from ..errors import ManifestError

DEFAULT_INDENT = "  "  # what `stripe apps create` writes
MAX_MANIFEST_BYTES = 1024 * 1024
_FIRST_INDENTED_LINE = re.compile(r"^([ \t]+)\S", re.MULTILINE)
_NOT_JSON_NUMBER_FIX = "replace it with a finite number or a string"


class _NotJsonNumber(ValueError):
    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.token = token


def detect_indent(text: str) -> str:
    """The indentation unit of a JSON text: a tab, or the first indented line's spaces."""
    match = _FIRST_INDENTED_LINE.search(text)
    if match is None:
        return DEFAULT_INDENT
    leading = match.group(1)
    return "\t" if leading.startswith("\t") else leading


def read_json_object(
    path: Path,
    if_missing: str = "run the command in your app's directory (where stripe-app.json is) "
    "or pass --manifest PATH",
) -> tuple[dict[str, Any], str]:
    """The JSON object in ``path`` and its indentation; ManifestError says what is wrong.

    ``if_missing`` is the advice given when there is no such file.
    """
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_MANIFEST_BYTES + 1)  # bounded: --manifest /dev/zero must not hang
    except FileNotFoundError:
        raise ManifestError(f"{path}: no such file; {if_missing}") from None
    except OSError as error:
        raise ManifestError(f"{path}: cannot read the manifest: {error}") from None
    if len(raw) > MAX_MANIFEST_BYTES:
        raise ManifestError(
            f"{path}: over {MAX_MANIFEST_BYTES:,} bytes, far more than a manifest holds (a few "
            "KB); pass the path of your stripe-app.json with --manifest"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ManifestError(
            f"{path}: not a text file (byte 0x{raw[error.start]:02x} at offset {error.start} "
            "is not UTF-8): a manifest is JSON text; pass the path of your stripe-app.json "
            "with --manifest"
        ) from None
    data = _parse(path, text)
    if not isinstance(data, dict):
        raise ManifestError(
            f"{path}: the manifest must be a JSON object ({{...}}), not {type(data).__name__}"
        )
    return data, detect_indent(text)


def render(data: dict[str, Any], indent: str) -> str:
    return json.dumps(data, indent=indent, ensure_ascii=False, allow_nan=False) + "\n"


def write_json_atomic(path: Path, data: dict[str, Any], indent: str = DEFAULT_INDENT) -> None:
    """Write ``data`` to ``path`` through a temp file in the same directory, fsync'ed, then
    ``os.replace``d over the original; on any failure the original is untouched and the temp
    file removed. A symlink is followed to the file it names, which is the one replaced."""
    text = _render_or_refuse(path, data, indent)
    target = Path(os.path.realpath(path))
    directory = target.parent
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = 0o644
    except OSError as error:
        raise ManifestError(f"{path}: cannot write the manifest: {error}") from None
    _refuse_read_only(path, target, mode)
    try:
        fd, temp_name = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as error:
        raise ManifestError(f"{path}: cannot write the manifest: {error}") from None
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        temp.chmod(mode)
        temp.replace(target)  # os.replace: atomic on POSIX and Windows
    except BaseException as error:
        with contextlib.suppress(OSError):
            temp.unlink()
        if isinstance(error, OSError):
            raise ManifestError(f"{path}: cannot write the manifest: {error}") from error
        raise
    _fsync_directory(directory)


def create_json_file(path: Path, data: dict[str, Any], indent: str = DEFAULT_INDENT) -> None:
    """Write ``data`` to a new file ``path``.

    Raises FileExistsError when anything is at ``path`` (even a dangling symlink), which is
    left untouched; ManifestError when the file cannot be created.
    """
    text = _render_or_refuse(path, data, indent)
    if path.is_symlink() or path.exists():
        raise FileExistsError(errno.EEXIST, "already exists", str(path))
    _refuse_read_only(path, path.absolute(), 0o644)
    try:
        # "x" creates or fails, so a file appearing meanwhile is not overwritten either.
        with path.open("x", encoding="utf-8", newline="\n") as f:
            try:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            except BaseException:
                with contextlib.suppress(OSError):
                    path.unlink()
                raise
    except FileExistsError:
        raise
    except OSError as error:
        raise ManifestError(f"{path}: cannot create the manifest: {error}") from None
    _fsync_directory(path.parent)


def _parse(path: Path, text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as error:
        raise ManifestError(
            f"{path}:{error.lineno}:{error.colno}: invalid JSON: {error.msg} "
            f"(line {error.lineno}, column {error.colno}); fix the syntax there and retry"
        ) from None
    except _NotJsonNumber as error:
        raise ManifestError(
            f"{path}: {error.token} is not a JSON number (JSON has no NaN or Infinity); "
            f"{_NOT_JSON_NUMBER_FIX}"
        ) from None
    except RecursionError:
        raise ManifestError(
            f"{path}: the JSON is nested too deeply to read (arrays or objects thousands of "
            "levels deep); a manifest is a few levels deep: fix or regenerate the file"
        ) from None
    except ValueError as error:  # e.g. an integer longer than Python converts (4300 digits)
        reason = str(error).split(":", 1)[0]
        raise ManifestError(
            f"{path}: invalid JSON: {reason}; shorten that number or write it as a string"
        ) from None


def _refuse_constant(token: str) -> NoReturn:
    raise _NotJsonNumber(token)


def _finite_float(token: str) -> float:
    value = float(token)
    if not math.isfinite(value):  # 1e999 parses to inf, which cannot be written back
        raise _NotJsonNumber(token)
    return value


def _render_or_refuse(path: Path, data: dict[str, Any], indent: str) -> str:
    try:
        return render(data, indent)
    except ValueError as error:
        raise ManifestError(
            f"{path}: not written: the manifest holds a value JSON cannot represent ({error}); "
            f"NaN and Infinity are not JSON: {_NOT_JSON_NUMBER_FIX}"
        ) from None
    except RecursionError:
        raise ManifestError(
            f"{path}: not written: the manifest is nested too deeply to write as JSON"
        ) from None


def _refuse_read_only(path: Path, target: Path, mode: int) -> None:
    exists = target.exists()
    if exists and (not mode & 0o222 or not os.access(target, os.W_OK)):
        raise ManifestError(
            f"{path}: the file is read-only, so it was left unchanged; "
            f"make it writable (chmod u+w {target}) and retry"
        )
    directory = target.parent
    try:
        folder_mode = directory.stat().st_mode
    except OSError as error:
        raise ManifestError(f"{path}: cannot write the manifest: {error}") from None
    if not folder_mode & 0o222 or not os.access(directory, os.W_OK | os.X_OK):
        what = (
            "the file was left unchanged (it is replaced through a new file beside it)"
            if exists
            else "the file was not created"
        )
        raise ManifestError(
            f"{path}: its folder {directory} is read-only, so {what}; make the folder "
            f"writable (chmod u+w {directory}) and retry"
        )


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable; not possible on every platform (Windows), hence best effort.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
