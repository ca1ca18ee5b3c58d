"""The README's Quick start, run as a user runs it: in a fresh folder, the app as written,
`appevents serve` receiving a signed event, then the inbox commands exactly as shown."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from servers import free_port, poll_until, wait_http

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
SECRET = "whsec_quick_start"


def quick_start() -> tuple[str, list[str], str]:
    """The app module, the shell commands and the "send a signed event" snippet."""
    section = README[README.index("## Quick start") :]
    blocks = re.findall(r"```(python|sh)\n(.*?)```", section, re.DOTALL)
    app = next(code for kind, code in blocks if kind == "python" and "# myapp.py" in code)
    shell = next(code for kind, code in blocks if kind == "sh" and "appevents serve" in code)
    send = next(code for kind, code in blocks if kind == "python" and "signed_headers" in code)
    commands = [line.split("#", 1)[0].strip() for line in shell.splitlines() if line.strip()]
    return app, commands, send


def appevents(command: str, cwd: Path, port: int, event_id: str = "") -> list[str]:
    """The README's command line with this run's values, run by this interpreter."""
    words = shlex.split(command)
    assert words[0] == "appevents"
    replaced = [
        {"4242": str(port), "whsec_...": SECRET, "evt_...": event_id}.get(w, w) for w in words
    ]
    return [sys.executable, "-m", "appevents.cli.main", *replaced[1:]]


@pytest.mark.slow
def test_the_quick_start_commands_work_as_written(tmp_path):
    app_code, commands, send = quick_start()
    (tmp_path / "myapp.py").write_text(app_code)
    port = free_port()
    serve, *inspect = commands
    assert serve.startswith("appevents serve myapp:app")
    env = {"APPEVENTS_STORE": "", "APPEVENTS_APP": "", "APPEVENTS_WEBHOOK_SECRET": ""}
    environment = {**os.environ, **env}
    server = subprocess.Popen(
        appevents(serve, tmp_path, port), cwd=tmp_path, env=environment,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        wait_http(f"http://127.0.0.1:{port}/webhook", server)
        names: dict[str, object] = {}
        code = send.replace("4242", str(port)).replace('"whsec_..."', repr(SECRET))
        exec(compile(code, "README.md", "exec"), names)
        event_id = json.loads(names["body"])["id"]  # type: ignore[arg-type]

        def run(command: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                appevents(command, tmp_path, port, event_id), cwd=tmp_path, env=environment,
                capture_output=True, text=True, timeout=60,
            )  # fmt: skip

        listing = inspect[0]
        assert listing == "appevents inbox list --app myapp:app"
        poll_until(lambda: " done " in run(listing).stdout, timeout=20)
        results = {command: run(command) for command in inspect}
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(20)
    for command, result in results.items():
        assert "Traceback" not in result.stderr, (command, result.stderr)
    listed = results[listing].stdout
    assert event_id in listed and "acct_123" in listed
    shown = results["appevents inbox show evt_... --app myapp:app"]
    assert shown.returncode == 0, shown.stderr
    assert "status: done" in shown.stdout and '"amount_received":1200' in shown.stdout
    replayed = results["appevents inbox replay --dead --app myapp:app"]
    assert replayed.stdout == "0 event(s) queued for replay\n"
    installs = results["appevents installations list --app myapp:app"]
    assert "acct_123" in installs.stdout and "implied" in installs.stdout
    # The app's own table got the payment, through the same store the commands read.

    with sqlite3.connect(tmp_path / "inbox.db") as db:
        assert db.execute("SELECT account, amount FROM totals").fetchall() == [("acct_123", 1200)]
    assert not (tmp_path / "appevents.db").exists()
