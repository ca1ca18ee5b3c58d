"""stripe-node for interop tests: npm's `stripe` package, installed on first use.

It goes into ``~/.cache/appevents-tests/stripe-node`` (``$XDG_CACHE_HOME`` if set), once
per machine, under a lock so parallel test workers do not run npm twice. Without node or
npm the tests that need it are skipped loudly; in CI (``CI=true``) they fail instead.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from environment import in_ci

VERSION = "18.5.0"  # the release these tests were written against
CACHE = (
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    / "appevents-tests"
    / "stripe-node"
)


def unavailable(reason: str) -> None:
    """Skip the calling test, loudly; in CI, fail it."""
    message = f"stripe-node is unavailable: {reason}"
    if in_ci():
        pytest.fail(message + " (CI runs the stripe-node interop tests: install Node.js and npm)")
    print(f"\n*** {message}: its interop tests are SKIPPED ***", file=sys.stderr)
    pytest.skip(message + "; install Node.js and npm to run this test")


def package_dir() -> Path:
    """The folder whose ``node_modules`` holds stripe-node; installs it if needed."""
    if shutil.which("node") is None:
        unavailable("node is not on PATH")
    if _installed():
        return CACHE
    npm = shutil.which("npm")
    if npm is None:
        unavailable("npm is not on PATH")
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / ".install.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed():
            return CACHE
        try:
            done = subprocess.run(
                [str(npm), "install", "--prefix", str(CACHE), "--no-fund", "--no-audit",
                 f"stripe@{VERSION}"],
                capture_output=True, text=True, timeout=600,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            unavailable(f"`npm install stripe@{VERSION}` took over 10 minutes")
    if done.returncode != 0 or not _installed():
        unavailable(f"`npm install stripe@{VERSION}` failed: {done.stderr.strip()[-500:]}")
    return CACHE


def run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a CommonJS ``script`` with stripe-node requirable as ``require('stripe')``."""
    cwd = package_dir()
    return subprocess.run(
        [shutil.which("node") or "node", "-e", script, "--", *args],
        cwd=cwd, capture_output=True, text=True, timeout=60,
        env={**os.environ, "NODE_PATH": str(cwd / "node_modules")},
    )  # fmt: skip


def _installed() -> bool:
    try:
        manifest = CACHE / "node_modules" / "stripe" / "package.json"
        return bool(json.loads(manifest.read_text())["version"] == VERSION)
    except (OSError, ValueError, KeyError):
        return False
