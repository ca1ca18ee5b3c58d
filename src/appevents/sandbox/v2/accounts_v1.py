"""A v2 account is a v1 account too (Stripe's accounts are one, seen through two APIs): the
same ``acct_…``, a connected account of the platform that created it, so ``Stripe-Account``
and every v1 call work on it. Its v1 fields follow the v2 ones:

=========================  ===========================================================
v1 ``account``             from the v2 account
=========================  ===========================================================
``email``                  ``contact_email``
``business_profile.name``  ``display_name``
``business_profile.url``   ``defaults.profile.business_url``
``country``                ``identity.country``, upper case (``US`` until it is given)
``default_currency``       ``defaults.currency`` (``usd`` until it is given)
``type``                   ``dashboard``: ``full`` standard, ``express`` express, else custom
``metadata``               ``metadata``
``charges_enabled``        the merchant's ``card_payments`` capability is ``active``
``payouts_enabled``        a ``stripe_balance.payouts`` capability is ``active``
``details_submitted``      no requirements are due
=========================  ===========================================================

A v2 change that changes these emits v1's ``account.updated`` on the account, with the
changed fields in ``previous_attributes``, as Stripe sends both.
"""

from __future__ import annotations

from typing import Any

from ..service import Sandbox
from ..state import accounts
from .accounts_model import capability_statuses

__all__ = ["create_v1", "sync_v1"]

_TYPES = {"full": "standard", "express": "express"}


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    identity = body.get("identity") or {}
    defaults = body.get("defaults") or {}
    profile = defaults.get("profile") or {}
    statuses = capability_statuses(body)
    return {
        "business_profile": {"name": body.get("display_name"), "url": profile.get("business_url")},
        "country": (identity.get("country") or "US").upper(),
        "default_currency": (defaults.get("currency") or "usd").lower(),
        "email": body.get("contact_email"),
        "metadata": dict(body.get("metadata") or {}),
        "type": _TYPES.get(body.get("dashboard") or "", "custom"),
        "charges_enabled": not body["closed"]
        and statuses.get(("merchant", "card_payments")) == "active",
        "payouts_enabled": not body["closed"]
        and any(s == "active" for (_, c), s in statuses.items() if c == "stripe_balance.payouts"),
        "details_submitted": not (body.get("requirements") or {}).get("entries"),
    }


def create_v1(sandbox: Sandbox, platform: str, body: dict[str, Any]) -> str:
    """The v1 account (with its keys) a new v2 account is: its id."""
    fields = _fields(body)
    created = sandbox.create_account(platform, {
        "business_profile": fields["business_profile"],
        "country": fields["country"], "default_currency": fields["default_currency"],
        "email": fields["email"], "metadata": fields["metadata"], "type": fields["type"],
    })  # fmt: skip
    v1 = accounts.get_account(sandbox.db, created["id"])
    v1.update({k: fields[k] for k in ("charges_enabled", "payouts_enabled", "details_submitted")})
    with sandbox.transaction() as db:
        accounts.save_account(db, v1)
    return str(created["id"])


def sync_v1(sandbox: Sandbox, body: dict[str, Any], request_id: str | None) -> None:
    """Carry the v2 account's changes to its v1 fields (``account.updated`` if any)."""
    v1 = accounts.get_account(sandbox.db, body["id"])
    previous: dict[str, Any] = {}
    for name, value in _fields(body).items():
        if name == "business_profile":
            merged = {**(v1.get(name) or {}), **value}
            if merged != v1.get(name):
                previous[name] = v1.get(name)
                v1[name] = merged
        elif v1.get(name) != value:
            previous[name] = v1.get(name)
            v1[name] = value
    if not previous:
        return
    with sandbox.transaction() as db:
        accounts.save_account(db, v1)
        sandbox.emit(body["id"], body["livemode"], "account.updated", v1,
                     previous_attributes=previous, request_id=request_id)  # fmt: skip
