"""rest.params against real operations of Stripe's spec: conversions, and each refusal
with the exact error Stripe's API gives."""

from typing import Any

import pytest

from appevents.sandbox.formdata import decode_form
from appevents.sandbox.rest import spec
from appevents.sandbox.rest.params import checked, query_checked
from appevents.sandbox.stripe_errors import InvalidRequest


def operation(method: str, path: str) -> spec.Operation:
    found = spec.match(method, path)
    assert found is not None
    return found[0]


def check(method: str, path: str, params: dict[str, Any] | str) -> dict[str, Any]:
    """A request's parameters (a form body, or a JSON body's object) checked."""
    given = decode_form(params) if isinstance(params, str) else params
    op = operation(method, path)
    if method == "POST":
        return checked(op.parameters(), given)
    return query_checked(op, given)


def problem(method: str, path: str, params: dict[str, Any] | str) -> dict[str, Any]:
    with pytest.raises(InvalidRequest) as refused:
        check(method, path, params)
    error: dict[str, Any] = refused.value.to_dict()["error"]
    return error


def missing(param: str) -> dict[str, Any]:
    return {
        "type": "invalid_request_error",
        "code": "parameter_missing",
        "message": f"Missing required param: {param}.",
        "param": param,
    }


def unknown(param: str, hint: str | None = None) -> dict[str, Any]:
    message = f"Received unknown parameter: {param}"
    return {
        "type": "invalid_request_error",
        "code": "parameter_unknown",
        "message": f"{message}. Did you mean {hint}?" if hint else message,
        "param": param,
    }


def invalid(param: str, message: str, code: str | None = None) -> dict[str, Any]:
    error = {"type": "invalid_request_error", "message": message, "param": param}
    return error if code is None else {**error, "code": code}


def invalid_integer(param: str, shown: str) -> dict[str, Any]:
    return invalid(param, f"Invalid integer: {shown}", "parameter_invalid_integer")


CUSTOMERS = ("POST", "/v1/customers")
CUSTOMER_LIST = ("GET", "/v1/customers")
PRICES = ("POST", "/v1/prices")
PAYMENT_INTENTS = ("POST", "/v1/payment_intents")
SUBSCRIPTIONS = ("POST", "/v1/subscriptions")
TAX_RATES = ("POST", "/v1/tax_rates")
ACCOUNTS = ("POST", "/v1/accounts")
TAX_RATE = {"display_name": "VAT", "inclusive": "false"}
INT64_MAX = 2**63 - 1


