"""The receiver inside a web framework's application: thin shells over ``App``.

Each integration is a module of its own with its own extra, imported only when used:

- ``appevents.integrations.starlette``: a mountable endpoint that takes its path from
  the mount, and a lifespan that opens the store and runs the worker
  (Starlette is a dependency of appevents; nothing more to install);
- ``appevents.integrations.fastapi`` (``pip install 'appevents[fastapi]'``): a router
  for ``include_router(..., prefix=...)`` carrying that lifespan, and the
  ``ui_request(secret)`` dependency giving a UI extension's verified caller;
- ``appevents.integrations.flask`` (``pip install 'appevents[flask]'``): the ``AppEvents``
  extension (``init_app`` registers the endpoint on a blueprint), ``flask appevents …``
  commands, and the ``@ui_request_required(secret)`` decorator;
- ``appevents.integrations.django`` (``pip install 'appevents[django]'``): a Django app
  (``INSTALLED_APPS``, a URL include, ``settings.APPEVENTS``), ``manage.py appevents_*``
  commands, the Django database as the store, and ``@ui_request_required(secret)``.

The durable contract is the receiver's own: 2xx only after the event is committed, the
worker processing apart.
"""
