"""An example app backend: per-account payment totals for every account that installed it.

- on install: create (or re-activate) the merchant's user account;
- payment_intent.succeeded / charge.refunded: keep per-currency totals;
- customer.subscription.*: keep each subscription's status;
- on uninstall: delete everything held for that account.

Every write goes through ``ctx.transaction``, the connection of the transaction that
marks the event done, so each event's effect happens exactly once.

Run it:  appevents serve payments_app:app --app-dir examples --secret whsec_...
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from appevents import Event
from appevents.receiver import App, Context

app = App(
    store="sqlite:///payments_app.db",
    manifest=str(Path(__file__).with_name("stripe-app.json")),
)


@app.on_setup
def create_tables(db: Any) -> None:
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS app_users (
            account TEXT NOT NULL, livemode INTEGER NOT NULL, status TEXT NOT NULL,
            installs INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (account, livemode));
        CREATE TABLE IF NOT EXISTS app_payment_totals (
            account TEXT NOT NULL, livemode INTEGER NOT NULL, currency TEXT NOT NULL,
            amount INTEGER NOT NULL DEFAULT 0, payments INTEGER NOT NULL DEFAULT 0,
            refunded INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (account, livemode, currency));
        CREATE TABLE IF NOT EXISTS app_subscriptions (
            id TEXT PRIMARY KEY, account TEXT NOT NULL, livemode INTEGER NOT NULL,
            status TEXT NOT NULL, as_of INTEGER NOT NULL);
        """
    )


@app.on_install
def create_user(event: Event, ctx: Context) -> None:
    ctx.transaction.execute(
        """INSERT INTO app_users (account, livemode, status, installs) VALUES (?, ?, 'active', 1)
           ON CONFLICT (account, livemode)
           DO UPDATE SET status = 'active', installs = installs + 1""",
        (ctx.account, ctx.livemode),
    )


@app.on("payment_intent.succeeded")
def add_payment(event: Event, ctx: Context) -> None:
    intent = event.object
    ctx.transaction.execute(
        """INSERT INTO app_payment_totals (account, livemode, currency, amount, payments)
           VALUES (?, ?, ?, ?, 1)
           ON CONFLICT (account, livemode, currency)
           DO UPDATE SET amount = amount + excluded.amount, payments = payments + 1""",
        (ctx.account, ctx.livemode, intent["currency"], intent["amount_received"]),
    )


@app.on("charge.refunded")
def subtract_refund(event: Event, ctx: Context) -> None:
    charge = event.object
    # amount_refunded is cumulative; previous_attributes holds what it was before.
    before = (event.previous_attributes or {}).get("amount_refunded", 0)
    delta = charge["amount_refunded"] - before
    ctx.transaction.execute(
        """INSERT INTO app_payment_totals (account, livemode, currency, refunded)
           VALUES (?, ?, ?, ?)
           ON CONFLICT (account, livemode, currency)
           DO UPDATE SET refunded = refunded + excluded.refunded""",
        (ctx.account, ctx.livemode, charge["currency"], delta),
    )


@app.on("customer.subscription.*")
def track_subscription(event: Event, ctx: Context) -> None:
    subscription = event.object
    status = "deleted" if event.type.endswith(".deleted") else subscription["status"]
    # Stripe does not order deliveries: keep the state of the newest event, whatever
    # arrives last (an older "created" must not overwrite a newer "updated").
    ctx.transaction.execute(
        """INSERT INTO app_subscriptions (id, account, livemode, status, as_of)
           VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET status = excluded.status, as_of = excluded.as_of
           WHERE excluded.as_of >= app_subscriptions.as_of""",
        (subscription["id"], ctx.account, ctx.livemode, status, event.created),
    )


@app.on_uninstall
def delete_account_data(event: Event, ctx: Context) -> None:
    for table in ("app_users", "app_payment_totals", "app_subscriptions"):
        ctx.transaction.execute(
            f"DELETE FROM {table} WHERE account = ? AND livemode = ?",
            (ctx.account, ctx.livemode),
        )