@pytest.mark.parametrize(
    ("operation_", "params", "expected"),
    [
        # integers: from a form's string or JSON's number, 64-bit
        (
            CUSTOMERS,
            "metadata[a]=1&balance=-5&preferred_locales[0]=fr",
            {"metadata": {"a": "1"}, "balance": -5, "preferred_locales": ["fr"]},
        ),
        (CUSTOMERS, {"balance": 10}, {"balance": 10}),
        (CUSTOMERS, f"balance={INT64_MAX}", {"balance": INT64_MAX}),
        (CUSTOMERS, f"balance={-(2**63)}", {"balance": -(2**63)}),
        (
            PRICES,
            "currency=usd&recurring[interval]=month&recurring[interval_count]=3",
            {"currency": "usd", "recurring": {"interval": "month", "interval_count": 3}},
        ),
        # booleans
        (
            PAYMENT_INTENTS,
            "amount=100&currency=usd&automatic_payment_methods[enabled]=true",
            {"amount": 100, "currency": "usd", "automatic_payment_methods": {"enabled": True}},
        ),
        (PRICES, "currency=usd&active=false", {"currency": "usd", "active": False}),
        (PRICES, {"currency": "usd", "active": True}, {"currency": "usd", "active": True}),
        # Stripe's decimals: an int when whole
        (
            TAX_RATES,
            {**TAX_RATE, "percentage": "20"},
            {**TAX_RATE, "inclusive": False, "percentage": 20},
        ),
        (
            TAX_RATES,
            {**TAX_RATE, "percentage": "7.25"},
            {**TAX_RATE, "inclusive": False, "percentage": 7.25},
        ),
        (
            TAX_RATES,
            {**TAX_RATE, "percentage": 8.5},
            {**TAX_RATE, "inclusive": False, "percentage": 8.5},
        ),
        (
            SUBSCRIPTIONS,
            "customer=cus_1&application_fee_percent=12.5",
            {"customer": "cus_1", "application_fee_percent": 12.5},
        ),
        # a JSON number where a string belongs becomes its text, in a hash too
        (CUSTOMERS, {"name": 42, "metadata": {"n": 7}}, {"name": "42", "metadata": {"n": "7"}}),
        # arrays of objects, each checked
        (
            CUSTOMERS,
            "tax_id_data[0][type]=eu_vat&tax_id_data[0][value]=DE123",
            {"tax_id_data": [{"type": "eu_vat", "value": "DE123"}]},
        ),
        # hashes of objects
        (
            PRICES,
            "currency=usd&currency_options[eur][unit_amount]=90",
            {"currency": "usd", "currency_options": {"eur": {"unit_amount": 90}}},
        ),
        # a free hash without a node for its values keeps them as they are
        (
            ("POST", "/v1/account_sessions"),
            "account=acct_1&components[documents][enabled]=true&components[documents][features][x]=1",
            {
                "account": "acct_1",
                "components": {"documents": {"enabled": True, "features": {"x": "1"}}},
            },
        ),
        # anyOf: the first branch that accepts
        (CUSTOMERS, "address[city]=Paris", {"address": {"city": "Paris"}}),
        (CUSTOMER_LIST, "created[gt]=5&limit=3", {"created": {"gt": 5}, "limit": 3}),
        (CUSTOMER_LIST, "created=1700000000", {"created": 1700000000}),
        (SUBSCRIPTIONS, "customer=c&trial_end=now", {"customer": "c", "trial_end": "now"}),
        (
            SUBSCRIPTIONS,
            "customer=c&trial_end=1800000000",
            {"customer": "c", "trial_end": 1800000000},
        ),
        (
            PRICES,
            "currency=usd&tiers[0][up_to]=10&tiers[1][up_to]=inf",
            {"currency": "usd", "tiers": [{"up_to": 10}, {"up_to": "inf"}]},
        ),
        # "" unsets an optional field where the node allows it: kept for the caller
        (CUSTOMERS, "address=", {"address": ""}),
        (CUSTOMERS, "metadata=", {"metadata": ""}),
        (CUSTOMERS, "metadata[gone]=", {"metadata": {"gone": ""}}),
        (CUSTOMERS, "description=", {"description": ""}),
        (CUSTOMERS, "tax_exempt=", {"tax_exempt": ""}),
        (
            SUBSCRIPTIONS,
            "customer=c&default_tax_rates=",
            {"customer": "c", "default_tax_rates": ""},
        ),
        # JSON's null means the same
        (
            CUSTOMERS,
            {"address": None, "metadata": {"gone": None}},
            {"address": "", "metadata": {"gone": ""}},
        ),
        # the query of a list
        (CUSTOMER_LIST, "expand[]=data.default_source", {"expand": ["data.default_source"]}),
        (CUSTOMER_LIST, {}, {}),
    ],
)
def test_parameters_are_converted(
    operation_: tuple[str, str], params: dict[str, Any] | str, expected: dict[str, Any]
) -> None:
    assert check(*operation_, params) == expected


