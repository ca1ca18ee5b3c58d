"""SIGKILL receivers and workers at random moments under load, several rounds: every event
that got a 200 is stored and done, and its effect happened exactly once."""

from __future__ import annotations

import asyncio
import json
import random

import httpx
import pytest

from appevents.testing import make_event, signed_headers
from reliability.cluster import SECRET, Cluster, cluster
from reliability.storedb import query

pytestmark = pytest.mark.slow
ROUNDS = 4


async def chaos(running: Cluster, rng: random.Random, acked: set[str]) -> dict[str, int]:
    """Load both receivers while killing and restarting a random process every ~0.4 s."""
    stop = asyncio.Event()
    kills = {"receiver": 0, "worker": 0}
    counter = 0

    async def sender(client: httpx.AsyncClient) -> None:
        nonlocal counter
        while not stop.is_set():
            counter += 1
            body = make_event("payment_intent.succeeded", account=f"acct_c{counter % 9}",
                              event_id=f"evt_chaos_{counter:06d}")  # fmt: skip
            urls = list(running.receivers)
            if not urls:
                await asyncio.sleep(0.01)
                continue
            try:
                response = await client.post(rng.choice(urls), content=body,
                                             headers=signed_headers(body, SECRET))  # fmt: skip
            except httpx.HTTPError:
                continue  # killed mid-request: outcome unknown, not acknowledged
            if response.status_code == 200 and not response.json()["duplicate"]:
                acked.add(json.loads(body)["id"])

    async def killer() -> None:
        for _ in range(ROUNDS):
            await asyncio.sleep(rng.uniform(0.2, 0.6))
            if rng.random() < 0.5 and running.receivers:
                url = rng.choice(list(running.receivers))
                await asyncio.to_thread(running.kill_receiver, url)
                kills["receiver"] += 1
                await asyncio.to_thread(running.start_receiver, worker=False)
            else:
                victim = running.workers.pop(rng.randrange(len(running.workers)))
                await asyncio.to_thread(running.kill, victim)
                kills["worker"] += 1
                running.start_worker()
        await asyncio.sleep(0.3)
        stop.set()

    async with httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=24)) as client:
        await asyncio.gather(killer(), *(sender(client) for _ in range(24)))
    return kills


def test_random_sigkills_of_receivers_and_workers_lose_nothing(tmp_path, store_url):
    rng = random.Random(99)
    acked: set[str] = set()
    with cluster(tmp_path, store_url) as running:
        for _ in range(2):
            running.start_receiver(worker=False)
            running.start_worker()
        kills = asyncio.run(chaos(running, rng, acked))
        running.wait_until(
            lambda: (
                query(store_url, "SELECT COUNT(*) FROM events WHERE status != 'done'")[0][0] == 0
            ),
            what="every stored event done after the kills",
        )
    stored = {row[0] for row in query(store_url, "SELECT id FROM events")}
    effects = dict(query(store_url, "SELECT event_id, COUNT(*) FROM effects GROUP BY event_id"))
    print(f"kills {kills}, acknowledged {len(acked)}, stored {len(stored)}")
    assert sum(kills.values()) == ROUNDS
    assert len(acked) > 200
    assert acked <= stored, f"acknowledged but lost: {sorted(acked - stored)[:5]}"
    assert set(effects) == stored
    assert set(effects.values()) == {1}, "an effect happened twice"
