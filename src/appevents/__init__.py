"""appevents: receive the webhooks of every Stripe account that installed your app.

The public API is declared here once; ``tests/test_public_api.py`` keeps it honest.
"""

from .errors import (
    AppEventsError,
    ConfigurationError,
    InvalidEvent,
    ManifestError,
    NotFound,
    SignatureError,
    StoreError,
    StoreUnavailable,
    UnknownName,
)
from .event import Event, EventRequest
from .signature import DEFAULT_TOLERANCE, Verifier, sign, verify

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_TOLERANCE",
    "AppEventsError",
    "ConfigurationError",
    "Event",
    "EventRequest",
    "InvalidEvent",
    "ManifestError",
    "NotFound",
    "SignatureError",
    "StoreError",
    "StoreUnavailable",
    "UnknownName",
    "Verifier",
    "__version__",
    "sign",
    "verify",
]
