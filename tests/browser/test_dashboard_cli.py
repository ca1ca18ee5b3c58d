"""`appevents sandbox` prints the dashboard's URL and serves it at `/`; `appevents dashboard`
opens it in the browser (or prints it with --no-open), and says what to do when no
sandbox answers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from playwright.sync_api import expect

from sandbox_fixtures import kill, start_sandbox
from servers import free_port


def appevents(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "appevents.cli.main", *args], capture_output=True, text=True,
        timeout=30, env={**os.environ, **(env or {})},
    )  # fmt: skip


def test_the_sandbox_prints_the_dashboard_url_and_appevents_dashboard_opens_it(
    tmp_path: Path, browser
):
    port = free_port()
    process, _ = start_sandbox(tmp_path / "state.db", port)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(2)]
        url = f"http://127.0.0.1:{port}/"
        assert lines[1].strip() == f"dashboard: {url} (or `appevents dashboard`)"
        printed = appevents("dashboard", "--no-open", "--api-base", url.rstrip("/"))
        assert (printed.returncode, printed.stdout) == (0, f"{url}\n")
        opened_with = tmp_path / "opened.txt"
        fake_browser = tmp_path / "browser.sh"
        fake_browser.write_text(f'#!/bin/sh\necho "$1" > {opened_with}\n')
        fake_browser.chmod(0o755)
        opened = appevents("dashboard", "--api-base", url, env={"BROWSER": str(fake_browser)})
        assert opened.returncode == 0, opened.stderr
        assert opened_with.read_text().strip() == url
        page = browser.new_page()
        try:
            page.goto(url)
            expect(page.get_by_role("heading", level=1)).to_have_text("Events")
            expect(page.get_by_role("navigation", name="Main")).to_be_visible()
        finally:
            page.close()
    finally:
        kill(process)


def test_appevents_dashboard_says_how_to_start_a_sandbox_when_none_answers():
    nowhere = f"http://127.0.0.1:{free_port()}"
    result = appevents("dashboard", "--no-open", "--api-base", nowhere)
    assert result.returncode == 1
    assert f"no sandbox answers at {nowhere}/" in result.stderr
    assert "start one with `appevents sandbox`" in result.stderr


def test_ctrl_c_stops_the_sandbox_promptly_while_a_dashboard_stream_is_open(tmp_path: Path):
    port = free_port()
    process, _ = start_sandbox(tmp_path / "state.db", port)
    try:
        with httpx.stream("GET", f"http://127.0.0.1:{port}/live", timeout=30) as stream:
            assert next(stream.iter_lines()) == "retry: 500"
            began = time.monotonic()
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=15) == 0
            assert time.monotonic() - began < 6  # uvicorn ends open streams: not their 15 s
    finally:
        if process.poll() is None:
            kill(process)
