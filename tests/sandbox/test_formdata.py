from urllib.parse import urlencode

import pytest

from appevents.sandbox.formdata import (
    as_bool,
    as_dict,
    as_int,
    as_metadata,
    as_optional_str,
    as_str,
    decode_form,
    encode_form,
)
from appevents.sandbox.stripe_errors import InvalidRequest


def test_bracket_notation_decodes_to_nested_values():
    body = urlencode(
        [
            ("url", "https://example.com/hook"),
            ("enabled_events[0]", "charge.succeeded"),
            ("enabled_events[1]", "customer.*"),
            ("metadata[order]", "7"),
            ("metadata[empty]", ""),
            ("expand[]", "data.customer"),
            ("expand[]", "data.charge"),
            ("items[0][price]", "price_1"),
            ("items[0][quantity]", "2"),
            ("items[1][price]", "price_2"),
        ]
    )
    assert decode_form(body.encode()) == {
        "url": "https://example.com/hook",
        "enabled_events": ["charge.succeeded", "customer.*"],
        "metadata": {"order": "7", "empty": ""},
        "expand": ["data.customer", "data.charge"],
        "items": [{"price": "price_1", "quantity": "2"}, {"price": "price_2"}],
    }


def test_indices_sort_numerically():
    pairs = [(f"a[{i}]", str(i)) for i in (10, 2, 0, 1)]
    assert decode_form(urlencode(pairs)) == {"a": ["0", "1", "2", "10"]}


def test_encode_is_the_inverse():
    params = {"a": ["x", "y"], "m": {"k": "v"}, "b": True, "n": 3, "nested": [{"p": "1"}]}
    decoded = decode_form(urlencode(encode_form(params)))
    assert decoded == {"a": ["x", "y"], "m": {"k": "v"}, "b": "true", "n": "3",
                       "nested": [{"p": "1"}]}  # fmt: skip


@pytest.mark.parametrize(
    "body", ["a[=1", "a]b=1", "a=1&a[b]=2", "a[b]=1&a=2", "a" + "[x]" * 9 + "=1"]
)
def test_malformed_names_are_invalid_requests_naming_the_parameter(body):
    with pytest.raises(InvalidRequest) as info:
        decode_form(body)
    assert info.value.param


def test_conversions():
    assert as_bool("true", "p") is True and as_bool("false", "p") is False
    with pytest.raises(InvalidRequest, match="Invalid boolean"):
        as_bool("yes", "connect")
    assert as_int("42", "limit", minimum=1, maximum=100) == 42
    with pytest.raises(InvalidRequest, match="between 1 and 100"):
        as_int("0", "limit", minimum=1, maximum=100)
    with pytest.raises(InvalidRequest, match="Invalid integer"):
        as_int("4.2", "limit")


def test_names_that_look_like_indices_only_to_python_stay_names():
    assert decode_form(urlencode([("metadata[²]", "x"), ("metadata[٣]", "y")])) == {
        "metadata": {"²": "x", "٣": "y"}
    }
    assert decode_form(urlencode([("a[\x00]", "x"), ("a[]", "y")])) == {
        "a": {"\x00": "x", "1": "y"}
    }
    assert decode_form("0=x&1=y") == {"0": "x", "1": "y"}  # the top level is always an object
    assert decode_form(urlencode([(f"a[{'9' * 5000}]", "x")])) == {"a": {"9" * 5000: "x"}}


@pytest.mark.parametrize("value", ["--5", "²", "٣", "9" * 5000, "1e3", " 1", "", 2**70, True, [1]])
def test_integers_are_ascii_digits_that_fit_64_bits(value):
    with pytest.raises(InvalidRequest, match="Invalid integer") as info:
        as_int(value, "limit")
    assert info.value.param == "limit" and len(info.value.message) < 200


def test_string_object_and_metadata_conversions_name_the_parameter():
    assert as_str("x", "email") == "x" and as_optional_str("", "email") is None
    assert as_dict(None, "business_profile") == {} and as_metadata({"a": "1"}) == {"a": "1"}
    for convert, value, param in [
        (as_str, ["x"], "email"), (as_optional_str, {"a": "b"}, "email"),
        (as_dict, "x", "business_profile"), (as_metadata, {"a": {"b": "c"}}, "metadata"),
        (as_metadata, ["x"], "metadata"),
    ]:  # fmt: skip
        with pytest.raises(InvalidRequest) as info:
            convert(value, param)
        assert info.value.param == param
