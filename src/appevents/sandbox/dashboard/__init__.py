"""The sandbox's dashboard in the browser: accounts, apps, webhook endpoints and events,
live, served by `appevents sandbox` at ``/``."""

from .routes import dashboard_routes

__all__ = ["dashboard_routes"]
