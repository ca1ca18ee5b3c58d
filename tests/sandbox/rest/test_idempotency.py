"""Idempotency keys as Stripe keeps them, against a real state database: a retry gets the
first answer, a key reused elsewhere is refused, keys are per account and mode, and they
expire after 24 hours."""

from __future__ import annotations

from typing import Any

import pytest

from appevents.sandbox.rest.idempotency import (
    KEY_LIFETIME,
    check_key,
    fingerprint,
    remember,
    replay,
    sweep,
)
from appevents.sandbox.state.db import StateDB, connect
from appevents.sandbox.stripe_errors import IdempotencyError, InvalidRequest

T0 = 1_700_000_000
DAY = 24 * 60 * 60
CUSTOMER = {"email": "jenny@example.com", "metadata": {"a": "1", "b": "2"}}
REORDERED = {"metadata": {"b": "2", "a": "1"}, "email": "jenny@example.com"}
BODY = b'{"id":"cus_1","object":"customer","name":"J\xc3\xa9r\xc3\xb4me"}'


@pytest.fixture
def db() -> StateDB:
    return connect(":memory:")


def save(db: StateDB, **changes: Any) -> None:
    """The first use of key "k1" by acct_1 in test mode: POST /v1/customers answered 200."""
    answer: dict[str, Any] = {
        "account": "acct_1",
        "livemode": False,
        "key": "k1",
        "request": "POST /v1/customers",
        "fingerprint": fingerprint(CUSTOMER),
        "status": 200,
        "body": BODY,
        "now": T0,
    }
    remember(db, **{**answer, **changes})


def again(db: StateDB, **changes: Any) -> tuple[int, bytes] | None:
    """A retry of that first use (less an hour later), with ``changes``."""
    retry: dict[str, Any] = {
        "account": "acct_1",
        "livemode": False,
        "key": "k1",
        "request": "POST /v1/customers",
        "fingerprint": fingerprint(CUSTOMER),
        "now": T0 + 3600,
    }
    return replay(db, **{**retry, **changes})


def rows(db: StateDB) -> int:
    (count,) = db.execute("SELECT count(*) FROM idempotency_keys").fetchone()
    return int(count)


def test_a_request_without_a_key_or_with_an_empty_one_has_none():
    assert check_key(None) is None
    assert check_key("") is None


def test_a_key_of_255_characters_is_taken_as_it_is():
    key = "k" * 254 + "é"
    assert check_key(key) == key


def test_a_key_longer_than_255_characters_is_refused_with_its_length():
    with pytest.raises(InvalidRequest) as refused:
        check_key("k" * 256)
    assert refused.value.status == 400
    assert refused.value.to_dict() == {
        "error": {
            "type": "invalid_request_error",
            "message": "Idempotency-Key must be at most 255 characters long (this one has 256): use a shorter key, such as a UUID.",
        }
    }


def test_the_fingerprint_does_not_depend_on_the_order_of_keys_at_any_depth():
    assert fingerprint(REORDERED) == fingerprint(CUSTOMER)


@pytest.mark.parametrize(
    "other",
    [
        {"email": "jenny@example.com", "metadata": {"a": "1", "b": "3"}},
        {"email": "jenny@example.com", "metadata": {"a": "1"}},
        {"email": "jenny@example.com", "metadata": {"a": "1", "b": 2}},
        {"email": "jenny@example.com", "metadata": {"a": "1", "b": "2"}, "name": "J"},
    ],
    ids=["other value", "one fewer", "typed not string", "one more"],
)
def test_the_fingerprint_changes_with_any_parameter(other):
    assert fingerprint(other) != fingerprint(CUSTOMER)


def test_the_fingerprint_keeps_the_order_of_lists():
    assert fingerprint({"expand": ["a", "b"]}) != fingerprint({"expand": ["b", "a"]})


def test_an_unknown_key_has_no_answer(db):
    assert again(db) is None


def test_a_retry_gets_the_first_answer_byte_for_byte(db):
    save(db)
    assert again(db) == (200, BODY)
    assert again(db, fingerprint=fingerprint(REORDERED)) == (200, BODY)


