"""Entry point of the ``appevents`` command; subcommands are imported only when used."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from .. import __version__

# name -> "module:attribute"; importing lazily keeps `appevents --help` fast and lets a
# command's optional dependencies (psycopg, stripe) stay optional for the others.
COMMANDS: dict[str, str] = {
    "serve": "appevents.cli.serve:serve",
    "worker": "appevents.cli.serve:worker",
    "inbox": "appevents.cli.inbox:inbox",
    "catchup": "appevents.cli.catchup:catchup",
    "installations": "appevents.cli.inbox:installations",
    "apps": "appevents.cli.apps:apps",
    "db": "appevents.cli.db:db",
    "sandbox": "appevents.cli.sandbox:sandbox",
    "login": "appevents.cli.login:login",
    "logout": "appevents.cli.login:logout",
    "listen": "appevents.cli.listen:listen",
    "events": "appevents.cli.resources:events",
    "webhook-endpoints": "appevents.cli.resources:webhook_endpoints",
    "accounts": "appevents.cli.resources:accounts",
    "trigger": "appevents.cli.trigger:trigger",
    "dashboard": "appevents.cli.dashboard:dashboard",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        command: click.Command = getattr(importlib.import_module(module_name), attribute)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="appevents")
def cli() -> None:
    """Receive, store and process the webhooks of every Stripe account that installed
    your app, and test the whole loop offline against a local Stripe."""


def main(argv: list[str] | None = None) -> Any:
    return cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="appevents")


if __name__ == "__main__":  # pragma: no cover
    main()
