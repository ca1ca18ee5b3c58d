"""Creating and updating Stripe objects through the API, with the events Stripe emits.

Customers, products, prices, payment intents (confirm included) and setup intents. New
objects have every field of Stripe's sample for their resource, with fresh values and the
nullable ones null (``catalog.fresh``); parameters are converted to the sample field's type.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import catalog
from ..catalog.fresh import event_object, fresh_object
from .formdata import as_bool, as_int, as_metadata, as_str
from .state import events
from .stripe_errors import InvalidRequest

if TYPE_CHECKING:
    from .callers import Caller
    from .service import Sandbox

__all__ = ["RESOURCES", "Resource", "confirm", "create", "delete", "update"]


@dataclass(frozen=True, slots=True)
class Resource:
    object_type: str
    prefix: str
    required: tuple[str, ...] = ()
    deletable: bool = False


RESOURCES = {
    "customers": Resource("customer", "cus", deletable=True),
    "products": Resource("product", "prod", required=("name",), deletable=True),
    "prices": Resource("price", "price", required=("currency",)),
    "payment_intents": Resource("payment_intent", "pi", required=("amount", "currency")),
    "setup_intents": Resource("setup_intent", "seti"),
}

_IMMUTABLE = {"id", "object", "created", "livemode"}


def create(
    sandbox: Sandbox, caller: Caller, path: str, params: dict[str, Any], request_id: str
) -> dict[str, Any]:
    resource = _resource(path)
    caller.require(resource.object_type, write=True)
    for name in resource.required:
        if name not in params:
            raise InvalidRequest(f"Missing required param: {name}.", param=name)
    if resource.object_type == "price" and not {"unit_amount", "custom_unit_amount"} & set(params):
        raise InvalidRequest("Missing required param: unit_amount.", param="unit_amount")
    body = _fresh(sandbox, resource.object_type)
    body.update(_converted(_sample(resource.object_type), params, resource))
    body.update(
        id=sandbox.ids.new(resource.prefix, 14),
        object=resource.object_type,
        created=sandbox.now(),
        livemode=caller.livemode,
    )
    if resource.object_type == "payment_intent":
        waiting = (
            "requires_confirmation" if "payment_method" in params else "requires_payment_method"
        )
        body.update(status=waiting, amount_received=0, latest_charge=None, client_secret=None)
    if resource.object_type == "setup_intent":
        body.update(status="requires_payment_method", client_secret=None)
    with sandbox.transaction():
        sandbox.emit(
            caller.account,
            caller.livemode,
            f"{resource.object_type}.created",
            body,
            request_id=request_id,
        )
        if params.get("confirm") in ("true", True):
            body = confirm(sandbox, caller, path, body["id"], {}, request_id)
    return body


def update(
    sandbox: Sandbox,
    caller: Caller,
    path: str,
    object_id: str,
    params: dict[str, Any],
    request_id: str,
) -> dict[str, Any]:
    resource = _resource(path)
    caller.require(resource.object_type, write=True)
    current = events.get_object(sandbox.db, caller.account, resource.object_type, object_id)
    changes = _converted(_sample(resource.object_type), params, resource)
    if "metadata" in changes:
        merged = {**current.get("metadata", {}), **changes["metadata"]}
        changes["metadata"] = {k: v for k, v in merged.items() if v != ""}
    previous = {k: current.get(k) for k, v in changes.items() if current.get(k) != v}
    updated = {**current, **changes}
    if previous:
        sandbox.emit(
            caller.account,
            caller.livemode,
            f"{resource.object_type}.updated",
            updated,
            previous_attributes=previous,
            request_id=request_id,
        )
    return updated


def delete(
    sandbox: Sandbox, caller: Caller, path: str, object_id: str, request_id: str
) -> dict[str, Any]:
    resource = _resource(path)
    if not resource.deletable:
        raise InvalidRequest(f"{resource.object_type} objects cannot be deleted")
    caller.require(resource.object_type, write=True)
    current = events.get_object(sandbox.db, caller.account, resource.object_type, object_id)
    with sandbox.transaction() as db:
        sandbox.emit(
            caller.account,
            caller.livemode,
            f"{resource.object_type}.deleted",
            current,
            request_id=request_id,
        )
        db.execute("DELETE FROM objects WHERE account = ? AND id = ?", (caller.account, object_id))
    return {"id": object_id, "object": resource.object_type, "deleted": True}


def confirm(
    sandbox: Sandbox,
    caller: Caller,
    path: str,
    object_id: str,
    params: dict[str, Any],
    request_id: str,
) -> dict[str, Any]:
    """Confirm a payment intent (a charge succeeds) or a setup intent, as a test card would."""
    resource = _resource(path)
    if resource.object_type not in ("payment_intent", "setup_intent"):
        raise InvalidRequest(f"{resource.object_type} objects cannot be confirmed")
    caller.require(resource.object_type, write=True)
    intent = events.get_object(sandbox.db, caller.account, resource.object_type, object_id)
    if intent.get("status") == "succeeded":
        raise InvalidRequest(
            f"This {resource.object_type.replace('_', ' ')} has already succeeded and cannot be "
            "confirmed again",
            code=f"{resource.object_type}_unexpected_state",
        )
    method = (
        params.get("payment_method") or intent.get("payment_method") or sandbox.ids.new("pm", 14)
    )
    with sandbox.transaction():
        if resource.object_type == "setup_intent":
            done = {**intent, "status": "succeeded", "payment_method": method}
            sandbox.emit(
                caller.account,
                caller.livemode,
                "setup_intent.succeeded",
                done,
                request_id=request_id,
            )
            return done
        charge = event_object(
            "charge.succeeded",
            "charge",
            given={},
            now=sandbox.now(),
            new_id=lambda prefix: sandbox.ids.new(prefix, 14),
        )
        charge.update(
            id=sandbox.ids.new("ch", 14),
            created=sandbox.now(),
            livemode=caller.livemode,
            amount=intent["amount"],
            amount_captured=intent["amount"],
            amount_refunded=0,
            currency=intent["currency"],
            customer=intent.get("customer"),
            payment_intent=intent["id"],
            payment_method=method,
            status="succeeded",
            paid=True,
            captured=True,
            refunded=False,
        )
        done = {
            **intent,
            "status": "succeeded",
            "amount_received": intent["amount"],
            "latest_charge": charge["id"],
            "payment_method": method,
        }
        sandbox.emit(
            caller.account, caller.livemode, "charge.succeeded", charge, request_id=request_id
        )
        sandbox.emit(
            caller.account, caller.livemode, "payment_intent.succeeded", done, request_id=request_id
        )
    return done


def _fresh(sandbox: Sandbox, object_type: str) -> dict[str, Any]:
    """A just-made object: the sample's shape, none of its placeholder values."""
    return fresh_object(
        object_type, now=sandbox.now(), new_id=lambda prefix: sandbox.ids.new(prefix, 14)
    )


