from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO.parent / "shared" / "reference"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """Stripe's reference material beside the repo (only tests and the generator read it)."""
    if not (REFERENCE / "event-permissions.tsv").is_file():
        pytest.skip(f"no reference material at {REFERENCE}")
    return REFERENCE
