"""npm packages the interop tests run (stripe-node, the official Stripe CLI), installed on
first use into ``~/.cache/appevents-tests/<name>`` (``$XDG_CACHE_HOME`` if set), so a
machine downloads each once. Without npm the tests that need one are skipped loudly; in
CI (``CI=true``) they fail instead: interop is not optional there.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn, TypeVar

import pytest

from environment import in_ci

T = TypeVar("T")


def cache(name: str) -> Path:
    return (
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "appevents-tests" / name
    )


def unavailable(what: str, tests: str, reason: str) -> NoReturn:
    """Skip the calling test, loudly; in CI, fail it."""
    message = f"{what} is unavailable: {reason}"
    if in_ci():
        pytest.fail(message + f" (CI runs the {tests} interop tests: install Node.js and npm)")
    print(f"\n*** {message}: its interop tests are SKIPPED ***", file=sys.stderr)
    pytest.skip(message + "; install Node.js and npm to run this test")


def install(
    spec: str, folder: Path, installed: Callable[[], T | None], fail: Callable[[str], NoReturn]
) -> T:
    """What ``installed()`` finds once ``npm install spec`` has put it into ``folder``;
    ``fail(reason)`` when npm is missing or its install did not give it."""
    found = installed()
    if found is not None:
        return found
    npm = shutil.which("npm")
    if npm is None:
        fail("npm is not on PATH")
    folder.mkdir(parents=True, exist_ok=True)
    # Test workers (and other checkouts' suites) share the cache: one installs while the
    # others wait, then find its install, instead of two npm runs writing the same files.
    with (folder / ".install.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        found = installed()
        if found is not None:
            return found
        try:
            done = subprocess.run(
                [npm, "install", "--prefix", str(folder), "--no-fund", "--no-audit", spec],
                capture_output=True, text=True, timeout=600,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            fail(f"`npm install {spec}` took over 10 minutes")
        found = installed()
    if done.returncode != 0 or found is None:
        fail(f"`npm install {spec}` failed: {done.stderr.strip()[-500:]}")
    return found
