"""The receiver's dashboard for operators: the inbox with filters, each event's payload
and attempts, dead letters with replay, installations and their history, and the last
hour's activity as charts; behind a token, on a listener of its own
(``appevents serve --dashboard``, ``appevents dashboard --store``)."""

from .auth import TokenAuth
from .server import DashboardServer, dashboard_app, login_url, serve_store

__all__ = ["DashboardServer", "TokenAuth", "dashboard_app", "login_url", "serve_store"]
