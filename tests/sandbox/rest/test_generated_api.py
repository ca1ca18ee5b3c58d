"""The REST API's data is what scripts/generate_api.py makes of the committed spec."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from appevents.sandbox.rest import spec

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / "src" / "appevents" / "sandbox" / "rest" / "data"


def _generator():
    loaded = importlib.util.spec_from_file_location(
        "generate_api", REPO / "scripts" / "generate_api.py"
    )
    assert loaded is not None and loaded.loader is not None
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    return module


def test_the_shipped_data_is_what_the_generator_makes(tmp_path):
    written = _generator().generate(REPO / "scripts" / "catalog-sources", tmp_path)
    for path in written:
        assert path.read_bytes() == (DATA / path.name).read_bytes(), (
            f"{path.name} is stale: run .venv/bin/python scripts/generate_api.py"
        )


def test_every_path_and_method_of_the_spec_is_an_operation_with_a_kind():
    operations = spec.operations()
    assert len(operations) == 533
    assert {op.kind for op in operations} == {
        "create", "retrieve", "update", "delete", "list", "search", "action", "preview",
    }  # fmt: skip
    for op in operations:
        found = spec.match(op.method, op.path.replace("{", "x").replace("}", ""))
        assert found is not None and found[0].path.count("/") == op.path.count("/"), op.path


def test_a_literal_segment_wins_over_an_id():
    assert spec.match("GET", "/v1/customers/search")[0].kind == "search"
    op, params = spec.match("GET", "/v1/customers/cus_1")
    assert (op.kind, params) == ("retrieve", {"customer": "cus_1"})
    op, params = spec.match("POST", "/v1/transfers/tr_1/reversals/trr_1")
    assert (op.path_params, params) == (("transfer", "id"), {"transfer": "tr_1", "id": "trr_1"})
    op, params = spec.match("POST", "/v1/payment_intents/pi_1/confirm")
    assert (op.kind, op.answers, params) == ("action", ("payment_intent",), {"intent": "pi_1"})
    assert spec.match("GET", "/v1/customers//x") is None
    assert spec.match("GET", "/v1/nothing") is None


def test_resources_have_stripes_prefixes_and_default_fields():
    customer = spec.resource("customer")
    assert (customer.prefix, customer.path, customer.deleted) == (
        "cus", "/v1/customers/{customer}", "deleted_customer",
    )  # fmt: skip
    assert "sources" not in customer.fields  # includable: only when expanded
    assert {"email", "metadata", "invoice_settings"} <= set(customer.fields)
    assert spec.resource("issuing.card").prefix == "ic"
    assert spec.resource_of_object("checkout.session").name == "checkout.session"
    assert not [r.name for r in spec.resources().values() if r.prefix == "obj"]
