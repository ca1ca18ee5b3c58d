"""The official Stripe CLI for interop tests: npm's `@stripe/cli`, installed on first use.

It goes into ``~/.cache/appevents-tests/stripe-cli`` (``$XDG_CACHE_HOME`` if set), so a
machine downloads it once. Without npm, the tests that need it are skipped with a notice
saying how to run them; in CI (``CI=true``) they fail instead: interop is not optional.
The CLI runs with a home of its own (its config and device name stay out of yours), its
telemetry and update check off, pointed at a sandbox by its hidden ``--api-base``.
"""

from __future__ import annotations

import fcntl
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from environment import in_ci

VERSION = "1.52.0"  # the release these tests were written against
CACHE = (
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    / "appevents-tests"
    / "stripe-cli"
)
_NODE_PLATFORMS = {"linux": "linux", "darwin": "darwin", "win32": "win32"}
_NODE_ARCHES = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}


def unavailable(reason: str) -> None:
    """Skip the calling test, loudly; in CI, fail it."""
    message = f"the official Stripe CLI is unavailable: {reason}"
    if in_ci():
        pytest.fail(message + " (CI runs the Stripe CLI interop tests: install Node.js and npm)")
    print(f"\n*** {message}: its interop tests are SKIPPED ***", file=sys.stderr)
    pytest.skip(message + "; install Node.js and npm to run this test")


def binary() -> Path:
    """The Stripe CLI's own executable (not npm's node shim, which would outlive a kill)."""
    found = _installed()
    if found is not None:
        return found
    npm = shutil.which("npm")
    if npm is None:
        unavailable("npm is not on PATH")
    CACHE.mkdir(parents=True, exist_ok=True)
    # Test workers (and other checkouts' suites) share the cache: one installs while the
    # others wait, then find its install, instead of two npm runs writing the same files.
    with (CACHE / ".install.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        found = _installed()
        if found is not None:
            return found
        try:
            done = subprocess.run(
                [str(npm), "install", "--prefix", str(CACHE), "--no-fund", "--no-audit",
                 f"@stripe/cli@{VERSION}"],
                capture_output=True, text=True, timeout=600,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            unavailable(f"`npm install @stripe/cli@{VERSION}` took over 10 minutes")
        found = _installed()
    if done.returncode != 0 or found is None:
        unavailable(f"`npm install @stripe/cli@{VERSION}` failed: {done.stderr.strip()[-500:]}")
    assert found is not None
    return found


def _installed() -> Path | None:
    wrapper = CACHE / "node_modules" / "@stripe" / "cli"
    try:
        platforms = json.loads((wrapper / "platforms.json").read_text())
        installed = json.loads((wrapper / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None
    key = (
        f"{_NODE_PLATFORMS.get(sys.platform, sys.platform)}-"
        f"{_NODE_ARCHES.get(platform.machine().lower(), platform.machine())}"
    )
    if installed != VERSION or key not in platforms:
        return None
    entry = platforms[key]
    for candidate in (
        CACHE / "node_modules" / entry["pkg"] / "bin" / entry["bin"],
        wrapper / "vendor" / "bin" / entry["bin"],
    ):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def environment(home: Path) -> dict[str, str]:
    """What the CLI runs with: a home of its own, no telemetry."""
    (home / ".config").mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "STRIPE_CLI_TELEMETRY_OPTOUT": "1",
    }


def command(api_base: str, api_key: str, *args: str) -> list[str]:
    """A Stripe CLI command line aimed at the sandbox at ``api_base``."""
    return [str(binary()), *args, "--api-base", api_base, "--api-key", api_key]
