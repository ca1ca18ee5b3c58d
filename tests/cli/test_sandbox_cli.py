"""`appevents sandbox` as a process: keys printed, state kept, SIGKILL mid-retry resumes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from sandbox_fixtures import Receiver, wait_for
from servers import asgi_server, free_port, wait_http


def start_sandbox(
    data: Path, port: int, *extra: str
) -> tuple[subprocess.Popen[str], dict[str, str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "appevents.cli.main", "sandbox", "--data", str(data),
         "--port", str(port), "--time-scale", str(1 / 3600), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    assert process.stdout is not None
    printed: dict[str, str] = {}
    deadline = time.monotonic() + 20
    while "live" not in printed and time.monotonic() < deadline:
        line = process.stdout.readline()
        if match := re.match(r"platform account (acct_\w+)", line):
            printed["platform"] = match.group(1)
        if match := re.match(r"\s+(test|live) secret key: (sk_\w+)", line):
            printed[match.group(1)] = match.group(2)
    wait_http(f"http://127.0.0.1:{port}/v1/account", process)
    return process, printed


def kill(process: subprocess.Popen[str]) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)


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
