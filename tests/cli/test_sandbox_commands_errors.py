"""Every sandbox-side command, given what a new user or a hostile input hits first: no
sandbox, a damaged login file, ids that are paths, keys that cannot be headers. Each gets
exit 1 or 2 and one line `Error: …` naming the value and the fix, never a traceback."""

from __future__ import annotations

import json
import socket

import pytest
from click.testing import CliRunner, Result

from appevents.cli.main import cli
from cli_results import assert_one_error
from filesystem import read_only
from servers import asgi_server, free_port

# Every command that calls the sandbox with the saved login, with valid arguments.
LOGGED_IN_COMMANDS = [
    ["events", "list"],
    ["events", "retrieve", "evt_1"],
    ["events", "resend", "evt_1", "--webhook-endpoint", "we_1"],
    ["webhook-endpoints", "create", "--url", "http://127.0.0.1:9/hook"],
    ["webhook-endpoints", "list"],
    ["webhook-endpoints", "update", "we_1", "--disabled"],
    ["webhook-endpoints", "delete", "we_1"],
    ["accounts", "create"],
    ["accounts", "list"],
    ["trigger", "customer.created"],
]


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def save_config(directory, value) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.json").write_text(json.dumps(value))


def login_file(api_base: str, key: str = "sk_test_123") -> dict[str, object]:
    return {"api_base": api_base, "account": "acct_1", "test_key": key, "live_key": None,
            "device_name": "laptop"}  # fmt: skip


@pytest.fixture
def config(tmp_path, monkeypatch):
    directory = tmp_path / "config"
    monkeypatch.setenv("APPEVENTS_CONFIG_DIR", str(directory))
    return directory


@pytest.mark.parametrize("command", LOGGED_IN_COMMANDS, ids=" ".join)
def test_no_sandbox_running_is_one_line_naming_the_url_and_how_to_start_it(config, command):
    base = f"http://127.0.0.1:{free_port()}"
    save_config(config, login_file(base))
    assert_one_error(
        invoke(*command), f"cannot reach the sandbox at {base} (", "`appevents sandbox`"
    )


def test_login_with_no_sandbox_running(config):
    base = f"http://127.0.0.1:{free_port()}"
    for extra in ([], ["--api-key", "sk_test_1"]):
        result = invoke("login", "--api-base", base, *extra)
        assert_one_error(result, f"cannot reach the sandbox at {base} (", "`appevents sandbox`")
    assert not (config / "config.json").exists()


def json_server(status: int, body: bytes):
    """Some other server on the port: it answers every request ``status`` with JSON ``body``."""

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json")]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})

    return app


# JSON, but none of Stripe's shapes.
not_a_sandbox = json_server(404, b'{"detail": "Not Found"}')


def test_a_server_that_is_not_the_sandbox_is_named_as_such(config):
    with asgi_server(not_a_sandbox) as base:
        for extra in ([], ["--api-key", "sk_test_1"]):
            result = invoke("login", "--api-base", base, *extra)
            assert_one_error(result, base, "404", "is it `appevents sandbox`?")
        save_config(config, login_file(base))
        assert_one_error(invoke("events", "list"), base, "404", "is it `appevents sandbox`?")
    assert json.loads((config / "config.json").read_text()) == login_file(base)


# 200 with JSON, none of it what the sandbox answers.
some_json_api = json_server(200, b'{"ok": true}')


def test_an_answer_without_what_the_command_reads_is_not_a_traceback(config):
    with asgi_server(some_json_api) as base:
        save_config(config, login_file(base))
        for command in LOGGED_IN_COMMANDS:
            assert_one_error(invoke(*command), base, "is it `appevents sandbox`?")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ([1, 2], "holds a JSON list, expected an object"),
        ({**login_file("http://127.0.0.1:1"), "colour": "red"}, "unknown key(s) colour"),
        ({"api_base": "http://127.0.0.1:1"}, "missing key(s) account, device_name, test_key"),
        ({**login_file("http://127.0.0.1:1"), "test_key": 7}, "test_key is 7, expected a string"),
        (login_file("http://[::1"), "invalid api_base in"),
        (login_file("ftp://example.com"), "expected an http:// or https:// URL"),
    ],
)
def test_a_damaged_login_file_is_named_with_the_fix(config, content, expected):
    save_config(config, content)
    before = (config / "config.json").read_text()
    for command in LOGGED_IN_COMMANDS:
        assert_one_error(invoke(*command), expected, str(config / "config.json"))
    assert (config / "config.json").read_text() == before  # nothing rewritten


def test_login_refuses_an_unusable_api_base_or_key(config):
    assert_one_error(
        invoke("login", "--api-base", "http://[::1"), "invalid --api-base 'http://[::1'"
    )
    assert_one_error(invoke("login", "--api-base", "localhost:12111"), "http:// or https://")
    result = invoke("login", "--api-base", "http://127.0.0.1:1", "--api-key", "sk_test_1\nx")
    assert_one_error(result, "invalid --api-key", "line breaks")
    assert not config.exists()


def test_login_into_a_config_directory_that_is_a_file(sandbox, tmp_path, monkeypatch):
    occupied = tmp_path / "config"
    occupied.write_text("not a folder")
    monkeypatch.setenv("APPEVENTS_CONFIG_DIR", str(occupied))
    for extra in ([], ["--api-key", sandbox.key]):
        result = invoke("login", "--api-base", sandbox.base, *extra)
        assert_one_error(result, "cannot save the login in", "APPEVENTS_CONFIG_DIR")
    assert occupied.read_text() == "not a folder"
    assert_one_error(invoke("logout"), "cannot remove", str(occupied / "config.json"))


