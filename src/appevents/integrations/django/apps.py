"""The Django app: starts the receiver with the first request a serving process handles."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import request_started
from django.test.signals import setting_changed


class AppEventsConfig(AppConfig):  # type: ignore[misc]  # Django has no type hints
    name = "appevents.integrations.django"
    label = "appevents"
    verbose_name = "appevents"

    def ready(self) -> None:
        from . import conf

        # Not here: under `gunicorn --preload` ready() runs in the master, whose threads do
        # not survive the fork, and `runserver`'s reloader runs it in a watching process
        # that never serves. The first request of each serving process starts its own.
        request_started.connect(conf.start_on_first_request, dispatch_uid="appevents-start")
        setting_changed.connect(_settings_changed, dispatch_uid="appevents-settings")
        checks.register(check_settings)


def check_settings(app_configs: Any = None, **_: Any) -> list[checks.CheckMessage]:
    """``manage.py check`` (and ``runserver``, ``migrate``): settings.APPEVENTS is read
    as the first request would read it, so a mistake shows before a delivery is refused."""
    from . import conf

    try:
        conf.receiver()
        conf.run_worker_setting()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="appevents.E001")]
    return []


def _settings_changed(*, setting: str, **_: Any) -> None:
    if setting == "APPEVENTS":
        from . import conf

        conf.reset()
