"""The webhook receiver from Stripe's documentation, as written there, for comparison.

Source: docs.stripe.com/webhooks (Python / Flask sample): read the raw body, verify it
with ``stripe.Webhook.construct_event``, answer 400 on a bad payload or signature, handle
the event, ``return jsonify(success=True)``. It stores nothing, so it promises nothing
once it has answered 200. The only departures: the secret comes from the environment
(peers.py sets it), and the errors answer 400 as the docs recommend in prose rather than
re-raising (a 500).

Served by gunicorn with 2 workers (peers.py).
"""

from __future__ import annotations

import os

import stripe
from flask import Flask, jsonify, request

# This is your Stripe CLI webhook secret for testing your endpoint locally.
endpoint_secret = os.environ["STRIPE_WEBHOOK_SECRET"]

app = Flask(__name__)


@app.route("/webhook", methods=["POST"])
def webhook():  # type: ignore[no-untyped-def]  # Flask view, kept as the docs write it
    event = None
    payload = request.data
    sig_header = request.headers.get("Stripe-Signature")

    try:
        event = stripe.Webhook.construct_event(payload, sig_header, endpoint_secret)
    except ValueError:
        # Invalid payload
        return jsonify(success=False), 400
    except stripe.SignatureVerificationError:
        # Invalid signature
        return jsonify(success=False), 400

    # Handle the event
    if event["type"] == "payment_intent.succeeded":
        payment_intent = event["data"]["object"]  # noqa: F841  # the docs' placeholder
    else:
        print(f"Unhandled event type {event['type']}")

    return jsonify(success=True)
