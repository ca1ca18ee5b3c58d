"""Subscriptions: a customer billed every period for its items' recurring prices.

Creating one emits ``customer.subscription.created`` and invoices its first period at
once (subscription_billing.py): the invoice paid, it is ``active``; unpaid (no payment
method, a decline), ``incomplete``, as Stripe's default ``allow_incomplete`` leaves it.
A trial (``trial_period_days``, or ``trial_end`` a timestamp) makes it ``trialing`` with a
zero invoice, and ``customer.subscription.trial_will_end`` when the trial ends within
three days (Stripe sends it three days before the end).

Ending a trial (``trial_end=now``, or a test clock passing it) starts a paid period: an
invoice, ``active``; without a payment method, ``trial_settings[end_behavior]
[missing_payment_method]`` decides: ``pause`` makes it ``paused``
(``customer.subscription.updated`` then ``customer.subscription.paused``; ``/resume``
makes it ``active`` again, ``customer.subscription.resumed``), ``cancel`` cancels it.
Any other update emits ``customer.subscription.updated`` with ``previous_attributes``;
``DELETE`` cancels it: ``canceled``, ``customer.subscription.deleted``.

Time for a subscription is its customer's: a test clock's frozen time when the customer
is on one (test_clocks.py moves it, renewing periods through ``advance``).
"""

from __future__ import annotations

import copy
from typing import Any

from ..rest import build, spec, store
from ..rest.engine import Behaviour, Engine, Request
from ..stripe_errors import InvalidRequest
from . import billing_periods, subscription_billing, subscription_items

__all__ = ["BEHAVIOURS", "advance", "cancel", "start"]

_TRIAL_WARNING = billing_periods.days(3)
"""Stripe sends trial_will_end three days before a trial ends."""
_HANDLED = frozenset({
    "customer", "items", "trial_end", "trial_period_days", "trial_from_plan", "expand",
    "payment_behavior", "proration_behavior", "proration_date", "billing_cycle_anchor",
    "off_session", "cancel_at_period_end", "backdate_start_date", "add_invoice_items",
})  # fmt: skip
"""Parameters this module reads itself; the others set the field they name."""
_LIVE = ("active", "trialing", "past_due", "unpaid", "incomplete", "paused")


def start(
    engine: Engine,
    request: Request,
    params: dict[str, Any],
    *,
    schedule: str | None = None,
) -> dict[str, Any]:
    """Make, emit and invoice a new subscription from ``params`` (a create's, or a
    subscription schedule's phase); returns it as stored."""
    caller = request.caller
    customer_id = params.get("customer")
    if not isinstance(customer_id, str) or not customer_id:
        raise InvalidRequest(
            "Missing required param: customer. Give the id of the customer (cus_...) to subscribe.",
            param="customer",
            code="parameter_missing",
        )
    customer = subscription_items.named(engine, request, customer_id, "customer", "customer")
    given_items = params.get("items")
    if not isinstance(given_items, list) or not given_items:
        raise InvalidRequest(
            "Missing required param: items. Give at least one item: items[0][price]=price_...",
            param="items",
            code="parameter_missing",
        )
    now = billing_periods.now_for(engine, request, customer)
    trial_end = _trial_end(params, now)
    resource = spec.resource("subscription")
    assert resource is not None  # the spec has subscriptions
    settable = {k: v for k, v in params.items() if k not in _HANDLED}
    subscription = engine.new(resource, {**settable, "customer": customer_id}, caller)
    with engine.sandbox.transaction():
        items = [
            subscription_items.make_item(engine, request, subscription["id"], each, f"items[{i}]")
            for i, each in enumerate(given_items)
        ]
        first_price = items[0]["price"]
        interval, count = billing_periods.period_of(first_price)
        period_end = trial_end or billing_periods.next_period_end(now, interval, count)
        subscription.update(
            billing_cycle_anchor=period_end if trial_end else now,
            cancel_at_period_end=bool(params.get("cancel_at_period_end")),
            created=now,
            currency=first_price.get("currency"),
            current_period_start=now,
            current_period_end=period_end,
            items=subscription_items.items_list(subscription["id"], items),
            schedule=schedule,
            start_date=now,
            test_clock=billing_periods.clock_of(engine, request, customer),
            trial_start=now if trial_end else None,
            trial_end=trial_end,
        )
        paying = subscription_billing.can_pay(engine, request, {**subscription, "status": ""})
        # Stripe's event reads as the subscription is once its first invoice is paid.
        subscription["status"] = "trialing" if trial_end else "active" if paying else "incomplete"
        engine.record(caller, subscription, "created", request)
        # GET /v1/customers/{customer}/subscriptions lists every one of the customer's.
        listed = f"/v1/customers/{customer_id}/subscriptions"
        store.add_child(engine.sandbox.db, caller.account, listed, subscription["id"])
        paid = subscription_billing.invoice_period(
            engine, request, subscription, "subscription_create"
        )
        if not paid and subscription["status"] == "active":
            subscription["status"] = "incomplete"
        engine.record(caller, subscription, "invoiced", request)  # stored, no event
        if trial_end is not None and trial_end - now <= _TRIAL_WARNING:
            engine.record(caller, subscription, "trial_will_end", request)
    return subscription


