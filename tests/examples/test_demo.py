"""The README's main command (the demo) runs end to end, exits 0, and cleans up."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_demo_exits_zero_with_every_check_passed_and_leaves_nothing_behind(tmp_path):
    temp = tmp_path / "temp"
    temp.mkdir()
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "demo.py")],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "TMPDIR": str(temp), "COLUMNS": "80"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "demo passed" in result.stdout
    assert "✘" not in result.stdout
    assert list(temp.iterdir()) == [], "the demo left its state folder behind"
    # The table and the rules fit an 80-column terminal (commands stay whole, to copy).
    drawn = [line for line in result.stdout.splitlines() if line[:1] in "┏┃┡│└━─"]
    assert drawn and max(len(line) for line in drawn) <= 80