_SAMPLES: dict[str, str] = {}


def _sample(object_type: str) -> dict[str, Any]:
    """A copy of the catalog's sample, whose values' types type the form's parameters:
    decoding its JSON is a few times faster than the catalog's deep copy."""
    text = _SAMPLES.get(object_type)
    if text is None:
        text = _SAMPLES[object_type] = json.dumps(catalog.sample_object(object_type))
    sample: dict[str, Any] = json.loads(text)
    return sample


def _resource(path: str) -> Resource:
    try:
        return RESOURCES[path]
    except KeyError:
        raise InvalidRequest(
            f"Creating {path} is not supported by the sandbox: it creates "
            f"{', '.join(RESOURCES)}; other objects come from `appevents trigger`"
        ) from None


def _converted(
    template: dict[str, Any], params: dict[str, Any], resource: Resource
) -> dict[str, Any]:
    """Parameters typed like the template's fields (Stripe's API is form-encoded)."""
    result: dict[str, Any] = {}
    for name, value in params.items():
        if name in _IMMUTABLE or name in ("confirm", "expand"):
            continue
        sample = template.get(name)
        if isinstance(sample, bool):
            result[name] = as_bool(value, name)
        elif isinstance(sample, int) or name in ("amount", "unit_amount"):
            result[name] = as_int(value, name, minimum=0)
        elif name == "metadata":
            result[name] = as_metadata(value)
        elif isinstance(sample, str):
            result[name] = as_str(value, name)
        else:
            result[name] = value
    if (
        resource.object_type == "price"
        and "unit_amount" not in result
        and "custom_unit_amount" not in params
    ):
        raise InvalidRequest("Missing required param: unit_amount.", param="unit_amount")
    return result
