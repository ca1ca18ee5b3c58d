"""expand[] as Stripe does it, against the real schemas of api.json and a store of objects:
top-level, nested and list paths, polymorphic fields, arrays, nulls, missing ids, and the
paths Stripe refuses."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from appevents.sandbox.rest.expand import expand, expand_list
from appevents.sandbox.stripe_errors import InvalidRequest

CUSTOMER_REFS = ("customer", "deleted_customer")
SOURCE_REFS = ("bank_account", "card", "source")
OBJECTS: dict[str, dict[str, Any]] = {
    "cus_1": {
        "id": "cus_1",
        "object": "customer",
        "email": "jenny@example.com",
        "default_source": "card_1",
        "invoice_settings": {"default_payment_method": "pm_1", "footer": None},
    },
    "cus_gone": {"id": "cus_gone", "object": "customer", "deleted": True},
    "card_1": {"id": "card_1", "object": "card", "customer": "cus_1", "last4": "4242"},
    "ba_1": {"id": "ba_1", "object": "bank_account", "customer": "cus_1", "last4": "6789"},
    "pm_1": {"id": "pm_1", "object": "payment_method", "customer": "cus_1"},
    "ch_1": {
        "id": "ch_1",
        "object": "charge",
        "customer": "cus_1",
        "balance_transaction": "txn_1",
        "invoice": None,
    },
    "txn_1": {"id": "txn_1", "object": "balance_transaction", "source": "ch_1"},
    "in_1": {"id": "in_1", "object": "invoice", "subscription": "sub_1"},
    "sub_1": {"id": "sub_1", "object": "subscription", "default_payment_method": "pm_1"},
    "di_1": {"id": "di_1", "object": "discount", "coupon": {"id": "SAVE", "object": "coupon"}},
    "txi_1": {"id": "txi_1", "object": "tax_id", "value": "DE123456789"},
}


class Store:
    """A fetch over OBJECTS that records what it was asked."""

    def __init__(self) -> None:
        self.objects = copy.deepcopy(OBJECTS)
        self.calls: list[tuple[tuple[str, ...], str]] = []

    def __call__(self, refs: tuple[str, ...], object_id: str) -> dict[str, Any] | None:
        self.calls.append((refs, object_id))
        return self.objects.get(object_id)


@pytest.fixture
def store() -> Store:
    return Store()


def refused(message: str, code: str | None = None) -> dict[str, Any]:
    error = {"type": "invalid_request_error", "message": message, "param": "expand"}
    return {"error": error | ({"code": code} if code else {})}


def test_a_top_level_id_becomes_its_object(store: Store) -> None:
    charge = {"id": "ch_2", "object": "charge", "customer": "cus_1", "amount": 500}
    assert expand(charge, ["customer"], "charge", store) == {
        "id": "ch_2",
        "object": "charge",
        "customer": OBJECTS["cus_1"],
        "amount": 500,
    }
    assert store.calls == [(CUSTOMER_REFS, "cus_1")]


def test_neither_the_answer_nor_the_stored_objects_change(store: Store) -> None:
    intent = {"id": "pi_1", "object": "payment_intent", "latest_charge": "ch_1"}
    expanded = expand(intent, ["latest_charge.balance_transaction"], "payment_intent", store)
    assert intent == {"id": "pi_1", "object": "payment_intent", "latest_charge": "ch_1"}
    assert store.objects == OBJECTS
    assert expanded["latest_charge"] is not store.objects["ch_1"]


def test_no_paths_is_a_copy(store: Store) -> None:
    charge = {"id": "ch_2", "object": "charge", "customer": "cus_1"}
    expanded = expand(charge, [], "charge", store)
    assert expanded == charge
    assert expanded is not charge
    assert store.calls == []


def test_a_fetched_object_is_expanded_on_the_rest_of_the_path(store: Store) -> None:
    intent = {"id": "pi_1", "object": "payment_intent", "latest_charge": "ch_1"}
    expanded = expand(intent, ["latest_charge.balance_transaction"], "payment_intent", store)
    assert expanded["latest_charge"] == OBJECTS["ch_1"] | {"balance_transaction": OBJECTS["txn_1"]}
    assert store.calls == [(("charge",), "ch_1"), (("balance_transaction",), "txn_1")]


def test_four_levels_through_three_schemas(store: Store) -> None:
    intent = {"id": "pi_1", "object": "payment_intent", "invoice": "in_1"}
    path = "invoice.subscription.default_payment_method.customer"
    expanded = expand(intent, [path], "payment_intent", store)
    subscription = expanded["invoice"]["subscription"]
    assert subscription["default_payment_method"] == OBJECTS["pm_1"] | {
        "customer": OBJECTS["cus_1"]
    }
    assert [object_id for _, object_id in store.calls] == ["in_1", "sub_1", "pm_1", "cus_1"]


def test_an_inline_object_is_walked_to_its_expandable_fields(store: Store) -> None:
    customer = copy.deepcopy(OBJECTS["cus_1"])
    expanded = expand(customer, ["invoice_settings.default_payment_method"], "customer", store)
    assert expanded["invoice_settings"] == {
        "default_payment_method": OBJECTS["pm_1"],
        "footer": None,
    }
    assert store.calls == [(("payment_method",), "pm_1")]


def test_expanding_an_inline_object_itself_changes_nothing(store: Store) -> None:
    customer = copy.deepcopy(OBJECTS["cus_1"])
    assert expand(customer, ["invoice_settings"], "customer", store) == OBJECTS["cus_1"]
    assert store.calls == []


@pytest.mark.parametrize(
    ("source", "schema"), [("card_1", "card"), ("ba_1", "bank_account")], ids=["card", "bank"]
)
def test_a_polymorphic_field_expands_to_whichever_object_it_names(
    store: Store, source: str, schema: str
) -> None:
    customer = {"id": "cus_2", "object": "customer", "default_source": source}
    expanded = expand(customer, ["default_source.customer"], "customer", store)
    assert expanded["default_source"] == OBJECTS[source] | {"customer": OBJECTS["cus_1"]}
    assert store.calls == [(SOURCE_REFS, source), (CUSTOMER_REFS, "cus_1")]


def test_null_stays_null_and_is_never_fetched(store: Store) -> None:
    customer = {"id": "cus_2", "object": "customer", "default_source": None}
    assert expand(customer, ["default_source.customer"], "customer", store) == customer
    assert store.calls == []


def test_an_id_that_is_not_stored_stays_the_id(store: Store) -> None:
    charge = {"id": "ch_2", "object": "charge", "customer": "cus_unknown"}
    assert expand(charge, ["customer.default_source"], "charge", store) == charge
    assert store.calls == [(CUSTOMER_REFS, "cus_unknown")]


def test_a_deleted_object_expands_to_its_stub_and_no_further(store: Store) -> None:
    charge = {"id": "ch_2", "object": "charge", "customer": "cus_gone"}
    expanded = expand(charge, ["customer.default_source"], "charge", store)
    assert expanded["customer"] == {"id": "cus_gone", "object": "customer", "deleted": True}
    assert store.calls == [(CUSTOMER_REFS, "cus_gone")]


def test_a_field_the_object_does_not_carry_stays_absent(store: Store) -> None:
    charge = {"id": "ch_2", "object": "charge"}
    assert expand(charge, ["customer"], "charge", store) == charge
    assert store.calls == []


def test_an_expanded_object_is_walked_further(store: Store) -> None:
    charge = {"id": "ch_2", "object": "charge", "customer": copy.deepcopy(OBJECTS["cus_1"])}
    expanded = expand(charge, ["customer.default_source"], "charge", store)
    assert expanded["customer"] == OBJECTS["cus_1"] | {"default_source": OBJECTS["card_1"]}
    assert store.calls == [(SOURCE_REFS, "card_1")]


def test_expanding_twice_is_harmless(store: Store) -> None:
    charge = {"id": "ch_2", "object": "charge", "customer": "cus_1"}
    paths = ["customer", "customer", "customer.default_source", "customer.default_source"]
    expanded = expand(charge, paths, "charge", store)
    assert expanded["customer"] == OBJECTS["cus_1"] | {"default_source": OBJECTS["card_1"]}
    assert store.calls == [(CUSTOMER_REFS, "cus_1"), (SOURCE_REFS, "card_1")]
    assert expand(expanded, paths, "charge", store) == expanded
    assert len(store.calls) == 2


def test_an_array_expands_each_of_its_items(store: Store) -> None:
    inline = {"id": "di_2", "object": "discount", "coupon": {"id": "X", "object": "coupon"}}
    invoice = {
        "id": "in_2",
        "object": "invoice",
        "discounts": ["di_1", "di_unknown", inline],
        "account_tax_ids": ["txi_1"],
    }
    expanded = expand(invoice, ["discounts", "account_tax_ids"], "invoice", store)
    assert expanded["discounts"] == [OBJECTS["di_1"], "di_unknown", inline]
    assert expanded["account_tax_ids"] == [OBJECTS["txi_1"]]
    discount_refs = ("discount", "deleted_discount")
    assert store.calls == [
        (discount_refs, "di_1"),
        (discount_refs, "di_unknown"),
        (("tax_id", "deleted_tax_id"), "txi_1"),
    ]


def test_a_null_array_stays_null(store: Store) -> None:
    invoice = {"id": "in_2", "object": "invoice", "account_tax_ids": None}
    assert expand(invoice, ["account_tax_ids"], "invoice", store) == invoice


def test_an_inline_list_expands_in_each_of_its_items(store: Store) -> None:
    lines = {
        "object": "list",
        "data": [{"id": "il_1", "object": "line_item", "discounts": ["di_1"]}],
    }
    invoice = {"id": "in_2", "object": "invoice", "lines": lines}
    expanded = expand(invoice, ["lines.data.discounts"], "invoice", store)
    assert expanded["lines"]["data"][0]["discounts"] == [OBJECTS["di_1"]]


@pytest.mark.parametrize(
    ("schema", "path", "named"),
    [
        ("customer", "email", "email"),
        ("customer", "nope", "nope"),
        ("customer", "invoice_settings.foo", "invoice_settings.foo"),
        ("customer", "invoice_settings.footer", "invoice_settings.footer"),
        ("payment_intent", "latest_charge.amount", "latest_charge.amount"),
        ("payment_intent", "latest_charge.amount.currency", "latest_charge.amount"),
        ("charge", "data.customer", "data"),
        ("charge", "", ""),
    ],
)
def test_a_field_that_cannot_be_expanded_is_refused_with_its_path(
    store: Store, schema: str, path: str, named: str
) -> None:
    with pytest.raises(InvalidRequest) as refusal:
        expand({"id": "x_1", "object": schema}, [path], schema, store)
    assert refusal.value.to_dict() == refused(f"This property cannot be expanded ({named}).")
    assert refusal.value.status == 400


def test_a_path_is_checked_against_the_schemas_not_the_data(store: Store) -> None:
    """customer.foo is refused though the charge has no customer to expand."""
    charge = {"id": "ch_2", "object": "charge", "customer": None}
    with pytest.raises(InvalidRequest) as refusal:
        expand(charge, ["customer", "customer.foo"], "charge", store)
    assert refusal.value.to_dict() == refused("This property cannot be expanded (customer.foo).")
    assert store.calls == []


def test_a_field_is_expanded_only_where_the_object_s_own_schema_allows(store: Store) -> None:
    """A default_source's customer can be expanded in a card or a bank account, not in a
    source, where it is a plain string: a source keeps it."""
    source = {"id": "src_1", "object": "source", "customer": "cus_1"}
    store.objects["src_1"] = source
    customer = {"id": "cus_2", "object": "customer", "default_source": "src_1"}
    expanded = expand(customer, ["default_source.customer"], "customer", store)
    assert expanded["default_source"] == source
    assert store.calls == [(SOURCE_REFS, "src_1")]


def test_more_than_four_levels_is_refused(store: Store) -> None:
    path = "invoice.subscription.default_payment_method.customer.default_source"
    with pytest.raises(InvalidRequest) as refusal:
        expand({"id": "pi_1", "object": "payment_intent"}, [path], "payment_intent", store)
    assert refusal.value.to_dict() == refused(
        f"You cannot expand more than 4 levels of a property. Property: {path}",
        code="property_expansion_max_depth",
    )


def charges(*items: dict[str, Any], kind: str = "list") -> dict[str, Any]:
    return {"object": kind, "data": list(items), "has_more": False, "url": "/v1/charges"}


@pytest.mark.parametrize("kind", ["list", "search_result"])
def test_a_list_expands_each_item(store: Store, kind: str) -> None:
    first = {"id": "ch_2", "object": "charge", "customer": "cus_1"}
    second = {"id": "ch_3", "object": "charge", "customer": None}
    expanded = expand_list(charges(first, second, kind=kind), ["data.customer"], ("charge",), store)
    assert expanded == charges(first | {"customer": OBJECTS["cus_1"]}, second, kind=kind)
    assert store.calls == [(CUSTOMER_REFS, "cus_1")]


def test_a_list_of_several_schemas_reads_each_item_against_its_own(store: Store) -> None:
    sources = {
        "object": "list",
        "data": [copy.deepcopy(OBJECTS["card_1"]), copy.deepcopy(OBJECTS["ba_1"])],
        "has_more": False,
        "url": "/v1/customers/cus_1/sources",
    }
    expanded = expand_list(sources, ["data.customer"], ("bank_account", "card", "source"), store)
    assert [item["customer"] for item in expanded["data"]] == [OBJECTS["cus_1"]] * 2


def test_expanding_data_itself_changes_nothing(store: Store) -> None:
    listing = charges({"id": "ch_2", "object": "charge", "customer": "cus_1"})
    assert expand_list(listing, ["data"], ("charge",), store) == listing
    assert store.calls == []


def test_a_list_path_not_under_data_is_refused_with_the_one_meant(store: Store) -> None:
    with pytest.raises(InvalidRequest) as refusal:
        expand_list(charges(), ["customer"], ("charge",), store)
    assert refusal.value.to_dict() == refused(
        "This property cannot be expanded (customer). "
        "You may want to try expanding 'data.customer' instead."
    )


def test_a_list_item_field_that_cannot_be_expanded_is_refused(store: Store) -> None:
    with pytest.raises(InvalidRequest) as refusal:
        expand_list(charges(), ["data.amount"], ("charge",), store)
    assert refusal.value.to_dict() == refused("This property cannot be expanded (data.amount).")


def test_data_counts_as_a_level_of_a_list_path(store: Store) -> None:
    path = "data.customer.invoice_settings.default_payment_method.customer"
    with pytest.raises(InvalidRequest) as refusal:
        expand_list(charges(), [path], ("charge",), store)
    assert refusal.value.to_dict() == refused(
        f"You cannot expand more than 4 levels of a property. Property: {path}",
        code="property_expansion_max_depth",
    )
