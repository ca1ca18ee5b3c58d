"""Read-only files and folders that hold even for root (who ignores permission bits).

As root, the immutable attribute (``chattr +i``) makes the kernel refuse every write;
otherwise the permission bits do. Both are undone when the block ends, so the test's
folder can be removed.
"""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[Path]:
    if os.geteuid() == 0:
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"chattr +i {path} failed ({done.stderr.strip()}): as root, a "
                               "read-only test needs a filesystem with the immutable attribute")  # fmt: skip
        try:
            yield path
        finally:
            subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)
        return
    mode = path.stat().st_mode
    path.chmod(stat.S_IMODE(mode) & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        yield path
    finally:
        path.chmod(stat.S_IMODE(mode))


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file and folder below ``folder``: its bytes, or ``None`` for a folder."""
    return {
        str(p.relative_to(folder)): None if p.is_dir() else p.read_bytes()
        for p in sorted(folder.rglob("*"))
    }
