"""``ctx.stripe``: handlers call Stripe as the event's account, here the real sandbox."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import stripe

from appevents import ConfigurationError
from appevents.receiver import App, SQLiteStore
from appevents.receiver.stripe_client import StripeClients
from sandbox_fixtures import wait_for
from servers import asgi_server, free_port

MANIFEST = {
    "id": "com.example.ctxstripe",
    "version": "1.0.0",
    "name": "ctx.stripe",
    "icon": "",
    "permissions": [
        {"permission": p, "purpose": "tests"}
        for p in ("event_read", "customer_read", "payment_intent_read")
    ],
}


class World:
    """The developer's endpoints at an App on a free port, the app registered, a merchant
    to install it and a bystander account beside it, in the plugin's sandbox harness (it
    keeps an install and an uninstall in different seconds, as they are in practice)."""

    def __init__(self, sandbox: Any, tmp_path: Any) -> None:
        self.sandbox = sandbox
        self.port = free_port()
        url = f"http://127.0.0.1:{self.port}/webhook"
        made = [
            sandbox.request(
                "POST", "/v1/webhook_endpoints",
                {"url": url, "enabled_events": ["*"], "connect": connect},
            )
            for connect in (True, False)
        ]  # fmt: skip
        self.app = App([m["secret"] for m in made], store=SQLiteStore(tmp_path / "inbox.db"),
                       api_key=sandbox.api_key, api_base=sandbox.url)  # fmt: skip
        self.merchant = sandbox.create_account("shop@example.com")
        self.bystander = sandbox.create_account("other@example.com")
        self.seen: list[tuple[str, Any]] = []
        self.lock = threading.Lock()

    def note(self, what: str, value: Any) -> None:
        with self.lock:
            self.seen.append((what, value))

    def of(self, what: str) -> list[Any]:
        with self.lock:
            return [v for w, v in self.seen if w == what]

    def install(self) -> None:
        self.sandbox.install(MANIFEST, self.merchant)

    def uninstall(self) -> None:
        self.sandbox.uninstall(MANIFEST, self.merchant)

    def as_merchant(self) -> stripe.StripeClient:
        return self.sandbox.client(self.merchant.test_key)


@pytest.fixture
def world(appevents_sandbox, tmp_path) -> World:
    return World(appevents_sandbox, tmp_path)


def test_handlers_call_stripe_as_the_events_account(world):
    other_customer = world.sandbox.client(world.bystander.test_key).v1.customers.create(
        {"email": "elsewhere@example.com"}
    )

    @world.app.on_install
    def installed(event, ctx):
        world.note("install", ctx.stripe.v1.accounts.retrieve_current().id)

    @world.app.on("payment_intent.created")
    def paid(event, ctx):
        customer = ctx.stripe.v1.customers.retrieve(event.object["customer"])
        world.note("customer", (ctx.account, customer.id, customer.email))
        try:
            ctx.stripe.v1.customers.retrieve(other_customer.id)
        except stripe.InvalidRequestError as error:
            world.note("other", (error.http_status, error.code))
        try:
            ctx.stripe.v1.invoices.list()
        except stripe.PermissionError as error:
            world.note("refused", (error.http_status, str(error)))

    @world.app.on("customer.created")
    async def created(event, ctx):
        if ctx.account is None:  # the platform's own customer: no Stripe-Account
            found = await ctx.stripe.v1.customers.retrieve_async(event.object["id"])
            world.note("platform", found.email)

    with asgi_server(world.app.asgi(), port=world.port):
        world.install()
        wait_for(lambda: world.of("install"), timeout=20)
        customer = world.as_merchant().v1.customers.create({"email": "buyer@example.com"})
        world.as_merchant().v1.payment_intents.create(
            {"amount": 1200, "currency": "usd", "customer": customer.id}
        )
        world.sandbox.client().v1.customers.create({"email": "platform-own@example.com"})
        wait_for(lambda: world.of("refused") and world.of("platform"), timeout=20)
    assert world.of("install") == [world.merchant.id]
    assert world.of("customer") == [(world.merchant.id, customer.id, "buyer@example.com")]
    assert world.of("other") == [(404, "resource_missing")]
    ((status, message),) = world.of("refused")
    assert status == 403 and "invoice_read" in message
    assert world.of("platform") == ["platform-own@example.com"]


def test_an_uninstall_handler_cannot_call_the_account(world):
    @world.app.on_install
    def installed(event, ctx):
        world.note("install", ctx.account)

    @world.app.on_uninstall
    def removed(event, ctx):
        try:
            ctx.stripe  # noqa: B018
        except ConfigurationError as error:
            world.note("uninstall", str(error))

    with asgi_server(world.app.asgi(), port=world.port):
        world.install()
        wait_for(lambda: world.of("install"), timeout=20)
        world.uninstall()
        wait_for(lambda: world.of("uninstall"), timeout=20)
    (message,) = world.of("uninstall")
    assert f"uninstalled from account {world.merchant.id}" in message
    assert "can no longer call that account" in message


def test_clients_are_made_once_per_account_and_set_stripe_account():
    clients = StripeClients("sk_test_clientcache", "http://127.0.0.1:9", api_version="2025-01-01")
    first = clients.for_account("acct_1Merchant0001")
    assert clients.for_account("acct_1Merchant0001") is first
    assert clients.for_account(None) is not first
    assert first._requestor._options.stripe_account == "acct_1Merchant0001"
    assert clients.for_account(None)._requestor._options.stripe_account is None
    assert first._requestor._options.stripe_version == "2025-01-01"
    assert first._requestor.base_addresses["api"] == "http://127.0.0.1:9"


def test_the_oldest_account_client_is_dropped_past_the_limit():
    clients = StripeClients("sk_test_clientcache", "http://127.0.0.1:9", max_accounts=2)
    a = clients.for_account("acct_A1")
    clients.for_account("acct_B1")
    clients.for_account("acct_C1")
    assert clients.for_account("acct_A1") is not a


def test_without_a_key_or_the_library_the_error_says_what_to_do(monkeypatch):
    with pytest.raises(ConfigurationError, match="api_key='sk_"):
        StripeClients(None).for_account("acct_1")
    import sys

    monkeypatch.setitem(sys.modules, "stripe", None)  # as if it were not installed
    with pytest.raises(ConfigurationError, match=r"pip install 'appevents\[stripe\]'"):
        StripeClients("sk_test_x").for_account("acct_1")
