"""The dashboards' shared look: templates, CSS, a little JavaScript, formatting helpers
and the CSRF guard. The sandbox's dashboard is built on it; the receiver's reuses it, so
both look and behave alike.
"""

from __future__ import annotations

from .csrf import CSRF_FIELD, CsrfGuard
from .environment import environment, pretty_json, static_mount, when

__all__ = ["CSRF_FIELD", "CsrfGuard", "environment", "pretty_json", "static_mount", "when"]
