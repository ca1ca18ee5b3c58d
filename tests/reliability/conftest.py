"""`store_url`: every reliability test runs on each store kind that serves many processes."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["sqlite"])
def store_url(request, tmp_path):
    return f"sqlite:///{tmp_path / 'inbox.db'}"
