"""PostgreSQL connections killed during ingest: those deliveries get 503, never a 200
without a row, and the receiver recovers without a restart."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import psycopg
import pytest

from appevents.testing import make_event, signed_headers
from environment import postgres_url
from postgres_support import create_schema, drop_schema, url_with_schema
from reliability.cluster import SECRET, cluster
from reliability.storedb import query

pytestmark = pytest.mark.slow
ROUNDS = 8


async def kill_store_connections(kills: list[int], application: str) -> None:
    """Terminate every connection of the receiver (its own application_name), 8 times."""
    await asyncio.sleep(0.5)
    for _ in range(ROUNDS):
        with psycopg.connect(postgres_url(), autocommit=True) as admin:
            rows = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = %s AND pid <> pg_backend_pid()",
                (application,),
            ).fetchall()
        kills.append(sum(1 for (ok,) in rows if ok))
        await asyncio.sleep(0.3)


async def deliver(
    url: str, statuses: dict[str, tuple[float, int]], faults: asyncio.Task[None]
) -> None:
    """Eight senders, until one second after the last fault."""
    counter = 0
    async with httpx.AsyncClient(timeout=30) as client:

        async def sender() -> None:
            nonlocal counter
            quiet_since: float | None = None
            while quiet_since is None or time.monotonic() - quiet_since < 1.5:
                counter += 1
                body = make_event("charge.succeeded", account=f"acct_f{counter % 4}",
                                  event_id=f"evt_fault_{counter:05d}")  # fmt: skip
                response = await client.post(
                    url, content=body, headers=signed_headers(body, SECRET)
                )
                statuses[json.loads(body)["id"]] = (time.monotonic(), response.status_code)
                if faults.done() and quiet_since is None:
                    quiet_since = time.monotonic()

        await asyncio.gather(*(sender() for _ in range(8)))


def test_killed_connections_give_503_never_a_false_200_and_the_receiver_recovers(tmp_path):
    schema = create_schema()
    # Other tests use the server meanwhile: only this receiver's connections are killed.
    application = f"appevents_{schema}"
    store_url = f"{url_with_schema(schema)}&application_name={application}"
    try:
        with cluster(tmp_path, store_url) as running:
            url = running.start_receiver(worker=False)
            statuses: dict[str, tuple[float, int]] = {}
            kills: list[int] = []

            async def main() -> float:
                faults = asyncio.create_task(kill_store_connections(kills, application))
                await deliver(url, statuses, faults)
                await faults
                return time.monotonic()

            asyncio.run(main())
        stored = {row[0] for row in query(store_url, "SELECT id FROM events")}
    finally:
        drop_schema(schema)
    codes = [code for _, code in statuses.values()]
    ok = {i for i, (_, code) in statuses.items() if code == 200}
    print(
        f"connections killed {sum(kills)} in {ROUNDS} rounds; 200: {codes.count(200)}, 503: {codes.count(503)}"
    )
    assert sum(kills) >= ROUNDS, "the faults did not hit the receiver's connections"
    assert set(codes) <= {200, 503}
    assert codes.count(503) > 0
    assert ok <= stored, f"a 200 without its row: {sorted(ok - stored)[:5]}"
    last = sorted(statuses.values())[-20:]  # after the faults: recovered, no restart
    assert [code for _, code in last] == [200] * 20
