"""A customer's sources: cards added from a token (``source=tok_visa``), as Stripe's older
Sources API keeps them.

Adding one makes a ``card_...`` with the testing card's details under the customer
(``customer.source.created``); a customer who had no default source gets this one
(``customer.updated`` with ``default_source`` in its previous attributes). Updating it
(metadata, name, address) emits ``customer.source.updated``. :func:`add_source` is for
other behaviours (a new customer created with ``source``).
"""

from __future__ import annotations

from typing import Any

from ..rest import build, spec, store
from ..rest.engine import Behaviour, Engine, Request
from ..stripe_errors import ResourceMissing
from . import test_methods

__all__ = ["BEHAVIOURS", "add_source"]


def create_source(engine: Engine, request: Request) -> Any:
    given = request.params.get("source")
    if not (isinstance(given, str) and test_methods.is_test_name(given)):
        body = engine.generic(request)
        with engine.sandbox.transaction():
            _become_default(engine, request, request.first_id, str(body["id"]))
        return body
    engine.require(request.caller, "customer", write=True)
    with engine.sandbox.transaction():
        customer = engine.load(request.caller, request.first_id, ("customer",))
        return add_source(engine, request, customer, given)


def add_source(
    engine: Engine, request: Request, customer: dict[str, Any], given: str
) -> dict[str, Any]:
    """Add the card a test token names (``tok_visa``) to ``customer``'s sources, making it
    the default source when it has none; returns the new card."""
    caller = request.caller
    card = test_methods.card_for_source(engine, request, given)
    card["customer"] = customer["id"]
    metadata = request.params.get("metadata")
    if isinstance(metadata, dict):
        card["metadata"] = metadata
    engine.record(caller, card, "created", request, parent="customer")
    store.add_child(engine.sandbox.db, caller.account, f"/v1/customers/{customer['id']}/sources",
                    str(card["id"]))  # fmt: skip
    _become_default(engine, request, str(customer["id"]), str(card["id"]))
    return card


def update_source(engine: Engine, request: Request) -> Any:
    caller = request.caller
    engine.require(caller, "customer", write=True)
    engine.load(caller, request.first_id, ("customer",))
    rows = store.children(engine.sandbox.db, caller.account,
                          f"/v1/customers/{request.first_id}/sources")  # fmt: skip
    body = next((row for row in rows if row.get("id") == request.object_id), None)
    if body is None:
        raise ResourceMissing("source", request.object_id)
    resource = spec.resource_of_object(str(body.get("object")))
    assert resource is not None  # a card, a bank account or a source
    previous = build.apply(body, spec.schema(resource.name), request.params)
    if previous:
        with engine.sandbox.transaction():
            engine.record(caller, body, "updated", request, previous=previous, parent="customer")
    return body


def _become_default(engine: Engine, request: Request, customer_id: str, source: str) -> None:
    customer = engine.load(request.caller, customer_id, ("customer",))
    if customer.get("default_source"):
        return
    customer["default_source"] = source
    engine.record(request.caller, customer, "updated", request,
                  previous={"default_source": None})  # fmt: skip


BEHAVIOURS: dict[str, Behaviour] = {
    "PostCustomersCustomerSources": create_source,
    "PostCustomersCustomerSourcesId": update_source,
}
