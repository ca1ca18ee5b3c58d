import warnings

import pytest

import appevents
from appevents import App, ConfigurationError
from appevents.receiver.handlers import (
    Handler,
    HandlerRegistry,
    UnknownEventTypeWarning,
    check_pattern,
    matches,
)


@pytest.mark.parametrize(
    ("pattern", "event_type", "expected"),
    [
        ("payment_intent.succeeded", "payment_intent.succeeded", True),
        ("payment_intent.succeeded", "payment_intent.created", False),
        ("payment_intent.*", "payment_intent.created", True),
        ("payment_intent.*", "payment_intents.created", False),
        ("payment_intent.*", "payment_intent", False),
        ("charge.*", "charge.dispute.created", True),
        ("charge.dispute.*", "charge.refunded", False),
        ("*", "anything.at.all", True),
    ],
)
def test_matching(pattern, event_type, expected):
    assert matches(pattern, event_type) is expected


@pytest.mark.parametrize("pattern", ["", " x", "a*", "*.created", "a.*.b", ".x", "x.", "a..b", 5])
def test_bad_patterns_are_refused(pattern):
    with pytest.raises(ConfigurationError, match="event pattern"):
        check_pattern(pattern)


def test_registry_returns_matching_handlers_in_registration_order():
    registry = HandlerRegistry()

    def a(event): ...
    def b(event, ctx): ...
    def c(event): ...

    registry.add("*", a)
    registry.add("charge.refunded", b)
    registry.add("customer.*", c)
    assert [h.function for h in registry.for_type("charge.refunded")] == [a, b]
    assert [h.function for h in registry.for_type("customer.created")] == [a, c]
    registry.add("charge.*", c)  # registering clears the lookup cache
    assert [h.function for h in registry.for_type("charge.refunded")] == [a, b, c]
    assert registry.patterns() == ["*", "charge.refunded", "customer.*", "charge.*"]


def test_handler_arity_and_async_are_detected_once():
    async def two(event, ctx): ...
    def one(event): ...

    assert Handler.wrap("*", two).is_async and Handler.wrap("*", two).wants_context
    assert not Handler.wrap("*", one).is_async and not Handler.wrap("*", one).wants_context


def test_handlers_with_the_wrong_shape_are_refused():
    def none(): ...
    def three(a, b, c): ...

    for function in (none, three):
        with pytest.raises(ConfigurationError, match=r"fn\(event\) or fn\(event, ctx\)"):
            Handler.wrap("*", function)
    with pytest.raises(ConfigurationError, match="not callable"):
        Handler.wrap("*", "nope")  # type: ignore[arg-type]


def registration_warnings(*patterns, **options):
    """The warnings registering a handler for ``patterns`` gives, and the app."""
    app = App()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        app.on(*patterns, **options)(lambda event: None)
    return [w for w in caught if issubclass(w.category, UnknownEventTypeWarning)], app


def test_a_misspelt_event_type_warns_with_the_closest_names_at_the_users_line():
    caught, _ = registration_warnings("payment_intent.succeded")
    assert [str(w.message) for w in caught] == [
        "app.on('payment_intent.succeded'): Stripe sends no event of that type (did you mean "
        "'payment_intent.succeeded', 'payment_intent.canceled', 'setup_intent.succeeded'?), so "
        "this handler will never run; fix the name, or pass allow_unknown=True for an event "
        "type of your own"
    ]
    assert caught[0].filename == __file__  # points at the registration, not at appevents


def test_a_prefix_that_matches_no_type_warns_with_the_closest_prefixes():
    caught, _ = registration_warnings("payment_intnt.*")
    assert [str(w.message) for w in caught] == [
        "app.on('payment_intnt.*'): no Stripe event type starts with 'payment_intnt.' (did you "
        "mean 'payment_intent.*', 'payment_link.*', 'payment_method.*'?), so this handler will "
        "never run; fix the name, or pass allow_unknown=True for an event type of your own"
    ]


def test_a_misspelt_thin_type_warns_with_the_closest_thin_names():
    caught, _ = registration_warnings("v1.billing.meter.no_meter_fond", "v1.bling.*")
    assert [str(w.message) for w in caught] == [
        "app.on('v1.billing.meter.no_meter_fond'): Stripe sends no event of that type (did "
        "you mean 'v1.billing.meter.no_meter_found', 'v1.billing.meter.created', "
        "'v1.billing.meter.updated'?), so this handler will never run; fix the name, or pass "
        "allow_unknown=True for an event type of your own",
        "app.on('v1.bling.*'): no Stripe event type starts with 'v1.bling.' (did you mean "
        "'v1.billing.*', 'v1.plan.*', 'v1.balance.*'?), so this handler will never run; fix "
        "the name, or pass allow_unknown=True for an event type of your own",
    ]


def test_a_name_with_nothing_close_still_warns():
    caught, _ = registration_warnings("zzz.qqq")
    assert [str(w.message) for w in caught] == [
        "app.on('zzz.qqq'): Stripe sends no event of that type, so this handler will never "
        "run; fix the name, or pass allow_unknown=True for an event type of your own"
    ]


@pytest.mark.parametrize(
    "patterns",
    [
        ("payment_intent.succeeded",),
        ("payment_intent.*", "charge.dispute.*", "*"),
        ("account.application.authorized", "account.application.deauthorized"),
        ("v1.billing.meter.no_meter_found", "v1.billing.*", "v2.core.event_destination.ping"),
        ("v2.*", "v1.account.application.deauthorized"),
    ],
)
def test_known_types_and_prefixes_register_quietly(patterns):
    caught, app = registration_warnings(*patterns)
    assert caught == []
    assert app.registry.patterns() == list(patterns)


def test_allow_unknown_registers_a_custom_type_quietly():
    caught, app = registration_warnings(
        "acme.order.*", "payment_intent.succeded", allow_unknown=True
    )
    assert caught == []
    assert [h.pattern for h in app.registry.for_type("acme.order.shipped")] == ["acme.order.*"]
    assert len(app.registry.for_type("payment_intent.succeded")) == 1


def test_the_warning_class_is_public_and_a_user_warning():
    assert appevents.UnknownEventTypeWarning is UnknownEventTypeWarning
    assert issubclass(UnknownEventTypeWarning, UserWarning)
