"""Stripe's request rules, end to end against a real sandbox: raw HTTP (httpx) for the exact
status, error JSON and headers, the official library (``sandbox.client()``) for what a
user's code sees.

The rules: parameters checked (unknown, wrong type, missing, bad enum) on several resources;
idempotency keys; ``expand[]``; list filters and pagination; search; deleted stubs; the
``Request-Id`` and ``Stripe-Version`` headers; form values typed; the events an update
emits. A case the sandbox answers otherwise than Stripe is ``xfail(strict=True)`` with the
difference as its reason, so that fixing it turns the suite red until the mark goes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import stripe

from appevents import catalog
from appevents.sandbox.service import API_VERSION
from sandbox_fixtures import RunningSandbox, start

T0 = 1_800_000_000


def call(
    sandbox: RunningSandbox,
    method: str,
    path: str,
    data: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """One raw request with the sandbox's test key: form data for a POST, a query otherwise."""
    return httpx.request(
        method,
        sandbox.base + path,
        data=data,
        params=params,
        headers={"Authorization": f"Bearer {sandbox.key}", **(headers or {})},
    )


def created(sandbox: RunningSandbox, path: str, data: dict[str, Any]) -> dict[str, Any]:
    response = call(sandbox, "POST", path, data)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ids(answer: dict[str, Any]) -> list[str]:
    return [each["id"] for each in answer["data"]]


def event_types_of(sandbox: RunningSandbox) -> list[str]:
    """Every event the account has, oldest first."""
    listed = sandbox.get("/v1/events?limit=100")
    return [event["type"] for event in reversed(listed["data"])]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    """One sandbox for the cases that are refused before anything is stored."""
    server, running = start(str(tmp_path_factory.mktemp("rules") / "sandbox.db"))
    platform = server.platform()
    keys = platform["keys"]
    with running as base:
        yield RunningSandbox(server, base, keys["test"], keys["live"], str(platform["id"]))
    server.close()


