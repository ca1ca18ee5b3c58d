import base64
import json

import pytest

from appevents.sandbox.rest.search import SEARCH_FIELDS, parse, search_page
from appevents.sandbox.stripe_errors import InvalidRequest

LANGUAGE = "see https://stripe.com/docs/search#search-query-language"
FORMAT = (
    "Try using the format metadata['key']:'value' to query for metadata or key:'value' to "
    "query for other fields, joining clauses with spaces, AND or OR; " + LANGUAGE
)

CUSTOMERS = [
    {
        "id": "cus_1",
        "object": "customer",
        "created": 100,
        "email": "amy@rocketrides.io",
        "name": "Amy Rider",
        "phone": None,
        "metadata": {"plan": "gold"},
    },
    {
        "id": "cus_2",
        "object": "customer",
        "created": 200,
        "email": "ben@example.com",
        "name": 'Ben "the Builder"',
        "phone": "+15550100",
        "metadata": {},
    },
    {
        "id": "cus_3",
        "object": "customer",
        "created": 300,
        "email": None,
        "name": "Jenny Rosen",
        "phone": None,
        "metadata": {"plan": "silver"},
    },
]

CHARGES = [
    {
        "id": "ch_1",
        "object": "charge",
        "created": 100,
        "amount": 1000,
        "currency": "usd",
        "customer": "cus_1",
        "disputed": False,
        "refunded": False,
        "status": "succeeded",
        "billing_details": {"address": {"postal_code": "12345"}},
        "payment_method_details": {
            "card": {"last4": "4242", "brand": "visa", "exp_month": 12, "exp_year": 2030}
        },
        "metadata": {"order_id": "6735"},
    },
    {
        "id": "ch_2",
        "object": "charge",
        "created": 200,
        "amount": 500,
        "currency": "eur",
        "customer": {"id": "cus_2", "object": "customer"},
        "disputed": True,
        "refunded": True,
        "status": "failed",
        "billing_details": {"address": None},
        "payment_method_details": {
            "card": {"last4": "0002", "brand": "mastercard", "exp_month": 1, "exp_year": 2027}
        },
        "metadata": {},
    },
]

OBJECTS = {"customer": CUSTOMERS, "charge": CHARGES}


def matching(object_type: str, query: str) -> list[str]:
    parsed = parse(object_type, query)
    return [obj["id"] for obj in OBJECTS[object_type] if parsed.matches(obj)]


@pytest.mark.parametrize(
    ("object_type", "query", "ids"),
    [
        ("customer", 'email:"amy@rocketrides.io"', ["cus_1"]),
        ("customer", "email:'AMY@RocketRides.io'", ["cus_1"]),
        ("customer", 'email~"rocket"', ["cus_1"]),
        ("customer", 'name~"ROS"', ["cus_3"]),
        ("customer", 'name:"Ben \\"the Builder\\""', ["cus_2"]),
        ("customer", "name:'Ben \"the Builder\"'", ["cus_2"]),
        ("customer", 'name~"\\"the"', ["cus_2"]),
        ("customer", "phone:'+15550100'", ["cus_2"]),
        ("customer", '-email:"amy@rocketrides.io"', ["cus_2", "cus_3"]),
        ("customer", "email:null", ["cus_3"]),
        ("customer", "phone:NULL", ["cus_1", "cus_3"]),
        ("customer", "-email:null", ["cus_1", "cus_2"]),
        ("customer", "email:'null'", []),
        ("customer", 'metadata["plan"]:"gold"', ["cus_1"]),
        ("customer", "metadata['plan']:'SILVER'", ["cus_3"]),
        ("customer", "metadata['plan']:null", ["cus_2"]),
        ("customer", "-metadata['plan']:null", ["cus_1", "cus_3"]),
        ("customer", "metadata['tier']:'gold'", []),
        ("customer", "created:300", ["cus_3"]),
        ("customer", "created:'300'", ["cus_3"]),
        ("customer", "created>100", ["cus_2", "cus_3"]),
        ("customer", "created>=200", ["cus_2", "cus_3"]),
        ("customer", "created<200", ["cus_1"]),
        ("customer", "created<=200", ["cus_1", "cus_2"]),
        ("customer", "-created>100", ["cus_1"]),
        ("customer", "created>-1", ["cus_1", "cus_2", "cus_3"]),
        ("customer", "created>100 AND name~'ros'", ["cus_3"]),
        ("customer", "created>100 name~'ros'", ["cus_3"]),
        ("customer", "created>100 and name~'ben'", ["cus_2"]),
        ("customer", "email:'amy@rocketrides.io' OR name:'jenny rosen'", ["cus_1", "cus_3"]),
        ("customer", "email:'nobody@example.com' or created:200", ["cus_2"]),
        ("customer", "  email:'amy@rocketrides.io'   AND   created:100  ", ["cus_1"]),
        ("charge", "amount>999 AND metadata['order_id']:'6735'", ["ch_1"]),
        ("charge", "amount:500", ["ch_2"]),
        ("charge", "currency:'USD'", ["ch_1"]),
        ("charge", "-currency:'usd'", ["ch_2"]),
        ("charge", "customer:'cus_1'", ["ch_1"]),
        ("charge", "customer:'cus_2'", ["ch_2"]),
        ("charge", "disputed:'true'", ["ch_2"]),
        ("charge", "disputed:false", ["ch_1"]),
        ("charge", "refunded:true", ["ch_2"]),
        ("charge", "status:'succeeded' OR status:'failed'", ["ch_1", "ch_2"]),
        ("charge", "payment_method_details.card.last4:4242", ["ch_1"]),
        ("charge", "payment_method_details.card.brand:'mastercard'", ["ch_2"]),
        ("charge", "payment_method_details.card.exp_year>=2030", ["ch_1"]),
        ("charge", "payment_method_details.card.exp_month:1", ["ch_2"]),
        ("charge", "billing_details.address.postal_code:12345", ["ch_1"]),
        ("charge", "billing_details.address.postal_code:null", ["ch_2"]),
        ("charge", "amount:'1000'", ["ch_1"]),
    ],
)
def test_a_query_matches_the_objects_stripe_would_answer(object_type, query, ids):
    assert matching(object_type, query) == ids


