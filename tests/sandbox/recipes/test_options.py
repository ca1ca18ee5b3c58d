"""--skip, --add, --override and --remove as the Stripe CLI has them, and precise errors."""

from __future__ import annotations

import pytest

from appevents.sandbox import recipes
from appevents.sandbox.stripe_errors import InvalidRequest, PermissionDenied


def run(world, name, **options):
    return recipes.run(world.sandbox, world.caller, name, **options)


def last(result, event_type):
    return [e for e in result.events if e["type"] == event_type][-1]["data"]["object"]


def test_override_replaces_a_param_typed_like_it(world):
    result = run(world, "payment_intent.succeeded", override=["payment_intent:amount=5000"])
    intent = last(result, "payment_intent.succeeded")
    assert intent["amount"] == 5000 and last(result, "charge.succeeded")["amount"] == 5000


def test_add_sets_only_a_missing_param_in_either_path_syntax(world):
    result = run(
        world, "payment_intent.succeeded",
        add=["payment_intent:metadata[orderId]=1", "payment_intent:amount=9999",
             "payment_intent:shipping.name=Jenny"],
    )  # fmt: skip
    intent = last(result, "payment_intent.succeeded")
    assert intent["metadata"] == {"orderId": "1"}
    assert intent["amount"] == 2000  # present already: --add leaves it
    assert intent["shipping"]["name"] == "Jenny"


def test_remove_deletes_a_param_so_the_default_stays(world):
    result = run(world, "customer.created", remove=["customer:description"])
    customer = last(result, "customer.created")
    assert customer["description"] != "(created by appevents trigger)"


def test_override_can_refer_to_an_earlier_step(world):
    result = run(
        world, "payment_link.created", override=["payment_link:metadata.product=${product:id}"]
    )
    link = last(result, "payment_link.created")
    assert link["metadata"]["product"] == last(result, "product.created")["id"]


def test_skip_leaves_a_step_out(world):
    result = run(world, "payment_method.detached", skip=["detach_payment_method"])
    assert result.steps_run == ["customer", "payment_method", "attach_payment_method"]
    assert [e["type"] for e in result.events] == ["customer.created", "payment_method.attached"]
    assert "Setting up fixture for: detach_payment_method" not in result.lines


def test_skipping_a_step_others_need_says_which_and_how_to_fix_it(world):
    with pytest.raises(InvalidRequest) as raised:
        run(world, "customer.subscription.created", skip=["customer"])
    assert "'customer' is skipped" in raised.value.message
    assert "--override" in raised.value.message


def test_a_skipped_step_replaced_by_an_override_runs(world):
    first = run(world, "customer.created")
    customer_id = last(first, "customer.created")["id"]
    result = run(world, "invoiceitem.created", skip=["customer"],
                 override=[f"invoiceitem:customer={customer_id}"])  # fmt: skip
    assert last(result, "invoiceitem.created")["customer"] == customer_id


def test_a_failing_run_leaves_nothing_behind(world):
    before = world.sandbox.db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    with pytest.raises(InvalidRequest):
        run(world, "customer.subscription.created", skip=["product"])
    after = world.sandbox.db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    assert after == before


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"override": ["payment_intent.amount=5"]}, "expected STEP:PATH=VALUE"),
        ({"override": ["payment_intent:amount"]}, "expected STEP:PATH=VALUE"),
        ({"add": [":amount=5"]}, "expected STEP:PATH=VALUE"),
        ({"remove": ["payment_intent:amount=5"]}, "expected STEP:PATH"),
        ({"override": ["payment_intnt:amount=5"]}, "did you mean payment_intent?"),
        ({"skip": ["paymentintent"]}, "has no step 'paymentintent'; did you mean payment_intent?"),
        ({"override": ["payment_intent:amo..unt=5"]}, "not a dotted path"),
        ({"override": ["payment_intent:amount=lots"]}, "expected an integer"),
        ({"remove": ["payment_intent:nothing"]}, "has no param nothing (its params: amount, currency, description)"),
        ({"override": ["payment_intent:metadata.x=${nope:id}"]}, "makes no object 'nope'"),
        ({"override": ["payment_intent:metadata.x=${context:tomorrow}"]}, "context has account"),
    ],
)  # fmt: skip
def test_bad_options_are_precise(world, options, expected):
    with pytest.raises(InvalidRequest) as raised:
        run(world, "payment_intent.succeeded", **options)
    assert expected in raised.value.message


def test_unknown_trigger_names_the_closest(world):
    with pytest.raises(InvalidRequest) as raised:
        run(world, "payment_intent.succeded")
    assert "Unknown trigger 'payment_intent.succeded'" in raised.value.message
    assert "payment_intent.succeeded" in raised.value.message
    assert raised.value.param == "event"


def test_a_connected_account_gets_the_events(world):
    account = world.sandbox.create_account(world.platform["id"], {})
    caller = world.sandbox.caller(world.platform["keys"]["test"], account["id"])
    result = recipes.run(world.sandbox, caller, "charge.succeeded")
    assert {e["account"] for e in result.events} == {account["id"]}


def test_live_mode_events_are_live(world):
    caller = world.sandbox.caller(world.platform["keys"]["live"], None)
    result = recipes.run(world.sandbox, caller, "customer.created")
    assert result.events[0]["livemode"] is True
    assert result.events[0]["data"]["object"]["livemode"] is True


def test_an_app_without_the_write_permission_is_refused(world):
    merchant = world.sandbox.create_standalone_account({})
    app = world.sandbox.register_app(world.platform["id"], {
        "id": "com.example.reader", "version": "1.0.0", "name": "Reader",
        "permissions": [{"permission": "event_read", "purpose": "x"},
                        {"permission": "customer_read", "purpose": "x"}]})  # fmt: skip
    world.sandbox.install(app["id"], merchant["id"], mode="test")
    caller = world.sandbox.caller(world.platform["keys"]["test"], merchant["id"])
    with pytest.raises(PermissionDenied) as raised:
        recipes.run(world.sandbox, caller, "customer.created")
    assert "customer_write" in raised.value.message