@pytest.fixture
def clock(sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The sandbox's time, set by the test (``clock[0] = T0 + 10``)."""
    now = [float(T0)]
    monkeypatch.setattr(sandbox.server.sandbox, "clock", lambda: now[0])
    return now


# -- parameters: unknown, wrong type, missing, bad enum ---------------------------------------


@dataclass(frozen=True)
class Refused:
    """A request Stripe refuses before it runs, and its exact answer."""

    name: str
    path: str
    form: dict[str, str]
    error: dict[str, str]


def unknown(param: str, hint: str | None = None) -> dict[str, str]:
    message = f"Received unknown parameter: {param}" + (f". Did you mean {hint}?" if hint else "")
    return {
        "type": "invalid_request_error", "message": message, "param": param,
        "code": "parameter_unknown",
    }  # fmt: skip


def invalid(param: str, message: str, code: str | None = None) -> dict[str, str]:
    error = {"type": "invalid_request_error", "message": message, "param": param}
    return error | ({"code": code} if code else {})


def invalid_integer(param: str, value: str) -> dict[str, str]:
    return invalid(param, f"Invalid integer: {value}", "parameter_invalid_integer")


def missing(param: str) -> dict[str, str]:
    return invalid(param, f"Missing required param: {param}.", "parameter_missing")


PRICE = {"product": "{product}", "currency": "usd", "unit_amount": "500"}
INTENT = {"amount": "500", "currency": "usd"}

REFUSED = [
    # unknown, top level and nested, with Stripe's hint when a name is close
    Refused("customer-unknown", "/v1/customers", {"emial": "a@example.com"},
            unknown("emial", "email")),
    Refused("customer-unknown-nested", "/v1/customers", {"address[citty]": "Paris"},
            unknown("address[citty]", "city")),
    Refused("coupon-unknown", "/v1/coupons", {"percent_of": "5"},
            unknown("percent_of", "percent_off")),
    Refused("refund-unknown", "/v1/refunds", {"charge": "ch_1", "amont": "1"},
            unknown("amont", "amount")),
    Refused("subscription-unknown-in-list", "/v1/subscriptions",
            {"customer": "cus_1", "items[0][prise]": "price_1"},
            unknown("items[0][prise]", "price")),
    Refused("intent-unknown-without-hint", "/v1/payment_intents",
            {**INTENT, "zzzz": "1"}, unknown("zzzz")),
    # wrong types
    Refused("customer-integer", "/v1/customers", {"balance": "lots"},
            invalid_integer("balance", "lots")),
    Refused("intent-integer", "/v1/payment_intents", {"amount": "1.5", "currency": "usd"},
            invalid_integer("amount", "1.5")),
    Refused("subscription-integer-in-list", "/v1/subscriptions",
            {"customer": "cus_1", "items[0][quantity]": "two"},
            invalid_integer("items[0][quantity]", "two")),
    Refused("price-boolean", "/v1/prices", {**PRICE, "active": "yes"},
            invalid("active", "Invalid boolean: yes")),
    Refused("intent-boolean", "/v1/payment_intents", {**INTENT, "confirm": "1"},
            invalid("confirm", "Invalid boolean: 1")),
    Refused("coupon-decimal", "/v1/coupons", {"percent_off": "half"},
            invalid("percent_off", "Invalid decimal: half")),
    Refused("customer-object", "/v1/customers", {"address": "Paris"},
            invalid("address", "Invalid object")),
    Refused("customer-metadata-object", "/v1/customers", {"metadata": "x"},
            invalid("metadata", "Invalid object")),
    Refused("customer-array", "/v1/customers", {"preferred_locales": "fr"},
            invalid("preferred_locales", "Invalid array")),
    Refused("subscription-array", "/v1/subscriptions", {"customer": "cus_1", "items": "x"},
            invalid("items", "Invalid array")),
    # missing, top level and nested
    Refused("price-missing", "/v1/prices", {"product": "{product}", "unit_amount": "5"},
            missing("currency")),
    Refused("intent-missing", "/v1/payment_intents", {"amount": "500"}, missing("currency")),
    Refused("subscription-missing", "/v1/subscriptions", {"items[0][price]": "price_1"},
            missing("customer")),
    Refused("price-missing-nested", "/v1/prices", {**PRICE, "recurring[usage_type]": "metered"},
            missing("recurring[interval]")),
    Refused("customer-missing-in-list", "/v1/customers", {"tax_id_data[0][type]": "eu_vat"},
            missing("tax_id_data[0][value]")),
    # bad enum values
    Refused("customer-enum", "/v1/customers", {"tax_exempt": "maybe"},
            invalid("tax_exempt", "Invalid tax_exempt: must be one of exempt, none, or reverse")),
    Refused("customer-enum-nested", "/v1/customers",
            {"invoice_settings[rendering_options][amount_tax_display]": "x"},
            invalid("invoice_settings[rendering_options][amount_tax_display]",
                    "Invalid invoice_settings[rendering_options][amount_tax_display]: must be "
                    "one of exclude_tax or include_inclusive_tax")),
    Refused("price-enum-nested", "/v1/prices", {**PRICE, "recurring[interval]": "fortnight"},
            invalid("recurring[interval]",
                    "Invalid recurring[interval]: must be one of day, month, week, or year")),
    Refused("intent-enum", "/v1/payment_intents", {**INTENT, "capture_method": "later"},
            invalid("capture_method", "Invalid capture_method: must be one of automatic, "
                    "automatic_async, or manual")),
    Refused("coupon-enum", "/v1/coupons", {"percent_off": "5", "duration": "sometimes"},
            invalid("duration", "Invalid duration: must be one of forever, once, or repeating")),
    Refused("refund-enum", "/v1/refunds", {"charge": "ch_1", "reason": "because"},
            invalid("reason", "Invalid reason: must be one of duplicate, fraudulent, or "
                    "requested_by_customer")),
]  # fmt: skip


@pytest.mark.parametrize("case", REFUSED, ids=[case.name for case in REFUSED])
def test_a_wrong_parameter_is_refused_with_stripes_error(shared, case):
    product = created(shared, "/v1/products", {"name": "T-shirt"})["id"]
    form = {name: value.replace("{product}", product) for name, value in case.form.items()}
    before = event_types_of(shared)
    response = call(shared, "POST", case.path, form)
    assert (response.status_code, response.json()) == (400, {"error": case.error})
    assert event_types_of(shared) == before  # refused before anything ran


@dataclass(frozen=True)
class Unchecked:
    """A request naming an object that does not exist: Stripe's answer to it, and how the
    sandbox's differs (its xfail reason)."""

    name: str
    path: str
    form: dict[str, str]
    error: dict[str, str]
    reason: str | None
    """None: the sandbox answers as Stripe does."""

    def param(self) -> Any:
        marks = [] if self.reason is None else [pytest.mark.xfail(strict=True, reason=self.reason)]
        return pytest.param(self, id=self.name, marks=marks)


def no_such(kind: str, object_id: str, param: str) -> dict[str, str]:
    return {
        "type": "invalid_request_error", "message": f"No such {kind}: '{object_id}'",
        "param": param, "code": "resource_missing",
    }  # fmt: skip


UNCHECKED = [
    Unchecked("price-of-a-missing-product", "/v1/prices",
              {"product": "prod_missing", "currency": "usd", "unit_amount": "5"},
              no_such("product", "prod_missing", "product"),
              "the sandbox answers 404 with param 'id' (engine.load's ResourceMissing); Stripe "
              "answers 400 naming the parameter: param 'product'"),
    Unchecked("intent-of-a-missing-customer", "/v1/payment_intents",
              {**INTENT, "customer": "cus_missing"}, no_such("customer", "cus_missing", "customer"),
              "the sandbox answers 200, an intent naming a customer that does not exist"),
    Unchecked("subscription-of-a-missing-customer", "/v1/subscriptions",
              {"customer": "cus_missing", "items[0][price]": "price_missing"},
              no_such("customer", "cus_missing", "customer"), None),
    Unchecked("refund-of-a-missing-charge", "/v1/refunds", {"charge": "ch_missing"},
              no_such("charge", "ch_missing", "charge"),
              "the sandbox answers 200, a refund of amount 0 for a charge that does not exist"),
]  # fmt: skip


@pytest.mark.parametrize("case", [case.param() for case in UNCHECKED])
def test_a_parameter_naming_a_missing_object_is_refused(shared, case):
    response = call(shared, "POST", case.path, case.form)
    assert (response.status_code, response.json()) == (400, {"error": case.error})


def accepted(reason: str) -> Any:
    return pytest.mark.xfail(strict=True, reason=f"the sandbox answers 200: {reason}")


# Stripe's wording of these rules is not in its OpenAPI description: each case asserts the
# status and the error fields whose values Stripe's documentation gives.
@pytest.mark.parametrize(
    ("path", "form", "error"),
    [
        pytest.param("/v1/refunds", {"amount": "5"}, {"param": None}, id="refund-of-nothing"),
        pytest.param("/v1/coupons", {"percent_off": "5", "duration": "repeating"},
                     {"param": "duration_in_months"}, id="coupon-repeating-without-months"),
        pytest.param("/v1/coupons", {"duration": "once"}, {"param": None},
                     id="coupon-without-discount",
                     marks=pytest.mark.xfail(strict=True, reason="the sandbox answers 400 "
                     "naming param percent_off (parameter_missing); Stripe's answer names no "
                     "param")),
        pytest.param("/v1/payment_intents", {"amount": "-5", "currency": "usd"},
                     {"param": "amount"}, id="intent-negative-amount",),
        pytest.param("/v1/payment_intents", {"amount": "5", "currency": "usd"},
                     {"param": "amount", "code": "amount_too_small"}, id="intent-below-minimum",),
        pytest.param("/v1/payment_intents", {"amount": "500", "currency": "usdx"},
                     {"param": "currency"}, id="intent-unknown-currency",),
    ],
)  # fmt: skip
def test_stripe_refuses_what_the_sandbox_takes(shared, path, form, error):
    response = call(shared, "POST", path, form)
    got = response.json().get("error", {})
    expected = {"type": "invalid_request_error", **error}
    assert (response.status_code, {name: got.get(name) for name in expected}) == (400, expected)


def test_a_coupon_takes_the_id_it_is_given(shared):
    form = {"id": "SUMMER25", "percent_off": "25", "duration": "once"}
    assert created(shared, "/v1/coupons", form)["id"] == "SUMMER25"
    again = call(shared, "POST", "/v1/coupons", form)
    error = again.json().get("error", {})
    assert (again.status_code, error.get("code"), error.get("param")) == (
        400, "resource_already_exists", "id",
    )  # fmt: skip


def test_a_list_takes_one_cursor_only(shared):
    first = created(shared, "/v1/customers", {"email": "one@example.com"})["id"]
    second = created(shared, "/v1/customers", {"email": "two@example.com"})["id"]
    both = {"starting_after": second, "ending_before": first}
    response = call(shared, "GET", "/v1/customers", params=both)
    assert (response.status_code, response.json()) == (400, {"error": invalid(
        "ending_before",
        "You may only specify one of these parameters: ending_before, starting_after.",
    )})  # fmt: skip


@pytest.mark.xfail(
    strict=True,
    reason="the sandbox deletes a product that has a price (200, its stub); Stripe refuses "
    "to delete a product with user-created prices",
)
def test_a_product_with_prices_cannot_be_deleted(shared):
    product = created(shared, "/v1/products", {"name": "Priced"})["id"]
    created(shared, "/v1/prices", {**PRICE, "product": product})
    response = call(shared, "DELETE", f"/v1/products/{product}")
    assert (response.status_code, response.json()["error"]["type"]) == (
        400, "invalid_request_error",
    )  # fmt: skip
    assert shared.get(f"/v1/products/{product}")["id"] == product


def test_the_library_raises_invalid_request_error_with_stripes_body(shared):
    client = shared.client()
    with pytest.raises(stripe.InvalidRequestError) as unknown_name:
        client.v1.customers.create({"emial": "a@example.com"})
    assert (unknown_name.value.http_status, unknown_name.value.json_body) == (
        400, {"error": unknown("emial", "email")},
    )  # fmt: skip
    product = client.v1.products.create({"name": "Meter"})
    with pytest.raises(stripe.InvalidRequestError) as nested:
        client.v1.prices.create(
            {"product": product.id, "currency": "usd", "unit_amount": 5,
             "recurring": {"usage_type": "metered"}}
        )  # fmt: skip
    assert (nested.value.param, nested.value.code, nested.value.user_message) == (
        "recurring[interval]", "parameter_missing",
        "Missing required param: recurring[interval].",
    )  # fmt: skip


# -- idempotency keys -------------------------------------------------------------------------


def keyed(sandbox: RunningSandbox, path: str, data: dict[str, Any], key: str) -> httpx.Response:
    return call(sandbox, "POST", path, data, headers={"Idempotency-Key": key})


def idempotency_error(message: str) -> dict[str, Any]:
    return {"error": {"type": "idempotency_error", "message": message}}


def test_a_retried_key_replays_the_first_answer_without_a_second_object_or_event(sandbox):
    first = keyed(sandbox, "/v1/customers", {"email": "a@example.com"}, "k1")
    again = keyed(sandbox, "/v1/customers", {"email": "a@example.com"}, "k1")
    assert (first.status_code, again.status_code, again.content) == (200, 200, first.content)
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["request-id"] != first.headers["request-id"]
    assert ids(sandbox.get("/v1/customers")) == [first.json()["id"]]
    assert event_types_of(sandbox) == ["customer.created"]
    event = sandbox.get("/v1/events")["data"][0]
    assert event["request"] == {"id": first.headers["request-id"], "idempotency_key": "k1"}


def test_a_key_reused_with_other_parameters_is_an_idempotency_error(sandbox):
    keyed(sandbox, "/v1/customers", {"email": "a@example.com"}, "k1")
    reused = keyed(sandbox, "/v1/customers", {"email": "b@example.com"}, "k1")
    assert (reused.status_code, reused.json()) == (400, idempotency_error(
        "Keys for idempotent requests can only be used with the same parameters they were "
        "first used with. Try using a key other than 'k1' if you meant to execute a different "
        "request."
    ))  # fmt: skip
    assert event_types_of(sandbox) == ["customer.created"]


def test_a_key_reused_for_another_endpoint_is_an_idempotency_error(sandbox):
    keyed(sandbox, "/v1/customers", {"name": "A"}, "k1")
    reused = keyed(sandbox, "/v1/products", {"name": "A"}, "k1")
    assert (reused.status_code, reused.json()) == (400, idempotency_error(
        "Keys for idempotent requests can only be used for the same endpoint they were first "
        "used for ('POST /v1/customers' vs 'POST /v1/products'). Try using a key other than "
        "'k1' if you meant to execute a different request."
    ))  # fmt: skip
    assert event_types_of(sandbox) == ["customer.created"]


def test_a_refused_request_leaves_its_key_unused(sandbox):
    refused = keyed(sandbox, "/v1/customers", {"balance": "lots"}, "k2")
    assert (refused.status_code, refused.json()) == (
        400, {"error": invalid_integer("balance", "lots")},
    )  # fmt: skip
    fixed = keyed(sandbox, "/v1/customers", {"balance": "3"}, "k2")
    assert (fixed.status_code, fixed.json()["balance"]) == (200, 3)
    assert "idempotent-replayed" not in fixed.headers
    assert keyed(sandbox, "/v1/customers", {"balance": "3"}, "k2").content == fixed.content


def test_an_error_the_operation_raised_is_replayed_too(sandbox):
    """Stripe keeps any answer of an endpoint that began to run, failures included."""
    first = keyed(sandbox, "/v1/prices", {**PRICE, "product": "prod_missing"}, "k3")
    again = keyed(sandbox, "/v1/prices", {**PRICE, "product": "prod_missing"}, "k3")
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert first.json()["error"]["code"] == "resource_missing"
    assert again.headers["idempotent-replayed"] == "true"


def test_a_retried_confirm_charges_once(sandbox):
    intent = created(sandbox, "/v1/payment_intents", INTENT)["id"]
    path, form = f"/v1/payment_intents/{intent}/confirm", {"payment_method": "pm_card_visa"}
    first = keyed(sandbox, path, form, "pay-once")
    again = keyed(sandbox, path, form, "pay-once")
    assert (first.status_code, again.status_code, again.content) == (200, 200, first.content)
    assert again.headers["idempotent-replayed"] == "true"
    assert listed(sandbox, "/v1/charges")[0] == [first.json()["latest_charge"]]
    assert event_types_of(sandbox) == [
        "payment_intent.created", "charge.succeeded", "payment_intent.succeeded",
    ]  # fmt: skip


def test_an_overlong_key_is_refused_before_anything_runs(sandbox):
    response = keyed(sandbox, "/v1/customers", {"email": "a@example.com"}, "k" * 256)
    assert (response.status_code, response.json()) == (400, {"error": {
        "type": "invalid_request_error",
        "message": "Idempotency-Key must be at most 255 characters long (this one has 256): "
        "use a shorter key, such as a UUID.",
    }})  # fmt: skip
    assert listed(sandbox, "/v1/customers")[0] == []


def test_the_library_sends_its_idempotency_key(sandbox):
    client = sandbox.client()
    first = client.v1.customers.create({"email": "a@example.com"}, {"idempotency_key": "k"})
    again = client.v1.customers.create({"email": "a@example.com"}, {"idempotency_key": "k"})
    assert again.to_dict() == first.to_dict()
    assert again.last_response.headers["idempotent-replayed"] == "true"
    assert [c.id for c in client.v1.customers.list().data] == [first.id]


def test_the_library_raises_idempotency_error_for_a_reused_key(sandbox):
    client = sandbox.client()
    client.v1.customers.create({"email": "a@example.com"}, {"idempotency_key": "k"})
    with pytest.raises(stripe.IdempotencyError) as reused:
        client.v1.customers.create({"email": "b@example.com"}, {"idempotency_key": "k"})
    assert (reused.value.http_status, reused.value.json_body["error"]["type"]) == (
        400, "idempotency_error",
    )  # fmt: skip


# -- expand[] ---------------------------------------------------------------------------------


@pytest.fixture
def paid(sandbox: RunningSandbox) -> dict[str, Any]:
    """A customer's payment intent, confirmed: its latest charge names the customer too."""
    customer = created(sandbox, "/v1/customers", {"email": "payer@example.com"})
    return created(sandbox, "/v1/payment_intents", {
        **INTENT, "customer": customer["id"], "payment_method": "pm_card_visa", "confirm": "true",
    })  # fmt: skip


def expanded(sandbox: RunningSandbox, path: str, *paths: str) -> dict[str, Any]:
    response = call(sandbox, "GET", path, params={"expand[]": list(paths)})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_expand_top_level_fields(sandbox, paid):
    intent = expanded(sandbox, f"/v1/payment_intents/{paid['id']}", "customer", "latest_charge")
    assert intent["customer"] == sandbox.get(f"/v1/customers/{paid['customer']}")
    assert intent["latest_charge"] == sandbox.get(f"/v1/charges/{paid['latest_charge']}")
    assert intent["latest_charge"]["customer"] == paid["customer"]  # only what was asked


def test_expand_a_nested_field(sandbox, paid):
    intent = expanded(sandbox, f"/v1/payment_intents/{paid['id']}", "latest_charge.customer")
    assert intent["customer"] == paid["customer"]
    assert intent["latest_charge"]["id"] == paid["latest_charge"]
    assert intent["latest_charge"]["customer"] == sandbox.get(f"/v1/customers/{paid['customer']}")


def test_expand_in_a_list(sandbox, paid):
    answer = expanded(sandbox, "/v1/payment_intents", "data.customer")
    assert [intent["customer"]["email"] for intent in answer["data"]] == ["payer@example.com"]
    library = sandbox.client().v1.payment_intents.list({"expand": ["data.customer"]})
    assert [intent.customer.id for intent in library.data] == [paid["customer"]]


def test_expand_on_an_update_and_through_the_library(sandbox, paid):
    updated = call(sandbox, "POST", f"/v1/payment_intents/{paid['id']}",
                   {"description": "tee", "expand[]": "customer"}).json()  # fmt: skip
    assert (updated["description"], updated["customer"]["id"]) == ("tee", paid["customer"])
    intent = sandbox.client().v1.payment_intents.retrieve(paid["id"], {"expand": ["customer"]})
    assert isinstance(intent.customer, stripe.Customer)
    assert intent.customer.email == "payer@example.com"


@pytest.mark.parametrize(
    ("path", "field", "message"),
    [
        ("/v1/payment_intents/{intent}", "amount", "This property cannot be expanded (amount)."),
        ("/v1/payment_intents/{intent}", "nothing", "This property cannot be expanded (nothing)."),
        ("/v1/payment_intents", "customer", "This property cannot be expanded (customer). You "
         "may want to try expanding 'data.customer' instead."),
    ],
    ids=["scalar", "no-such-field", "list-without-data"],
)  # fmt: skip
def test_a_field_that_cannot_be_expanded_is_refused(sandbox, paid, path, field, message):
    response = call(sandbox, "GET", path.format(intent=paid["id"]), params={"expand[]": field})
    assert (response.status_code, response.json()) == (400, {"error": invalid("expand", message)})


# -- lists: filters and pagination ------------------------------------------------------------


@pytest.fixture
def customers(sandbox: RunningSandbox, clock: list[float]) -> list[str]:
    """Three customers made 10 s apart (T0, T0 + 10, T0 + 20), oldest first."""
    made = []
    for n in range(3):
        clock[0] = T0 + 10 * n
        form = {"email": f"c{n}@example.com", "name": "Ann" if n % 2 else "Bob",
                "metadata[tier]": "gold" if n < 2 else "free"}  # fmt: skip
        made.append(created(sandbox, "/v1/customers", form)["id"])
    return made


def listed(sandbox: RunningSandbox, path: str, **query: Any) -> tuple[list[str], bool, str]:
    response = call(sandbox, "GET", path, params=query)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["object"] == "list"
    return ids(answer), answer["has_more"], answer["url"]


def test_a_list_pages_newest_first_by_its_cursors(sandbox, customers):
    c0, c1, c2 = customers
    assert listed(sandbox, "/v1/customers", limit=2) == ([c2, c1], True, "/v1/customers")
    assert listed(sandbox, "/v1/customers", limit=2, starting_after=c1) == (
        [c0], False, "/v1/customers",
    )  # fmt: skip
    assert listed(sandbox, "/v1/customers", limit=1, ending_before=c0) == (
        [c1], True, "/v1/customers",
    )  # fmt: skip
    assert listed(sandbox, "/v1/customers", ending_before=c1) == ([c2], False, "/v1/customers")


def test_the_library_pages_through_a_list(sandbox, customers):
    client = sandbox.client()
    pages = client.v1.customers.list({"limit": 2})
    assert [c.id for c in pages.auto_paging_iter()] == customers[::-1]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"created[gte]": str(T0 + 10)}, [2, 1]),
        ({"created[gt]": str(T0 + 10)}, [2]),
        ({"created[lt]": str(T0 + 10)}, [0]),
        ({"created[lte]": str(T0 + 10), "created[gt]": str(T0)}, [1]),
        ({"created": str(T0 + 20)}, [2]),
        ({"email": "c1@example.com"}, [1]),
        ({"email": "nobody@example.com"}, []),
        ({"email": "c0@example.com", "created[gte]": str(T0 + 10)}, []),
    ],
    ids=["created-gte", "created-gt", "created-lt", "created-range", "created-exact", "email",
         "email-unknown", "email-and-created"],
)  # fmt: skip
def test_customers_filtered(sandbox, customers, query, expected):
    wanted = [customers[n] for n in expected]
    assert listed(sandbox, "/v1/customers", **query) == (wanted, False, "/v1/customers")


