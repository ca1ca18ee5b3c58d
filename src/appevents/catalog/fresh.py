"""Fresh, self-consistent objects for events, built from Stripe's samples and schema facts.

Stripe's sample objects (``samples.json``) show every field a resource has, but their
values are placeholders: ``obj_123`` ids, 2009 timestamps, a ``canceled_at`` on an intent
that was never canceled, a ``last_payment_error`` on one that never failed. A handler tested
against them takes branches production never takes. :func:`fresh_object` keeps the shape
and replaces the values: new ids (one new id per old one, so references inside the object
still agree), ``created`` now, and every field Stripe's OpenAPI description marks nullable
set to null, as on an object that has just been made. :func:`event_object` then applies what
the event's name says happened (``payment_intent.succeeded``: status ``succeeded``, the
whole amount received, a charge and a payment method), and the caller's own values last.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from ._data import load
from .samples import sample_object

__all__ = ["event_object", "fresh_object"]

NewId = Callable[[str], str]
"""Makes a fresh id from a prefix (``"pi"`` -> ``"pi_…"``)."""

# An object id: a lowercase prefix, then letters and digits with at least one digit (which
# tells ``cus_123`` from a value such as ``requires_payment_method``).
_ID = re.compile(r"^([a-z]+(?:_[a-z]+)*)_(?=[A-Za-z]*[0-9])[A-Za-z0-9]+$")
# The samples' placeholder time (2009-02-13), wherever a timestamp the schema does not
# mark as one (or a resource newer than the schema) holds it.
SAMPLE_TIME = 1234567890
# Ids of Stripe's own fixed catalogues, the same in every account: not renewed.
_SHARED_ID_PREFIXES = {"txcd"}

# Resources whose sample id is a placeholder (``obj_123``): the prefix Stripe gives them.
_ID_PREFIXES = {"application": "ca"}

# Event verbs that name a status other than themselves.
_VERB_STATUS = {
    "payment_failed": "requires_payment_method",
    "amount_capturable_updated": "requires_capture",
    "captured": "succeeded",
    "refunded": "succeeded",
    "failed": "failed",
}

_NONE: frozenset[str] = frozenset()
# What a charge that went through has (the sample's values are Stripe's card example).
_PAID_CHARGE = frozenset({"outcome", "payment_method_details"})
# Stripe's outcomes for its 4242 and generic-decline test cards.
_AUTHORIZED = {
    "network_status": "approved_by_network",
    "reason": None,
    "risk_level": "normal",
    "seller_message": "Payment complete.",
    "type": "authorized",
}
_ISSUER_DECLINED = {
    "network_status": "declined_by_network",
    "reason": "generic_decline",
    "risk_level": "normal",
    "seller_message": "The bank did not return any further details with this decline.",
    "type": "issuer_declined",
}

# Stripe's answer for its generic declined test card (docs: testing#declined-payments).
_DECLINED = {
    "type": "card_error",
    "code": "card_declined",
    "decline_code": "generic_decline",
    "message": "Your card was declined.",
    "doc_url": "https://stripe.com/docs/error-codes/card-declined",
}


def facts(resource: str) -> Mapping[str, list[str]]:
    """The schema facts of ``resource`` (nullable, timestamps, statuses); empty for a
    resource newer than the shipped OpenAPI description."""
    objects: dict[str, dict[str, list[str]]] = load("objects.json")["objects"]
    return objects.get(resource, {})


def fresh_object(
    resource: str,
    *,
    now: int,
    new_id: NewId,
    livemode: bool = False,
    keep: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """A just-made ``resource`` object: the sample's shape with fresh values; the nullable
    fields named in ``keep`` keep the sample's value (a state that implies them)."""
    sample = sample_object(resource)
    known = facts(resource)
    for path in known.get("nullable", ()):
        if path not in keep:
            _set_null(sample, path.split("."))
    for name in known.get("timestamps", ()):
        if sample.get(name) is not None:
            sample[name] = now
    renamed: dict[str, str] = {}
    if resource in _ID_PREFIXES and isinstance(sample.get("id"), str):
        renamed[sample["id"]] = new_id(_ID_PREFIXES[resource])
    fresh: dict[str, Any] = _renew(sample, renamed, new_id, now)
    if "livemode" in fresh:
        fresh["livemode"] = livemode
    if isinstance(fresh.get("metadata"), dict):
        fresh["metadata"] = {}
    return fresh


