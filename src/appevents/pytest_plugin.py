"""pytest fixtures for testing a Stripe App's handlers against the sandbox.

Loaded by pytest wherever appevents is installed (the ``pytest11`` entry point
``appevents``); with ``PYTEST_DISABLE_PLUGIN_AUTOLOAD`` set, add ``-p appevents.pytest_plugin``.
Its fixtures are all named ``appevents_*`` and it imports nothing heavy until one is used,
so loading it disturbs no other test.

    from myapp import app                       # an appevents.App

    def test_a_payment_is_recorded(appevents_sandbox, appevents_receiver):
        merchant = appevents_sandbox.install("stripe-app.json")
        receiver = appevents_receiver(app)
        events = appevents_sandbox.trigger("payment_intent.succeeded", account=merchant)
        receiver.wait_for(events)
        ...                                     # what the handlers did

``appevents_sandbox``: a :class:`~appevents.sandbox_harness.SandboxHarness`, a sandbox in
this process on a free 127.0.0.1 port with its state in ``tmp_path``, stopped after the
test. ``appevents_receiver(app, events=("*",), platform_events=True)``: runs the app (a
copy of it, with its own store in ``tmp_path``) as the sandbox's developer endpoints and
returns a :class:`~appevents.receiver_harness.ReceiverHarness`; stopped after the test.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .receiver import App
    from .receiver_harness import ReceiverHarness
    from .sandbox_harness import SandboxHarness

__all__ = ["appevents_receiver", "appevents_sandbox"]


@pytest.fixture
def appevents_sandbox(tmp_path: Path) -> Iterator[SandboxHarness]:
    """A sandbox for this test: ``url``, ``api_key``, ``install()``, ``trigger()``..."""
    from .sandbox_harness import SandboxHarness

    with SandboxHarness.running(tmp_path / "appevents-sandbox") as sandbox:
        yield sandbox


@pytest.fixture
def appevents_receiver(
    appevents_sandbox: SandboxHarness, tmp_path: Path
) -> Iterator[Callable[..., ReceiverHarness]]:
    """``appevents_receiver(app)`` runs ``app`` against ``appevents_sandbox``."""
    from .receiver_harness import ReceiverHarness

    with contextlib.ExitStack() as stack:

        def run(app: App, **options: Any) -> ReceiverHarness:
            return stack.enter_context(
                ReceiverHarness.running(app, appevents_sandbox, tmp_path, **options)
            )

        yield run
