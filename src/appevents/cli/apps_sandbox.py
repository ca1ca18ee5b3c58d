"""``appevents apps register | install | upgrade | uninstall``: the merchant's side."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from .api_client import call
from .config import API_KEY_ENV

manifest_option = click.option(
    "--manifest",
    "manifest_path",
    default="stripe-app.json",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
)
MODES = click.Choice(["test", "live", "live+test", "sandbox"])
# Only an account itself installs or removes apps on it: these commands take its key.
account_key_option = click.option(
    "--api-key",
    "account_key",
    envvar=API_KEY_ENV,
    show_envvar=True,
    help="The account's own secret key (`appevents accounts create` prints it); "
    "default: the logged-in key.",
)


def _manifest(path: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise click.UsageError(f"cannot read the manifest {path}: {exc}") from None
    return manifest


def _register(path: Path) -> dict[str, Any]:
    app: dict[str, Any] = call("POST", "/_sandbox/apps", json_body={"manifest": _manifest(path)})
    return app


@click.command("register")
@manifest_option
def register(manifest_path: Path) -> None:
    """Register the app (or a new version of it) in the sandbox from its manifest."""
    app = _register(manifest_path)
    versions = ", ".join(v["version"] for v in app["versions"])
    click.echo(f"Registered {app['manifest_id']} as {app['id']} (versions: {versions})")


@click.command("install")
@click.option("--account", required=True, help="The merchant account installing the app.")
@click.option("--mode", type=MODES, default="test", show_default=True)
@manifest_option
@account_key_option
def install(account: str, mode: str, manifest_path: Path, account_key: str | None) -> None:
    """Install the app on an account: emits account.application.authorized."""
    app = _register(manifest_path)
    done = call(
        "POST",
        f"/_sandbox/apps/{app['id']}/installs",
        json_body={"account": account, "mode": mode},
        key=account_key,
    )
    click.echo(f"Installed {app['manifest_id']} {done['version']} on {account} ({mode})")


@click.command("upgrade")
@click.option("--account", required=True)
@click.option("--mode", type=MODES, default="test", show_default=True)
@manifest_option
@account_key_option
def upgrade(account: str, mode: str, manifest_path: Path, account_key: str | None) -> None:
    """Move an install to the manifest's version (its permissions): authorized again."""
    manifest = _manifest(manifest_path)
    app = _register(manifest_path)
    call(
        "POST",
        f"/_sandbox/apps/{app['id']}/installs",
        json_body={"account": account, "mode": mode, "version": manifest["version"]},
        key=account_key,
    )
    click.echo(f"Upgraded {app['manifest_id']} on {account} to {manifest['version']}")


@click.command("uninstall")
@click.option("--account", required=True)
@manifest_option
@account_key_option
def uninstall(account: str, manifest_path: Path, account_key: str | None) -> None:
    """Uninstall the app from an account: emits account.application.deauthorized."""
    app_id = _manifest(manifest_path)["id"]
    call("DELETE", f"/_sandbox/apps/{app_id}/installs/{account}", key=account_key)
    click.echo(f"Uninstalled {app_id} from {account}")


COMMANDS = (register, install, upgrade, uninstall)
