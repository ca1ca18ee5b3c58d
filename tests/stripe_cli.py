"""The official Stripe CLI for interop tests: npm's `@stripe/cli`, installed on first use.

It goes into ``~/.cache/appevents-tests/stripe-cli`` (``$XDG_CACHE_HOME`` if set), so a
machine downloads it once. Without npm, the tests that need it are skipped with a notice
saying how to run them; in CI (``CI=true``) they fail instead: interop is not optional.
The CLI runs with a home of its own (its config and device name stay out of yours), its
telemetry and update check off, pointed at a sandbox by its hidden ``--api-base``.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path
from typing import NoReturn

import npm_cache

VERSION = "1.52.0"  # the release these tests were written against
CACHE = npm_cache.cache("stripe-cli")
_NODE_PLATFORMS = {"linux": "linux", "darwin": "darwin", "win32": "win32"}
_NODE_ARCHES = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}


def unavailable(reason: str) -> NoReturn:
    """Skip the calling test, loudly; in CI, fail it."""
    npm_cache.unavailable("the official Stripe CLI", "Stripe CLI", reason)


def binary() -> Path:
    """The Stripe CLI's own executable (not npm's node shim, which would outlive a kill)."""
    return npm_cache.install(f"@stripe/cli@{VERSION}", CACHE, _installed, unavailable)


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
