from __future__ import annotations

from pathlib import Path

import pytest

from environment import in_ci

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO.parent / "shared" / "reference"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """Stripe's reference material beside the repo (only tests and the generator read it)."""
    if not (REFERENCE / "event-permissions.tsv").is_file():
        message = f"no reference material at {REFERENCE} (the shared/ folder beside the repo)"
        if in_ci():
            pytest.fail(message + ": CI must have it, nothing may be skipped there")
        pytest.skip(message)
    return REFERENCE