def test_a_numeric_clause_does_not_match_a_boolean_nor_text():
    parsed = parse("charge", "amount:1")
    assert not parsed.matches({"amount": True})
    assert not parsed.matches({"amount": "1"})
    assert parsed.matches({"amount": 1})


def test_a_dotted_field_through_a_missing_or_flat_parent_is_no_value():
    parsed = parse("charge", "payment_method_details.card.last4:null")
    assert parsed.matches({})
    assert parsed.matches({"payment_method_details": "pm_1"})
    assert not parsed.matches({"payment_method_details": {"card": {"last4": "4242"}}})


def test_ten_clauses_are_accepted():
    assert len(parse("customer", " ".join(["created>1"] * 10)).clauses) == 10


def test_the_searchable_fields_are_the_documented_ones():
    documented = {
        "charge": frozenset(
            {
                "amount",
                "billing_details.address.postal_code",
                "created",
                "currency",
                "customer",
                "disputed",
                "metadata",
                "payment_method_details.card.brand",
                "payment_method_details.card.exp_month",
                "payment_method_details.card.exp_year",
                "payment_method_details.card.fingerprint",
                "payment_method_details.card.last4",
                "refunded",
                "status",
            }
        ),
        "customer": frozenset({"created", "email", "metadata", "name", "phone"}),
        "invoice": frozenset(
            {
                "created",
                "currency",
                "customer",
                "last_finalization_error_code",
                "last_finalization_error_type",
                "metadata",
                "number",
                "receipt_number",
                "status",
                "subscription",
                "total",
            }
        ),
        "payment_intent": frozenset(
            {"amount", "created", "currency", "customer", "metadata", "status"}
        ),
        "price": frozenset({"active", "currency", "lookup_key", "metadata", "product", "type"}),
        "product": frozenset({"active", "description", "metadata", "name", "shippable", "url"}),
        "subscription": frozenset({"created", "metadata", "status"}),
    }
    assert documented == SEARCH_FIELDS


