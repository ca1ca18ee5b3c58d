"""What the trigger interop tests share: a sandbox with a platform and a merchant that
installed the platform's app with every permission, the events a trigger emitted, and the
table of the event types each fixture must emit.

``EXPECTED`` (expected_events.json) is written from Stripe's documentation of what each
call emits; ``KNOWN_GAPS`` (known_gaps/*.json, one file per family of behaviours) names the
fixtures the sandbox does not yet run as Stripe does, with why: their tests are strict
xfails, so one that starts passing must leave the table.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from appevents import catalog
from appevents.sandbox import fixtures
from sandbox_fixtures import start

EXPECTED: dict[str, list[str]] = json.loads(
    (Path(__file__).parent / "sandbox" / "fixtures" / "expected_events.json").read_text()
)
OWN_FIXTURES = {
    "account.application.authorized",
    *(name for name in fixtures.names() if name.startswith("v2.core.account")),
}
"""Fixtures of this project only: the Stripe CLI has no such trigger (it has none for the
v2 Accounts API's events)."""
PINNED = {"v1.billing.meter.error_report_triggered", "v1.billing.meter.no_meter_found"}
"""Fixtures whose steps the Stripe CLI sends to a host of its own (the meter event
stream), never to ``--api-base``: offline they run through ``appevents trigger`` only."""
CLI_NAMES = sorted(set(fixtures.names()) - OWN_FIXTURES)

KNOWN_GAPS: dict[str, str] = {
    name: why
    for part in sorted(
        (Path(__file__).parent / "sandbox" / "fixtures" / "known_gaps").glob("*.json")
    )
    for name, why in json.loads(part.read_text()).items()
}
"""Fixture name -> why the sandbox does not yet emit what Stripe does for it."""


STRIPE_CLI_GAPS: dict[str, str] = json.loads(
    (Path(__file__).parent / "sandbox" / "fixtures" / "stripe_cli_gaps.json").read_text()
)
"""Fixtures the Stripe CLI's own copy of which the sandbox cannot run as written (the
sandbox's fixture of the same name makes the calls Stripe's description allows)."""


def gap(name: str, *, stripe_cli: bool = False) -> Any:
    """``name`` as a test parameter, a strict xfail while it is a known gap (of the Stripe
    CLI's fixtures too, for ``stripe_cli``)."""
    why = KNOWN_GAPS.get(name) or (STRIPE_CLI_GAPS.get(name) if stripe_cli else None)
    if why is not None:
        return pytest.param(name, marks=pytest.mark.xfail(reason=why, strict=True))
    return name


@dataclass
class World:
    base: str
    key: str
    platform: str
    merchant: str
    """An account that installed the platform's app, granted every permission."""
    merchant_key: str
    app: str

    def get(self, path: str, params: dict[str, Any] | None = None, account: str | None = None,
            key: str | None = None) -> Any:  # fmt: skip
        headers = {"Authorization": f"Bearer {key or self.key}"}
        if account is not None:
            headers["Stripe-Account"] = account
        answer = httpx.get(self.base + path, params=params, headers=headers, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def mark(self, account: str | None) -> tuple[str | None, set[str]]:
        """Where a trigger on ``account`` (None: the platform) starts: its newest event,
        and the accounts connected to it."""
        page = self.get("/v1/events", {"limit": 1}, account)["data"]
        return (page[0]["id"] if page else None), self._connected(account)

    def events_since(
        self, mark: tuple[str | None, set[str]], account: str | None
    ) -> list[dict[str, Any]]:
        """The events since ``mark`` on ``account`` and on the accounts the trigger
        connected to it (a transfer's destination): what its webhook endpoints get."""
        newest, connected = mark
        found = self._events_after(newest, account)
        owner_key = self.merchant_key if account == self.merchant else self.key
        for each in sorted(self._connected(account) - connected):
            found += self._events_after(None, each, owner_key)
        return found

    def _connected(self, account: str | None) -> set[str]:
        owner_key = self.merchant_key if account == self.merchant else self.key
        listed = self.get("/v1/accounts", {"limit": 100}, key=owner_key)["data"]
        return {each["id"] for each in listed}

    def _events_after(
        self, newest: str | None, account: str | None, key: str | None = None
    ) -> list[dict[str, Any]]:
        """The events after ``newest``, oldest first."""
        found: list[dict[str, Any]] = []
        params: dict[str, Any] = {"limit": 100}
        while True:
            page = self.get("/v1/events", params, account, key)
            for event in page["data"]:
                if event["id"] == newest:
                    return found[::-1]
                found.append(event)
            if not page["has_more"]:
                return found[::-1]
            params["starting_after"] = page["data"][-1]["id"]


def difference(expected: list[str], emitted: list[dict[str, Any]], output: str = "") -> str:
    """What differs between the expected event types and those emitted ("" when none)."""
    types = {event["type"] for event in emitted}
    missing, extra = sorted(set(expected) - types), sorted(types - set(expected))
    if not missing and not extra:
        return ""
    return f"missing {missing}, unexpected {extra}\n{output}".strip()


def every_permission() -> list[dict[str, str]]:
    return [
        {"permission": name, "purpose": "trigger every fixture"}
        for name in catalog.permission_names()
    ]


@contextlib.contextmanager
def running_world(directory: Path) -> Iterator[World]:
    """A sandbox on 127.0.0.1 with its data in ``directory``, its platform, and a merchant
    that installed the platform's app granted every permission; both have available funds
    (a transfer's or a payout's fixture draws more than its own charge brings in, net of
    fees), so that no run depends on what the runs before it left."""
    server, running = start(str(directory / "sandbox.db"))
    platform = server.platform()
    key = platform["keys"]["test"]  # type: ignore[index]
    with running as base:
        headers = {"Authorization": f"Bearer {key}"}

        def post(path: str, body: dict[str, Any], auth: dict[str, str] = headers) -> Any:
            answer = httpx.post(base + path, json=body, headers=auth, timeout=30)
            assert answer.status_code == 200, answer.text
            return answer.json()

        manifest = {"id": "com.example.triggers", "version": "1.0.0",
                    "permissions": every_permission()}  # fmt: skip
        app = post("/_sandbox/apps", {"manifest": manifest})
        merchant = post("/_sandbox/accounts", {})
        merchant_key = {"Authorization": f"Bearer {merchant['keys']['test']}"}
        post(f"/_sandbox/apps/{app['id']}/installs", {"account": merchant["id"]}, merchant_key)
        for auth in (headers, merchant_key):  # funds, as a test account that has been used has
            funded = httpx.post(base + "/v1/payment_intents", headers=auth, timeout=30, data={
                "amount": 1_000_000, "currency": "usd", "confirm": "true",
                "payment_method": "pm_card_bypassPending"})  # fmt: skip
            assert funded.status_code == 200, funded.text
        yield World(base, key, str(platform["id"]), merchant["id"], merchant["keys"]["test"],
                    app["id"])  # fmt: skip
    server.close()
