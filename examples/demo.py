"""The main job: the example app backend receives a realistic stream of signed events.

It starts `appevents serve` with the example app on a fresh SQLite store, delivers
installs, payments, refunds, subscriptions and an uninstall for three connected accounts
(with a duplicate, out-of-order arrivals and a forged request thrown in, as Stripe's
reality has them), waits for the worker, prints what happened, and checks every
outcome. Exit status 0 means every check passed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from appevents.testing import make_event, signed_headers

HERE = Path(__file__).resolve().parent
SECRET = "whsec_demo_" + "0" * 32
ACCOUNTS = {"acct_1Bakery": "Bakery", "acct_2Bikes": "Bike shop", "acct_3Books": "Bookshop"}
APP = {"id": "ca_demoPaymentTotals", "object": "application", "name": "Payment Totals"}
console = Console(width=max(110, Console().width))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def scenario(t0: int) -> list[bytes]:
    """The events Stripe would send, in `created` order."""
    bakery, bikes, books = ACCOUNTS
    events: list[bytes] = []

    def add(event_type: str, account: str, at: int, **fields: object) -> None:
        events.append(make_event(event_type, account=account, created=t0 + at, **fields))  # type: ignore[arg-type]

    for i, account in enumerate(ACCOUNTS):
        add("account.application.authorized", account, i, object=APP)
    for n, (account, amount, currency) in enumerate(
        [(bakery, 1250, "eur"), (bakery, 830, "eur"), (bikes, 45000, "usd"), (books, 2199, "gbp"),
         (bikes, 12900, "usd"), (books, 1599, "gbp"), (bakery, 420, "eur")]
    ):  # fmt: skip
        add(
            "payment_intent.succeeded",
            account,
            10 + n,
            object={"amount": amount, "amount_received": amount, "currency": currency},
        )
    add(
        "charge.refunded",
        bikes,
        30,
        object={"amount": 12900, "amount_refunded": 2900, "currency": "usd", "refunded": False},
        previous_attributes={"amount_refunded": 0},
    )
    add(
        "customer.subscription.created", bakery, 40, object={"id": "sub_bakery", "status": "active"}
    )
    add(
        "customer.subscription.updated",
        bakery,
        41,
        object={"id": "sub_bakery", "status": "past_due"},
        previous_attributes={"status": "active"},
    )
    add("customer.subscription.created", books, 42, object={"id": "sub_books", "status": "active"})
    add("account.application.deauthorized", books, 60, object=APP)
    return events


async def deliver(url: str, bodies: list[bytes]) -> list[httpx.Response]:
    async with httpx.AsyncClient(timeout=10) as client:
        return list(
            await asyncio.gather(
                *(client.post(url, content=b, headers=signed_headers(b, SECRET)) for b in bodies)
            )
        )


def wait_ready(url: str, process: subprocess.Popen[bytes], deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the receiver exited early with status {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code == 405:
                return
        time.sleep(0.1)
    raise SystemExit(f"the receiver did not answer at {url} in time")


def wait_processed(db_path: Path, expected: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        with contextlib.closing(sqlite3.connect(db_path)) as db:
            unfinished, total = db.execute(
                "SELECT SUM(status IN ('pending', 'failed')), COUNT(*) FROM events"
            ).fetchone()
        if total == expected and not unfinished:
            return
        time.sleep(0.1)
    raise SystemExit("the worker did not finish processing in time")


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="appevents-demo-"))
    db_path = work / "inbox.db"
    port = free_port()
    url = f"http://127.0.0.1:{port}/webhook"
    command = [
        sys.executable, "-m", "appevents.cli.main", "serve", "payments_app:app",
        "--app-dir", str(HERE), "--port", str(port), "--store", f"sqlite:///{db_path}",
        "--secret", SECRET, "--log-level", "warning",
    ]  # fmt: skip
    console.rule("[bold]appevents demo: the example app receives its accounts' events")
    console.print(f"receiver: [cyan]appevents serve payments_app:app[/] at {url}, store {db_path}")
    process = subprocess.Popen(command, cwd=work, start_new_session=True)
    checks: list[tuple[str, bool]] = []
    try:
        wait_ready(url, process, time.monotonic() + 30)
        events = scenario(int(time.time()) - 120)
        # Stripe does not order deliveries: the Bikes account's first payment arrives
        # before its installation event, and the rest arrive shuffled.
        rng = random.Random(7)
        first, rest = events[5], events[:5] + events[6:]
        rng.shuffle(rest)
        responses = asyncio.run(deliver(url, [first]))
        responses += asyncio.run(deliver(url, rest))
        duplicate = asyncio.run(deliver(url, [events[3]]))[0]
        forged = httpx.post(url, content=events[4], headers=signed_headers(events[4], "whsec_x"))
        wait_processed(db_path, len(events), time.monotonic() + 30)
        checks += [
            ("every delivery answered 200", all(r.status_code == 200 for r in responses)),
            ("a duplicate delivery is acknowledged, not stored twice",
             duplicate.json() == {"received": True, "duplicate": True}),
            ("a forged signature is refused with 400", forged.status_code == 400),
        ]  # fmt: skip
        checks += report(db_path, len(events))
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    console.rule("[bold]checks")
    for label, ok in checks:
        console.print(f"{'[green]✔' if ok else '[red]✘'}[/] {label}")
    passed = all(ok for _, ok in checks) and bool(checks)
    console.print(f"\n[bold {'green' if passed else 'red'}]demo {'passed' if passed else 'FAILED'}")
    return 0 if passed else 1


def report(db_path: Path, expected_events: int) -> list[tuple[str, bool]]:
    db = sqlite3.connect(db_path)
    bakery, bikes, books = ACCOUNTS
    table = Table(
        "account", "events", "done / skipped", "installation", "payments", "totals", "subscriptions"
    )
    for account, name in ACCOUNTS.items():
        n, done = db.execute(
            "SELECT COUNT(*), SUM(status = 'done') || ' / ' || SUM(status = 'skipped')"
            " FROM events WHERE account = ?",
            (account,),
        ).fetchone()
        status = db.execute(
            "SELECT status || ' (' || source || ')' FROM installations WHERE account = ?",
            (account,),
        ).fetchone()
        totals = db.execute(
            "SELECT currency, amount, payments, refunded FROM app_payment_totals WHERE account = ?",
            (account,),
        ).fetchall()
        subs = db.execute(
            "SELECT id || ': ' || status FROM app_subscriptions WHERE account = ?", (account,)
        ).fetchall()
        table.add_row(
            name,
            str(n),
            str(done),
            status[0] if status else "-",
            ", ".join(str(p) for _, _, p, _ in totals) or "-",
            ", ".join(f"{a - r} {c.upper()} (refunded {r})" for c, a, _, r in totals) or "-",
            ", ".join(s for (s,) in subs) or "-",
        )
    console.print(table)
    kept = db.execute(
        "SELECT COUNT(*) FROM events WHERE account = ? AND payload IS NOT NULL", (books,)
    ).fetchone()[0]
    books_rows = sum(
        db.execute(f"SELECT COUNT(*) FROM {t} WHERE account = ?", (books,)).fetchone()[0]
        for t in ("app_users", "app_payment_totals", "app_subscriptions")
    )
    console.print(
        f"Bookshop uninstalled: {books_rows} rows of app data and {kept} stored payloads remain"
    )

    def one(sql: str, *params: object) -> object:
        return db.execute(sql, params).fetchone()

    return [
        ("every event stored once and processed (or, for an uninstalled account, skipped)",
         one("SELECT COUNT(*), SUM(status IN ('done', 'skipped')) FROM events")
         == (expected_events, expected_events)),
        ("Bakery: 3 payments, 2500 EUR",
         one("SELECT amount, payments FROM app_payment_totals WHERE account = ?", bakery)
         == (2500, 3)),
        ("Bikes: 57900 USD less a 2900 refund, despite its first payment arriving first",
         one("SELECT amount, refunded FROM app_payment_totals WHERE account = ?", bikes)
         == (57900, 2900)),
        ("Bakery's subscription is past_due after its update",
         one("SELECT status FROM app_subscriptions WHERE id = 'sub_bakery'") == ("past_due",)),
        ("Bakery and Bikes installed; Bookshop uninstalled",
         db.execute("SELECT account, status FROM installations ORDER BY account").fetchall()
         == [(bakery, "active"), (bikes, "active"), (books, "uninstalled")]),
        ("Bookshop's user, totals, subscriptions and event payloads are erased",
         books_rows == 0 and kept == 0),
    ]  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