def _trial_end(params: dict[str, Any], now: int) -> int | None:
    """When a new subscription's trial ends (None: no trial)."""
    trial_end = params.get("trial_end")
    if trial_end == "now":
        return None
    if isinstance(trial_end, int):
        if trial_end <= now:
            raise InvalidRequest(
                f"Invalid timestamp: trial_end ({trial_end}) must be in the future (after "
                f"{now}), or `now` to start without a trial.",
                param="trial_end",
            )
        return trial_end
    days = params.get("trial_period_days")
    if isinstance(days, int) and days > 0:
        return now + billing_periods.days(days)
    return None


def create(engine: Engine, request: Request) -> Any:
    engine.require(request.caller, "subscription", write=True)
    return start(engine, request, dict(request.params))


def create_for_customer(engine: Engine, request: Request) -> Any:
    """``POST /v1/customers/{customer}/subscriptions``: the same, the customer in the path."""
    return create(engine, request.with_params(customer=request.first_id))


def update(engine: Engine, request: Request) -> Any:
    caller = request.caller
    engine.require(caller, "subscription", write=True)
    subscription = engine.load(caller, request.object_id, ("subscription",))
    params = request.params
    if subscription.get("status") in ("canceled", "incomplete_expired"):
        _refuse_change_of_ended(subscription, params)
    before = copy.deepcopy(subscription)
    with engine.sandbox.transaction():
        settable = {k: v for k, v in params.items() if k not in _HANDLED}
        if "cancel_at_period_end" in params:
            settable["cancel_at_period_end"] = bool(params["cancel_at_period_end"])
        build.apply(subscription, spec.schema("subscription"), settable)
        if isinstance(params.get("items"), list):
            subscription_items.update_items(engine, request, subscription, params["items"])
        trial_end = params.get("trial_end")
        now = _now_of(engine, request, subscription)
        if trial_end == "now" or (isinstance(trial_end, int) and trial_end <= now):
            if subscription.get("status") == "trialing":
                return _end_trial(engine, request, subscription, before, now)
            subscription["trial_end"] = now if subscription.get("trial_end") else None
        elif isinstance(trial_end, int):
            subscription.update(trial_end=trial_end, current_period_end=trial_end)
            if subscription.get("status") == "trialing":
                subscription["billing_cycle_anchor"] = trial_end
        _emit_changes(engine, request, subscription, before)
    return subscription


def _refuse_change_of_ended(subscription: dict[str, Any], params: dict[str, Any]) -> None:
    others = sorted(set(params) - {"metadata", "cancellation_details", "expand"})
    if others:
        raise InvalidRequest(
            f"A canceled subscription can only update its cancellation_details and metadata "
            f"(not {', '.join(others)}): create a new subscription for {subscription['customer']}.",
            param=others[0],
        )


def _emit_changes(
    engine: Engine, request: Request, subscription: dict[str, Any], before: dict[str, Any]
) -> None:
    """``customer.subscription.updated`` with the fields that changed, as they were."""
    previous = {k: before.get(k) for k in subscription if subscription[k] != before.get(k)}
    if previous:
        engine.record(request.caller, subscription, "updated", request, previous=previous)
    else:
        engine.record(request.caller, subscription, "unchanged", request)


def _now_of(engine: Engine, request: Request, subscription: dict[str, Any]) -> int:
    customer = {"test_clock": subscription.get("test_clock")}
    return billing_periods.now_for(engine, request, customer)


def _end_trial(
    engine: Engine,
    request: Request,
    subscription: dict[str, Any],
    before: dict[str, Any],
    now: int,
    reason: str = "subscription_update",
) -> dict[str, Any]:
    """A trial ends at ``now``: a paid period starts, or (no payment method) the trial
    settings pause or cancel the subscription."""
    subscription["trial_end"] = now
    paying = subscription_billing.can_pay(engine, request, {**subscription, "status": ""})
    settings = (subscription.get("trial_settings") or {}).get("end_behavior") or {}
    missing = settings.get("missing_payment_method", "create_invoice")
    if not paying and missing == "pause":
        subscription["status"] = "paused"
        _emit_changes(engine, request, subscription, before)
        engine.record(request.caller, subscription, "paused", request)
        return subscription
    if not paying and missing == "cancel":
        return cancel(engine, request, subscription, now)
    _start_period(engine, request, subscription, now, before, reason)
    return subscription


