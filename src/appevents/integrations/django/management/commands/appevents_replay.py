"""``manage.py appevents_replay EVT_ID… | --dead``: ``appevents inbox replay``, site's store."""

from __future__ import annotations

from .....cli.inbox import replay
from ._click import ClickCommand


class Command(ClickCommand):
    help = "Make events pending again (after fixing a handler): EVT_ID… or --dead."
    click_command = replay