def test_payment_intents_filtered_by_customer(sandbox, customers):
    mine = created(sandbox, "/v1/payment_intents", {**INTENT, "customer": customers[0]})
    created(sandbox, "/v1/payment_intents", {**INTENT, "customer": customers[1]})
    created(sandbox, "/v1/payment_intents", INTENT)
    assert listed(sandbox, "/v1/payment_intents", customer=customers[0]) == (
        [mine["id"]], False, "/v1/payment_intents",
    )  # fmt: skip
    assert listed(sandbox, "/v1/payment_intents", customer=customers[2])[0] == []


def test_prices_by_product_and_products_by_active(sandbox):
    shirt = created(sandbox, "/v1/products", {"name": "Shirt"})["id"]
    hat = created(sandbox, "/v1/products", {"name": "Hat", "active": "false"})["id"]
    prices = [
        created(sandbox, "/v1/prices", {**PRICE, "product": product})["id"]
        for product in (shirt, hat, shirt)
    ]
    archived = created(sandbox, "/v1/prices", {**PRICE, "product": shirt, "active": "false"})
    assert listed(sandbox, "/v1/prices", product=shirt) == (
        [archived["id"], prices[2], prices[0]], False, "/v1/prices",
    )  # fmt: skip
    assert listed(sandbox, "/v1/prices", product=shirt, active="true", limit=1) == (
        [prices[2]], True, "/v1/prices",
    )  # fmt: skip
    assert listed(sandbox, "/v1/products", active="false") == ([hat], False, "/v1/products")
    assert listed(sandbox, "/v1/products", active="true") == ([shirt], False, "/v1/products")


