"""The browser suite: the dashboards in a real Chromium (Debian's ``chromium``, driven by
Playwright through ``executable_path``), against a real sandbox on a loopback port.

Without Chromium the suite is skipped, loudly, with the command that installs it; in CI
(``CI=true``) it fails instead. One browser per test module; one sandbox, one receiver
and one fresh browser context per test. Screenshots go to ``APPEVENTS_SCREENSHOTS`` when
set (kept), else to the test's tmp folder."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from appevents.loopback import serve_asgi
from appevents.sandbox.delivery import DeliverySettings
from appevents.sandbox.schedule import DisablePolicy, RetrySchedule
from appevents.sandbox.server import SandboxServer
from servers import read_request, respond

CHROMIUM_ENV = "APPEVENTS_CHROMIUM"
SCREENSHOTS_ENV = "APPEVENTS_SCREENSHOTS"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
INSTALL = "sudo apt-get install -y chromium   (or set APPEVENTS_CHROMIUM to a Chromium binary)"
VIEWPORT = {"width": 1280, "height": 800}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def chromium_path() -> str:
    """The Chromium to drive; skips (or fails in CI) when there is none."""
    wanted = os.environ.get(CHROMIUM_ENV) or DEFAULT_CHROMIUM
    found = shutil.which(wanted) or (wanted if os.access(wanted, os.X_OK) else None)
    if found is None:
        message = f"NO CHROMIUM at {wanted}: the browser suite did not run. Install it: {INSTALL}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    path = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - dev extra installs it
        message = "playwright is not installed: pip install -e '.[dev]'"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=path, headless=True, args=["--no-sandbox"]
        )
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Receiver:
    """A loopback webhook endpoint that records every request and answers 200."""

    url: str
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.received]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(
                    f"the receiver got {len(self.received)} deliveries in {timeout} s, "
                    f"expected {count}: {[e['type'] for e in self.events()]}"
                )
        return self.events()


def receiver_app(receiver: Receiver) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        headers, body = await read_request(scope, receive)
        with receiver.arrived:
            receiver.received.append((headers, body))
            receiver.arrived.notify_all()
        await respond(send, 200, b'{"received": true}', [(b"content-type", b"application/json")])

    return app


@dataclass
class World:
    """A running sandbox and what the tests do through its API, as a developer would."""

    url: str
    platform: str
    key: str

    def call(
        self,
        method: str,
        path: str,
        key: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        sent = {"Authorization": f"Bearer {key or self.key}", **(headers or {})}
        answer = httpx.request(method, self.url + path, headers=sent, timeout=30, **kwargs)
        assert answer.status_code < 400, answer.text
        return answer.json()

    def merchant(self, name: str) -> dict[str, Any]:
        return self.call("POST", "/_sandbox/accounts", json={"business_profile": {"name": name}})

    def register_app(self, permissions: list[str]) -> dict[str, Any]:
        manifest = {
            "id": "com.example.dashboard-test", "version": "1.0.0", "name": "Dashboard Test",
            "icon": "", "permissions": [{"permission": p, "purpose": p} for p in permissions],
        }  # fmt: skip
        return self.call("POST", "/_sandbox/apps", json={"manifest": manifest})

    def install(self, app: str, merchant: dict[str, Any]) -> None:
        self.call("POST", f"/_sandbox/apps/{app}/installs", key=merchant["keys"]["test"],
                  json={"account": merchant["id"], "mode": "test"})  # fmt: skip

    def endpoint(self, url: str, *, connect: bool = False) -> dict[str, Any]:
        return self.call("POST", "/v1/webhook_endpoints",
                         data={"url": url, "enabled_events[]": "*", "connect": str(connect).lower()})  # fmt: skip

    def customer(self, description: str, key: str | None = None) -> dict[str, Any]:
        return self.call("POST", "/v1/customers", key=key, data={"description": description})

    def events(self, key: str | None = None) -> list[dict[str, Any]]:
        return self.call("GET", "/v1/events", key=key)["data"]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    settings = DeliverySettings(
        timeout=5, schedule=RetrySchedule(time_scale=1 / 3600),
        disable=DisablePolicy(time_scale=1 / 3600),
    )  # fmt: skip
    server = SandboxServer(tmp_path / "sandbox.db", settings=settings)
    try:
        platform = server.platform()
        keys: dict[str, str] = platform["keys"]  # type: ignore[assignment]
        with serve_asgi(server.asgi()) as url:
            yield World(url, str(platform["id"]), keys["test"])
    finally:
        server.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver("")
    with serve_asgi(receiver_app(found)) as url:
        found.url = f"{url}/webhook"
        yield found


@pytest.fixture
def page(browser: Any, world: World) -> Iterator[Any]:
    """A fresh context (cookies, storage) at laptop size; closed before the sandbox stops,
    so that no live stream holds the server."""
    with browser_page(browser, world.url) as opened:
        yield opened


@pytest.fixture
def open_page(browser: Any) -> Callable[[str], contextlib.AbstractContextManager[Any]]:
    """``with open_page(base_url) as page``: :func:`browser_page` for another server."""
    return lambda base_url: browser_page(browser, base_url)


@contextlib.contextmanager
def browser_page(browser: Any, base_url: str) -> Iterator[Any]:
    """A page in a fresh browser context on ``base_url``, closed on exit; no JavaScript
    error may have happened on it."""
    context = browser.new_context(viewport=VIEWPORT, base_url=base_url)
    context.set_default_timeout(10_000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield opened
    finally:
        context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.fixture
def screenshot(tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    """Take a full-page screenshot and check it is a non-empty PNG; returns its path."""
    folder = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> Path:
        path = folder / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        data = path.read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 2000, f"{path}: not a real PNG"
        return path

    return take
