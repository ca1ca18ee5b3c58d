"""One Django configuration for this folder's tests (settings.configure is once per
process): the test site, a SQLite database in a folder of this process's own, and a
PostgreSQL database whose schema is this process's own (created on first use)."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import django
import pytest
from django.conf import settings

# The djsite package; appended, so that `conftest` still names the suite's own.
sys.path.append(str(Path(__file__).parent))

_FOLDER = Path(tempfile.mkdtemp(prefix="appevents-django-"))

if not settings.configured:
    from djsite.support import PG_SCHEMA
    from psycopg.conninfo import conninfo_to_dict

    from environment import postgres_url

    pg = conninfo_to_dict(postgres_url())
    settings.configure(
        DEBUG=False,
        SECRET_KEY="django-tests-only",
        ALLOWED_HOSTS=["127.0.0.1", "testserver", "localhost"],
        ROOT_URLCONF="djsite.urls",
        INSTALLED_APPS=["appevents.integrations.django", "djsite"],
        # CSRF enforced: the webhook view must be exempt for a delivery to get through
        MIDDLEWARE=[
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
        ],
        DATABASES={
            "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(_FOLDER / "site.db")},
            "wal": {  # SQLite as a site tuned for speed has it (Django 5.1+)
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(_FOLDER / "wal.db"),
                "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL"},
            },
            "pg": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": pg.get("dbname", "test"),
                "USER": pg.get("user", "postgres"),
                "PASSWORD": pg.get("password", ""),
                "HOST": pg.get("host", "127.0.0.1"),
                "PORT": pg.get("port", "5432"),
                # this process's sessions are told apart by their name (a test ends them)
                "OPTIONS": {
                    "options": f"-c search_path={PG_SCHEMA}",
                    "application_name": PG_SCHEMA,
                },
            },
        },
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        USE_TZ=True,
        APPEVENTS={},
    )
    django.setup()


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_FOLDER, ignore_errors=True)
    from djsite.support import PG_SCHEMA

    from postgres_support import _postgres_problem, drop_schema

    if _postgres_problem() is None:  # the schema the tests made, if they did
        drop_schema(PG_SCHEMA)


@pytest.fixture
def settings_override():
    """``configure(**APPEVENTS)``: the site's receiver for one test (reset after it)."""
    from django.test import override_settings

    from appevents.integrations.django import conf

    active: list[override_settings] = []

    def configure(**values: object) -> None:
        override = override_settings(APPEVENTS=values)
        override.enable()
        active.append(override)

    yield configure
    for override in reversed(active):
        override.disable()
    conf.reset()
