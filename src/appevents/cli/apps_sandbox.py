"""``appevents apps register | install | upgrade | uninstall``: the merchant's side.

The manifest is read and checked here, before anything is sent: a file the sandbox could not
use (not JSON, not valid for Stripe, no usable id) is one clear error naming it, and the
sandbox never sees it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..manifest import DEFAULT_MANIFEST, Manifest
from .api_client import call, login_or_fail, path
from .common import guard
from .merchants import require_merchant_key

manifest_option = click.option(
    "--manifest",
    "manifest_path",
    default=DEFAULT_MANIFEST,
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The app manifest to register.",
)
MODES = click.Choice(["test", "live", "live+test", "sandbox"])
# Only an account itself installs or removes apps on it: these commands take its key.
account_key_option = click.option(
    "--api-key",
    "account_key",
    help="The account's own secret key; default: the one `appevents accounts create` "
    "saved when it made the account.",
)


def _own_key(account: str, given: str | None) -> str:
    return require_merchant_key(login_or_fail().api_base, account, given, live=False)


@guard
def _valid_manifest(path: Path) -> Manifest:
    manifest = Manifest.load(path)
    manifest.require_valid("not registered")
    return manifest


def _register(manifest: Manifest) -> dict[str, Any]:
    app: dict[str, Any] = call("POST", "/_sandbox/apps", json_body={"manifest": manifest.data})
    return app


@click.command("register")
@manifest_option
def register(manifest_path: Path) -> None:
    """Register the app (or a new version of it) in the sandbox from its manifest."""
    app = _register(_valid_manifest(manifest_path))
    versions = ", ".join(v["version"] for v in app["versions"])
    click.echo(f"Registered {app['manifest_id']} as {app['id']} (versions: {versions})")


@click.command("install")
@click.option("--account", required=True, help="The merchant account installing the app.")
@click.option("--mode", type=MODES, default="test", show_default=True)
@manifest_option
@account_key_option
def install(account: str, mode: str, manifest_path: Path, account_key: str | None) -> None:
    """Install the app on an account: emits account.application.authorized."""
    app = _register(_valid_manifest(manifest_path))
    done = call(
        "POST",
        f"/_sandbox/apps/{app['id']}/installs",
        json_body={"account": account, "mode": mode},
        key=_own_key(account, account_key),
    )
    click.echo(f"Installed {app['manifest_id']} {done['version']} on {account} ({mode})")


@click.command("upgrade")
@click.option("--account", required=True)
@click.option("--mode", type=MODES, default="test", show_default=True)
@manifest_option
@account_key_option
def upgrade(account: str, mode: str, manifest_path: Path, account_key: str | None) -> None:
    """Move an install to the manifest's version (its permissions): authorized again."""
    manifest = _valid_manifest(manifest_path)
    version = manifest.data["version"]  # a non-empty string: the manifest is valid
    app = _register(manifest)
    call(
        "POST",
        f"/_sandbox/apps/{app['id']}/installs",
        json_body={"account": account, "mode": mode, "version": version},
        key=_own_key(account, account_key),
    )
    click.echo(f"Upgraded {app['manifest_id']} on {account} to {version}")


@click.command("uninstall")
@click.option("--account", required=True)
@manifest_option
@account_key_option
def uninstall(account: str, manifest_path: Path, account_key: str | None) -> None:
    """Uninstall the app from an account: emits account.application.deauthorized."""
    # Only the id matters here: an app whose manifest has other errors can still be removed.
    app_id = guard(lambda: Manifest.load(manifest_path).require_app_id())()
    call(
        "DELETE",
        path("/_sandbox/apps/{}/installs/{}", app_id, account),
        key=_own_key(account, account_key),
    )
    click.echo(f"Uninstalled {app_id} from {account}")


COMMANDS = (register, install, upgrade, uninstall)
