"""``appevents apps register | install | upgrade | uninstall | sign-ui-request``: the
merchant's side, and the Dashboard's signature for an app's UI-extension calls.

The manifest is read and checked here, before anything is sent: a file the sandbox could not
use (not JSON, not valid for Stripe, no usable id) is one clear error naming it, and the
sandbox never sees it.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import click

from ..manifest import DEFAULT_MANIFEST, Manifest
from .api_client import call, check_id, echo_json, login_or_fail, path
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
    if "signing_secret" in app:
        click.echo(f"App signing secret (UI-extension calls): {app['signing_secret']}")


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


@click.command("sign-ui-request")
@click.option("--account", required=True, help="The account whose Dashboard the user is in.")
@click.option("--user", help="The Dashboard user (usr_...); default: one stable user per account.")
@click.option(
    "--app",
    "app_id",
    help="The app (its ca_... id or manifest id); default: the id in --manifest.",
)
@click.option(
    "--payload",
    help="Additional payload, a JSON object (what fetchStripeSignature(payload) is given).",
)
@click.option(
    "--url",
    default="http://127.0.0.1:8000/",
    show_default=True,
    help="The backend URL the printed curl line calls.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the sandbox's answer as JSON.")
@click.option(
    "--manifest",
    "manifest_path",
    default=DEFAULT_MANIFEST,
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The app manifest whose id names the app (without --app).",
)
def sign_ui_request(
    account: str,
    user: str | None,
    app_id: str | None,
    payload: str | None,
    url: str,
    as_json: bool,
    manifest_path: Path,
) -> None:
    """Sign a UI-extension call as the Dashboard does for an installed app.

    Prints the Stripe-Signature header, the JSON body to send with it, and a curl line
    calling your backend; the backend verifies it with appevents.verify_ui_request and
    the app's signing secret (printed here too).
    """
    if app_id is None:
        app_id = guard(lambda: Manifest.load(manifest_path).require_app_id())()
    body: dict[str, Any] = {"account": check_id(account, "--account")}
    if user is not None:
        body["user"] = check_id(user, "--user")
    if payload is not None:
        body["payload"] = payload  # the sandbox checks it and names what is wrong
    issued = call(
        "POST",
        path("/_sandbox/apps/{}/ui_signature", app_id),
        json_body=body,
        expect=("signature", "body", "headers"),
    )
    if as_json:
        echo_json(issued)
        return
    app = call("GET", path("/_sandbox/apps/{}", issued["app"]), expect=("signing_secret",))
    sent = json.dumps(issued["body"], separators=(",", ":"))
    click.echo(f"App signing secret: {app['signing_secret']}")
    for name, value in issued["headers"].items():
        click.echo(f"{name}: {value}")
    click.echo(f"Body: {sent}")
    click.echo("")
    click.echo(
        f"curl -X POST {shlex.quote(url)}"
        + "".join(f" -H {shlex.quote(f'{k}: {v}')}" for k, v in issued["headers"].items())
        + f" -d {shlex.quote(sent)}"
    )
    click.echo(
        f"(valid for 5 minutes from t={issued['created']}, the default tolerance of "
        "verify_ui_request)"
    )


COMMANDS = (register, install, upgrade, uninstall, sign_ui_request)
