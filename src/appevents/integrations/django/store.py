"""The Django database as the store (``"STORE": "django"``): not available yet."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

from ...receiver.inbox import Store

__all__ = ["DjangoStore"]


def DjangoStore(alias: str, *, app: Any) -> Store:
    raise ImproperlyConfigured(
        "settings.APPEVENTS['STORE'] = 'django' is not available in this version: use a "
        "store URL (sqlite:///inbox.db, postgresql://…)"
    )
