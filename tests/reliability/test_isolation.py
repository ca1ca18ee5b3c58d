"""Two accounts' events interleaved under load; uninstalling one erases exactly its data."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from appevents.testing import make_event, signed_headers
from reliability.cluster import SECRET, cluster
from reliability.storedb import query, unfinished

pytestmark = pytest.mark.slow
PER_ACCOUNT = 300


def test_uninstall_erases_exactly_one_accounts_rows(tmp_path, store_url):
    t0 = 1_790_000_000
    bodies = [
        make_event("payment_intent.succeeded", account=account, created=t0 + n,
                   event_id=f"evt_{account}_{n:04d}")
        for n in range(PER_ACCOUNT) for account in ("acct_keep", "acct_gone")
    ]  # fmt: skip
    goodbye = make_event("account.application.deauthorized", account="acct_gone",
                         created=t0 + PER_ACCOUNT, object={"id": "ca_x"})  # fmt: skip

    async def deliver(url: str, batch: list[bytes]) -> list[int]:
        async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=32)) as client:
            semaphore = asyncio.Semaphore(32)

            async def post(body: bytes) -> int:
                async with semaphore:
                    r = await client.post(url, content=body, headers=signed_headers(body, SECRET))
                    return r.status_code

            return await asyncio.gather(*(post(b) for b in batch))

    with cluster(tmp_path, store_url) as running:
        url = running.start_receiver()
        assert set(asyncio.run(deliver(url, bodies))) == {200}
        running.wait_until(lambda: unfinished(store_url) == 0, what="business events processed")
        assert asyncio.run(deliver(url, [goodbye])) == [200]
        running.wait_until(lambda: unfinished(store_url) == 0, what="uninstall processed")

    def count(sql: str, account: str) -> int:
        return int(query(store_url, sql, (account,))[0][0])

    effects = "SELECT COUNT(*) FROM effects WHERE account = ?"
    payloads = "SELECT COUNT(*) FROM events WHERE account = ? AND payload IS NOT NULL"
    assert (count(effects, "acct_keep"), count(payloads, "acct_keep")) == (PER_ACCOUNT, PER_ACCOUNT)
    assert (count(effects, "acct_gone"), count(payloads, "acct_gone")) == (0, 0)
    assert query(store_url, "SELECT account, status FROM installations ORDER BY 1") == [
        ("acct_gone", "uninstalled"), ("acct_keep", "active"),
    ]  # fmt: skip
