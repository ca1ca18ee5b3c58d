"""Regenerate the README's screenshots of the receiver dashboard (docs/screenshots/receiver-*.png).

Runs a receiver with its dashboard on loopback ports, as `appevents serve --dashboard`
does, on a store in a temporary folder; delivers signed events of three merchants over
the last hour (its clock moved along), a handler that fails for refunds, and an uninstall;
then photographs the inbox, a failed event and the activity page at 1280x800 in Debian's
Chromium (APPEVENTS_CHROMIUM to use another).

    .venv/bin/python scripts/receiver_dashboard_screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import sync_playwright

from appevents import App
from appevents.receiver.dashboard import DashboardServer, TokenAuth
from appevents.receiver.retry import RetryPolicy
from appevents.receiver.runtime import Runtime
from appevents.receiver.server import WebhookServer
from appevents.testing import make_event, signed_headers

ROOT = Path(__file__).resolve().parents[1]
SECRET = "whsec_" + os.urandom(16).hex()
MERCHANTS = ["acct_1QhX2mLkT9aZ4bR7", "acct_1PzW8nVcS3eY6dK2", "acct_1NtR5jHgF7uB1xM9"]


class Clock:
    def __init__(self) -> None:
        self.now = time.time() - 55 * 60

    def __call__(self) -> float:
        return self.now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    clock = Clock()
    with tempfile.TemporaryDirectory() as folder:
        app = App(SECRET, store=f"sqlite:///{folder}/inbox.db", clock=clock,
                  retry=RetryPolicy(max_attempts=3, base_delay=900, jitter=0))  # fmt: skip

        @app.on("charge.refunded")
        def book_refund(event: Any) -> None:
            raise RuntimeError(f"ledger API answered 503 for refund {event.object['id']}")

        @app.on("payment_intent.succeeded", "invoice.paid", "customer.created")
        def book(event: Any) -> None:
            pass

        runtime = Runtime(app, app.open_store(), run_worker=True)
        dashboard = DashboardServer(runtime.store, TokenAuth(), clock=clock,
                                    wake=runtime.worker.notify)  # fmt: skip
        server = WebhookServer(runtime, port=0, companions=[dashboard])
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        thread = threading.Thread(target=lambda: loop.run_until_complete(
            server.serve(on_ready=lambda _: ready.set())), daemon=True)  # fmt: skip
        thread.start()
        ready.wait(15)
        webhook = f"http://127.0.0.1:{server.bound_port}/webhook"
        try:
            refund = play(webhook, clock)
            shoot(
                args.out, f"http://127.0.0.1:{dashboard.bound_port}", dashboard.auth.token, refund
            )
        finally:
            loop.call_soon_threadsafe(server.stop)
            thread.join(15)


def play(webhook: str, clock: Clock) -> str:
    """Deliver the hour's events; returns the id of the first refund, whose handler failed
    every attempt (the account's later events wait behind it: the backlog grows)."""

    def deliver(event_type: str, account: str, **fields: Any) -> str:
        body = make_event(event_type, account=account, created=int(clock.now), object=fields)
        answer = httpx.post(
            webhook, content=body, headers=signed_headers(body, SECRET, int(clock.now))
        )
        answer.raise_for_status()
        return str(json.loads(body)["id"])

    for account in MERCHANTS:
        deliver("account.application.authorized", account)
    refund = ""
    for minute in range(54):
        for n in range(1 + (minute * 7) % 5):
            deliver("payment_intent.succeeded", MERCHANTS[(minute + n) % 3], amount=1200 + 100 * n)
        if minute % 9 == 4:
            failed = deliver("charge.refunded", MERCHANTS[minute % 3], amount_refunded=1500)
            refund = refund or failed
        time.sleep(0.05)  # let the worker process them at this minute of the clock
        clock.now += 60
    deliver("account.application.deauthorized", MERCHANTS[2])
    time.sleep(0.5)
    return refund


def shoot(out: Path, base: str, token: str, refund: str) -> None:
    chromium = os.environ.get("APPEVENTS_CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 800}, base_url=base)
        page.goto(f"/login?token={token}&next=/%3Ftype%3Dcharge.%2A")
        page.screenshot(path=str(out / "receiver-inbox.png"))
        # Tracebacks stay folded: unfolded, they would show this machine's file paths.
        page.goto(f"/events/{refund}")
        page.screenshot(path=str(out / "receiver-event.png"))
        page.goto("/activity")
        # The charts only: the workers below are named after this host.
        bottom = page.locator("figure.chart-card").last.bounding_box()
        height = int(bottom["y"] + bottom["height"] + 16) if bottom else 1300
        page.screenshot(path=str(out / "receiver-activity.png"), full_page=True,
                        clip={"x": 0, "y": 0, "width": 1280, "height": height})  # fmt: skip
        browser.close()
    for name in ("receiver-inbox", "receiver-event", "receiver-activity"):
        print(out / f"{name}.png")


if __name__ == "__main__":
    main()
