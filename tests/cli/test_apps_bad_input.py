"""Every `appevents apps` subcommand, fed what breaks programs: a one-line `Error: …` that names
the problem, exit 1 or 2, never a traceback, and the manifest unchanged byte for byte."""

from __future__ import annotations

import errno
import json
import os
import sys
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from appevents.cli.main import cli
from cli_results import assert_one_error
from filesystem import snapshot

VALID = {
    "id": "com.example.app",
    "version": "1.0.0",
    "name": "Example App",
    "icon": "",
    "permissions": [{"permission": "event_read", "purpose": "Read webhook event data"}],
}
DEPTH = 100_000

# Every subcommand that reads a manifest, as a user would type it (--manifest added).
COMMANDS: dict[str, list[str]] = {
    "validate": ["validate"],
    "grant": ["grant", "permission", "charge_read", "Read Charge data in webhook events"],
    "revoke": ["revoke", "permission", "event_read"],
    "check": ["check", "--events", "charge.succeeded"],
    "register": ["register"],
    "install": ["install", "--account", "acct_1"],
    "upgrade": ["upgrade", "--account", "acct_1"],
    "uninstall": ["uninstall", "--account", "acct_1"],
}


def deep(path: Path) -> None:
    path.write_text(
        json.dumps({**VALID, "constants": None}).replace(
            "null", '{"a": ' + "[" * DEPTH + "]" * DEPTH + "}"
        )
    )


def text(content: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(content)


# name -> (write the manifest, words the error must contain)
UNREADABLE: dict[str, tuple[Callable[[Path], None], str]] = {
    "deep": (deep, "nested too deeply"),
    "binary": (lambda path: path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "not a text"),
    "nan": (text(json.dumps({**VALID, "version": 1})[:-1] + ', "constants": {"x": NaN}}'), "NaN"),
    "infinity": (text('{"id": "com.example.app", "version": Infinity}'), "Infinity"),
    "list": (text(json.dumps([VALID])), "must be a JSON object"),
    "huge": (text(json.dumps({**VALID, "constants": {"x": "x" * 2**21}})), "far more than"),
    "empty": (text(""), "invalid JSON"),
    "truncated": (text(json.dumps(VALID)[:40]), "invalid JSON"),
}


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["apps", *args])


def assert_one_line_error(result: Result, *words: str) -> None:
    assert_one_error(result, *words)
    assert len(result.output.splitlines()) == 1, result.output


@pytest.fixture(autouse=True)
def nobody_logged_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Sandbox commands must fail on the manifest, before they would look for a login.
    monkeypatch.setenv("APPEVENTS_CONFIG_DIR", str(tmp_path / "config"))


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("kind", UNREADABLE)
def test_every_command_refuses_an_unreadable_manifest_in_one_line(
    tmp_path: Path, kind: str, command: str
) -> None:
    folder = tmp_path / "app"
    folder.mkdir()
    path = folder / "stripe-app.json"
    write, words = UNREADABLE[kind]
    write(path)
    before = snapshot(folder)
    result = run(*COMMANDS[command], "--manifest", str(path))
    assert_one_line_error(result, str(path), words)
    assert snapshot(folder) == before


# Manifests that parse but that Stripe rejects: the commands that write or upload refuse them.
INVALID: dict[str, tuple[dict[str, Any], str]] = {
    "no id": ({k: v for k, v in VALID.items() if k != "id"}, "id: is required"),
    "numeric id": ({**VALID, "id": 12}, 'id: must be a string like "com.example.app"'),
    "permissions a string": (
        {**VALID, "permissions": "event_read"},
        'permissions: must be a list of {"permission": NAME, "purpose": TEXT}',
    ),
    "bad id": ({**VALID, "id": "my app"}, "id: must contain only letters"),
}
REFUSING = ["grant", "register", "install", "upgrade"]


@pytest.mark.parametrize("command", REFUSING)
@pytest.mark.parametrize("kind", INVALID)
def test_writing_and_uploading_refuse_what_validate_rejects(
    tmp_path: Path, kind: str, command: str
) -> None:
    path = tmp_path / "stripe-app.json"
    data, words = INVALID[kind]
    path.write_text(json.dumps(data, indent=2) + "\n")
    before = snapshot(tmp_path)
    result = run(*COMMANDS[command], "--manifest", str(path))
    assert_one_line_error(result, str(path), words)
    assert snapshot(tmp_path) == before
    assert run("validate", "--manifest", str(path)).exit_code == 1


@pytest.mark.parametrize("kind", ["no id", "numeric id", "bad id"])
def test_uninstall_needs_a_usable_id(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "stripe-app.json"
    data, words = INVALID[kind]
    path.write_text(json.dumps(data))
    assert_one_line_error(run(*COMMANDS["uninstall"], "--manifest", str(path)), words)


@pytest.mark.parametrize("command", ["grant", "revoke"])
@pytest.mark.parametrize("where", ["file", "folder", "filesystem"])
def test_edits_of_a_read_only_manifest_change_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, where: str
) -> None:
    folder = tmp_path / "app"
    folder.mkdir()
    path = folder / "stripe-app.json"
    path.write_text(json.dumps(VALID, indent=2) + "\n")
    before = snapshot(folder)
    if where == "file":
        path.chmod(0o444)
    elif where == "folder":
        folder.chmod(0o555)
    else:

        def read_only_filesystem(*args: Any, **kwargs: Any) -> Any:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(folder))

        monkeypatch.setattr(tempfile, "mkstemp", read_only_filesystem)
    try:
        result = run(*COMMANDS[command], "--manifest", str(path))
    finally:
        folder.chmod(0o755)
    words = "Read-only file system" if where == "filesystem" else "read-only"
    assert_one_line_error(result, str(path), words)
    assert snapshot(folder) == before


def test_init_in_a_read_only_folder_creates_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "app"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        result = run("init", "--id", "com.example.app", "--manifest", str(folder / "x.json"))
    finally:
        folder.chmod(0o755)
    assert_one_line_error(result, "read-only", "chmod u+w")
    assert list(folder.iterdir()) == []


@pytest.fixture
def broken_apps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Modules in the cwd whose import fails in the ways an app's can."""
    suffix = tmp_path.name.replace("-", "_")
    (tmp_path / f"syntax_{suffix}.py").write_text("from appevents import App\napp = App(\n")
    (tmp_path / f"raises_{suffix}.py").write_text(
        textwrap.dedent(
            """
            from appevents import App
            app = App()
            raise RuntimeError("the database URL is not set")
            """
        )
    )
    (tmp_path / "stripe-app.json").write_text(json.dumps(VALID))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    for name in (f"syntax_{suffix}", f"raises_{suffix}"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return tmp_path


@pytest.mark.parametrize(
    ("module", "words"),
    [("syntax", ["syntax error", "line 2"]), ("raises", ["RuntimeError", "database URL"])],
)
def test_check_app_with_a_module_that_fails_to_import(
    broken_apps: Path, module: str, words: list[str]
) -> None:
    before = snapshot(broken_apps)
    name = f"{module}_{broken_apps.name.replace('-', '_')}"
    result = run("check", "--app", f"{name}:app")
    assert_one_line_error(result, "--app", name, *words)
    assert snapshot(broken_apps) == before
