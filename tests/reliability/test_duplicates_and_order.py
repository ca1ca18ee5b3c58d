"""Every event delivered 3 times, concurrently, shuffled, to two receivers on one store:
one row and one effect per event; installations end as `created` order says."""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter

import httpx
import pytest

from appevents import Event
from appevents.receiver.installations import plan
from appevents.testing import make_event, signed_headers
from reliability.cluster import SECRET, cluster
from reliability.storedb import query, unfinished

pytestmark = pytest.mark.slow
AUTH, DEAUTH = "account.application.authorized", "account.application.deauthorized"


def history(rng: random.Random, t0: int) -> list[bytes]:
    """Per account: install, business, and for some an uninstall (and a re-install)."""
    bodies = []
    for a in range(8):
        account, t = f"acct_dup{a}", t0
        script = [AUTH] + ["payment_intent.succeeded"] * 10
        if a % 4 == 1:
            script += [DEAUTH]
        if a % 4 == 2:
            script += [DEAUTH, AUTH] + ["charge.succeeded"] * 5
        for n, event_type in enumerate(script):
            t += rng.choice([0, 1, 1, 2])  # same-second events happen
            bodies.append(make_event(event_type, account=account, created=t,
                                     event_id=f"evt_dup{a}_{n:03d}", object={"id": "ca_dup"}))  # fmt: skip
    return bodies


def expected_installations(bodies: list[bytes]) -> dict[str, str]:
    events = sorted(
        (Event.parse(b) for b in bodies), key=lambda e: (e.created, e.type != DEAUTH, e.id)
    )
    state: dict[str, object] = {}
    for event in events:
        decision = plan(event, state.get(event.account))  # type: ignore[arg-type]
        if decision.installation is not None:
            state[event.account] = decision.installation  # type: ignore[index]
    return {account: inst.status for account, inst in state.items()}  # type: ignore[attr-defined]


async def deliver(urls: list[str], bodies: list[bytes], rng: random.Random) -> Counter[int]:
    deliveries = [(rng.choice(urls), body) for body in bodies for _ in range(3)]
    rng.shuffle(deliveries)
    statuses: Counter[int] = Counter()
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=48)) as client:
        semaphore = asyncio.Semaphore(48)

        async def post(url: str, body: bytes) -> None:
            async with semaphore:
                response = await client.post(
                    url, content=body, headers=signed_headers(body, SECRET)
                )
                statuses[response.status_code] += 1

        await asyncio.gather(*(post(url, body) for url, body in deliveries))
    return statuses


def test_triple_concurrent_shuffled_delivery_to_two_receivers(tmp_path, store_url):
    rng = random.Random(2024)
    bodies = history(rng, t0=1_790_000_000)
    with cluster(tmp_path, store_url) as running:
        urls = [running.start_receiver(), running.start_receiver()]
        statuses = asyncio.run(deliver(urls, bodies, rng))
        assert statuses == Counter({200: 3 * len(bodies)})
        running.wait_until(lambda: unfinished(store_url) == 0, what="all events processed")
    ids = [json.loads(b)["id"] for b in bodies]
    assert query(store_url, "SELECT COUNT(*) FROM events")[0][0] == len(ids)
    effects = dict(query(store_url, "SELECT event_id, COUNT(*) FROM effects GROUP BY event_id"))
    assert set(effects.values()) <= {1}, "an effect ran twice"
    installations = dict(query(store_url, "SELECT account, status FROM installations"))
    assert installations == expected_installations(bodies)
    for account, status in installations.items():
        rows = query(store_url, "SELECT COUNT(*) FROM effects WHERE account = ?", (account,))[0][0]
        if account in ("acct_dup0", "acct_dup3", "acct_dup4", "acct_dup7"):  # never uninstalled
            assert rows == 11, account  # authorized + 10 payments, each exactly once
        if status == "uninstalled":
            assert rows == 0, account
            kept = query(
                store_url,
                "SELECT COUNT(*) FROM events WHERE account = ? AND payload IS NOT NULL",
                (account,),
            )
            assert kept == [(0,)], account
