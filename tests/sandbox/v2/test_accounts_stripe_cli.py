"""The official Stripe CLI's ``stripe listen --all-thin`` forwards the v2 Accounts API's thin
events as the sandbox emits them, signed so that stripe-python's
``parse_event_notification`` verifies them with the listen secret, and the account is
fetched back from the notification (skipped loudly without npm, failing in CI)."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import stripe_cli
from sandbox_fixtures import RunningSandbox, wait_for
from v2_world import bodies, v2_client


@pytest.fixture
def cli_home(tmp_path: Path) -> Iterator[Path]:
    stripe_cli.binary()  # installs it once, or skips (fails in CI) saying why
    yield tmp_path


def test_stripe_listen_all_thin_forwards_account_events(
    sandbox: RunningSandbox, receiver, cli_home: Path
) -> None:
    handler, url = receiver
    env = stripe_cli.environment(cli_home)
    secret = subprocess.run(
        stripe_cli.command(sandbox.base, sandbox.key, "listen", "--print-secret"),
        capture_output=True, text=True, env=env, timeout=30,
    ).stdout.strip()  # fmt: skip
    assert secret.startswith("whsec_")
    argv = stripe_cli.command(sandbox.base, sandbox.key, "listen", "--skip-update",
                              "--all-thin", "--forward-to", url)  # fmt: skip
    err = cli_home / "listen.err"
    with err.open("wb") as stderr:
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=stderr, env=env,
                                   start_new_session=True)  # fmt: skip
    try:
        wait_for(lambda: "Ready!" in err.read_text() or process.poll() is not None, 30)
        assert process.poll() is None, err.read_text()
        client = v2_client(sandbox)
        account = client.v2.core.accounts.create({
            "display_name": "Quayside", "configuration": {"customer": {}}})  # fmt: skip
        client.v2.core.accounts.persons.create(account.id, {"given_name": "Noor"})
        sent = bodies(handler, 2, timeout=15)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
    assert [b["type"] for b in sent] == [
        "v2.core.account.created", "v2.core.account_person.created"
    ]  # fmt: skip
    headers, raw = handler.received[0]
    notification = client.parse_event_notification(raw, headers["stripe-signature"], secret)
    assert notification.related_object.id == account.id
    assert notification.fetch_related_object().display_name == "Quayside"
