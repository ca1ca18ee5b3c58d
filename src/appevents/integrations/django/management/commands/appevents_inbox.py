"""``manage.py appevents_inbox list|show|stats|replay …``: ``appevents inbox``, site's store."""

from __future__ import annotations

from .....cli.inbox import inbox
from ._click import ClickCommand


class Command(ClickCommand):
    help = (
        "Inspect and replay the events the site's receiver stored: list [--status S] "
        "[--account A], show EVT_ID, stats, replay EVT_ID… | --dead."
    )
    click_command = inbox
    subcommands = ("list", "show", "stats", "replay")
