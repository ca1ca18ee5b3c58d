"""The `store` fixture: every store kind runs the same contract suite."""

from __future__ import annotations

import pytest

from appevents.receiver import MemoryStore, SQLiteStore


@pytest.fixture(params=["memory", "sqlite"])
async def store(request, tmp_path):
    store = MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "inbox.db")
    async with store:
        yield store
