"""`appevents apps sign-ui-request`: call a backend as the Dashboard would, from the shell."""

from __future__ import annotations

import json
import shlex
import subprocess
from typing import Any

import pytest
from click.testing import CliRunner

from appevents import SignatureError, verify_ui_request
from appevents.cli.main import cli
from cli_results import assert_one_error, run
from servers import asgi_server, read_request, respond

MANIFEST = {
    "id": "com.example.uicli",
    "version": "1.0.0",
    "name": "UI CLI",
    "icon": "",
    "permissions": [{"permission": "customer_read", "purpose": "show customers"}],
}


class Backend:
    """An app backend that verifies UI-extension calls and answers who called."""

    def __init__(self) -> None:
        self.secret = ""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        headers, body = await read_request(scope, receive)
        try:
            caller = verify_ui_request(body, headers, self.secret)
            status, answer = 200, {"user_id": caller.user_id, "payload": caller.payload}
        except SignatureError as exc:
            status, answer = 401, {"error": exc.reason}
        content = [(b"content-type", b"application/json")]
        await respond(send, status, json.dumps(answer).encode(), content)


@pytest.fixture
def merchant(sandbox, tmp_path, monkeypatch):
    monkeypatch.setenv("APPEVENTS_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "stripe-app.json").write_text(json.dumps(MANIFEST))
    run("login", "--api-base", sandbox.base, "--api-key", sandbox.key)
    return run("accounts", "create", "--email", "shop@example.com").split()[2]


def test_the_printed_curl_line_is_accepted_by_the_backend(merchant):
    registered = run("apps", "register")
    secret = registered.split("App signing secret (UI-extension calls): ")[1].strip()
    assert secret.startswith("absec_")
    refused = CliRunner().invoke(cli, ["apps", "sign-ui-request", "--account", merchant])
    assert_one_error(refused, f"not installed on {merchant}")
    run("apps", "install", "--account", merchant)
    backend = Backend()
    backend.secret = secret
    with asgi_server(backend) as base:
        printed = run(
            "apps", "sign-ui-request", "--account", merchant, "--user", "usr_Qw8Er7",
            "--payload", '{"invoice": "in_1Qz"}', "--url", base + "/ui/orders",
        )  # fmt: skip
        assert f"App signing secret: {secret}" in printed
        assert "Stripe-Signature: t=" in printed
        curl = next(line for line in printed.splitlines() if line.startswith("curl "))
        done = subprocess.run(
            [*shlex.split(curl), "-s", "-w", "\n%{http_code}"],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        answer, status = done.stdout.rsplit("\n", 1)
        assert status == "200", done.stdout
        assert json.loads(answer) == {
            "user_id": "usr_Qw8Er7",
            "payload": {"user_id": "usr_Qw8Er7", "account_id": merchant, "invoice": "in_1Qz"},
        }
        # the same call signed with another app's secret is refused
        backend.secret = "absec_" + "x" * 32
        done = subprocess.run([*shlex.split(curl), "-s"], capture_output=True, text=True)
        assert json.loads(done.stdout) == {"error": "no_matching_signature"}


def test_json_output_and_bad_payload(merchant):
    run("apps", "install", "--account", merchant)
    issued = json.loads(run("apps", "sign-ui-request", "--account", merchant, "--json"))
    assert issued["account_id"] == merchant and issued["user_id"].startswith("usr_")
    bad = CliRunner().invoke(
        cli, ["apps", "sign-ui-request", "--account", merchant, "--payload", "[1]"]
    )
    assert_one_error(bad, "payload")
    by_id = json.loads(
        run("apps", "sign-ui-request", "--account", merchant, "--app", issued["app"], "--json")
    )
    assert by_id["user_id"] == issued["user_id"]
