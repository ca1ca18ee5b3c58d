"""The README's examples, run as written (with this run's keys, ports and URLs)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from appevents.signature import verify
from sandbox_fixtures import wait_for

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def python_block_starting(first_lines: str) -> str:
    match = re.compile(r"```python\n(" + re.escape(first_lines) + r".*?)```", re.DOTALL).search(
        README
    )
    assert match, f"no python block in README.md starts with {first_lines!r}"
    return match.group(1)


def test_the_stripe_library_example_delivers_its_payment_events_signed(sandbox, receiver):
    handler, url = receiver
    code = python_block_starting("import stripe\nclient = stripe.StripeClient(")
    for placeholder, value in (
        ('"sk_test_…"', repr(sandbox.key)),
        ('"http://127.0.0.1:12111"', repr(sandbox.base)),
        ('"http://127.0.0.1:4242/webhook"', repr(url)),
    ):
        assert placeholder in code, placeholder
        code = code.replace(placeholder, value)
    names: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), names)
    wait_for(lambda: len(handler.received) >= 3)
    secret = names["endpoint"].secret  # type: ignore[attr-defined]
    types = []
    for headers, body in handler.received:
        verify(body, headers["stripe-signature"], [secret])
        types.append(json.loads(body)["type"])
    assert types == ["payment_intent.created", "charge.succeeded", "payment_intent.succeeded"]
    assert names["intent"].status == "succeeded"  # type: ignore[attr-defined]
