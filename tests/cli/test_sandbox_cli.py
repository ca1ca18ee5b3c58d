"""`appevents sandbox` as a process: keys printed, state kept, SIGKILL mid-retry resumes."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx

from sandbox_fixtures import Receiver, kill, start_sandbox, wait_for
from servers import asgi_server, free_port


def test_sandbox_prints_keys_keeps_state_and_resumes_owed_deliveries_after_sigkill(tmp_path):
    data, port, receiver_port = tmp_path / "state.db", free_port(), free_port()
    process, printed = start_sandbox(data, port)
    base, auth = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {printed['test']}"}
    try:
        assert printed["test"].startswith("sk_test_") and printed["live"].startswith("sk_live_")
        assert httpx.get(base + "/v1/account", headers=auth).json()["id"] == printed["platform"]
        httpx.post(base + "/v1/webhook_endpoints", headers=auth,
                   data={"url": f"http://127.0.0.1:{receiver_port}/hook", "enabled_events[0]": "*"})  # fmt: skip
        ids = [
            httpx.post(
                base + "/v1/customers", headers=auth, data={"email": f"{n}@example.com"}
            ).json()["id"]
            for n in range(5)
        ]
        time.sleep(0.3)  # the first attempts fail: nothing listens yet
    finally:
        kill(process)
    handler = Receiver()
    process, again = start_sandbox(data, port)
    try:
        assert again == printed  # same platform, same keys: the state survived
        with asgi_server(handler, port=receiver_port):
            wait_for(lambda: len(handler.received) >= 5, timeout=20)
            time.sleep(1.0)
        delivered = [json.loads(body)["data"]["object"]["id"] for _, body in handler.received]
        assert sorted(delivered) == sorted(ids)  # each owed delivery exactly once
    finally:
        kill(process)
    process, fresh = start_sandbox(data, port, "--reset")
    try:
        assert fresh["platform"] != printed["platform"]
        assert (
            httpx.get(
                base + "/v1/customers", headers={"Authorization": f"Bearer {fresh['test']}"}
            ).json()["data"]
            == []
        )
    finally:
        kill(process)


def test_sandbox_help_lists_its_environment_variable():
    result = subprocess.run([sys.executable, "-m", "appevents.cli.main", "sandbox", "--help"],
                            capture_output=True, text=True)  # fmt: skip
    assert "APPEVENTS_SANDBOX_DATA" in result.stdout
    assert "--time-scale" in result.stdout
