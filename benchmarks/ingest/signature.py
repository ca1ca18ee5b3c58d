"""Micro benchmark: the cost of verifying one Stripe-Signature on a ~2.6 KB delivery.

    .venv/bin/python benchmarks/ingest/signature.py [--repeat 7] [--number 20000]

Compares, on the same body and header:
- bare HMAC: ``hmac.new(key, f"{t}.".encode() + payload, sha256).hexdigest()``, the
  floor any verifier pays (no header parsing, no comparison, no clock);
- ``appevents.signature.Verifier.verify``: parse the header, HMAC, constant-time
  compare, tolerance both ways;
- ``stripe.Webhook.construct_event``: what Stripe's docs sample calls, which also
  builds a ``stripe.Event`` from the JSON (so it is verify + parse + objects);
- ``stripe.WebhookSignature.verify_header``: the verification part of it alone.

Prints µs per call (median of ``--repeat`` timeit repeats) and ratios to bare HMAC.
Target from issue 2: our verify under 2x bare HMAC.
"""

from __future__ import annotations

import argparse
import hmac
import random
import statistics
import sys
import time
import timeit
from collections.abc import Callable
from hashlib import sha256

import payloads
import stripe

from appevents import sign
from appevents.signature import Verifier

TARGET = 2.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--number", type=int, default=20_000)
    args = parser.parse_args(argv)

    secret = "whsec_" + "x" * 32
    key = secret.encode()
    timestamp = int(time.time())
    payload = payloads.payment_intent_succeeded(
        "evt_" + "0" * 24, payloads.ACCOUNTS[0], timestamp, random.Random(0)
    )
    header = sign(payload, secret, timestamp)
    verifier = Verifier(secret)
    assert verifier.verify(payload, header) == timestamp

    def bare_hmac() -> str:
        return hmac.new(key, f"{timestamp}.".encode() + payload, sha256).hexdigest()

    def ours() -> int:
        return verifier.verify(payload, header)

    def stripe_verify_header() -> bool:
        return bool(stripe.WebhookSignature.verify_header(payload, header, secret))

    def stripe_construct_event() -> object:
        return stripe.Webhook.construct_event(payload, header, secret)

    candidates: list[tuple[str, Callable[[], object]]] = [
        ("bare hmac.new(...).hexdigest()", bare_hmac),
        ("appevents Verifier.verify", ours),
        ("stripe WebhookSignature.verify_header", stripe_verify_header),
        ("stripe Webhook.construct_event", stripe_construct_event),
    ]
    print(
        f"payload {len(payload):,} B, header {len(header)} chars, Python {sys.version.split()[0]}, "
        f"stripe {stripe.VERSION}; median of {args.repeat} x {args.number:,} calls"
    )
    results: dict[str, float] = {}
    for name, function in candidates:
        number = args.number if "construct" not in name else max(1, args.number // 10)
        times = timeit.repeat(function, number=number, repeat=args.repeat)
        results[name] = statistics.median(times) / number * 1e6
    floor = results["bare hmac.new(...).hexdigest()"]
    width = max(len(n) for n in results)
    print(f"{'':{width}}  {'µs/call':>8}  {'x bare HMAC':>11}")
    for name, micros in results.items():
        print(f"{name:{width}}  {micros:8.2f}  {micros / floor:10.2f}x")
    ratio = results["appevents Verifier.verify"] / floor
    verdict = "met" if ratio < TARGET else "MISSED"
    print(f"\ntarget  appevents verify < {TARGET:g}x bare HMAC: {ratio:.2f}x  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