@pytest.mark.parametrize(
    ("operation_", "params", "expected"),
    [
        # required, at every level
        (PAYMENT_INTENTS, "currency=usd", missing("amount")),
        (PRICES, "currency=usd&recurring[interval_count]=3", missing("recurring[interval]")),
        (CUSTOMERS, "tax_id_data[0][type]=eu_vat", missing("tax_id_data[0][value]")),
        (CUSTOMERS, "shipping[name]=Jo", missing("shipping[address]")),
        (("GET", "/v1/charges/search"), "limit=3", missing("query")),
        # "" (or null) for a required parameter is no value
        (PRICES, "currency=", missing("currency")),
        (PRICES, {"currency": None}, missing("currency")),
        (PRICES, "currency=usd&recurring[interval]=", missing("recurring[interval]")),
        # unknown, with the close name when there is one
        (CUSTOMERS, "foo=1", unknown("foo")),
        (CUSTOMERS, "emial=jo@example.com", unknown("emial", "email")),
        (CUSTOMERS, "address[cty]=Paris", unknown("address[cty]", "city")),
        (CUSTOMERS, "tax_id_data[0][typ]=eu_vat", unknown("tax_id_data[0][typ]", "type")),
        (CUSTOMER_LIST, "limt=3", unknown("limt", "limit")),
        # integers
        (CUSTOMERS, "balance=abc", invalid_integer("balance", "abc")),
        (CUSTOMERS, "balance=1.5", invalid_integer("balance", "1.5")),
        (CUSTOMERS, f"balance={2**63}", invalid_integer("balance", str(2**63))),
        (CUSTOMERS, {"balance": 2**63}, invalid_integer("balance", str(2**63))),
        (CUSTOMERS, {"balance": 1.5}, invalid_integer("balance", "1.5")),
        (CUSTOMERS, {"balance": True}, invalid_integer("balance", "True")),
        (CUSTOMERS, "balance=\u0663", invalid_integer("balance", "\u0663")),
        (CUSTOMERS, "balance=", invalid_integer("balance", "''")),
        (
            PRICES,
            "currency=usd&recurring[interval]=month&recurring[interval_count]=x",
            invalid_integer("recurring[interval_count]", "x"),
        ),
        (CUSTOMER_LIST, "created=abc", invalid_integer("created", "abc")),
        (CUSTOMER_LIST, "created[gt]=soon", invalid_integer("created[gt]", "soon")),
        (SUBSCRIPTIONS, "customer=c&trial_end=soon", invalid_integer("trial_end", "soon")),
        # booleans, decimals
        (PRICES, "currency=usd&active=maybe", invalid("active", "Invalid boolean: maybe")),
        (PRICES, {"currency": "usd", "active": 1}, invalid("active", "Invalid boolean: 1")),
        (TAX_RATES, {**TAX_RATE, "percentage": "x"}, invalid("percentage", "Invalid decimal: x")),
        (
            TAX_RATES,
            {**TAX_RATE, "percentage": "1e3"},
            invalid("percentage", "Invalid decimal: 1e3"),
        ),
        (
            SUBSCRIPTIONS,
            "customer=c&application_fee_percent=half",
            invalid("application_fee_percent", "Invalid decimal: half"),
        ),
        # enums: Oxford "or" lists without the unsetting ""
        (
            PAYMENT_INTENTS,
            "amount=1&currency=usd&capture_method=later",
            invalid(
                "capture_method",
                "Invalid capture_method: must be one of automatic, automatic_async, or manual",
            ),
        ),
        (
            PRICES,
            "currency=usd&recurring[interval]=fortnight",
            invalid(
                "recurring[interval]",
                "Invalid recurring[interval]: must be one of day, month, week, or year",
            ),
        ),
        (
            CUSTOMERS,
            "tax[validate_location]=never",
            invalid(
                "tax[validate_location]",
                "Invalid tax[validate_location]: must be one of deferred or immediately",
            ),
        ),
        (
            CUSTOMERS,
            "tax_exempt=maybe",
            invalid("tax_exempt", "Invalid tax_exempt: must be one of exempt, none, or reverse"),
        ),
        (
            ("POST", "/v1/billing/meter_event_adjustments"),
            "event_name=e&type=undo",
            invalid("type", "Invalid type: must be cancel"),
        ),
        # the wrong kind of value
        (CUSTOMERS, "name[first]=Jo", invalid("name", "Invalid string: {'first': 'Jo'}")),
        (CUSTOMERS, {"name": True}, invalid("name", "Invalid string: True")),
        (CUSTOMERS, "metadata[a][b]=c", invalid("metadata[a]", "Invalid string: {'b': 'c'}")),
        (CUSTOMERS, "address=Paris", invalid("address", "Invalid object")),
        (CUSTOMERS, "cash_balance=x", invalid("cash_balance", "Invalid object")),
        (CUSTOMERS, "metadata=x", invalid("metadata", "Invalid object")),
        (CUSTOMERS, "preferred_locales=fr", invalid("preferred_locales", "Invalid array")),
        (CUSTOMERS, "preferred_locales[x]=fr", invalid("preferred_locales", "Invalid array")),
        (
            CUSTOMERS,
            "tax[ip_address][v4]=1.2.3.4",
            invalid("tax[ip_address]", "Invalid string: {'v4': '1.2.3.4'}"),
        ),
        (CUSTOMERS, "recurring=", unknown("recurring")),
        (PRICES, "currency=usd&recurring=", invalid("recurring", "Invalid object")),
        # long values are quoted bounded
        (
            CUSTOMERS,
            {"balance": "9" * 100},
            invalid_integer("balance", "'" + "9" * 39 + "... (102 characters)"),
        ),
        (
            CUSTOMERS,
            {"name": {"k": "v" * 100}},
            invalid("name", "Invalid string: {'k': '" + "v" * 33 + "... (109 characters)"),
        ),
    ],
)
def test_a_wrong_parameter_is_refused_as_stripe_does(
    operation_: tuple[str, str], params: dict[str, Any] | str, expected: dict[str, Any]
) -> None:
    assert problem(*operation_, params) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"balance": "abc", "foo": "1"}, invalid_integer("balance", "abc")),
        ({"foo": "1", "balance": "abc"}, unknown("foo")),
        ({"shipping": {"name": "Jo"}, "balance": "abc"}, missing("shipping[address]")),
    ],
)
def test_the_first_problem_in_parameter_order_is_told(
    params: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert problem(*CUSTOMERS, params) == expected


def test_a_missing_required_parameter_is_told_after_those_given() -> None:
    assert problem(*PRICES, {"foo": "1"}) == unknown("foo")
    assert problem(*TAX_RATES, {"percentage": "x"}) == invalid("percentage", "Invalid decimal: x")
    assert problem(*TAX_RATES, {"percentage": "5"}) == missing("display_name")


def test_a_long_unknown_name_is_told_bounded() -> None:
    name = "z" * 150
    assert problem(*CUSTOMERS, {name: "1"}) == unknown("z" * 100 + "...")


def test_the_request_is_not_changed() -> None:
    given = decode_form("balance=5&metadata[a]=1&address=")
    check(*CUSTOMERS, given)
    assert given == {"balance": "5", "metadata": {"a": "1"}, "address": ""}


def sample(node: spec.Node) -> Any:
    """A valid value for a node, with its required parameters only."""
    node = spec.resolve(node)
    if "any" in node:
        return sample(next(each for each in node["any"] if each.get("e") != [""]))
    if node["t"] == "object":
        return {name: sample(node["p"][name]) for name in node.get("r", ())}
    if node["t"] == "array":
        return [sample(node["i"])]
    if "e" in node:
        return next(each for each in node["e"] if each)
    return {"string": "x", "integer": "1", "number": "1.5", "boolean": "true"}[node["t"]]


def check_operation(op: spec.Operation, params: dict[str, Any]) -> dict[str, Any]:
    return checked(op.parameters(), params) if op.form is not None else query_checked(op, params)


@pytest.mark.parametrize("op", spec.operations(), ids=lambda op: f"{op.method} {op.path}")
def test_every_operation_takes_its_required_parameters_and_tells_each_missing(
    op: spec.Operation,
) -> None:
    required = list(op.parameters().get("r", ()))
    complete = sample(op.parameters())
    assert list(check_operation(op, complete)) == required
    for name in required:
        without = {key: value for key, value in complete.items() if key != name}
        with pytest.raises(InvalidRequest) as refused:
            check_operation(op, without)
        assert refused.value.to_dict()["error"] == missing(name)
