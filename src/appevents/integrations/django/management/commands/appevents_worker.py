"""``manage.py appevents_worker``: process the site's stored events until SIGTERM/SIGINT."""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from .....cli.common import guard, run, store_for_writing
from .....cli.serve import run_worker
from ...conf import receiver
from ._click import raise_command_error


class Command(BaseCommand):  # type: ignore[misc]  # Django has no type hints
    help = (
        "Run the handlers of settings.APPEVENTS['APP'] on its store's events until "
        "SIGTERM/SIGINT (with 'RUN_WORKER': False in the serving processes, or beside them)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once",
            action="store_true",
            help="process the events due now, then exit (a cron job, a test)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        app = receiver()
        if options["verbosity"] > 1:
            logging.basicConfig(level=logging.DEBUG)
        with raise_command_error():
            store = store_for_writing(guard(app.open_store)())
            if not options["once"]:
                run_worker(app, store)
                return

            async def once() -> int:
                async with store:
                    for setup in app.setup_hooks:
                        await store.setup(setup)
                    worker = app.worker(store)
                    try:
                        return await worker.drain()
                    finally:
                        await worker.close()

            attempts = run(once())
        self.stdout.write(f"appevents: {attempts} attempt(s) made on {store.url}")
