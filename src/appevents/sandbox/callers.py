"""Who is calling the API: which account a request acts on, in which mode, as which app.

A secret key belongs to an account. ``Stripe-Account: acct_X`` lets a platform act on
``acct_X`` when it created that account (Connect) or when an app the platform owns is
installed on it; in the second case the app's manifest permissions apply.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .. import catalog
from .state import accounts, apps
from .stripe_errors import PermissionDenied

__all__ = ["Caller", "identify"]


@dataclass(frozen=True, slots=True)
class Caller:
    key_account: str
    """The account whose secret key was used."""
    account: str
    """The account the request acts on (``Stripe-Account``, else the key's own)."""
    livemode: bool
    app: str | None = None
    """Set when acting through an installed app: its permissions limit the request."""
    permissions: frozenset[str] = frozenset()

    def require(self, permission_for: str, *, write: bool = False) -> None:
        """Raise 403 unless an app caller holds the permission for resource ``permission_for``."""
        if self.app is None:
            return
        wanted = f"{permission_for}_{'write' if write else 'read'}"
        granted = {catalog.canonical_permission(p) for p in self.permissions}
        if wanted in granted or (not write and f"{permission_for}_write" in granted):
            return
        raise PermissionDenied(
            f"The app {self.app} installed on account {self.account} does not have the "
            f"'{wanted}' permission this request needs. Grant it with "
            f'`appevents apps grant permission {wanted} "PURPOSE" && appevents apps upgrade '
            f"--account {self.account}`.",
            code="permission_missing",
        )


def identify(db: sqlite3.Connection, key: str, stripe_account: str | None) -> Caller:
    owner = accounts.key_owner(db, key)
    if not stripe_account or stripe_account == owner.account:
        return Caller(owner.account, owner.account, owner.livemode)
    # An account that does not exist is refused as one the key may not act on: the answer
    # never tells whether someone else's account exists (Stripe words it the same way).
    if accounts.platform_of(db, stripe_account) == owner.account:
        return Caller(owner.account, stripe_account, owner.livemode)
    for installed in apps.list_installs(db, account=stripe_account):  # cached per account
        if not installed.active:
            continue
        app = apps.get_app(db, installed.app)
        if app.owner == owner.account:
            granted = apps.permissions_of(db, app.id, installed.version)
            return Caller(owner.account, stripe_account, owner.livemode, app.id, granted)
    raise PermissionDenied(
        f"The provided key does not have access to account '{stripe_account}' (or that "
        f"account does not exist): it has not installed an app of {owner.account} and is not "
        f"connected to it (Stripe-Account). The account installs your app itself: "
        f"`appevents apps install --account {stripe_account}`.",
        code="account_invalid",
    )
