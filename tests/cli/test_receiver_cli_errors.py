"""Every receiver-side command, given a store it cannot use, a bad --log-level or a broken
app module, stops with one `Error: …` line naming the value and the fix (exit 1 or 2, no
traceback) and writes nothing: no new file, and every existing file byte for byte intact."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from appevents import Event
from appevents.receiver import SQLiteStore
from appevents.testing import make_event
from cli_results import assert_error_line
from environment import postgres_url
from filesystem import snapshot
from servers import free_port

pytestmark = pytest.mark.slow


def commands(app: str, folder: Path, store: list[str]) -> dict[str, list[str]]:
    """Each command, run on ``store`` (``["--store", URL]`` or ``["--app", X]``)."""
    app_dir = ["--app-dir", str(folder)]
    return {
        "serve": ["serve", app, *app_dir, "--secret", "whsec_x", "--port", str(free_port()),
                  *store],
        "worker": ["worker", app, *app_dir, *store],
        "inbox list": ["inbox", "list", *store],
        "inbox show": ["inbox", "show", "evt_1", *store],
        "inbox replay": ["inbox", "replay", "--dead", *store],
        "installations list": ["installations", "list", *store],
        "db migrate": ["db", "migrate", *store],
    }  # fmt: skip


def appevents(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "APPEVENTS_STORE": "",
        "APPEVENTS_APP": "",
        "APPEVENTS_WEBHOOK_SECRET": "",
        # Python's own byte-code cache is not the command writing; keep it out of the folder.
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "appevents.cli.main", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def assert_refused(name: str, result: subprocess.CompletedProcess[str], expected: str) -> None:
    where = f"{name}: {result.stderr!r}"
    error = assert_error_line(result.stderr, result.returncode, expected, where=where)
    assert result.stderr.endswith(error + "\n"), where
    # The rest can only be click's usage header for a bad option.
    others = [line for line in result.stderr.splitlines() if line and line != error]
    assert all(line.startswith(("Usage: ", "Try ")) for line in others), where


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "okapp.py").write_text("from appevents import App\napp = App()\n")
    yield tmp_path
    # An immutable file would outlive the test's folder.
    for path in tmp_path.rglob("*"):
        with contextlib.suppress(OSError):
            subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)


def a_store(path: Path) -> None:
    async def fill() -> None:
        async with SQLiteStore(path) as store:
            events = [make_event("charge.succeeded", account=f"acct_{i}") for i in range(300)]
            await store.insert_events([Event.parse(body) for body in events], 1.0)

    asyncio.run(fill())


def test_an_unusable_store_is_refused_by_every_command(folder):
    (folder / "a folder").mkdir()
    (folder / "garbage.db").write_bytes(b"not a database, just text\n" * 20)
    a_store(folder / "truncated.db")
    with (folder / "truncated.db").open("r+b") as file:
        file.truncate((folder / "truncated.db").stat().st_size // 2)
    a_store(folder / "readonly.db")
    immutable = subprocess.run(["chattr", "+i", str(folder / "readonly.db")],
                               capture_output=True, check=False).returncode == 0  # fmt: skip
    if not immutable:
        (folder / "readonly.db").chmod(0o444)
    missing_db = postgres_url().rsplit("/", 1)[0] + "/appevents_no_such_database"
    cases = {
        f"sqlite:///{folder}/no folder/inbox.db": ("folder", "no folder"),
        f"sqlite:///{folder}/a folder": ("is a folder", "is a folder"),
        f"sqlite:///{folder}/garbage.db": ("is not a SQLite database",) * 2,
        f"sqlite:///{folder}/truncated.db": ("is truncated",) * 2,
        "postgresql://app:pw@127.0.0.1:1/inbox": ("127.0.0.1:1/inbox cannot be opened",) * 2,
        missing_db: ("appevents_no_such_database",) * 2,
    }
    if immutable or os.geteuid() != 0:  # root writes into a file that is only chmod 444
        cases[f"sqlite:///{folder}/readonly.db"] = ("is read-only",) * 2
    readers = {"inbox list", "inbox show", "inbox replay", "installations list"}
    for url, (for_writers, for_readers) in cases.items():
        for name, args in commands("okapp:app", folder, ["--store", url]).items():
            before = snapshot(folder)
            result = appevents(args, folder)
            assert_refused(f"{name} {url}", result, for_readers if name in readers else for_writers)
            assert snapshot(folder) == before, f"{name} {url} wrote"


def test_a_bad_log_level_is_refused_before_anything_is_written(folder):
    for name in ("serve", "worker"):
        args = commands("okapp:app", folder, [])[name]
        result = appevents([*args, "--log-level", "loud"], folder)
        assert_refused(name, result, "'loud' is not one of 'debug', 'info'")
        assert snapshot(folder) == {"okapp.py": (folder / "okapp.py").read_bytes()}


BROKEN_APPS = {
    "syntaxapp": ("from appevents import App\napp = App(\n", "has a syntax error at"),
    "raisingapp": (
        "raise RuntimeError('set STRIPE_KEY first')\n",
        "RuntimeError: set STRIPE_KEY first",
    ),
    "badargapp": (
        "from appevents import App\napp = App(max_body_bytes=0)\n",
        "max_body_bytes must be a positive number of bytes, got 0",
    ),
}


@pytest.mark.parametrize("module", sorted(BROKEN_APPS))
def test_a_broken_app_module_is_refused_by_the_commands_that_load_it(folder, module):
    code, expected = BROKEN_APPS[module]
    (folder / f"{module}.py").write_text(code)
    listed = commands(f"{module}:app", folder, [])
    runs = {
        "serve": listed["serve"],
        "worker": listed["worker"],
        "inbox list": ["inbox", "list", "--app", f"{module}:app", "--app-dir", str(folder)],
    }
    before = snapshot(folder)
    for name, args in runs.items():
        result = appevents(args, folder)
        assert_refused(name, result, expected)
        line = 2 if module != "raisingapp" else 1
        assert f"{folder / module}.py, line {line}" in result.stderr, result.stderr
        assert snapshot(folder) == before, f"{name} wrote"
