from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SOURCES = REPO / "scripts" / "catalog-sources"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """Stripe's published facts the catalog is generated from, committed with the repo
    (only tests and the generator read them)."""
    return SOURCES
