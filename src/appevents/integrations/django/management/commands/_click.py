"""Management commands that are the ``appevents`` command line's own, on the site's store.

A command's arguments after its name go to the click command as they are; its store is
the receiver ``settings.APPEVENTS`` configures (``--store`` or ``APPEVENTS_STORE`` win,
as on the command line).
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from typing import Any

import click
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...conf import CLI_TARGET

__all__ = ["ClickCommand", "raise_command_error"]


class ClickCommand(BaseCommand):  # type: ignore[misc]  # Django has no type hints
    click_command: click.Command
    """What the arguments are handed to."""
    subcommands: tuple[str, ...] = ()
    """A group's subcommands that read the store (each gets the site's receiver)."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        """Django's parser, whose parsing hands every argument to the click command as it
        is: argparse would refuse the click command's options (``--dead``) or take an
        option's value (``--status dead``) for an argument of its own."""
        parser = super().create_parser(prog_name, subcommand, **kwargs)

        def parse_args(args: Any = None, namespace: Any = None) -> argparse.Namespace:
            options = {a.dest: a.default for a in parser._actions if a.dest != "help"}
            return argparse.Namespace(**{**options, "args": list(args or [])})

        parser.parse_args = parse_args
        return parser

    def handle(self, *args: str, **options: Any) -> None:
        site = {"app_target": CLI_TARGET}
        default_map = {name: site for name in self.subcommands} if self.subcommands else site
        name = self.__module__.rpartition(".")[2]
        with raise_command_error():
            self.click_command.main(
                args=list(args),
                prog_name=f"manage.py {name}",
                standalone_mode=False,
                default_map=default_map,
            )


@contextlib.contextmanager
def raise_command_error() -> Iterator[None]:
    """Turn the click command's errors into Django's ``CommandError`` (same message)."""
    try:
        yield
    except click.ClickException as exc:
        raise CommandError(exc.format_message()) from None
    except click.exceptions.Abort:
        raise CommandError("aborted") from None