@pytest.fixture
def prices(sandbox: RunningSandbox) -> dict[str, str]:
    """A product's monthly (lookup key "monthly"), yearly and one-time prices, by name."""
    product = created(sandbox, "/v1/products", {"name": "Plan"})["id"]
    forms = {
        "monthly": {"recurring[interval]": "month", "lookup_key": "monthly"},
        "yearly": {"recurring[interval]": "year"},
        "once": {},
    }
    return {
        name: created(sandbox, "/v1/prices", {**PRICE, "product": product, **form})["id"]
        for name, form in forms.items()
    }


def test_prices_filtered_by_type(sandbox, prices):
    assert listed(sandbox, "/v1/prices", type="one_time")[0] == [prices["once"]]
    assert listed(sandbox, "/v1/prices", type="recurring")[0] == [
        prices["yearly"], prices["monthly"],
    ]  # fmt: skip


def test_prices_filtered_by_a_recurring_field(sandbox, prices):
    query = {"recurring[interval]": "month"}
    assert listed(sandbox, "/v1/prices", **query)[0] == [prices["monthly"]]


@pytest.mark.xfail(
    strict=True,
    reason="engine._matches_filters skips a filter that names no field of the object: "
    "lookup_keys[] (prices' lookup_key) and ids[] (products' id) keep every object",
)
def test_lists_filtered_by_a_list_of_values(sandbox, prices):
    by_key = listed(sandbox, "/v1/prices", **{"lookup_keys[]": "monthly"})
    assert by_key[0] == [prices["monthly"]]
    other = created(sandbox, "/v1/products", {"name": "Other"})["id"]
    assert listed(sandbox, "/v1/products", **{"ids[]": other})[0] == [other]


