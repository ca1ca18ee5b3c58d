"""Calling the sandbox's API from the CLI with the saved login (or flags).

Everything a command sends goes through here, so that ids, header values and the sandbox's
answers are checked once: an id cannot reach another URL (``../account``), a key that
cannot be a header is named as such, and an unreachable sandbox or an answer that is not
the sandbox's is one clear error instead of a traceback.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote, urlencode

import click
import httpx

from ..listener import unreachable as sandbox_unreachable
from ..sandbox.formdata import encode_form
from .config import Login, load_login

__all__ = [
    "answer",
    "call",
    "check_header",
    "check_id",
    "echo_json",
    "login_or_fail",
    "path",
    "unexpected_answer",
    "unreachable",
]

# Stripe's ids are a prefix, "_" and letters and digits; app ids are manifest ids
# (com.example.app), hence "." and "-" inside (never first, so never "." or "..").
ID_SHAPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
# Printable ASCII: what an HTTP header value may hold without being mangled.
HEADER_SHAPE = re.compile(r"[\x21-\x7e]+")


def login_or_fail() -> Login:
    saved = load_login()
    if saved is None:
        raise click.UsageError(
            "not logged in: start `appevents sandbox`, then run `appevents login`"
        )
    return saved


def check_id(value: str, what: str = "id") -> str:
    """``value`` if it has an id's shape; a usage error naming it otherwise."""
    if not ID_SHAPE.fullmatch(value):
        raise click.UsageError(
            f"invalid {what} {value!r}: expected an id of letters, digits and _ "
            "(like evt_1Q2w3E4r or acct_1Q2w3E4r)"
        )
    return value


def path(template: str, *ids: str) -> str:
    """``template`` with each ``{}`` replaced by an id, checked and escaped as one segment."""
    return template.format(*(quote(check_id(i), safe="") for i in ids))


def check_header(name: str, value: str, fix: str) -> str:
    if not HEADER_SHAPE.fullmatch(value):
        raise click.UsageError(
            f"invalid {name} {value!r}: a header value must be printable ASCII without spaces "
            f"or line breaks; {fix}"
        )
    return value


def unreachable(api_base: str, error: Exception) -> click.ClickException:
    """The error for a sandbox that does not answer (shared by every command that calls it)."""
    fix = "log in to the one you run (`appevents login --api-base URL`)"
    return click.ClickException(str(sandbox_unreachable(api_base, error, fix=fix)))


def unexpected_answer(api_base: str, response: httpx.Response) -> click.ClickException:
    return click.ClickException(
        f"{response.request.method} {response.request.url.path}: {api_base} answered "
        f"{response.status_code} {response.text[:200]!r}, not as the sandbox does: is it "
        "`appevents sandbox`?"
    )


def call(
    method: str,
    path: str,
    params: dict[str, Any] | None = None,
    *,
    json_body: dict[str, Any] | None = None,
    stripe_account: str | None = None,
    live: bool = False,
    key: str | None = None,
    expect: tuple[str, ...] = (),
) -> Any:
    """One API call; a Stripe error becomes a clear CLI error with the sandbox's message.

    ``expect``: keys the answer must have (what the command reads), else it is not the
    sandbox that answered."""
    for segment in path.split("/")[1:]:
        if segment in ("", ".", ".."):  # a caller that did not use path()
            raise click.UsageError(f"invalid path {path!r}: an id in it is empty, . or ..")
    login = login_or_fail()
    secret = check_header("API key", key or login.key(live), "run `appevents login` again")
    headers = {"Authorization": f"Bearer {secret}"}
    if stripe_account:
        headers["Stripe-Account"] = check_id(stripe_account, "--stripe-account")
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
        raise unreachable(login.api_base, exc) from None
    body = answer(login.api_base, response)
    if not all(k in body for k in expect):
        raise unexpected_answer(login.api_base, response)
    return body


def answer(api_base: str, response: httpx.Response) -> Any:
    """The sandbox's JSON answer, or its Stripe error as a CLI error."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise unexpected_answer(api_base, response) from None
    if not isinstance(body, dict):
        raise unexpected_answer(api_base, response)
    if response.status_code >= 400:
        error = body.get("error")
        if not isinstance(error, dict) or not isinstance(error.get("message"), str):
            raise unexpected_answer(api_base, response)
        param = f" (param: {error['param']})" if error.get("param") else ""
        raise click.ClickException(f"{error['message']}{param}")
    return body


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2))