def test_an_error_the_operation_answered_is_replayed_with_its_status(db):
    card_declined = b'{"error":{"type":"card_error","code":"card_declined"}}'
    save(db, status=402, body=card_declined)
    assert again(db) == (402, card_declined)


def test_a_key_reused_with_other_parameters_is_an_idempotency_error(db):
    save(db)
    with pytest.raises(IdempotencyError) as refused:
        again(db, fingerprint=fingerprint({"email": "other@example.com"}))
    assert refused.value.status == 400
    assert refused.value.to_dict() == {
        "error": {
            "type": "idempotency_error",
            "message": "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than 'k1' if you meant to execute a different request.",
        }
    }


@pytest.mark.parametrize(
    "request_",
    ["POST /v1/products", "POST /v1/customers/cus_1", "GET /v1/customers"],
)
def test_a_key_reused_for_another_endpoint_is_an_idempotency_error_naming_both(db, request_):
    save(db)
    with pytest.raises(IdempotencyError) as refused:
        again(db, request=request_)
    assert refused.value.status == 400
    assert refused.value.to_dict() == {
        "error": {
            "type": "idempotency_error",
            "message": f"Keys for idempotent requests can only be used for the same endpoint they were first used for ('POST /v1/customers' vs '{request_}'). Try using a key other than 'k1' if you meant to execute a different request.",
        }
    }


def test_another_endpoint_is_named_even_when_the_parameters_differ_too(db):
    save(db)
    with pytest.raises(IdempotencyError, match=r"same endpoint .*'POST /v1/products'\)"):
        again(db, request="POST /v1/products", fingerprint=fingerprint({"name": "T-shirt"}))


@pytest.mark.parametrize(
    "scope",
    [{"account": "acct_2"}, {"livemode": True}, {"account": "acct_2", "livemode": True}],
    ids=["other account", "live mode", "both"],
)
def test_keys_are_kept_per_account_and_mode(db, scope):
    save(db)
    assert again(db, **scope) is None
    other_answer = b'{"id":"prod_1","object":"product"}'
    save(db, **scope, request="POST /v1/products", body=other_answer)
    assert again(db, **scope, request="POST /v1/products") == (200, other_answer)
    assert again(db) == (200, BODY)


def test_a_key_answers_until_24_hours_after_its_first_use(db):
    save(db)
    assert again(db, now=T0 + DAY - 1) == (200, BODY)
    assert rows(db) == 1


def test_a_key_24_hours_old_is_unknown_again_and_dropped(db):
    save(db)
    assert again(db, now=T0 + DAY) is None
    assert rows(db) == 0
    save(db, request="POST /v1/products", now=T0 + DAY)
    assert again(db, request="POST /v1/products", now=T0 + DAY) == (200, BODY)


def test_an_expired_key_is_not_checked_against_the_new_request(db):
    save(db)
    assert again(db, request="POST /v1/products", fingerprint="other", now=T0 + 2 * DAY) is None


def test_an_answer_saved_in_a_transaction_that_rolls_back_is_not_kept(db):
    with pytest.raises(RuntimeError), db.transaction():
        save(db)
        raise RuntimeError("the operation failed after its answer was saved")
    assert again(db) is None


def test_an_answer_saved_in_the_callers_transaction_is_kept_once_it_commits(db):
    with db.transaction():
        assert again(db) is None
        save(db)
    assert again(db) == (200, BODY)


def test_a_sweep_drops_only_the_expired_keys(db):
    for key, created in (("old", 1_000), ("edge", 1_000 + 3_600), ("new", 1_000 + KEY_LIFETIME)):
        remember(
            db, account="acct_1", livemode=False, key=key, request="POST /v1/customers",
            fingerprint="f", status=200, body=b"{}", now=created,
        )  # fmt: skip
    assert sweep(db, 1_000 + KEY_LIFETIME + 3_600) == 2
    assert [r[0] for r in db.execute("SELECT key FROM idempotency_keys")] == ["new"]
