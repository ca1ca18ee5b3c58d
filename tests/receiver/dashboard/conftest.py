"""Fixtures of the receiver dashboard's tests: a receiver on a real SQLite store with its
dashboard, served on loopback ports (see receiver_dashboard_servers)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from receiver_dashboard_servers import Served, served_dashboard


@pytest.fixture
def served(tmp_path) -> Iterator[Served]:
    with served_dashboard(f"sqlite:///{tmp_path / 'inbox.db'}") as running:
        yield running


@pytest.fixture
def idle(tmp_path) -> Iterator[Served]:
    """No worker: every event delivered stays pending."""
    with served_dashboard(f"sqlite:///{tmp_path / 'inbox.db'}", run_worker=False) as running:
        yield running
