"""An in-memory sandbox and its platform's caller, for driving the recipe engine directly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from appevents.sandbox.callers import Caller
from appevents.sandbox.service import Sandbox
from appevents.sandbox.state.db import connect


@dataclass
class World:
    sandbox: Sandbox
    platform: dict[str, Any]
    caller: Caller


@pytest.fixture
def world() -> World:
    sandbox = Sandbox(connect(":memory:"))
    platform = sandbox.platform()
    return World(sandbox, platform, sandbox.caller(platform["keys"]["test"], None))