@pytest.mark.parametrize(
    ("object_type", "query", "message"),
    [
        (
            "customer",
            'emial:"x"',
            "Field 'emial' is an unsupported search field for resource customers. See "
            "http://stripe.com/docs/search#query-fields-for-customers for a list of supported "
            "fields.",
        ),
        (
            "customer",
            'Email:"x"',
            "Field 'Email' is an unsupported search field for resource customers. See "
            "http://stripe.com/docs/search#query-fields-for-customers for a list of supported "
            "fields.",
        ),
        (
            "payment_intent",
            'email:"x"',
            "Field 'email' is an unsupported search field for resource payment_intents. See "
            "http://stripe.com/docs/search#query-fields-for-payment-intents for a list of "
            "supported fields.",
        ),
        (
            "customer",
            "  ",
            "The search query is empty. Pass one like email:'amy@example.com' or amount>1000; "
            + LANGUAGE,
        ),
        (
            "customer",
            "email:amy",
            "Invalid value 'amy' in 'email:amy': quote text values with \" or ' "
            "(name:'Jenny Rosen'); only numbers, true, false and null may be left unquoted",
        ),
        (
            "customer",
            'email:"amy"name:"x"',
            "We were unable to parse your search query at 'name:\"x\"' (character 12). " + FORMAT,
        ),
        (
            "customer",
            'email "amy"',
            "We were unable to parse your search query at 'email \"amy\"' (character 1). " + FORMAT,
        ),
        (
            "customer",
            'email:"unterminated',
            "We were unable to parse your search query at 'email:\"unterminated' (character 1). "
            + FORMAT,
        ),
        (
            "customer",
            'email:"a\\"',
            "We were unable to parse your search query at 'email:\"a\\\\\"' (character 1). "
            + FORMAT,
        ),
        (
            "customer",
            "email:'a' AND",
            "We were unable to parse your search query at 'AND' (character 11). " + FORMAT,
        ),
        (
            "customer",
            "email:'a' AND name:'b' OR phone:'c'",
            "The search query \"email:'a' AND name:'b' OR phone:'c'\" combines clauses with "
            "both AND and OR, which search does not support: use only AND (or spaces) or only OR",
        ),
        (
            "customer",
            "email:'a' name:'b' OR phone:'c'",
            "The search query \"email:'a' name:'b' OR phone:'c'\" combines clauses with "
            "both AND and OR, which search does not support: use only AND (or spaces) or only OR",
        ),
        (
            "customer",
            " ".join(["created>1"] * 11),
            "The search query '" + " ".join(["created>1"] * 11) + "' has 11 clauses; a search "
            "query may have at most 10",
        ),
        (
            "customer",
            'name~"am"',
            "Invalid clause 'name~\"am\"': a substring search (~) needs at least 3 characters, "
            "got 'am'",
        ),
        (
            "charge",
            'currency~"usd"',
            "Invalid clause 'currency~\"usd\"': currency is not a string field, so it takes no "
            "substring search (~); no field of charges does",
        ),
        (
            "customer",
            'created~"123"',
            "Invalid clause 'created~\"123\"': created is not a string field, so it takes no "
            "substring search (~); the fields of customers that do: email, name, phone",
        ),
        (
            "customer",
            'email>"a"',
            "Invalid clause 'email>\"a\"': email is not a numeric field, so it takes no > "
            "comparison; the fields of customers that do: created",
        ),
        (
            "product",
            "active<=1",
            "Invalid clause 'active<=1': active is not a numeric field, so it takes no <= "
            "comparison; no field of products does",
        ),
        (
            "charge",
            'amount:"ten"',
            "Invalid value 'ten' in 'amount:\"ten\"': amount is a numeric field, it takes a "
            "whole number (amount>1000; created takes a Unix timestamp)",
        ),
        (
            "customer",
            "created>1.5",
            "Invalid value '1.5' in 'created>1.5': created is a numeric field, it takes a "
            "whole number (created>1000; created takes a Unix timestamp)",
        ),
        (
            "customer",
            "email>null",
            "Invalid clause 'email>null': null takes the ':' operator only (email:null for no "
            "value, -email:null for any value)",
        ),
        (
            "customer",
            "name~null",
            "Invalid clause 'name~null': null takes the ':' operator only (name:null for no "
            "value, -name:null for any value)",
        ),
        (
            "customer",
            'metadata:"x"',
            "Invalid clause 'metadata:\"x\"': search metadata by key, as "
            "metadata['key']:'value' (or metadata['key']:null for objects without the key)",
        ),
    ],
)
def test_a_bad_query_is_refused_saying_what_is_accepted(object_type, query, message):
    with pytest.raises(InvalidRequest) as caught:
        parse(object_type, query)
    assert caught.value.status == 400
    assert caught.value.to_dict() == {
        "error": {"type": "invalid_request_error", "message": message, "param": "query"}
    }


URL = "/v1/customers/search"
NUMBERED = [
    {"id": f"cus_{n}", "object": "customer", "created": n, "metadata": {"odd": str(n % 2)}}
    for n in range(25, 0, -1)
]
EVERYONE = parse("customer", "created>0")


def ids(result):
    return [obj["id"] for obj in result["data"]]


