"""Ids, keys and signing secrets: Stripe's alphabet after the prefix, randomness injected."""

from __future__ import annotations

import random
import re

from appevents.sandbox.ids import ALPHABET, IdFactory
from appevents.sandbox.service import Sandbox
from appevents.sandbox.state.db import connect

STRIPE_SHAPE = re.compile(r"(whsec|sk_test|sk_live|rk_test|pk_test)_[A-Za-z0-9]{32}")


def test_secrets_are_letters_and_digits_after_the_prefix():
    factory = IdFactory()
    made = [factory.secret() for _ in range(200)] + [factory.secret("sk_test") for _ in range(50)]
    assert all(STRIPE_SHAPE.fullmatch(s) for s in made), [
        s for s in made if not STRIPE_SHAPE.fullmatch(s)
    ]
    assert len(set(made)) == len(made)


class Scripted(random.Random):
    """A random source whose choices are the alphabet's first letters, and says it was used."""

    used = 0

    def choices(self, population, weights=None, *, cum_weights=None, k=1):  # type: ignore[override]
        self.used += 1
        return [population[n % len(population)] for n in range(k)]


def test_secrets_come_from_the_injected_source_and_ids_do_not():
    source = Scripted()
    factory = IdFactory(random.Random(7), secret_rng=source)
    assert factory.secret("rk_test", 5) == "rk_test_01234"
    first = factory.new("acct", 16)
    assert source.used == 1 and first == IdFactory(random.Random(7)).new("acct", 16)


def test_a_seeded_factory_makes_the_same_secrets_again():
    assert IdFactory(random.Random(3)).secret() == IdFactory(random.Random(3)).secret()


def test_account_keys_and_endpoint_secrets_have_stripes_shape():
    sandbox = Sandbox(connect(":memory:"))
    platform = sandbox.platform()
    assert STRIPE_SHAPE.fullmatch(platform["keys"]["test"])
    assert STRIPE_SHAPE.fullmatch(platform["keys"]["live"])
    caller = sandbox.caller(platform["keys"]["test"], None)
    endpoint = sandbox.create_endpoint(
        caller, {"url": "https://example.com/hook", "enabled_events": ["*"]}
    )
    assert STRIPE_SHAPE.fullmatch(endpoint["secret"])
    assert set(endpoint["secret"][len("whsec_") :]) <= set(ALPHABET)