def test_subscriptions_by_status(sandbox, prices):
    customer = created(sandbox, "/v1/customers", {"email": "sub@example.com"})["id"]
    form = {"customer": customer, "items[0][price]": prices["monthly"]}
    active, canceled = (created(sandbox, "/v1/subscriptions", form)["id"] for _ in range(2))
    sandbox.delete(f"/v1/subscriptions/{canceled}")
    assert listed(sandbox, "/v1/subscriptions", status="canceled")[0] == [canceled]
    assert listed(sandbox, "/v1/subscriptions", status="all")[0] == [canceled, active]
    assert listed(sandbox, "/v1/subscriptions")[0] == [active]


def test_a_list_refuses_an_unknown_filter_and_a_wrong_one(sandbox):
    colour = call(sandbox, "GET", "/v1/customers", params={"colour": "red"})
    assert (colour.status_code, colour.json()) == (400, {"error": unknown("colour")})
    active = call(sandbox, "GET", "/v1/products", params={"active": "maybe"})
    assert (active.status_code, active.json()) == (
        400, {"error": invalid("active", "Invalid boolean: maybe")},
    )  # fmt: skip


# -- search -----------------------------------------------------------------------------------


def searched(sandbox: RunningSandbox, query: str, **more: Any) -> dict[str, Any]:
    response = call(sandbox, "GET", "/v1/customers/search", params={"query": query, **more})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    assert (answer["object"], answer["url"]) == ("search_result", "/v1/customers/search")
    return answer


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("email:'c1@example.com'", [1]),
        ('email:"c1@example.com"', [1]),
        ("metadata['tier']:'gold'", [1, 0]),
        (f"created>{T0}", [2, 1]),
        (f"created>={T0}", [2, 1, 0]),
        (f"created>{T0 + 20}", []),
        ("name:'Ann' AND metadata['tier']:'gold'", [1]),
        ("name:'Bob' metadata['tier']:'gold'", [0]),
        ("name:'Ann' OR metadata['tier']:'free'", [2, 1]),
        ("-metadata['tier']:'gold'", [2]),
    ],
    ids=["email", "email-double-quoted", "metadata", "created-gt", "created-gte", "created-none",
         "and", "and-by-space", "or", "negated"],
)  # fmt: skip
def test_search_finds_customers(sandbox, customers, query, expected):
    answer = searched(sandbox, query)
    assert (ids(answer), answer["has_more"], answer["next_page"]) == (
        [customers[n] for n in expected], False, None,
    )  # fmt: skip


