"""The receiver as a Django app (``pip install 'appevents[django]'``).

    # settings.py
    INSTALLED_APPS = [..., "appevents.integrations.django"]
    APPEVENTS = {
        "APP": "myapp.events.receiver",      # your appevents.App: its handlers
        "SECRETS": ["whsec_..."],
        "STORE": "django",                   # or "sqlite:///inbox.db", "postgresql://…"
    }

    # urls.py: webhooks at POST /stripe/webhook
    urlpatterns = [path("stripe/", include("appevents.integrations.django.urls"))]

The view (:func:`~.views.webhook`) is CSRF-exempt, answers 405 (``Allow: POST``) to any
other method, and hands the raw body to the receiver's WSGI endpoint: verification,
deduplication and the commit are the receiver's own, and 2xx comes only after the
commit. Its path is where the include puts it; ``App(path=)`` plays no part.

``"STORE": "django"`` keeps the inbox in the Django database ``"DATABASE"`` names
(PostgreSQL or SQLite), so that a handler's ORM writes commit in one transaction with its
event's outcome (see :mod:`.store`).

Commands: ``manage.py appevents_worker``, ``appevents_inbox``, ``appevents_replay``.
A UI extension's call is verified by :func:`.decorators.ui_request_required`.
"""
