"""Stripe's REST API, run generically from its OpenAPI description (see spec.py)."""