def test_search_pages_with_next_page(sandbox, customers):
    first = searched(sandbox, f"created>={T0}", limit=2)
    assert (ids(first), first["has_more"]) == (customers[:0:-1], True)
    second = searched(sandbox, f"created>={T0}", limit=2, page=first["next_page"])
    assert (ids(second), second["has_more"], second["next_page"]) == ([customers[0]], False, None)
    found = sandbox.client().v1.customers.search({"query": f"created>={T0}", "limit": 1})
    assert [c.id for c in found.auto_paging_iter()] == customers[::-1]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("colour:'red'", "Field 'colour' is an unsupported search field for resource customers. "
         "See http://stripe.com/docs/search#query-fields-for-customers for a list of supported "
         "fields."),
        ("name:'Ann' AND email:'a' OR email:'b'", "The search query \"name:'Ann' AND email:'a' "
         "OR email:'b'\" combines clauses with both AND and OR, which search does not support: "
         "use only AND (or spaces) or only OR"),
    ],
    ids=["unknown-field", "and-with-or"],
)  # fmt: skip
def test_search_refuses_a_bad_query(sandbox, query, message):
    response = call(sandbox, "GET", "/v1/customers/search", params={"query": query})
    assert (response.status_code, response.json()) == (400, {"error": invalid("query", message)})


