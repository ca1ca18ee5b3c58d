"""stripe-node for interop tests: npm's `stripe` package, installed on first use.

It goes into ``~/.cache/appevents-tests/stripe-node`` (``$XDG_CACHE_HOME`` if set), once
per machine, under a lock so parallel test workers do not run npm twice (npm_cache).
Without node or npm the tests that need it are skipped loudly; in CI (``CI=true``) they
fail instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import NoReturn

import npm_cache

VERSION = "18.5.0"  # the release these tests were written against
CACHE = npm_cache.cache("stripe-node")


def unavailable(reason: str) -> NoReturn:
    """Skip the calling test, loudly; in CI, fail it."""
    npm_cache.unavailable("stripe-node", "stripe-node", reason)


def package_dir() -> Path:
    """The folder whose ``node_modules`` holds stripe-node; installs it if needed."""
    if shutil.which("node") is None:
        unavailable("node is not on PATH")
    return npm_cache.install(f"stripe@{VERSION}", CACHE, _installed, unavailable)


def run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a CommonJS ``script`` with stripe-node requirable as ``require('stripe')``."""
    cwd = package_dir()
    return subprocess.run(
        [shutil.which("node") or "node", "-e", script, "--", *args],
        cwd=cwd, capture_output=True, text=True, timeout=60,
        env={**os.environ, "NODE_PATH": str(cwd / "node_modules")},
    )  # fmt: skip


def _installed() -> Path | None:
    try:
        manifest = CACHE / "node_modules" / "stripe" / "package.json"
        return CACHE if json.loads(manifest.read_text())["version"] == VERSION else None
    except (OSError, ValueError, KeyError):
        return None