def test_25_objects_page_by_10_in_three_pages():
    first = search_page(NUMBERED, {"limit": "10"}, URL, EVERYONE)
    second = search_page(NUMBERED, {"limit": "10", "page": first["next_page"]}, URL, EVERYONE)
    third = search_page(NUMBERED, {"limit": 10, "page": second["next_page"]}, URL, EVERYONE)
    assert ids(first) == [f"cus_{n}" for n in range(25, 15, -1)]
    assert ids(second) == [f"cus_{n}" for n in range(15, 5, -1)]
    assert third == {
        "object": "search_result",
        "data": NUMBERED[20:],
        "has_more": False,
        "next_page": None,
        "url": URL,
    }
    assert first["has_more"] is second["has_more"] is True
    assert isinstance(first["next_page"], str)
    assert first["next_page"] != second["next_page"]


def test_a_page_holds_only_matching_objects_and_10_by_default():
    odd = parse("customer", "metadata['odd']:'1'")
    result = search_page(NUMBERED, {}, URL, odd)
    assert ids(result) == [f"cus_{n}" for n in range(25, 5, -2)]
    rest = search_page(NUMBERED, {"page": result["next_page"]}, URL, odd)
    assert ids(rest) == ["cus_5", "cus_3", "cus_1"]
    assert rest["has_more"] is False


def test_nothing_matching_is_an_empty_last_page():
    assert search_page(NUMBERED, {}, URL, parse("customer", "created>25")) == {
        "object": "search_result",
        "data": [],
        "has_more": False,
        "next_page": None,
        "url": URL,
    }


def test_total_count_only_when_expanded():
    odd = parse("customer", "metadata['odd']:'1'")
    assert "total_count" not in search_page(NUMBERED, {}, URL, odd)
    assert search_page(NUMBERED, {"expand": ["total_count"]}, URL, odd)["total_count"] == 13
    assert search_page(NUMBERED, {"expand": "total_count"}, URL, odd)["total_count"] == 13
    assert "total_count" not in search_page(NUMBERED, {"expand": "data.total_count"}, URL, odd)


def test_a_newer_object_does_not_shift_the_next_page():
    first = search_page(NUMBERED, {"limit": "10"}, URL, EVERYONE)
    newer = [{"id": "cus_26", "object": "customer", "created": 26}, *NUMBERED]
    second = search_page(newer, {"limit": "10", "page": first["next_page"]}, URL, EVERYONE)
    assert ids(second) == [f"cus_{n}" for n in range(15, 5, -1)]


def test_when_the_last_object_shown_is_gone_the_next_page_starts_as_many_objects_in():
    first = search_page(NUMBERED, {"limit": "10"}, URL, EVERYONE)
    without_it = [row for row in NUMBERED if row["id"] != "cus_16"]
    second = search_page(without_it, {"limit": "10", "page": first["next_page"]}, URL, EVERYONE)
    assert second["data"] == without_it[10:20]


def page_error(page):
    return {
        "error": {
            "type": "invalid_request_error",
            "message": f"Invalid page: {page!r}: pass the next_page of a previous answer to "
            "this same search query, or no page for the first page",
            "param": "page",
        }
    }


FIRST_TOKEN = search_page(NUMBERED, {}, URL, EVERYONE)["next_page"]


def encoded(payload):
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


def tampered(**changes):
    """The first page's own token with some of its contents changed."""
    payload = json.loads(base64.urlsafe_b64decode(FIRST_TOKEN + "=" * (-len(FIRST_TOKEN) % 4)))
    return encoded({**payload, **changes})


@pytest.mark.parametrize(
    "page",
    [
        "abc",
        "",
        "!!!!",
        FIRST_TOKEN + "x",
        encoded(["cus_16", 10]),
        encoded({"after": "cus_16", "offset": 10}),
        tampered(query="0123456789abcdef"),
        tampered(offset="10"),
        tampered(offset=True),
        tampered(after=16),
        ["a"],
    ],
)
def test_a_page_token_that_is_not_ours_is_refused(page):
    with pytest.raises(InvalidRequest) as caught:
        search_page(NUMBERED, {"page": page}, URL, EVERYONE)
    assert caught.value.to_dict() == page_error(page)


def test_a_page_token_of_another_query_is_refused():
    token = search_page(NUMBERED, {}, URL, parse("customer", "created>1"))["next_page"]
    with pytest.raises(InvalidRequest) as caught:
        search_page(NUMBERED, {"page": token}, URL, EVERYONE)
    assert caught.value.to_dict() == page_error(token)


def test_limit_is_checked_as_list_limits_are():
    with pytest.raises(InvalidRequest) as caught:
        search_page(NUMBERED, {"limit": "101"}, URL, EVERYONE)
    assert caught.value.to_dict() == {
        "error": {
            "type": "invalid_request_error",
            "message": "Invalid limit: must be between 1 and 100, got 101",
            "param": "limit",
        }
    }
