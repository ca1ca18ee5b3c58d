"""appevents' side: ``appevents sandbox`` on a fresh data file, one app (event_read +
customer_read), ONE Connect endpoint of the platform pointing at the receiver, and N
merchant accounts that installed the app. Returns the merchants' test keys: the timed
phase creates one customer with each.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
from procs import Process, free_port, spawn
from workload import wait_for

AUTHORIZED = "account.application.authorized"
MANIFEST = {
    "id": "com.example.delivery-bench",
    "version": "1.0.0",
    "name": "Delivery benchmark",
    "icon": "",
    "permissions": [
        {"permission": "event_read", "purpose": "Receive the accounts' events"},
        {"permission": "customer_read", "purpose": "Receive customer events"},
    ],
}


@contextlib.contextmanager
def sandbox(workdir: Path) -> Iterator[tuple[Process, str]]:
    """A running sandbox on a new data file, and its platform's test secret key."""
    port = free_port()
    command = [
        sys.executable, "-m", "appevents.cli.main", "sandbox",
        "--data", str(workdir / "sandbox.db"), "--host", "127.0.0.1", "--port", str(port),
        "--log-level", "warning",
    ]  # fmt: skip
    with spawn("appevents sandbox", command, port=port, log=workdir / "sandbox.log") as process:
        line = process.wait_for_log("test secret key:")
        yield process, line.split("test secret key:", 1)[1].strip()


async def _setup(
    base: str, platform_key: str, receiver_url: str, accounts: int, concurrency: int
) -> list[str]:
    platform = {"Authorization": f"Bearer {platform_key}"}
    async with httpx.AsyncClient(base_url=base, timeout=60, headers=platform) as client:

        async def call(method: str, path: str, **kwargs: object) -> dict[str, object]:
            response = await client.request(method, path, **kwargs)  # type: ignore[arg-type]
            if response.status_code != 200:
                raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
            answer: dict[str, object] = response.json()
            return answer

        app = await call("POST", "/_sandbox/apps", json={"manifest": MANIFEST})
        await call(
            "POST",
            "/v1/webhook_endpoints",
            data={"url": receiver_url, "enabled_events[0]": "*", "connect": "true"},
        )
        semaphore = asyncio.Semaphore(concurrency)

        async def merchant() -> str:
            async with semaphore:
                account = await call("POST", "/_sandbox/accounts", json={})
                keys = account["keys"]
                assert isinstance(keys, dict)
                await call(  # only an account itself installs apps on it, with its own key
                    "POST",
                    f"/_sandbox/apps/{app['id']}/installs",
                    json={"account": account["id"], "mode": "test"},
                    headers={"Authorization": f"Bearer {keys['test']}"},
                )
            return str(keys["test"])

        return list(await asyncio.gather(*(merchant() for _ in range(accounts))))


def set_up(
    process: Process,
    platform_key: str,
    receiver: str,
    *,
    accounts: int,
    concurrency: int,
    timeout: float = 300.0,
) -> list[str]:
    """Create the app, the endpoint and the installed accounts; wait until every install's
    ``authorized`` event was delivered, so the timed phase starts with nothing owed."""
    keys = asyncio.run(
        _setup(process.base, platform_key, f"{receiver}/webhook", accounts, concurrency)
    )
    got = wait_for(receiver, AUTHORIZED, accounts, timeout)
    if got < accounts:
        raise RuntimeError(f"only {got} of {accounts} install events were delivered in setup")
    return keys
