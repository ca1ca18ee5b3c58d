"""The main job: the whole loop, offline, as a Stripe App developer runs it.

It starts the sandbox (a local Stripe), registers the example app from its manifest,
creates three merchant accounts and installs the app on them, starts the example app's
receiver, forwards the sandbox's events to it with `appevents listen
--forward-connect-to`, triggers a realistic sequence (payments, a refund, a subscription,
an uninstall), then prints what happened and checks every outcome. Exit status 0 means
every check passed.

    python examples/demo.py [--keep]

Its state (the sandbox's and the receiver's databases, each process's log) lives in a
temporary folder that is removed when the demo passes; `--keep` keeps it, and a failed run
always does, saying where.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
console = Console()  # the terminal's width; 80 columns when piped
MERCHANTS = {
    "Bakery": "bakery@example.com",
    "Bike shop": "bikes@example.com",
    "Bookshop": "books@example.com",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Loop:
    """The processes of the loop, in their own process groups, always stopped."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.env = {
            **os.environ,
            "APPEVENTS_CONFIG_DIR": str(work / "config"),
            "PYTHONUNBUFFERED": "1",
        }
        self.processes: list[subprocess.Popen[str]] = []

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "appevents.cli.main", *args]

    def run(self, *args: str) -> str:
        done = subprocess.run(
            self.command(*args),
            capture_output=True,
            text=True,
            env=self.env,
            cwd=self.work,
            timeout=60,
        )
        if done.returncode != 0:
            raise SystemExit(f"`appevents {' '.join(args)}` failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def start(self, *args: str, stderr: int | None = None) -> subprocess.Popen[str]:
        # Each process's own messages go to a log beside the state, read when something fails.
        log = (self.work / f"{args[0]}.log").open("a")
        process = subprocess.Popen(
            self.command(*args),
            stdout=subprocess.PIPE,
            stderr=log if stderr is None else stderr,
            text=True,
            env=self.env,
            cwd=self.work,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in reversed(self.processes):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGINT)
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def wait_http(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(url, timeout=1)
            return
        time.sleep(0.1)
    raise SystemExit(f"nothing answered at {url}")


def lines_of(stream: object) -> Iterator[str]:
    for line in stream:  # type: ignore[attr-defined]
        yield line.rstrip("\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the state folder")
    keep = parser.parse_args(argv).keep
    work = Path(tempfile.mkdtemp(prefix="appevents-demo-"))
    (work / "stripe-app.json").write_text((HERE / "stripe-app.json").read_text())
    loop = Loop(work)
    sandbox_port, receiver_port = free_port(), free_port()
    inbox = work / "inbox.db"
    checks: list[tuple[str, bool]] = []
    console.rule("[bold]appevents demo: a Stripe App's whole event loop, offline")
    try:
        loop.start("sandbox", "--data", str(work / "sandbox.db"), "--port", str(sandbox_port))
        wait_http(f"http://127.0.0.1:{sandbox_port}/v1/account", time.monotonic() + 30)
        console.print(f"[cyan]$ appevents sandbox[/]  → http://127.0.0.1:{sandbox_port}")
        say(
            loop.run(
                "login", "--api-base", f"http://127.0.0.1:{sandbox_port}", "--device-name", "demo"
            )
        )
        say(loop.run("apps", "register"))
        # `accounts create` keeps each merchant's key: installing an app and paying are the
        # merchant's own doing, and `trigger --stripe-account` acts as it.
        accounts = {
            name: loop.run("accounts", "create", "--email", email).split()[2]
            for name, email in MERCHANTS.items()
        }
        console.print(f"merchants: {', '.join(f'{n} {a}' for n, a in accounts.items())}")
        secret = loop.run("listen", "--print-secret").strip()
        loop.start(
            "serve",
            "payments_app:app",
            "--app-dir",
            str(HERE),
            "--port",
            str(receiver_port),
            "--store",
            f"sqlite:///{inbox}",
            "--secret",
            secret,
            "--log-level",
            "warning",
        )
        wait_http(f"http://127.0.0.1:{receiver_port}/webhook", time.monotonic() + 30)
        console.print(f"[cyan]$ appevents serve payments_app:app[/] → :{receiver_port}/webhook")
        listener = loop.start(
            "listen",
            "--forward-connect-to",
            f"localhost:{receiver_port}/webhook",
            stderr=subprocess.PIPE,
        )
        ready = listener.stderr.readline() if listener.stderr else ""
        checks.append(("listen is ready with the device's signing secret", secret in ready))
        console.print(
            f"[cyan]$ appevents listen --forward-connect-to localhost:{receiver_port}/webhook[/]"
        )
        bakery, bikes, books = accounts.values()
        for account in accounts.values():
            loop.run("trigger", "account.application.authorized", "--stripe-account", account)
        for account, amount, currency in [
            (bakery, 1250, "eur"),
            (bakery, 830, "eur"),
            (bikes, 45000, "usd"),
            (books, 2199, "gbp"),
        ]:
            loop.run(
                "trigger",
                "payment_intent.succeeded",
                "--stripe-account",
                account,
                "--override",
                f"payment_intent:amount={amount}",
                "--override",
                f"payment_intent:currency={currency}",
            )
        loop.run(
            "trigger",
            "charge.refunded",
            "--stripe-account",
            bikes,
            "--override",
            "payment_intent:amount=12900",
            "--override",
            "refund:amount=2900",
        )
        loop.run("trigger", "customer.subscription.created", "--stripe-account", bakery)
        loop.run("trigger", "account.application.deauthorized", "--stripe-account", books)
        console.print(
            "[cyan]$ appevents trigger … --stripe-account acct_…[/] installs, payments,\n"
            "  a refund, a subscription, an uninstall"
        )
        wait_settled(inbox)
        os.killpg(listener.pid, signal.SIGINT)
        listened = listener.communicate(timeout=15)[0]
        checks += report(inbox, accounts, listened)
    finally:
        loop.stop()
    console.rule("[bold]checks")
    for label, ok in checks:
        console.print(f"{'[green]✔' if ok else '[red]✘'}[/] {label}")
    passed = bool(checks) and all(ok for _, ok in checks)
    console.print(f"\n[bold {'green' if passed else 'red'}]demo {'passed' if passed else 'FAILED'}")
    if passed and not keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        console.print(f"logs and state kept in {work}")
    return 0 if passed else 1


def say(output: str) -> None:
    for line in output.strip().splitlines():
        console.print(f"  {line}", soft_wrap=True, markup=False, highlight=False)


def wait_settled(inbox: Path, timeout: float = 60) -> None:
    """Until the receiver has processed everything and nothing new arrived for 1.5 s."""
    deadline, last, stable_since = time.monotonic() + timeout, -1, time.monotonic()
    while time.monotonic() < deadline:
        with contextlib.suppress(sqlite3.Error), contextlib.closing(sqlite3.connect(inbox)) as db:
            total, unfinished = db.execute(
                "SELECT COUNT(*), COALESCE(SUM(status IN ('pending', 'failed')), 0) FROM events"
            ).fetchone()
            if total != last or unfinished:
                last, stable_since = total, time.monotonic()
            elif time.monotonic() - stable_since > 1.5:
                return
        time.sleep(0.1)
    raise SystemExit("the receiver did not settle in time")


def report(inbox: Path, accounts: dict[str, str], listened: str) -> list[tuple[str, bool]]:
    db = sqlite3.connect(inbox)
    bakery, bikes, books = accounts.values()
    table = Table(
        "account",
        "events",
        "installation",
        "payments: net of refunds (count)",
        "subscription",
        title="What the receiver stored and the handlers did",
    )
    for name, account in accounts.items():
        n, done, skipped = db.execute(
            "SELECT COUNT(*), SUM(status = 'done'), SUM(status = 'skipped') FROM events"
            " WHERE account = ?",
            (account,),
        ).fetchone()
        (status,) = db.execute(
            "SELECT status FROM installations WHERE account = ?", (account,)
        ).fetchone()
        totals = db.execute(
            "SELECT currency, amount, payments, refunded FROM app_payment_totals"
            " WHERE account = ? ORDER BY currency",
            (account,),
        ).fetchall()
        subs = db.execute(
            "SELECT status FROM app_subscriptions WHERE account = ?", (account,)
        ).fetchall()
        table.add_row(
            name,
            f"{n}: {done} done" + (f", {skipped} skipped" if skipped else ""),
            status,
            "\n".join(f"{(a - r) / 100:.2f} {c.upper()} ({p})" for c, a, p, r in totals) or "-",
            ", ".join(s for (s,) in subs) or "-",
        )
    console.print(table)
    forwarded = re.findall(r"<--  \[(\d+)\] POST", listened)
    withheld = [line for line in listened.splitlines() if "   --x " in line]
    console.print(
        f"listen forwarded {len(forwarded)} events; {len(withheld)} withheld by the manifest, e.g.:"
    )
    for line in withheld[:2]:
        reason, _, fix = line.split("withheld: ", 1)[-1].partition("; fix: ")
        # Whole lines (the terminal wraps them): a command must stay copyable.
        console.print(f"  {reason}\n    fix: [cyan]{fix}[/]", soft_wrap=True)
    left = sum(
        db.execute(f"SELECT COUNT(*) FROM {t} WHERE account = ?", (books,)).fetchone()[0]
        for t in ("app_users", "app_payment_totals", "app_subscriptions")
    )
    payloads = db.execute(
        "SELECT COUNT(*) FROM events WHERE account = ? AND payload IS NOT NULL", (books,)
    ).fetchone()[0]
    console.print(
        f"Bookshop uninstalled: {left} rows of app data and {payloads} event payloads remain"
    )

    def one(sql: str, *params: object) -> object:
        return db.execute(sql, params).fetchone()

    return [
        ("every forwarded event answered 200", bool(forwarded) and set(forwarded) == {"200"}),
        (
            "every event the receiver stored was processed",
            one("SELECT COUNT(*) FROM events WHERE status NOT IN ('done', 'skipped')") == (0,),
        ),
        (
            "Bakery: 2 payments, 20.80 EUR, and its subscription's first invoice, 15.00 USD",
            db.execute(
                "SELECT currency, amount, payments FROM app_payment_totals WHERE account = ?"
                " ORDER BY currency",
                (bakery,),
            ).fetchall()
            == [("eur", 2080, 2), ("usd", 1500, 1)],
        ),
        (
            "Bike shop: 579.00 USD in 2 payments less a 29.00 refund",
            db.execute(
                "SELECT currency, amount, payments, refunded FROM app_payment_totals"
                " WHERE account = ?",
                (bikes,),
            ).fetchall()
            == [("usd", 57900, 2, 2900)],
        ),
        (
            "Bookshop: its GBP payment was processed before the uninstall erased it",
            db.execute(
                "SELECT status FROM events WHERE account = ? AND type = ?",
                (books, "payment_intent.succeeded"),
            ).fetchall()
            == [("done",)],
        ),
        (
            "Bakery's subscription is tracked",
            one("SELECT COUNT(*) FROM app_subscriptions WHERE account = ?", bakery) == (1,),
        ),
        (
            "events the manifest does not permit were withheld and shown with the fix",
            bool(withheld) and all("appevents apps grant permission" in w for w in withheld),
        ),
        (
            "Bakery and Bike shop installed; Bookshop uninstalled",
            dict(db.execute("SELECT account, status FROM installations").fetchall())
            == {bakery: "active", bikes: "active", books: "uninstalled"},
        ),
        ("Bookshop's user, totals and event payloads are erased", left == 0 and payloads == 0),
    ]


if __name__ == "__main__":
    sys.exit(main())