def test_login_into_a_read_only_config_directory(sandbox, tmp_path, monkeypatch):
    directory = tmp_path / "config"
    directory.mkdir()
    monkeypatch.setenv("APPEVENTS_CONFIG_DIR", str(directory))
    with read_only(directory):
        result = invoke("login", "--api-base", sandbox.base)
    assert_one_error(result, "cannot save the login in")
    assert list(directory.iterdir()) == []


def test_a_key_that_cannot_be_a_header_is_not_called_unreachable(sandbox, config):
    save_config(config, login_file(sandbox.base, key="sk_test_1\nInjected: yes"))
    for command in LOGGED_IN_COMMANDS:
        error = assert_one_error(invoke(*command), "invalid API key", "appevents login")
        assert "cannot reach" not in error


@pytest.fixture
def logged_in(sandbox, config):
    assert invoke("login", "--api-base", sandbox.base, "--api-key", sandbox.key).exit_code == 0
    return sandbox


@pytest.mark.parametrize("account", ["acct_é", "acct_1\r\nX-Other: 1", "../acct_1"])
def test_stripe_account_must_be_an_account_id(logged_in, account):
    for command in (["trigger", "customer.created"], ["events", "list"]):
        result = invoke(*command, "--stripe-account", account)
        assert_one_error(result, f"invalid --stripe-account {account!r}")


@pytest.mark.parametrize("bad", ["../account", "..", "evt_1/../../account", "a b", "evt_1?x=1"])
def test_ids_cannot_reach_other_urls(logged_in, bad):
    for command in (
        ["events", "retrieve", bad],
        ["events", "resend", bad, "--webhook-endpoint", "we_1"],
        ["events", "resend", "evt_1", "--webhook-endpoint", bad],
        ["webhook-endpoints", "update", bad, "--disabled"],
        ["webhook-endpoints", "delete", bad],
    ):
        result = invoke(*command)
        assert logged_in.platform not in result.output  # never the account the path led to
        if bad in command[2:3] or command[0] == "webhook-endpoints":
            assert_one_error(result, f"invalid id {bad!r}")
        else:
            assert_one_error(result)


# -- appevents sandbox ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--log-level", "loud", "'loud' is not one of"),
        ("--timeout", "-1", "-1.0 is not a positive finite number"),
        ("--timeout", "0", "0.0 is not a positive finite number"),
        ("--timeout", "nan", "nan is not a positive finite number"),
        ("--timeout", "inf", "inf is not a positive finite number"),
        ("--time-scale", "nan", "nan is not a positive finite number"),
        ("--time-scale", "inf", "inf is not a positive finite number"),
    ],
)
def test_sandbox_refuses_unusable_options(tmp_path, option, value, expected):
    data = tmp_path / "state.db"
    result = invoke("sandbox", "--port", "0", "--data", str(data), option, value)
    assert_one_error(result, option, expected)
    assert not data.exists()


def test_sandbox_on_a_state_file_that_is_not_one(tmp_path):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not SQLite at all, not even close" * 100)
    result = invoke("sandbox", "--port", "0", "--data", str(garbage))
    assert_one_error(result, str(garbage), "file is not a database", "--reset")
    assert garbage.read_bytes() == b"this is not SQLite at all, not even close" * 100


def test_sandbox_on_a_truncated_state_file(tmp_path, sandbox):
    sandbox.post("/v1/customers", {"email": "a@example.com"})
    sandbox.server.lane.submit(sandbox.server.db.execute, "PRAGMA wal_checkpoint(TRUNCATE)")
    whole = (tmp_path / "sandbox.db").read_bytes()
    truncated = tmp_path / "truncated.db"
    truncated.write_bytes(whole[: len(whole) // 2])
    result = invoke("sandbox", "--port", "0", "--data", str(truncated))
    assert_one_error(result, str(truncated), "malformed", "--reset")


def test_sandbox_data_under_a_file_or_at_a_folder(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file")
    for extra in ([], ["--reset"]):
        result = invoke("sandbox", "--port", "0", "--data", str(blocker / "state.db"), *extra)
        assert_one_error(result, f"{blocker} is a file, not a folder", "--data")
    assert_one_error(invoke("sandbox", "--port", "0", "--data", str(tmp_path)), "is a directory")
    assert blocker.read_text() == "a file"


def test_sandbox_data_or_reset_in_a_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "state.db").write_bytes(b"")
    with read_only(folder):
        for extra in ([], ["--reset"]):
            result = invoke("sandbox", "--port", "0", "--data", str(folder / "state.db"), *extra)
            assert_one_error(result, str(folder / "state.db"))
    assert sorted(p.name for p in folder.iterdir()) == ["state.db"]


def test_sandbox_on_a_port_in_use_says_so_before_printing_keys(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        data = tmp_path / "state.db"
        result = invoke("sandbox", "--port", str(port), "--data", str(data))
    assert_one_error(result, f"cannot listen on 127.0.0.1:{port}", "--port")
    assert "secret key" not in result.output and "platform account" not in result.output
    assert not data.exists()
