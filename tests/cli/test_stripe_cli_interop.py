"""The official Stripe CLI (npm's @stripe/cli) as a client of the sandbox: `stripe login`
paired through the sandbox's page, then used without --api-key; `stripe listen` with
--print-secret, --format JSON, --events, --latest and --use-configured-webhooks; `stripe
events resend` with and without --webhook-endpoint; `stripe logs tail` with a filter.

Each CLI process is killed in a finally; every wait is seconds long."""

from __future__ import annotations

import asyncio
import json
import os
import pty
import re
import select
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

import stripe_cli
from appevents.sandbox.service import API_VERSION
from appevents.signature import verify
from sandbox_fixtures import RunningSandbox, wait_for
from servers import asgi_server, read_request, respond

pytestmark = pytest.mark.slow

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# Set, they make the CLI believe an agent runs it: `login` then prints links and exits.
AGENT_VARIABLES = ("ANTIGRAVITY_CLI_ALIAS", "CLAUDECODE", "CLINE_ACTIVE", "CODEX_SANDBOX",
                   "CODEX_THREAD_ID", "CODEX_CI", "CURSOR_AGENT", "GEMINI_CLI", "OPENCODE",
                   "OPENCLAW_SHELL")  # fmt: skip


@dataclass
class Hooks:
    """A local endpoint: answers 200 and records each POST's path and body."""

    received: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        headers, body = await read_request(scope, receive)
        self.received.append((scope["path"], headers, body))
        await asyncio.sleep(0)
        await respond(send, 200, b"handled")

    def event_ids(self) -> list[str]:
        return [json.loads(body)["id"] for _, _, body in self.received]


@dataclass
class Run:
    process: subprocess.Popen[bytes]
    out: Path
    err: Path

    def stdout(self) -> str:
        return ANSI.sub("", self.out.read_text())

    def stderr(self) -> str:
        return ANSI.sub("", self.err.read_text())

    def wait_ready(self) -> str:
        wait_for(lambda: "Ready!" in self.stderr() or self.process.poll() is not None, 30)
        assert self.process.poll() is None, self.stderr()
        return self.stderr()


def cli_env(home: Path) -> dict[str, str]:
    env = {**stripe_cli.environment(home), "TZ": "UTC"}
    for name in AGENT_VARIABLES:
        env.pop(name, None)
    return env


@contextmanager
def running(argv: list[str], home: Path, name: str) -> Iterator[Run]:
    out, err = home / f"{name}.out", home / f"{name}.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(argv, stdout=stdout, stderr=stderr, env=cli_env(home),
                                   start_new_session=True)  # fmt: skip
    try:
        yield Run(process, out, err)
    finally:
        kill(process)


def kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def run(sandbox: RunningSandbox, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(stripe_cli.command(sandbox.base, sandbox.key, *args),
                          capture_output=True, text=True, env=cli_env(home), timeout=30)  # fmt: skip


def listen(sandbox: RunningSandbox, *args: str) -> list[str]:
    return stripe_cli.command(sandbox.base, sandbox.key, "listen", "--skip-update", *args)


def emit(sandbox: RunningSandbox, event_type: str, n: int = 1) -> str:
    event = sandbox.post("/_sandbox/events", {"type": event_type,
                                              "object": {"id": f"cus_{n}", "object": "customer"}})  # fmt: skip
    return str(event["id"])


@pytest.fixture
def hooks() -> Iterator[tuple[Hooks, str]]:
    stripe_cli.binary()  # skips (fails in CI) before anything starts
    handler = Hooks()
    with asgi_server(handler) as base:
        yield handler, base


def read_terminal(fd: int, process: subprocess.Popen[bytes], until: re.Pattern[str],
                  seen: list[str], timeout: float = 20) -> re.Match[str]:  # fmt: skip
    """Read the CLI's terminal into ``seen`` until ``until`` matches what it printed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = until.search(ANSI.sub("", "".join(seen)))
        if found:
            return found
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                seen.append(os.read(fd, 4096).decode(errors="replace"))
            except OSError:  # the CLI exited and closed the terminal
                if process.poll() is not None:
                    break
    raise AssertionError(f"not printed within {timeout} s: {until.pattern!r} in {''.join(seen)!r}")


def test_stripe_login_pairs_through_the_sandbox_page_and_later_commands_need_no_key(
    sandbox: RunningSandbox, tmp_path: Path
):
    binary = stripe_cli.binary()
    terminal, child = pty.openpty()  # the CLI pairs through a browser only at a terminal
    process = subprocess.Popen(
        [str(binary), "login", "--dashboard-base", sandbox.base], stdin=child, stdout=child,
        stderr=child, env=cli_env(tmp_path), start_new_session=True,
    )  # fmt: skip
    os.close(child)
    seen: list[str] = []
    try:
        code = read_terminal(terminal, process, re.compile(r"pairing code is: ([a-z-]+)"), seen)
        link = read_terminal(terminal, process, re.compile(r"(http://\S+/stripecli/confirm_auth\?t=\w+)"), seen)  # fmt: skip
        page = httpx.get(link.group(1))
        assert code.group(1) in page.text and sandbox.platform in page.text
        token = link.group(1).partition("?t=")[2]
        confirmed = httpx.post(sandbox.base + "/stripecli/confirm_auth", data={"t": token})
        assert confirmed.status_code == 200
        done = read_terminal(terminal, process, re.compile(r"Done! The Stripe CLI is configured for (\w+) with account id (acct_\w+)"), seen)  # fmt: skip
        assert done.groups() == ("Platform", sandbox.platform)
        assert process.wait(10) == 0
    finally:
        kill(process)
        os.close(terminal)
    # No --api-key from here on: the CLI uses the key it saved.
    api_base = ["--api-base", sandbox.base]
    created = subprocess.run([str(binary), "customers", "create", "-d", "email=paired@example.com",
                              *api_base], capture_output=True, text=True, env=cli_env(tmp_path),
                             timeout=30)  # fmt: skip
    customer = json.loads(created.stdout)
    assert created.returncode == 0 and customer["email"] == "paired@example.com", created.stderr
    assert sandbox.client().v1.customers.retrieve(customer["id"]).email == "paired@example.com"
    secret = subprocess.run([str(binary), "listen", "--print-secret", "--skip-update", *api_base],
                            capture_output=True, text=True, env=cli_env(tmp_path), timeout=30)  # fmt: skip
    assert secret.returncode == 0 and secret.stdout.strip().startswith("whsec_"), secret.stderr


def test_listen_prints_json_of_the_events_it_was_asked_for_and_forwards_only_those(
    sandbox: RunningSandbox, tmp_path: Path, hooks: tuple[Hooks, str]
):
    handler, base = hooks
    printed = run(sandbox, tmp_path, "listen", "--print-secret", "--skip-update")
    secret = printed.stdout.strip()
    assert printed.returncode == 0 and secret.startswith("whsec_"), printed.stderr
    argv = listen(sandbox, "--forward-to", base + "/hook", "--format", "JSON",
                  "--events", "customer.created,customer.updated")  # fmt: skip
    with running(argv, tmp_path, "json") as cli:
        ready = cli.wait_ready()
        assert f"You are using Stripe API Version [{API_VERSION}]" in ready
        assert f"Your webhook signing secret is {secret}" in ready
        wanted = [emit(sandbox, "customer.created"), emit(sandbox, "customer.updated")]
        skipped = emit(sandbox, "customer.deleted")
        wait_for(lambda: len(handler.received) >= 2, 15)
        wait_for(lambda: len(cli.stdout().splitlines()) >= 2, 10)
        marker = emit(sandbox, "customer.created", 2)  # after the skipped one, in order
        wait_for(lambda: marker in handler.event_ids(), 15)
    assert sorted(handler.event_ids()) == sorted([*wanted, marker])
    for _, headers, body in handler.received:
        assert verify(body, headers["stripe-signature"], secret)
    lines = [json.loads(line) for line in cli.stdout().splitlines() if line.startswith("{")]
    assert sorted(e["id"] for e in lines) == sorted([*wanted, marker])
    assert skipped not in cli.stdout()
    assert {e["type"] for e in lines} == {"customer.created", "customer.updated"}


def test_listen_latest_forwards_each_event_once_and_its_answer_shows_in_the_deliveries(
    sandbox: RunningSandbox, tmp_path: Path, hooks: tuple[Hooks, str]
):
    handler, base = hooks
    endpoint_hooks = Hooks()
    with asgi_server(endpoint_hooks) as endpoint_base:
        endpoint = sandbox.client().v1.webhook_endpoints.create(
            params={"url": endpoint_base + "/endpoint", "enabled_events": ["customer.created"]}
        )
        argv = listen(sandbox, "--forward-to", base + "/hook", "--latest", "--all-snapshot")
        with running(argv, tmp_path, "latest") as cli:
            assert f"You are using Stripe API Version [{API_VERSION}]" in cli.wait_ready()
            event = emit(sandbox, "customer.created")
            wait_for(lambda: handler.event_ids() == [event], 15)
            wait_for(lambda: f"<--  [200] POST {base}/hook [{event}]" in cli.stdout(), 10)

            def listened() -> list[dict[str, Any]]:
                shown: list[dict[str, Any]] = sandbox.get(
                    f"/_sandbox/events/{event}/deliveries")["listen"]  # fmt: skip
                return shown

            wait_for(lambda: len(listened()) == 1, 10)
            assert listened()[0]["status_code"] == 200
            assert listened()[0]["response"] == "handled"
            assert listened()[0]["forward_url"] == base + "/hook"

            # Without --webhook-endpoint: to this listening CLI (for_stripecli=true).
            resent = run(sandbox, tmp_path, "events", "resend", event)
            assert resent.returncode == 0, resent.stderr
            assert json.loads(resent.stdout)["id"] == event
            wait_for(lambda: handler.event_ids() == [event, event], 15)

            # With it: to that endpoint, and not to the CLI.
            wait_for(lambda: len(endpoint_hooks.received) == 1, 15)
            again = run(sandbox, tmp_path, "events", "resend", event, "--webhook-endpoint",
                        endpoint.id)  # fmt: skip
            assert again.returncode == 0, again.stderr
            wait_for(lambda: endpoint_hooks.event_ids() == [event, event], 15)
            time.sleep(0.5)  # long enough for a wrong forward to the CLI to show
            assert handler.event_ids() == [event, event]
    # The default rendering was sent too, and ignored: one forward per send.
    assert cli.stdout().count(f"--> customer.created [{event}]") == 2


def test_listen_with_the_configured_webhooks_forwards_to_their_paths(
    sandbox: RunningSandbox, tmp_path: Path, hooks: tuple[Hooks, str]
):
    handler, base = hooks
    client = sandbox.client()
    # Connection refused at once: the sandbox's own deliveries fail fast and stay out of it.
    client.v1.webhook_endpoints.create(params={"url": "http://127.0.0.1:9/hooks/created",
                                               "enabled_events": ["customer.created"]})  # fmt: skip
    client.v1.webhook_endpoints.create(params={"url": "http://127.0.0.1:9/hooks/updated?v=1",
                                               "enabled_events": ["customer.updated"]})  # fmt: skip
    argv = listen(sandbox, "--forward-to", base, "--use-configured-webhooks", "--all-snapshot")
    with running(argv, tmp_path, "configured") as cli:
        cli.wait_ready()
        created, updated = emit(sandbox, "customer.created"), emit(sandbox, "customer.updated")
        emit(sandbox, "customer.deleted")
        wait_for(lambda: len(handler.received) >= 2, 15)
        marker = emit(sandbox, "customer.created", 2)
        wait_for(lambda: marker in handler.event_ids(), 15)
    paths = sorted((path, json.loads(body)["id"]) for path, _, body in handler.received)
    assert paths == sorted([("/hooks/created", created), ("/hooks/updated", updated),
                            ("/hooks/created", marker)])  # fmt: skip


def test_logs_tail_shows_the_requests_made_meanwhile_that_pass_its_filter(
    sandbox: RunningSandbox, tmp_path: Path
):
    stripe_cli.binary()
    argv = stripe_cli.command(sandbox.base, sandbox.key, "logs", "tail",
                              "--filter-http-method", "POST")  # fmt: skip
    with running(argv, tmp_path, "tail") as cli:
        wait_for(lambda: "Ready! You're now waiting to receive API request logs" in cli.stderr()
                 or cli.process.poll() is not None, 30)  # fmt: skip
        assert cli.process.poll() is None, cli.stderr()
        client = sandbox.client()
        customer = client.v1.customers.create(params={"email": "tail@example.com"})
        client.v1.customers.list()  # a GET: filtered out
        missing = httpx.post(sandbox.base + "/v1/customers/cus_missing", data={"name": "x"},
                             headers={"Authorization": f"Bearer {sandbox.key}"})  # fmt: skip
        assert missing.status_code == 404
        wait_for(lambda: "Message:" in cli.stdout(), 15)
    lines = cli.stdout().splitlines()
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"
    created = [line for line in lines if re.fullmatch(
        rf"{stamp} \[200\] POST /v1/customers \[req_\w+\]", line)]  # fmt: skip
    assert len(created) == 1, lines
    failed = next(
        i for i, line in enumerate(lines) if "[404] POST /v1/customers/cus_missing" in line
    )
    assert re.fullmatch(
        rf"{stamp} \[404\] POST /v1/customers/cus_missing \[req_\w+\]", lines[failed]
    )
    assert "Type: invalid_request_error" in lines[failed + 1 :]
    assert "Code: resource_missing" in lines[failed + 1 :]
    assert not any("GET" in line for line in lines), lines
    assert customer.id not in cli.stdout()  # requests, not objects
    # The time shown is the request's (UTC here), to the second.
    shown = time.strptime(created[0][:19], "%Y-%m-%d %H:%M:%S")
    assert abs(time.mktime(shown) - time.mktime(time.gmtime())) < 60


def test_listen_all_thin_forwards_thin_events_stripe_python_verifies_and_both_kinds_together(
    sandbox: RunningSandbox, tmp_path: Path, hooks: tuple[Hooks, str]
):
    import stripe

    handler, base = hooks
    secret = run(sandbox, tmp_path, "listen", "--print-secret").stdout.strip()
    client = stripe.StripeClient(sandbox.key, base_addresses={"api": sandbox.base})
    argv = listen(sandbox, "--forward-to", base + "/thin", "--all-thin")
    with running(argv, tmp_path, "thin") as cli:
        cli.wait_ready()
        client.v1.billing.meter_events.create(
            params={"event_name": "no_such_meter", "payload": {"value": "1"}}
        )
        wait_for(lambda: len(handler.received) == 1, 15)
        snapshot = emit(sandbox, "customer.created")  # --all-thin: not forwarded
        time.sleep(0.5)
        assert len(handler.received) == 1
    path, headers, body = handler.received[0]
    assert path == "/thin"
    notification = client.parse_event_notification(body, headers["stripe-signature"], secret)
    assert notification.type == "v1.billing.meter.no_meter_found"
    assert notification.id in cli.stdout()
    assert snapshot not in cli.stdout()

    # Asked for both kinds (shown, since the CLI forwards them to different URLs only).
    argv = listen(sandbox, "--all-snapshot", "--all-thin")
    with running(argv, tmp_path, "both") as both:
        both.wait_ready()
        event = emit(sandbox, "customer.created", 2)
        client.v1.billing.meter_events.create(
            params={"event_name": "no_such_meter_either", "payload": {"value": "1"}}
        )
        thin = client.v2.core.events.list(params={"limit": 1}).data[0].id
        wait_for(lambda: event in both.stdout() and thin in both.stdout(), 15)