def event_object(
    event_type: str,
    resource: str,
    *,
    given: Mapping[str, Any],
    now: int,
    new_id: NewId,
    livemode: bool = False,
) -> dict[str, Any]:
    """The object an ``event_type`` event carries: fresh, in the state the event's name
    says, with ``given`` applied last (and the amounts it implies kept consistent)."""
    verb = event_type.rsplit(".", 1)[-1]
    keep = _PAID_CHARGE if resource == "charge" and verb not in ("failed", "pending") else _NONE
    obj = fresh_object(resource, now=now, new_id=new_id, livemode=livemode, keep=keep)
    statuses = facts(resource).get("statuses", [])
    status = verb if verb in statuses else _VERB_STATUS.get(verb)
    if status in statuses:
        obj["status"] = status
    if verb == "canceled" and "canceled_at" in obj:
        obj["canceled_at"] = now
    if resource == "payment_intent":
        _payment_intent(obj, verb, new_id)
    elif resource == "charge":
        _charge(obj, verb, new_id)
    elif resource == "invoice" and obj.get("status") == "paid":
        obj.update(amount_paid=obj["amount_due"], amount_remaining=0, attempted=True)
        if "paid" in obj:
            obj["paid"] = True
    obj.update(given)
    _keep_amounts_consistent(obj, given)
    return obj


def _payment_intent(obj: dict[str, Any], verb: str, new_id: NewId) -> None:
    if obj.get("status") == "succeeded":
        obj.update(amount_received=obj["amount"], amount_capturable=0)
        obj["latest_charge"] = new_id("ch")
        obj["payment_method"] = new_id("pm")
    elif obj.get("status") == "requires_capture":
        obj.update(amount_capturable=obj["amount"], capture_method="manual")
        obj["latest_charge"] = new_id("ch")
        obj["payment_method"] = new_id("pm")
    elif verb == "payment_failed":
        obj["last_payment_error"] = dict(_DECLINED)
    elif obj.get("status") == "requires_action":
        obj["next_action"] = {"type": "use_stripe_sdk", "use_stripe_sdk": {}}
        obj["payment_method"] = new_id("pm")


def _charge(obj: dict[str, Any], verb: str, new_id: NewId) -> None:
    obj["payment_intent"] = new_id("pi")
    obj["payment_method"] = new_id("pm")
    if obj.get("status") == "failed":
        obj.update(
            paid=False,
            captured=False,
            amount_captured=0,
            failure_code="card_declined",
            failure_message=_DECLINED["message"],
            balance_transaction=None,
            outcome=_outcome(obj, _ISSUER_DECLINED),
        )
        return
    obj.update(paid=True, balance_transaction=new_id("txn"), outcome=_outcome(obj, _AUTHORIZED))
    if verb != "pending":
        obj.update(captured=True, amount_captured=obj["amount"])
    if verb == "refunded":
        obj.update(refunded=True, amount_refunded=obj["amount"])


def _outcome(charge: dict[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """The charge's ``outcome`` with every field its sample shows, set to ``values``."""
    shape = charge.get("outcome") or {}
    return {**dict.fromkeys(shape), **values}


def _keep_amounts_consistent(obj: dict[str, Any], given: Mapping[str, Any]) -> None:
    """One amount given, the other derived: a succeeded intent received all of it."""
    if obj.get("object") == "payment_intent" and obj.get("status") == "succeeded":
        if "amount" in given and "amount_received" not in given:
            obj["amount_received"] = given["amount"]
        elif "amount_received" in given and "amount" not in given:
            obj["amount"] = given["amount_received"]
    if obj.get("object") == "charge" and obj.get("captured"):
        if "amount" in given and "amount_captured" not in given:
            obj["amount_captured"] = given["amount"]
        if obj.get("refunded") and "amount" in given and "amount_refunded" not in given:
            obj["amount_refunded"] = given["amount"]


def _set_null(obj: dict[str, Any], path: list[str]) -> None:
    for name in path[:-1]:
        inner = obj.get(name)
        if not isinstance(inner, dict):
            return
        obj = inner
    if path[-1] in obj:
        obj[path[-1]] = None


def _renew(value: Any, renamed: dict[str, str], new_id: NewId, now: int, key: str = "") -> Any:
    """``value`` with its ids replaced (consistently) and nested ``created`` set to now."""
    if isinstance(value, dict):
        return {k: _renew(v, renamed, new_id, now, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_renew(v, renamed, new_id, now, key) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return now if key == "created" or value == SAMPLE_TIME else value
    if isinstance(value, str):
        match = _ID.match(value)
        if match and match[1] not in _SHARED_ID_PREFIXES:
            if value not in renamed:
                renamed[value] = new_id(match[1])
            return renamed[value]
        if "_" in value and renamed:
            for old, new in renamed.items():
                value = value.replace(old, new)
    return value
