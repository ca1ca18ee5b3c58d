"""The keys of the merchant accounts this CLI made, so it can act as them later.

At Stripe only an account itself installs or removes an app on it: the sandbox asks for
that account's own key. ``appevents accounts create`` makes such merchants and keeps
their keys here (``merchants.json`` beside the login, mode 0600, per sandbox URL), so
that ``apps install --account acct_…`` and ``trigger account.application.* --stripe-account
acct_…`` work as written, without copying keys around.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from .config import check_config_writable, config_path, write_private_json

__all__ = ["merchant_key", "remember_merchant", "require_merchant_key"]


def merchants_path() -> Path:
    return config_path().with_name("merchants.json")


def _saved() -> dict[str, dict[str, dict[str, str]]]:
    path = merchants_path()
    try:
        data: Any = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(
            f"cannot read {path}: {exc}; delete it (it only holds the keys of merchants "
            "`appevents accounts create` made) and create them again"
        ) from None
    well_formed = isinstance(data, dict) and all(
        isinstance(accounts, dict)
        and all(
            isinstance(keys, dict) and all(isinstance(k, str) for k in keys.values())
            for keys in accounts.values()
        )
        for accounts in data.values()
    )
    if not well_formed:
        raise click.ClickException(
            f"{path} is not what `appevents accounts create` writes: delete it and create "
            "the merchants again"
        )
    return data  # type: ignore[no-any-return]


def remember_merchant(api_base: str, account: str, keys: dict[str, Any]) -> None:
    """Keep ``account``'s secret keys (``{"test": …, "live": …}``) for this sandbox."""
    check_config_writable()
    saved = _saved()
    saved.setdefault(api_base, {})[account] = {
        mode: key for mode, key in keys.items() if mode in ("test", "live") and key
    }
    write_private_json(merchants_path(), saved, "the merchant's keys")


def merchant_key(api_base: str, account: str, *, live: bool = False) -> str | None:
    """The saved secret key of ``account`` on this sandbox, if this CLI made it."""
    return _saved().get(api_base, {}).get(account, {}).get("live" if live else "test")


def require_merchant_key(api_base: str, account: str, given: str | None, *, live: bool) -> str:
    """``given`` (``--api-key``), else the saved key of ``account``, else a usage error."""
    if given:
        return given
    saved = merchant_key(api_base, account, live=live)
    if saved is None:
        raise click.UsageError(
            f"only {account} itself installs or removes apps on it, and this CLI holds no "
            f"key of it ({merchants_path()} has the merchants `appevents accounts create` "
            "made): pass its secret key with --api-key sk_test_…"
        )
    return saved
