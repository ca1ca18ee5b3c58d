"""What the subscription, schedule and test clock tests share: customers (paying, or with
nothing to pay with), a monthly price, the events a step emitted, and Stripe's error for a
refused call."""

from __future__ import annotations

from typing import Any

import httpx
import stripe

MONTHLY = {"unit_amount": 1500, "currency": "usd", "recurring": {"interval": "month"}}


class Billing:
    def __init__(self, sandbox: Any) -> None:
        self.sandbox = sandbox
        self.client: stripe.StripeClient = sandbox.client()
        product = self.client.v1.products.create({"name": "Appevents test plan"})
        self.price = self.client.v1.prices.create({"product": product.id, **MONTHLY})
        self._mark = self._newest()

    def customer(self, *, paying: bool = True, clock: str | None = None) -> Any:
        params: dict[str, Any] = {"description": "subscription tests"}
        if paying:
            params.update(payment_method="pm_card_visa",
                          invoice_settings={"default_payment_method": "pm_card_visa"})  # fmt: skip
        if clock is not None:
            params["test_clock"] = clock
        return self.client.v1.customers.create(params)

    def subscribe(self, customer: Any, **params: Any) -> Any:
        return self.client.v1.subscriptions.create(
            {"customer": customer.id, "items": [{"price": self.price.id}], **params}
        )

    def _newest(self) -> str | None:
        page = self.client.v1.events.list({"limit": 1}).data
        return page[0].id if page else None

    def events(self) -> list[Any]:
        """The events since the last call, oldest first."""
        found: list[Any] = []
        for event in self.client.v1.events.list({"limit": 100}).data:
            if event.id == self._mark:
                break
            found.append(event)
        self._mark = self._newest()
        return found[::-1]

    def types(self, *families: str) -> list[str]:
        """The types of the events since the last call, of these families, in order."""
        return [e.type for e in self.events() if not families or e.type.startswith(families)]

    def refusal(self, method: str, path: str, data: dict[str, Any] | None = None) -> Any:
        """Stripe's (status, error) for a call that must be refused."""
        answer = httpx.request(
            method, self.sandbox.base + path, data=data,
            headers={"Authorization": f"Bearer {self.sandbox.key}"},
        )  # fmt: skip
        assert answer.status_code >= 400, answer.text
        return answer.status_code, answer.json()["error"]
