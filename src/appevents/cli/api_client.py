"""Calling the sandbox's API from the CLI with the saved login (or flags)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import click
import httpx

from ..sandbox.formdata import encode_form
from .config import Login, load_login


def login_or_fail() -> Login:
    saved = load_login()
    if saved is None:
        raise click.UsageError(
            "not logged in: start `appevents sandbox`, then run `appevents login`"
        )
    return saved


def call(
    method: str,
    path: str,
    params: dict[str, Any] | None = None,
    *,
    json_body: dict[str, Any] | None = None,
    stripe_account: str | None = None,
    live: bool = False,
    key: str | None = None,
) -> Any:
    """One API call; a Stripe error becomes a clear CLI error with the sandbox's message."""
    login = login_or_fail()
    headers = {"Authorization": f"Bearer {key or login.key(live)}"}
    if stripe_account:
        headers["Stripe-Account"] = stripe_account
    url = f"{login.api_base}{path}"
    try:
        if json_body is not None:
            response = httpx.request(method, url, json=json_body, headers=headers, timeout=30)
        elif method in ("GET", "DELETE"):
            response = httpx.request(
                method,
                url,
                params=urlencode(encode_form(params or {})),
                headers=headers,
                timeout=30,
            )
        else:
            response = httpx.request(
                method, url, data=dict(encode_form(params or {})), headers=headers, timeout=30
            )
    except httpx.HTTPError as exc:
        raise click.ClickException(
            f"cannot reach the sandbox at {login.api_base} ({exc}): is `appevents sandbox` running?"
        ) from None
    try:
        body = response.json()
    except json.JSONDecodeError:
        raise click.ClickException(
            f"{method} {path}: {response.status_code} {response.text[:200]}"
        ) from None
    if response.status_code >= 400:
        error = body.get("error", {})
        param = f" (param: {error['param']})" if error.get("param") else ""
        raise click.ClickException(f"{error.get('message', response.text)}{param}")
    return body


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2))
