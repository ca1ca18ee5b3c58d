import pytest

from appevents import ConfigurationError
from appevents.receiver.handlers import Handler, HandlerRegistry, check_pattern, matches


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