def test_search_needs_its_query(sandbox):
    response = call(sandbox, "GET", "/v1/customers/search")
    assert (response.status_code, response.json()) == (400, {"error": missing("query")})


# -- deleted objects --------------------------------------------------------------------------


def test_a_deleted_customer_retrieves_as_its_stub(sandbox):
    customer = created(sandbox, "/v1/customers", {"email": "gone@example.com"})["id"]
    stub = {"id": customer, "object": "customer", "deleted": True}
    assert sandbox.delete(f"/v1/customers/{customer}") == stub
    assert sandbox.get(f"/v1/customers/{customer}") == stub  # the spec answers customer or stub
    assert sandbox.client().v1.customers.retrieve(customer).to_dict() == stub
    assert listed(sandbox, "/v1/customers")[0] == []
    assert searched(sandbox, "email:'gone@example.com'")["data"] == []
    for method, data in (("DELETE", None), ("POST", {"name": "Back"})):
        again = call(sandbox, method, f"/v1/customers/{customer}", data)
        assert (again.status_code, again.json()) == (
            404, {"error": no_such("customer", customer, "id")},
        )  # fmt: skip


@pytest.mark.parametrize("path", ["/v1/products", "/v1/coupons"])
def test_a_deleted_product_or_coupon_is_missing(sandbox, path):
    """GET /v1/products/{id} and /v1/coupons/{coupon} answer only the live object in the
    spec (the customer's answers ``anyOf [customer, deleted_customer]``): a 404."""
    form = {"name": "Gone"} if path == "/v1/products" else {"percent_off": "5"}
    made = created(sandbox, path, form)
    kind = made["object"]
    assert sandbox.delete(f"{path}/{made['id']}") == {
        "id": made["id"], "object": kind, "deleted": True,
    }  # fmt: skip
    for method in ("GET", "DELETE"):
        again = call(sandbox, method, f"{path}/{made['id']}")
        assert (again.status_code, again.json()) == (
            404, {"error": no_such(kind, made["id"], "id")},
        )  # fmt: skip


# -- Request-Id and Stripe-Version ------------------------------------------------------------


def test_every_answer_has_its_request_id_and_the_api_version(sandbox):
    answers = [
        call(sandbox, "POST", "/v1/customers", {"email": "a@example.com"}),
        call(sandbox, "GET", "/v1/customers"),
        call(sandbox, "POST", "/v1/customers", {"balance": "lots"}),
        call(sandbox, "GET", "/v1/customers/cus_missing"),
        call(sandbox, "GET", "/v1/no_such_resources"),
        call(sandbox, "GET", "/v1/customers", headers={"Authorization": "Bearer sk_test_wrong"}),
    ]
    assert [a.status_code for a in answers] == [200, 200, 400, 404, 404, 401]
    request_ids = [a.headers["request-id"] for a in answers]
    assert all(each.startswith("req_") and len(each) == 18 for each in request_ids)
    assert len(set(request_ids)) == len(answers)
    assert {a.headers["stripe-version"] for a in answers} == {API_VERSION}


def test_the_request_id_is_the_one_the_event_and_the_library_name(sandbox):
    response = call(sandbox, "POST", "/v1/customers", {"email": "a@example.com"})
    event = sandbox.get("/v1/events")["data"][0]
    assert event["request"] == {"id": response.headers["request-id"], "idempotency_key": None}
    client = sandbox.client()
    customer = client.v1.customers.create({"email": "b@example.com"})
    assert customer.last_response.request_id.startswith("req_")
    with pytest.raises(stripe.InvalidRequestError) as missing_one:
        client.v1.customers.retrieve("cus_missing")
    assert missing_one.value.request_id.startswith("req_")


