"""The checks CI holds every change to: ruff (lint and format) and mypy --strict on src/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PATHS = ["src", "tests", "examples", "benchmarks", "scripts"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True)


@pytest.mark.parametrize("command", [["ruff", "check"], ["ruff", "format", "--check"]])
def test_ruff(command):
    result = run(*command, *[p for p in PATHS if (ROOT / p).exists()])
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_on_src():
    result = run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