def _start_period(
    engine: Engine,
    request: Request,
    subscription: dict[str, Any],
    start_at: int,
    before: dict[str, Any],
    reason: str = "subscription_update",
) -> None:
    """A new billing period from ``start_at``: emitted, invoiced; ``past_due`` unpaid."""
    interval, count = billing_periods.period_of(_first_price(subscription))
    subscription.update(
        current_period_start=start_at,
        current_period_end=billing_periods.next_period_end(start_at, interval, count),
        status="active",
    )
    if before.get("status") in ("trialing", "paused"):
        subscription["billing_cycle_anchor"] = start_at
    _emit_changes(engine, request, subscription, before)
    if not subscription_billing.invoice_period(engine, request, subscription, reason):
        subscription["status"] = "past_due"
    engine.record(request.caller, subscription, "invoiced", request)


def _first_price(subscription: dict[str, Any]) -> dict[str, Any]:
    data = (subscription.get("items") or {}).get("data") or [{}]
    price = data[0].get("price")
    return price if isinstance(price, dict) else {}


def cancel(
    engine: Engine, request: Request, subscription: dict[str, Any], now: int | None = None
) -> dict[str, Any]:
    """End a subscription now: ``canceled``, ``customer.subscription.deleted``."""
    if subscription.get("status") == "canceled":
        raise InvalidRequest(
            f"The subscription {subscription['id']} is already canceled; there is nothing "
            "left to cancel (create a new one to bill the customer again).",
        )
    when = _now_of(engine, request, subscription) if now is None else now
    subscription.update(canceled_at=when, ended_at=when, status="canceled")
    if "cancellation_details" in subscription:
        subscription["cancellation_details"] = {
            "comment": None, "feedback": None, "reason": "cancellation_requested",
        }  # fmt: skip
    with engine.sandbox.transaction():
        engine.record(request.caller, subscription, "deleted", request)
    return subscription


def delete(engine: Engine, request: Request) -> Any:
    engine.require(request.caller, "subscription", write=True)
    subscription = engine.load(request.caller, request.object_id, ("subscription",))
    return cancel(engine, request, subscription)


def resume(engine: Engine, request: Request) -> Any:
    """``/resume`` of a paused subscription: a new period from now, invoiced."""
    engine.require(request.caller, "subscription", write=True)
    subscription = engine.load(request.caller, request.object_id, ("subscription",))
    if subscription.get("status") != "paused":
        raise InvalidRequest(
            f"The subscription {subscription['id']} is {subscription.get('status')}: only a "
            "subscription with status `paused` can be resumed.",
        )
    before = copy.deepcopy(subscription)
    with engine.sandbox.transaction():
        _start_period(engine, request, subscription, _now_of(engine, request, subscription),
                      before)  # fmt: skip
        engine.record(request.caller, subscription, "resumed", request)
    return subscription


def advance(
    engine: Engine, request: Request, subscription: dict[str, Any], since: int, until: int
) -> None:
    """What happens to a subscription while its test clock moves from ``since`` to
    ``until``: the trial warning, the trial's end, each period renewed and invoiced, a
    cancellation at the period's end; in time order."""
    trial_end = subscription.get("trial_end")
    if subscription.get("status") == "trialing" and isinstance(trial_end, int):
        warn_at = trial_end - _TRIAL_WARNING
        if since < warn_at <= until:
            engine.record(request.caller, subscription, "trial_will_end", request)
    while subscription.get("status") in _LIVE:
        before = copy.deepcopy(subscription)
        if subscription["status"] == "trialing":
            if not isinstance(trial_end, int) or trial_end > until:
                return
            _end_trial(engine, request, subscription, before, trial_end, "subscription_cycle")
            continue
        period_end = subscription.get("current_period_end")
        if subscription["status"] not in ("active", "past_due") or not isinstance(
            period_end, int
        ) or period_end > until:  # fmt: skip
            return
        if subscription.get("cancel_at_period_end"):
            cancel(engine, request, subscription, period_end)
            return
        _start_period(engine, request, subscription, period_end, before, "subscription_cycle")


BEHAVIOURS: dict[str, Behaviour] = {
    "PostSubscriptions": create,
    "PostCustomersCustomerSubscriptions": create_for_customer,
    "PostSubscriptionsSubscriptionExposedId": update,
    "PostCustomersCustomerSubscriptionsSubscriptionExposedId": update,
    "DeleteSubscriptionsSubscriptionExposedId": delete,
    "DeleteCustomersCustomerSubscriptionsSubscriptionExposedId": delete,
    "PostSubscriptionsSubscriptionResume": resume,
}