@pytest.mark.parametrize(("method", "path"), [("PUT", "/v1/customers"), ("GET", "/nothing")])
def test_an_unrecognized_url_has_its_request_id_too(sandbox, method, path):
    response = call(sandbox, method, path)
    message = (
        f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs for "
        "the paths Stripe's API has."
    )
    assert (response.status_code, response.json()) == (
        404, {"error": {"type": "invalid_request_error", "message": message}},
    )  # fmt: skip
    assert response.headers["request-id"].startswith("req_")
    assert response.headers["stripe-version"] == API_VERSION


# -- form values typed ------------------------------------------------------------------------


def test_form_strings_answer_as_the_schemas_types(sandbox):
    product = created(sandbox, "/v1/products", {"name": "Box", "active": "false"})
    assert product["active"] is False
    price = created(sandbox, "/v1/prices", {
        **PRICE, "product": product["id"], "recurring[interval]": "month",
        "recurring[interval_count]": "3", "active": "true",
    })  # fmt: skip
    assert price["recurring"]["interval_count"] == 3
    assert isinstance(price["recurring"]["interval_count"], int)
    assert (price["unit_amount"], price["unit_amount_decimal"]) == (500, "500")
    assert (price["active"], price["livemode"], price["type"]) == (True, False, "recurring")
    assert sandbox.get(f"/v1/prices/{price['id']}") == price


def test_an_empty_value_unsets(sandbox):
    customer = created(sandbox, "/v1/customers", {
        "email": "a@example.com", "description": "VIP", "metadata[a]": "1", "metadata[b]": "2",
    })["id"]  # fmt: skip
    updated = created(sandbox, f"/v1/customers/{customer}", {"metadata[a]": "", "description": ""})
    assert (updated["metadata"], updated["description"]) == ({"b": "2"}, None)
    assert sandbox.get(f"/v1/customers/{customer}") == updated
    library = sandbox.client().v1.customers.update(customer, {"metadata": {"b": ""}})
    assert library.metadata.to_dict() == {}


# -- the events an API call emits -------------------------------------------------------------


def test_a_customer_update_emits_only_the_changed_fields(sandbox):
    customer = created(sandbox, "/v1/customers", {
        "email": "a@example.com", "name": "Ann", "metadata[a]": "1", "metadata[b]": "2",
        "metadata[keep]": "k", "preferred_locales[0]": "fr",
    })["id"]  # fmt: skip
    created(sandbox, f"/v1/customers/{customer}", {
        "email": "b@example.com", "name": "Ann", "metadata[a]": "9", "metadata[b]": "",
        "metadata[c]": "3", "metadata[keep]": "k", "preferred_locales[0]": "fr",
        "preferred_locales[1]": "en",
    })  # fmt: skip
    assert event_types_of(sandbox) == ["customer.created", "customer.updated"]
    update = sandbox.get("/v1/events?type=customer.updated")["data"][0]
    assert update["data"]["previous_attributes"] == {  # an array changed is given whole
        "email": "a@example.com", "metadata": {"a": "1", "b": "2", "c": None},
        "preferred_locales": ["fr"],
    }  # fmt: skip
    assert update["data"]["object"] == sandbox.get(f"/v1/customers/{customer}")


def test_a_payment_intent_update_is_stored_without_an_event(sandbox):
    intent = created(sandbox, "/v1/payment_intents", INTENT)["id"]
    created(sandbox, f"/v1/payment_intents/{intent}", {"description": "tee", "metadata[k]": "v"})
    stored = sandbox.get(f"/v1/payment_intents/{intent}")
    assert (stored["description"], stored["metadata"]) == ("tee", {"k": "v"})
    assert event_types_of(sandbox) == ["payment_intent.created"]  # no payment_intent.updated


def test_a_coupon_is_created_and_deleted_with_its_events(sandbox):
    coupon = created(sandbox, "/v1/coupons", {"percent_off": "25", "duration": "once"})
    sandbox.delete(f"/v1/coupons/{coupon['id']}")
    events = sandbox.get("/v1/events")["data"][::-1]
    assert [(e["type"], e["data"]["object"]["id"]) for e in events] == [
        ("coupon.created", coupon["id"]), ("coupon.deleted", coupon["id"]),
    ]  # fmt: skip
    assert events[0]["data"]["object"]["percent_off"] == 25


def test_no_emitted_event_type_is_outside_the_catalog(sandbox, paid):
    customer = paid["customer"]
    created(sandbox, f"/v1/customers/{customer}", {"name": "Payer"})
    product = created(sandbox, "/v1/products", {"name": "Box"})["id"]
    price = created(sandbox, "/v1/prices", {**PRICE, "product": product})["id"]
    created(sandbox, f"/v1/prices/{price}", {"nickname": "standard"})
    coupon = created(sandbox, "/v1/coupons", {"percent_off": "5"})["id"]
    sandbox.delete(f"/v1/coupons/{coupon}")
    created(sandbox, f"/v1/payment_intents/{paid['id']}", {"description": "tee"})
    sandbox.delete(f"/v1/customers/{customer}")
    emitted = event_types_of(sandbox)
    assert emitted == [
        "customer.created", "payment_intent.created", "charge.succeeded",
        "payment_intent.succeeded", "customer.updated", "product.created", "price.created",
        "price.updated", "coupon.created", "coupon.deleted", "customer.deleted",
    ]  # fmt: skip
    assert set(emitted) <= set(catalog.event_types())
